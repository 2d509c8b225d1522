//! The trained weights shipped in tools/weights/ (issue 14, item 1), checked
//! independently of the Python tool that trained them: the algebraic forward
//! pass of the seed 004 network (the [004-code] equations with the device
//! kernel G_dev = G(f) + G(−f), docs/systems/drone_network.md) written again
//! here, run over the test set of ../shared/data/drone_rf_fingerprints.h5
//! (read with hdf5-pure), must give the test accuracy each file's provenance
//! header states, sample for sample. And the hand-written gradients of the
//! training tool against finite differences (`train_rf_network.py
//! gradcheck`, when Python with numpy is there).

mod common;

use common::drone::{forward, inputs, layer, read};

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(file: &str) {
    let data = repo().join("../shared/data/drone_rf_fingerprints.h5");
    if !data.is_file() {
        assert!(!common::tools_required(), "{} missing", data.display());
        eprintln!("skipped: {} missing", data.display());
        return;
    }
    let w = read(&repo().join("tools/weights").join(file));
    let n = w.scalar["inputs"] as usize;
    let (a, ksd) = (w.scalar["alpha"], w.scalar["ksd"]);
    let w1 = layer(&w.vec["f_in"], &w.fres1, &w.vec["sign1"], a, ksd);
    let w2 = layer(&w.vec["f_hid"], &w.fres2, &w.vec["sign2"], a, ksd);
    assert_eq!(w2.len(), w.classes.len());
    let f = hdf5_pure::File::open(&data).unwrap();
    let x = f.dataset("X_test").unwrap().read_f64().unwrap();
    let y = f.dataset("Y_test").unwrap().read_i64().unwrap();
    let (mut hit, mut total) = (0usize, 0usize);
    for (r, &label) in y.iter().enumerate() {
        let Some(cls) = w.classes.iter().position(|&c| c == label) else {
            continue;
        };
        // N inputs: the mean of each group of 256/N bins
        let p = inputs(&x[r * 256..(r + 1) * 256], n);
        let v = forward(&w, &w1, &w2, &p).v2;
        let best = (0..v.len()).max_by(|&i, &j| v[i].total_cmp(&v[j])).unwrap();
        hit += (best == cls) as usize;
        total += 1;
    }
    let acc = 100.0 * hit as f64 / total as f64;
    assert!(
        (acc - w.claimed_test).abs() < 0.005,
        "{file}: {hit}/{total} = {acc:.2} %, the header says {} %",
        w.claimed_test
    );
}

#[test]
fn shipped_16_8_2_weights_reach_their_stated_accuracy() {
    check("drone_16_8_2.txt");
}

#[test]
fn shipped_64_32_10_weights_reach_their_stated_accuracy() {
    check("drone_64_32_10.txt");
}

#[test]
fn shipped_256_128_10_weights_reach_their_stated_accuracy() {
    check("drone_256_128_10.txt");
}

#[test]
fn training_gradients_match_finite_differences() {
    let o = Command::new(common::python())
        .arg(repo().join("tools/train_rf_network.py"))
        .arg("gradcheck")
        .output();
    match o {
        Ok(o) if o.status.success() => {
            assert!(String::from_utf8_lossy(&o.stdout).contains("gradient check passed"))
        }
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No module named") => {
            assert!(!common::tools_required(), "numpy/h5py missing");
            eprintln!("skipped: numpy missing");
        }
        Ok(o) => panic!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => {
            assert!(!common::tools_required(), "python: {e}");
            eprintln!("skipped: no python");
        }
    }
}
