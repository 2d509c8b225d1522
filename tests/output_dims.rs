//! Dimension scales of the HDF5 files (src/output/dimscale.rs), read back by
//! the HDF5 C library (`h5dump`), which resolves every object reference:
//! each dataset's `DIMENSION_LIST` names its axis, each scale's
//! `REFERENCE_LIST` names every dataset along it, `CLASS` is the
//! null-terminated string the C library's H5DS functions insist on. The
//! xarray/h5netcdf/h5py view of the same files is tested in
//! python/tests/test_files.py.
mod output_support;

use output_support::*;
use spinspice::output::dimscale::{self, DimPlan};
use spinspice::output::hdf5::Hdf5Sink;
use spinspice::output::{AnalysisInfo, AnalysisKind, SignalInfo, Sink};
use std::path::Path;
use std::process::Command;

/// `h5dump -a OBJ/ATTR FILE`, or None when the attribute is absent; panics
/// if h5dump is missing and tools are required, else returns None with a
/// notice (the caller's checks are skipped).
fn attr(file: &Path, obj: &str, name: &str) -> Option<String> {
    let out = Command::new("h5dump")
        .arg("-a")
        .arg(format!("{obj}/{name}"))
        .arg(file)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    out.status.success().then_some(text)
}

fn have_h5dump() -> bool {
    if runs("h5dump", &["--version"]) {
        return true;
    }
    missing("h5dump", "not installed (apt-get install hdf5-tools)");
    false
}

/// The targets of the object references in an h5dump attribute listing.
fn targets(dump: &str) -> Vec<String> {
    dump.split("DATASET ")
        .skip(1)
        .filter_map(|s| s.split('"').nth(1).map(str::to_string))
        .collect()
}

/// The `dimension` members of a REFERENCE_LIST listing, in order.
fn dimensions(dump: &str) -> Vec<i64> {
    dump.split("\",")
        .skip(1)
        .filter_map(|s| {
            s.split_whitespace()
                .next()?
                .trim_end_matches([',', '}'])
                .parse()
                .ok()
        })
        .collect()
}

fn check_scale(file: &Path, scale: &str, users: &[String]) {
    let class = attr(file, scale, "CLASS").unwrap_or_else(|| panic!("{scale}: no CLASS"));
    assert!(class.contains("STRPAD H5T_STR_NULLTERM"), "{class}");
    assert!(class.contains("\"DIMENSION_SCALE\""), "{class}");
    let name = scale.rsplit('/').next().unwrap();
    let n = attr(file, scale, "NAME").unwrap_or_else(|| panic!("{scale}: no NAME"));
    assert!(n.contains(&format!("\"{name}\"")), "{n}");
    if users.is_empty() {
        return;
    }
    let refs = attr(file, scale, "REFERENCE_LIST").expect("REFERENCE_LIST");
    let mut got = targets(&refs);
    let mut want = users.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{scale}");
}

fn check_dims(file: &Path, dataset: &str, scales: &[&str]) {
    let d = attr(file, dataset, "DIMENSION_LIST")
        .unwrap_or_else(|| panic!("{dataset}: no DIMENSION_LIST"));
    assert_eq!(targets(&d), scales, "{dataset}");
}

/// Every signal of every analysis runs along its group's sweep.
#[test]
fn analysis_signals_are_attached_to_their_sweep() {
    if !have_h5dump() {
        return;
    }
    let dir = tempdir();
    let path = file_in(&dir, "basic.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.set_buffer_budget(8 * 5 * 64); // the transient streams in blocks
    run_basic(&mut sink);
    drop(sink);
    let groups = [
        ("tran", tran_info()),
        ("tran_2", tran_info()),
        ("ac", ac_info()),
        ("dc", dc_info()),
        ("op", op_info()),
    ];
    for (g, info) in groups {
        let scale = format!("/{g}/{}", info.sweep.name);
        let users: Vec<String> = info
            .signals
            .iter()
            .map(|s| format!("/{g}/{}", s.name))
            .collect();
        for u in &users {
            check_dims(&path, u, &[&scale]);
        }
        check_scale(&path, &scale, &users);
        let refs = attr(&path, &scale, "REFERENCE_LIST").unwrap();
        assert!(dimensions(&refs).iter().all(|&j| j == 0), "{refs}");
        assert_eq!(dimensions(&refs).len(), users.len(), "{refs}");
    }
    // The scalar measures have no dimension.
    assert!(attr(&path, "/measures/rise", "DIMENSION_LIST").is_none());
}

/// `.step` runs: `/steps` and the per-point `/measures` run along `point`.
#[test]
fn step_arrays_are_attached_to_the_point_scale() {
    if !have_h5dump() {
        return;
    }
    let dir = tempdir();
    let path = file_in(&dir, "steps.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    run_steps(&mut sink);
    drop(sink);
    let steps: Vec<String> = ["r1", "c1", "status", "error"]
        .iter()
        .map(|d| format!("/steps/{d}"))
        .collect();
    for d in &steps {
        check_dims(&path, d, &["/steps/point"]);
    }
    check_scale(&path, "/steps/point", &steps);
    check_dims(&path, "/measures/delay", &["/measures/point"]);
    check_scale(&path, "/measures/point", &["/measures/delay".to_string()]);
    // each point's analyses have their own scales
    check_dims(&path, "/step_00002/ac/v(b)", &["/step_00002/ac/frequency"]);
}

/// A sweep over two parameters: the arrays of `/sweep` and `/sweep/measures`
/// are 2-D, dimension j on axis j, each group using its own coordinates;
/// a measure named like an axis makes that group use `/sweep/<axis>`.
#[test]
fn sweep_arrays_have_one_scale_per_axis() {
    if !have_h5dump() {
        return;
    }
    let dir = tempdir();
    let nl = dir.path().join("sweep.cir");
    std::fs::write(
        &nl,
        "divider\n.param vs=1 r1=1k\nV1 in 0 {vs}\nR1 in out {r1}\nR2 out 0 1k\n\
         .tran 1n 10n\n.meas tran vout avg v(out)\n.meas tran vs avg v(in)\n\
         .step param r1 list 1k 3k\n.step param vs list 1 2 3\n.end\n",
    )
    .unwrap();
    let path = file_in(&dir, "sweep.h5");
    let st = Command::new(env!("CARGO_BIN_EXE_spinspice"))
        .arg("run")
        .arg(&nl)
        .arg("-o")
        .arg(&path)
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    for d in ["/sweep/point", "/sweep/status"] {
        check_dims(&path, d, &["/sweep/r1", "/sweep/vs"]);
    }
    // `vs` is both an axis and a measure: /sweep/measures has no `vs`
    // coordinate of its own, its arrays use /sweep/vs
    for m in ["/sweep/measures/vout", "/sweep/measures/vs"] {
        check_dims(&path, m, &["/sweep/measures/r1", "/sweep/vs"]);
    }
    let refs = attr(&path, "/sweep/vs", "REFERENCE_LIST").unwrap();
    assert_eq!(dimensions(&refs), vec![1, 1, 1, 1], "{refs}");
    check_scale(&path, "/sweep/axes/r1", &[]);
    assert!(attr(&path, "/sweep/axes/r1", "REFERENCE_LIST").is_none());
}

/// The pass refuses what it cannot do and then leaves the file as it was:
/// a second pass, a file that is not HDF5.
#[test]
fn refusals_leave_the_file_unchanged() {
    let dir = tempdir();
    let path = file_in(&dir, "basic.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    run_basic(&mut sink);
    drop(sink);
    let before = std::fs::read(&path).unwrap();
    let mut plan = DimPlan::new();
    plan.axis_group("tran", "time", &["time".to_string(), "v(a)".to_string()]);
    let e = dimscale::write(&path, &plan).unwrap_err();
    assert!(e.to_string().contains("already has dimension-scale"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let junk = file_in(&dir, "junk.h5");
    std::fs::write(
        &junk,
        b"not an HDF5 file at all, but long enough to read a superblock",
    )
    .unwrap();
    let e = dimscale::write(&junk, &plan).unwrap_err();
    assert!(e.to_string().contains("no HDF5 signature"), "{e}");
    // Two scales on a 1-D dataset (a file of plain datasets).
    let fresh = file_in(&dir, "fresh.h5");
    let mut fb = hdf5_pure::FileBuilder::new();
    for name in ["x", "a", "b"] {
        fb.create_dataset(name).with_f64_data(&[1.0, 2.0, 3.0]);
    }
    fb.write(&fresh).unwrap();
    let before_fresh = std::fs::read(&fresh).unwrap();
    let mut two = DimPlan::new();
    two.attach("x", &["a".to_string(), "b".to_string()]);
    let e = dimscale::write(&fresh, &two).unwrap_err();
    assert!(
        e.to_string().contains("has 1 dimensions, the plan 2"),
        "{e}"
    );
    assert_eq!(std::fs::read(&fresh).unwrap(), before_fresh);
    // …and the right plan on the same file works (h5dump checks it above).
    let mut one = DimPlan::new();
    one.attach("x", &["a".to_string()]);
    assert_eq!(dimscale::write(&fresh, &one).unwrap(), 1);
    // Paths the file does not have are left out, not errors.
    let mut other = DimPlan::new();
    other.attach("nowhere/x", &["nowhere/time".to_string()]);
    assert_eq!(dimscale::write(&path, &other).unwrap(), 0);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// More datasets on one axis than one attribute message can list (64 KiB
/// / 12 bytes ≈ 5 460): every dataset has its DIMENSION_LIST, the scale no
/// REFERENCE_LIST.
#[test]
fn very_wide_analyses_keep_their_dimension_lists() {
    if !have_h5dump() {
        return;
    }
    let dir = tempdir();
    let path = file_in(&dir, "wide.h5");
    let n = 5600;
    let info = AnalysisInfo {
        kind: AnalysisKind::Tran,
        sweep: SignalInfo::new("time", "s"),
        signals: (0..n)
            .map(|k| SignalInfo::new(format!("v(n{k})"), "V"))
            .collect(),
        complex: false,
    };
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.begin_run("wide", "wide\n.end\n", None).unwrap();
    write_analysis(&mut sink, &info, 7, 3);
    sink.finish(true).unwrap();
    drop(sink);
    for k in [0, 2799, n - 1] {
        check_dims(&path, &format!("/tran/v(n{k})"), &["/tran/time"]);
    }
    check_scale(&path, "/tran/time", &[]);
    assert!(attr(&path, "/tran/time", "REFERENCE_LIST").is_none());
}
