//! The same netlists through spinspice and ngspice: waveforms compared on a
//! common uniform grid must agree to a relative RMS difference < 1e-3.
//! ngspice is installed by `.ci/run`; with SPINSPICE_REQUIRE_TOOLS=1 a missing
//! ngspice fails these tests instead of skipping them.

mod common;

use common::*;
use spinspice::analysis::run::simulate_str;
use spinspice::output::AnalysisKind;

/// Run in both, compare `signals` over [t0, tstop].
fn compare_tran(name: &str, netlist: &str, signals: &[&str], t0: f64) -> Vec<f64> {
    if !have_ngspice() {
        return vec![];
    }
    let dir = scratch(name);
    let ng = run_ngspice(&dir, netlist);
    let ng = ng
        .iter()
        .find(|p| p.name.starts_with("Transient"))
        .expect("ngspice transient plot");
    let (sink, summary) = simulate_str(netlist, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    let ours = sink.analysis(AnalysisKind::Tran).expect("tran");
    let t_ng = ng.get("time");
    let tstop = *t_ng.last().unwrap();
    let mut diffs = Vec::new();
    for s in signals {
        let d = rel_rms_diff(
            &ours.sweep,
            ours.signal(s).unwrap_or_else(|| panic!("no {s}")),
            t_ng,
            ng.get(s),
            t0,
            tstop,
            20_000,
        );
        eprintln!("{name}: {s}: relative RMS difference {d:.3e}");
        diffs.push(d);
    }
    for (s, d) in signals.iter().zip(&diffs) {
        assert!(
            *d < 1e-3,
            "{name}: {s} differs from ngspice by {d:.3e} (relative RMS)"
        );
    }
    diffs
}

const OPTS: &str = ".options reltol=1e-6 abstol=1e-14 vntol=1e-9\n";

#[test]
fn bias_tee_matches_ngspice() {
    let nl = format!(
        "bias tee: 2 GHz RF + DC supply into a 50 ohm load\n\
         Vrf rf 0 SIN(0 0.5 2g)\n\
         Rs rf a 50\n\
         Cblk a dev 100n\n\
         Lch dev dcn 1u\n\
         Vdc dcs 0 DC 1\n\
         Rdc dcs dcn 5\n\
         Rload dev 0 50\n\
         {OPTS}.tran 0.2p 20n 0 0.2p\n.end\n"
    );
    compare_tran("biastee", &nl, &["v(dev)", "v(a)", "i(vdc)"], 0.0);
}

#[test]
fn schottky_detector_matches_ngspice() {
    let nl = format!(
        "schottky RF detector: 1 GHz into diode + RC\n\
         V1 in 0 SIN(0 0.5 1g)\n\
         Rs in a 50\n\
         D1 a out dsch\n\
         Cl out 0 10p\n\
         Rl out 0 10k\n\
         .model dsch D(IS=5e-6 N=1.05 RS=20 CJO=0.2p VJ=0.35 M=0.5 BV=3 IBV=1e-4 EG=0.69 XTI=2)\n\
         {OPTS}.tran 0.2p 20n 0 0.2p\n.end\n"
    );
    compare_tran("detector", &nl, &["v(out)", "v(a)"], 0.0);
}

#[test]
fn pulse_driven_diode_circuit_matches_ngspice() {
    // Charge storage (TT, CJO) and reverse recovery under a PULSE drive.
    let nl = format!(
        "pulse-driven diode with charge storage\n\
         V1 in 0 PULSE(-2 3 1n 0.5n 0.5n 5n 12n)\n\
         R1 in a 100\n\
         D1 a out dsw\n\
         C1 out 0 20p\n\
         R2 out 0 1k\n\
         .model dsw D(IS=1e-14 N=1 RS=2 CJO=2p VJ=0.7 M=0.4 TT=2n)\n\
         {OPTS}.tran 0.5p 30n 0 0.5p\n.end\n"
    );
    compare_tran("pulse", &nl, &["v(out)", "v(a)"], 0.0);
}

#[test]
fn ac_sweep_of_biased_diode_network_matches_ngspice() {
    if !have_ngspice() {
        return;
    }
    let nl = "ac of a biased diode network\n\
              V1 in 0 DC 0.65 AC 1\n\
              R1 in a 100\n\
              D1 a b dd\n\
              C1 b 0 10p\n\
              R2 b out 50\n\
              L1 out 0 10n\n\
              .model dd D(IS=1e-14 N=1.1 RS=5 CJO=1p VJ=0.7 M=0.45 TT=1n)\n\
              .ac dec 20 1meg 10g\n.end\n";
    let dir = scratch("ac");
    let ng = run_ngspice(&dir, nl);
    let ng = ng
        .iter()
        .find(|p| p.name.starts_with("AC"))
        .expect("ngspice AC plot");
    let (sink, _) = simulate_str(nl, &[]).unwrap_or_else(|e| panic!("{e}"));
    let ours = sink.analysis(AnalysisKind::Ac).expect("ac");
    let f_ng = ng.get("frequency");
    assert_eq!(f_ng.len(), ours.sweep.len());
    for s in ["v(out)", "v(b)", "v(a)"] {
        let (re, im) = (ours.signal(s).unwrap(), ours.signal_im(s).unwrap());
        let (nr, ni) = (ng.get(s), ng.get_im(s));
        let mut num = 0.0;
        let mut den = 0.0;
        for k in 0..re.len() {
            assert!((ours.sweep[k] - f_ng[k]).abs() <= 1e-9 * f_ng[k]);
            num += (re[k] - nr[k]).powi(2) + (im[k] - ni[k]).powi(2);
            den += nr[k].powi(2) + ni[k].powi(2);
        }
        let d = (num / den).sqrt();
        eprintln!("ac: {s}: relative RMS difference {d:.3e}");
        assert!(d < 1e-3, "{s}: {d}");
    }
}
