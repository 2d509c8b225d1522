//! The drone network of tools/rf_network.py, read and evaluated independently of the tool:
//! the weights file (format rfnet 1) and the algebraic forward pass of the seed 004 network
//! (the [004-code] equations with the device kernel G_dev = G(f) + G(−f),
//! docs/systems/drone_network.md).

use std::path::Path;

/// A weights file (format rfnet 1): scalars, vectors and matrix rows by key;
/// and the provenance header's classes and test accuracy.
pub struct Weights {
    pub scalar: std::collections::HashMap<String, f64>,
    pub vec: std::collections::HashMap<String, Vec<f64>>,
    pub fres1: Vec<Vec<f64>>,
    pub fres2: Vec<Vec<f64>>,
    pub classes: Vec<i64>,
    pub claimed_test: f64,
}

pub fn read(path: &Path) -> Weights {
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
pub fn layer(f: &[f64], fres: &[Vec<f64>], sign: &[f64], alpha: f64, ksd: f64) -> Vec<Vec<f64>> {
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

/// The layers of the forward pass: chain voltages v1 (with the biases), neuron powers
/// p(ξ) and output voltages v2.
pub struct Layers {
    pub v1: Vec<f64>,
    pub p: Vec<f64>,
    pub v2: Vec<f64>,
}

/// The forward pass for input powers p [µW] (w1, w2 from [`layer`]).
pub fn forward(w: &Weights, w1: &[Vec<f64>], w2: &[Vec<f64>], p: &[f64]) -> Layers {
    let amp = vec![w.scalar["amp"]; w1.len()];
    forward_amp(w, w1, w2, p, &amp)
}

/// [`forward`] with each neuron's own power factor `amp` (the power spread).
pub fn forward_amp(
    w: &Weights,
    w1: &[Vec<f64>],
    w2: &[Vec<f64>],
    p: &[f64],
    amp: &[f64],
) -> Layers {
    let s = |k: &str| w.scalar[k];
    let v1: Vec<f64> = w1
        .iter()
        .zip(&w.vec["b1"])
        .map(|(row, b)| row.iter().zip(p).map(|(g, x)| g * x * 1e-6).sum::<f64>() + s("bias1") + b)
        .collect();
    let (mut pn, mut pout) = (vec![], vec![]);
    for (v, a) in v1.iter().zip(amp) {
        let i = (s("gm") * v).clamp(s("ith"), s("iclamp"));
        let xi = i / s("ith");
        pn.push((xi - 1.0) / (xi + s("q")));
        pout.push(a * pn.last().unwrap() * i * i * s("rosc"));
    }
    let v2 = w2
        .iter()
        .zip(&w.vec["b2"])
        .map(|(row, b)| row.iter().zip(&pout).map(|(g, x)| g * x).sum::<f64>() + b)
        .collect();
    Layers { v1, p: pn, v2 }
}

/// The N inputs of a 256-bin sample: the mean of each group of 256/N bins.
pub fn inputs(row: &[f64], n: usize) -> Vec<f64> {
    let g = row.len() / n;
    row.chunks(g)
        .map(|c| c.iter().sum::<f64>() / g as f64)
        .collect()
}
