//! Operating points of the spintronic devices with a DC bias (issue 11 §1),
//! against an independent solution of their DC equations computed outside
//! spinspice (`tests/ref/dcop.py`: torque balance in the tangent plane of the
//! sphere, continued in the bias from the zero-bias energy minimum reached
//! from m0, with the stability of each point). Covers YMTJ and YAMR over bias
//! currents (and voltages) of both signs up to switching and field angles
//! 0–180°, the issue's failing netlists, `.dc`/`.ac`/`.tran` started from
//! such an operating point, and YSTNO / YSD (closed forms in the script).
//!
//! Cost: the Python reference ~15 s, the spinspice runs well under a second.

mod common;

use spinspice::analysis::run::simulate_str;
use spinspice::output::memory::{MemAnalysis, MemorySink};
use spinspice::output::AnalysisKind;

/// One reference point: bias, then the device's values.
#[derive(Debug, Clone)]
struct Pt {
    bias: f64,
    vals: Vec<f64>,
    ok: bool,
    stable: bool,
}

/// One case of the reference output.
#[derive(Debug, Default)]
struct CaseOut {
    switch: Option<(f64, f64)>,
    points: Vec<Pt>,
}

/// Run `tests/ref/dcop.py` on a JSON list of cases. None when python (with
/// numpy/scipy) is missing and the tools are not required.
fn reference(cases: &[String]) -> Option<Vec<CaseOut>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ref/dcop.py");
    let input = format!("[{}]", cases.join(",\n"));
    let text = common::python_output(&[script], Some(&input), "python reference (numpy, scipy)")?;
    let mut res: Vec<CaseOut> = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| s.parse::<f64>().unwrap();
        match w.first().copied() {
            Some("CASE") => res.push(CaseOut::default()),
            Some("SWITCH") => res.last_mut().unwrap().switch = Some((num(w[1]), num(w[2]))),
            Some("POINT") => res.last_mut().unwrap().points.push(Pt {
                bias: num(w[1]),
                vals: w[2..7].iter().map(|s| num(s)).collect(),
                ok: w[7] == "1",
                stable: w[8] == "1",
            }),
            Some("STNO" | "SD") => res.last_mut().unwrap().points.push(Pt {
                bias: num(w[1]),
                vals: w[2..].iter().map(|s| num(s)).collect(),
                ok: true,
                stable: true,
            }),
            _ => {}
        }
    }
    assert_eq!(res.len(), cases.len(), "reference output:\n{text}");
    Some(res)
}

fn run_ok(nl: &str) -> MemorySink {
    let (sink, summary) = simulate_str(nl, &[]).unwrap_or_else(|e| panic!("{e}\n{nl}"));
    assert!(
        summary.failures.is_empty(),
        "{:?}\n{nl}",
        summary
            .failures
            .iter()
            .map(|f| &f.1.message)
            .collect::<Vec<_>>()
    );
    sink
}

fn sig(a: &MemAnalysis, name: &str) -> Vec<f64> {
    a.signal(name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", a.info.signals))
        .to_vec()
}

/// Operating point of a netlist: the values of `names`.
fn op_values(nl: &str, names: &[&str]) -> Vec<f64> {
    let sink = run_ok(nl);
    let a = sink.analysis(AnalysisKind::Op).expect("op");
    names.iter().map(|n| sig(a, n)[0]).collect()
}

fn v3(v: [f64; 3]) -> String {
    format!("[{:e},{:e},{:e}]", v[0], v[1], v[2])
}

// ------------------------------------------------------------------ MTJ

/// The in-plane MTJ of the issue (μ0Ms = 1 T, H_K = 10 kA/m along x, p at
/// 45° in the plane), in a 40 kA/m in-plane field at `deg` from x.
struct Mtj {
    deg: f64,
}

impl Mtj {
    const H: f64 = 4e4;
    fn h(&self) -> [f64; 3] {
        let t = self.deg.to_radians();
        // exact zeros on the axes (cos 90° is 6e-17 in floating point)
        let c = if self.deg == 90.0 { 0.0 } else { t.cos() };
        let s = if self.deg == 180.0 { 0.0 } else { t.sin() };
        [Self::H * c, Self::H * s, 0.0]
    }
    /// spinspice's default m0: the anisotropy axis turned towards H
    /// (docs/spin_devices.md).
    fn m0(&self) -> [f64; 3] {
        if self.h()[0] < 0.0 {
            [-1.0, 0.0, 0.0]
        } else {
            [1.0, 0.0, 0.0]
        }
    }
    fn card(&self) -> String {
        let h = self.h();
        format!(
            ".model ip MTJ (ms=795774 alpha=0.01 ku=5e3 kax=1 kay=0 kaz=0 hx={:e} hy={:e} hz=0 \
area=1e-14 tfl=2e-9 px=0.7071 py=0.7071 pz=0 rp=100 rap=200 eta=0.6)",
            h[0], h[1]
        )
    }
    fn par(&self) -> String {
        format!(
            r#"{{"ms":795774,"alpha":0.01,"ku":5e3,"kax":[1,0,0],"h":{},"vol":2e-23,"p":[0.7071,0.7071,0],"rp":100,"rap":200,"eta":0.6}}"#,
            v3(self.h())
        )
    }
}

/// A netlist with an ideal current (`i`: into n+) or voltage source on the
/// junction and `.op`.
fn op_netlist(card: &str, line: &str, src: &str, bias: f64) -> String {
    let s = if src == "i" {
        format!("I1 0 a DC {bias:e}")
    } else {
        format!("V1 a 0 DC {bias:e}")
    };
    format!("dc bias\n{card}\n{s}\n{line}\n.op\n.end\n")
}

/// Compare a macrospin operating point with the reference point: m to 1e-7,
/// the junction voltage and current to 1e-7 relative.
fn check_macrospin(what: &str, card: &str, line: &str, dev: &str, src: &str, p: &Pt) -> f64 {
    assert!(
        p.ok && p.stable,
        "{what}: reference point not stable: {p:?}"
    );
    let nl = op_netlist(card, line, src, p.bias);
    let names = [
        format!("{dev}#mx"),
        format!("{dev}#my"),
        format!("{dev}#mz"),
        "v(a)".to_string(),
        format!("@{dev}[i]"),
    ];
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let s = {
        // `@dev[i]` is not saved by default
        let nl = nl.replace(".op", &format!(".save all @{dev}[i]\n.op"));
        op_values(&nl, &names)
    };
    let dm = (0..3).map(|k| (s[k] - p.vals[k]).abs()).fold(0.0, f64::max);
    let dv = (s[3] - p.vals[3]).abs() / p.vals[3].abs().max(1e-30);
    let di = (s[4] - p.vals[4]).abs() / p.vals[4].abs().max(1e-30);
    eprintln!(
        "{what}: bias {:+.4e}  m = ({:+.6}, {:+.6}, {:+.6})  |Δm| {dm:.1e}  ΔV/V {dv:.1e}  ΔI/I {di:.1e}",
        p.bias, s[0], s[1], s[2]
    );
    assert!(dm < 1e-7, "{what} at {}: m {s:?} vs {:?}", p.bias, p.vals);
    assert!(
        dv < 1e-7 && di < 1e-7,
        "{what} at {}: {s:?} vs {:?}",
        p.bias,
        p.vals
    );
    dm
}

/// The issue's failing netlists: the in-plane MTJ with 10 µA, 1 nA and a
/// 1 mV source (spin torque on), and with no current in a slightly tilted
/// field (hy = 1 A/m); the AMR strip with a DC current (below).
#[test]
fn mtj_issue_netlists() {
    let mtj = Mtj { deg: 0.0 };
    let tilted = mtj.card().replace("hy=0e0", "hy=1");
    let tilted_par = mtj.par().replace("[4e4,0e0,0e0]", "[4e4,1,0e0]");
    let cases = [
        format!(
            r#"{{"kind":"mtj","par":{},"m0":[1,0,0],"src":"i","values":[1e-5,1e-9]}}"#,
            mtj.par()
        ),
        format!(
            r#"{{"kind":"mtj","par":{},"m0":[1,0,0],"src":"v","values":[1e-3]}}"#,
            mtj.par()
        ),
        format!(r#"{{"kind":"mtj","par":{tilted_par},"m0":[1,0,0],"src":"i","values":[0]}}"#),
    ];
    let Some(refs) = reference(&cases) else {
        return;
    };
    let line = "YMTJ m1 a 0 ip";
    for p in &refs[0].points {
        check_macrospin("10 µA / 1 nA", &mtj.card(), line, "m1", "i", p);
    }
    check_macrospin("1 mV", &mtj.card(), line, "m1", "v", &refs[1].points[0]);
    check_macrospin(
        "hy = 1, I = 0",
        &tilted,
        line,
        "m1",
        "i",
        &refs[2].points[0],
    );
}

/// YMTJ over field angles 0–180° and bias currents of both signs up to 95 %
/// of the switching current of the branch (found by the reference), with a
/// current source; a voltage source at three angles.
#[test]
fn mtj_bias_and_angle_sweep() {
    let angles = [0.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0];
    let vangles = [0.0, 90.0, 150.0];
    let ladder = |deg: f64, src: &str, span: &str, fractions: &str| {
        let m = Mtj { deg };
        format!(
            r#"{{"kind":"mtj","par":{},"m0":{},"src":"{src}","mode":"ladder","span":{span},"fractions":[{fractions}]}}"#,
            m.par(),
            v3(m.m0())
        )
    };
    let mut cases: Vec<String> = angles
        .iter()
        .map(|&d| ladder(d, "i", "5e-3", "0.1,0.5,0.95"))
        .collect();
    cases.extend(vangles.iter().map(|&d| ladder(d, "v", "0.5", "0.5,0.95")));
    let Some(refs) = reference(&cases) else {
        return;
    };
    let all: Vec<(f64, &str)> = angles
        .iter()
        .map(|&a| (a, "i"))
        .chain(vangles.iter().map(|&a| (a, "v")))
        .collect();
    let mut worst = 0.0f64;
    for ((deg, src), r) in all.iter().zip(&refs) {
        let m = Mtj { deg: *deg };
        let (pos, neg) = r.switch.unwrap();
        eprintln!("θ_H = {deg}°, {src} source: switching at {pos:+.4e} / {neg:+.4e}");
        for p in &r.points {
            let what = format!("MTJ θ_H = {deg}° ({src})");
            worst = worst.max(check_macrospin(
                &what,
                &m.card(),
                "YMTJ m1 a 0 ip",
                "m1",
                src,
                p,
            ));
        }
    }
    eprintln!("MTJ sweep: worst |Δm| = {worst:.2e}");
}

// ------------------------------------------------------------------ AMR

/// A Permalloy strip (μ0M_eff = 0.968 T, γ/2π = 29.4 GHz/T, the thesis
/// card) with a spin-Hall damping-like torque, in an in-plane field of
/// 8 kA/m at `deg` from x; current at 45°.
fn amr_card(deg: f64) -> (String, String, [f64; 3]) {
    let t = deg.to_radians();
    let c = if deg == 90.0 { 0.0 } else { t.cos() };
    let s = if deg == 180.0 { 0.0 } else { t.sin() };
    let h = [8e3 * c, 8e3 * s, 0.0];
    let meff = 0.968 / 1.256_637_062_12e-6;
    let gamma = std::f64::consts::TAU * 29.4e9;
    let card = format!(
        ".model py AMR (meff={meff:e} alpha=0.01 gamma={gamma:e} hx={:e} hy={:e} hz=0 \
phi0=45 k=6e4 kdl=2e5 r0=100 dr=0.5)",
        h[0], h[1]
    );
    let par = format!(
        r#"{{"meff":{meff:e},"alpha":0.01,"gamma":{gamma:e},"h":{},"phi0":45,"k":6e4,"kdl":2e5,"r0":100,"dr":0.5}}"#,
        v3(h)
    );
    // default m0 without anisotropy: along H
    (card, par, [h[0] / 8e3, h[1] / 8e3, 0.0])
}

/// YAMR with a DC current (Oersted field and spin-Hall torque on), field
/// angles 0–180°, both signs up to 95 % of switching; and the issue's AMR
/// case (1 mA, the thesis card without spin-Hall torque).
#[test]
fn amr_bias_and_angle_sweep() {
    let angles = [0.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0];
    let mut cases = Vec::new();
    for &deg in &angles {
        let (_, par, m0) = amr_card(deg);
        cases.push(format!(
            r#"{{"kind":"amr","par":{par},"m0":{},"src":"i","mode":"ladder","span":0.2,"fractions":[0.1,0.5,0.95]}}"#,
            v3(m0)
        ));
    }
    let (_, par0, _) = amr_card(0.0);
    let thesis = par0.replace(r#""kdl":2e5"#, r#""kdl":0"#);
    cases.push(format!(
        r#"{{"kind":"amr","par":{thesis},"m0":[1,0,0],"src":"i","values":[1e-3,-1e-3]}}"#
    ));
    let Some(refs) = reference(&cases) else {
        return;
    };
    for (&deg, r) in angles.iter().zip(&refs) {
        let (card, ..) = amr_card(deg);
        let (pos, neg) = r.switch.unwrap();
        eprintln!("AMR θ_H = {deg}°: switching at {pos:+.4e} / {neg:+.4e} A");
        for p in &r.points {
            check_macrospin(
                &format!("AMR θ_H = {deg}°"),
                &card,
                "YAMR s1 a 0 py",
                "s1",
                "i",
                p,
            );
        }
    }
    let (card0, ..) = amr_card(0.0);
    let card0 = card0.replace("kdl=2e5", "kdl=0");
    for p in &refs[angles.len()].points {
        check_macrospin("AMR 1 mA", &card0, "YAMR s1 a 0 py", "s1", "i", p);
    }
}

// ------------------------------------------------ analyses from the OP

/// `.dc`, `.ac` and `.tran` (without `uic`) start from the operating point
/// of a biased MTJ: the `.dc` sweep of the bias current follows the
/// reference branch point by point, and a transient from the operating
/// point stays at rest (dm/dt = 0 there).
#[test]
fn mtj_dc_sweep_ac_and_tran_from_the_operating_point() {
    let m = Mtj { deg: 60.0 };
    let biases: Vec<f64> = (-4..=4).map(|k| k as f64 * 1e-4).collect();
    let list = biases
        .iter()
        .map(|b| format!("{b:e}"))
        .collect::<Vec<_>>()
        .join(",");
    let case = format!(
        r#"{{"kind":"mtj","par":{},"m0":{},"src":"i","values":[{list}]}}"#,
        m.par(),
        v3(m.m0())
    );
    let Some(refs) = reference(&[case]) else {
        return;
    };
    let nl = format!(
        "dc\n{}\nI1 0 a DC 0 AC 1u\nYMTJ m1 a 0 ip\n.dc I1 -0.4m 0.4m 0.1m\n.ac lin 3 1g 3g\n\
.tran 10p 1n\n.end\n",
        m.card()
    );
    let sink = run_ok(&nl);
    let dc = sink.analysis(AnalysisKind::Dc).expect("dc");
    assert_eq!(dc.sweep.len(), biases.len());
    let names = ["m1#mx", "m1#my", "m1#mz", "v(a)"];
    let cols: Vec<Vec<f64>> = names.iter().map(|n| sig(dc, n)).collect();
    for (k, p) in refs[0].points.iter().enumerate() {
        assert!((dc.sweep[k] - p.bias).abs() < 1e-15);
        for c in 0..4 {
            let tol = if c < 3 {
                1e-7
            } else {
                1e-7 * p.vals[3].abs() + 1e-15
            };
            assert!(
                (cols[c][k] - p.vals[c]).abs() <= tol,
                ".dc at {}: {} = {} vs {}",
                p.bias,
                names[c],
                cols[c][k],
                p.vals[c]
            );
        }
    }
    // .ac ran at the operating point (I = 0): the transient too, and it stays there
    assert!(sink.analysis(AnalysisKind::Ac).is_some());
    let tr = sink.analysis(AnalysisKind::Tran).expect("tran");
    let mx = sig(tr, "m1#mx");
    let (lo, hi) = mx
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(*v), h.max(*v)));
    assert!(hi - lo < 1e-9, "m_x moved by {} in the transient", hi - lo);
}

/// Field-driven switching in `.dc` sweeps (hysteresis): the in-plane MTJ
/// without spin torque, in a 100 A/m transverse field, with the field of its
/// own current along −x (k_I = −1e7 A/m per A, so ±1 mA is ∓H_K). The
/// reference finds the bias where the branch from +x loses stability
/// (Stoner–Wohlfarth, slightly below H_K for the 0.6° tilt). A sweep up from
/// 0 follows the +x branch and, past that bias, the reversed branch; a
/// sweep down from +2 mA (whose operating point Newton first finds on the
/// unstable +x point) follows the reversed branch and switches back at the
/// opposite bias. Every point is compared with the reference branch it must
/// be on; no warning is issued.
#[test]
fn mtj_dc_sweep_switches_with_hysteresis() {
    let card = ".model sw MTJ (ms=795774 alpha=0.01 ku=5e3 kax=1 kay=0 kaz=0 hx=0 hy=100 hz=0 \
area=1e-14 tfl=2e-9 px=1 py=0 pz=0 rp=100 rap=200 eta=0 koex=-1e7 koey=0 koez=0)";
    let par = r#"{"ms":795774,"alpha":0.01,"ku":5e3,"kax":[1,0,0],"h":[0,100,0],"vol":2e-23,"p":[1,0,0],"rp":100,"rap":200,"eta":0,"koe":[-1e7,0,0]}"#;
    let up: Vec<f64> = (0..=40).map(|k| k as f64 * 50e-6).collect();
    let down: Vec<f64> = (0..=40).map(|k| 2e-3 - k as f64 * 100e-6).collect();
    let list = |v: &[f64]| {
        v.iter()
            .map(|b| format!("{b:e}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut all = up.clone();
    all.extend(down.iter().filter(|b| **b != 0.0 && !up.contains(b)));
    let cases = [
        format!(
            r#"{{"kind":"mtj","par":{par},"m0":[1,0,0],"src":"i","mode":"ladder","span":3e-3,"fractions":[]}}"#
        ),
        format!(
            r#"{{"kind":"mtj","par":{par},"m0":[1,0,0],"src":"i","values":[{}]}}"#,
            list(&all)
        ),
        format!(
            r#"{{"kind":"mtj","par":{par},"m0":[-1,0,0],"src":"i","values":[{}]}}"#,
            list(&all)
        ),
    ];
    let Some(refs) = reference(&cases) else {
        return;
    };
    let isw = refs[0].switch.unwrap().0;
    eprintln!("switching bias of the +x branch: {isw:e} A");
    assert!(isw > 0.5e-3 && isw < 1e-3, "{isw}");
    let branch = |plus: bool, bias: f64| -> &Pt {
        let r = if plus { &refs[1] } else { &refs[2] };
        r.points
            .iter()
            .find(|p| (p.bias - bias).abs() < 1e-12)
            .unwrap()
    };
    let nl = format!(
        "hysteresis\n{card}\nI1 0 a DC 0\nYMTJ m1 a 0 sw\n.dc I1 0 2m 50u\n.dc I1 2m -2m -100u\n.end\n"
    );
    let (sink, summary) = simulate_str(&nl, &[]).unwrap();
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    let dcs: Vec<&MemAnalysis> = sink
        .analyses
        .iter()
        .filter(|a| a.info.kind == AnalysisKind::Dc)
        .collect();
    assert_eq!(dcs.len(), 2);
    // up: +x branch below isw, reversed above; down: reversed above −isw
    for (dc, plus_if) in [
        (
            dcs[0],
            Box::new(|b: f64| b < isw) as Box<dyn Fn(f64) -> bool>,
        ),
        (dcs[1], Box::new(|b: f64| b < -isw)),
    ] {
        let names = ["m1#mx", "m1#my", "m1#mz"];
        let cols: Vec<Vec<f64>> = names.iter().map(|n| sig(dc, n)).collect();
        for (k, &b) in dc.sweep.iter().enumerate() {
            if (b.abs() - isw).abs() < 0.01 * isw {
                continue;
            }
            let plus = plus_if(b);
            let p = branch(plus, b);
            assert!(
                p.stable,
                "reference point at {b} on the {plus} branch is not stable"
            );
            let dm = (0..3)
                .map(|c| (cols[c][k] - p.vals[c]).abs())
                .fold(0.0, f64::max);
            assert!(
                dm < 1e-7,
                "at {b:e} A: m = ({}, {}, {}), expected the {} branch {:?}",
                cols[0][k],
                cols[1][k],
                cols[2][k],
                if plus { "+x" } else { "reversed" },
                &p.vals[..3]
            );
        }
    }
}

// ------------------------------------------------------------ STNO, SD

/// YSTNO (levels 1 and 2) with an ideal current source of both signs below
/// and above threshold, with a clamp, and with a voltage source: the DC
/// state p = max((ξ−1)/(ξ+Q), pinit) and V = R0·I.
#[test]
fn stno_operating_points() {
    let biases = [-3e-3, -0.5e-3, 0.0, 0.5e-3, 1.5e-3, 3e-3, 12e-3];
    let list = |b: &[f64]| {
        b.iter()
            .map(|v| format!("{v:e}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let par = r#"{"ith":1e-3,"q":2,"r0":120,"iclamp":8e-3}"#;
    let vb: Vec<f64> = biases.iter().map(|b| b * 120.0).collect();
    let cases = [
        format!(
            r#"{{"kind":"stno","par":{par},"src":"i","values":[{}]}}"#,
            list(&biases)
        ),
        format!(
            r#"{{"kind":"stno","par":{par},"src":"v","values":[{}]}}"#,
            list(&vb)
        ),
    ];
    let Some(refs) = reference(&cases) else {
        return;
    };
    for level in [1, 2] {
        let card = format!(
            ".model osc STNO (level={level} f0=5g nshift=1g gammag=1e9 ith=1m q=2 r0=120 drosc=30 iclamp=8m)"
        );
        for (src, r) in ["i", "v"].iter().zip(&refs) {
            for p in &r.points {
                let nl = op_netlist(&card, "YSTNO n1 a 0 osc", src, p.bias);
                let names: &[&str] = if level == 1 {
                    &["n1#cr", "n1#ci", "v(a)", "i(n1)"]
                } else {
                    &["n1#p", "v(a)", "i(n1)"]
                };
                let s = op_values(&nl, names);
                let want: Vec<f64> = if level == 1 {
                    vec![p.vals[1], p.vals[2], p.vals[3], p.vals[4]]
                } else {
                    vec![p.vals[0], p.vals[3], p.vals[4]]
                };
                eprintln!(
                    "STNO level {level} ({src}) at {:+e}: {s:?} vs {want:?}",
                    p.bias
                );
                for (a, b) in s.iter().zip(&want) {
                    assert!((a - b).abs() <= 1e-9 * b.abs() + 1e-15, "{a} vs {b}");
                }
            }
        }
    }
}

/// YSD with DC current of both signs: drive=1 (dI/dt) holds z = 0 and
/// R = R0; drive=2 (the seed 004 kernel) has z = ΓI/(Γ − iω_r) and the
/// quadratic DC artefact; orient=−1, mirror compensation and a voltage
/// source.
#[test]
fn spin_diode_operating_points() {
    let biases = [-2e-3, -1e-4, 0.0, 3e-4, 2e-3];
    let list = biases
        .iter()
        .map(|v| format!("{v:e}"))
        .collect::<Vec<_>>()
        .join(",");
    let variants = [
        ("drive=1", r#""drive":1"#),
        ("drive=2", r#""drive":2"#),
        (
            "drive=2 orient=-1 psi=30",
            r#""drive":2,"orient":-1,"psi":30"#,
        ),
        ("drive=1 mirror=0", r#""drive":1"#),
    ];
    let mut cases = Vec::new();
    for (_, extra) in &variants {
        for src in ["i", "v"] {
            let vals = if src == "i" {
                list.clone()
            } else {
                biases
                    .iter()
                    .map(|v| format!("{:e}", v * 50.0))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            cases.push(format!(
                r#"{{"kind":"sd","par":{{"fres":2e9,"alpha":0.02,"a":3,"r0":50,{extra}}},"src":"{src}","values":[{vals}]}}"#
            ));
        }
    }
    let Some(refs) = reference(&cases) else {
        return;
    };
    let mut k = 0;
    for (params, _) in &variants {
        let card = format!(".model sd SPINDIODE (fres=2g alpha=0.02 a=3 r0=50 {params})");
        for src in ["i", "v"] {
            for p in &refs[k].points {
                let nl = op_netlist(&card, "YSD d1 a 0 sd", src, p.bias);
                let s = op_values(&nl, &["d1#zr", "d1#zi", "v(a)", "i(d1)"]);
                eprintln!(
                    "SD {params} ({src}) at {:+e}: {s:?} vs {:?}",
                    p.bias, p.vals
                );
                for (a, b) in s.iter().zip(&p.vals) {
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs() + 1e-15,
                        "{params}: {a} vs {b}"
                    );
                }
            }
            k += 1;
        }
    }
}
