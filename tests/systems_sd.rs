//! Issue 5 items 1–2: the spin-diode measurement and the RF multiply-and-
//! accumulate chains, run from the netlists in `netlists/` and checked against
//! independent truths computed here (docs/physics/systems.md items 1–2):
//!
//! - item 1 (`spin_diode_measurement.cir`): seed 000 Eq. 4 and its exact causal
//!   completion P[W(f) + W(−f)] (devices.md Eq. 4.6), with P the power the
//!   device absorbs, computed by phasor analysis of the source/bias-tee network;
//!   linearity in P.
//! - item 2a (`rf_mac_chain.cir`): Σ_k Σ_i ½Re[H_k(ω_i)]|Î_i|² (devices.md Eq.
//!   4.4; diagonal part = seed 000 Eq. 7–8), and the beat ripple of windowed
//!   averages shorter than 1/Δf against the analytic rectified waveform.
//! - item 2b/2c (`amr_synapse_chain.cir`): seed 002 Eq. 3.1 (R = M R_syn/P = 50 Ω)
//!   and the frequency profile of a chain of double-diode AMR synapses against the
//!   linearised LLG of devices.md Eq. 2.2 (block means of the diode voltages).
//! - item 2d (`amr_convolution.cir`): seed 002 Eq. 4.1 — linearity, superposition
//!   and a 2×2 convolution by three chains against Σ w_ij P from calibration runs.

// Parallel arrays (tones, powers, detunings) read best indexed.
#![allow(clippy::needless_range_loop)]

mod common;

use num_complex::Complex64 as C;
use spinspice::output::memory::MemorySink;
use spinspice::output::AnalysisKind;
use spinspice::sweep::exec::{SaveMode, SweepOptions};
use spinspice::sweep::grid::parse_cli_step;
use std::f64::consts::PI;
use std::path::Path;

// ------------------------------------------------------------------ helpers

/// Runs `netlists/<file>` (includes resolved from `netlists/`) with `--step`
/// axes `steps` and `--param` pins `params`, in memory, on 2 threads.
fn run_netlist(file: &str, steps: &[&str], params: &[(&str, f64)], save: SaveMode) -> MemorySink {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists");
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sm = spinspice::diag::SourceMap::new();
    let parsed = spinspice::netlist::parse_str(path.to_str().unwrap(), &text, &dir, &mut sm)
        .unwrap_or_else(|d| {
            panic!(
                "{}",
                d.iter()
                    .map(|x| x.short(&sm))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    let (sink, summary) = common::run_in_memory(
        parsed.netlist,
        &text,
        params.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        steps.iter().map(|s| parse_cli_step(s).unwrap()).collect(),
        SweepOptions {
            jobs: 2,
            save,
            ..Default::default()
        },
    )
    .unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(|x| x.short(&sm))
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink
}

/// The values of measure `name`, one per point in point order.
fn measures(sink: &MemorySink, name: &str) -> Vec<f64> {
    sink.measures
        .iter()
        .filter(|m| m.name.eq_ignore_ascii_case(name))
        .map(|m| {
            m.value
                .clone()
                .unwrap_or_else(|e| panic!("measure {name}: {e}"))
        })
        .collect()
}

/// The value of swept parameter `name` at every point.
fn axis(sink: &MemorySink, name: &str) -> Vec<f64> {
    let st = sink.steps.as_ref().expect("a sweep");
    let j = st.params.iter().position(|p| p == name).unwrap();
    st.values.iter().map(|v| v[j]).collect()
}

fn par(a: C, b: C) -> C {
    a * b / (a + b)
}

// ------------------------------------------------- behavioural resonator

/// Leroux resonator card (models/leroux.model, seed 000 Methods).
const ALPHA: f64 = 0.01;
const A_SENS: f64 = 1.0; // 𝒜 = 1 µV/µW = 1 V/W
const R0: f64 = 50.0;

/// Transfer function δR̂ = H(ω) Î of the YSD resonator (devices.md Eq. 4.4, ψ = 90°).
fn h_res(f: f64, fr: f64) -> C {
    let (w, wr) = (2.0 * PI * f, 2.0 * PI * fr);
    let g = ALPHA * wr;
    let e = C::new(0.0, 1.0);
    R0 * A_SENS * w * (e / (g + C::new(0.0, w - wr)) - e.conj() / (g + C::new(0.0, w + wr)))
}

/// Seed 000 Eq. 4: W(f, f_r) = 𝒜 f (f − f_r)/(α² f_r² + (f − f_r)²).
fn w_eq4(f: f64, fr: f64) -> f64 {
    A_SENS * f * (f - fr) / (ALPHA * ALPHA * fr * fr + (f - fr) * (f - fr))
}

// ------------------------------------------------------------------ item 1

/// The device current phasor of `spin_diode_measurement.cir` for a 1 V EMF:
/// 50 Ω source, Cb = 100 pF, device R0 ∥ (choke 1 µH + (100 pF ∥ 1 MΩ)).
fn item1_idev(f: f64) -> C {
    let jw = C::new(0.0, 2.0 * PI * f);
    let zl = jw * 1e-6 + par(1.0 / (jw * 100e-12), C::new(1e6, 0.0));
    let zpar = par(C::new(R0, 0.0), zl);
    let it = 1.0 / (50.0 + 1.0 / (jw * 100e-12) + zpar);
    it * zpar / R0
}

/// Item 1: V_dc(f, P) at the DC port against P_dev[W(f) + W(−f)] to 0.1 % of
/// the peak; against seed 000 Eq. 4 the difference is the mirror term P·W(−f)
/// (≈ 1 % of the peak) to within that bound; V ∝ P.
#[test]
fn item1_spin_diode_measurement() {
    let sink = run_netlist(
        "spin_diode_measurement.cir",
        &[
            "p list 0.2u 0.6u 1u",
            "f list 0.95g 0.9901g 1g 1.0101g 1.03g",
        ],
        &[],
        SaveMode::None,
    );
    let (vdc, ps, fs) = (measures(&sink, "vdc"), axis(&sink, "p"), axis(&sink, "f"));
    assert_eq!(vdc.len(), 15);
    let peak1 = A_SENS * (ALPHA + (1.0 + ALPHA * ALPHA).sqrt()) / (2.0 * ALPHA); // V/W
    let (mut worst_exact, mut worst_eq4) = (0.0f64, 0.0f64);
    for k in 0..vdc.len() {
        let (p, f) = (ps[k], fs[k]);
        let vs = (8.0 * 50.0 * p).sqrt(); // EMF for available power p
        let i = item1_idev(f) * vs;
        let pdev = 0.5 * R0 * i.norm_sqr();
        // DC port: the device EMF divided by R0 + 1 MΩ
        let div = 1e6 / (1e6 + R0);
        let exact = 0.5 * h_res(f, 1e9).re * i.norm_sqr() * div;
        let eq4 = pdev * w_eq4(f, 1e9);
        let peak = p * peak1;
        let (e1, e4) = ((vdc[k] - exact).abs() / peak, (vdc[k] - eq4).abs() / peak);
        eprintln!(
            "P = {:.1} uW (P_dev {:.4} uW) f = {:.4} GHz: V_dc {:+.4} uV, exact {:+.4} uV \
             ({:.3} % of peak), Eq. 4 {:+.4} uV ({:.3} %)",
            p * 1e6,
            pdev * 1e6,
            f / 1e9,
            vdc[k] * 1e6,
            exact * 1e6,
            100.0 * e1,
            eq4 * 1e6,
            100.0 * e4
        );
        worst_exact = worst_exact.max(e1);
        // Eq. 4 leaves out the mirror term P·W(−f) of the causal device (devices.md
        // §4.3; ≈ 0.99 % of the peak near f_r): the difference from Eq. 4 is that term,
        // to within the 0.1 % bound above.
        let mirror = (pdev * w_eq4(-f, 1e9)).abs() / peak;
        worst_eq4 = worst_eq4.max(e4 - mirror);
    }
    assert!(worst_exact < 1e-3, "vs Eq. 4.6: {worst_exact}");
    assert!(worst_eq4 < 1e-3, "vs seed 000 Eq. 4 + mirror: {worst_eq4}");
    // Linear in P: V/P at 0.2 and 0.6 µW equals V/P at 1 µW (to 0.1 % of the peak).
    for j in 0..5 {
        let (v02, v06, v1) = (vdc[3 * j], vdc[3 * j + 1], vdc[3 * j + 2]);
        assert!((v02 / 0.2 - v1).abs() < 1e-3 * peak1 * 1e-6, "{v02} {v1}");
        assert!((v06 / 0.6 - v1).abs() < 1e-3 * peak1 * 1e-6, "{v06} {v1}");
    }
    // The anti-Lorentzian: negative below, positive above f_r, extrema at
    // f_r(1 + α(α ∓ √(1+α²))) ([000] Eq. 4; devices.md §4.1).
    let at1uw = |j: usize| vdc[3 * j + 2];
    assert!(at1uw(1) < 0.0 && at1uw(3) > 0.0);
    assert!(at1uw(3) > at1uw(4) && at1uw(1) < at1uw(0));
}

// ---------------------------------------------------------------- item 2a

/// Tones, nominal powers and detunings of `rf_mac_chain.cir` (networks.py chain).
const MAC_F: [f64; 4] = [1.0e9, 1.2e9, 1.4e9, 1.6e9];
const MAC_P: [f64; 4] = [0.3e-6, 1.0e-6, 0.6e-6, 0.8e-6];
const MAC_Z: [f64; 4] = [-0.01, 0.005, 0.01, -0.02];

/// Chain current phasor of `rf_mac_chain.cir` per volt of EMF of the source at
/// `f`: 50 Ω generator → 5-port star combiner (arms 200/6 Ω, the other three
/// inputs terminated by their generators) → Cb 100 pF → chain 4·R0 ∥ (choke
/// 1 µH + 100 pF ∥ 1 MΩ).
fn mac_ichain(f: f64) -> C {
    let jw = C::new(0.0, 2.0 * PI * f);
    let arm = 200.0 / 6.0;
    let zch = jw * 1e-6 + par(1.0 / (jw * 100e-12), C::new(1e6, 0.0));
    let zload = arm + 1.0 / (jw * 100e-12) + par(C::new(4.0 * R0, 0.0), zch);
    let zeq = par(C::new((50.0 + arm) / 3.0, 0.0), zload);
    let vx = zeq / (50.0 + arm + zeq);
    vx / zload * zch / (4.0 * R0 + zch)
}

/// Î_i of each tone in the chain (SIN sources: V sin ωt = Re[−iV e^{iωt}]).
fn mac_currents() -> [C; 4] {
    let kv = (2.0f64 / 50.0).sqrt() / 9.8397e-4; // the netlist's EMF per √W
    let mut out = [C::new(0.0, 0.0); 4];
    for i in 0..4 {
        out[i] = C::new(0.0, -kv * MAC_P[i].sqrt()) * mac_ichain(MAC_F[i]);
    }
    out
}

/// Item 2a: the chain voltage against Σ_k Σ_i ½Re[H_k(ω_i)]|Î_i|² (seed 000
/// Eq. 8 + every neighbour overlap, devices.md Eq. 4.4) within 2 % (issue 5)
/// — measured far closer; and the windowed averages of the rectified voltage
/// against the analytic rectified waveform: windows of k/Δf give the DC value,
/// shorter windows carry the beat ripple.
#[test]
fn item2a_mac_chain_and_beat_ripple() {
    let sink = run_netlist("rf_mac_chain.cir", &[], &[], SaveMode::All);
    let cur = mac_currents();
    let fres: Vec<f64> = (0..4).map(|k| MAC_F[k] * (1.0 - MAC_Z[k])).collect();
    // exact DC: Σ_k Σ_i ½ Re[H_k(ω_i)] |Î_i|²
    let mut exact = 0.0;
    let (mut diag, mut onesided) = (0.0, 0.0);
    for k in 0..4 {
        for i in 0..4 {
            exact += 0.5 * h_res(MAC_F[i], fres[k]).re * cur[i].norm_sqr();
            let pi = 0.5 * R0 * cur[i].norm_sqr();
            onesided += pi * w_eq4(MAC_F[i], fres[k]);
            if i == k {
                diag += pi * w_eq4(MAC_F[i], fres[k]);
                // seed 000 Eq. 7: W(f, f(1−ζ)) = ζ𝒜/(α²(1−ζ)² + ζ²)
                let z = MAC_Z[k];
                let eq7 = z * A_SENS / (ALPHA * ALPHA * (1.0 - z) * (1.0 - z) + z * z);
                assert!((w_eq4(MAC_F[k], fres[k]) - eq7).abs() < 1e-9 * eq7.abs());
            }
        }
    }
    let (vdc, vrect) = (measures(&sink, "vdc")[0], measures(&sink, "vrect")[0]);
    let div = 1e6 / (1e6 + 4.0 * R0);
    eprintln!(
        "P_i = {:?} uW; Eq. 8 diagonal {:.4} uV, + one-sided overlap {:.4} uV, device-exact {:.4} uV \
         (DC port {:.4} uV); simulated DC port {:.4} uV ({:+.3} %), rectified probe {:.4} uV ({:+.3} %)",
        cur.map(|i| (0.5 * R0 * i.norm_sqr() * 1e6 * 1e4).round() / 1e4),
        diag * 1e6,
        onesided * 1e6,
        exact * 1e6,
        exact * div * 1e6,
        vdc * 1e6,
        100.0 * (vdc / (exact * div) - 1.0),
        vrect * 1e6,
        100.0 * (vrect / exact - 1.0)
    );
    assert!(
        (vdc - exact * div).abs() < 0.02 * exact,
        "2 %: {vdc} vs {exact}"
    );
    assert!(
        (vdc - exact * div).abs() < 2e-3 * exact,
        "0.2 %: {vdc} vs {exact}"
    );
    assert!((vrect - exact).abs() < 2e-3 * exact, "{vrect} vs {exact}");

    // ---- beat ripple: windowed averages of v(rect) vs the analytic waveform
    let tr = sink.analysis(AnalysisKind::Tran).unwrap();
    let (t, v) = (&tr.sweep, tr.signal("v(rect)").unwrap());
    let cumint = {
        let mut c = vec![0.0; t.len()];
        for n in 1..t.len() {
            c[n] = c[n - 1] + 0.5 * (v[n] + v[n - 1]) * (t[n] - t[n - 1]);
        }
        c
    };
    let integral_to = |x: f64| -> f64 {
        let n = t.partition_point(|&s| s <= x).clamp(1, t.len() - 1);
        let (t0, t1) = (t[n - 1], t[n]);
        let u = (x - t0) / (t1 - t0);
        let vx = v[n - 1] + u * (v[n] - v[n - 1]);
        cumint[n - 1] + 0.5 * (v[n - 1] + vx) * (x - t0)
    };
    let sim_avg = |a: f64, b: f64| (integral_to(b) - integral_to(a)) / (b - a);
    // v_rect(t) = Σ_i Re[Ĥ_i Î_i e^{iω_i t}] · Σ_j Re[Î_j e^{iω_j t}], Ĥ_i = Σ_k H_k(ω_i)
    let hsum: Vec<C> = (0..4)
        .map(|i| (0..4).map(|k| h_res(MAC_F[i], fres[k])).sum())
        .collect();
    let ana_avg = |a: f64, b: f64| -> f64 {
        let mut s = 0.0;
        let avg = |c: C, om: f64| -> f64 {
            if om == 0.0 {
                c.re
            } else {
                let e = |x: f64| C::new(0.0, om * x).exp();
                (c * (e(b) - e(a)) / C::new(0.0, om * (b - a))).re
            }
        };
        for i in 0..4 {
            let ai = hsum[i] * cur[i];
            for j in 0..4 {
                let (wi, wj) = (2.0 * PI * MAC_F[i], 2.0 * PI * MAC_F[j]);
                s += 0.5 * avg(ai * cur[j].conj(), wi - wj) + 0.5 * avg(ai * cur[j], wi + wj);
            }
        }
        s
    };
    let t_end = *t.last().unwrap();
    let period = 1.0 / 200e6; // 1/Δf
    let mut worst_dev = 0.0f64;
    let mut worst_err = 0.0f64;
    for (wfrac, starts) in [(0.2, 12), (0.5, 12), (1.0, 4), (2.0, 4), (0.35, 12)] {
        let w = wfrac * period;
        for s in 0..starts {
            let a = t_end - 2.0 * period - w + s as f64 * period / starts as f64;
            let (sv, av) = (sim_avg(a, a + w), ana_avg(a, a + w));
            let err = (sv - av).abs() / exact;
            worst_err = worst_err.max(err);
            let whole = wfrac.fract() == 0.0;
            if whole {
                // whole beat periods: the DC value, whatever the start
                assert!((av - exact).abs() < 1e-9 * exact);
                assert!(
                    (sv - exact).abs() < 3e-3 * exact,
                    "w = {w}: {sv} vs {exact}"
                );
            } else {
                worst_dev = worst_dev.max((av - exact).abs() / exact);
            }
        }
    }
    eprintln!(
        "beat ripple: windows shorter than 1/df deviate from the DC value by up to {:.1} % \
         (analytic); simulated window averages match the analytic ones within {:.3} % of V_dc \
         ({:.3} % of that excursion)",
        100.0 * worst_dev,
        100.0 * worst_err,
        100.0 * worst_err / worst_dev
    );
    assert!(worst_dev > 0.2, "the beat ripple is visible: {worst_dev}");
    // The short-window averages hold the carrier and sum-frequency residues
    // (mV-scale tones, ≈ 30× V_dc): compare on the scale of the excursion.
    assert!(
        worst_err < 1e-2 * worst_dev,
        "window averages vs analytic: {worst_err} (excursion {worst_dev})"
    );
}

// ---------------------------------------------------------- items 2b, 2c

/// models/py_amr_5x10.model (seed 002 ch. 2; parameters.md §2).
const MU0: f64 = 1.25663706212e-6;
const AMR_BM: f64 = 0.968; // µ0 M_eff [T]
const AMR_GP: f64 = 29.4e9; // γ/2π [Hz/T]
const AMR_ALPHA: f64 = 0.01;
const AMR_K: f64 = 6e4; // Oersted field per ampere [A/m/A]
const AMR_R0: f64 = 100.0;
const AMR_DR: f64 = 0.5;
/// Magnet gradient [T/µm] (seed 002 §3.4.2).
const GRAD: f64 = 13.87e-6;
/// Synapse resonance frequencies (seed 002 §3.6).
const SYN_F: [f64; 4] = [1.75e9, 2.25e9, 2.75e9, 3.25e9];
/// Table 3.1, chain 0: δz [µm].
const DZ0: [f64; 4] = [-43.0, -75.0, -47.0, 51.0];

/// Kittel resonance field [T] of frequency f: f = γ' √(B(B + µ0M_eff)).
fn bres(f: f64) -> f64 {
    let x = f / AMR_GP;
    (-AMR_BM + (AMR_BM * AMR_BM + 4.0 * x * x).sqrt()) / 2.0
}

/// Open-circuit DC voltage of one AMR diode at field `b` [T], current
/// direction `phi0` [deg], carrying I cos ωt (devices.md Eq. 2.2, the
/// linearised LLG; seed 002 Eq. 2.10–2.11 corrected).
fn amr_vdc(f: f64, b: f64, phi0_deg: f64, i: f64) -> f64 {
    let g0 = 2.0 * PI * AMR_GP * MU0;
    let h = b / MU0;
    let (w1, w2) = (g0 * h, g0 * (h + AMR_BM / MU0));
    let w = 2.0 * PI * f;
    let d = C::new(
        w1 * w2 - (1.0 + AMR_ALPHA * AMR_ALPHA) * w * w,
        AMR_ALPHA * w * (w1 + w2),
    );
    let phi = phi0_deg.to_radians();
    let u = g0 * C::new(w2, AMR_ALPHA * w) * AMR_K * phi.cos() / d;
    0.5 * AMR_DR * (2.0 * phi).sin() * i * i * u.re
}

/// Diode resistance at rest (m ∥ x): R0 + ΔR cos²Φ0.
fn amr_r() -> f64 {
    AMR_R0 + AMR_DR * 0.5
}

/// Seed 002 Eq. 3.1: M blocks in series of P synapses in parallel, R_syn = two
/// diodes in parallel.
fn eq31(m: f64, p: f64) -> f64 {
    m * (amr_r() / 2.0) / p
}

/// The algebraic chain of `amr_synapse_chain.cir`: blocks {0, 1} and {2, 3},
/// each a mean over its 4 diodes (equal R, [002] Eq. 3.2) at I_chain/4.
fn amr_chain_model(f: f64, ichain: f64, dz: &[f64; 4]) -> f64 {
    let mut v = 0.0;
    for block in [[0usize, 1], [2, 3]] {
        let mut s = 0.0;
        for j in block {
            let (b, db) = (bres(SYN_F[j]), GRAD * dz[j]);
            s += amr_vdc(f, b + db / 2.0, 45.0, ichain / 4.0);
            s += amr_vdc(f, b - db / 2.0, -45.0, ichain / 4.0);
        }
        v += s / 4.0;
    }
    v
}

/// Chain current amplitude per volt of EMF: 50 Ω → Cb 100 pF → R_chain ∥
/// (choke 220 nH + 100 pF ∥ 1 MΩ).
fn amr_ichain(f: f64, rchain: f64) -> f64 {
    let jw = C::new(0.0, 2.0 * PI * f);
    let zch = jw * 220e-9 + par(1.0 / (jw * 100e-12), C::new(1e6, 0.0));
    let zp = par(C::new(rchain, 0.0), zch);
    let it = 1.0 / (50.0 + 1.0 / (jw * 100e-12) + zp);
    (it * zp / rchain).norm()
}

/// Items 2b and 2c: the series–parallel chain of four double-diode synapses is
/// at M·R_syn/P = 50.1 Ω (seed 002 Eq. 3.1), and its frequency profile (one
/// tone swept, Fig. 3.10 style) follows the algebraic chain of linearised
/// diodes; the profile's sign at each synapse frequency is the sign of its δz.
#[test]
fn item2bc_amr_chain_50_ohm_and_profile() {
    let fs = [
        1.6e9, 1.75e9, 2.0e9, 2.25e9, 2.5e9, 2.75e9, 3.0e9, 3.25e9, 3.4e9,
    ];
    let list = fs
        .iter()
        .map(|f| format!("{f}"))
        .collect::<Vec<_>>()
        .join(" ");
    let sink = run_netlist(
        "amr_synapse_chain.cir",
        &[&format!("f list {list}")],
        &[],
        SaveMode::None,
    );
    let (vdc, rch) = (measures(&sink, "vdc"), measures(&sink, "rchain"));
    // Eq. 3.1: N = 4, M = P = 2 → R_syn; series 4 R_syn, parallel R_syn/4
    let r31 = eq31(2.0, 2.0);
    eprintln!(
        "R_chain measured {:.4} Ohm (RF amplitude ratio), Eq. 3.1 {:.4} Ohm; series {:.1}, parallel {:.2}",
        rch[0],
        r31,
        eq31(4.0, 1.0),
        eq31(1.0, 4.0)
    );
    for r in &rch {
        assert!((r - r31).abs() < 1e-3 * r31, "{r} vs {r31}");
    }
    let p: f64 = 0.1e-3;
    let vs = (8.0 * 50.0 * p).sqrt();
    let div = 1e6 / (1e6 + r31);
    let model: Vec<f64> = fs
        .iter()
        .map(|&f| amr_chain_model(f, vs * amr_ichain(f, r31), &DZ0) * div)
        .collect();
    let scale = model.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let mut worst = 0.0f64;
    for k in 0..fs.len() {
        let e = (vdc[k] - model[k]).abs() / scale;
        worst = worst.max(e);
        eprintln!(
            "f = {:.3} GHz: V_chain {:+.4} uV, algebraic chain {:+.4} uV ({:.2} % of the profile max)",
            fs[k] / 1e9,
            vdc[k] * 1e6,
            model[k] * 1e6,
            100.0 * e
        );
    }
    assert!(worst < 1e-2, "profile vs the algebraic chain: {worst}");
    // the sign of the profile at f_j follows the sign of δz_j (common orientation)
    let s0 = (vdc[1] * DZ0[0]).signum();
    for (j, &f) in SYN_F.iter().enumerate() {
        let k = fs.iter().position(|&x| x == f).unwrap();
        assert_eq!((vdc[k] * DZ0[j]).signum(), s0, "synapse {j}");
    }
}

// ---------------------------------------------------------------- item 2d

/// Table 3.1 δz [µm] of chains (kernels) 0, 1, 2.
const KERNEL_DZ: [[f64; 4]; 3] = [
    [-43.0, -75.0, -47.0, 51.0],
    [-62.0, 64.0, -60.0, 62.0],
    [-63.0, -11.0, 82.0, 54.0],
];

/// The 5×5 image `img(r, c)` of `amr_convolution.cir`.
const IMG: [[f64; 5]; 5] = [
    [0.0, 0.0, 40.0, 200.0, 255.0],
    [0.0, 60.0, 220.0, 255.0, 255.0],
    [80.0, 230.0, 255.0, 120.0, 30.0],
    [240.0, 255.0, 100.0, 0.0, 0.0],
    [255.0, 90.0, 0.0, 0.0, 10.0],
];

/// Seed 002 Eq. 4.2 with the netlist's pmax = 40 mW (the thesis value).
fn pmax(f: f64) -> f64 {
    40e-3 * (-40.0 * 3.1 + 150.0) / (-40.0 * f / 1e9 + 150.0)
}

/// Chain current amplitude per volt of EMF of one generator of
/// `amr_convolution.cir`: 50 Ω → 5-port star combiner (arms 200/6 Ω) → 4-port
/// star splitter (arms 30 Ω) → three identical branches Cb 100 pF → R_chain ∥
/// (choke 220 nH + (100 pF ∥ (1 kΩ + 10 pF ∥ 1 MΩ))).
fn conv_ichain(f: f64, rch: f64) -> f64 {
    let jw = C::new(0.0, 2.0 * PI * f);
    let arm = 200.0 / 6.0;
    let zcf = par(1.0 / (jw * 10e-12), C::new(1e6, 0.0)) + 1e3;
    let zchoke = jw * 220e-9 + par(1.0 / (jw * 100e-12), zcf);
    let zport = par(C::new(rch, 0.0), zchoke);
    let zbranch = 30.0 + 1.0 / (jw * 100e-12) + zport;
    let zy = zbranch / 3.0 + 30.0 + arm; // seen from the combiner node x
    let zx = par(C::new((50.0 + arm) / 3.0, 0.0), zy);
    let vx = zx / (50.0 + arm + zx);
    let ib = vx / zy / 3.0;
    (ib * zport / rch).norm()
}

/// Item 2d: seed 002 Eq. 4.1 by three chains. Single-tone calibration runs give
/// the weights w_i^k (checked against the algebraic chains of devices.md Eq.
/// 2.2); a half-power tone gives half the voltage (linearity); four-tone
/// patches of the image give Σ_i w_i^k pix_i/255 (superposition, the [002]
/// Fig. 3.2 two-tone test generalised): the convolution.
#[test]
fn item2d_convolution_by_chains() {
    let r31 = eq31(2.0, 2.0);
    let div = 1e6 / (1e6 + 1e3 + r31);
    let fs = SYN_F;
    // calibration: one tone at pixel 255 (the netlist's `cal`), the others off
    let sink = run_netlist(
        "amr_convolution.cir",
        &["cal list 0 1 2 3"],
        &[("g", 0.0), ("h", 0.0)],
        SaveMode::None,
    );
    let mut w = [[0.0f64; 4]; 3];
    for (k, wk) in w.iter_mut().enumerate() {
        let v = measures(&sink, &format!("vk{k}"));
        wk.copy_from_slice(&v);
    }
    // and pixel (0,0) alone at 128
    let params = [
        ("g", 0.0),
        ("h", 0.0),
        ("pix0", 128.0),
        ("pix1", 0.0),
        ("pix2", 0.0),
        ("pix3", 0.0),
    ];
    let sink = run_netlist("amr_convolution.cir", &[], &params, SaveMode::None);
    let half: Vec<f64> = (0..3)
        .map(|k| measures(&sink, &format!("vk{k}"))[0])
        .collect();
    let mut worst_model = 0.0f64;
    for k in 0..3 {
        let model: Vec<f64> = (0..4)
            .map(|i| {
                let vs = (8.0 * 50.0 * pmax(fs[i])).sqrt();
                amr_chain_model(fs[i], vs * conv_ichain(fs[i], r31), &KERNEL_DZ[k]) * div
            })
            .collect();
        let scale = model.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for i in 0..4 {
            let e = (w[k][i] - model[i]).abs() / scale;
            worst_model = worst_model.max(e);
        }
        let norm: Vec<f64> = w[k].iter().map(|x| x / scale).collect();
        eprintln!(
            "kernel {k}: w = {:?} uV (algebraic chain {:?} uV); normalised {:?}",
            w[k].map(|x| (x * 1e9).round() / 1e3),
            model
                .iter()
                .map(|x| (x * 1e9).round() / 1e3)
                .collect::<Vec<_>>(),
            norm.iter()
                .map(|x| (x * 1e4).round() / 1e4)
                .collect::<Vec<_>>()
        );
        // linearity in the pixel value (power)
        let lin = (half[k] - w[k][0] * 128.0 / 255.0).abs() / scale;
        eprintln!(
            "kernel {k}: pixel 128 -> {:.4} uV, 128/255 w_00 = {:.4} uV",
            half[k] * 1e6,
            w[k][0] * 128.0 / 255.0 * 1e6
        );
        assert!(lin < 2e-3, "linearity kernel {k}: {lin}");
    }
    assert!(
        worst_model < 1e-2,
        "weights vs the algebraic chains: {worst_model}"
    );

    // four-tone patches: V_out,gh^k = Σ_ij w_ij^k P_{g+i,h+j} (Eq. 4.1)
    let sink = run_netlist(
        "amr_convolution.cir",
        &["h list 0 3", "g list 1 2"],
        &[],
        SaveMode::None,
    );
    let (gs, hs) = (axis(&sink, "g"), axis(&sink, "h"));
    let mut worst = 0.0f64;
    for k in 0..3 {
        let v = measures(&sink, &format!("vk{k}"));
        let scale = w[k].iter().fold(0.0f64, |a, x| a.max(x.abs()));
        for (n, vn) in v.iter().enumerate() {
            let (g, h) = (gs[n] as usize, hs[n] as usize);
            let pix = [IMG[g][h], IMG[g][h + 1], IMG[g + 1][h], IMG[g + 1][h + 1]];
            let pred: f64 = (0..4).map(|i| w[k][i] * pix[i] / 255.0).sum();
            let e = (vn - pred).abs() / scale;
            worst = worst.max(e);
            eprintln!(
                "kernel {k} patch ({g},{h}) pixels {pix:?}: chain {:+.4} uV, Eq. 4.1 {:+.4} uV ({:.2} % of w_max)",
                vn * 1e6,
                pred * 1e6,
                100.0 * e
            );
        }
    }
    assert!(worst < 1e-2, "convolution vs Eq. 4.1: {worst}");
}
