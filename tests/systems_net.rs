//! Issue 5 item 7: the two-layer RF network of seed 004 (Ross et al. 2023, [004-code]
//! neurophysics-cnrsthales/rf_spintronic_nn) at circuit level.
//!
//! 1. `netlists/rf_network_xor.cir` (2-2-1, XOR of the two input powers) on a coarse (P₁, P₂)
//!    grid: the layer-1 chain voltages, the neuron powers and the output voltage against the
//!    algebraic model of docs/physics/systems.md item 7 (the [004-code] equations with the
//!    kernel the device realises, G_dev = G(f) + G(−f)), computed here from the design
//!    numbers (resonator detunings x, biases, g_m) independently of the netlist; the
//!    classification of the four cluster centres and of the task points closest to the
//!    decision boundary.
//! 2. `tools/rf_network.py` (the generator of the 256-128-10 drone network) on a 16-8-2
//!    network: the output chain voltages against the algebraic forward pass computed here from
//!    the weights file, to 1 % (the target); and the generator's layer-by-layer run
//!    (`run --stages`, how the drone network is run) against the one-netlist run of the same
//!    network: the same circuit, so the same numbers to rounding and step-control noise.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Resonator damping and the [004-code] rectification constant
/// K_SD = tan(π/4)/(8√2)/10 µA [V/W] (docs/physics/parameters.md §4).
const ALPHA: f64 = 0.01;
fn ksd() -> f64 {
    1.0 / (8.0 * 2f64.sqrt() * 10e-6)
}

/// G_dev(f; f_r) = G(f) + G(−f), G = 2αf_r(f − f_r)/((αf_r)² + (f − f_r)²)·K_SD [V/W]
/// ([004-code] LayerChainsResonators.rectification; mirror term: devices.md Eq. 4.7).
fn g_dev(f: f64, fr: f64) -> f64 {
    let g = |f: f64| 2.0 * ALPHA * fr * (f - fr) / ((ALPHA * fr).powi(2) + (f - fr).powi(2));
    (g(f) + g(-f)) * ksd()
}

/// STNO neuron of [004-code] LayerOscillators (seed 000 Eq. 3): current clamped to
/// [I_th, 4 I_th], p = (ξ − 1)/(ξ + Q), emitted power 1.25 p I² R (W).
fn neuron(i: f64) -> (f64, f64) {
    let i = i.clamp(10e-6, 40e-6);
    let xi = i / 10e-6;
    let p = (xi - 1.0) / (xi + 2.0);
    (p, 1.25 * p * i * i * 1e3)
}

// ---------------------------------------------------------------------------------------------
// 2-2-1 XOR network
// ---------------------------------------------------------------------------------------------

/// The design of docs/physics/systems.md item 7: tones, detunings x = (f − f_r)/(αf_r),
/// biases [V], g_m [A/V].
const F_IN: [f64; 2] = [0.40e9, 0.55e9];
const F_N: [f64; 2] = [0.30e9, 1.20e9];
const X1: [[f64; 2]; 2] = [[0.38958, 0.29448], [0.76326, 0.72736]];
const XO: [f64; 2] = [0.16139, -0.79558];
const B: [f64; 2] = [0.35049e-3, -7.5261e-3];
const BOUT: f64 = -0.51821e-3;
const GM: f64 = 5.90637e-3;
/// The netlist's resonators have K_SD/SDC; its DC preamps have gain SDC.
const SDC: f64 = 100.0;
/// Resonator resistance in the netlist (two per chain: a 50 Ω chain).
const R0: f64 = 25.0;

fn fres(f: f64, x: f64) -> f64 {
    f / (1.0 + ALPHA * x)
}

/// Layer-1 chain voltage (design units, without bias) for resonator powers p [W].
fn chain1(j: usize, p: [f64; 2]) -> f64 {
    (0..2)
        .map(|i| {
            p[i] * (0..2)
                .map(|k| g_dev(F_IN[i], fres(F_IN[k], X1[j][k])))
                .sum::<f64>()
        })
        .sum()
}

/// Output chain voltage (design units, without bias) for neuron powers pn [W].
fn chain_out(pn: [f64; 2]) -> f64 {
    (0..2)
        .map(|j| {
            pn[j]
                * (0..2)
                    .map(|k| g_dev(F_N[j], fres(F_N[k], XO[k])))
                    .sum::<f64>()
        })
        .sum()
}

struct Fwd {
    v1: [f64; 2],
    p: [f64; 2],
    vout: f64,
}

/// The full algebraic forward pass for input powers (P₁, P₂) in W.
fn forward(p: [f64; 2]) -> Fwd {
    let v1 = [chain1(0, p) + B[0], chain1(1, p) + B[1]];
    let (pa, pwa) = neuron(GM * v1[0]);
    let (pb, pwb) = neuron(GM * v1[1]);
    Fwd {
        v1,
        p: [pa, pb],
        vout: chain_out([pwa, pwb]) + BOUT,
    }
}

fn label(p1: f64, p2: f64) -> bool {
    (p1 > 0.5) != (p2 > 0.5)
}

/// Runs the XOR netlist with extra CLI arguments; returns the rows of the sweep table as
/// (header, rows).
fn run_xor(dir: &Path, name: &str, args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let out = dir.join(format!("{name}.csv"));
    let cir = repo().join("netlists/rf_network_xor.cir");
    let o = Command::new(exe())
        .arg("run")
        .arg(&cir)
        .args(["-q", "--save", "none", "-j", "2", "-o"])
        .arg(&out)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(dir.join(format!("{name}.sweep.csv"))).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(|s| s.trim().to_string()).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], row: &[String], name: &str) -> f64 {
    let k = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    row[k].parse().unwrap()
}

/// Checks one simulated point against the algebraic model; returns (V_out, algebraic V_out).
fn check_point(header: &[String], row: &[String]) -> (f64, f64) {
    let (p1, p2) = (col(header, row, "p1"), col(header, row, "p2"));
    let pn = [p1 * 1e-6, p2 * 1e-6];
    let alg = forward(pn);
    let at = format!("(P1, P2) = ({p1}, {p2}) uW");

    // RF power at each layer-1 resonator, P = ½ r0 |Î|², from the measured chain currents:
    // the matched 50 Ω network delivers the nominal power. 0.3 %: the 100 pF DC blocks and the
    // 1 µH chokes (|Z| ≥ 2.5 kΩ) change |Î| by < 0.1 %.
    for (m, pw) in [
        ("i1f1", pn[0]),
        ("i1f2", pn[1]),
        ("i2f1", pn[0]),
        ("i2f2", pn[1]),
    ] {
        let i = col(header, row, m);
        let p = 0.5 * R0 * i * i;
        assert!(
            (p - pw).abs() <= 3e-3 * pw + 1e-12,
            "{at}: {m}: resonator power {p:e} W, nominal {pw:e} W"
        );
    }

    // Layer-1 chain voltages through the bias-tee DC ports: 0.5 % (the resonator's step budget
    // at tstep = 3 ps, ≥ 600 steps per period: docs/stno_spindiode.md, Accuracy).
    for (j, m) in ["v1dc", "v2dc"].iter().enumerate() {
        let v = col(header, row, m) * SDC;
        let va = alg.v1[j] - B[j];
        assert!(
            (v - va).abs() <= 5e-3 * va.abs() + 1e-9,
            "{at}: chain {} voltage {v:e} V (design units), algebraic {va:e} V",
            j + 1
        );
    }

    // Neurons: p against p(ξ) at the current the V→I stage makes of the *measured* chain
    // voltage (the neuron's own law), then against the full forward pass.
    for (j, (m, vm)) in [("pa", "v1dc"), ("pb", "v2dc")].iter().enumerate() {
        let p = col(header, row, m);
        let v = col(header, row, vm) * SDC + B[j];
        let (pm, _) = neuron(GM * v);
        let xi = (GM * v / 10e-6).min(4.0);
        // growth from the 1e-6 seed needs ln(p0/1e-6)/(2Γ_G(ξ − 1)); near threshold (ξ < 1.2,
        // p0 < 0.06) it exceeds the run, there only p ≤ p0 is checked
        if xi > 1.2 {
            assert!(
                (p - pm).abs() <= 2e-3,
                "{at}: neuron {j}: p = {p}, p(I) = {pm} (xi = {xi})"
            );
            assert!(
                (p - alg.p[j]).abs() <= 1e-2,
                "{at}: neuron {j}: p = {p}, forward pass {}",
                alg.p[j]
            );
        } else {
            assert!(p <= pm + 2e-3, "{at}: neuron {j}: p = {p} > p(I) = {pm}");
        }
    }

    // Output chain: measured tone currents → V_out with the algebraic kernel; and end to end.
    let pa = 0.5 * R0 * col(header, row, "ioa").powi(2);
    let pb = 0.5 * R0 * col(header, row, "iob").powi(2);
    let vout = col(header, row, "vout");
    let v_from_tones = chain_out([pa, pb]) + BOUT;
    // 1 % of the output's full scale K_SD·1 µW = 8.84 mV (design units) → 88 µV;
    // measured ≤ 15 µV
    let fs = ksd() * 1e-6;
    assert!(
        (vout - v_from_tones).abs() <= 0.01 * fs,
        "{at}: V_out {vout:e}, from the measured output tones {v_from_tones:e}"
    );
    assert!(
        (vout - alg.vout).abs() <= 0.01 * fs,
        "{at}: V_out {vout:e}, forward pass {:e}",
        alg.vout
    );
    (vout, alg.vout)
}

/// Deterministic task points: 50 per XOR cluster (centres 0.15/0.85 µW, σ = 0.07 µW, clipped to
/// [0, 1]; systems.md item 7), drawn with splitmix64 + Box–Muller.
fn task_points() -> Vec<(f64, f64, bool)> {
    let mut s: u64 = 0x5eed_0004;
    let mut u = move || {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut pts = Vec::new();
    for (cx, cy) in [(0.15, 0.15), (0.85, 0.15), (0.15, 0.85), (0.85, 0.85)] {
        for _ in 0..50 {
            let r = (-2.0 * (1.0 - u()).ln()).sqrt();
            let th = 2.0 * std::f64::consts::PI * u();
            let x = (cx + 0.07 * r * th.cos()).clamp(0.0, 1.0);
            let y = (cy + 0.07 * r * th.sin()).clamp(0.0, 1.0);
            pts.push((x, y, label(cx, cy)));
        }
    }
    pts
}

#[test]
fn xor_network_matches_algebra_and_classifies() {
    let dir = common::scratch("xor_net");
    // the algebraic design itself separates the task (systems.md: 100 % on its 200 points)
    let pts = task_points();
    let acc = pts
        .iter()
        .filter(|&&(x, y, l)| (forward([x * 1e-6, y * 1e-6]).vout > 0.0) == l)
        .count();
    assert_eq!(acc, pts.len(), "algebraic accuracy {acc}/200");

    // coarse grid with the four cluster centres
    let (h, rows) = run_xor(
        &dir,
        "grid",
        &[
            "--step",
            "p1 list 0.15 0.5 0.85",
            "--step",
            "p2 list 0.15 0.5 0.85",
        ],
    );
    assert_eq!(rows.len(), 9);
    for row in &rows {
        assert_eq!(col(&h, row, "status"), 0.0, "{row:?}");
        let (vout, _) = check_point(&h, row);
        let (p1, p2) = (col(&h, row, "p1"), col(&h, row, "p2"));
        if p1 != 0.5 && p2 != 0.5 {
            assert_eq!(
                vout > 0.0,
                label(p1, p2),
                "centre ({p1}, {p2}): V_out = {vout}"
            );
        }
    }

    // the four task points closest to the decision boundary (smallest algebraic margin)
    let mut hard: Vec<_> = pts
        .iter()
        .map(|&(x, y, l)| (forward([x * 1e-6, y * 1e-6]).vout.abs(), x, y, l))
        .collect();
    hard.sort_by(|a, b| a.0.total_cmp(&b.0));
    for &(_, x, y, l) in hard.iter().take(4) {
        let (px, py) = (format!("p1 list {x}"), format!("p2 list {y}"));
        let (h, rows) = run_xor(&dir, "hard", &["--step", &px, "--step", &py]);
        let (vout, va) = check_point(&h, &rows[0]);
        assert_eq!(
            vout > 0.0,
            l,
            "task point ({x}, {y}): V_out = {vout}, algebraic {va}, label {l}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// generator: 16-8-2 network against the algebraic forward pass
// ---------------------------------------------------------------------------------------------

/// The weights file of tools/rf_network.py (format rfnet 1), read independently.
#[derive(Default)]
struct Weights {
    scalars: std::collections::HashMap<String, f64>,
    f_in: Vec<f64>,
    f_hid: Vec<f64>,
    sign1: Vec<f64>,
    sign2: Vec<f64>,
    fres1: Vec<Vec<f64>>,
    fres2: Vec<Vec<f64>>,
}

/// The value of measure `name` from the `name = value` lines a run printed
/// (`what` names the run in the failure message).
fn measure(text: &str, name: &str, what: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("{what}: no measure {name}"))
        .trim()
        .parse()
        .unwrap()
}

fn read_weights(path: &Path) -> Weights {
    let mut w = Weights::default();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let line = line.split('#').next().unwrap();
        let mut it = line.split_whitespace();
        let Some(key) = it.next() else { continue };
        let vals: Vec<f64> = it.filter_map(|v| v.parse().ok()).collect();
        match key {
            "format" => {}
            "f_in" => w.f_in = vals,
            "f_hid" => w.f_hid = vals,
            "sign1" => w.sign1 = vals,
            "sign2" => w.sign2 = vals,
            "fres1" => w.fres1.push(vals),
            "fres2" => w.fres2.push(vals),
            _ => {
                w.scalars.insert(key.to_string(), vals[0]);
            }
        }
    }
    w
}

/// [004-code] forward pass with the weights file's constants (K_SD from the file).
fn forward_net(w: &Weights, p_uw: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let s = |k: &str| w.scalars[k];
    let ker = |f: f64, fr: f64| g_dev(f, fr) / ksd() * s("ksd");
    let v1: Vec<f64> = w
        .fres1
        .iter()
        .map(|row| {
            p_uw.iter()
                .zip(&w.f_in)
                .map(|(p, &f)| {
                    p * 1e-6
                        * row
                            .iter()
                            .zip(&w.sign1)
                            .map(|(&fr, sg)| sg * ker(f, fr))
                            .sum::<f64>()
                })
                .sum::<f64>()
                + s("bias1")
        })
        .collect();
    let mut pn = Vec::new();
    let mut pout = Vec::new();
    for v in &v1 {
        let i = (s("gm") * v).clamp(s("ith"), s("iclamp"));
        let xi = i / s("ith");
        let p = (xi - 1.0) / (xi + s("q"));
        pn.push(p);
        pout.push(s("amp") * p * i * i * s("rosc"));
    }
    let v2 = w
        .fres2
        .iter()
        .map(|row| {
            pout.iter()
                .zip(&w.f_hid)
                .map(|(p, &f)| {
                    p * row
                        .iter()
                        .zip(&w.sign2)
                        .map(|(&fr, sg)| sg * ker(f, fr))
                        .sum::<f64>()
                })
                .sum()
        })
        .collect();
    (v1, pn, v2)
}

#[test]
fn generator_small_network_matches_forward_pass() {
    let dir = common::scratch("rfnet_gen");
    let py = common::python();
    let tool = repo().join("tools/rf_network.py");
    // a synthetic 16-bin spectrum [uW] (the data set's range: 0.5–26 µW in total)
    let p: Vec<f64> = (0..16)
        .map(|i| 0.05 + 0.4 * (0.7 * i as f64).sin().powi(2))
        .collect();
    let powers = p
        .iter()
        .map(|v| format!("{v}"))
        .collect::<Vec<_>>()
        .join(",");
    let wpath = dir.join("w.txt");
    let cir = dir.join("net.cir");
    for args in [
        vec![
            "example",
            "-N",
            "16",
            "-M",
            "8",
            "-K",
            "2",
            "--powers",
            &powers,
            "-o",
            wpath.to_str().unwrap(),
        ],
        vec![
            "netlist",
            wpath.to_str().unwrap(),
            "--powers",
            &powers,
            "-o",
            cir.to_str().unwrap(),
        ],
    ] {
        let o = Command::new(&py).arg(&tool).args(&args).output();
        let o = match o {
            Ok(o) => o,
            Err(e) => {
                assert!(!common::tools_required(), "python: {e}");
                eprintln!("note: no python ({e}); skipping");
                return;
            }
        };
        if !o.status.success() && String::from_utf8_lossy(&o.stderr).contains("No module named") {
            assert!(!common::tools_required(), "numpy missing");
            eprintln!("note: numpy missing; skipping");
            return;
        }
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let w = read_weights(&wpath);
    assert_eq!((w.fres1.len(), w.fres2.len()), (8, 2));
    let (v1, pn, v2) = forward_net(&w, &p);

    let o = Command::new(exe())
        .arg("run")
        .arg(&cir)
        .arg("-o")
        .arg(dir.join("net.csv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let meas = |name: &str| measure(&stdout, name, "one netlist");
    let bias = w.scalars["bias1"];
    for j in 0..8 {
        let (v, va) = (meas(&format!("v1_{j}")), v1[j] - bias);
        // a chain voltage is a sum of 256 contributions of both signs; each resonator is
        // accurate to a fraction of a percent of its own contribution at 800 steps per period
        // (docs/stno_spindiode.md, Accuracy), so the error is bounded by 0.5 % of Σ|terms|
        let scale: f64 = w
            .f_in
            .iter()
            .zip(&p)
            .map(|(&f, pw)| {
                w.fres1[j]
                    .iter()
                    .map(|&fr| (pw * 1e-6 * g_dev(f, fr) / ksd() * w.scalars["ksd"]).abs())
                    .sum::<f64>()
            })
            .sum();
        assert!(
            (v - va).abs() <= 5e-3 * scale,
            "layer-1 chain {j}: {v:e} V, algebraic {va:e} V (sum of |terms| {scale:e} V)"
        );
        let p = meas(&format!("p_{j}"));
        assert!(
            (p - pn[j]).abs() <= 0.01 * pn[j].max(0.01),
            "neuron {j}: p = {p}, algebraic {}",
            pn[j]
        );
    }
    for (q, va) in v2.iter().enumerate() {
        let v = meas(&format!("v2_{q}"));
        assert!(
            (v - va).abs() <= 0.01 * va.abs(),
            "output {q}: {v:e} V, algebraic {va:e} V (issue target: 1 %)"
        );
    }

    // The staged run: three layer-1 netlists (chain groups) and one layer-2 netlist with the
    // held chain voltages as DC sources. Each integrator holds after window1 and the V->I
    // stages read it only after t2, so this is the same circuit; measured agreement 6e-8.
    let staged = dir.join("staged");
    let o = Command::new(&py)
        .arg(&tool)
        .args(["run", wpath.to_str().unwrap(), "--powers", &powers])
        .args([
            "--spinspice",
            exe(),
            "--stages",
            "3",
            "--jobs",
            "2",
            "--keep",
        ])
        .arg(&staged)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut smeas = String::new();
    for f in ["layer1_0.out", "layer1_1.out", "layer1_2.out", "layer2.out"] {
        smeas += &std::fs::read_to_string(staged.join(f)).unwrap();
    }
    let sm = |name: &str| measure(&smeas, name, "staged run");
    for j in 0..8 {
        let (a, b) = (sm(&format!("v1_{j}")), meas(&format!("v1_{j}")));
        // 1e-6 relative plus 2 nV (1e-7 of the largest chain voltage): the two runs take
        // their steps over different sets of unknowns (measured: ≤ 5.3e-10 V)
        assert!(
            (a - b).abs() <= 1e-6 * b.abs() + 2e-9,
            "v1_{j}: staged {a:e}, one netlist {b:e}"
        );
        let (a, b) = (sm(&format!("p_{j}")), meas(&format!("p_{j}")));
        assert!(
            (a - b).abs() <= 1e-7,
            "p_{j}: staged {a:e}, one netlist {b:e}"
        );
    }
    for q in 0..2 {
        let (a, b) = (sm(&format!("v2_{q}")), meas(&format!("v2_{q}")));
        assert!(
            (a - b).abs() <= 1e-6 * b.abs(),
            "v2_{q}: staged {a:e}, one netlist {b:e}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
