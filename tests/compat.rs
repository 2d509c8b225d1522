//! Compatibility corpus (issue 16): a sample of the third-party netlists in
//! `tests/compat/corpus` (ngspice's examples and tests, the Xyce regression
//! suite, textbook circuits; sources and licences in
//! `tests/compat/MANIFEST.tsv`) run by spinspice and by ngspice, their
//! rawfiles compared at ngspice's output points by `tools/compat.py` (see
//! its header for the tolerances). Every netlist of the sample must match;
//! the full corpus figure is in BENCHMARKS.md (`tools/compat.py` without
//! `--sample`). Cost: ~40 netlists, about a minute on 2 cores.

mod common;

use std::path::Path;
use std::process::Command;

#[test]
fn compat_sample_matches_ngspice() {
    if !common::have_ngspice() {
        return;
    }
    let py = common::python();
    let numpy = Command::new(&py)
        .args(["-c", "import numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !numpy {
        assert!(
            !common::tools_required(),
            "numpy is required (SPINSPICE_REQUIRE_TOOLS=1): '{py} -c \"import numpy\"' failed"
        );
        eprintln!("note: no Python with numpy (set SPINSPICE_PYTHON); skipping the corpus sample");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&py)
        .arg(root.join("tools/compat.py"))
        .arg("--spinspice")
        .arg(env!("CARGO_BIN_EXE_spinspice"))
        .arg("--sample")
        .arg(root.join("tests/compat/sample.txt"))
        .args(["--jobs", "2", "--cache", "", "--require-all"])
        .output()
        .expect("run tools/compat.py");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "corpus sample: not every netlist matches ngspice\n{text}\n{err}"
    );
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.starts_with("match "),
        "unexpected output: {text}\n{err}"
    );
    eprintln!("{last}");
}
