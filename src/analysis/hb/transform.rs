//! Time ↔ frequency transforms of the harmonic-balance unknowns: one real
//! FFT of S samples per signal (realfft over rustfft), harmonics at the bins
//! of the [`Grid`](super::grid::Grid).
//!
//! Conventions (peak phasors, as in `.ac`): a signal with spectrum
//! (X_0, X_1 … X_H) is x(θ) = X_0 + Σ_h Re(X_h e^{j m_h θ}) at the samples
//! θ_s = 2πs/S, m_h the signed artificial index of harmonic h (bin |m_h|,
//! holding X_h or, for m_h < 0, its conjugate). Buffers are allocated once.

use num_complex::Complex64;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::sync::Arc;

pub struct Transform {
    s: usize,
    /// Bin and conjugation of each harmonic.
    bins: Vec<(usize, bool)>,
    fwd: Arc<dyn RealToComplex<f64>>,
    inv: Arc<dyn ComplexToReal<f64>>,
    spec: Vec<Complex64>,
    buf: Vec<f64>,
    scratch_f: Vec<Complex64>,
    scratch_i: Vec<Complex64>,
}

impl Transform {
    /// Transforms of `samples` points for harmonics at the signed indices
    /// `bins` (every |m| below samples/2; m = 0 is DC).
    pub fn new(samples: usize, bins: &[i64]) -> Transform {
        let mut planner = RealFftPlanner::<f64>::new();
        let fwd = planner.plan_fft_forward(samples);
        let inv = planner.plan_fft_inverse(samples);
        Transform {
            s: samples,
            bins: bins
                .iter()
                .map(|&m| (m.unsigned_abs() as usize, m < 0))
                .collect(),
            spec: fwd.make_output_vec(),
            buf: vec![0.0; samples],
            scratch_f: fwd.make_scratch_vec(),
            scratch_i: inv.make_scratch_vec(),
            fwd,
            inv,
        }
    }

    pub fn samples(&self) -> usize {
        self.s
    }

    /// Samples `out[0..S]` of the signal whose harmonic h is
    /// `x[h·stride + i]` (the DC entry's imaginary part is ignored).
    pub fn to_time(&mut self, x: &[Complex64], stride: usize, i: usize, out: &mut [f64]) {
        self.spec.fill(Complex64::new(0.0, 0.0));
        self.spec[0] = Complex64::new(x[i].re, 0.0);
        for (h, &(b, conj)) in self.bins.iter().enumerate().skip(1) {
            let v = 0.5 * x[h * stride + i];
            self.spec[b] = if conj { v.conj() } else { v };
        }
        // (the DC and Nyquist bins are real by construction: no error)
        let _ =
            self.inv
                .process_with_scratch(&mut self.spec, &mut out[..self.s], &mut self.scratch_i);
    }

    /// Forward transform of the samples `y[0..S]`; read the result with
    /// [`Transform::phasor`] and [`Transform::two_sided`].
    pub fn forward(&mut self, y: &[f64]) {
        self.buf.copy_from_slice(&y[..self.s]);
        let _ = self
            .fwd
            .process_with_scratch(&mut self.buf, &mut self.spec, &mut self.scratch_f);
    }

    /// Peak phasor of harmonic h of the last forward transform (DC: the mean).
    #[inline]
    pub fn phasor(&self, h: usize) -> Complex64 {
        let (b, conj) = self.bins[h];
        if b == 0 {
            Complex64::new(self.spec[0].re / self.s as f64, 0.0)
        } else {
            let v = self.spec[b] * (2.0 / self.s as f64);
            if conj {
                v.conj()
            } else {
                v
            }
        }
    }

    /// Two-sided Fourier coefficient ĝ_p (p taken modulo S) of the last
    /// forward transform: y_s = Σ_p ĝ_p e^{j2πps/S}.
    #[inline]
    pub fn two_sided(&self, p: i64) -> Complex64 {
        let s = self.s as i64;
        let p = p.rem_euclid(s) as usize;
        let v = if p <= self.s / 2 {
            self.spec[p]
        } else {
            self.spec[self.s - p].conj()
        };
        v / self.s as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// to_time then forward returns the phasors; the samples are the sum of
    /// the cosines.
    #[test]
    fn round_trip_and_convention() {
        let bins = [0i64, 1, -3, 4];
        let mut t = Transform::new(12, &bins);
        let x = [
            Complex64::new(0.5, 0.0),
            Complex64::new(1.0, -2.0),
            Complex64::new(0.0, 0.25),
            Complex64::new(-0.3, 0.1),
        ];
        let mut y = vec![0.0; 12];
        t.to_time(&x, 1, 0, &mut y);
        for (s, &v) in y.iter().enumerate() {
            let th = 2.0 * std::f64::consts::PI * s as f64 / 12.0;
            let mut e = x[0].re;
            for h in 1..4 {
                e += (x[h] * Complex64::from_polar(1.0, bins[h] as f64 * th)).re;
            }
            // (m < 0: Re(X e^{jmθ}) = Re(X̄ e^{j|m|θ}))
            assert!((v - e).abs() < 1e-12, "sample {s}: {v} vs {e}");
        }
        t.forward(&y);
        for (h, xh) in x.iter().enumerate() {
            assert!((t.phasor(h) - xh).norm() < 1e-12);
        }
        assert!((t.two_sided(-1) - 0.5 * x[1].conj()).norm() < 1e-12);
        assert!((t.two_sided(2)).norm() < 1e-12);
    }
}
