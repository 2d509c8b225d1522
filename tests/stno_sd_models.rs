//! The model cards of `models/` (Leroux 2022, Ross 2023) in circuits: the
//! published relations they must reproduce (docs/physics/parameters.md §3–4).
//! The Plouet card is exercised by `tests/stno.rs` (power-level closed form)
//! and the Ross neuron by its `.dc` sweep there.

use spinspice::analysis::run::simulate_str;
use spinspice::output::memory::MemorySink;
use std::f64::consts::PI;

fn model_file(name: &str) -> String {
    format!("{}/models/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(netlist: &str) -> MemorySink {
    let (sink, summary) = simulate_str(netlist, &[]).unwrap_or_else(|e| panic!("{e}\n{netlist}"));
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink
}

fn meas(sink: &MemorySink, name: &str) -> f64 {
    match sink.measure(name) {
        Some(Ok(v)) => *v,
        other => panic!("measure {name}: {other:?}"),
    }
}

/// V_dc of `YSD sd1 a 0 <inst>` (resonance f_r, damping 0.01) for
/// I = irf·sin(2πft), averaged over 100 whole periods after 9.4/Γ (see
/// tests/spindiode.rs), 1250 steps per period.
fn vdc(include: &str, inst: &str, irf: f64, f: f64, r0: f64, fr: f64) -> f64 {
    let settle = 9.4 / (0.01 * 2.0 * PI * fr);
    let n1 = (settle * f).ceil();
    let n2 = n1 + 100.0;
    let (t1, t2) = (n1 / f, n2 / f);
    let nl = format!(
        "card\n.include {include}\nI1 0 a SIN(0 {irf} {f})\nYSD sd1 a 0 {inst}\n\
         B1 0 acc I={{v(a)-{r0}*i(sd1)}}\nC1 acc 0 1\nRacc acc 0 1e18\n.save v(acc)\n\
         .tran {} {t2}\n.meas tran a1 find v(acc) at={t1}\n.meas tran a2 find v(acc) at={t2}\n.end\n",
        1.0 / (1250.0 * f)
    );
    let s = run(&nl);
    (meas(&s, "a2") - meas(&s, "a1")) / (t2 - t1)
}

/// Leroux resonator: at the extremum f = f_r(1 + α(α + √(1+α²))) of seed 000
/// Eq. 4, 1 µW gives 𝒜(α + √(1+α²))/(2α) = 50.5025 µV (oracles.md §f) plus
/// the mirror term P·W(−f) of the causal device (devices.md Eq. 4.6), at
/// f_res = 1 GHz and at a per-instance f_res = 1.5 GHz.
#[test]
fn leroux_resonator_peak() {
    let al: f64 = 0.01;
    let x = al * (al + (1.0 + al * al).sqrt());
    let p = 1e-6;
    let irf = (2.0 * p / 50.0f64).sqrt();
    for (fr, inst) in [(1e9, "leroux_res"), (1.5e9, "leroux_res fres=1.5g")] {
        let f = fr * (1.0 + x);
        let w_eq4 = (al + (1.0 + al * al).sqrt()) / (2.0 * al); // V/W (𝒜 = 1)
        let mirror = f * (f + fr) / (al * al * fr * fr + (f + fr) * (f + fr));
        let v = vdc(&model_file("leroux.model"), inst, irf, f, 50.0, fr);
        eprintln!(
            "f_r = {fr:e}: V_dc = {:.5} uV at the Eq. 4 maximum (Eq. 4: {:.5} uV, + mirror {:.5} uV)",
            v * 1e6,
            p * w_eq4 * 1e6,
            p * mirror * 1e6
        );
        assert!((v - p * (w_eq4 + mirror)).abs() < 1e-3 * p * w_eq4);
    }
}

/// Leroux STNO: the neuron's DC power follows seed 000 Eq. 3,
/// p0 = (ξ−1)/(ξ+2) with I_th = 2 mA, clamped at 8 mA (ξ ≤ 4); a transient
/// from below threshold to 12 mA settles at the clamped p0 = 0.5 and
/// oscillates at f0 = 1.5 GHz (N = 0).
#[test]
fn leroux_stno_neuron() {
    let inc = model_file("leroux.model");
    for (i, want) in [
        (1e-3, 1e-6),
        (3e-3, 1.0 / 7.0),
        (4e-3, 0.25),
        (8e-3, 0.5),
        (12e-3, 0.5),
    ] {
        let nl = format!(
            "op\n.include {inc}\nI1 0 a DC {i}\nYSTNO x1 a 0 leroux_stno\n.save @x1[p]\n.op\n.end\n"
        );
        let s = run(&nl);
        let op = s.analysis(spinspice::output::AnalysisKind::Op).expect("op");
        let p = op.signal("@x1[p]").expect("p")[0];
        assert!((p - want).abs() < 1e-12, "I = {i}: p = {p}, want {want}");
    }
    let nl = format!(
        "tran\n.include {inc}\nI1 0 a PWL(0 1m 1n 1m 1.1n 12m)\nYSTNO x1 a 0 leroux_stno\n\
         .tran 1n 150n\n.meas tran p find @x1[p] at=150n\n\
         .meas tran ta when @x1[cr]=0 rise=1 td=100n\n.meas tran tb when @x1[cr]=0 rise=61 td=100n\n.end\n"
    );
    let s = run(&nl);
    let p = meas(&s, "p");
    let f = 60.0 / (meas(&s, "tb") - meas(&s, "ta"));
    eprintln!("Leroux STNO at 12 mA (clamped to 8 mA): p = {p:.6}, f = {f:.6e} Hz");
    assert!((p - 0.5).abs() < 1e-3);
    assert!((f / 1.5e9 - 1.0).abs() < 1e-3);
}

/// Ross resonator (drive=2, K_SD = 8.84 mV/µW): near resonance the DC
/// voltage is the code's kernel 2αf_r(f − f_r)/((αf_r)² + (f − f_r)²)·K_SD·P
/// plus the mirror term of Eq. 4.7 (exact: devices.md Eq. 4.7), for a
/// resonator at 47.3 MHz in a chain of the 20–120 MHz band, both orientations.
#[test]
fn ross_resonator_kernel() {
    let (fr, al, ksd, r0): (f64, f64, f64, f64) = (47.3e6, 0.01, 8838.8347, 50.0);
    let p: f64 = 1e-9; // 1 nW (the code's unit is µW; linear anyway)
    let irf = (2.0 * p / r0).sqrt();
    for (f, orient) in [(fr * 1.01, 1.0), (fr * 0.995, -1.0)] {
        let inst = format!("ross_res fres={fr} orient={orient}");
        let v = vdc(&model_file("ross2023.model"), &inst, irf, f, r0, fr);
        let kernel = 2.0 * al * fr * (f - fr) / ((al * fr).powi(2) + (f - fr).powi(2)) * ksd * p;
        let (w, wr) = (2.0 * PI * f, 2.0 * PI * fr);
        let g = al * wr;
        let s = w + wr;
        let exact = orient * (kernel - p * ksd * 2.0 * g * s / (g * g + s * s));
        eprintln!(
            "Ross resonator f = {f:e}, orient {orient}: V_dc = {:.6e} V, kernel {:.6e} V, exact (4.7) {:.6e} V",
            v,
            orient * kernel,
            exact
        );
        assert!((v - exact).abs() < 1e-3 * ksd * p);
    }
}
