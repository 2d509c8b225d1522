//! The `spinspice` command line: formats by extension, `--param`, `--quiet`,
//! `check`, exit codes, and the files it writes read back by other tools
//! (ngspice loads the rawfile; h5py and h5dump open the HDF5 file, also after
//! the run was killed with SIGKILL). External tools that are missing are
//! skipped with a notice, or fail the test when `SPINSPICE_REQUIRE_TOOLS=1`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

/// Runs `spinspice args…` in `dir`.
fn spin(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run spinspice")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code (not killed)")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `name = value` line of the report.
fn printed(out: &str, name: &str) -> f64 {
    let prefix = format!("{name} = ");
    let line = out
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no '{prefix}…' line in\n{out}"));
    line[prefix.len()..].trim().parse().unwrap()
}

/// A CSV file: header and numeric rows.
fn read_csv(path: &Path) -> (String, Vec<Vec<f64>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let rows = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

/// The tool is missing: a notice, or a failure when tools are required.
fn missing(tool: &str, why: &str) {
    assert!(
        !common::tools_required(),
        "{tool} is required (SPINSPICE_REQUIRE_TOOLS=1) but unusable: {why}"
    );
    eprintln!("NOTICE: skipping the {tool} check: {why}");
}

fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A Python with h5py and numpy, if any.
fn h5py() -> Option<String> {
    let py = common::python();
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

/// What h5py reads: the root `complete` flag, the named datasets (flattened,
/// as f64) and the measures.
struct H5 {
    complete: i64,
    data: std::collections::HashMap<String, Vec<f64>>,
    measures: std::collections::HashMap<String, f64>,
}

const H5PY_READ: &str = r#"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
print("complete", int(f.attrs["complete"]))
assert f.attrs["generator"] == "spinspice"
for name in sys.argv[2:]:
    a = np.asarray(f[name][()], dtype=np.float64).ravel()
    print("dataset", name, len(a))
    for x in a:
        print(repr(float(x)))
if "measures" in f:
    for k in f["measures"]:
        print("measure", k, repr(float(f["measures"][k][()])))
"#;

fn h5py_read(py: &str, file: &Path, datasets: &[&str]) -> H5 {
    let out = Command::new(py)
        .arg("-c")
        .arg(H5PY_READ)
        .arg(file)
        .args(datasets)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "h5py failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut h = H5 {
        complete: -1,
        data: Default::default(),
        measures: Default::default(),
    };
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let w: Vec<&str> = l.split(' ').collect();
        match w[0] {
            "complete" => h.complete = w[1].parse().unwrap(),
            "dataset" => {
                let n: usize = w[2].parse().unwrap();
                let v = (0..n)
                    .map(|_| lines.next().unwrap().parse::<f64>().unwrap())
                    .collect();
                h.data.insert(w[1].to_string(), v);
            }
            "measure" => {
                h.measures.insert(w[1].to_string(), w[2].parse().unwrap());
            }
            _ => panic!("unexpected h5py output {l}"),
        }
    }
    h
}

fn have_h5dump() -> bool {
    let ok = runs("h5dump", &["--version"]);
    if !ok {
        missing(
            "h5dump",
            "the h5dump command cannot be run (apt-get install hdf5-tools)",
        );
    }
    ok
}

/// Values of one dataset (or attribute with `-a`) as printed by `h5dump -m %.17g`.
fn h5dump_values(file: &Path, flag: &str, object: &str) -> Vec<f64> {
    let out = Command::new("h5dump")
        .args(["-m", "%.17g", flag, object])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "h5dump {flag} {object} failed: {}\n{text}",
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
            let tok = tok.trim();
            if !tok.is_empty() {
                vals.push(tok.parse::<f64>().unwrap());
            }
        }
    }
    vals
}

/// An RC (τ = 1 µs) charged by a 1 V step with a 1 ns ramp starting at
/// 10 ns, with a measure of v(out) one τ after the step.
const RC: &str = "rc charge\nV1 in 0 PULSE(0 1 10n 1n 1n 1 2)\nR1 in out 1k\nC1 out 0 1n\n\
                  .options reltol=1e-6 vntol=1e-9 abstol=1e-15\n.tran 10n 5u\n\
                  .meas tran vtau find v(out) at=1.01u\n.end\n";

/// v(out) of [`RC`]: the response to a ramp of `tr` from `td`, then 1 V.
fn rc_exact(t: f64) -> f64 {
    let (tau, td, tr) = (1e-6, 10e-9, 1e-9);
    let s = t - td;
    if s <= 0.0 {
        0.0
    } else if s <= tr {
        (s - tau * (1.0 - (-s / tau).exp())) / tr
    } else {
        1.0 - tau / tr * ((tr / tau).exp() - 1.0) * (-s / tau).exp()
    }
}

// ===================================================================== run

#[test]
fn output_format_follows_the_extension() {
    let dir = common::scratch("cli-formats");
    write(&dir, "rc.cir", RC);
    for name in ["x.csv", "x.raw", "x.h5", "x.hdf5", "X.CSV"] {
        let o = spin(&dir, &["run", "rc.cir", "-o", name, "-q"]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        assert!(dir.join(name).exists(), "{name} not written");
    }
    let head = |n: &str| {
        let mut b = [0u8; 8];
        std::fs::File::open(dir.join(n))
            .unwrap()
            .read_exact(&mut b)
            .unwrap();
        b
    };
    assert_eq!(&head("x.h5"), b"\x89HDF\r\n\x1a\n");
    assert_eq!(&head("x.hdf5"), b"\x89HDF\r\n\x1a\n");
    assert_eq!(&head("x.raw")[..6], b"Title:");
    assert_eq!(&head("x.csv")[..5], b"time,");
    // CSV: header `time,v(…),…,i(…)`, one row per point, values of the
    // closed form
    let (header, rows) = read_csv(&dir.join("x.csv"));
    assert_eq!(header, "time,v(in),v(out),i(v1)");
    assert!(rows.len() > 50);
    for r in &rows {
        assert_eq!(r.len(), 4);
        let want = rc_exact(r[0]);
        assert!(
            (r[2] - want).abs() < 1e-4,
            "t = {:e}: {} vs {want}",
            r[0],
            r[2]
        );
    }
    // the rawfile holds the same points as the CSV file
    let plots = common::read_raw(&dir.join("x.raw"));
    assert_eq!(plots.len(), 1);
    let p = &plots[0];
    assert_eq!(p.get("time").len(), rows.len());
    for (k, r) in rows.iter().enumerate() {
        assert_eq!(p.get("time")[k], r[0]);
        assert_eq!(p.get("v(out)")[k], r[2]);
    }
    // an unknown extension is refused before anything runs
    let o = spin(&dir, &["run", "rc.cir", "-o", "x.txt"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("cannot tell the output format of 'x.txt'"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.join("x.txt").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn param_overrides_on_the_command_line() {
    let dir = common::scratch("cli-param");
    write(
        &dir,
        "div.cir",
        "div\n.param r=1k vin=1\nV1 a 0 {vin}\nR1 a b {r}\nR2 b 0 1k\n.op\n.end\n",
    );
    let o = spin(&dir, &["run", "div.cir"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(printed(&stdout(&o), "v(b)"), 0.5);
    // suffixes, upper case names, several overrides
    let o = spin(
        &dir,
        &["run", "div.cir", "--param", "R=3k", "--param", "vin=8"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(printed(&stdout(&o), "v(b)"), 2.0);
    let o = spin(&dir, &["run", "div.cir", "--param", "r=0.5meg"]);
    assert!((printed(&stdout(&o), "v(b)") - 1.0 / 501.0).abs() < 1e-15);
    // a name the netlist does not define: error, exit 1
    let o = spin(&dir, &["run", "div.cir", "--param", "rr=2k"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("--param rr=…: the netlist has no '.param rr'"),
        "{}",
        stderr(&o)
    );
    // not NAME=VALUE, or not a number: usage errors, exit 2
    for bad in ["r", "r=abc", "=3"] {
        let o = spin(&dir, &["run", "div.cir", "--param", bad]);
        assert_eq!(code(&o), 2, "--param {bad}: {}", stderr(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn quiet_hides_the_operating_point_listing_not_the_measures() {
    let dir = common::scratch("cli-quiet");
    write(
        &dir,
        "q.cir",
        "q\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n.op\n.dc v1 0 2 1\n.meas dc vb find v(b) at=2\n.end\n",
    );
    let o = spin(&dir, &["run", "q.cir"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("operating point (Newton, "), "{out}");
    assert_eq!(printed(&out, "v(b)"), 0.5);
    assert_eq!(printed(&out, "vb"), 1.0);
    for flag in ["--quiet", "-q"] {
        let o = spin(&dir, &["run", "q.cir", flag]);
        assert_eq!(code(&o), 0);
        let out = stdout(&o);
        assert!(!out.contains("operating point"), "{out}");
        assert_eq!(out.trim(), "vb = 1e0");
        assert_eq!(stderr(&o), "");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// =================================================================== check

#[test]
fn check_prints_a_summary_or_located_errors() {
    let dir = common::scratch("cli-check");
    write(
        &dir,
        "ok.cir",
        "ok\n.param r=1k\nV1 in 0 1\nR1 in out {r}\nC1 out 0 1n\n.step param r list 1k 2k\n.tran 1n 1u\n.end\n",
    );
    let o = spin(&dir, &["check", "ok.cir"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "ok.cir: ok — 2 nodes, 3 devices, 1 analyses, .step over r"
    );
    // an elaboration error: exit 1, `file:line:col` on stderr, nothing run
    write(&dir, "bad.cir", "bad\nV1 a 0 1\nR1 a 0 {rr}\n.op\n.end\n");
    let o = spin(&dir, &["check", "bad.cir"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("bad.cir:3:9: error: undefined parameter 'rr'"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
    // a parse error
    write(&dir, "syntax.cir", "syn\nV1 a 0 1\nR1 a 0 1.2.3\n.end\n");
    let o = spin(&dir, &["check", "syntax.cir"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("syntax.cir:3:8: error: invalid number '1.2.3'"),
        "{}",
        stderr(&o)
    );
    // an error found by elaboration only (an unknown controlling source)
    write(
        &dir,
        "ctl.cir",
        "ctl\nV1 a 0 1\nR1 a 0 1k\nF1 b 0 vx 2\nR2 b 0 1k\n.op\n.end\n",
    );
    let o = spin(&dir, &["check", "ctl.cir"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("ctl.cir:4:8: error: controlling device 'vx'"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ============================================================== exit codes

#[test]
fn exit_codes() {
    let dir = common::scratch("cli-exit");
    write(&dir, "ok.cir", "ok\nV1 a 0 1\nR1 a 0 1k\n.op\n.end\n");
    assert_eq!(code(&spin(&dir, &["run", "ok.cir"])), 0);
    // 1: a netlist error, a missing file, a failed analysis
    write(&dir, "bad.cir", "bad\nV1 a 0 1\nR1 a 0 {rr}\n.op\n.end\n");
    let o = spin(&dir, &["run", "bad.cir"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("bad.cir:3:9: error: undefined parameter 'rr'"));
    let o = spin(&dir, &["run", "nosuch.cir"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("nosuch.cir"), "{}", stderr(&o));
    write(
        &dir,
        "noconv.cir",
        "noconv\nV1 in 0 1\nR1 in a 1k\nB1 0 a I=1e3*exp(1e3*v(a))\n.op\n.end\n",
    );
    let o = spin(&dir, &["run", "noconv.cir", "-o", "noconv.csv"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("noconv.cir:5:1: error: operating point failed"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("marked incomplete"), "{}", stderr(&o));
    // 2: usage
    assert_eq!(code(&spin(&dir, &[])), 2);
    assert_eq!(code(&spin(&dir, &["run"])), 2);
    assert_eq!(code(&spin(&dir, &["run", "ok.cir", "--bogus"])), 2);
    assert_eq!(code(&spin(&dir, &["frobnicate", "ok.cir"])), 2);
    // 3: a .step run where some points failed (m = 0 at the second point;
    // a zero resistance is 1 mΩ, as in ngspice)
    let step = "step\n.param r=1\nV1 a 0 1\nR1 a b 1k m={r}\nR2 b 0 1k\n.step param r list 1 0 3\n.op\n.end\n";
    write(&dir, "step.cir", step);
    let o = spin(&dir, &["run", "step.cir", "-o", "step.csv", "-q"]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("step point 2:"), "{err}");
    assert!(err.contains("'r1'"), "{err}");
    // … and when every point fails, 1
    write(&dir, "allfail.cir", &step.replace("list 1 0 3", "list 0 0"));
    assert_eq!(code(&spin(&dir, &["run", "allfail.cir", "-q"])), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

// ============================================================ other tools

#[test]
fn rawfile_loads_in_ngspice() {
    if !common::have_ngspice() {
        return;
    }
    let dir = common::scratch("cli-raw");
    write(&dir, "rc.cir", RC);
    let o = spin(&dir, &["run", "rc.cir", "-o", "rc.raw"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ours = common::read_raw(&dir.join("rc.raw"));
    let t = ours[0].get("time");
    let v = ours[0].get("v(out)");
    let n = t.len();
    let ks = [1, n / 3, n / 2, n - 1];
    let mut control = format!(
        "load raw\n.control\nset numdgt=15\nload {}\nprint length(time)\n",
        dir.join("rc.raw").display()
    );
    for k in ks {
        control.push_str(&format!("print time[{k}] v(out)[{k}] i(v1)[{k}]\n"));
    }
    control.push_str(".endc\n.end\n");
    write(&dir, "load.cir", &control);
    let out = Command::new("ngspice")
        .args(["-b", "load.cir"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // (ngspice -b exits 1 when a netlist runs no analysis: judge by the output)
    assert!(
        text.contains("Name: tran1 (Transient Analysis)"),
        "ngspice did not load the file: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let get = |name: &str| -> f64 {
        let l = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("ngspice did not print {name}:\n{text}"));
        l.split('=').nth(1).unwrap().trim().parse().unwrap()
    };
    assert_eq!(get("length(time)") as usize, n);
    let i = ours[0].get("i(v1)");
    for k in ks {
        let rel = |a: f64, b: f64| (a - b).abs() <= 1e-13 * b.abs().max(1e-30);
        assert!(rel(get(&format!("time[{k}]")), t[k]), "time[{k}]");
        assert!(rel(get(&format!("v(out)[{k}]")), v[k]), "v(out)[{k}]");
        assert!(rel(get(&format!("i(v1)[{k}]")), i[k]), "i(v1)[{k}]");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hdf5_file_opens_in_h5py_and_h5dump() {
    let dir = common::scratch("cli-h5");
    write(&dir, "rc.cir", RC);
    let o = spin(&dir, &["run", "rc.cir", "-o", "rc.h5"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let vtau = printed(&stdout(&o), "vtau");
    assert!((vtau - rc_exact(1.01e-6)).abs() < 1e-4, "{vtau}");
    let o = spin(&dir, &["run", "rc.cir", "-o", "rc.csv", "-q"]);
    assert_eq!(code(&o), 0);
    let (_, rows) = read_csv(&dir.join("rc.csv"));
    let file = dir.join("rc.h5");
    if let Some(py) = h5py() {
        let h = h5py_read(&py, &file, &["/tran/time", "/tran/v(out)", "/tran/i(v1)"]);
        assert_eq!(h.complete, 1);
        let t = &h.data["/tran/time"];
        assert_eq!(t.len(), rows.len());
        assert!(t.windows(2).all(|w| w[1] > w[0]));
        for (k, r) in rows.iter().enumerate() {
            assert_eq!(t[k], r[0]);
            assert_eq!(h.data["/tran/v(out)"][k], r[2]);
            assert_eq!(h.data["/tran/i(v1)"][k], r[3]);
        }
        assert_eq!(h.measures["vtau"], vtau);
    }
    if have_h5dump() {
        assert_eq!(h5dump_values(&file, "-a", "/complete"), vec![1.0]);
        let v = h5dump_values(&file, "-d", "/tran/v(out)");
        assert_eq!(v, rows.iter().map(|r| r[2]).collect::<Vec<_>>());
        assert_eq!(h5dump_values(&file, "-d", "/measures/vtau"), vec![vtau]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A diode-loaded RC ladder driven by a sine: many unknowns per step, few
/// saved columns, so the run takes seconds and streams many blocks.
fn long_netlist(sections: usize, tstop: &str) -> String {
    let mut s = String::from("long ladder\nV1 n0 0 SIN(0 1 10meg)\n");
    for k in 1..=sections {
        s.push_str(&format!(
            "R{k} n{} n{k} 10\nC{k} n{k} 0 10p\nD{k} n{k} 0 dm\n",
            k - 1
        ));
    }
    s.push_str(&format!(
        ".model dm d (is=1e-14 cjo=1p)\n.save v(n1) v(n{sections})\n.tran 1n {tstop} 0 1n\n.end\n"
    ));
    s
}

#[test]
fn killed_run_leaves_a_readable_incomplete_file() {
    let dir = common::scratch("cli-kill");
    write(&dir, "long.cir", &long_netlist(1000, "120u"));
    // 1 MiB of point buffers: blocks of 4096 points (24 bytes each)
    let mut child = Command::new(bin())
        .args(["run", "long.cir", "-o", "killed.h5", "-q"])
        .current_dir(&dir)
        .env("SPINSPICE_HDF5_BUFFER_MIB", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let killed = dir.join("killed.h5");
    // wait until a few blocks are on disk (each block adds 3 × 4096 × 8 bytes)
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it could be killed; make long.cir longer");
        }
        let len = std::fs::metadata(&killed).map(|m| m.len()).unwrap_or(0);
        if len > 600_000 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let o = Command::new(bin())
        .args(["run", "long.cir", "-o", "full.h5", "-q"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let full = dir.join("full.h5");
    let names = ["/tran/time", "/tran/v(n1)", "/tran/v(n1000)"];
    if let Some(py) = h5py() {
        let k = h5py_read(&py, &killed, &names);
        let f = h5py_read(&py, &full, &names);
        assert_eq!(k.complete, 0);
        assert_eq!(f.complete, 1);
        let kt = &k.data["/tran/time"];
        let ft = &f.data["/tran/time"];
        assert!(kt.len() >= 4096, "only {} points survived", kt.len());
        assert!(kt.len() < ft.len(), "{} of {} points", kt.len(), ft.len());
        assert!(kt.windows(2).all(|w| w[1] > w[0]), "time not increasing");
        for name in names {
            let (a, b) = (&k.data[name], &f.data[name]);
            // columns are appended one after the other: a kill between two
            // appends leaves the later ones one block shorter
            assert!(a.len() + 4096 >= kt.len() && a.len() <= kt.len(), "{name}");
            assert_eq!(a[..], b[..a.len()], "{name} differs from the complete run");
        }
    }
    if have_h5dump() {
        assert_eq!(h5dump_values(&killed, "-a", "/complete"), vec![0.0]);
        let t = h5dump_values(&killed, "-d", "/tran/time");
        let v = h5dump_values(&killed, "-d", "/tran/v(n1000)");
        let tf = h5dump_values(&full, "-d", "/tran/time");
        let vf = h5dump_values(&full, "-d", "/tran/v(n1000)");
        assert!(t.len() >= 4096 && t.len() < tf.len());
        assert!(t.windows(2).all(|w| w[1] > w[0]));
        assert_eq!(t[..], tf[..t.len()]);
        assert_eq!(v[..], vf[..v.len()]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ======================================================== example netlists

#[test]
fn every_example_netlist_checks_and_runs() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cir"))
        .collect();
    files.sort();
    for required in [
        "rf_detector.cir",
        "bias_tee.cir",
        "rlc_ac.cir",
        "pulse_diode.cir",
        "step_divider.cir",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(required)),
            "netlists/{required} is missing"
        );
    }
    let dir = common::scratch("cli-examples");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.lines().nth(1).is_some_and(|l| l.starts_with('*')),
            "{name}: the line after the title must start a header comment"
        );
        let p = f.to_str().unwrap();
        let o = spin(&dir, &["check", p]);
        assert_eq!(code(&o), 0, "check {name}: {}", stderr(&o));
        assert!(stdout(&o).contains(": ok — "), "{name}: {}", stdout(&o));
        let out = format!("{name}.h5");
        // A sweep runs every 64th point here (its full sweep and the numbers
        // it shows are the subject of its own test in tests/systems_*.rs).
        let swept = stdout(&o).contains(".step over");
        let mut args = vec!["run", p, "-o", &out, "-q"];
        if swept {
            args.extend(["--shard", "1/64"]);
        }
        let o = spin(&dir, &args);
        assert_eq!(code(&o), 0, "run {name}: {}", stderr(&o));
        assert!(!stderr(&o).contains("warning"), "{name}: {}", stderr(&o));
        // measures print a value, not a failure
        assert!(!stdout(&o).contains("failed"), "{name}: {}", stdout(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The numbers the example headers promise, derived there by hand.
#[test]
fn example_results_match_their_header_comments() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("netlists");
    let dir = common::scratch("cli-example-values");
    let run = |name: &str| -> String {
        let o = spin(&dir, &["run", examples.join(name).to_str().unwrap(), "-q"]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        stdout(&o)
    };
    // bias tee: DC 1 V·50/55 at the device, 0.25 V RF amplitude
    let out = run("bias_tee.cir");
    assert!((printed(&out, "vdc") - 50.0 / 55.0).abs() < 1e-3, "{out}");
    assert!((printed(&out, "vrf_pp") - 0.5).abs() < 1e-3, "{out}");
    assert!((printed(&out, "idc") + 1.0 / 55.0).abs() < 1e-4, "{out}");
    // series RLC: half-power bandwidth R/(2πL), peak 0 dB
    let out = run("rlc_ac.cir");
    let bw = 50.0 / (2.0 * std::f64::consts::PI * 1e-6);
    assert!((printed(&out, "bw") / bw - 1.0).abs() < 1e-4, "{out}");
    assert!(printed(&out, "gmax").abs() < 1e-3, "{out}");
    // the two half-power frequencies multiply to f0²
    let f0sq = 1.0 / (4.0 * std::f64::consts::PI.powi(2) * 1e-6 * 1e-9);
    assert!((printed(&out, "flow") * printed(&out, "fhigh") / f0sq - 1.0).abs() < 1e-3);
    // stepped divider: V1·1k/(R1 + 1k), R1 fastest
    let out = run("step_divider.cir");
    let vals: Vec<f64> = out
        .lines()
        .filter_map(|l| l.strip_prefix("vout = "))
        .map(|v| v.parse().unwrap())
        .collect();
    let mut want = Vec::new();
    for v1 in [1.0, 1.5, 2.0] {
        for r1 in [1e3, 3e3, 9e3] {
            want.push(v1 * 1e3 / (r1 + 1e3));
        }
    }
    assert_eq!(vals.len(), 9, "{out}");
    for (g, w) in vals.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
