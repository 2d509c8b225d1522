//! Helpers shared by the integration tests: external tools (ngspice, python)
//! and waveform comparison.
#![allow(dead_code)]

pub mod drone;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether CI demands every external tool (tests fail instead of skipping).
pub fn tools_required() -> bool {
    std::env::var("SPINSPICE_REQUIRE_TOOLS")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// True if `ngspice` runs; otherwise skip (or fail when tools are required).
pub fn have_ngspice() -> bool {
    let ok = Command::new("ngspice")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            !tools_required(),
            "ngspice is required (SPINSPICE_REQUIRE_TOOLS=1) but not installed"
        );
        eprintln!("note: ngspice not installed; skipping the cross-check");
    }
    ok
}

/// The command runs and exits 0.
pub fn runs(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `spinspice args…` run in `dir`.
pub fn spin(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_spinspice"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run spinspice")
}

/// Standard error of a finished command, as text.
pub fn stderr_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to `dir/name`.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Python interpreter with numpy/h5py: `$SPINSPICE_PYTHON` or `python3`.
pub fn python() -> String {
    std::env::var("SPINSPICE_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Run a Python reference script (`$SPINSPICE_PYTHON`) with `args` and
/// `stdin`, returning its stdout; None (with a notice) when it cannot run
/// and the tools are not required (`SPINSPICE_REQUIRE_TOOLS=1`: then a
/// failure panics with the script's stderr). `what` names it in messages.
pub fn python_output(args: &[&str], stdin: Option<&str>, what: &str) -> Option<String> {
    use std::io::Write;
    use std::process::Stdio;
    let child = Command::new(python())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let out = child.and_then(|mut c| {
        if let Some(text) = stdin {
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
        }
        drop(c.stdin.take());
        c.wait_with_output()
    });
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).to_string()),
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).to_string(),
                Err(e) => e.to_string(),
            };
            assert!(
                !tools_required(),
                "{what} required (SPINSPICE_REQUIRE_TOOLS=1) but failed: {why}"
            );
            eprintln!("note: {what} not available; skipping ({why})");
            None
        }
    }
}

/// A scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spinspice-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One plot of a SPICE binary rawfile.
#[derive(Debug, Clone)]
pub struct RawPlot {
    pub name: String,
    pub vars: Vec<String>,
    pub complex: bool,
    /// `re[var][point]`
    pub re: Vec<Vec<f64>>,
    pub im: Vec<Vec<f64>>,
}

impl RawPlot {
    pub fn get(&self, var: &str) -> &[f64] {
        let k = self
            .vars
            .iter()
            .position(|v| v.eq_ignore_ascii_case(var))
            .unwrap_or_else(|| panic!("no {var} in {:?}", self.vars));
        &self.re[k]
    }
    pub fn get_im(&self, var: &str) -> &[f64] {
        let k = self
            .vars
            .iter()
            .position(|v| v.eq_ignore_ascii_case(var))
            .unwrap_or_else(|| panic!("no {var} in {:?}", self.vars));
        &self.im[k]
    }
}

/// Parse a binary rawfile (ngspice's `-r` output or spinspice's `.raw`).
pub fn read_raw(path: &Path) -> Vec<RawPlot> {
    let bytes = std::fs::read(path).unwrap();
    let mut plots = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let mut name = String::new();
        let mut complex = false;
        let mut nvars = 0;
        let mut npts = 0;
        let mut vars = Vec::new();
        loop {
            let end = pos
                + bytes[pos..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .expect("header line");
            let line = String::from_utf8_lossy(&bytes[pos..end]).to_string();
            pos = end + 1;
            let l = line.trim();
            if let Some(v) = l.strip_prefix("Plotname:") {
                name = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("Flags:") {
                complex = v.contains("complex");
            } else if let Some(v) = l.strip_prefix("No. Variables:") {
                nvars = v.trim().parse().unwrap();
            } else if let Some(v) = l.strip_prefix("No. Points:") {
                npts = v.trim().parse().unwrap();
            } else if l == "Variables:" {
                for _ in 0..nvars {
                    let end = pos + bytes[pos..].iter().position(|&b| b == b'\n').unwrap();
                    let line = String::from_utf8_lossy(&bytes[pos..end]).to_string();
                    pos = end + 1;
                    let f: Vec<&str> = line.split_whitespace().collect();
                    vars.push(f[1].to_string());
                }
            } else if l == "Binary:" {
                break;
            }
        }
        let per = if complex { 2 } else { 1 };
        let mut re = vec![Vec::with_capacity(npts); nvars];
        let mut im = vec![Vec::with_capacity(npts); nvars];
        for _ in 0..npts {
            for v in 0..nvars {
                let r = f64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap());
                pos += 8;
                re[v].push(r);
                if per == 2 {
                    let i = f64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap());
                    pos += 8;
                    im[v].push(i);
                }
            }
        }
        plots.push(RawPlot {
            name,
            vars,
            complex,
            re,
            im,
        });
        // ngspice with `.options interp` may write a few points more than the
        // header announces; anything that is not a new plot header ends the file.
        if !bytes[pos..].starts_with(b"Title:") {
            break;
        }
    }
    plots
}

/// Run ngspice in batch mode on `netlist`, return its rawfile plots.
pub fn run_ngspice(dir: &Path, netlist: &str) -> Vec<RawPlot> {
    let cir = dir.join("ng.cir");
    let raw = dir.join("ng.raw");
    std::fs::write(&cir, netlist).unwrap();
    let out = Command::new("ngspice")
        .arg("-b")
        .arg("-r")
        .arg(&raw)
        .arg(&cir)
        .output()
        .expect("run ngspice");
    assert!(
        out.status.success(),
        "ngspice failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    read_raw(&raw)
}

/// Linear interpolation of (t, y) at `x` (t increasing).
pub fn interp(t: &[f64], y: &[f64], x: f64) -> f64 {
    let k = t.partition_point(|&v| v < x);
    if k == 0 {
        return y[0];
    }
    if k >= t.len() {
        return y[t.len() - 1];
    }
    let (t0, t1) = (t[k - 1], t[k]);
    if t1 == t0 {
        return y[k];
    }
    y[k - 1] + (y[k] - y[k - 1]) * (x - t0) / (t1 - t0)
}

/// Relative RMS difference of two waveforms on a uniform grid of `n` points
/// over [t0, t1]: rms(a − b) / rms(b).
pub fn rel_rms_diff(
    ta: &[f64],
    ya: &[f64],
    tb: &[f64],
    yb: &[f64],
    t0: f64,
    t1: f64,
    n: usize,
) -> f64 {
    let mut num = 0.0;
    let mut den = 0.0;
    for k in 0..n {
        let x = t0 + (t1 - t0) * k as f64 / (n - 1) as f64;
        let a = interp(ta, ya, x);
        let b = interp(tb, yb, x);
        num += (a - b) * (a - b);
        den += b * b;
    }
    (num / den).sqrt()
}

/// Runs a parsed netlist through the library into memory: no progress bars,
/// no operating-point report; `overrides` are `--param`s, `steps` the CLI
/// `--step` axes, `sweep` the sweep options.
pub fn run_in_memory(
    netlist: spinspice::netlist::ast::Netlist,
    text: &str,
    overrides: Vec<(String, f64)>,
    steps: Vec<spinspice::sweep::grid::CliStep>,
    sweep: spinspice::sweep::exec::SweepOptions,
) -> Result<
    (
        spinspice::output::memory::MemorySink,
        spinspice::analysis::run::RunSummary,
    ),
    Vec<spinspice::diag::Diagnostic>,
> {
    use spinspice::analysis::run::{run, NoProgress, RunConfig};
    let mut sink = spinspice::output::memory::MemorySink::new();
    let mut report = Vec::new();
    let (mut np, mut nsp) = (NoProgress, spinspice::sweep::exec::NoSweepProgress);
    let mut cfg = RunConfig {
        overrides,
        report: &mut report,
        progress: &mut np,
        print_op: false,
        acct: false,
        steps,
        sweep,
        sweep_progress: &mut nsp,
    };
    let summary = run(netlist, text, &mut cfg, &mut sink)?;
    Ok((sink, summary))
}

/// `PATH` with the interpreter's own `bin/` first (where a venv keeps the
/// `maturin` executable that its build backend calls).
pub fn path_with(py: &str) -> String {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let which = Command::new(py)
        .args([
            "-c",
            "import sys, os; print(os.path.dirname(sys.executable))",
        ])
        .output();
    if let Ok(o) = which {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    }
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Installs the Python package (`python/`) as `pip install ./python` does,
/// into the directory `site` (for `PYTHONPATH`) with `py` (pip, maturin):
/// the extension is built by cargo in the workspace's target directory, so
/// a second install in the same `cargo test` is an incremental build.
/// Returns pip's output as the error.
pub fn install_python_package(py: &str, site: &Path) -> Result<(), String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = std::fs::remove_dir_all(site);
    let out = Command::new(py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-deps", "--no-build-isolation", "--target"])
        .arg(site)
        .arg(repo.join("python"))
        .env("PATH", path_with(py))
        .output()
        .map_err(|e| format!("pip install ./python: cannot start: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "pip install ./python failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Every dataset (raw bytes, shape) and attribute of an HDF5 file, by path.
pub fn contents(path: &Path) -> std::collections::BTreeMap<String, String> {
    fn attrs(
        m: std::collections::HashMap<String, hdf5_pure::AttrValue>,
        at: &str,
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        for (k, v) in m {
            out.insert(format!("{at}@{k}"), format!("{v:?}"));
        }
    }
    fn walk(f: &hdf5_pure::File, g: &str, out: &mut std::collections::BTreeMap<String, String>) {
        let grp = if g.is_empty() {
            f.root()
        } else {
            f.group(g).unwrap()
        };
        attrs(grp.attrs().unwrap(), &format!("/{g}"), out);
        for (name, ds) in grp.iter_datasets().unwrap() {
            let p = format!("{g}/{name}");
            let raw = ds.read_raw().unwrap();
            out.insert(p.clone(), format!("{:?} {:?}", ds.shape().unwrap(), raw));
            attrs(ds.attrs().unwrap(), &p, out);
        }
        for sub in grp.groups().unwrap() {
            let p = if g.is_empty() {
                sub
            } else {
                format!("{g}/{sub}")
            };
            walk(f, &p, out);
        }
    }
    let f = hdf5_pure::File::open(path).unwrap();
    let mut out = std::collections::BTreeMap::new();
    walk(&f, "", &mut out);
    out
}

/// Two HDF5 files hold the same data: every dataset (shape and raw bytes)
/// and attribute, path by path (`ignore`: paths left out). Not the same
/// bytes: where the writer's checkpoints fell (wall-clock driven, see
/// `src/output/hdf5.rs`) moves objects in the file, never their content.
pub fn assert_same_files(a: &Path, b: &Path, ignore: &[&str]) {
    let (ca, cb) = (contents(a), contents(b));
    let keys = |c: &std::collections::BTreeMap<String, String>| -> Vec<String> {
        c.keys()
            .filter(|k| !ignore.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    assert_eq!(
        keys(&ca),
        keys(&cb),
        "{} and {} differ in structure",
        a.display(),
        b.display()
    );
    for k in keys(&ca) {
        assert!(
            ca[&k] == cb[&k],
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    assert!(
        ca.len() > 50,
        "suspiciously small file: {} entries",
        ca.len()
    );
}
