//! Data-table sweeps (issue 14): `.data` tables (inline, Xyce; a text file;
//! an HDF5 dataset) swept by `.step data=NAME`.
//!
//! Truth: a run per row with the row's values given by `--param` (the
//! table sweep must give the same numbers, bit for bit); for the HDF5 table,
//! the rows read by h5py (an independent reader) through a circuit whose
//! output is a known weighted sum of the row; `--jobs 1` and `2` write
//! bit-identical files; a failing row is marked and the others finish.

mod common;

use hdf5_pure::File;
use std::path::{Path, PathBuf};
use std::process::Command;

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(exe()).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// An RC low-pass driven by a sine whose amplitude and frequency come from
/// the table; measures of the transient.
const RC: &str = "RC table sweep
.param amp=1 freq=1meg rl=1k
V1 in 0 SIN(0 {amp} {freq})
R1 in out {rl}
C1 out 0 100p
.tran 5n 3u
.meas tran vpp pp v(out) from=1u to=3u
.meas tran vrms rms v(out) from=1u to=3u
";

/// Rows of the tables below: (amp, freq, rl).
const ROWS: [(f64, f64, f64); 4] = [
    (1.0, 1e6, 1e3),
    (0.5, 2e6, 2.2e3),
    (2.0, 0.5e6, 470.0),
    (1.5, 3e6, 1e3),
];

fn measures_by_point(path: &Path) -> Vec<(f64, f64)> {
    let f = File::open(path).unwrap();
    let a = f.dataset("measures/vpp").unwrap().read_f64().unwrap();
    let b = f.dataset("measures/vrms").unwrap().read_f64().unwrap();
    a.into_iter().zip(b).collect()
}

fn single_row(dir: &Path, k: usize) -> (f64, f64) {
    let p = write(dir, "single.cir", &format!("{RC}.end\n"));
    let (a, f, r) = ROWS[k];
    let (code, out, err) = cli(&[
        "run",
        p.to_str().unwrap(),
        "-q",
        "--param",
        &format!("amp={a}"),
        "--param",
        &format!("freq={f}"),
        "--param",
        &format!("rl={r}"),
    ]);
    assert_eq!(code, 0, "{err}");
    let get = |n: &str| -> f64 {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{n} = ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{n} not in {out}"))
    };
    (get("vpp"), get("vrms"))
}

#[test]
fn inline_and_file_tables_equal_per_row_runs() {
    let dir = common::scratch("data-rows");
    let inline: String = ROWS
        .iter()
        .map(|(a, f, r)| format!("+ {a} {f} {r}\n"))
        .collect();
    let net = format!("{RC}.data rows\n+ amp freq rl\n{inline}.enddata\n.step data=rows\n.end\n");
    let p = write(&dir, "inline.cir", &net);
    let h = dir.join("inline.h5");
    let (code, _, err) = cli(&["run", p.to_str().unwrap(), "-q", "-o", h.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let swept = measures_by_point(&h);
    assert_eq!(swept.len(), ROWS.len());
    for (k, got) in swept.iter().enumerate() {
        assert_eq!(*got, single_row(&dir, k), "row {k}");
    }
    // the same table as CSV (comment, header with commas, mixed separators,
    // SPICE suffixes), rows 1:3 only: the axis holds the row numbers
    let csv = "# amp, frequency, load\namp, freq, rl\n1, 1meg, 1k\n0.5 2meg 2.2k\n2,500k,470\n1.5, 3meg, 1k\n";
    write(&dir, "t.csv", csv);
    let net = format!("{RC}.data t file=t.csv rows=1:3\n.step data=t\n.end\n");
    let p = write(&dir, "csv.cir", &net);
    let h = dir.join("csv.h5");
    let (code, _, err) = cli(&["run", p.to_str().unwrap(), "-q", "-o", h.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(measures_by_point(&h), swept[1..3].to_vec());
    let f = File::open(&h).unwrap();
    assert_eq!(
        f.dataset("sweep/axes/t").unwrap().read_f64().unwrap(),
        [1.0, 2.0]
    );
    assert_eq!(
        f.dataset("sweep/status").unwrap().read_i32().unwrap(),
        [0, 0]
    );
    // --step replaces the rows run
    let h = dir.join("csv3.h5");
    let (code, _, err) = cli(&[
        "run",
        p.to_str().unwrap(),
        "-q",
        "--step",
        "t list 2",
        "-o",
        h.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(measures_by_point(&h), swept[2..3].to_vec());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The drone fingerprints (../shared/data, 298 × 256 test powers): rows
/// 3…6 of X_test drive 256 current sources into 1 Ω, I_i = p_i·(i+1) µA, so
/// v(out) = Σ p_i (i+1) µV per row; compared with h5py's reading. Also the
/// 1-D Y_test as a one-column table, and --jobs 1 == --jobs 2.
#[test]
fn hdf5_table_rows_match_h5py() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared/data/drone_rf_fingerprints.h5");
    if !data.is_file() {
        assert!(!common::tools_required(), "{} missing", data.display());
        eprintln!("skipped: {} missing", data.display());
        return;
    }
    let py = common::python();
    let script = format!(
        "import h5py, numpy as np\nf = h5py.File(r'{}', 'r')\nx = f['X_test'][3:7]\n\
         print(' '.join(repr(float(v)) for v in x @ (np.arange(1, 257) * 1e-6)))\n\
         print(' '.join(str(int(v)) for v in f['Y_test'][3:7]))\n",
        data.display()
    );
    let out = Command::new(&py).arg("-c").arg(&script).output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        assert!(!common::tools_required(), "python with h5py needed");
        eprintln!("skipped: no python with h5py");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let want: Vec<f64> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let labels: Vec<f64> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let dir = common::scratch("data-h5");
    let mut net = String::from("drone rows\n.param ");
    for i in 0..256 {
        net += &format!("p{i}=0 ");
    }
    net += "y=-1\n";
    for i in 0..256 {
        net += &format!("I{i} 0 out {{p{i}*{}u}}\n", i + 1);
    }
    net += "R1 out 0 1\nVy lab 0 {y}\nRy lab 0 1k\n.tran 1n 2n\n\
            .meas tran vout avg v(out)\n.meas tran lab find v(lab) at=1n\n";
    net += &format!(
        ".data x file=\"{}\" dataset=X_test param=p rows=3:7\n.data y file=\"{}\" dataset=Y_test param=y rows=3:7\n",
        data.display(),
        data.display()
    );
    let px = write(&dir, "x.cir", &format!("{net}.step data=x\n.end\n"));
    let (h1, h2) = (dir.join("j1.h5"), dir.join("j2.h5"));
    for (h, j) in [(&h1, "1"), (&h2, "2")] {
        let (code, _, err) = cli(&[
            "run",
            px.to_str().unwrap(),
            "-q",
            "-j",
            j,
            "--save",
            "none",
            "-o",
            h.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    common::assert_same_files(&h1, &h2, &[]);
    let f = File::open(&h1).unwrap();
    let got = f
        .dataset("sweep/measures/vout")
        .unwrap()
        .read_f64()
        .unwrap();
    assert_eq!(got.len(), 4);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-9 * w.abs(), "{g} vs {w}");
    }
    assert_eq!(
        f.dataset("sweep/axes/x").unwrap().read_f64().unwrap(),
        [3.0, 4.0, 5.0, 6.0]
    );
    let py_ = write(&dir, "y.cir", &format!("{net}.step data=y\n.end\n"));
    let h = dir.join("y.h5");
    let (code, _, err) = cli(&[
        "run",
        py_.to_str().unwrap(),
        "-q",
        "-o",
        h.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let got = File::open(&h)
        .unwrap()
        .dataset("sweep/measures/lab")
        .unwrap()
        .read_f64()
        .unwrap();
    // the label goes through a linear solve (V source across 1 kΩ): rounding of the LU only
    assert_eq!(got.len(), labels.len());
    for (g, l) in got.iter().zip(&labels) {
        assert!(
            (g - l).abs() <= 1e-12 * l.abs().max(1.0),
            "{got:?} vs {labels:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A row that fails (m = 0 on R1) is marked failed with its error; the
/// other rows finish (exit 3); tables cross with other axes (`.step mc`).
/// (A zero resistance is 1 mΩ, as in ngspice: R1 is 1k/m with m = rl/1k.)
#[test]
fn failing_rows_are_marked_and_tables_cross_other_axes() {
    let dir = common::scratch("data-fail");
    let rc = RC.replace("R1 in out {rl}", "R1 in out 1k m={rl/1k}");
    let net = format!(
        "{rc}.data rows\n+ amp rl\n+ 1 1k\n+ 1 0\n+ 2 1k\n.enddata\n.step data=rows\n.step param freq list 1meg 2meg\n.end\n"
    );
    let p = write(&dir, "f.cir", &net);
    let h = dir.join("f.h5");
    let (code, _, _) = cli(&["run", p.to_str().unwrap(), "-q", "-o", h.to_str().unwrap()]);
    assert_eq!(code, 3);
    let f = File::open(&h).unwrap();
    let st = f.dataset("steps/status").unwrap().read_i32().unwrap();
    // point k = row + 3·freq: row 1 fails at both frequencies
    assert_eq!(st, [0, 1, 0, 0, 1, 0]);
    let err = f.dataset("steps/error").unwrap().read_string().unwrap();
    assert!(err[1].contains("r1"), "{err:?}");
    // /sweep arrays have the grid's shape (rows, freq), C order
    let vpp = f.dataset("sweep/measures/vpp").unwrap().read_f64().unwrap();
    assert!(vpp[2].is_nan() && vpp[3].is_nan(), "{vpp:?}");
    assert!([0, 1, 4, 5].iter().all(|&k| vpp[k] > 0.0), "{vpp:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_tables_are_reported_with_their_place() {
    let dir = common::scratch("data-bad");
    write(&dir, "short.csv", "amp rl\n1 1k\n2\n");
    write(&dir, "word.csv", "amp rl\n1 x\n");
    write(&dir, "ok.csv", "amp rl\n1 1k\n2 1k\n");
    let cases: [(&str, &str); 8] = [
        (
            ".data t\n+ amp rl\n+ 1 2 3\n.enddata\n.step data=t\n",
            "not whole rows",
        ),
        (
            ".data t\n+ amp rl\n+ 1 2\n.step data=t\n",
            "missing '.enddata'",
        ),
        (
            ".data t\n+ amp zz\n+ 1 2\n.enddata\n.step data=t\n",
            "column 'zz'",
        ),
        (".step data=nope\n", "no '.data nope' table"),
        (
            ".data t file=short.csv\n.step data=t\n",
            "short.csv:3: 1 values for 2 columns",
        ),
        (
            ".data t file=word.csv\n.step data=t\n",
            "word.csv:2: 'x' is not a number",
        ),
        (
            ".data t file=ok.csv rows=5:9\n.step data=t\n",
            "outside the table",
        ),
        (".data t file=nothing.csv\n.step data=t\n", "no such file"),
    ];
    for (tail, msg) in cases {
        let p = write(&dir, "bad.cir", &format!("{RC}{tail}.end\n"));
        let (code, _, err) = cli(&["run", p.to_str().unwrap(), "-q"]);
        assert_eq!(code, 1, "{tail}: {err}");
        assert!(err.contains(msg), "{tail}: {err}");
        assert!(err.contains("bad.cir:"), "{tail}: no place in {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `.data`, `.step data=` and `.step mc` print back to text that parses to
/// the same statements (netlist::print, used by netlist generators).
#[test]
fn data_and_mc_statements_print_back() {
    use spinspice::netlist::print::to_netlist;
    use spinspice::netlist::spans::ClearSpans;
    let text = "t\n.param amp=1 rl=1k p0=0 p1=0\nV1 a 0 {amp}\nR1 a 0 {rl}\n\
                .data rows amp rl 1 1k 2 2.2k\n.enddata\n\
                .data h file=\"dir/x y.h5\" dataset=X_test param=p rows=2:\n\
                .data c file=t.csv rows=3\n.step data=rows\n.step mc 5\n.op\n.end\n";
    let parse = |t: &str| {
        let mut sm = spinspice::diag::SourceMap::new();
        let mut n = spinspice::netlist::parse_str("t.cir", t, Path::new("."), &mut sm)
            .unwrap_or_else(|e| panic!("{}", e[0].short(&sm)))
            .netlist;
        n.clear_spans();
        n
    };
    let a = parse(text);
    let printed = to_netlist(&a);
    assert_eq!(parse(&printed), a, "{printed}");
    assert!(printed.contains("dataset=X_test"), "{printed}");
}
