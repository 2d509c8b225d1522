//! What a harmonic-balance result gives the user: the spectral lines
//! (positive frequencies with the tone indices of each mix product), the
//! spectrum of every saved signal, and the steady-state waveform.
//!
//! Signals that are unknowns or their differences are read from the
//! solution; derived outputs (`i(r1)`, `@m1[r]` …) are evaluated at the
//! time samples and transformed, so their spectra are exact up to the
//! truncation as well.

use super::transform::Transform;
use super::HbResult;
use crate::analysis::outputs::{eval_source, Source};
use crate::system::{LoadCtx, System};
use num_complex::Complex64;

/// The spectral lines of a result, increasing in frequency (DC first).
pub struct Lines {
    /// Frequency [Hz] of each line.
    pub freq: Vec<f64>,
    /// Tone indices k_j of each line (sign chosen so the frequency is ≥ 0).
    pub tones: Vec<Vec<i64>>,
    /// Harmonic of each line, and whether the line is its conjugate.
    pub harm: Vec<(usize, bool)>,
}

/// The lines of `res`.
pub fn lines(res: &HbResult) -> Lines {
    let g = &res.grid;
    let whz: Vec<f64> = res
        .w
        .iter()
        .map(|w| w / (2.0 * std::f64::consts::PI))
        .collect();
    let mut v: Vec<(f64, usize, bool)> = (0..g.len())
        .map(|h| {
            let f = g.omega(h, &whz);
            (f.abs(), h, f < 0.0)
        })
        .collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    Lines {
        freq: v.iter().map(|l| l.0).collect(),
        tones: v
            .iter()
            .map(|&(_, h, c)| {
                let s = if c { -1 } else { 1 };
                g.tone_indices(h).iter().map(|&k| s * k).collect()
            })
            .collect(),
        harm: v.iter().map(|l| (l.1, l.2)).collect(),
    }
}

/// x(t) at the `tr.samples()` points of every unknown u with `want(u)`
/// (unknown-major; the other rows and row 0, ground, are zeros).
fn time_matrix(
    res: &HbResult,
    n: usize,
    tr: &mut Transform,
    want: &dyn Fn(usize) -> bool,
) -> Vec<f64> {
    let s = tr.samples();
    let mut xt = vec![0.0; (n + 1) * s];
    for u in (1..=n).filter(|&u| want(u)) {
        tr.to_time(&res.x, n, u - 1, &mut xt[u * s..(u + 1) * s]);
    }
    xt
}

/// Whether a source needs the device evaluated in time.
fn sampled(src: &Source) -> bool {
    matches!(src, Source::DeviceCurrent(..) | Source::DeviceOutput(..))
}

/// Spectrum of each source on the lines: `[source][line]`.
pub fn spectra(
    sys: &System,
    res: &HbResult,
    l: &Lines,
    sources: &[Source],
    cx: &LoadCtx,
) -> Vec<Vec<Complex64>> {
    let n = sys.n;
    let at = |u: usize, h: usize| {
        if u == 0 {
            Complex64::default()
        } else {
            res.x[h * n + u - 1]
        }
    };
    let mut out: Vec<Vec<Complex64>> = sources
        .iter()
        .map(|src| {
            l.harm
                .iter()
                .map(|&(h, conj)| {
                    let v = match *src {
                        Source::Unknown(i) => at(i, h),
                        Source::Diff(a, b) => at(a, h) - at(b, h),
                        _ => return Complex64::default(),
                    };
                    if conj {
                        v.conj()
                    } else {
                        v
                    }
                })
                .collect()
        })
        .collect();
    if sources.iter().any(sampled) {
        let s = res.grid.samples;
        let mut tr = Transform::new(s, &res.grid.bin);
        let xt = time_matrix(res, n, &mut tr, &|_| true);
        let mut x = vec![0.0; n + 1];
        let mut cx = *cx;
        let period = (res.grid.fund.len() == 1).then(|| 2.0 * std::f64::consts::PI / res.w[0]);
        let which: Vec<usize> = (0..sources.len())
            .filter(|&j| sampled(&sources[j]))
            .collect();
        // the devices evaluated at each sample, every sampled source at once
        let mut ys = vec![0.0; which.len() * s];
        for k in 0..s {
            for (u, xu) in x.iter_mut().enumerate() {
                *xu = xt[u * s + k];
            }
            cx.time = period.map_or(0.0, |t| t * k as f64 / s as f64);
            for (i, &j) in which.iter().enumerate() {
                ys[i * s + k] = eval_source(sys, sources[j], &x, &cx);
            }
        }
        for (i, &j) in which.iter().enumerate() {
            tr.forward(&ys[i * s..(i + 1) * s]);
            for (line, &(h, conj)) in l.harm.iter().enumerate() {
                let v = tr.phasor(h);
                out[j][line] = if conj { v.conj() } else { v };
            }
        }
    }
    out
}

/// The steady-state waveform of each source: one period of a single
/// fundamental at max(S, 256) points (both ends included), or, for a
/// quasi-periodic state, the sum of the lines over the longest period among
/// them (1/smallest nonzero frequency) at 8 points per period of the
/// highest line (256 … 8192 points). Returns (time, `[source][point]`).
pub fn waveforms(
    sys: &System,
    res: &HbResult,
    l: &Lines,
    sources: &[Source],
    cx: &LoadCtx,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = sys.n;
    let fpos: Vec<f64> = l.freq.iter().copied().filter(|&f| f > 0.0).collect();
    let (fmin, fmax) = (
        fpos.iter().copied().fold(f64::INFINITY, f64::min),
        fpos.iter().copied().fold(0.0, f64::max),
    );
    if fpos.is_empty() {
        return (Vec::new(), vec![Vec::new(); sources.len()]);
    }
    let single = res.grid.fund.len() == 1;
    let (tw, nt) = if single {
        let s = super::grid::fast_len(res.grid.samples.max(256));
        (2.0 * std::f64::consts::PI / res.w[0], s)
    } else {
        let tw = 1.0 / fmin;
        (tw, ((8.0 * fmax * tw).ceil() as usize).clamp(256, 8192))
    };
    let time: Vec<f64> = (0..=nt).map(|k| tw * k as f64 / nt as f64).collect();
    // x(t) of every unknown at the output times (unknown-major, ground row 0)
    let mut xt = vec![0.0; (n + 1) * (nt + 1)];
    if single {
        let mut tr = Transform::new(nt, &res.grid.bin);
        // the unknowns the sources read (all of them for a device output)
        let mut used = vec![sources.iter().any(sampled); n + 1];
        for src in sources {
            match *src {
                Source::Unknown(u) => used[u] = true,
                Source::Diff(a, b) => (used[a], used[b]) = (true, true),
                _ => {}
            }
        }
        let m = time_matrix(res, n, &mut tr, &|u| used[u]);
        for u in 0..=n {
            xt[u * (nt + 1)..u * (nt + 1) + nt].copy_from_slice(&m[u * nt..(u + 1) * nt]);
            xt[u * (nt + 1) + nt] = m[u * nt];
        }
    } else {
        for (k, &t) in time.iter().enumerate() {
            for h in 0..res.grid.len() {
                let e = Complex64::from_polar(1.0, res.grid.omega(h, &res.w) * t);
                for u in 1..=n {
                    let v = res.x[h * n + u - 1];
                    xt[u * (nt + 1) + k] += if h == 0 { v.re } else { (v * e).re };
                }
            }
        }
    }
    let row = |u: usize| &xt[u * (nt + 1)..(u + 1) * (nt + 1)];
    let mut waves: Vec<Vec<f64>> = sources
        .iter()
        .map(|src| match *src {
            Source::Unknown(u) => row(u).to_vec(),
            Source::Diff(a, b) => row(a).iter().zip(row(b)).map(|(p, q)| p - q).collect(),
            _ => vec![0.0; nt + 1],
        })
        .collect();
    if sources.iter().any(sampled) {
        // the devices evaluated at each time, every sampled source at once
        let mut x = vec![0.0; n + 1];
        let mut cx = *cx;
        for (k, &t) in time.iter().enumerate() {
            for (u, xu) in x.iter_mut().enumerate() {
                *xu = xt[u * (nt + 1) + k];
            }
            cx.time = t;
            for (w, src) in waves.iter_mut().zip(sources).filter(|(_, s)| sampled(s)) {
                w[k] = eval_source(sys, *src, &x, &cx);
            }
        }
    }
    (time, waves)
}
