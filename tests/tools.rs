//! The external tools of the cross-checks. Each test here passes when its
//! tool works. When the tool is missing, the test is *ignored* with the
//! reason — so `cargo test` prints, e.g.,
//! `test ngspice_cross_checks ... ignored, ngspice is not installed: …` and
//! counts it in the summary line — while the cross-checks that need it skip
//! with a notice (`build.rs` probes the tools and sets the cfg flags). With
//! `SPINSPICE_REQUIRE_TOOLS=1` (CI, `.ci/run`) nothing is ignored: a missing
//! tool fails here and in every cross-check that needs it.

mod common;

use common::runs;

#[test]
#[cfg_attr(
    spinspice_no_ngspice,
    ignore = "ngspice is not installed: the ngspice cross-checks (tests/ngspice_compare.rs, waveform and diode comparisons, rawfile loading) are skipped"
)]
fn ngspice_cross_checks() {
    assert!(common::have_ngspice(), "ngspice does not run");
}

#[test]
#[cfg_attr(
    spinspice_no_h5dump,
    ignore = "h5dump is not installed (hdf5-tools): the HDF5 C-library cross-checks are skipped"
)]
fn h5dump_cross_checks() {
    assert!(runs("h5dump", &["--version"]), "h5dump does not run");
}

#[test]
#[cfg_attr(
    spinspice_no_h5py,
    ignore = "no Python with numpy and h5py (set SPINSPICE_PYTHON): the h5py reads of the output files and the docs' Python snippets are skipped"
)]
fn h5py_cross_checks() {
    let py = common::python();
    assert!(
        runs(&py, &["-c", "import h5py, numpy"]),
        "{py} cannot import h5py and numpy"
    );
}

#[test]
#[cfg_attr(
    spinspice_no_cmtj,
    ignore = "no Python with cmtj, scipy and numpy (set SPINSPICE_PYTHON): the cmtj device-physics cross-check (tests/devices_mtj.rs) is skipped"
)]
fn cmtj_cross_checks() {
    let py = common::python();
    assert!(
        runs(&py, &["-c", "import cmtj, scipy, numpy"]),
        "{py} cannot import cmtj, scipy and numpy"
    );
}
