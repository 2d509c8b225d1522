//! Issue 5, item 4: the injection-locked spin diode and the DOR multiplier (seed 001, Mazza et
//! al., Phys. Rev. Applied 17, 014045 (2022), ../shared/seeds/001_bd8c313f551ed48f.txt).
//!
//! Runs `netlists/mazza_dor.cir` (the macrospin Mazza MTJ in a bias tee, 70.7 µA at 800 MHz,
//! `.step` over the DC bias) and checks, against truths that do not come from spinspice:
//! - locking: inside the locking range the first harmonic of m_x sits at the drive frequency with
//!   a constant phase; just above the threshold edge it free-runs at another frequency;
//! - V_dc(I_dc) against the scipy reference `tests/ref/mazza_dor.py`
//!   (`tests/ref/results/mazza_dor_800MHz.txt`) to 1 %;
//! - [001] Eq. 6 at the circuit level: the DC port voltage minus the ohmic drop equals
//!   (R_AP − R_P)/4 · dm_x · I_ac · cos φ with dm_x, φ, I_ac measured from the waveforms;
//! - V_dc(I_dc) is a parabola near the zero-phase point: the fit residual is below the first
//!   neglected Taylor term of cos φ, and the fitted curvature equals the one predicted from the
//!   measured phase slope and amplitude (the paper's a = −½ V_max m², extended for the measured
//!   slope of dm_x);
//! - the DOR multiplication ([001] Eq. 1, Sec. IV) over 200 random pairs: its correlation with
//!   F·G equals the one predicted analytically from the quadratic's vertex offset, and the
//!   macrospin reference value 98.4 ± 0.5 % (docs/physics/systems.md item 4; [001] reports
//!   99.93 % from micromagnetics, which a macrospin is not expected to reach).

mod common;

use spinspice::output::AnalysisKind;
use spinspice::sweep::exec::SweepOptions;
use std::path::Path;

/// Drive frequency and amplitude of the netlist ([001] Fig. 2(a)).
const FAC: f64 = 800e6;
const IAC: f64 = 70.7e-6;
/// Start of the averaging window and its length in RF periods (the netlist's tset, 160/fac).
const TSET: f64 = 450e-9;
const NPER: usize = 160;
/// Output samples per RF period (`.tran {1/(64*fac)}` with `.options interp`).
const SPP: usize = 64;
/// R_AP − R_P of the card ([001] Sec. II).
const DR: f64 = 1200.0 - 640.0;
/// DOR input span |I_dc,0 − I_dc,−1| ([001] Sec. IV; the reference's choice, systems.md item 4).
const SPAN: f64 = 0.04e-3;

/// One bias point: measures from the netlist and first harmonics from its waveforms.
#[derive(Debug, Clone)]
struct Point {
    idc: f64,
    /// rectified voltage of [001] Eq. 6 read at the DC port (`vmix`)
    vmix: f64,
    /// TONEFREQ of m_x
    fmx: f64,
    /// first-harmonic amplitude of m_x ([001]'s dm_x)
    dmx: f64,
    /// phase of R (i.e. of m_x) relative to the junction's RF current [rad]
    phi: f64,
    /// RF current amplitude through the junction
    iac: f64,
    /// peak-to-peak excursion of the per-period phase over the window [turns]
    slip: f64,
}

impl Point {
    fn locked(&self) -> bool {
        (self.fmx - FAC).abs() < 1e-5 * FAC && self.slip < 0.02
    }
}

fn run_netlist() -> Vec<Point> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("netlists/mazza_dor.cir");
    let text = std::fs::read_to_string(&path).expect("netlists/mazza_dor.cir");
    let mut sm = spinspice::diag::SourceMap::new();
    let parsed = spinspice::netlist::parse_str(
        "netlists/mazza_dor.cir",
        &text,
        &root.join("netlists"),
        &mut sm,
    )
    .unwrap_or_else(|e| panic!("parse: {e:?}"));
    let (sink, summary) = common::run_in_memory(
        parsed.netlist,
        &text,
        Vec::new(),
        Vec::new(),
        SweepOptions {
            jobs: 2,
            ..Default::default()
        },
    )
    .expect("run");
    assert!(summary.sweep, "the netlist sweeps idc");
    assert!(
        summary.failures.is_empty(),
        "failed points: {:?}",
        summary.failures
    );
    let steps = sink.steps.clone().expect("step info");
    assert_eq!(steps.params, ["idc"]);
    let n = steps.values.len();
    assert_eq!(n, 21, "idc = -0.150 … -0.250 mA by 5 µA");
    assert_eq!(sink.measures.len() % n, 0);
    let per = sink.measures.len() / n;
    let meas = |k: usize, name: &str| -> f64 {
        sink.measures[k * per..(k + 1) * per]
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no measure {name}"))
            .value
            .clone()
            .unwrap_or_else(|e| panic!("point {k} {name}: {e}"))
    };
    (0..n)
        .map(|k| {
            let tran = sink
                .analyses
                .iter()
                .find(|a| a.point == Some(k) && a.info.kind == AnalysisKind::Tran)
                .expect("tran of the point");
            let t = &tran.sweep;
            let sig = |s: &str| tran.signal(s).unwrap_or_else(|| panic!("no {s}"));
            let (mx, r, i) = (sig("@m1[mx]"), sig("@m1[r]"), sig("@m1[i]"));
            let dt = 1.0 / (SPP as f64 * FAC);
            let k0 = t
                .iter()
                .position(|&x| x >= TSET - 0.5 * dt)
                .expect("window start");
            assert!(k0 + NPER * SPP <= t.len(), "window inside the run");
            for (j, &x) in t[k0..k0 + NPER * SPP].iter().enumerate() {
                assert!((x - TSET - j as f64 * dt).abs() < 1e-3 * dt, "uniform grid");
            }
            let w = 2.0 * std::f64::consts::PI * FAC;
            // first harmonic (complex amplitude / 2) of a signal over periods [p0, p1)
            let harm = |y: &[f64], p0: usize, p1: usize| -> (f64, f64) {
                let (a, b) = (k0 + p0 * SPP, k0 + p1 * SPP);
                let mean = y[a..b].iter().sum::<f64>() / (b - a) as f64;
                let (mut re, mut im) = (0.0, 0.0);
                for j in a..b {
                    let ph = w * t[j];
                    re += (y[j] - mean) * ph.cos();
                    im -= (y[j] - mean) * ph.sin();
                }
                (re / (b - a) as f64, im / (b - a) as f64)
            };
            let arg = |z: (f64, f64)| z.1.atan2(z.0);
            let abs = |z: (f64, f64)| z.0.hypot(z.1);
            let (zm, zr, zi) = (harm(mx, 0, NPER), harm(r, 0, NPER), harm(i, 0, NPER));
            let wrap = |x: f64| {
                let tau = 2.0 * std::f64::consts::PI;
                x - tau * (x / tau).round()
            };
            // per-period phase of m_x relative to the current, unwrapped
            let mut phases = Vec::with_capacity(NPER);
            for p in 0..NPER {
                let d = wrap(arg(harm(mx, p, p + 1)) - arg(harm(i, p, p + 1)));
                let d = match phases.last() {
                    Some(&prev) => prev + wrap(d - prev),
                    None => d,
                };
                phases.push(d);
            }
            let (lo, hi) = phases
                .iter()
                .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
            Point {
                idc: steps.values[k][0],
                vmix: meas(k, "vmix"),
                fmx: meas(k, "fmx"),
                dmx: 2.0 * abs(zm),
                phi: wrap(arg(zr) - arg(zi)),
                iac: 2.0 * abs(zi),
                slip: (hi - lo) / (2.0 * std::f64::consts::PI),
            }
        })
        .collect()
}

/// Least-squares polynomial of degree `deg` (≤ 3), coefficients highest power first.
/// x is centred and scaled internally (the currents are ~1e-4 A).
#[allow(clippy::needless_range_loop)] // index form mirrors the matrix algebra
fn polyfit(x: &[f64], y: &[f64], deg: usize) -> Vec<f64> {
    let n = x.len() as f64;
    let xc = x.iter().sum::<f64>() / n;
    let s = x
        .iter()
        .map(|v| (v - xc).abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    let m = deg + 1;
    let mut a = vec![vec![0.0; m + 1]; m];
    for (&xi, &yi) in x.iter().zip(y) {
        let u = (xi - xc) / s;
        let pw: Vec<f64> = (0..m).map(|p| u.powi(p as i32)).collect();
        for r in 0..m {
            for c in 0..m {
                a[r][c] += pw[r] * pw[c];
            }
            a[r][m] += pw[r] * yi;
        }
    }
    // Gauss–Jordan with partial pivoting
    for c in 0..m {
        let p = (c..m)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, p);
        for r in 0..m {
            if r != c {
                let f = a[r][c] / a[c][c];
                for k in c..=m {
                    a[r][k] -= f * a[c][k];
                }
            }
        }
    }
    let cu: Vec<f64> = (0..m).map(|r| a[r][m] / a[r][r]).collect(); // in u, lowest first
                                                                    // expand Σ cu_p ((x − xc)/s)^p into powers of x
    let mut cx = vec![0.0; m]; // lowest first
    for (p, &c) in cu.iter().enumerate() {
        // (x − xc)^p = Σ_k binom(p,k) x^k (−xc)^(p−k)
        let mut binom = 1.0;
        for k in 0..=p {
            cx[k] += c / s.powi(p as i32) * binom * (-xc).powi((p - k) as i32);
            binom = binom * (p - k) as f64 / (k + 1) as f64;
        }
    }
    cx.reverse();
    cx
}

fn polyval(c: &[f64], x: f64) -> f64 {
    c.iter().fold(0.0, |acc, &k| acc * x + k)
}

fn corr(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Linear interpolation on increasing `xs` (clamped at the ends).
fn interp(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    if x <= xs[0] {
        return ys[0];
    }
    for j in 1..xs.len() {
        if x <= xs[j] {
            let f = (x - xs[j - 1]) / (xs[j] - xs[j - 1]);
            return ys[j - 1] + f * (ys[j] - ys[j - 1]);
        }
    }
    *ys.last().unwrap()
}

/// [001] Eq. 1: FG = [P(F−G) − P(F) − P(−G) + c]/(−2a).
fn dor_eq1(p: &dyn Fn(f64) -> f64, a: f64, c: f64, f: f64, g: f64) -> f64 {
    (p(f - g) - p(f) - p(-g) + c) / (-2.0 * a)
}

/// splitmix64: a fixed, portable stream of uniform numbers in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Reference rows (I_dc, locked, V_mix) of `tests/ref/results/mazza_dor_800MHz.txt`.
fn reference() -> Vec<(f64, bool, f64)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ref/results/mazza_dor_800MHz.txt");
    let text = std::fs::read_to_string(p).expect("reference table");
    text.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() != 8 {
                return None;
            }
            let i = w[0].parse::<f64>().ok()? * 1e-3;
            let locked = match w[1] {
                "True" => true,
                "False" => false,
                _ => return None,
            };
            Some((i, locked, w[4].parse::<f64>().ok()? * 1e-3))
        })
        .collect()
}

#[test]
fn eq1_algebra() {
    // Exact for any exact parabola (a, b, c arbitrary): Eq. 1 returns F·G.
    let (a, b, c) = (-1.7, 0.6, 3.2);
    let p = |x: f64| a * x * x + b * x + c;
    let mut rng = Rng(7);
    for _ in 0..100 {
        let (f, g) = (rng.next() * 2.0 - 1.0, rng.next() * 2.0 - 1.0);
        assert!((dor_eq1(&p, a, c, f, g) - f * g).abs() < 1e-12);
    }
    // [001] Sec. IV worked example (experimental curve of its Fig. 4): V_F−G = 18.57 mV,
    // V_F = 17.85 mV, V_G = 18.30 mV, a' = −2.0476 mV, c' = 18.565 mV → 0.241 (exact 0.2728).
    let table = |x: f64| {
        if (x + 0.18).abs() < 1e-9 {
            18.57
        } else if (x + 0.62).abs() < 1e-9 {
            17.85
        } else {
            assert!((x - 0.44).abs() < 1e-9, "{x}");
            18.30 // the even parabola: V(0.44) = V(−0.44)
        }
    };
    let v = dor_eq1(&table, -2.0476, 18.565, -0.62, -0.44);
    assert!((v - 0.2405).abs() < 1e-4, "{v}");
}

#[test]
fn injection_locked_diode_and_dor_multiplier() {
    let pts = run_netlist();
    println!("   I_dc [mA]  locked   f(m_x) [MHz]  dm_x    phi [rad]  slip [turn]  V_mix [mV]");
    for p in &pts {
        println!(
            "   {:8.4}  {:6}  {:12.4}  {:6.4}  {:8.4}  {:10.4}  {:10.5}",
            p.idc * 1e3,
            p.locked(),
            p.fmx / 1e6,
            p.dmx,
            p.phi,
            p.slip,
            p.vmix * 1e3
        );
    }

    // ---- locking ------------------------------------------------------------------------
    // Above the edge of the locking range (|I_dc| ≤ 0.155 mA) the junction is not locked
    // ([001] Fig. 2(c): the locked band starts above |I_th| and φ = 0 lies at its edge): its
    // phase runs away from the drive's by whole turns. Outside the band (−0.150 mA) it
    // free-runs far from 800 MHz. At the edge itself (−0.155 mA) it slips intermittently, and
    // the strongest tone of m_x is not a converged quantity: 570, 553, 558 MHz at mreltol =
    // 1e-7, 3e-8, 1e-8 with one build, 800.3, 573, 801 MHz with another that differs only in
    // rounding (BENCHMARKS.md, issue 2) — so there only the phase slip is asserted.
    for p in pts.iter().filter(|p| p.idc >= -0.1551e-3) {
        assert!(
            !p.locked() && p.slip > 1.0,
            "not locked at {:.4} mA: {p:?}",
            p.idc * 1e3
        );
    }
    for p in pts.iter().filter(|p| p.idc >= -0.1501e-3) {
        assert!(
            (p.fmx - FAC).abs() > 50e6,
            "free-running at {:.4} mA: {p:?}",
            p.idc * 1e3
        );
    }
    // From −0.165 to −0.25 mA the RF current locks the oscillation: the frequency of m_x is the
    // drive's and its phase stays constant. The dynamics are multistable (systems.md item 4:
    // from the fixed initial state −0.195 mA falls on a period-2 branch); allow one such point.
    let band: Vec<&Point> = pts
        .iter()
        .filter(|p| p.idc <= -0.1649e-3 && p.idc >= -0.2501e-3)
        .collect();
    let nlocked = band.iter().filter(|p| p.locked()).count();
    assert!(
        nlocked + 1 >= band.len(),
        "locked {nlocked} of {}",
        band.len()
    );
    let lk: Vec<&Point> = pts.iter().filter(|p| p.locked()).collect();

    // ---- against the scipy reference (tests/ref/mazza_dor.py, same protocol) --------------
    let mut ncmp = 0;
    for (i, rlocked, v) in reference() {
        if let Some(p) = lk.iter().find(|p| (p.idc - i).abs() < 1e-9) {
            if rlocked {
                ncmp += 1;
                assert!(
                    (p.vmix - v).abs() < 0.01 * v.abs(),
                    "V_mix at {:.4} mA: {} vs reference {}",
                    i * 1e3,
                    p.vmix,
                    v
                );
            }
        }
    }
    assert!(ncmp >= 15, "{ncmp} points compared with the reference");

    // ---- [001] Eq. 6 at the circuit level -------------------------------------------------
    // R = R_P + ΔR(1 + m_x)/2 (angular law, p = −x), so <(R − <R>)(I − I_dc)> =
    // (ΔR/4) dm_x I_ac cos φ exactly for a sinusoidal current: the DC port reading must agree.
    for p in &lk {
        let eq6 = DR / 4.0 * p.dmx * p.iac * p.phi.cos();
        assert!(
            (p.vmix - eq6).abs() < 1e-3 * p.vmix.abs(),
            "Eq. 6 at {:.4} mA: {} vs {}",
            p.idc * 1e3,
            p.vmix,
            eq6
        );
        assert!((p.iac - IAC).abs() < 1e-3 * IAC, "RF current {}", p.iac);
    }

    // ---- the zero-phase point and the DOR window ------------------------------------------
    // I_dc,0: the locked point of largest V_dc ([001] Sec. III, φ ≈ 0); inputs x ∈ [−1, 0]
    // map to I = I_0 + SPAN·x, towards larger |I| ([001] Sec. IV; systems.md item 4).
    let p0 = lk
        .iter()
        .max_by(|a, b| a.vmix.total_cmp(&b.vmix))
        .copied()
        .unwrap();
    let i0 = p0.idc;
    let win: Vec<&Point> = lk
        .iter()
        .filter(|p| p.idc <= i0 + 1e-12 && p.idc >= i0 - SPAN - 1e-12)
        .copied()
        .collect();
    assert!(win.len() >= 7, "{} points in the DOR window", win.len());
    assert!(p0.phi.abs() < 0.15, "φ at I_0 = {}", p0.phi);
    // φ grows monotonically with |I_dc| across the window ([001] Fig. 2(b), quasi-linear)
    for w in win.windows(2) {
        assert!(w[1].phi > w[0].phi, "φ not monotonic: {:?}", w);
    }
    let wi: Vec<f64> = win.iter().map(|p| p.idc).collect();
    let wv: Vec<f64> = win.iter().map(|p| p.vmix).collect();
    let wphi: Vec<f64> = win.iter().map(|p| p.phi).collect();
    let wd: Vec<f64> = win.iter().map(|p| p.dmx).collect();
    let ph = polyfit(&wi, &wphi, 1); // φ = m I + n
    let dl = polyfit(&wi, &wd, 1); // dm_x = d1 I + d0
    let (m, n) = (ph[0], ph[1]);

    // ---- the parabola V_dc = a I² + b I + c --------------------------------------------------
    let abc = polyfit(&wi, &wv, 2);
    let (a, b, c) = (abc[0], abc[1], abc[2]);
    let rms = (wi
        .iter()
        .zip(&wv)
        .map(|(&i, &v)| (v - polyval(&abc, i)).powi(2))
        .sum::<f64>()
        / wi.len() as f64)
        .sqrt();
    let vmax = p0.vmix;
    let phimax = wphi.iter().fold(0.0f64, |s, x| s.max(x.abs()));
    // cos φ = 1 − φ²/2 + φ⁴/24: with φ linear in I the parabola is exact up to the φ⁴ term,
    // so the residual must stay below its size V_max φ_max⁴/24.
    let bound = vmax * phimax.powi(4) / 24.0;
    assert!(
        rms < bound,
        "parabola residual {rms:e} V above the φ⁴ term {bound:e} V"
    );
    // Curvature from the dynamics: V = K d(I) cos φ(I) with K = ΔR I_ac/4 and d, φ linear
    // (fits above) gives V'' = −K (2 d' m sin φ + d m² cos φ) at the window centre. [001]
    // writes a = −½ V_max m² (d' = 0, φ = 0 at the centre); both are printed.
    let ic = 0.5 * (wi[0] + wi[wi.len() - 1]);
    let (phic, dc) = (m * ic + n, polyval(&dl, ic));
    let k = DR * IAC / 4.0;
    let a_dyn = -0.5 * k * (2.0 * dl[0] * m * phic.sin() + dc * m * m * phic.cos());
    let a_paper = -0.5 * vmax * m * m;
    assert!(
        (a - a_dyn).abs() < 0.05 * a_dyn.abs(),
        "curvature: fit {a:e} vs dynamics {a_dyn:e} V/A²"
    );

    // ---- DOR multiplication, [001] Eq. 1 ------------------------------------------------------
    // x ∈ [−1, 0] on the window; P(x) = V(I(−|x|)) is the paper's even parabola V(x) = V(−x);
    // a', c' from V = a' x² + c' with c' = V(I_0) = V_max (Sec. IV).
    let xs: Vec<f64> = wi.iter().rev().map(|&i| (i - i0) / SPAN).collect();
    let vs: Vec<f64> = wv.iter().rev().copied().collect();
    let x2: Vec<f64> = xs.iter().map(|x| x * x).collect();
    let ap = polyfit(&x2, &vs, 1)[0];
    let cp = vmax;
    let pcurve = |x: f64| interp(&xs, &vs, -x.abs());
    let mut rng = Rng(2022);
    let pairs: Vec<(f64, f64)> = (0..200).map(|_| (-rng.next(), -rng.next())).collect();
    let fg: Vec<f64> = pairs.iter().map(|(f, g)| f * g).collect();
    let est: Vec<f64> = pairs
        .iter()
        .map(|&(f, g)| dor_eq1(&pcurve, ap, cp, f, g))
        .collect();
    let r = corr(&est, &fg);
    let rmse = (est
        .iter()
        .zip(&fg)
        .map(|(e, x)| (e - x).powi(2))
        .sum::<f64>()
        / 200.0)
        .sqrt();
    // Analytic ideality: for V = A x² + B x + C on x ≤ 0 used as an even parabola, Eq. 1 gives
    // an affine function of F·G + (B/A)·max(F, G) whatever a', c' are; so the correlation is
    // fixed by the vertex offset B/A (B = 0: exactly 100 %).
    let q = polyfit(&xs, &vs, 2);
    let beta = q[1] / q[0];
    let pred: Vec<f64> = pairs
        .iter()
        .map(|&(f, g)| f * g + beta * f.max(g))
        .collect();
    let r_pred = corr(&pred, &fg);
    // the same procedure over 10⁵ pairs: the population value
    let big: Vec<(f64, f64)> = (0..100_000).map(|_| (-rng.next(), -rng.next())).collect();
    let r_pop = corr(
        &big.iter()
            .map(|&(f, g)| dor_eq1(&pcurve, ap, cp, f, g))
            .collect::<Vec<_>>(),
        &big.iter().map(|(f, g)| f * g).collect::<Vec<_>>(),
    );
    let ex = dor_eq1(&pcurve, ap, cp, -0.62, -0.44);

    println!("locked band: {} of {} points", lk.len(), pts.len());
    println!(
        "zero-phase point I_dc,0 = {:.4} mA: V_max = {:.4} mV, φ = {:.3} rad, dm_x = {:.3}",
        i0 * 1e3,
        vmax * 1e3,
        p0.phi,
        p0.dmx
    );
    println!(
        "phase slope m = {:.3} rad/mA, φ = 0 extrapolated at {:.4} mA",
        m * 1e-3,
        -n / m * 1e3
    );
    println!(
        "parabola over [{:.3}, {:.3}] mA: a = {a:.5e} V/A², b = {b:.5e} V/A, c = {c:.5e} V; \
         vertex {:.4} mA; rms residual {:.2} µV (bound {:.2} µV)",
        wi[wi.len() - 1] * 1e3,
        wi[0] * 1e3,
        -b / (2.0 * a) * 1e3,
        rms * 1e6,
        bound * 1e6
    );
    println!(
        "curvature a: fit {a:.4e}, from dynamics {a_dyn:.4e}, [001] −½V_max m² {a_paper:.4e} V/A²"
    );
    println!(
        "DOR inputs: a' = {:.5} mV, c' = {:.5} mV; quadratic in x: A = {:.5} mV, B = {:.5} mV \
         (B/A = {beta:.4}); worked example F = −0.62, G = −0.44: {ex:.4} (exact 0.2728)",
        ap * 1e3,
        cp * 1e3,
        q[0] * 1e3,
        q[1] * 1e3
    );
    println!(
        "DOR over 200 random pairs: corr = {:.3} % (predicted from B/A {:.3} %), rms error {rmse:.4}; \
         10⁵ pairs: {:.3} %; [001]: 99.93 % (micromagnetic), 99.83 % (experiment)",
        100.0 * r,
        100.0 * r_pred,
        100.0 * r_pop
    );
    assert!(
        (r - r_pred).abs() < 0.003,
        "correlation {r} vs the quadratic's prediction {r_pred}"
    );
    // macrospin reference (mazza_dor.py on the scipy curve, span 0.04 mA): 98.35 % for numpy's
    // 200 pairs; over other sets of 200 pairs it scatters by ±0.2 % (1σ) around 98.47 %.
    assert!(
        (0.979..0.989).contains(&r),
        "DOR correlation {r} outside the macrospin reference 98.4 ± 0.5 %"
    );
}
