//! Random source functions of ngspice: `TRNOISE(NA NT …)` (white noise
//! sampled every NT, linear in between) and `TRRANDOM(TYPE TS TD PARAM1
//! PARAM2)` (a random value held for TS).
//!
//! Each value is a keyed draw, not a step of a generator: sample k of a
//! source is a pure function of (key, k), the key hashing the run seed
//! (`.options seed`, 0 when not given) and the source's full name. So a run
//! is reproducible, independent of `--jobs`, of the time steps taken and of
//! the other sources, and the value at any time can be evaluated again
//! (rejected steps, breakpoints) without state.
//!
//! Differences from ngspice-39 (whose generator and seed handling differ
//! anyway, so only the statistics can agree): the first TRNOISE sample (at
//! t = 0) is 0 and a TRRANDOM value applies *after* its start time TD + k·TS
//! (0 up to TD), so the transient starts from the operating point without a
//! jump; ngspice draws a value at t = 0. `NALPHA`/`NAMP` (1/f noise) and the
//! random-telegraph arguments `RTSAM RTSCAPT RTSEMT` are refused when not 0.

use super::is_after;
use crate::expr::random::{mix, SplitMix64};

/// The hash of sample k under `key`.
fn sample_rng(key: u64, k: u64) -> SplitMix64 {
    SplitMix64(mix(key ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// Index k of the last breakpoint `t0 + k·dt` at or before t, and whether
/// t is on it (within the breakpoint tolerance); None before t0.
fn segment(t0: f64, dt: f64, t: f64) -> Option<(u64, bool)> {
    if t < t0 && is_after(t0, t) {
        return None;
    }
    let x = ((t - t0) / dt).max(0.0);
    let j = x.round();
    let on = !is_after(t0 + j * dt, t) && !is_after(t, t0 + j * dt);
    Some(if on {
        (j as u64, true)
    } else {
        (x.floor() as u64, false)
    })
}

/// The first breakpoint `t0 + k·dt` (k ≥ 0) strictly after t.
fn next_after(t0: f64, dt: f64, t: f64) -> Option<f64> {
    if dt <= 0.0 {
        return None;
    }
    let k = segment(t0, dt, t).map_or(0, |(k, _)| k + 1);
    let c = t0 + k as f64 * dt;
    Some(if is_after(c, t) { c } else { c + dt })
}

/// `TRNOISE(NA NT)`: Gaussian samples of standard deviation `na` at t = k·nt
/// (k ≥ 1; 0 at t = 0), joined linearly.
#[derive(Debug, Clone, PartialEq)]
pub struct TrNoise {
    /// RMS amplitude of the samples (source unit).
    pub na: f64,
    /// Time between samples (s); 0 = no noise.
    pub nt: f64,
    pub key: u64,
}

impl TrNoise {
    fn sample(&self, k: u64) -> f64 {
        if k == 0 {
            0.0
        } else {
            self.na * sample_rng(self.key, k).normal()
        }
    }

    pub fn value(&self, t: f64) -> f64 {
        if self.nt <= 0.0 || self.na == 0.0 {
            return 0.0;
        }
        let Some((k, _)) = segment(0.0, self.nt, t) else {
            return 0.0;
        };
        let (v0, v1) = (self.sample(k), self.sample(k + 1));
        let frac = (t / self.nt - k as f64).clamp(0.0, 1.0);
        v0 + (v1 - v0) * frac
    }

    /// The sample times (corners of the waveform).
    pub fn next_breakpoint(&self, t: f64) -> Option<f64> {
        if self.na == 0.0 {
            return None;
        }
        next_after(0.0, self.nt, t)
    }
}

/// The distribution of a `TRRANDOM` value (its TYPE).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RandomKind {
    /// 1: uniform on [−PARAM1, PARAM1) + PARAM2.
    Uniform,
    /// 2: Gaussian, standard deviation PARAM1, mean PARAM2.
    Gauss,
    /// 3: exponential of mean PARAM1, + PARAM2.
    Exponential,
    /// 4: Poisson of mean PARAM1 (integers), + PARAM2.
    Poisson,
}

impl RandomKind {
    pub fn from_type(t: f64) -> Option<RandomKind> {
        [
            RandomKind::Uniform,
            RandomKind::Gauss,
            RandomKind::Exponential,
            RandomKind::Poisson,
        ]
        .into_iter()
        .zip(1..)
        .find(|&(_, n)| f64::from(n) == t)
        .map(|(k, _)| k)
    }
}

/// `TRRANDOM(TYPE TS TD PARAM1 PARAM2)`: value k drawn for
/// (TD + k·TS, TD + (k+1)·TS], 0 up to TD.
#[derive(Debug, Clone, PartialEq)]
pub struct TrRandom {
    pub kind: RandomKind,
    pub ts: f64,
    pub td: f64,
    pub p1: f64,
    pub p2: f64,
    pub key: u64,
}

impl TrRandom {
    fn sample(&self, k: u64) -> f64 {
        let mut r = sample_rng(self.key, k);
        let v = match self.kind {
            RandomKind::Uniform => self.p1 * r.symmetric(),
            RandomKind::Gauss => self.p1 * r.normal(),
            RandomKind::Exponential => -self.p1 * (1.0 - r.uniform()).ln(),
            RandomKind::Poisson => poisson(self.p1, &mut r),
        };
        v + self.p2
    }

    pub fn value(&self, t: f64) -> f64 {
        // left-continuous: on a start time the previous value still holds
        match segment(self.td, self.ts, t) {
            None | Some((0, true)) => 0.0,
            Some((k, true)) => self.sample(k - 1),
            Some((k, false)) => self.sample(k),
        }
    }

    pub fn next_breakpoint(&self, t: f64) -> Option<f64> {
        next_after(self.td, self.ts, t)
    }
}

/// A Poisson variate of mean `lambda` (Knuth's product of uniforms for
/// λ ≤ 30, else the rounded normal approximation, whose error in the
/// moments is below 1/λ).
fn poisson(lambda: f64, r: &mut SplitMix64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * r.normal()).round().max(0.0);
    }
    let limit = (-lambda).exp();
    let mut k = 0.0;
    let mut p = r.uniform();
    while p > limit {
        k += 1.0;
        p *= r.uniform();
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean and variance of `n` values.
    fn moments(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        (
            m,
            v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0),
        )
    }

    #[test]
    fn trnoise_samples_are_white_with_the_given_rms() {
        let w = TrNoise {
            na: 0.3,
            nt: 1e-6,
            key: 42,
        };
        let s: Vec<f64> = (1..=20000).map(|k| w.value(k as f64 * 1e-6)).collect();
        let (m, var) = moments(&s);
        // 20000 samples: σ(mean) = 0.3/√20000 = 2.1e-3, σ(var)/var = 1 %
        assert!(m.abs() < 5.0 * 0.3 / 20000f64.sqrt(), "mean {m}");
        assert!((var / 0.09 - 1.0).abs() < 0.05, "variance {var}");
        // lag-1 correlation of white samples: 0 ± 1/√n
        let c1 = s.windows(2).map(|p| p[0] * p[1]).sum::<f64>() / (s.len() - 1) as f64 / var;
        assert!(c1.abs() < 5.0 / 20000f64.sqrt(), "lag-1 correlation {c1}");
        // linear between samples, 0 at t = 0, breakpoints on the samples
        let mid = w.value(10.5e-6);
        assert!((mid - 0.5 * (w.value(10e-6) + w.value(11e-6))).abs() < 1e-12);
        assert_eq!(w.value(0.0), 0.0);
        assert_eq!(w.next_breakpoint(0.0), Some(1e-6));
        assert_eq!(w.next_breakpoint(10e-6), Some(11e-6));
        // another key, other values
        let w2 = TrNoise {
            key: 43,
            ..w.clone()
        };
        assert_ne!(w.value(5e-6), w2.value(5e-6));
    }

    #[test]
    fn trrandom_distributions_and_holding() {
        let mk = |kind, p1, p2| TrRandom {
            kind,
            ts: 1e-3,
            td: 2e-3,
            p1,
            p2,
            key: 7,
        };
        let n = 20000;
        let draws = |w: &TrRandom| -> Vec<f64> {
            (0..n)
                .map(|k| w.value(2e-3 + (k as f64 + 0.5) * 1e-3))
                .collect()
        };
        // (kind, p1, p2, mean, variance)
        for (kind, p1, p2, mean, var) in [
            (RandomKind::Uniform, 2.0, 1.0, 1.0, 4.0 / 3.0),
            (RandomKind::Gauss, 0.5, -1.0, -1.0, 0.25),
            (RandomKind::Exponential, 3.0, 0.0, 3.0, 9.0),
            (RandomKind::Poisson, 4.0, 0.5, 4.5, 4.0),
            (RandomKind::Poisson, 50.0, 0.0, 50.0, 50.0),
        ] {
            let w = mk(kind, p1, p2);
            let (m, v) = moments(&draws(&w));
            let sd_mean = (var / n as f64).sqrt();
            assert!(
                (m - mean).abs() < 5.0 * sd_mean,
                "{kind:?}: mean {m} vs {mean}"
            );
            assert!(
                (v / var - 1.0).abs() < 0.08,
                "{kind:?}: variance {v} vs {var}"
            );
        }
        let w = mk(RandomKind::Uniform, 1.0, 0.0);
        // 0 up to TD, held over a period, changes just after a start time
        assert_eq!(w.value(1e-3), 0.0);
        assert_eq!(w.value(2e-3), 0.0);
        let v0 = w.value(2.0001e-3);
        assert_eq!(w.value(3e-3), v0);
        assert_ne!(w.value(3.0001e-3), v0);
        assert_eq!(w.next_breakpoint(0.0), Some(2e-3));
        assert_eq!(w.next_breakpoint(2e-3), Some(3e-3));
    }
}
