//! STNO (YSTNO) against the closed forms of docs/physics/oracles.md §d:
//! steady power p0 = (ξ−1)/(ξ+Q), relaxation rate 2Γ_G(ξ−1), frequency
//! ω0 + N p0, the injection-locking range (D3–D4) measured by sweeping the
//! drive frequency, the power-only level against the logistic closed form
//! (thesis Eq. 5.3), mutual locking of two STNOs on a shared line, and the
//! phase diffusion and amplitude variance of the noisy oscillator.
//! Every run goes through the whole pipeline (`simulate_str`).

use spinspice::analysis::run::simulate_str;
use spinspice::output::memory::{MemAnalysis, MemorySink};
use spinspice::output::AnalysisKind;
use std::f64::consts::PI;

/// Absolute path of a model card in `models/`.
fn model_file(name: &str) -> String {
    format!("{}/models/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(netlist: &str) -> MemorySink {
    let (sink, summary) = simulate_str(netlist, &[]).unwrap_or_else(|e| panic!("{e}\n{netlist}"));
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink
}

fn tran(sink: &MemorySink) -> &MemAnalysis {
    sink.analysis(AnalysisKind::Tran).expect("tran")
}

fn meas(sink: &MemorySink, name: &str) -> f64 {
    match sink.measure(name) {
        Some(Ok(v)) => *v,
        other => panic!("measure {name}: {other:?}"),
    }
}

/// Unwrapped phase φ = −arg c of the samples of `@x[cr]`, `@x[ci]`.
fn phase(a: &MemAnalysis, dev: &str) -> Vec<f64> {
    let cr = a.signal(&format!("@{dev}[cr]")).expect("cr");
    let ci = a.signal(&format!("@{dev}[ci]")).expect("ci");
    let mut out = Vec::with_capacity(cr.len());
    let mut prev = 0.0;
    for (k, (&r, &i)) in cr.iter().zip(ci).enumerate() {
        let raw = (-i).atan2(r);
        let v = if k == 0 {
            raw
        } else {
            prev + (raw - prev + PI).rem_euclid(2.0 * PI) - PI
        };
        out.push(v);
        prev = v;
    }
    out
}

/// Linear interpolation of samples (t, y) at `t0`.
fn interp(t: &[f64], y: &[f64], t0: f64) -> f64 {
    let k = t.partition_point(|&s| s < t0).clamp(1, t.len() - 1);
    let (ta, tb) = (t[k - 1], t[k]);
    y[k - 1] + (y[k] - y[k - 1]) * (t0 - ta) / (tb - ta)
}

/// Card of oracles.md §d.1–d.3 (`stno.py dc`).
const DC_CARD: &str =
    ".model osc STNO (f0=1g nshift=-200meg gammag={2*pi*10meg} ith=2m q=2 r0=100 drosc=10)";

/// Steady power and frequency at ξ = 1.5, 2, 4, reached from the seed
/// p = 1e-6 after a current step from below threshold.
#[test]
fn steady_power_and_frequency() {
    let (f0, n, q, ith) = (1e9, -200e6, 2.0, 2e-3);
    for xi in [1.5, 2.0, 4.0] {
        let p0 = (xi - 1.0) / (xi + q);
        let rate = 2.0 * 2.0 * PI * 10e6 * (xi - 1.0);
        // grow from 1e-6, settle for 15 relaxation times, then measure the
        // frequency over the last 250 ns
        let t_end = ((p0 / 1e-6f64).ln() + 15.0) / rate + 2e-9 + 250e-9;
        let i = xi * ith;
        let nl = format!(
            "stno steady\n{DC_CARD}\nI1 0 a PWL(0 0 1n 0 1.1n {i})\nYSTNO x1 a 0 osc\n\
             .options reltol=1e-5\n.tran 1n {t_end}\n\
             .meas tran p find @x1[p] at={t_end}\n\
             .meas tran ta when v(a)={v0} rise=1 td={td}\n\
             .meas tran tb when v(a)={v0} rise=201 td={td}\n.end\n",
            v0 = i * 100.0,
            td = t_end - 250e-9,
        );
        let s = run(&nl);
        let p = meas(&s, "p");
        let f = 200.0 / (meas(&s, "tb") - meas(&s, "ta"));
        let f_or = f0 + n * p0;
        eprintln!(
            "xi = {xi}: p = {p:.9} (oracle {p0:.9}, rel {:+.2e}); f = {f:.6e} Hz (oracle {f_or:.6e}, rel {:+.2e})",
            p / p0 - 1.0,
            f / f_or - 1.0
        );
        assert!((p / p0 - 1.0).abs() < 1e-3, "p = {p}, p0 = {p0}");
        assert!((f / f_or - 1.0).abs() < 1e-4, "f = {f}, oracle {f_or}");
    }
}

/// Frequency at the default tolerances (the accuracy a user gets without
/// options): the trapezoidal phase lag must stay below 0.1 %.
#[test]
fn frequency_at_default_tolerances() {
    let nl = format!(
        "stno default tol\n{DC_CARD}\nI1 0 a DC 4m\nYSTNO x1 a 0 osc\n.tran 1n 300n\n\
         .meas tran ta when v(a)=0.4 rise=1 td=50n\n\
         .meas tran tb when v(a)=0.4 rise=201 td=50n\n.end\n"
    );
    let s = run(&nl);
    let f = 200.0 / (meas(&s, "tb") - meas(&s, "ta"));
    let f_or = 1e9 - 200e6 * 0.25;
    eprintln!(
        "default tolerances: f = {f:.6e} (oracle {f_or:.6e}, rel {:+.2e})",
        f / f_or - 1.0
    );
    assert!((f / f_or - 1.0).abs() < 1e-3, "f = {f}");
}

/// Least-squares slope of ln|p − p∞| against t over [t0, t1].
fn decay_rate(t: &[f64], p: &[f64], p_inf: f64, t0: f64, t1: f64) -> f64 {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&ti, &pi) in t.iter().zip(p) {
        if ti >= t0 && ti <= t1 {
            let y = (pi - p_inf).abs().ln();
            n += 1.0;
            sx += ti;
            sy += y;
            sxx += ti * ti;
            sxy += ti * y;
        }
    }
    assert!(n > 50.0, "{n} points");
    -(n * sxy - sx * sy) / (n * sxx - sx * sx)
}

/// Relaxation of p toward p0 after a small current step ξ = 1.98 → 2, on the
/// phase-resolved level: rate 2Γ_G(ξ − 1) (oracles.md §d.2). The fit starts
/// after 3 relaxation times, where the nonlinear correction to the apparent
/// rate, −(p∞/p_i − 1)e^{−at} (from the exact logistic solution), is < 0.1 %.
#[test]
fn relaxation_rate() {
    let (gg, ith) = (2.0 * PI * 10e6, 2e-3);
    let xi = 2.0;
    let rate0 = 2.0 * gg * (xi - 1.0);
    let p_inf = (xi - 1.0) / (xi + 2.0);
    let t_step = 2e-9;
    let t_end = t_step + 9.0 / rate0;
    let nl = format!(
        "stno relaxation\n{DC_CARD}\nI1 0 a PWL(0 {ia} {t_step} {ia} {t2} {ib})\nYSTNO x1 a 0 osc\n\
         .save @x1[p]\n.options reltol=1e-5\n.tran 1n {t_end}\n.end\n",
        ia = 1.98 * ith,
        ib = xi * ith,
        t2 = t_step + 0.05e-9,
    );
    let s = run(&nl);
    let a = tran(&s);
    let p = a.signal("@x1[p]").expect("p");
    let rate = decay_rate(
        &a.sweep,
        p,
        p_inf,
        t_step + 3.0 / rate0,
        t_step + 8.0 / rate0,
    );
    eprintln!(
        "relaxation rate {rate:.6e} 1/s (oracle 2G(xi-1) = {rate0:.6e}, rel {:+.2e})",
        rate / rate0 - 1.0
    );
    assert!((rate / rate0 - 1.0).abs() < 0.02, "rate {rate} vs {rate0}");
}

/// Power-only level (level=2) against the exact logistic solution of
/// dp/dt = −2[Γ_G(1+Qp) − σI(1−p)]p for a constant current:
/// p(t) = p∞ / (1 + (p∞/p_i − 1) e^{−at}), a = 2Γ_G(ξ−1), p∞ = (ξ−1)/(ξ+Q).
/// Case 1: the thesis dynamical neuron (`models/plouet_dynamical.model`,
/// seed 002 Eq. 5.3, γ = 0.15/ns, input 0.5/ns ↔ 0.5 mA, steady state
/// 1 − γ/I = 0.7). Case 2: Q = 2 with the
/// 8 mA clamp of seed 000 (I = 12 mA acts as 8 mA: ξ = 4, p∞ = 0.5).
#[test]
fn power_level_closed_form() {
    struct Case {
        card: &'static str,
        i: f64,
        gg: f64,
        xi: f64,
        q: f64,
        t_end: f64,
    }
    let cases = [
        Case {
            card: "plouet_neuron",
            i: 0.5e-3,
            gg: 7.5e7,
            xi: 0.5e-3 / 0.15e-3,
            q: 0.0,
            t_end: 100e-9,
        },
        Case {
            card: "n gammag={2*pi*20meg}",
            i: 12e-3,
            gg: 2.0 * PI * 20e6,
            xi: 4.0,
            q: 2.0,
            t_end: 40e-9,
        },
    ];
    for c in &cases {
        let nl = format!(
            "power level\n.include {}\n\
             .model n STNO (level=2 ith=2m q=2 iclamp=8m)\n\
             I1 0 a DC {}\nYSTNO x1 a 0 {} pinit=0.01\n.save @x1[p]\n.tran 0.1n {} uic\n.end\n",
            model_file("plouet_dynamical.model"),
            c.i,
            c.card,
            c.t_end
        );
        let s = run(&nl);
        let a = tran(&s);
        let p = a.signal("@x1[p]").expect("p");
        let (pi, ar) = (0.01, 2.0 * c.gg * (c.xi - 1.0));
        let p_inf = (c.xi - 1.0) / (c.xi + c.q);
        let exact = |t: f64| p_inf / (1.0 + (p_inf / pi - 1.0) * (-ar * t).exp());
        let mut worst = 0.0f64;
        for (&t, &v) in a.sweep.iter().zip(p) {
            worst = worst.max((v - exact(t)).abs());
        }
        let last = *p.last().expect("points");
        eprintln!(
            "power level xi = {:.4}, Q = {}: max |p - exact| = {worst:.2e} over {} points; p(end) = {last:.6} (p_inf {p_inf:.6})",
            c.xi,
            c.q,
            p.len()
        );
        assert!(worst < 1e-3 * p_inf, "max error {worst}");
        assert!((last / p_inf - 1.0).abs() < 1e-3);
    }
}

/// The algebraic neuron: `.dc` sweep of the input current through the
/// seed 004-code neuron card (`models/ross2023.model`: I_th = 10 µA, Q = 2,
/// clamp 4 I_th): the DC state is p0(min(I, 40 µA)/I_th), zero below
/// threshold (pinit = 0 on the instance).
#[test]
fn algebraic_neuron_dc_sweep() {
    let nl = format!(
        ".include {}\nI1 0 a DC 0\nYSTNO x1 a 0 ross_neuron pinit=0\n\
         .save @x1[p] @x1[prf]\n.dc I1 0 60u 1u\n.end\n",
        model_file("ross2023.model")
    );
    let s = run(&format!("neuron\n{nl}"));
    let a = s.analysis(AnalysisKind::Dc).expect("dc");
    let p = a.signal("@x1[p]").expect("p");
    let prf = a.signal("@x1[prf]").expect("prf");
    for ((&i, &pv), &pr) in a.sweep.iter().zip(p).zip(prf) {
        let xi = i.min(40e-6) / 10e-6;
        let want = if xi > 1.0 {
            (xi - 1.0) / (xi + 2.0)
        } else {
            0.0
        };
        assert!((pv - want).abs() < 1e-12, "I = {i}: p = {pv}, want {want}");
        // matched-load RF power I²ΔR²p/(8R0) (devices.md §3.2)
        let want_p = i * i * 1e3 * want / 8.0;
        assert!((pr - want_p).abs() <= 1e-12 * want_p.max(1e-30));
    }
}

/// Locked when the phase of c relative to the drive slips by less than half a
/// turn over `n_meas` drive periods after `n_settle` (the criterion of
/// `tests/ref/stno.py`).
fn injection_locked(fe: f64, card: &str, n_settle: f64, n_meas: f64) -> (bool, f64) {
    let t1 = n_settle / fe;
    let t2 = (n_settle + n_meas) / fe;
    let nl = format!(
        "injection\n{card}\nI1 0 a SIN(4m 0.2m {fe})\nYSTNO x1 a 0 osc\n\
         .save @x1[cr] @x1[ci]\n.tran 1n {t2}\n.end\n"
    );
    let s = run(&nl);
    let a = tran(&s);
    let ph = phase(a, "x1");
    let we = 2.0 * PI * fe;
    let psi1 = interp(&a.sweep, &ph, t1) - we * t1;
    let psi2 = *ph.last().expect("points") - we * a.sweep.last().expect("t");
    let slips = (psi2 - psi1).abs() / (2.0 * PI);
    (slips < 0.5, slips)
}

/// Injection-locking range: bisection on the drive frequency for each edge,
/// against ΔΩ = (F/√p0)√(1+ν²), F = κ I_rf ω_e/(2ω0) (oracles.md §d.4, exact
/// edges ω_e± = ω_g/(1 ∓ r), Eq. D4). The full model (non-RWA drive,
/// parametric term) solved by scipy DOP853 gives a range 1.4 % wider than
/// (D4) for these values (same criterion, 300 + 3000 periods).
#[test]
fn injection_locking_range() {
    let (f0, nsh, gg, ith, q) = (1e9, -100e6, 2.0 * PI * 20e6, 2e-3, 2.0);
    let (idc, irf, kappa) = (4e-3, 0.2e-3, 9.8e10);
    let card = format!(
        ".model osc STNO (f0={f0} nshift={nsh} gammag={gg} ith={ith} q={q} r0=100 drosc=10 kinj={kappa})"
    );
    let w0 = 2.0 * PI * f0;
    let xi = idc / ith;
    let p0 = (xi - 1.0) / (xi + q);
    let nu = 2.0 * PI * nsh / (gg * (xi + q));
    let wg = w0 + 2.0 * PI * nsh * p0;
    let r = kappa * irf * (1.0 + nu * nu).sqrt() / (2.0 * w0 * p0.sqrt());
    let (lo, hi) = (wg / (1.0 + r) / (2.0 * PI), wg / (1.0 - r) / (2.0 * PI));
    let fg = wg / (2.0 * PI);
    let (n_settle, n_meas) = (300.0, 3000.0);
    let edge = |inside: f64, outside: f64| {
        assert!(injection_locked(inside, &card, n_settle, n_meas).0);
        let out = injection_locked(outside, &card, n_settle, n_meas);
        assert!(!out.0, "not unlocked at {outside} ({} slips)", out.1);
        let (mut a, mut b) = (inside, outside);
        for _ in 0..7 {
            let m = 0.5 * (a + b);
            if injection_locked(m, &card, n_settle, n_meas).0 {
                a = m;
            } else {
                b = m;
            }
        }
        0.5 * (a + b)
    };
    let lo_sim = edge(fg, fg - 1.5 * (fg - lo));
    let hi_sim = edge(fg, fg + 1.5 * (hi - fg));
    let ratio = (hi_sim - lo_sim) / (hi - lo);
    eprintln!(
        "locking edges: simulated {:.4} .. {:.4} MHz, analytic {:.4} .. {:.4} MHz; range ratio {ratio:.4}",
        lo_sim / 1e6,
        hi_sim / 1e6,
        lo / 1e6,
        hi / 1e6
    );
    assert!((ratio - 1.0).abs() < 0.05, "range ratio {ratio}");
}

/// Two STNOs in series on one line fed by a DC voltage through R_s: the RF
/// current of each drives the other through the injection term. With
/// χ = −π/2 and N = 0 the coupling is K e^{ib} c_other with b = 0 and
/// K = κ I_dc ΔR_osc/(2 R_tot), so they lock iff |ω_g1 − ω_g2| ≤ 2K
/// (oracles.md §d.5): here 2K/2π = 2.0 MHz. Mismatches of 0.5 MHz must lock,
/// 8 MHz must not.
#[test]
fn mutual_locking_close_and_far() {
    let kappa = 7.854e10;
    let (idc, dr, rtot) = (4e-3, 10.0, 250.0);
    let k = kappa * idc * dr / (2.0 * rtot);
    eprintln!("coupling 2K/2pi = {:.3} MHz", 2.0 * k / (2.0 * PI) / 1e6);
    let run_pair = |df: f64| -> (f64, f64, f64) {
        let nl = format!(
            "mutual\n.model o STNO (nshift=0 gammag={{2*pi*20meg}} ith=2m q=2 r0=100 drosc={dr} \
             kinj={kappa} chiinj={{-pi/2}})\n\
             V1 in 0 DC 1\nRs in a 50\nYSTNO x1 a b o f0={f1}\nYSTNO x2 b 0 o f0={f2}\n\
             .save @x1[cr] @x1[ci] @x2[cr] @x2[ci]\n.tran 1n 2u\n.end\n",
            f1 = 1e9 + df / 2.0,
            f2 = 1e9 - df / 2.0
        );
        let s = run(&nl);
        let a = tran(&s);
        let (p1, p2) = (phase(a, "x1"), phase(a, "x2"));
        let d: Vec<f64> = p1.iter().zip(&p2).map(|(x, y)| x - y).collect();
        let t0 = 1e-6;
        let slips = (d.last().expect("points") - interp(&a.sweep, &d, t0)).abs() / (2.0 * PI);
        let f1 = (p1.last().expect("p") - interp(&a.sweep, &p1, t0)) / (2.0 * PI * 1e-6);
        let f2 = (p2.last().expect("p") - interp(&a.sweep, &p2, t0)) / (2.0 * PI * 1e-6);
        (slips, f1, f2)
    };
    let (s_close, f1c, f2c) = run_pair(0.5e6);
    let (s_far, f1f, f2f) = run_pair(8e6);
    eprintln!(
        "0.5 MHz apart: {s_close:.3} relative slips in 1 us, f = {f1c:.6e} / {f2c:.6e}; \
         8 MHz apart: {s_far:.1} slips, f = {f1f:.6e} / {f2f:.6e}"
    );
    assert!(s_close < 0.05, "close pair not locked ({s_close} slips)");
    assert!(s_far > 3.0, "far pair locked ({s_far} slips)");
}

/// Thermal noise: with N = 0 the phase diffuses as
/// Var[φ(t+τ) − φ(t)] = D_n ∫ dt/p (oracles: devices.md §3.3 normalisation
/// ⟨ζζ*⟩ = 2D_n δ), and the power fluctuates with ⟨δp²⟩ = p0 D_n/Γ_p.
/// Two seeds; the estimators' statistical spread is ≈ 3 % (phase) and ≈ 5 %
/// (power) at one standard deviation.
#[test]
fn noise_phase_diffusion_and_power_variance() {
    let (gg, dn) = (2.0 * PI * 50e6, 2e6);
    let (xi, q) = (2.0, 2.0);
    let p0 = (xi - 1.0) / (xi + q);
    let gp = gg * (xi - 1.0);
    for seed in [1, 2] {
        let nl = format!(
            "noise\n.model o STNO (f0=1g nshift=0 gammag={gg} ith=2m q={q} r0=100 drosc=10 dn={dn} seed={seed})\n\
             I1 0 a DC 4m\nYSTNO x1 a 0 o\n.save @x1[cr] @x1[ci]\n.tran 25p 10.05u\n.end\n"
        );
        let s = run(&nl);
        let a = tran(&s);
        let ph = phase(a, "x1");
        let cr = a.signal("@x1[cr]").expect("cr");
        let ci = a.signal("@x1[ci]").expect("ci");
        let p: Vec<f64> = cr.iter().zip(ci).map(|(r, i)| r * r + i * i).collect();
        // windows of τ = 2 ns from t = 50 ns
        let tau = 2e-9;
        let (mut sum_d2, mut sum_int, mut nwin) = (0.0, 0.0, 0);
        let t_last = *a.sweep.last().expect("t");
        let mut t = 50e-9;
        let mut k = 0usize;
        while t + tau <= t_last {
            let d =
                interp(&a.sweep, &ph, t + tau) - interp(&a.sweep, &ph, t) - 2.0 * PI * 1e9 * tau;
            // ∫ dt/p over the window (trapezoids on the samples)
            while a.sweep[k + 1] <= t {
                k += 1;
            }
            let mut integral = 0.0;
            let mut j = k;
            while a.sweep[j] < t + tau {
                let (ta, tb) = (a.sweep[j].max(t), a.sweep[j + 1].min(t + tau));
                if tb > ta {
                    integral += (tb - ta) * 0.5 * (1.0 / p[j] + 1.0 / p[j + 1]);
                }
                j += 1;
            }
            sum_d2 += d * d;
            sum_int += integral;
            nwin += 1;
            t += tau;
        }
        let ratio_phase = sum_d2 / (dn * sum_int);
        // time-averaged power and its variance over the same span
        let mut tw = 0.0;
        let (mut a1, mut a2) = (0.0, 0.0);
        for j in 1..p.len() {
            if a.sweep[j - 1] >= 50e-9 {
                let dt = a.sweep[j] - a.sweep[j - 1];
                tw += dt;
                a1 += dt * 0.5 * (p[j] + p[j - 1]);
                a2 += dt * 0.5 * (p[j] * p[j] + p[j - 1] * p[j - 1]);
            }
        }
        let mean = a1 / tw;
        let var = a2 / tw - mean * mean;
        let var_or = p0 * dn / gp;
        eprintln!(
            "seed {seed}: {nwin} windows, Var(dphi)/(D_n int dt/p) = {ratio_phase:.4}; \
             <p> = {mean:.5} (p0 {p0}), Var p = {var:.4e} (oracle p0 D_n/G_p = {var_or:.4e}, ratio {:.3})",
            var / var_or
        );
        assert!(
            (ratio_phase - 1.0).abs() < 0.1,
            "phase diffusion ratio {ratio_phase}"
        );
        assert!(
            (var / var_or - 1.0).abs() < 0.15,
            "power variance ratio {}",
            var / var_or
        );
    }
}
