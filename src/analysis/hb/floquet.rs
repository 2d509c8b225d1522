//! Local stability of a harmonic-balance solution from its Floquet
//! exponents (Kundert, White & Sangiovanni-Vincentelli 1990, §7.4): a
//! perturbation e^{st}·p(t) of the periodic solution, p periodic, satisfies
//! (J + s·C̃)·P = 0, J the HB Jacobian and C̃ its charge part (the factors
//! jω_h replaced by s). Shift-and-invert Arnoldi on J⁻¹C̃ finds the
//! eigenvalues θ = −1/s of largest modulus, i.e. the exponents nearest 0:
//! the slow modes that decide stability, such as the phase mode of an
//! injection-locked oscillator (HB also converges to the unstable lock,
//! which the phase scan may start near).

use super::problem::Problem;
use super::solve::Solver;
use nalgebra::DMatrix;
use num_complex::Complex64;

/// The largest real part [1/s] among the Floquet exponents that `steps`
/// Arnoldi steps resolve at the solution `x` (positive: unstable); None when
/// the linear solves fail.
pub fn max_growth(
    p: &mut Problem,
    solver: &mut Solver,
    x: &[Complex64],
    steps: usize,
) -> Option<f64> {
    let (n, nh) = (p.n, p.nh);
    let len = n * nh;
    let mut r = vec![Complex64::default(); len];
    p.residual(x, &mut r).ok()?;
    solver.prepare(p, x).ok()?;
    let m = steps.min(2 * len - n).max(1);
    // deterministic start vector touching every unknown and harmonic
    let mut v: Vec<Vec<Complex64>> = vec![(0..len)
        .map(|k| {
            let a = (k as f64 * 0.618_034).fract() - 0.5;
            let b = if k < n {
                0.0
            } else {
                (k as f64 * 0.414_214).fract() - 0.5
            };
            Complex64::new(a, b)
        })
        .collect()];
    let dot = |a: &[Complex64], b: &[Complex64]| -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| x.re * y.re + x.im * y.im)
            .sum()
    };
    let nrm = dot(&v[0], &v[0]).sqrt();
    v[0].iter_mut().for_each(|z| *z /= nrm);
    let mut h = vec![0.0; (m + 1) * m];
    let mut w = vec![Complex64::default(); len];
    let mut k_done = 0;
    let zero: Vec<f64> = Vec::new();
    for k in 0..m {
        p.cv(&v[k], &mut w);
        solver.solve(p, &w, &zero).ok()?;
        w.copy_from_slice(solver.correction());
        for (j, vj) in v.iter().enumerate() {
            let hj = dot(&w, vj);
            h[j * m + k] = hj;
            w.iter_mut().zip(vj).for_each(|(a, b)| *a -= hj * b);
        }
        let hn = dot(&w, &w).sqrt();
        h[(k + 1) * m + k] = hn;
        k_done = k + 1;
        if hn <= 1e-14 {
            break;
        }
        v.push(w.iter().map(|z| z / hn).collect());
    }
    let hk = DMatrix::from_fn(k_done, k_done, |i, j| h[i * m + j]);
    let theta = hk.complex_eigenvalues();
    if std::env::var_os("SPINSPICE_HB_DEBUG").is_some() {
        let s: Vec<Complex64> = theta
            .iter()
            .filter(|t| t.norm() > 0.0)
            .map(|t| -1.0 / t)
            .collect();
        eprintln!("floquet: {k_done} steps, exponents {s:?}");
    }
    theta
        .iter()
        .filter(|t| t.norm() > 0.0)
        .map(|t| {
            let s = -1.0 / t;
            s.re
        })
        .reduce(f64::max)
}
