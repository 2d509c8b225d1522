//! Transient and AC results against closed-form solutions of linear circuits.
//! Each test runs a netlist through the whole pipeline (parser → elaboration
//! → DAE → analysis) and compares every output point with the exact solution.

use spinspice::analysis::run::simulate_str;
use spinspice::output::memory::MemAnalysis;
use spinspice::output::AnalysisKind;
use std::f64::consts::PI;

/// Tight tolerances used by these tests.
const TIGHT: &str = ".options reltol=1e-6 trtol=1 vntol=1e-9 abstol=1e-15\n";

fn tran(netlist: &str) -> MemAnalysis {
    let (sink, summary) = simulate_str(netlist, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink.analysis(AnalysisKind::Tran).expect("tran").clone()
}

/// Max |sim − exact| over points with t > t_from, divided by `scale`.
fn max_rel_err(
    a: &MemAnalysis,
    sig: &str,
    exact: impl Fn(f64) -> f64,
    scale: f64,
    t_from: f64,
) -> f64 {
    let y = a.signal(sig).unwrap_or_else(|| panic!("no signal {sig}"));
    let mut worst = 0.0f64;
    let mut n = 0;
    for (t, v) in a.sweep.iter().zip(y) {
        if *t > t_from {
            worst = worst.max((v - exact(*t)).abs() / scale);
            n += 1;
        }
    }
    assert!(n > 20, "only {n} points");
    worst
}

#[test]
fn rc_charge() {
    let nl = format!(
        "rc charge\nV1 in 0 DC 1\nR1 in out 1k\nC1 out 0 1n IC=0\n{TIGHT}.tran 10n 5u uic\n.end\n"
    );
    let a = tran(&nl);
    let tau = 1e3 * 1e-9;
    let e = max_rel_err(&a, "v(out)", |t| 1.0 - (-t / tau).exp(), 1.0, 0.0);
    eprintln!("max relative error {e:.3e}");
    assert!(e < 1e-4, "relative error {e}");
}

#[test]
fn rl_current_rise() {
    let nl =
        format!("rl\nV1 in 0 DC 1\nR1 in a 100\nL1 a 0 1m IC=0\n{TIGHT}.tran 100n 50u uic\n.end\n");
    let a = tran(&nl);
    let tau = 1e-3 / 100.0;
    let e = max_rel_err(&a, "i(l1)", |t| 0.01 * (1.0 - (-t / tau).exp()), 0.01, 0.0);
    eprintln!("max relative error {e:.3e}");
    assert!(e < 1e-4, "relative error {e}");
}

#[test]
fn series_rlc_ringing() {
    // C charged to 1 V discharges through L and R (underdamped).
    let nl = format!(
        "series rlc\nC1 a 0 1n IC=1\nL1 a b 1u IC=0\nR1 b 0 10\n{TIGHT}.tran 1n 2u uic\n.end\n"
    );
    let a = tran(&nl);
    let (l, c, r): (f64, f64, f64) = (1e-6, 1e-9, 10.0);
    let alpha = r / (2.0 * l);
    let wd = (1.0 / (l * c) - alpha * alpha).sqrt();
    let exact = |t: f64| (-alpha * t).exp() * ((wd * t).cos() + alpha / wd * (wd * t).sin());
    let e = max_rel_err(&a, "v(a)", exact, 1.0, 0.0);
    eprintln!("max relative error {e:.3e}");
    assert!(e < 1e-4, "relative error {e}");
}

#[test]
fn parallel_rlc_ringing() {
    let nl = format!(
        "parallel rlc\nC1 a 0 1n IC=1\nL1 a 0 1u IC=0\nR1 a 0 100\n{TIGHT}.tran 1n 1u uic\n.end\n"
    );
    let a = tran(&nl);
    let (l, c, r): (f64, f64, f64) = (1e-6, 1e-9, 100.0);
    let alpha = 1.0 / (2.0 * r * c);
    let wd = (1.0 / (l * c) - alpha * alpha).sqrt();
    let exact = |t: f64| (-alpha * t).exp() * ((wd * t).cos() - alpha / wd * (wd * t).sin());
    let e = max_rel_err(&a, "v(a)", exact, 1.0, 0.0);
    eprintln!("max relative error {e:.3e}");
    assert!(e < 1e-4, "relative error {e}");
}

#[test]
fn rc_lowpass_sine_from_rest() {
    // v_in = sin(ωt) from t = 0 (the operating point is 0 V), fc = 1 MHz.
    let (r, c, f) = (1e3, 159.154943e-12, 1e6);
    let nl = format!(
        "rc sine\nV1 in 0 SIN(0 1 1meg)\nR1 in out {r}\nC1 out 0 {c}\n{TIGHT}.tran 1n 5u\n.end\n"
    );
    let a = tran(&nl);
    let w = 2.0 * PI * f;
    let tau = r * c;
    let wt = w * tau;
    let exact =
        |t: f64| ((w * t).sin() - wt * (w * t).cos() + wt * (-t / tau).exp()) / (1.0 + wt * wt);
    let e = max_rel_err(&a, "v(out)", exact, 1.0, 0.0);
    eprintln!("max relative error {e:.3e}");
    assert!(e < 1e-4, "relative error {e}");
}

#[test]
fn rc_highpass_1ghz_sine_with_dc_offset() {
    // v_in = 0.5 + 0.2 sin(ωt), 1 GHz; the operating point charges C to 0.5 V.
    let (r, c) = (50.0, 10e-12);
    let nl = format!(
        "rc highpass\nV1 in 0 SIN(0.5 0.2 1g)\nC1 in out {c}\nR1 out 0 {r}\n{TIGHT}.tran 1p 10n\n.end\n"
    );
    let a = tran(&nl);
    let w = 2.0 * PI * 1e9;
    let tau = r * c;
    let wt = w * tau;
    let ca = 0.2 * wt / (1.0 + wt * wt);
    let cb = 0.2 * wt * wt / (1.0 + wt * wt);
    let exact = |t: f64| ca * (w * t).cos() + cb * (w * t).sin() - ca * (-t / tau).exp();
    let e = max_rel_err(&a, "v(out)", exact, 0.2, 0.0);
    eprintln!("max relative error {e:.3e}");
    assert!(e < 1e-4, "relative error {e}");
}

#[test]
fn series_rlc_ac_matches_closed_form() {
    let nl =
        "rlc ac\nV1 in 0 AC 1\nR1 in a 10\nL1 a b 1u\nC1 b 0 1n\n.ac dec 50 1meg 100meg\n.end\n";
    let (sink, _) = simulate_str(nl, &[]).unwrap_or_else(|e| panic!("{e}"));
    let a = sink.analysis(AnalysisKind::Ac).expect("ac");
    let re = a.signal("v(b)").expect("v(b)");
    let im = a.signal_im("v(b)").expect("im");
    assert_eq!(a.sweep.len(), 101);
    let (r, l, c) = (10.0, 1e-6, 1e-9);
    for (k, f) in a.sweep.iter().enumerate() {
        let w = 2.0 * PI * f;
        // H = 1 / (1 − ω²LC + jωRC)
        let (dr, di) = (1.0 - w * w * l * c, w * r * c);
        let den = dr * dr + di * di;
        let (hr, hi) = (dr / den, -di / den);
        let mag = (hr * hr + hi * hi).sqrt();
        let err = ((re[k] - hr).powi(2) + (im[k] - hi).powi(2)).sqrt() / mag;
        assert!(err < 1e-9, "f = {f}: relative error {err}");
    }
    // the frequency points are 50 per decade from 1 MHz
    assert!((a.sweep[50] - 1e7).abs() < 1e-3);
}

#[test]
fn op_of_resistive_divider_and_controlled_sources() {
    // E doubles v(a); G drives 1 mA/V into a 1 kΩ load; H reads i(v1).
    let nl = "op\nV1 in 0 DC 3\nR1 in a 1k\nR2 a 0 2k\nE1 e 0 a 0 2\nRe e 0 1k\nG1 0 g a 0 1m\nRg g 0 1k\nH1 h 0 V1 100\nRh h 0 1k\n.op\n.end\n";
    let (sink, _) = simulate_str(nl, &[]).unwrap_or_else(|e| panic!("{e}"));
    let a = sink.analysis(AnalysisKind::Op).expect("op");
    let v = |n: &str| a.signal(n).unwrap()[0];
    assert!((v("v(a)") - 2.0).abs() < 1e-12);
    assert!((v("v(e)") - 4.0).abs() < 1e-12);
    assert!((v("v(g)") - 2.0).abs() < 1e-12);
    // i(v1) = −1 mA (current flows out of the + terminal), so v(h) = −0.1 V
    assert!((v("i(v1)") + 1e-3).abs() < 1e-15);
    assert!((v("v(h)") + 0.1).abs() < 1e-12);
}
