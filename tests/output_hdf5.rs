//! HDF5 writer: round trips through hdf5-pure, h5py and h5dump; step layout;
//! incomplete runs; a writer killed with SIGKILL.
mod output_support;

use hdf5_pure::{AttrValue, File};
use output_support::*;
use spinspice::output::hdf5::Hdf5Sink;
use spinspice::output::{AnalysisInfo, AnalysisKind, SignalInfo, Sink};
use std::path::Path;
use std::process::Command;

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

fn steps_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = file_in(dir, "steps.h5");
    let mut sink = Hdf5Sink::create(&path).unwrap();
    sink.set_buffer_budget(SMALL_BUDGET);
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
