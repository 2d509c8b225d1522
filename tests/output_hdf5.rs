//! HDF5 writer: round trips through hdf5-pure, h5py and h5dump; step layout;
//! incomplete runs; a writer killed with SIGKILL.
mod output_support;

use hdf5_pure::{AttrValue, File};
use output_support::*;
use spinspice::output::hdf5::{Hdf5Sink, COLUMNS};
use spinspice::output::{AnalysisInfo, AnalysisKind, SignalInfo, Sink};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A budget that gives the transient (5 columns) 64-point blocks, so its 1000
/// points take 16 flushes: the creation commit and 15 appends.
const SMALL_BUDGET: usize = 8 * 5 * 64;

fn basic_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = file_in(dir, "basic.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.set_buffer_budget(SMALL_BUDGET);
    run_basic(&mut sink);
    drop(sink);
    path
}

/// The `.step` run of `run_steps`, its edits committed at the end of every
/// point (`per_point`) or gathered until `finish`.
fn steps_file(dir: &tempfile::TempDir, per_point: bool) -> std::path::PathBuf {
    let path = file_in(dir, "steps.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.set_buffer_budget(SMALL_BUDGET);
    sink.set_checkpoint_interval(if per_point {
        Duration::ZERO
    } else {
        Duration::from_secs(3600)
    });
    run_steps(&mut sink);
    drop(sink);
    path
}

fn attr_str(v: Option<&AttrValue>) -> String {
    match v {
        Some(AttrValue::VarLenString(s)) | Some(AttrValue::String(s)) => s.clone(),
        other => panic!("expected a string attribute, got {other:?}"),
    }
}

fn attr_int(v: Option<&AttrValue>) -> i64 {
    match v {
        Some(AttrValue::I32(x)) => i64::from(*x),
        Some(AttrValue::I64(x)) => *x,
        other => panic!("expected an integer attribute, got {other:?}"),
    }
}

fn read_complex(f: &File, path: &str) -> Vec<(f64, f64)> {
    let raw = f.dataset(path).unwrap().read_raw().unwrap();
    raw.chunks_exact(16)
        .map(|c| {
            (
                f64::from_le_bytes(c[..8].try_into().unwrap()),
                f64::from_le_bytes(c[8..].try_into().unwrap()),
            )
        })
        .collect()
}

/// Checks one real analysis group read back through hdf5-pure.
fn check_real_group(f: &File, group: &str, info: &AnalysisInfo, seed: usize, n: usize) {
    let g = f.group(group).unwrap();
    let ga = g.attrs().unwrap();
    assert_eq!(attr_str(ga.get("kind")), info.kind.name());
    assert_eq!(attr_str(ga.get("sweep")), info.sweep.name);
    let sw = f.dataset(&format!("{group}/{}", info.sweep.name)).unwrap();
    let expect: Vec<f64> = (0..n).map(|i| sweep(info.kind, i)).collect();
    assert_eq!(sw.read_f64().unwrap(), expect, "{group} sweep");
    assert_eq!(attr_str(sw.attrs().unwrap().get("unit")), info.sweep.unit);
    for (s, sig) in info.signals.iter().enumerate() {
        let ds = f.dataset(&format!("{group}/{}", sig.name)).unwrap();
        let expect: Vec<f64> = (0..n).map(|i| value(seed, s, i)).collect();
        assert_eq!(ds.read_f64().unwrap(), expect, "{group}/{}", sig.name);
        assert_eq!(attr_str(ds.attrs().unwrap().get("unit")), sig.unit);
    }
}

#[test]
fn basic_run_reads_back_through_hdf5_pure() {
    let dir = tempdir();
    let path = basic_file(&dir);
    let f = File::open(&path).unwrap();
    let root = f.root().attrs().unwrap();
    assert_eq!(attr_str(root.get("generator")), "spinspice");
    assert_eq!(attr_str(root.get("version")), env!("CARGO_PKG_VERSION"));
    assert_eq!(attr_str(root.get("title")), TITLE);
    assert_eq!(attr_str(root.get("netlist")), NETLIST);
    assert_eq!(attr_int(root.get("complete")), 1);

    let mut groups = f.root().groups().unwrap();
    groups.sort();
    assert_eq!(groups, ["ac", "dc", "measures", "op", "tran", "tran_2"]);

    check_real_group(&f, "tran", &tran_info(), SEED_TRAN, N_TRAN);
    check_real_group(&f, "tran_2", &tran_info(), SEED_TRAN2, N_TRAN2);
    check_real_group(&f, "dc", &dc_info(), SEED_DC, N_DC);
    check_real_group(&f, "op", &op_info(), SEED_OP, 1);
    for g in ["tran", "tran_2", "dc", "op", "ac"] {
        let a = f.group(g).unwrap().attrs().unwrap();
        assert_eq!(attr_int(a.get("complete")), 1, "{g} complete");
    }

    // AC: compound {r, i} per point.
    let ac = ac_info();
    let freq = f.dataset("ac/frequency").unwrap().read_f64().unwrap();
    assert_eq!(
        freq,
        (0..N_AC)
            .map(|i| sweep(AnalysisKind::Ac, i))
            .collect::<Vec<_>>()
    );
    for (s, sig) in ac.signals.iter().enumerate() {
        let got = read_complex(&f, &format!("ac/{}", sig.name));
        let expect: Vec<(f64, f64)> = (0..N_AC)
            .map(|i| (value(SEED_AC, s, i), imag(SEED_AC, s, i)))
            .collect();
        assert_eq!(got, expect, "ac/{}", sig.name);
    }

    // Measures.
    let rise = f.dataset("measures/rise").unwrap();
    assert_eq!(rise.read_f64().unwrap(), [1.2345678901234567e-9]);
    assert_eq!(attr_str(rise.attrs().unwrap().get("analysis")), "tran");
    assert!(!rise.attrs().unwrap().contains_key("error"));
    let fall = f.dataset("measures/fall").unwrap();
    assert!(fall.read_f64().unwrap()[0].is_nan());
    assert_eq!(
        attr_str(fall.attrs().unwrap().get("error")),
        "v(b) never crosses 0.5"
    );
}

#[test]
fn basic_run_reads_back_through_h5py() {
    let dir = tempdir();
    let path = basic_file(&dir);
    let Some(d) = h5py_dump(&path) else { return };

    assert_eq!(d.attr("/", "generator"), ("str", "\"spinspice\""));
    assert_eq!(d.attr("/", "title").1, format!("{:?}", TITLE));
    let (t, netlist) = d.attr("/", "netlist");
    assert_eq!(t, "str");
    assert!(netlist.contains("v1 a 0 pulse(0 1 0 1n 1n 5n 10n)\\n"));
    assert_eq!(d.attr("/", "complete").1, "1");
    assert_eq!(d.attr("/tran", "complete").1, "1");
    assert_eq!(d.attr("/tran", "sweep").1, "\"time\"");

    let info = tran_info();
    let time: Vec<f64> = (0..N_TRAN).map(|i| sweep(AnalysisKind::Tran, i)).collect();
    assert_eq!(d.dtype("/tran/time"), "float64");
    assert!(same_floats(&d.reals("/tran/time"), &time));
    // Per-signal attributes are fixed-length strings (numpy.bytes_ in h5py).
    assert_eq!(d.attr("/tran/time", "unit"), ("bytes_", "\"s\""));
    for (s, sig) in info.signals.iter().enumerate() {
        let p = format!("/tran/{}", sig.name);
        let expect: Vec<f64> = (0..N_TRAN).map(|i| value(SEED_TRAN, s, i)).collect();
        assert!(same_floats(&d.reals(&p), &expect), "{p}");
        assert_eq!(d.attr(&p, "unit").1, format!("{:?}", sig.unit));
    }
    let expect: Vec<f64> = (0..N_TRAN2).map(|i| value(SEED_TRAN2, 3, i)).collect();
    assert!(same_floats(&d.reals("/tran_2/@m1[mx]"), &expect));

    // AC data arrive in numpy as complex128.
    for (s, sig) in ac_info().signals.iter().enumerate() {
        let p = format!("/ac/{}", sig.name);
        assert_eq!(d.dtype(&p), "complex128", "{p}");
        let expect: Vec<(f64, f64)> = (0..N_AC)
            .map(|i| (value(SEED_AC, s, i), imag(SEED_AC, s, i)))
            .collect();
        assert_eq!(d.complexes(&p), expect, "{p}");
    }
    assert_eq!(d.attr("/ac/frequency", "unit").1, "\"Hz\"");
    assert_eq!(d.attr("/ac", "complex").1, "1");

    assert_eq!(d.reals("/dc/v1"), [-1.0, -0.5, 0.0, 0.5, 1.0]);
    assert_eq!(d.reals("/op/v(b)"), [value(SEED_OP, 0, 0)]);

    assert_eq!(d.reals("/measures/rise"), [1.2345678901234567e-9]);
    assert!(d.reals("/measures/fall")[0].is_nan());
    assert_eq!(
        d.attr("/measures/fall", "error").1,
        "\"v(b) never crosses 0.5\""
    );
}

/// Values of one dataset as printed by `h5dump -m %.17g`.
fn h5dump_values(file: &Path, dataset: &str) -> Option<Vec<f64>> {
    if !runs("h5dump", &["--version"]) {
        missing(
            "h5dump",
            "the h5dump command cannot be run (apt-get install hdf5-tools)",
        );
        return None;
    }
    let out = Command::new("h5dump")
        .args(["-m", "%.17g", "-d", dataset])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "h5dump -d {dataset} failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = text.find("DATA {").expect("a DATA section") + "DATA {".len();
    let body = &text[start..];
    let body = &body[..body.find('}').expect("end of DATA")];
    let mut vals = Vec::new();
    for line in body.lines() {
        let line = match line.find("):") {
            Some(k) => &line[k + 2..],
            None => line,
        };
        for tok in line.split(',') {
            if !tok.trim().is_empty() {
                vals.push(parse_f64(tok));
            }
        }
    }
    Some(vals)
}

/// Runs `h5dump` on the whole file: it must exit 0 and print `needle`.
fn h5dump_whole(file: &Path, needle: &str) {
    if !runs("h5dump", &["--version"]) {
        missing(
            "h5dump",
            "the h5dump command cannot be run (apt-get install hdf5-tools)",
        );
        return;
    }
    let out = Command::new("h5dump").arg(file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "h5dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(needle), "h5dump output lacks {needle:?}");
}

#[test]
fn basic_run_reads_back_through_h5dump() {
    let dir = tempdir();
    let path = basic_file(&dir);
    h5dump_whole(&path, "\"spinspice\"");
    let Some(vals) = h5dump_values(&path, "/tran/v(b)") else {
        return;
    };
    let expect: Vec<f64> = (0..N_TRAN).map(|i| value(SEED_TRAN, 1, i)).collect();
    assert!(same_floats(&vals, &expect));
    let vals = h5dump_values(&path, "/dc/v1").unwrap();
    assert_eq!(vals, [-1.0, -0.5, 0.0, 0.5, 1.0]);
}

#[test]
fn step_run_layout_committed_per_point() {
    check_step_run(true);
}

#[test]
fn step_run_layout_committed_at_finish() {
    check_step_run(false);
}

fn check_step_run(per_point: bool) {
    let dir = tempdir();
    let path = steps_file(&dir, per_point);
    let steps = step_info();

    // hdf5-pure
    let f = File::open(&path).unwrap();
    assert_eq!(attr_int(f.root().attrs().unwrap().get("complete")), 0);
    let mut groups = f.root().groups().unwrap();
    groups.sort();
    assert_eq!(
        groups,
        [
            "measures",
            "step_00000",
            "step_00001",
            "step_00002",
            "steps"
        ]
    );
    assert_eq!(
        f.dataset("steps/r1").unwrap().read_f64().unwrap(),
        [1e3, 2e3, 1e3, 2e3]
    );
    assert_eq!(
        f.dataset("steps/c1").unwrap().read_f64().unwrap(),
        [1e-12, 1e-12, 2e-12, 2e-12]
    );
    assert_eq!(
        f.dataset("steps/status").unwrap().read_i32().unwrap(),
        [0, 1, 0, -1]
    );
    assert_eq!(
        f.dataset("steps/error").unwrap().read_string().unwrap(),
        ["", STEP_ERROR, "", ""]
    );
    for k in [0, 2] {
        let g = format!("step_{k:05}/tran");
        check_real_group(&f, &g, &tran_info(), step_seed(k, 0), N_STEP_TRAN);
        let a = f.group(&g).unwrap().attrs().unwrap();
        assert_eq!(attr_int(a.get("complete")), 1);
        let got = read_complex(&f, &format!("step_{k:05}/ac/v(b)"));
        let expect: Vec<(f64, f64)> = (0..N_AC)
            .map(|i| (value(step_seed(k, 1), 0, i), imag(step_seed(k, 1), 0, i)))
            .collect();
        assert_eq!(got, expect);
    }
    // The failed point keeps the points it computed, marked incomplete.
    check_real_group(
        &f,
        "step_00001/tran",
        &tran_info(),
        step_seed(1, 0),
        N_STEP_FAIL,
    );
    let a = f.group("step_00001/tran").unwrap().attrs().unwrap();
    assert_eq!(attr_int(a.get("complete")), 0);
    assert!(f.group("step_00001").unwrap().groups().unwrap() == ["tran"]);

    let delay = f.dataset("measures/delay").unwrap();
    let d = delay.read_f64().unwrap();
    assert_eq!(d.len(), steps.values.len());
    assert_eq!(d[0], step_measure(0));
    assert!(d[1].is_nan() && d[2].is_nan() && d[3].is_nan());
    match delay.attrs().unwrap().get("error") {
        Some(AttrValue::VarLenStringArray(v)) => assert_eq!(v, &["", "", MEAS_ERROR, ""]),
        other => panic!("error attribute: {other:?}"),
    }

    // h5py
    let Some(d) = h5py_dump(&path) else { return };
    assert_eq!(d.attr("/", "complete").1, "0");
    assert_eq!(d.reals("/steps/r1"), [1e3, 2e3, 1e3, 2e3]);
    assert_eq!(d.dtype("/steps/status"), "int32");
    assert_eq!(d.reals("/steps/status"), [0.0, 1.0, 0.0, -1.0]);
    assert_eq!(
        d.values["/steps/error"],
        ["\"\"", &format!("{STEP_ERROR:?}"), "\"\"", "\"\""]
    );
    assert_eq!(d.dtype("/step_00002/ac/i(v1)"), "complex128");
    let expect: Vec<f64> = (0..N_STEP_TRAN)
        .map(|i| value(step_seed(2, 0), 2, i))
        .collect();
    assert!(same_floats(&d.reals("/step_00002/tran/i(v1)"), &expect));
    assert_eq!(d.reals("/step_00001/tran/time").len(), N_STEP_FAIL);
    let m = d.reals("/measures/delay");
    assert_eq!(m[0], step_measure(0));
    assert!(m[1..].iter().all(|x| x.is_nan()));
    assert!(d.attr("/measures/delay", "error").1.contains(MEAS_ERROR));

    h5dump_whole(&path, "step_00002");
}

#[test]
fn failed_run_keeps_data_and_complete_zero() {
    let dir = tempdir();
    let path = file_in(&dir, "failed.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.set_buffer_budget(SMALL_BUDGET);
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    write_analysis(&mut sink, &dc_info(), SEED_DC, N_DC);
    sink.begin_analysis(&tran_info()).unwrap();
    // 300 points: four full blocks and a partial one still buffered.
    write_points(&mut sink, &tran_info(), SEED_TRAN, 300);
    sink.finish(false).unwrap();
    drop(sink);

    let f = File::open(&path).unwrap();
    assert_eq!(attr_int(f.root().attrs().unwrap().get("complete")), 0);
    check_real_group(&f, "tran", &tran_info(), SEED_TRAN, 300);
    check_real_group(&f, "dc", &dc_info(), SEED_DC, N_DC);
    assert_eq!(
        attr_int(f.group("tran").unwrap().attrs().unwrap().get("complete")),
        0
    );
    assert_eq!(
        attr_int(f.group("dc").unwrap().attrs().unwrap().get("complete")),
        1
    );
    if let Some(d) = h5py_dump(&path) {
        assert_eq!(d.attr("/", "complete").1, "0");
        assert_eq!(d.reals("/tran/time").len(), 300);
    }
    h5dump_whole(&path, "\"tran\"");
}

#[test]
fn dropped_sink_flushes_buffered_points() {
    let dir = tempdir();
    let path = file_in(&dir, "dropped.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    sink.begin_analysis(&tran_info()).unwrap();
    write_points(&mut sink, &tran_info(), SEED_TRAN, 10);
    drop(sink); // e.g. a panic unwinding through the analysis
    let f = File::open(&path).unwrap();
    assert_eq!(attr_int(f.root().attrs().unwrap().get("complete")), 0);
    check_real_group(&f, "tran", &tran_info(), SEED_TRAN, 10);
}

#[test]
fn awkward_names_are_escaped() {
    let dir = tempdir();
    let path = file_in(&dir, "names.h5");
    let info = AnalysisInfo {
        kind: AnalysisKind::Tran,
        sweep: SignalInfo::new("time", "s"),
        signals: vec![
            SignalInfo::new("v(x1/out)", "V"),
            SignalInfo::new("i(50%)", "A"),
            SignalInfo::new(".", ""),
            SignalInfo::new("v(a,b) \"q\"", "V"),
        ],
        complex: false,
    };
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.begin_run("names", "names\n.end\n", None).unwrap();
    write_analysis(&mut sink, &info, 7, 5);
    sink.finish(true).unwrap();
    drop(sink);
    let f = File::open(&path).unwrap();
    for (s, (stored, original)) in [
        ("v(x1%2Fout)", "v(x1/out)"),
        ("i(50%25)", "i(50%)"),
        ("%2E", "."),
        ("v(a,b) \"q\"", "v(a,b) \"q\""),
    ]
    .into_iter()
    .enumerate()
    {
        let ds = f.dataset(&format!("tran/{stored}")).unwrap();
        let expect: Vec<f64> = (0..5).map(|i| value(7, s, i)).collect();
        assert_eq!(ds.read_f64().unwrap(), expect);
        let a = ds.attrs().unwrap();
        if stored != original {
            assert_eq!(attr_str(a.get("name")), original);
        } else {
            assert!(!a.contains_key("name"));
        }
    }
    if let Some(d) = h5py_dump(&path) {
        assert_eq!(d.attr("/tran/v(x1%2Fout)", "name").1, "\"v(x1/out)\"");
    }
}

#[test]
fn misuse_and_io_errors_are_errors_not_panics() {
    let dir = tempdir();
    let bad = dir.path().join("no/such/dir/out.h5");
    let e = Hdf5Sink::create(&bad).err().expect("cannot create");
    assert!(e.to_string().contains("no/such/dir/out.h5"), "{e}");

    let path = file_in(&dir, "misuse.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    assert!(
        sink.begin_analysis(&tran_info()).is_err(),
        "before begin_run"
    );
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    assert!(
        sink.point(0.0, &[1.0], None).is_err(),
        "outside an analysis"
    );
    assert!(sink.end_analysis().is_err());
    assert!(sink.begin_point(0).is_err(), "no .step");
    sink.begin_analysis(&tran_info()).unwrap();
    let e = sink.point(0.0, &[1.0], None).unwrap_err();
    assert!(e.to_string().contains("misuse.h5"), "{e}");
    assert!(sink.begin_analysis(&dc_info()).is_err(), "nested analysis");
    let dup = AnalysisInfo {
        kind: AnalysisKind::Dc,
        sweep: SignalInfo::new("v(b)", "V"),
        signals: vec![SignalInfo::new("v(b)", "V")],
        complex: false,
    };
    sink.end_analysis().unwrap();
    assert!(sink.begin_analysis(&dup).is_err(), "duplicate names");
    let mut ac = ac_info();
    ac.signals.truncate(1);
    sink.begin_analysis(&ac).unwrap();
    assert!(
        sink.point(1.0, &[1.0], None).is_err(),
        "complex without imag"
    );
    sink.end_analysis().unwrap();
    sink.finish(true).unwrap();
    assert!(sink.point(0.0, &[], None).is_err(), "after finish");
}

// ------------------------------------------------------------ SIGKILL

const CHILD_ENV: &str = "SPINSPICE_TEST_HDF5_CRASH_CHILD";
/// Signals of the child's transient; unset: those of `tran_info()`.
const CHILD_SIGNALS_ENV: &str = "SPINSPICE_TEST_HDF5_CRASH_SIGNALS";
/// Set: the child runs `step_child` instead.
const CHILD_STEPS_ENV: &str = "SPINSPICE_TEST_HDF5_CRASH_STEPS";
/// Step points of `step_child`'s sweep (it is killed long before the end).
const CHILD_STEP_POINTS: usize = 2000;
/// Points per block in the child (its buffer budget is sized for this).
const CHILD_BLOCK: usize = 64;

/// `tran_info()` with `extra` more signals `v(w<k>)` (wide circuits take the
/// by-reference append path above 256 columns).
fn wide_tran_info(extra: usize) -> AnalysisInfo {
    let mut info = tran_info();
    info.signals
        .extend((0..extra).map(|k| SignalInfo::new(format!("v(w{k})"), "V")));
    info
}

/// Body of the child process of `killed_writer_leaves_a_readable_file`: with
/// the environment variable set it streams a transient forever, printing
/// `FLUSHED n` after each block reaches the file. Without it, it returns at once
/// (it is not a test on its own).
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    if std::env::var(CHILD_STEPS_ENV).is_ok() {
        step_child(Path::new(&path));
    }
    let extra: usize = std::env::var(CHILD_SIGNALS_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let info = wide_tran_info(extra);
    let mut sink = Hdf5Sink::create(Path::new(&path)).unwrap();
    sink.set_buffer_budget(8 * (info.signals.len() + 1) * CHILD_BLOCK);
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    write_analysis(&mut sink, &dc_info(), SEED_DC, N_DC);
    sink.begin_analysis(&info).unwrap();
    let mut i = 0;
    loop {
        let re: Vec<f64> = (0..info.signals.len())
            .map(|s| value(SEED_TRAN, s, i))
            .collect();
        sink.point(sweep(AnalysisKind::Tran, i), &re, None).unwrap();
        i += 1;
        if i % CHILD_BLOCK == 0 {
            println!("FLUSHED {i}");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
}

/// Runs the child writer with `extra` additional signals, kills it with
/// SIGKILL after at least ten blocks, and checks the file it leaves.
fn kill_writer_and_check(extra: usize) {
    let dir = tempdir();
    let path = file_in(&dir, "killed.h5");
    let info = wide_tran_info(extra);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .env(CHILD_SIGNALS_ENV, extra.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut flushed = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("FLUSHED ") {
            flushed = n.trim().parse::<usize>().unwrap();
            if flushed >= 10 * CHILD_BLOCK {
                break;
            }
        }
    }
    assert!(flushed >= 10 * CHILD_BLOCK, "the child stopped early");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let f = File::open(&path).expect("hdf5-pure opens the killed file");
    assert_eq!(attr_int(f.root().attrs().unwrap().get("complete")), 0);
    check_real_group(&f, "dc", &dc_info(), SEED_DC, N_DC);
    let n = f.dataset("tran/time").unwrap().read_f64().unwrap().len();
    assert!(n >= flushed, "{n} points in the file, {flushed} flushed");
    assert_eq!(n % CHILD_BLOCK, 0, "whole blocks only");
    // Every column holds the same whole blocks (a kill between two columns'
    // appends leaves the later columns one block shorter).
    for sig in &info.signals {
        let len = f
            .dataset(&format!("tran/{}", sig.name))
            .unwrap()
            .shape()
            .unwrap()[0] as usize;
        assert!(
            len == n || len + CHILD_BLOCK == n,
            "{}: {len} vs {n}",
            sig.name
        );
    }
    let mut short = info.clone();
    short.signals.truncate(4);
    let m = f.dataset("tran/@m1[mx]").unwrap().shape().unwrap()[0] as usize;
    check_real_group(&f, "tran", &short, SEED_TRAN, m.min(n));
    assert_eq!(
        attr_int(f.group("tran").unwrap().attrs().unwrap().get("complete")),
        0
    );

    if let Some(d) = h5py_dump(&path) {
        assert_eq!(d.attr("/", "complete").1, "0");
        if extra > 0 {
            // The killed run leaves the column list behind, readable.
            let cols = &d.values[&format!("/tran/{COLUMNS}")];
            assert_eq!(cols.len(), info.signals.len() + 1);
            assert_eq!(cols[1], "\"/tran/v(a)\"");
        }
        let t = d.reals("/tran/time");
        assert_eq!(t.len(), n);
        let v = d.reals("/tran/i(v1)");
        let expect: Vec<f64> = (0..v.len()).map(|i| value(SEED_TRAN, 2, i)).collect();
        assert!(v.len() + CHILD_BLOCK >= n);
        assert!(same_floats(&v, &expect));
    }
    h5dump_whole(&path, "\"complete\"");
    if let Some(vals) = h5dump_values(&path, "/tran/v(a)") {
        let expect: Vec<f64> = (0..vals.len()).map(|i| value(SEED_TRAN, 0, i)).collect();
        assert!(vals.len() + CHILD_BLOCK >= n);
        assert!(same_floats(&vals, &expect));
    }
}

#[test]
fn killed_writer_leaves_a_readable_file() {
    kill_writer_and_check(0);
}

#[test]
fn killed_wide_writer_leaves_a_readable_file() {
    // 300 more signals: the appends go through handles reached by reference.
    kill_writer_and_check(300);
}

#[test]
fn wide_analysis_round_trip() {
    let dir = tempdir();
    let path = file_in(&dir, "wide.h5");
    let info = wide_tran_info(400);
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.set_buffer_budget(8 * (info.signals.len() + 1) * 64);
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    write_analysis(&mut sink, &info, SEED_TRAN, 300);
    write_analysis(&mut sink, &info, SEED_TRAN2, 10);
    sink.finish(true).unwrap();
    drop(sink);
    let f = File::open(&path).unwrap();
    check_real_group(&f, "tran", &info, SEED_TRAN, 300);
    check_real_group(&f, "tran_2", &info, SEED_TRAN2, 10);
    let mut names = f.group("tran").unwrap().datasets().unwrap();
    names.sort();
    let mut expect: Vec<String> = std::iter::once("time".to_string())
        .chain(info.signals.iter().map(|s| s.name.clone()))
        .collect();
    expect.sort();
    assert_eq!(names, expect, "no helper dataset left behind");
    assert_eq!(
        attr_int(f.group("tran").unwrap().attrs().unwrap().get("complete")),
        1
    );
    if let Some(d) = h5py_dump(&path) {
        let expect: Vec<f64> = (0..300).map(|i| value(SEED_TRAN, 403, i)).collect();
        assert!(same_floats(&d.reals("/tran/v(w399)"), &expect));
    }
}

#[test]
fn measures_reported_again_are_overwritten() {
    use spinspice::output::MeasureValue;
    let dir = tempdir();
    let path = file_in(&dir, "meas.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    let m = |value: Result<f64, String>| MeasureValue {
        name: "gain/db".into(),
        analysis: AnalysisKind::Ac,
        value,
        unit: "dB".into(),
    };
    sink.measures(&[m(Err("no data".into()))]).unwrap();
    sink.measures(&[m(Ok(-3.25))]).unwrap();
    sink.finish(true).unwrap();
    drop(sink);
    let f = File::open(&path).unwrap();
    let ds = f.dataset("measures/gain%2Fdb").unwrap();
    assert_eq!(ds.read_f64().unwrap(), [-3.25]);
    let a = ds.attrs().unwrap();
    assert!(!a.contains_key("error"), "{a:?}");
    assert_eq!(attr_str(a.get("name")), "gain/db");
    assert_eq!(attr_str(a.get("analysis")), "ac");
    if let Some(d) = h5py_dump(&path) {
        assert_eq!(d.reals("/measures/gain%2Fdb"), [-3.25]);
        assert_eq!(d.datasets["/measures/gain%2Fdb"].1, "[]", "a scalar");
    }
}

/// A `.step` run committed at every point: per point an operating point and a
/// measure, then `POINT k` on stdout. Never returns.
fn step_child(path: &Path) -> ! {
    use spinspice::output::{MeasureValue, PointStatus, StepInfo};
    let steps = StepInfo {
        params: vec!["r1".into()],
        values: (0..CHILD_STEP_POINTS).map(|k| vec![k as f64]).collect(),
    };
    let mut sink = Hdf5Sink::create(path).unwrap();
    sink.set_checkpoint_interval(Duration::ZERO);
    sink.begin_run(TITLE, NETLIST, Some(&steps)).unwrap();
    for k in 0..CHILD_STEP_POINTS {
        sink.begin_point(k).unwrap();
        write_analysis(&mut sink, &op_info(), step_seed(k, 0), 1);
        sink.measures(&[MeasureValue {
            name: "m".into(),
            analysis: AnalysisKind::Op,
            value: Ok(step_measure(k)),
            unit: String::new(),
        }])
        .unwrap();
        sink.end_point(k, &PointStatus::Ok).unwrap();
        println!("POINT {k}");
        std::thread::sleep(Duration::from_millis(5));
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn killed_step_run_leaves_a_readable_file() {
    let dir = tempdir();
    let path = file_in(&dir, "killed-steps.h5");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .env(CHILD_STEPS_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut done = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(k) = line.strip_prefix("POINT ") {
            let k: usize = k.trim().parse().unwrap();
            done = Some(k + 1);
            if k + 1 >= 20 {
                break;
            }
        }
    }
    let done = done.expect("the child reported points");
    assert!(done >= 20, "the child stopped early");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let f = File::open(&path).expect("hdf5-pure opens the killed file");
    assert_eq!(attr_int(f.root().attrs().unwrap().get("complete")), 0);
    let status = f.dataset("steps/status").unwrap().read_i32().unwrap();
    let ran = status.iter().take_while(|&&s| s == 0).count();
    assert!(ran >= done, "{ran} points marked ok, {done} reported");
    assert!(status[ran..].iter().all(|&s| s == -1), "then not run");
    let m = f.dataset("measures/m").unwrap().read_f64().unwrap();
    for (k, mk) in m.iter().enumerate().take(ran) {
        assert_eq!(*mk, step_measure(k));
        check_real_group(
            &f,
            &format!("step_{k:05}/op"),
            &op_info(),
            step_seed(k, 0),
            1,
        );
    }
    if let Some(d) = h5py_dump(&path) {
        assert_eq!(d.attr("/", "complete").1, "0");
        assert_eq!(d.reals("/measures/m")[done - 1], step_measure(done - 1));
        assert_eq!(
            d.reals(&format!("/step_{:05}/op/v(b)", done - 1)),
            [value(step_seed(done - 1, 0), 0, 0)]
        );
    }
    h5dump_whole(&path, &format!("step_{:05}", done - 1));
}

/// Complex analyses longer than a block: compound appends, narrow (handles by
/// path) and wide (handles by reference).
#[test]
fn long_ac_analyses_append_complex_blocks() {
    for extra in [0usize, 300] {
        let dir = tempdir();
        let path = file_in(&dir, "ac.h5");
        let mut info = ac_info();
        info.signals
            .extend((0..extra).map(|k| SignalInfo::new(format!("v(w{k})"), "V")));
        let n = 300;
        let mut sink = Hdf5Sink::create(&path).unwrap();
        // 64 points per block: 8 bytes × (1 + 2 × signals) per point.
        sink.set_buffer_budget(8 * (1 + 2 * info.signals.len()) * 64);
        sink.begin_run(TITLE, NETLIST, None).unwrap();
        write_analysis(&mut sink, &info, SEED_AC, n);
        sink.finish(true).unwrap();
        drop(sink);
        let f = File::open(&path).unwrap();
        let freq = f.dataset("ac/frequency").unwrap().read_f64().unwrap();
        assert_eq!(
            freq,
            (0..n)
                .map(|i| sweep(AnalysisKind::Ac, i))
                .collect::<Vec<_>>()
        );
        for (s, sig) in info.signals.iter().enumerate().step_by(37) {
            let got = read_complex(&f, &format!("ac/{}", sig.name));
            let expect: Vec<(f64, f64)> = (0..n)
                .map(|i| (value(SEED_AC, s, i), imag(SEED_AC, s, i)))
                .collect();
            assert_eq!(got, expect, "{extra} extra: ac/{}", sig.name);
        }
        assert!(f.dataset(&format!("ac/{COLUMNS}")).is_err());
        if let Some(d) = h5py_dump(&path) {
            let last = info.signals.len() - 1;
            let p = format!("/ac/{}", info.signals[last].name);
            assert_eq!(d.dtype(&p), "complex128");
            let expect: Vec<(f64, f64)> = (0..n)
                .map(|i| (value(SEED_AC, last, i), imag(SEED_AC, last, i)))
                .collect();
            assert_eq!(d.complexes(&p), expect);
        }
    }
}
