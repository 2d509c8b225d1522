//! The Python package's tests, run by `cargo test`: builds and installs the
//! package (`python/`) as `pip install ./python` does — pip and maturin,
//! here into `target/tmp/python-site` instead of a venv, reusing the
//! dependencies `cargo test --release` built — then runs pytest on
//! `python/tests/` (and the executed example `docs/python_example.py`).
//!
//! Needs a Python (`SPINSPICE_PYTHON`, else `python3`) with maturin, pytest,
//! numpy, xarray, h5netcdf, h5py and matplotlib (`.ci/run` installs them).
//! Without them the test skips with a notice, unless
//! `SPINSPICE_REQUIRE_TOOLS=1`, which also makes pytest fail, not skip, a
//! test whose module is missing.
//!
//! Cost (2 cores, after `cargo test --release` built the crate): the
//! extension build, ~40 s of CPU (pyo3 and the binding crate), then the
//! pytest run, ~30 s.
mod common;

use std::path::Path;
use std::process::Command;

const MODULES: &str = "maturin, pytest, numpy, xarray, h5netcdf, h5py, matplotlib";

fn required() -> bool {
    std::env::var("SPINSPICE_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// The interpreter, if it has every module the tests use.
fn python() -> Option<String> {
    let py = std::env::var("SPINSPICE_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let ok = Command::new(&py)
        .args(["-c", &format!("import {MODULES}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(py);
    }
    let msg = format!("'{py}' lacks one of {MODULES} (set SPINSPICE_PYTHON)");
    assert!(!required(), "SPINSPICE_REQUIRE_TOOLS=1 but {msg}");
    eprintln!("SKIPPED: Python package tests: {msg}");
    None
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "{what} failed:\n{text}");
}

#[test]
fn python_package() {
    let Some(py) = python() else { return };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let site = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-site");
    let path = common::path_with(&py);
    if let Err(e) = common::install_python_package(&py, &site) {
        panic!("{e}");
    }
    run(
        Command::new(&py)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs"])
            .arg(repo.join("python/tests"))
            .current_dir(repo)
            .env("PYTHONPATH", &site)
            .env("PATH", &path)
            .env("MPLBACKEND", "Agg")
            .env("SPINSPICE_BIN", env!("CARGO_BIN_EXE_spinspice")),
        "pytest python/tests",
    );
}
