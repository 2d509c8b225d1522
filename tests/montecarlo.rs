//! Monte Carlo (issue 14): `agauss`, `gauss`, `aunif`, `unif` in netlist
//! expressions, drawn per instance in the samples of `.step mc N`.
//!
//! Truth: the definitions of the functions (ngspice manual, "Statistical
//! functions"; HSPICE): the mean and standard deviation over many draws, the
//! bounds of the uniform ones, no correlation between instances; the
//! semantics of which values share a draw (a top-level `.param`: one per
//! sample; an element value, an instance value, a subcircuit parameter: one
//! per instance); reproducibility with `.options seed=N` and for any
//! `--jobs`; different draws for another seed or a drawn seed.

mod common;

use spinspice::output::memory::MemorySink;
use spinspice::output::AnalysisKind;
use spinspice::sweep::exec::SweepOptions;
use std::path::Path;
use std::process::Command;

/// Instances per function; × SAMPLES draws each.
const N: usize = 200;
const SAMPLES: usize = 6;

/// N instances of a subcircuit per function; each cell's resistor carries
/// 1 mA, so v(node) = R/1000. Cells `a`: agauss through a subcircuit
/// parameter default; `g`: gauss as an instance value (`X… r={…}`);
/// `u`: aunif as the element value inside the cell; `v`: unif as an element
/// value at top level. Two resistors use the top-level `.param glob`.
fn netlist(seed: Option<u64>, samples: usize) -> String {
    let mut s = String::from("Monte Carlo statistics\n");
    s += ".param glob=agauss(2k, 300, 1)\n";
    s += ".subckt ca n params: r={agauss(1k, 90, 3)}\nR1 n 0 {r}\n.ends\n";
    s += ".subckt cg n params: r=1k\nR1 n 0 {r}\n.ends\n";
    s += ".subckt cu n\nR1 n 0 {aunif(1k, 200)}\n.ends\n";
    for i in 0..N {
        s += &format!("I{i}a 0 a{i} 1m\nXa{i} a{i} ca\n");
        s += &format!("I{i}g 0 g{i} 1m\nXg{i} g{i} cg r={{gauss(1k, 0.08, 2)}}\n");
        s += &format!("I{i}u 0 u{i} 1m\nXu{i} u{i} cu\n");
        s += &format!("I{i}v 0 v{i} 1m\nRv{i} v{i} 0 {{unif(1k, 0.3)}}\n");
    }
    s += "Ig1 0 p1 1m\nRg1 p1 0 {glob}\nIg2 0 p2 1m\nRg2 p2 0 {glob}\n";
    if let Some(seed) = seed {
        s += &format!(".options seed={seed}\n");
    }
    s += &format!(".op\n.step mc {samples}\n.end\n");
    s
}

fn parse(text: &str) -> spinspice::netlist::ast::Netlist {
    let mut sm = spinspice::diag::SourceMap::new();
    spinspice::netlist::parse_str("mc.cir", text, Path::new("."), &mut sm)
        .expect("parses")
        .netlist
}

fn run(text: &str, jobs: usize) -> MemorySink {
    let sweep = SweepOptions {
        jobs,
        ..Default::default()
    };
    let (sink, summary) =
        common::run_in_memory(parse(text), text, vec![], vec![], sweep).expect("runs");
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    sink
}

/// `v(prefix{i})` × 1000 = R of every instance, per sample: [sample][i].
fn values(sink: &MemorySink, prefix: &str) -> Vec<Vec<f64>> {
    let ops: Vec<_> = sink
        .analyses
        .iter()
        .filter(|a| a.info.kind == AnalysisKind::Op)
        .collect();
    assert_eq!(ops.len(), SAMPLES);
    ops.iter()
        .map(|a| {
            (0..N)
                .map(|i| 1e3 * a.signal(&format!("v({prefix}{i})")).expect("signal")[0])
                .collect()
        })
        .collect()
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (
        m,
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
    )
}

/// Pearson correlation of neighbouring instances (i, i+1) over all samples.
fn neighbour_correlation(v: &[Vec<f64>]) -> f64 {
    let (a, b): (Vec<f64>, Vec<f64>) = v
        .iter()
        .flat_map(|s| s.windows(2).map(|w| (w[0], w[1])))
        .unzip();
    let (ma, sa) = mean_sd(&a);
    let (mb, sb) = mean_sd(&b);
    let n = a.len() as f64;
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / ((n - 1.0) * sa * sb)
}

#[test]
fn draws_follow_the_definitions_per_instance() {
    let sink = run(&netlist(Some(11), SAMPLES), 2);
    let n = (N * SAMPLES) as f64;
    // (cells, mean, standard deviation, half-width of the support if uniform)
    let cases = [
        ("a", 1000.0, 90.0 / 3.0, None),
        ("g", 1000.0, 1000.0 * 0.08 / 2.0, None),
        ("u", 1000.0, 200.0 / 3f64.sqrt(), Some(200.0)),
        ("v", 1000.0, 300.0 / 3f64.sqrt(), Some(300.0)),
    ];
    for (p, mean, sd, half) in cases {
        let v = values(&sink, p);
        let all: Vec<f64> = v.iter().flatten().copied().collect();
        let (m, s) = mean_sd(&all);
        // 5 standard errors: σ/√n for the mean, σ/√(2n) for σ
        assert!(
            (m - mean).abs() < 5.0 * sd / n.sqrt(),
            "{p}: mean {m} vs {mean}"
        );
        assert!(
            (s - sd).abs() < 5.0 * sd / (2.0 * n).sqrt(),
            "{p}: sd {s} vs {sd}"
        );
        if let Some(h) = half {
            assert!(
                all.iter().all(|x| (x - mean).abs() <= h * (1.0 + 1e-12)),
                "{p}"
            );
        }
        // independent instances: neighbours uncorrelated (|ρ| < 5/√n)
        let rho = neighbour_correlation(&v);
        assert!(rho.abs() < 5.0 / n.sqrt(), "{p}: ρ = {rho}");
        // every instance differs from every other in a sample, and each
        // instance differs between samples
        let mut s0 = v[0].clone();
        s0.sort_by(f64::total_cmp);
        assert!(s0.windows(2).all(|w| w[0] != w[1]), "{p}: repeated draws");
        assert!((0..N).all(|i| v[0][i] != v[1][i]), "{p}: same draw twice");
    }
    // the top-level .param: one draw per sample, shared by its two users
    let ops: Vec<_> = sink
        .analyses
        .iter()
        .filter(|a| a.info.kind == AnalysisKind::Op)
        .collect();
    let g: Vec<(f64, f64)> = ops
        .iter()
        .map(|a| (a.signal("v(p1)").unwrap()[0], a.signal("v(p2)").unwrap()[0]))
        .collect();
    assert!(g.iter().all(|(a, b)| a == b), "{g:?}");
    assert!(g.windows(2).all(|w| w[0].0 != w[1].0), "{g:?}");
}

#[test]
fn seeded_runs_repeat_for_any_jobs_and_other_seeds_differ() {
    let text = netlist(Some(5), SAMPLES);
    let a = values(&run(&text, 1), "a");
    let b = values(&run(&text, 2), "a");
    assert_eq!(a, b, "same seed, --jobs 1 vs 2");
    let c = values(&run(&netlist(Some(6), SAMPLES), 2), "a");
    assert!(
        a[0].iter().zip(&c[0]).all(|(x, y)| x != y),
        "seed 6 = seed 5"
    );
    // sample k does not depend on how many samples the run has
    let short = run(&netlist(Some(5), 2), 1);
    let ops: Vec<_> = short
        .analyses
        .iter()
        .filter(|x| x.info.kind == AnalysisKind::Op)
        .collect();
    assert_eq!(1e3 * ops[1].signal("v(a7)").unwrap()[0], a[1][7]);
}

#[test]
fn without_mc_the_functions_are_nominal_and_said_so() {
    let text = netlist(Some(5), 1).replace(".step mc 1\n", "");
    let (sink, summary) =
        common::run_in_memory(parse(&text), &text, vec![], vec![], SweepOptions::default())
            .expect("runs");
    let op = sink.analysis(AnalysisKind::Op).unwrap();
    for i in [0, N - 1] {
        for p in ["a", "g", "u", "v"] {
            assert_eq!(op.signal(&format!("v({p}{i})")).unwrap()[0], 1.0);
        }
    }
    assert!(summary
        .warnings
        .iter()
        .any(|w| w.message.contains("nominal values")));
}

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

/// CLI: a drawn seed is reported; rerunning with it repeats the run; two
/// runs without a seed differ; the HDF5 files of --jobs 1 and 2 are
/// bit-identical with a seed.
#[test]
fn cli_seed_reporting_and_identical_files() {
    let dir = common::scratch("mc-cli");
    let small = "mc cli\nI1 0 a 1m\nR1 a 0 {agauss(1k, 100, 1)}\n.tran 1n 2n\n\
                 .meas tran va avg v(a)\n.step mc 3\n.end\n";
    let p = dir.join("a.cir");
    std::fs::write(&p, small).unwrap();
    let run = |args: &[&str]| {
        let o = Command::new(exe()).args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let ps = p.to_str().unwrap();
    let (out1, err1) = run(&["run", ps, "-q"]);
    let (out2, _) = run(&["run", ps, "-q"]);
    assert_ne!(out1, out2, "two runs without a seed drew the same values");
    let seed: u64 = err1
        .split("seed ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no seed reported: {err1}"));
    let seeded = small.replace(".step", &format!(".options seed={seed}\n.step"));
    let q = dir.join("b.cir");
    std::fs::write(&q, &seeded).unwrap();
    let qs = q.to_str().unwrap();
    let (out3, _) = run(&["run", qs, "-q"]);
    assert_eq!(out1, out3, "the reported seed does not repeat the run");
    let (h1, h2) = (dir.join("j1.h5"), dir.join("j2.h5"));
    run(&["run", qs, "-q", "-j", "1", "-o", h1.to_str().unwrap()]);
    run(&["run", qs, "-q", "-j", "2", "-o", h2.to_str().unwrap()]);
    common::assert_same_files(&h1, &h2, &[]);
    // shards: refused without a seed (each would draw its own); with one,
    // two shards merged are the single run
    let o = Command::new(exe())
        .args(["run", ps, "-q", "--shard", "1/2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs '.options seed=N'"));
    let (s1, s2, m) = (dir.join("s1.h5"), dir.join("s2.h5"), dir.join("m.h5"));
    run(&[
        "run",
        qs,
        "-q",
        "--shard",
        "1/2",
        "-o",
        s1.to_str().unwrap(),
    ]);
    run(&[
        "run",
        qs,
        "-q",
        "--shard",
        "2/2",
        "-o",
        s2.to_str().unwrap(),
    ]);
    run(&[
        "merge",
        m.to_str().unwrap(),
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
    ]);
    let read = |p: &Path| {
        hdf5_pure::File::open(p)
            .unwrap()
            .dataset("sweep/measures/va")
            .unwrap()
            .read_f64()
            .unwrap()
    };
    assert_eq!(read(&m), read(&h1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_monte_carlo_input_is_reported_with_its_place() {
    let cases = [
        (
            "t\nR1 a 0 {agauss(1k, 1, 0)}\nI1 0 a 1m\n.op\n.step mc 2\n.end\n",
            "2:9",
            "sigma must be positive",
        ),
        (
            "t\nR1 a 0 {unif(1k)}\nI1 0 a 1m\n.op\n.end\n",
            "2:9",
            "expects 2 arguments",
        ),
        (
            "t\nR1 a 0 1k\nI1 0 a 1m\n.op\n.step mc 0\n.end\n",
            "5:10",
            "whole number of samples",
        ),
        (
            "t\nR1 a 0 1k\nB1 b 0 V={agauss(v(a), 1, 1)}\nI1 0 a 1m\n.op\n.end\n",
            "3:11",
            "must be constants",
        ),
        (
            "t\nR1 a 0 1k\nI1 0 a 1m\n.options seed=-3\n.op\n.end\n",
            "4:10",
            "seed",
        ),
    ];
    for (text, at, msg) in cases {
        let err = match spinspice::analysis::run::simulate_str(text, &[]) {
            Err(e) => e,
            Ok((_, s)) => s
                .failures
                .first()
                .map(|(_, d)| d.message.clone())
                .unwrap_or_default(),
        };
        assert!(err.contains(msg), "{text}: {err}");
        assert!(err.contains(&format!("<netlist>:{at}")), "{text}: {err}");
    }
}
