//! Sweeps: a sweep gives the numbers of separate single runs; any `--jobs`
//! gives bit-identical files; 2 shards + merge == 1 run, value for value; a
//! failing point is isolated; `--step`/`--param`/`--save`; the CSV table;
//! the h5py example of docs/sweeps.md.

mod common;

use hdf5_pure::{AttrValue, File};
use spinspice::analysis::run::{simulate_str, RunSummary};
use spinspice::output::memory::MemorySink;
use spinspice::output::{AnalysisKind, PointStatus};
use spinspice::sweep::exec::{SaveMode, SweepOptions};
use spinspice::sweep::grid::{parse_cli_step, CliStep};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The diode detector of netlists/detector_sweep.cir on a smaller grid and a
/// shorter transient (3 powers × 3 frequencies).
const DETECTOR: &str = "Diode detector sweep (test)
.param prf=-10 f0=2.4g
.param vamp={2*dbm2v(prf, 50)}
Vrf in 0 SIN(0 {vamp} {f0})
Rs in a 50
Rm a 0 50
D1 a out dsch
Cv out 0 2p
Rv out 0 5k
.model dsch D(IS=5e-6 N=1.05 RS=10 CJO=0.1p VJ=0.35 M=0.5)
.options interp
.save v(out) v(a)
.tran 10p 12n 0 10p
.meas tran vdc DCMEAN v(out) FREQ=f0 SETTLE=6n
.meas tran vrip RIPPLE v(out) FREQ=f0 SETTLE=6n
.meas tran pin TONEDBM v(a) R=50 FROM=6n
.step param prf list -20 -5 10 unit=dBm
.step param f0 list 1g 3g 5g unit=Hz
.end
";

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs the CLI; returns (exit code, stdout, stderr).
fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(exe()).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Library run of netlist text with sweep options, into memory.
fn run_mem(text: &str, steps: Vec<CliStep>, opts: SweepOptions) -> (MemorySink, RunSummary) {
    let mut sm = spinspice::diag::SourceMap::new();
    let parsed = spinspice::netlist::parse_str("<t>", text, Path::new("."), &mut sm).unwrap();
    common::run_in_memory(parsed.netlist, text, Vec::new(), steps, opts).unwrap()
}

#[test]
fn sweep_points_equal_separate_single_runs() {
    let (sink, summary) = run_mem(
        DETECTOR,
        Vec::new(),
        SweepOptions {
            jobs: 2,
            ..Default::default()
        },
    );
    assert!(summary.sweep && summary.failures.is_empty());
    let steps = sink.steps.clone().unwrap();
    assert_eq!(steps.params, ["prf", "f0"]);
    assert_eq!(steps.values.len(), 9);
    // first axis fastest
    assert_eq!(steps.values[1], [-5.0, 1e9]);
    assert_eq!(steps.values[3], [-20.0, 3e9]);
    // 3 measures per point, in point order
    assert_eq!(sink.measures.len(), 27);
    for (k, vals) in steps.values.iter().enumerate() {
        let ov = vec![("prf".to_string(), vals[0]), ("f0".to_string(), vals[1])];
        let (single, s1) = simulate_str(DETECTOR, &ov).unwrap();
        assert!(!s1.sweep, "--param on both swept names makes a single run");
        for (j, m) in single.measures.iter().enumerate() {
            let swept = &sink.measures[3 * k + j];
            assert_eq!(swept.name, m.name);
            let (a, b) = (swept.value.clone().unwrap(), m.value.clone().unwrap());
            assert_eq!(a.to_bits(), b.to_bits(), "point {k} {}: {a} vs {b}", m.name);
        }
        let sw = sink
            .analyses
            .iter()
            .find(|a| a.point == Some(k) && a.info.kind == AnalysisKind::Tran)
            .unwrap();
        let one = single.analysis(AnalysisKind::Tran).unwrap();
        assert_eq!(sw.sweep, one.sweep);
        assert_eq!(sw.signal("v(out)").unwrap(), one.signal("v(out)").unwrap());
    }
    // The detector rectifies: more power, more DC; and the RF power at the
    // diode is the available power less what the diode takes (a few dB).
    let vdc = |k: usize| sink.measures[3 * k].value.clone().unwrap();
    for f in 0..3 {
        assert!(vdc(3 * f) < vdc(3 * f + 1) && vdc(3 * f + 1) < vdc(3 * f + 2));
    }
    for k in 0..9 {
        let pin = sink.measures[3 * k + 2].value.clone().unwrap();
        let prf = steps.values[k][0];
        assert!(
            pin < prf && pin > prf - 6.0,
            "point {k}: {pin} dBm at {prf} dBm"
        );
    }
}

#[test]
fn jobs_1_and_2_write_bit_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let nl = write(dir.path(), "det.cir", DETECTOR);
    let f1 = dir.path().join("j1.h5");
    let f2 = dir.path().join("j2.h5");
    let (c1, _, e1) = cli(&[
        "run",
        path_str(&nl),
        "-o",
        path_str(&f1),
        "-q",
        "--jobs",
        "1",
    ]);
    let (c2, _, e2) = cli(&[
        "run",
        path_str(&nl),
        "-o",
        path_str(&f2),
        "-q",
        "--jobs",
        "2",
    ]);
    assert_eq!((c1, c2), (0, 0), "{e1}\n{e2}");
    common::assert_same_files(&f1, &f2, &[]);
    // CSV outputs too (every file of the run).
    let c1 = dir.path().join("j1.csv");
    let c2 = dir.path().join("j2.csv");
    cli(&["run", path_str(&nl), "-o", path_str(&c1), "-q", "-j", "1"]);
    cli(&["run", path_str(&nl), "-o", path_str(&c2), "-q", "-j", "2"]);
    for suffix in ["csv", "meas.csv", "steps.csv", "sweep.csv"] {
        let a = std::fs::read(dir.path().join(format!("j1.{suffix}"))).unwrap();
        let b = std::fs::read(dir.path().join(format!("j2.{suffix}"))).unwrap();
        assert!(a == b && !a.is_empty(), "{suffix}");
    }
}

#[test]
fn two_shards_merged_equal_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let nl = write(dir.path(), "det.cir", DETECTOR);
    let full = dir.path().join("full.h5");
    let s1 = dir.path().join("shard1.h5");
    let s2 = dir.path().join("shard2.h5");
    let merged = dir.path().join("merged.h5");
    assert_eq!(
        cli(&["run", path_str(&nl), "-o", path_str(&full), "-q"]).0,
        0
    );
    let (c, out, _) = cli(&[
        "run",
        path_str(&nl),
        "-o",
        path_str(&s1),
        "-q",
        "--shard",
        "1/2",
    ]);
    assert_eq!(c, 0);
    assert_eq!(out.matches("step ").count(), 5, "points 0, 2, 4, 6, 8");
    assert_eq!(
        cli(&[
            "run",
            path_str(&nl),
            "-o",
            path_str(&s2),
            "-q",
            "--shard",
            "2/2"
        ])
        .0,
        0
    );
    // A shard file says which points it ran.
    let f = File::open(&s2).unwrap();
    assert_eq!(
        f.dataset("steps/status").unwrap().read_i32().unwrap(),
        [-1, 0, -1, 0, -1, 0, -1, 0, -1]
    );
    drop(f);
    let (c, _, err) = cli(&["merge", path_str(&merged), path_str(&s2), path_str(&s1)]);
    assert_eq!(c, 0, "{err}");
    common::assert_same_files(&full, &merged, &[]);
    // One shard alone: merged but incomplete, exit code 1.
    let part = dir.path().join("part.h5");
    let (c, _, err) = cli(&["merge", path_str(&part), path_str(&s1)]);
    assert_eq!(c, 1);
    assert!(err.contains("in no input"), "{err}");
    // Shards of another netlist are refused.
    let other = write(
        dir.path(),
        "other.cir",
        &DETECTOR.replace("Rv out 0 5k", "Rv out 0 4k"),
    );
    let s3 = dir.path().join("other1.h5");
    assert_eq!(
        cli(&[
            "run",
            path_str(&other),
            "-o",
            path_str(&s3),
            "-q",
            "--shard",
            "2/2"
        ])
        .0,
        0
    );
    let (c, _, err) = cli(&["merge", path_str(&part), path_str(&s1), path_str(&s3)]);
    assert_eq!(c, 1);
    assert!(err.contains("different netlist"), "{err}");
}

const FAILING: &str = "RC whose second point fails
.param k=1
V1 in 0 SIN(0 1 1g)
R1 in out {1k/k}
C1 out 0 1p
.tran 10p 5n
.meas tran vavg AVG v(out) FROM=2n
.step param k list 1 0 2
.end
";

#[test]
fn a_failing_point_is_recorded_and_the_others_finish() {
    let dir = tempfile::tempdir().unwrap();
    let nl = write(dir.path(), "fail.cir", FAILING);
    let out = dir.path().join("fail.h5");
    let (c, _, err) = cli(&["run", path_str(&nl), "-o", path_str(&out), "-q", "-j", "2"]);
    assert_eq!(c, 3, "some points failed: exit code 3\n{err}");
    assert!(err.contains("division by zero"), "{err}");
    let f = File::open(&out).unwrap();
    assert_eq!(
        f.dataset("steps/status").unwrap().read_i32().unwrap(),
        [0, 1, 0]
    );
    let errors = f.dataset("steps/error").unwrap().read_string().unwrap();
    assert!(errors[1].contains("division by zero") && errors[0].is_empty());
    let m = f
        .dataset("sweep/measures/vavg")
        .unwrap()
        .read_f64()
        .unwrap();
    assert!(m[0].is_finite() && m[1].is_nan() && m[2].is_finite());
    assert_eq!(
        f.dataset("sweep/status").unwrap().read_i32().unwrap(),
        [0, 1, 0]
    );
    assert!(f.group("step_00000/tran").is_ok() && f.group("step_00002/tran").is_ok());
    let attrs = f.dataset("sweep/measures/vavg").unwrap().attrs().unwrap();
    assert_eq!(attrs.get("unit"), Some(&AttrValue::String("V".into())));
    // The good points are the same as without the failing one.
    let (single, _) = simulate_str(FAILING, &[("k".into(), 2.0)]).unwrap();
    assert_eq!(single.measure("vavg").unwrap().clone().unwrap(), m[2]);
    // All points failing: exit code 1.
    let all = write(
        dir.path(),
        "all.cir",
        &FAILING.replace("list 1 0 2", "list 0 0"),
    );
    assert_eq!(cli(&["run", path_str(&all), "-q"]).0, 1);
}

#[test]
fn command_line_steps_and_params() {
    // --step replaces the .step of the same name, keeps its place in the grid.
    let (sink, s) = run_mem(
        DETECTOR,
        vec![parse_cli_step("f0 lin 1g 2g 2 unit=Hz").unwrap()],
        SweepOptions {
            save: SaveMode::None,
            ..Default::default()
        },
    );
    let st = sink.steps.unwrap();
    assert_eq!(st.params, ["prf", "f0"]);
    assert_eq!(st.values.len(), 6);
    assert_eq!(st.values[5], [10.0, 2e9]);
    assert_eq!(s.points, 6);
    // --save none: measures and status, no waveforms.
    assert!(sink.analyses.is_empty());
    assert_eq!(sink.measures.len(), 18);
    assert!(sink.status.iter().all(|(_, s)| *s == PointStatus::Ok));

    // On the command line: --param pins prf (its .step is dropped), --step
    // adds an axis to a netlist without .step.
    let dir = tempfile::tempdir().unwrap();
    let nl = write(dir.path(), "det.cir", DETECTOR);
    let csv = dir.path().join("t.csv");
    let (c, _, err) = cli(&[
        "run",
        path_str(&nl),
        "-o",
        path_str(&csv),
        "-q",
        "--param",
        "prf=0",
        "--step",
        "f0 list 1g 2g",
        "--save",
        "measures",
    ]);
    assert_eq!(c, 0, "{err}");
    let table = std::fs::read_to_string(dir.path().join("t.sweep.csv")).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "index,f0,status,vdc,vrip,pin,error");
    assert_eq!(lines.len(), 3);
    assert!(lines[2].starts_with("1,2e9,0,"), "{}", lines[2]);
    // --save measures writes the measures only (evaluated from the stream of
    // points): no waveform file gets a row, no `OUT.tran.csv` either.
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "");
    assert!(!dir.path().join("t.tran.csv").exists());
    // and the run is complete: no incompleteness marker
    assert!(!dir.path().join("t.csv.incomplete").exists());

    let plain = DETECTOR
        .lines()
        .filter(|l| !l.starts_with(".step"))
        .collect::<Vec<_>>()
        .join("\n");
    let nl2 = write(dir.path(), "plain.cir", &plain);
    let (c, out, _) = cli(&[
        "run",
        path_str(&nl2),
        "-q",
        "--step",
        "prf list -10 0",
        "--save",
        "none",
    ]);
    assert_eq!(c, 0);
    assert_eq!(out.matches("step ").count(), 2);

    // Errors: unknown names, malformed specs, --shard without sweep.
    let (c, _, err) = cli(&["run", path_str(&nl2), "-q", "--step", "nope list 1 2"]);
    assert_eq!(c, 1);
    assert!(err.contains("cannot sweep 'nope'"), "{err}");
    let (c, _, err) = cli(&["run", path_str(&nl2), "-q", "--step", "prf lin 1 2"]);
    assert_eq!(c, 2, "bad command line");
    assert!(err.contains("prf lin 1 2"), "{err}");
    let (c, _, err) = cli(&["run", path_str(&nl2), "-q", "--shard", "1/2"]);
    assert_eq!(c, 1);
    assert!(err.contains("--shard needs a sweep"), "{err}");
    let (c, _, _) = cli(&["run", path_str(&nl), "-q", "--shard", "3/2"]);
    assert_eq!(c, 2);
}

/// The h5py example of docs/sweeps.md runs on a sweep file and sees the
/// measure as an array over (power, frequency).
#[test]
fn docs_h5py_example_runs() {
    let py = common::python();
    let ok = Command::new(&py)
        .args(["-c", "import h5py, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(!common::tools_required(), "python with h5py is required");
        eprintln!("note: no python with h5py; skipping");
        return;
    }
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sweeps.md")).unwrap();
    let start = doc
        .find("```python\n")
        .expect("python example in docs/sweeps.md")
        + 10;
    let code = &doc[start..start + doc[start..].find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let nl = write(dir.path(), "det.cir", DETECTOR);
    let h5 = dir.path().join("sweep.h5");
    assert_eq!(cli(&["run", path_str(&nl), "-o", path_str(&h5), "-q"]).0, 0);
    let (sink, _) = run_mem(DETECTOR, Vec::new(), SweepOptions::default());
    let script = format!(
        "{code}\nassert vdc.shape == (3, 3), vdc.shape\nprint(repr(vdc[2, 1]), repr(power[2]), repr(freq[1]))\n"
    );
    let out = Command::new(&py)
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    // vdc[power index 2, frequency index 1] is point k = 2 + 3·1 = 5.
    let want = sink.measures[3 * 5].value.clone().unwrap();
    let got: Vec<f64> = stdout
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .map(|w| {
            w.trim_start_matches("np.float64(")
                .trim_end_matches(')')
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(got, [want, 10.0, 3e9]);
}
