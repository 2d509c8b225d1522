//! Shared by the `output_*` tests: scripted runs with known values, and the
//! external tools (h5py, h5dump, ngspice) the files are checked with.
#![allow(dead_code)]

use spinspice::output::{
    AnalysisInfo, AnalysisKind, MeasureValue, PointStatus, SignalInfo, Sink, StepInfo,
};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const NETLIST: &str = "RC test, \"quoted\", commas\n\
v1 a 0 pulse(0 1 0 1n 1n 5n 10n)\n\
r1 a b 1k\n\
c1 b 0 1p\n\
.tran 1p 10n\n\
.end\n";
pub const TITLE: &str = "RC test, \"quoted\", commas";

/// Points of the long transient (several blocks at the test buffer budgets).
pub const N_TRAN: usize = 1000;
pub const N_AC: usize = 7;
pub const N_TRAN2: usize = 3;
pub const N_DC: usize = 5;

/// A value that needs all 17 significant digits to round-trip, different for
/// every (seed, signal, point).
pub fn value(seed: usize, sig: usize, i: usize) -> f64 {
    let x = (i as f64) * 0.37 + (sig as f64) * 1.1 + (seed as f64) * 0.013;
    x.sin() * 10f64.powi(sig as i32 % 5 - 2) + 1e-13 * i as f64
}

/// The imaginary part of an AC value.
pub fn imag(seed: usize, sig: usize, i: usize) -> f64 {
    -value(seed + 1000, sig, i)
}

pub fn sweep(kind: AnalysisKind, i: usize) -> f64 {
    match kind {
        AnalysisKind::Op => 0.0,
        AnalysisKind::Dc => -1.0 + 0.5 * i as f64,
        AnalysisKind::Ac => 1e3 * 10f64.powf(i as f64 / 2.0),
        AnalysisKind::Tran | AnalysisKind::HbTd => i as f64 * 1e-11,
        AnalysisKind::Hb => 1e9 * i as f64,
    }
}

pub fn tran_info() -> AnalysisInfo {
    AnalysisInfo {
        kind: AnalysisKind::Tran,
        sweep: SignalInfo::new("time", "s"),
        signals: vec![
            SignalInfo::new("v(a)", "V"),
            SignalInfo::new("v(b)", "V"),
            SignalInfo::new("i(v1)", "A"),
            SignalInfo::new("@m1[mx]", ""),
        ],
        complex: false,
    }
}

pub fn ac_info() -> AnalysisInfo {
    AnalysisInfo {
        kind: AnalysisKind::Ac,
        sweep: SignalInfo::new("frequency", "Hz"),
        signals: vec![SignalInfo::new("v(b)", "V"), SignalInfo::new("i(v1)", "A")],
        complex: true,
    }
}

pub fn dc_info() -> AnalysisInfo {
    AnalysisInfo {
        kind: AnalysisKind::Dc,
        sweep: SignalInfo::new("v1", "V"),
        signals: vec![SignalInfo::new("v(b)", "V"), SignalInfo::new("i(v1)", "A")],
        complex: false,
    }
}

pub fn op_info() -> AnalysisInfo {
    AnalysisInfo {
        kind: AnalysisKind::Op,
        sweep: SignalInfo::new("point", ""),
        signals: vec![SignalInfo::new("v(b)", "V"), SignalInfo::new("i(v1)", "A")],
        complex: false,
    }
}

/// Writes `n` points of `info` with values `value(seed, …)`.
pub fn write_points(sink: &mut dyn Sink, info: &AnalysisInfo, seed: usize, n: usize) {
    let m = info.signals.len();
    for i in 0..n {
        let re: Vec<f64> = (0..m).map(|s| value(seed, s, i)).collect();
        if info.complex {
            let im: Vec<f64> = (0..m).map(|s| imag(seed, s, i)).collect();
            sink.point(sweep(info.kind, i), &re, Some(&im)).unwrap();
        } else {
            sink.point(sweep(info.kind, i), &re, None).unwrap();
        }
    }
}

pub fn write_analysis(sink: &mut dyn Sink, info: &AnalysisInfo, seed: usize, n: usize) {
    sink.begin_analysis(info).unwrap();
    write_points(sink, info, seed, n);
    sink.end_analysis().unwrap();
}

/// Seeds of the analyses of [`run_basic`].
pub const SEED_TRAN: usize = 1;
pub const SEED_AC: usize = 2;
pub const SEED_TRAN2: usize = 3;
pub const SEED_DC: usize = 4;
pub const SEED_OP: usize = 5;

pub fn basic_measures() -> Vec<MeasureValue> {
    vec![
        MeasureValue {
            name: "rise".into(),
            analysis: AnalysisKind::Tran,
            value: Ok(1.2345678901234567e-9),
            unit: "s".into(),
        },
        MeasureValue {
            name: "fall".into(),
            analysis: AnalysisKind::Tran,
            value: Err("v(b) never crosses 0.5".into()),
            unit: "s".into(),
        },
    ]
}

/// A run without `.step`: tran (N_TRAN points), ac, a second tran, dc, op,
/// two measures (one failed), `finish(true)`.
pub fn run_basic(sink: &mut dyn Sink) {
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    write_analysis(sink, &tran_info(), SEED_TRAN, N_TRAN);
    write_analysis(sink, &ac_info(), SEED_AC, N_AC);
    write_analysis(sink, &tran_info(), SEED_TRAN2, N_TRAN2);
    write_analysis(sink, &dc_info(), SEED_DC, N_DC);
    write_analysis(sink, &op_info(), SEED_OP, 1);
    sink.measures(&basic_measures()).unwrap();
    sink.finish(true).unwrap();
}

pub fn step_info() -> StepInfo {
    StepInfo {
        params: vec!["r1".into(), "c1".into()],
        values: vec![
            vec![1e3, 1e-12],
            vec![2e3, 1e-12],
            vec![1e3, 2e-12],
            vec![2e3, 2e-12],
        ],
    }
}

/// Points of each step point's transient.
pub const N_STEP_TRAN: usize = 150;
/// Point 1 fails after this many transient points.
pub const N_STEP_FAIL: usize = 40;
pub const STEP_ERROR: &str = "timestep too small at t=4e-10";

pub fn step_seed(point: usize, analysis: usize) -> usize {
    100 + 10 * point + analysis
}

pub fn step_measure(point: usize) -> f64 {
    1e-9 * (point as f64 + 0.5)
}

/// The error of point 2's measure.
pub const MEAS_ERROR: &str = "v(b) never reaches 0.9";

/// A `.step` run over four points, each with a transient and an AC analysis
/// and a measure `delay`: point 0 ok; point 1 fails during its transient
/// (`end_point(Failed)` with the analysis still open); point 2 ok but its
/// measure fails; point 3 is never run; `finish(false)`.
pub fn run_steps(sink: &mut dyn Sink) {
    let steps = step_info();
    sink.begin_run(TITLE, NETLIST, Some(&steps)).unwrap();
    for k in 0..3 {
        sink.begin_point(k).unwrap();
        if k == 1 {
            sink.begin_analysis(&tran_info()).unwrap();
            write_points(sink, &tran_info(), step_seed(k, 0), N_STEP_FAIL);
            sink.end_point(k, &PointStatus::Failed(STEP_ERROR.into()))
                .unwrap();
            continue;
        }
        write_analysis(sink, &tran_info(), step_seed(k, 0), N_STEP_TRAN);
        write_analysis(sink, &ac_info(), step_seed(k, 1), N_AC);
        let value = if k == 2 {
            Err(MEAS_ERROR.to_string())
        } else {
            Ok(step_measure(k))
        };
        sink.measures(&[MeasureValue {
            name: "delay".into(),
            analysis: AnalysisKind::Tran,
            value,
            unit: "s".into(),
        }])
        .unwrap();
        sink.end_point(k, &PointStatus::Ok).unwrap();
    }
    sink.finish(false).unwrap();
}

// ---------------------------------------------------------------- tools

/// CI sets `SPINSPICE_REQUIRE_TOOLS=1`: a missing tool then fails the test.
pub fn tools_required() -> bool {
    std::env::var("SPINSPICE_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Reports a missing tool: panics when tools are required, else prints a
/// notice and returns (the caller skips that check).
pub fn missing(tool: &str, why: &str) {
    if tools_required() {
        panic!("{tool} is required (SPINSPICE_REQUIRE_TOOLS=1) but unusable: {why}");
    }
    eprintln!("NOTICE: skipping the {tool} check: {why}");
}

/// Runs `cmd --version`-like probes: true when `cmd args` can be started.
pub fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A Python with numpy and h5py: `$SPINSPICE_PYTHON`, else `python3`.
pub fn python() -> Option<String> {
    let py = std::env::var("SPINSPICE_PYTHON").unwrap_or_else(|_| "python3".to_string());
    if runs(&py, &["-c", "import h5py, numpy"]) {
        Some(py)
    } else {
        missing(
            "h5py",
            &format!("'{py} -c \"import h5py, numpy\"' failed (set SPINSPICE_PYTHON)"),
        );
        None
    }
}

/// Runs a Python script with `args`; panics with its output when it fails.
pub fn run_python(py: &str, script: &str, args: &[&Path]) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python starts");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python check failed:\n--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn file_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

// ---------------------------------------------------------------- h5py dump

/// Python script: walks an HDF5 file with h5py and prints one tab-separated
/// line per object, attribute and dataset content, so that the Rust test can
/// compare what h5py reads with what was written:
///
/// - `G <path>` a group
/// - `A <path> <name> <python type> <json value>` an attribute (object
///   references as the name of their target)
/// - `D <path> <numpy dtype> <shape>` a dataset
/// - `V <path> <v0> <v1> …` its values (repr: shortest round trip; complex as
///   `re:im`; object references as the json name of their target)
pub const H5PY_DUMP: &str = r#"
import sys, json, h5py, numpy as np
def py(v):
    if isinstance(v, h5py.Reference): return f[v].name if v else None
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, (np.ndarray, np.void)): return py(v.tolist())
    if isinstance(v, (list, tuple)): return [py(x) for x in v]
    if isinstance(v, np.generic): return v.item()
    return v
def jv(v):
    return json.dumps(py(v))
def num(x):
    return repr(float(x))
f = h5py.File(sys.argv[1], "r")
def attrs(path, obj):
    for k in sorted(obj.attrs):
        v = obj.attrs[k]
        print("A", path, k, type(v).__name__, jv(v), sep="\t")
attrs("/", f)
def visit(name, obj):
    path = "/" + name
    if isinstance(obj, h5py.Group):
        print("G", path, sep="\t")
    else:
        print("D", path, obj.dtype.name, json.dumps(list(obj.shape)), sep="\t")
        data = obj[()]
        flat = np.atleast_1d(data).ravel()
        if h5py.check_dtype(ref=obj.dtype) is not None:
            vals = [json.dumps(f[r].name) for r in flat]
        elif np.iscomplexobj(flat):
            vals = [num(z.real) + ":" + num(z.imag) for z in flat]
        elif flat.dtype.kind in "OSU":
            vals = [json.dumps(x.decode() if isinstance(x, bytes) else x) for x in flat]
        else:
            vals = [num(x) for x in flat]
        print("V", path, *vals, sep="\t")
    attrs(path, obj)
f.visititems(visit)
"#;

/// What [`H5PY_DUMP`] printed, indexed.
#[derive(Default, Debug)]
pub struct H5Dump {
    pub groups: Vec<String>,
    /// (path, attr) → (python type, json value)
    pub attrs: std::collections::HashMap<(String, String), (String, String)>,
    /// path → (dtype, shape json)
    pub datasets: std::collections::HashMap<String, (String, String)>,
    /// path → value tokens
    pub values: std::collections::HashMap<String, Vec<String>>,
}

impl H5Dump {
    pub fn parse(out: &str) -> H5Dump {
        let mut d = H5Dump::default();
        for line in out.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f[0] {
                "G" => d.groups.push(f[1].to_string()),
                "A" => {
                    d.attrs.insert(
                        (f[1].to_string(), f[2].to_string()),
                        (f[3].to_string(), f[4].to_string()),
                    );
                }
                "D" => {
                    d.datasets
                        .insert(f[1].to_string(), (f[2].to_string(), f[3].to_string()));
                }
                "V" => {
                    d.values.insert(
                        f[1].to_string(),
                        f[2..].iter().map(|s| s.to_string()).collect(),
                    );
                }
                _ => {}
            }
        }
        d
    }

    pub fn attr(&self, path: &str, name: &str) -> (&str, &str) {
        let (t, v) = self
            .attrs
            .get(&(path.to_string(), name.to_string()))
            .unwrap_or_else(|| panic!("h5py: no attribute {name} on {path}"));
        (t, v)
    }

    /// Real values of a dataset, parsed exactly.
    pub fn reals(&self, path: &str) -> Vec<f64> {
        self.values
            .get(path)
            .unwrap_or_else(|| panic!("h5py: no dataset {path}"))
            .iter()
            .map(|s| parse_f64(s))
            .collect()
    }

    /// Complex values of a dataset (`re:im` tokens).
    pub fn complexes(&self, path: &str) -> Vec<(f64, f64)> {
        self.values
            .get(path)
            .unwrap_or_else(|| panic!("h5py: no dataset {path}"))
            .iter()
            .map(|s| {
                let (re, im) = s.split_once(':').expect("re:im");
                (parse_f64(re), parse_f64(im))
            })
            .collect()
    }

    pub fn dtype(&self, path: &str) -> &str {
        &self
            .datasets
            .get(path)
            .unwrap_or_else(|| panic!("h5py: no dataset {path}"))
            .0
    }
}

/// Parses Python / C float text (`nan`, `inf`, `-inf` included).
pub fn parse_f64(s: &str) -> f64 {
    match s.trim() {
        "nan" | "NaN" | "-nan" => f64::NAN,
        "inf" | "Inf" => f64::INFINITY,
        "-inf" | "-Inf" => f64::NEG_INFINITY,
        t => t
            .parse()
            .unwrap_or_else(|e| panic!("not a number: {t:?}: {e}")),
    }
}

/// Dumps `path` through h5py, or None (notice printed) when h5py is missing.
pub fn h5py_dump(path: &Path) -> Option<H5Dump> {
    let py = python()?;
    Some(H5Dump::parse(&run_python(&py, H5PY_DUMP, &[path])))
}

/// Equality of float sequences that treats NaN as equal to NaN.
pub fn same_floats(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}
