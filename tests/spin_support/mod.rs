//! Helpers for the spintronic device tests: running netlists, extracting
//! frequency and decay of a ringdown, resampling and averaging, and the
//! independent closed-form oracles of `docs/physics/oracles.md`
//! (implemented here from the formulas, not taken from the simulator).
#![allow(dead_code)]

use spinspice::analysis::run::simulate_str;
use spinspice::output::memory::{MemAnalysis, MemorySink};
use spinspice::output::AnalysisKind;

/// CODATA 2018 constants (oracles.md uses the same set).
pub const MU0: f64 = 1.256_637_062_12e-6;
pub const GAMMA: f64 = 1.760_859_630_23e11;
pub const HBAR: f64 = 1.054_571_817e-34;
pub const QE: f64 = 1.602_176_634e-19;
pub const KB: f64 = 1.380_649e-23;
pub const TAU: f64 = std::f64::consts::TAU;

/// Run a netlist; panics with the diagnostics on failure.
pub fn run(netlist: &str) -> MemorySink {
    let (sink, summary) = simulate_str(netlist, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink
}

/// The transient table of a run (first one).
pub fn tran(sink: &MemorySink) -> &MemAnalysis {
    sink.analysis(AnalysisKind::Tran).expect("no transient")
}

/// Column by name (panics with the list of names if absent).
pub fn col<'a>(a: &'a MemAnalysis, name: &str) -> &'a [f64] {
    a.signal(name).unwrap_or_else(|| {
        panic!(
            "no signal {name} in {:?}",
            a.info.signals.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

/// Least-squares line y = a + b x; returns (a, b).
pub fn linreg(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    let b = sxy / sxx;
    (my - b * mx, b)
}

/// Cubic (4-point Lagrange) interpolation of (t, y) at `tq`, using the four
/// samples around it.
pub fn interp(t: &[f64], y: &[f64], tq: f64) -> f64 {
    let k = t.partition_point(|v| *v <= tq).clamp(2, t.len() - 2) - 1;
    let idx = [k - 1, k, k + 1, k + 2];
    let mut s = 0.0;
    for &j in &idx {
        let mut w = 1.0;
        for &i in &idx {
            if i != j {
                w *= (tq - t[i]) / (t[j] - t[i]);
            }
        }
        s += w * y[j];
    }
    s
}

/// Roots of the cubic through 4 samples (k−1 … k+2) in [t_k, t_{k+1}]
/// found by bisection + Newton on the interpolant (y changes sign there).
fn cubic_root(t: &[f64], y: &[f64], k: usize) -> f64 {
    let (mut a, mut b) = (t[k], t[k + 1]);
    let f = |x: f64| interp(t, y, x);
    let (mut fa, _fb) = (f(a), f(b));
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        let fm = f(m);
        if (fm > 0.0) == (fa > 0.0) {
            a = m;
            fa = fm;
        } else {
            b = m;
        }
        if b - a < 1e-9 * (t[k + 1] - t[k]) {
            break;
        }
    }
    0.5 * (a + b)
}

/// Zero crossings of y(t) in [t0, t1] (cubic interpolation between samples).
pub fn crossings(t: &[f64], y: &[f64], t0: f64, t1: f64) -> Vec<f64> {
    let mut v = Vec::new();
    for k in 1..t.len().saturating_sub(2) {
        if t[k] < t0 || t[k + 1] > t1 {
            continue;
        }
        if y[k] == 0.0 || (y[k] > 0.0) != (y[k + 1] > 0.0) {
            v.push(cubic_root(t, y, k));
        }
    }
    v
}

/// Local extrema (time, |value|) of y in [t0, t1]: the derivative of the
/// cubic interpolant is zeroed by bisection between samples where the
/// discrete slope changes sign.
pub fn extrema(t: &[f64], y: &[f64], t0: f64, t1: f64) -> Vec<(f64, f64)> {
    let mut v = Vec::new();
    for k in 2..t.len().saturating_sub(3) {
        if t[k - 1] < t0 || t[k + 1] > t1 {
            continue;
        }
        let d1 = y[k] - y[k - 1];
        let d2 = y[k + 1] - y[k];
        if d1 * d2 < 0.0 {
            // maximize |interp| on [t_{k−1}, t_{k+1}] by golden-section search
            let s = if y[k] > 0.0 { 1.0 } else { -1.0 };
            let g = |x: f64| s * interp(t, y, x);
            let (mut a, mut b) = (t[k - 1], t[k + 1]);
            let r = 0.5 * (5f64.sqrt() - 1.0);
            let mut c = b - r * (b - a);
            let mut d = a + r * (b - a);
            for _ in 0..100 {
                if g(c) > g(d) {
                    b = d;
                } else {
                    a = c;
                }
                c = b - r * (b - a);
                d = a + r * (b - a);
            }
            let x = 0.5 * (a + b);
            v.push((x, g(x)));
        }
    }
    v
}

/// Frequency [Hz] and decay rate [1/s] of a damped oscillation y(t) over
/// [t0, t1]: the half-period from a linear fit of the zero-crossing times,
/// the decay from a linear fit of ln|extremum| vs its time (exact for
/// A e^{−Γt} cos(ωt + φ): extrema are π/ω apart and scale as e^{−Γt}).
pub fn ringdown_fit(t: &[f64], y: &[f64], t0: f64, t1: f64) -> (f64, f64) {
    let z = crossings(t, y, t0, t1);
    assert!(z.len() > 10, "only {} zero crossings", z.len());
    let n: Vec<f64> = (0..z.len()).map(|k| k as f64).collect();
    let (_, half) = linreg(&n, &z);
    let ex = extrema(t, y, t0, t1);
    assert!(ex.len() > 10, "only {} extrema", ex.len());
    let tx: Vec<f64> = ex.iter().map(|e| e.0).collect();
    let lx: Vec<f64> = ex.iter().map(|e| e.1.ln()).collect();
    let (_, slope) = linreg(&tx, &lx);
    (1.0 / (2.0 * half), -slope)
}

/// Damped linear mode of the LLG at stiffness fields H1, H2 (oracles.md
/// Eq. A2–A3): (ω_d [rad/s], Γ [1/s]).
pub fn damped_mode(g0: f64, alpha: f64, h1: f64, h2: f64) -> (f64, f64) {
    let a2 = 1.0 + alpha * alpha;
    let gam = alpha * g0 * (h1 + h2) / (2.0 * a2);
    let wd = g0 * (4.0 * a2 * h1 * h2 - alpha * alpha * (h1 + h2).powi(2)).sqrt() / (2.0 * a2);
    (wd, gam)
}

/// Damping extracted from a measured (ω_d, Γ) (oracles.md Eq. A4).
pub fn alpha_from(wd: f64, gam: f64, h1: f64, h2: f64) -> f64 {
    let r = gam / wd;
    2.0 * r * (h1 * h2).sqrt() / ((h1 + h2).powi(2) * (1.0 + r * r) - 4.0 * r * r * h1 * h2).sqrt()
}

/// Mean of y over [t_end − n·T, t_end] from a cubic resampling on a uniform
/// grid of 64 points per period T (spectrally accurate for periodic signals).
pub fn period_mean(t: &[f64], y: &[f64], f: f64, nper: usize) -> f64 {
    let per = 1.0 / f;
    let tend = *t.last().unwrap();
    let t0 = tend - nper as f64 * per;
    let n = 64 * nper;
    (0..n)
        .map(|k| interp(t, y, t0 + (k as f64) * per / 64.0))
        .sum::<f64>()
        / n as f64
}

/// Complex amplitude (of cos and sin) of the fundamental at f over the last
/// n periods: y ≈ c cos(2πft) + s sin(2πft).
pub fn fundamental(t: &[f64], y: &[f64], f: f64, nper: usize) -> (f64, f64) {
    let per = 1.0 / f;
    let tend = *t.last().unwrap();
    let t0 = tend - nper as f64 * per;
    let n = 64 * nper;
    let (mut c, mut s) = (0.0, 0.0);
    for k in 0..n {
        let tk = t0 + (k as f64) * per / 64.0;
        let v = interp(t, y, tk);
        c += v * (TAU * f * tk).cos();
        s += v * (TAU * f * tk).sin();
    }
    (2.0 * c / n as f64, 2.0 * s / n as f64)
}

/// ST-FMR rectified voltage of an MTJ with m0 = ẑ, p = p_x x̂, zero DC bias,
/// angular resistance law (oracles.md Eq. B1–B3, derived there from the
/// linearized Gilbert equation):
/// - `hx, hy`: total transverse drive per ampere [A/m/A] (Eq. B1: Oersted +
///   p_x·b₁ and p_x·a₁, with a₁, b₁ the Gilbert damping-like and field-like
///   amplitudes per ampere);
/// - H_X = H0 + N_x Ms, H_Y = H0 + N_y Ms, H0 = H_z + H_K − N_z Ms.
#[allow(clippy::too_many_arguments)]
pub fn stfmr_vdc(
    f: f64,
    irf: f64,
    g0: f64,
    alpha: f64,
    hxx: f64,
    hyy: f64,
    px: f64,
    dr: f64,
    hx: f64,
    hy: f64,
) -> f64 {
    let w = TAU * f;
    let (wx, wy) = (g0 * hxx, g0 * hyy);
    let dre = wx * wy - (1.0 + alpha * alpha) * w * w;
    let dim = alpha * w * (wx + wy);
    let d2 = dre * dre + dim * dim;
    -(px * dr / 4.0)
        * irf
        * irf
        * g0
        * (hy * alpha * w * w * (wx + wy) + hx * (wy * dre + alpha * alpha * w * w * (wx + wy)))
        / d2
}

// ---------------------------------------------------------------- ST-FMR card

/// The ST-FMR card of oracles.md §b (a [001] MgO junction, m0 = ẑ).
pub const ST_MS: f64 = 9.5e5;
pub const ST_KU: f64 = 5.45e5;
pub const ST_N: [f64; 3] = [0.013004, 0.047318, 0.939679];
pub const ST_AREA: f64 = 7.0686e-15;
pub const ST_T: f64 = 1.63e-9;
pub const ST_ALPHA: f64 = 0.02;

/// The ST-FMR `.model mz` card with `extra` parameters.
pub fn st_card(extra: &str) -> String {
    format!(
        ".model mz mtj (ms={ST_MS} alpha={ST_ALPHA} ku={ST_KU} kax=0 kay=0 kaz=1 nx={} ny={} nz={} \
area={ST_AREA} tfl={ST_T} rp=640 rap=1200 px=-1 py=0 pz=0 eta=0.66 eff=const torque=gilbert {extra})",
        ST_N[0], ST_N[1], ST_N[2]
    )
}

/// (f_d [Hz], Γ [1/s], H_X, H_Y, a₁) of the ST-FMR card (oracles.md §b).
pub fn st_oracle() -> (f64, f64, f64, f64, f64) {
    let g0 = GAMMA * MU0;
    let hk = 2.0 * ST_KU / (MU0 * ST_MS);
    let h0 = hk - ST_N[2] * ST_MS;
    let (hx, hy) = (h0 + ST_N[0] * ST_MS, h0 + ST_N[1] * ST_MS);
    // sweep centre: the damped mode frequency ω_d (Eq. A3), as in the table
    let (wd, gam) = damped_mode(g0, ST_ALPHA, hx, hy);
    let fr = wd / TAU;
    let a1 = HBAR * 0.33 / (QE * MU0 * ST_MS * ST_AREA * ST_T);
    (fr, gam, hx, hy, a1)
}
