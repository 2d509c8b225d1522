//! Harmonic balance (`.hb`, issue 13) against independent truths: the
//! phasor solution of a linear circuit, spectral convergence on a diode
//! rectifier, the closed forms the transient tests use (linear-response
//! ST-FMR, the resonator's exact rectification P[W(f) + W(−f)], the STNO's
//! p0 = (ξ−1)/(ξ+Q) and ω0 + N p0), the transient of the same netlist at
//! tight tolerances, and bad input.

// Parallel arrays (tones, powers) read best indexed.
#![allow(clippy::needless_range_loop)]

mod common;
mod spin_support;

use num_complex::Complex64 as C;
use spin_support::*;
use spinspice::output::memory::{MemAnalysis, MemorySink};
use spinspice::output::AnalysisKind;
use spinspice::sweep::exec::SweepOptions;
use std::path::Path;

// ------------------------------------------------------------------ helpers

/// Run netlist text whose includes resolve from `netlists/`, in memory.
fn run_text(text: &str) -> MemorySink {
    run_with(text, vec![], 2)
}

/// [`run_text`] with `--param` overrides and `jobs` workers.
fn run_with(text: &str, overrides: Vec<(String, f64)>, jobs: usize) -> MemorySink {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists");
    let mut sm = spinspice::diag::SourceMap::new();
    let render = |d: &[spinspice::diag::Diagnostic], sm: &spinspice::diag::SourceMap| {
        d.iter().map(|x| x.short(sm)).collect::<Vec<_>>().join("\n")
    };
    let parsed = spinspice::netlist::parse_str("<hb test>", text, &dir, &mut sm)
        .unwrap_or_else(|d| panic!("{}", render(&d, &sm)));
    let opts = SweepOptions {
        jobs,
        ..Default::default()
    };
    let (sink, summary) = common::run_in_memory(parsed.netlist, text, overrides, vec![], opts)
        .unwrap_or_else(|d| panic!("{}", render(&d, &sm)));
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink
}

/// A bundled netlist with its `.tran`, `.meas tran` and `.step` lines
/// replaced by `analysis` (e.g. `.hb 1g` plus `.meas hb` lines).
fn bundled_as(file: &str, analysis: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("netlists")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let l = line.trim_start().to_ascii_lowercase();
        if l.starts_with(".tran")
            || l.starts_with(".meas tran")
            || l.starts_with(".step")
            || l == ".end"
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(analysis);
    out.push_str("\n.end\n");
    out
}

fn hb(sink: &MemorySink) -> &MemAnalysis {
    sink.analysis(AnalysisKind::Hb).expect("no hb analysis")
}

/// The spectral line of `sig` at frequency `f` (relative match 1e-9).
fn line(a: &MemAnalysis, sig: &str, f: f64) -> C {
    let k = a
        .sweep
        .iter()
        .position(|&x| (x - f).abs() <= 1e-9 * f.abs().max(1.0))
        .unwrap_or_else(|| panic!("no line at {f:e} Hz in {:?}", a.sweep));
    C::new(col(a, sig)[k], a.signal_im(sig).unwrap()[k])
}

fn meas(sink: &MemorySink, name: &str) -> f64 {
    sink.measure(name)
        .unwrap_or_else(|| panic!("no measure {name}"))
        .clone()
        .unwrap_or_else(|e| panic!("measure {name}: {e}"))
}

// ------------------------------------------------------------------ linear

/// A linear circuit: every line is the phasor solution exactly (G + jωC per
/// harmonic), and the waveform is their sum.
#[test]
fn linear_rc_is_the_phasor_solution() {
    let sink = run_text(
        "rc\nV1 in 0 SIN(0.5 1 1meg 0 0 30)\nR1 in out 1k\nC1 out 0 159.155p\n.hb 1meg\n.end\n",
    );
    let a = hb(&sink);
    let w = TAU * 1e6;
    let h = 1.0 / C::new(1.0, w * 1e3 * 159.155e-12);
    // SIN(vo va f td θ φ): va sin(ωt + φ) = Re(va e^{j(φ − π/2)} e^{jωt})
    let x = h * C::from_polar(1.0, 30f64.to_radians() - std::f64::consts::FRAC_PI_2);
    assert!((line(a, "v(out)", 0.0) - C::new(0.5, 0.0)).norm() < 1e-12);
    assert!(
        (line(a, "v(out)", 1e6) - x).norm() < 1e-12,
        "{}",
        line(a, "v(out)", 1e6)
    );
    assert!(line(a, "v(out)", 2e6).norm() < 1e-14);
    let td = sink.analysis(AnalysisKind::HbTd).expect("waveform");
    for (k, &t) in td.sweep.iter().enumerate().step_by(37) {
        let e = 0.5 + (x * C::from_polar(1.0, w * t)).re;
        assert!((col(td, "v(out)")[k] - e).abs() < 1e-12);
    }
}

// ------------------------------------------------------- diode rectifier

const RECT: &str = "rectifier\nV1 in 0 SIN(0 1 1g)\nRs in a 50\nD1 a out dsch\nCl out 0 10p\n\
Rl out 0 1k\n.model dsch D(IS=5e-6 N=1.05 RS=20 CJO=0.2p VJ=0.35 M=0.5)\n";

fn rect_hb(numfreq: usize) -> f64 {
    let sink = run_text(&format!(
        "{RECT}.hb 1g\n.options hbint numfreq={numfreq}\n.meas hb vdc DCMEAN v(out)\n.end\n"
    ));
    meas(&sink, "vdc")
}

/// Spectral convergence: the rectified voltage's error against 64
/// harmonics falls faster than any power of N (table in
/// docs/harmonic_balance.md), and the converged value is the transient's
/// period mean at tight tolerance.
#[test]
fn diode_rectifier_converges_spectrally() {
    let reference = rect_hb(64);
    let err = |n: usize| (rect_hb(n) - reference).abs() / reference;
    let e: Vec<(usize, f64)> = [4, 8, 16, 24, 32, 48]
        .iter()
        .map(|&n| (n, err(n)))
        .collect();
    eprintln!("rectifier V_dc = {reference:.12e}; relative error vs N: {e:?}");
    let at = |n: usize| e.iter().find(|x| x.0 == n).unwrap().1;
    assert!(at(4) > 1e-4, "the truncation error is visible at N = 4");
    assert!(
        at(16) < 1e-4 && at(24) < 1e-5 && at(32) < 1e-6 && at(48) < 1e-8,
        "{e:?}"
    );
    // the transient's period mean after the RC (10 ns) settled; its own
    // error is 4e-5 at tmax = 5 ps, 1e-7 at 1 ps, 1.4e-8 at 0.5 ps
    let sink = run_text(&format!(
        "{RECT}.options reltol=1e-6 vntol=1e-9\n.tran 1p 250n 0 0.5p\n\
.meas tran vdc AVG v(out) FROM=240n TO=250n\n.end\n"
    ));
    let tr = meas(&sink, "vdc");
    eprintln!("transient V_dc = {tr:.12e}");
    assert!(
        (tr - reference).abs() < 1e-7 * reference,
        "{tr} vs {reference}"
    );
}

/// The README's two-tone detector (1 GHz + 2.4 GHz: harmonics of 200 MHz)
/// against its own transient at tight tolerance, where the transient's
/// error (halving tmax) is below 1e-5 of the rectified voltage.
#[test]
fn rf_detector_two_tones_vs_transient() {
    let sink = run_text(&bundled_as(
        "rf_detector.cir",
        ".hb 1g 2.4g\n.options hbint numfreq=12\n.meas hb vrect DCMEAN v(out)",
    ));
    let v_hb = meas(&sink, "vrect");
    let tran = |tmax: &str| {
        let s = run_text(&bundled_as(
            "rf_detector.cir",
            &format!(
                ".options reltol=1e-6 vntol=1e-9\n.tran 1p 150n 0 {tmax}\n\
.meas tran vrect AVG v(out) FROM=140n TO=150n"
            ),
        ));
        meas(&s, "vrect")
    };
    let (t1, t2) = (tran("0.5p"), tran("0.25p"));
    eprintln!("V_rect: hb {v_hb:.10e}, transient {t1:.10e} (tmax 0.5 ps), {t2:.10e} (0.25 ps)");
    assert!(
        (t1 - t2).abs() < 1e-5 * v_hb,
        "transient not converged: {t1} {t2}"
    );
    assert!((v_hb - t2).abs() < 2e-5 * v_hb, "{v_hb} vs {t2}");
    // the tone indices of each line: 1.2 GHz = 2·(2.4) − 3·(1)… any
    // representative, but Σ k_j f_j must be the line's frequency
    let a = hb(&sink);
    let l = a.labels.as_ref().expect("tone table");
    for (k, &f) in a.sweep.iter().enumerate() {
        let s = l.rows[k][0] as f64 * 1e9 + l.rows[k][1] as f64 * 2.4e9;
        assert!((s - f).abs() < 1.0, "line {f} has tones {:?}", l.rows[k]);
    }
}

/// ST-FMR of the [001] MTJ (LLGS macrospin in the circuit, through a bias
/// tee) against the linear-response oracle of oracles.md §b, damping-like
/// and field-like torques: within 1e-4 of the peak (measured 2.6e-5; the
/// transient test needs mreltol = 5e-8 for 0.5 %).
#[test]
fn stfmr_vs_linear_response() {
    let (fr, gam, hx, hy, a1) = st_oracle();
    let g0 = GAMMA * MU0;
    let hw = gam / TAU;
    let irf = 0.3e-6;
    for (part, card, hxa, hya) in [
        ("damping-like", st_card("beta=0"), 0.0, -a1),
        ("field-like", st_card("beta=0.1 kappa=0"), 0.1 * a1, 0.0),
    ] {
        let oracle = |f: f64, i: f64| stfmr_vdc(f, i, g0, ST_ALPHA, hx, hy, -1.0, 560.0, hxa, hya);
        let freqs: Vec<f64> = [-4.0, -1.0, 0.0, 1.0, 4.0]
            .iter()
            .map(|k| fr + k * hw)
            .collect();
        let peak = freqs
            .iter()
            .map(|f| oracle(*f, irf).abs())
            .fold(0.0, f64::max);
        for &f in &freqs {
            let sink = run_text(&format!(
                "st-fmr\n{card}\nI1 0 rf sin(0 {irf:e} {f:e})\nRsh rf 0 1g\nCb rf j 1n\n\
YMTJ m1 j 0 mz\nLb j out 10u\nRd out dc 10k\nCdc dc 0 0.4p\n.save v(j) @m1[i]\n\
.hb {f:e}\n.options hbint numfreq=4\n.end\n"
            ));
            let a = hb(&sink);
            let v = line(a, "v(j)", 0.0).re;
            let i = line(a, "@m1[i]", f).norm();
            let e = (v - oracle(f, i)) / peak;
            eprintln!(
                "{part}: f = {:.6} GHz V = {v:.6e} oracle {:.6e} err/peak {e:+.2e}",
                f / 1e9,
                oracle(f, i)
            );
            assert!(e.abs() < 1e-4, "{part} at {f}: {e}");
        }
    }
}

// ------------------------------------------------- behavioural resonators

/// Device-exact rectified voltage of the YSD resonator (drive=1, ψ = 90°;
/// src/devices/spindiode.rs, devices.md Eq. 4.5): P·𝒜·ω[Δ/(Γ² + Δ²) +
/// Σ/(Γ² + Σ²)], P = ½R0|Î|², Δ = ω − ω_r, Σ = ω + ω_r, Γ = αω_r. With
/// Δ/(Γ²+Δ²) alone it is seed 000 Eq. 4.
fn sd_vdc(i: f64, f: f64, fr: f64, alpha: f64, a: f64, r0: f64) -> f64 {
    let (w, wr) = (TAU * f, TAU * fr);
    let g = alpha * wr;
    let (d, s) = (w - wr, w + wr);
    0.5 * r0 * i * i * a * w * (d / (g * g + d * d) + s / (g * g + s * s))
}

/// `spin_diode_measurement.cir` at five (P, f) points of its map: the DC
/// port voltage against the device-exact rectification of the current the
/// HB finds in the resonator, within 0.1 % of the peak.
#[test]
fn spin_diode_measurement_five_points() {
    let peak = 51.0e-6; // +51 µV at 1.0101 GHz for 1 µW (netlist header)
    for (p, f) in [
        (1e-6, 1.0101e9),
        (1e-6, 0.9901e9),
        (0.2e-6, 1.0e9),
        (0.6e-6, 0.95e9),
        (0.6e-6, 1.05e9),
    ] {
        let text = bundled_as(
            "spin_diode_measurement.cir",
            &format!(
                ".save v(dc) i(r1)\n.hb {{f}}\n.options hbint numfreq=3\n.param p={p:e} f={f:e}"
            ),
        );
        // the netlist's own .param line sets p and f first: override after it
        let sink = run_text(&text.replace(".param p=1u f=1.0101g\n", ""));
        let a = hb(&sink);
        let v = line(a, "v(dc)", 0.0).re;
        let i = line(a, "i(r1)", f).norm();
        let o = sd_vdc(i, f, 1e9, 0.01, 1.0, 50.0);
        eprintln!(
            "P = {p:e} W, f = {f:e} Hz: V = {v:.6e}, exact {o:.6e}, err/peak {:+.2e}",
            (v - o) / peak
        );
        assert!((v - o).abs() < 1e-3 * peak, "P {p} f {f}: {v} vs {o}");
    }
}

/// `rf_mac_chain.cir`: four tones (1.0 … 1.6 GHz, harmonics of 200 MHz)
/// into a chain of four resonators; the rectified part v(rect) against
/// Σ_k Σ_i ½Re[H_k(ω_i)]|Î_i|² (devices.md Eq. 4.4) with the chain current
/// Î_i of every tone from the HB spectrum: within 0.1 % of the result.
#[test]
fn mac_chain_four_tones() {
    let sink = run_text(&bundled_as(
        "rf_mac_chain.cir",
        ".hb fa fb fc fd\n.options hbint numfreq=2\n.meas hb vrect DCMEAN v(rect)",
    ));
    let a = hb(&sink);
    let tones = [1.0e9, 1.2e9, 1.4e9, 1.6e9];
    let fres = [1.0e9 * 1.01, 1.2e9 * 0.995, 1.4e9 * 0.99, 1.6e9 * 1.02];
    let mut v = 0.0;
    for &f in &tones {
        let i = line(a, "i(vsense)", f).norm();
        for &fr in &fres {
            v += sd_vdc(i, f, fr, 0.01, 1.0, 50.0);
        }
    }
    let got = meas(&sink, "vrect");
    eprintln!("MAC chain: v(rect) = {got:.6e}, Σ exact = {v:.6e}");
    assert!((got - v).abs() < 1e-3 * v.abs(), "{got} vs {v}");
}

// ------------------------------------------------------------------ STNO

/// The STNO of `stno_injection_locking.cir` without the injection coupling
/// (κ = 0: no pulling by its own RF current through the load).
const STNO: &str = ".model osc STNO (f0=1g nshift=-100meg gammag={2*pi*20meg} ith=2m q=2 r0=100 \
drosc=10)\n";

/// A free-running STNO on an ideal current source (autonomous tone,
/// frequency solved with a phase condition): p0 = (ξ−1)/(ξ+Q) (seed 000
/// Eq. 3) and f = f0 + N·p0 for three bias currents; below threshold the
/// steady state has no oscillation.
#[test]
fn free_running_stno_closed_forms() {
    for i in [3e-3, 4e-3, 8e-3] {
        let sink = run_text(&format!(
            "stno\n{STNO}I1 0 a DC {i:e}\nYSTNO x1 a 0 osc\n.hb osc=x1\n\
.options hbint numfreq=3\n.meas hb p DCMEAN @x1[p]\n.meas hb f TONEFREQ v(a)\n.end\n"
        ));
        let xi = i / 2e-3;
        let p0 = (xi - 1.0) / (xi + 2.0);
        let (p, f) = (meas(&sink, "p"), meas(&sink, "f"));
        eprintln!(
            "I = {i:e}: p = {p:.9} (p0 {p0:.9}), f = {f:.6e} (f0+Np0 {:.6e})",
            1e9 - 100e6 * p0
        );
        assert!((p - p0).abs() < 1e-6, "{p} vs {p0}");
        assert!((f - (1e9 - 100e6 * p0)).abs() < 1e-6 * f, "{f}");
    }
    let sink = run_text(&format!(
        "stno\n{STNO}I1 0 a DC 1m\nYSTNO x1 a 0 osc\n.hb osc=x1\n.meas hb p DCMEAN @x1[p]\n.end\n"
    ));
    assert!(meas(&sink, "p") < 1e-30);
    assert_eq!(hb(&sink).sweep, vec![0.0], "DC alone");
}

/// Injection locking (`stno_injection_locking.cir`, 972 MHz inside the
/// 970.2 … 979.9 MHz range): the oscillator runs at the drive frequency
/// with the power of the transient's locked state. HB converges to the
/// unstable lock too; the Floquet test rejects it (see the run's note).
#[test]
fn injection_locked_stno_vs_transient() {
    let sink = run_text(&bundled_as(
        "stno_injection_locking.cir",
        ".hb {fe}\n.options hbint numfreq=3\n.meas hb p DCMEAN @x1[p]\n.meas hb f TONEFREQ @x1[cr]",
    ));
    let (p, f) = (meas(&sink, "p"), meas(&sink, "f"));
    let tr = run_text(&bundled_as(
        "stno_injection_locking.cir",
        ".options reltol=1e-5\n.tran 1n 3u\n.meas tran p avg @x1[p] from=2u to=3u",
    ));
    let pt = meas(&tr, "p");
    eprintln!("locked: hb p = {p:.6}, f = {f:.6e}; transient p = {pt:.6}");
    assert!((f - 972e6).abs() < 1.0);
    assert!((p - pt).abs() < 1e-3 * pt, "{p} vs {pt}");
}

/// The free-running neuron of `leroux_neuron_resonator.cir` (autonomous
/// STNO behind a V→I stage, amplifier with tanh saturation, resonator):
/// rectified voltage and tone against the transient; the neuron's power is
/// seed 000 Eq. 3 at its clamped current.
#[test]
fn neuron_into_resonator_vs_transient() {
    let sink = run_text(&bundled_as(
        "leroux_neuron_resonator.cir",
        ".hb osc=x1\n.options hbint numfreq=4\n.meas hb vdc DCMEAN v(d)\n\
.meas hb ires TONEAMP i(r1)\n.meas hb fn TONEFREQ v(rf)\n.meas hb p DCMEAN @x1[p]",
    ));
    let tr = run_text(&bundled_as(
        "leroux_neuron_resonator.cir",
        ".options interp\n.tran 5p 400n 0 5p\n.meas tran vdc DCMEAN v(d) FREQ=1.5g SETTLE=250n\n\
.meas tran ires TONEAMP i(r1) FROM=250n",
    ));
    let (v, vt) = (meas(&sink, "vdc"), meas(&tr, "vdc"));
    let (i, it) = (meas(&sink, "ires"), meas(&tr, "ires"));
    eprintln!("neuron → resonator: V_dc hb {v:.8e} tran {vt:.8e}; I_res hb {i:.8e} tran {it:.8e}");
    assert!((v - vt).abs() < 1e-4 * vt.abs(), "{v} vs {vt}");
    assert!((i - it).abs() < 1e-4 * it, "{i} vs {it}");
    assert!(
        (meas(&sink, "fn") - 1.5e9).abs() < 1.0,
        "nshift = 0: f = f0"
    );
    // I = 6 mA into I_th = 2 mA, Q = 2 (models/leroux.model): p0 = 2/5
    assert!((meas(&sink, "p") - 0.4).abs() < 1e-5);
}

/// The assembled Jacobian (direct LU) and the matrix-free product (GMRES)
/// are independent constructions of the same derivative: both converge to
/// the same steady state, on a diode mixer of two incommensurate tones and
/// on the ST-FMR junction.
#[test]
fn direct_and_krylov_agree() {
    let mixer = "mixer\nV1 a 0 SIN(0 0.4 1g)\nV2 b a SIN(0 0.3 1.37g)\nRs b c 50\nD1 c out dd\n\
Cl out 0 5p\nRl out 0 2k\n.model dd D(IS=1e-8 N=1.1 RS=5 CJO=0.3p)\n.hb 1g 1.37g\n";
    let (fr, ..) = st_oracle();
    let stfmr = format!(
        "st-fmr\n{}\nI1 0 rf sin(0 0.3u {fr:e})\nRsh rf 0 1g\nCb rf j 1n\nYMTJ m1 j 0 mz\n\
Lb j out 10u\nRd out dc 10k\nCdc dc 0 0.4p\n.hb {fr:e}\n",
        st_card("beta=0")
    );
    for (name, text, sig) in [
        ("mixer", mixer.to_string(), "v(out)"),
        ("st-fmr", stfmr, "v(j)"),
    ] {
        let run = |m: &str| {
            let s = run_text(&format!(
                "{text}.options hbint numfreq=5 method={m}\n.end\n"
            ));
            let a = hb(&s);
            (
                a.sweep.clone(),
                col(a, sig).to_vec(),
                a.signal_im(sig).unwrap().to_vec(),
            )
        };
        let (d, k) = (run("direct"), run("krylov"));
        assert_eq!(d.0, k.0);
        let scale = d.1.iter().chain(&d.2).fold(0.0f64, |m, v| m.max(v.abs()));
        let diff =
            d.1.iter()
                .zip(&k.1)
                .chain(d.2.iter().zip(&k.2))
                .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        eprintln!(
            "{name}: {} lines, max |direct − krylov| = {diff:.2e} of {scale:.2e}",
            d.0.len()
        );
        assert!(diff < 1e-6 * scale, "{name}: {diff}");
    }
}

/// `.hb` in a `.step` sweep runs in parallel and is bit-identical for any
/// number of jobs.
#[test]
fn sweep_is_identical_for_any_jobs() {
    let text = bundled_as(
        "spin_diode_measurement.cir",
        ".hb {f}\n.options hbint numfreq=3\n.meas hb vdc DCMEAN v(dc)\n\
.step param p 0.2u 1u 0.4u\n.step param f 0.99g 1.01g 5meg",
    );
    let run = |jobs: usize| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists");
        let mut sm = spinspice::diag::SourceMap::new();
        let parsed = spinspice::netlist::parse_str("<hb>", &text, &dir, &mut sm).unwrap();
        let opts = SweepOptions {
            jobs,
            ..Default::default()
        };
        let (s, sum) = common::run_in_memory(parsed.netlist, &text, vec![], vec![], opts).unwrap();
        assert!(sum.failures.is_empty());
        s.measures
            .iter()
            .map(|m| m.value.clone().unwrap().to_bits())
            .collect::<Vec<u64>>()
    };
    let one = run(1);
    assert_eq!(one.len(), 15);
    assert_eq!(one, run(2));
}

/// Bad input ends in a message at the line, never a panic.
#[test]
fn bad_input_is_refused_clearly() {
    let fails = |text: &str, want: &str| {
        let e = spinspice::analysis::run::simulate_str(text, &[]);
        let msg = match e {
            Err(m) => m,
            Ok((_, s)) => s
                .failures
                .iter()
                .map(|f| f.1.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        };
        assert!(msg.contains(want), "expected '{want}' in: {msg}");
    };
    let rc = "t\nV1 a 0 SIN(0 1 1g)\nR1 a 0 1k\n";
    fails(&format!("{rc}.hb 0\n.end\n"), "positive frequency");
    fails(&format!("{rc}.hb -1g\n.end\n"), "positive frequency");
    fails(&format!("{rc}.hb\n.end\n"), "missing tone");
    fails(
        &format!("{rc}.hb 1g foo=2\n.end\n"),
        "unknown .hb parameter",
    );
    fails(
        &format!("{rc}.hb 1g\n.options hbint numfreq=500000\n.end\n"),
        "mix products",
    );
    fails(
        &format!("{rc}.hb 1g\n.options hbint numfreq=1e7\n.end\n"),
        "in [1, 10^6]",
    );
    fails(
        &format!("{rc}.hb 1g\n.options hbint numfreq=1000 maxmemory=1meg\n.end\n"),
        "would need about",
    );
    fails(
        &format!("{rc}.hb 1g\n.options hbint numfreq=2.5\n.end\n"),
        "numfreq must be",
    );
    fails(
        "t\nV1 a 0 DC 1\nR1 a 0 1k\n.hb 1g\n.end\n",
        "nothing periodic",
    );
    fails(&format!("{rc}.hb 1.3g\n.end\n"), "no spectral line");
    fails(&format!("{rc}.hb 1g osc=r9\n.end\n"), "no such device");
    fails(&format!("{rc}.hb 1g osc=r1\n.end\n"), "cannot oscillate");
    fails(
        "t\nV1 a 0 SIN(0 1 1g 0 1e6)\nR1 a 0 1k\n.hb 1g\n.end\n",
        "damped SIN",
    );
    fails(
        "t\nV1 a 0 PWL(0 0 1n 1)\nR1 a 0 1k\n.hb 1g\n.end\n",
        "PWL without repetition",
    );
    fails(
        "t\nV1 a 0 SIN(0 1 1g)\nV2 b 0 SIN(0 1 1.4142g)\nB1 c 0 V={v(a)*sin(time)}\nR1 c 0 1\n\
R2 b 0 1\n.hb 1g 1.4142g\n.end\n",
        "depends on time",
    );
}

/// The 2-2-1 XOR network (`rf_network_xor.cir`: two incommensurate input
/// tones, two free-running STNO neurons as autonomous tones, eight MTJs) at
/// eight points of its map, the four corners included: every rectified DC,
/// neuron power and tone amplitude within 0.1 % of its peak over the points
/// of the transient at reltol = 1e-4, or within twice that transient's own
/// error (its change from reltol = 1e-3).
#[test]
fn xor_network_eight_points_vs_transient() {
    let names = [
        "v1dc", "v2dc", "vout", "pa", "pb", "i1f1", "i1f2", "i2f1", "i2f2", "ioa", "iob",
    ];
    let hb_text = bundled_as(
        "rf_network_xor.cir",
        ".hb {f1} {f2} osc=na osc=nb\n.options hbint numfreq=2\n\
.meas hb v1dc DCMEAN v(v1)\n.meas hb v2dc DCMEAN v(v2)\n.meas hb vout DCMEAN v(out)\n\
.meas hb pa DCMEAN @na[p]\n.meas hb pb DCMEAN @nb[p]\n\
.meas hb i1f1 TONEAMP i(y11) FMIN=0.35g FMAX=0.45g\n.meas hb i1f2 TONEAMP i(y11) FMIN=0.5g FMAX=0.6g\n\
.meas hb i2f1 TONEAMP i(y21) FMIN=0.35g FMAX=0.45g\n.meas hb i2f2 TONEAMP i(y21) FMIN=0.5g FMAX=0.6g\n\
.meas hb ioa TONEAMP i(yo1) FMIN=0.25g FMAX=0.35g\n.meas hb iob TONEAMP i(yo1) FMIN=1.1g FMAX=1.3g",
    );
    let tr_text = |reltol: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists/rf_network_xor.cir");
        let t = std::fs::read_to_string(path).unwrap();
        let t: String = t
            .lines()
            .filter(|l| !l.starts_with(".step"))
            .map(|l| format!("{l}\n"))
            .collect();
        t.replace(".end\n", &format!(".options reltol={reltol}\n.end\n"))
    };
    let points = [
        (0.0, 0.0),
        (0.0, 1.0),
        (1.0, 0.0),
        (1.0, 1.0),
        (0.5, 0.5),
        (0.2, 0.8),
        (0.85, 0.15),
        (0.3, 0.3),
    ];
    let run_at = |text: &str, p1: f64, p2: f64| {
        let ov = vec![("p1".to_string(), p1), ("p2".to_string(), p2)];
        let s = run_with(text, ov, 1);
        names.iter().map(|n| meas(&s, n)).collect::<Vec<f64>>()
    };
    let hbv: Vec<Vec<f64>> = points
        .iter()
        .map(|&(a, b)| run_at(&hb_text, a, b))
        .collect();
    let (fine, coarse) = (tr_text("1e-4"), tr_text("1e-3"));
    let trv: Vec<(Vec<f64>, Vec<f64>)> = std::thread::scope(|sc| {
        let hs: Vec<_> = points
            .iter()
            .map(|&(a, b)| {
                let (f, c) = (&fine, &coarse);
                sc.spawn(move || (run_at(f, a, b), run_at(c, a, b)))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (j, name) in names.iter().enumerate() {
        let peak = hbv.iter().map(|v| v[j].abs()).fold(0.0, f64::max);
        for (k, &(p1, p2)) in points.iter().enumerate() {
            let (h, t, tc) = (hbv[k][j], trv[k].0[j], trv[k].1[j]);
            let allowed = (1e-3 * peak).max(2.0 * (t - tc).abs());
            eprintln!(
                "{name} p=({p1},{p2}): hb {h:+.6e} tran {t:+.6e} diff/peak {:+.2e} (tran error/peak {:.2e})",
                (h - t) / peak,
                (t - tc).abs() / peak
            );
            assert!(
                (h - t).abs() <= allowed,
                "{name} at ({p1},{p2}): {h} vs {t}"
            );
        }
    }
}

/// The double-diode AMR synapse (seed 002 Sec. 2.7.3: two LLG macrospin
/// strips at ±45° in a field gradient, `amr_double_diode.cir`): the
/// rectified DC against the settled transient at two tolerances (the
/// transient's own error shown by tightening it tenfold). The bias tee rings
/// with a 20 ns envelope: the transient is read after 300 ns (measured: at
/// 15–30 ns it reads 8.4e-7 V of ringing; at 100–150 ns 1.31e-8; at
/// 300–400 ns 1.3856e-9, HB's value to 2e-6).
#[test]
fn amr_double_diode_vs_transient() {
    let sink = run_text(&bundled_as(
        "amr_double_diode.cir",
        ".hb 2.9g\n.options hbint numfreq=6\n.meas hb vsyn DCMEAN v(dc)\n.meas hb vj TONEAMP v(j)",
    ));
    let v = meas(&sink, "vsyn");
    let tran = |reltol: &str| {
        let tr = run_text(&bundled_as(
            "amr_double_diode.cir",
            &format!(
                ".options reltol={reltol}\n.tran 0.1n 400n\n\
.meas tran vsyn DCMEAN v(dc) FREQ=2.9g SETTLE=300n"
            ),
        ));
        meas(&tr, "vsyn")
    };
    let (t3, t4) = (tran("1e-3"), tran("1e-4"));
    eprintln!("AMR double diode: V_syn hb {v:.8e}; tran reltol 1e-3 {t3:.8e}, 1e-4 {t4:.8e}");
    let own = (t3 - t4).abs();
    assert!(v.abs() > 1e-10, "no rectification: {v}");
    assert!(
        (v - t4).abs() <= (1e-3 * t4.abs()).max(own),
        "hb {v} vs transient {t4} (its own error {own:e})"
    );
}
