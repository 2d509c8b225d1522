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

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A weights file (format rfnet 1): scalars, vectors and matrix rows by key;
/// and the provenance header's classes and test accuracy.
struct Weights {
    scalar: std::collections::HashMap<String, f64>,
    vec: std::collections::HashMap<String, Vec<f64>>,
    fres1: Vec<Vec<f64>>,
    fres2: Vec<Vec<f64>>,
    classes: Vec<i64>,
    claimed_test: f64,
}

fn read(path: &Path) -> Weights {
    let text = std::fs::read_to_string(path).unwrap();
    let mut w = Weights {
        scalar: Default::default(),
        vec: Default::default(),
        fres1: vec![],
        fres2: vec![],
        classes: vec![],
        claimed_test: f64::NAN,
    };
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# ") {
            if let Some(cl) = c
                .strip_prefix("data:")
                .and_then(|d| d.split("classes ").nth(1))
            {
                w.classes = cl.split(',').map(|x| x.trim().parse().unwrap()).collect();
            }
            if let Some(acc) = c
                .strip_prefix("result:")
                .and_then(|d| d.split("test accuracy ").nth(1))
            {
                w.claimed_test = acc.split_whitespace().next().unwrap().parse().unwrap();
            }
            continue;
        }
        let mut it = line.split_whitespace();
        let Some(key) = it.next() else { continue };
        let vals: Vec<f64> = it.filter_map(|v| v.parse().ok()).collect();
        match key {
            "format" => {}
            "fres1" => w.fres1.push(vals),
            "fres2" => w.fres2.push(vals),
            "f_in" | "f_hid" | "sign1" | "sign2" | "b1" | "b2" => {
                w.vec.insert(key.into(), vals);
            }
            _ => {
                w.scalar.insert(key.into(), vals[0]);
            }
        }
    }
    w
}

/// Σ_k s_k G_dev(f_i; f_r,jk) for every chain j and tone i [V/W]
/// (G = 2αf_r(f − f_r)/((αf_r)² + (f − f_r)²)·K_SD, G_dev = G(f) + G(−f)).
fn layer(f: &[f64], fres: &[Vec<f64>], sign: &[f64], alpha: f64, ksd: f64) -> Vec<Vec<f64>> {
    let g = |f: f64, fr: f64| {
        let w = alpha * fr;
        2.0 * w * (f - fr) / (w * w + (f - fr).powi(2))
    };
    fres.iter()
        .map(|row| {
            f.iter()
                .map(|&fi| {
                    ksd * row
                        .iter()
                        .zip(sign)
                        .map(|(&fr, s)| s * (g(fi, fr) + g(-fi, fr)))
                        .sum::<f64>()
                })
                .collect()
        })
        .collect()
}

/// Output voltages for input powers p [µW].
fn forward(w: &Weights, w1: &[Vec<f64>], w2: &[Vec<f64>], p: &[f64]) -> Vec<f64> {
    let s = |k: &str| w.scalar[k];
    let pout: Vec<f64> = w1
        .iter()
        .zip(&w.vec["b1"])
        .map(|(row, b)| {
            let v: f64 = row.iter().zip(p).map(|(g, x)| g * x * 1e-6).sum::<f64>() + s("bias1") + b;
            let i = (s("gm") * v).clamp(s("ith"), s("iclamp"));
            let xi = i / s("ith");
            s("amp") * (xi - 1.0) / (xi + s("q")) * i * i * s("rosc")
        })
        .collect();
    w2.iter()
        .zip(&w.vec["b2"])
        .map(|(row, b)| row.iter().zip(&pout).map(|(g, x)| g * x).sum::<f64>() + b)
        .collect()
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
        let row = &x[r * 256..(r + 1) * 256];
        let g = 256 / n;
        let p: Vec<f64> = row
            .chunks(g)
            .map(|c| c.iter().sum::<f64>() / g as f64)
            .collect();
        let v = forward(&w, &w1, &w2, &p);
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
