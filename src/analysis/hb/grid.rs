//! The frequencies of a harmonic-balance analysis: the tones the user gives,
//! the truncation of their mix products, and the mapping of every kept
//! product onto one FFT grid.
//!
//! A *tone* is a frequency of the `.hb` line (driven) or of a free-running
//! oscillator (`OSC=`, autonomous, its frequency an unknown). A *fundamental*
//! is a dimension of the frequency lattice: driven tones that are exact
//! rational multiples of one base frequency share one fundamental (the base,
//! so their coincident products merge exactly: 3·1 GHz = 1·3 GHz), other
//! tones each get their own. Harmonic h is a vector K_h of integers over the
//! fundamentals, ω_h = Σ_f K_{h,f} ω_f; h = 0 is DC.
//!
//! Truncation (Xyce `numfreq`, `intmodmax`): the mix products Σ_j k_j f_j of
//! the tones with |k_j| ≤ N_j and Σ_j |k_j| ≤ `intmodmax` (box truncation
//! without it, diamond with `intmodmax` = N).
//!
//! Frequency mapping (Kundert, Sorkin & Sangiovanni-Vincentelli 1988; Xyce's
//! box and diamond remapping): harmonic h is placed at the integer bin
//! m_h = Σ_f K_{h,f} λ_f of one real FFT of S samples, with λ chosen as small
//! as possible such that distinct harmonics get distinct bins (up to the sign
//! of the conjugate). Devices are memoryless in F and Q, so evaluating them on
//! that one-dimensional "artificial time" grid gives the same products as the
//! multi-dimensional transform; the time derivative enters through the real
//! frequencies ω_h only. Products outside the kept set alias onto it at the
//! order of the truncation error (as in every HB code).

use std::collections::HashMap;

/// One tone of the analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSpec {
    /// Frequency [Hz] (an initial guess for an autonomous tone).
    pub freq: f64,
    /// Largest harmonic N of this tone kept (`numfreq`).
    pub harmonics: usize,
    /// A free-running oscillator's tone: its frequency is solved for.
    pub autonomous: bool,
}

/// A dimension of the frequency lattice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fundamental {
    /// Frequency [Hz] (initial value for an autonomous one).
    pub freq: f64,
    pub autonomous: bool,
}

/// The kept harmonics and their FFT placement.
#[derive(Debug, Clone)]
pub struct Grid {
    pub fund: Vec<Fundamental>,
    /// Per tone: its fundamental and its multiple of it.
    pub tone_fund: Vec<(usize, i64)>,
    /// The tones' frequencies as given [Hz].
    pub tone_freq: Vec<f64>,
    /// K_h flattened (`fund.len()` entries per harmonic); harmonic 0 is DC.
    kf: Vec<i64>,
    /// A representative vector over the tones per harmonic (for reports).
    kt: Vec<i64>,
    /// Signed artificial index m_h = Σ_f K_{h,f} λ_f of each harmonic: it
    /// sits at FFT bin |m_h|, as its conjugate when m_h < 0 (so products
    /// of harmonics land where the sum of their vectors does). m_0 = 0.
    pub bin: Vec<i64>,
    /// Number of time samples S of the FFT (every bin < S/2).
    pub samples: usize,
    /// λ_f of the mapping.
    pub lambda: Vec<i64>,
}

/// Largest multiple of the base frequency accepted for commensurate tones.
const MAX_BASE_MULTIPLE: i64 = 1_000_000;

impl Grid {
    /// Build the grid. `intmodmax` bounds Σ|k_j|; `oversample` ≥ 1 sets
    /// S ≥ oversample·2·M + 1 for the largest bin M; `max_harmonics` bounds
    /// the number of kept harmonics (memory), with the message naming it.
    pub fn new(
        tones: &[ToneSpec],
        intmodmax: Option<usize>,
        oversample: f64,
        max_harmonics: usize,
    ) -> Result<Grid, String> {
        if tones.is_empty() {
            return Err("no tone: give at least one frequency or OSC= oscillator".into());
        }
        for t in tones {
            if !(t.freq.is_finite() && t.freq > 0.0) {
                return Err(format!("tone frequency must be positive (got {})", t.freq));
            }
            if t.harmonics == 0 {
                return Err("numfreq must be at least 1".into());
            }
        }
        let vectors = enumerate(tones, intmodmax, max_harmonics)?;
        // Driven tones on a common base, when their products coincide or a
        // single base grid is not larger than separate fundamentals.
        let driven: Vec<usize> = (0..tones.len()).filter(|&j| !tones[j].autonomous).collect();
        let separate = Grid::build(tones, &vectors, None, oversample);
        let based = common_base(&driven.iter().map(|&j| tones[j].freq).collect::<Vec<_>>())
            .map(|(fb, n)| Grid::build(tones, &vectors, Some((fb, &driven, &n)), oversample));
        let g = match (separate, based) {
            (Ok(s), Some(Ok(b))) if b.samples <= s.samples || s.collides() => b,
            (Ok(s), _) if !s.collides() => s,
            (_, Some(Ok(b))) => b,
            (Err(e), _) => return Err(e),
            (Ok(_), _) => {
                return Err("the tones are commensurate (their mix products coincide) \
                            but have no common base frequency within 10^6 multiples: \
                            give them as harmonics of one tone"
                    .into())
            }
        };
        Ok(g)
    }

    /// The grid of a steady state without any tone: DC alone (a
    /// free-running oscillator below threshold).
    pub fn dc_only() -> Grid {
        Grid {
            fund: Vec::new(),
            tone_fund: Vec::new(),
            tone_freq: Vec::new(),
            kf: Vec::new(),
            kt: Vec::new(),
            bin: vec![0],
            samples: 4,
            lambda: Vec::new(),
        }
    }

    /// `vectors` over the tones → harmonics over fundamentals, mapped.
    fn build(
        tones: &[ToneSpec],
        vectors: &[Vec<i64>],
        base: Option<(f64, &[usize], &[i64])>,
        oversample: f64,
    ) -> Result<Grid, String> {
        let mut fund = Vec::new();
        let mut tone_fund = vec![(0usize, 1i64); tones.len()];
        if let Some((fb, driven, n)) = base {
            fund.push(Fundamental {
                freq: fb,
                autonomous: false,
            });
            for (&j, &m) in driven.iter().zip(n) {
                tone_fund[j] = (0, m);
            }
        }
        for (j, t) in tones.iter().enumerate() {
            let on_base = base.is_some_and(|(_, d, _)| d.contains(&j));
            if !on_base {
                tone_fund[j] = (fund.len(), 1);
                fund.push(Fundamental {
                    freq: t.freq,
                    autonomous: t.autonomous,
                });
            }
        }
        let d = fund.len();
        // harmonics over fundamentals, sign-normalised, first representative kept
        let mut seen: HashMap<Vec<i64>, usize> = HashMap::new();
        let mut kf: Vec<i64> = vec![0; d];
        let mut kt: Vec<i64> = vec![0; tones.len()];
        seen.insert(vec![0; d], 0);
        for v in vectors {
            let mut k = vec![0i64; d];
            for (j, &c) in v.iter().enumerate() {
                let (f, m) = tone_fund[j];
                k[f] += c * m;
            }
            let sign = k.iter().find(|&&c| c != 0).map_or(0, |&c| c.signum());
            if sign == 0 {
                continue; // a product that is DC (e.g. f1 − f1 on one base)
            }
            let k: Vec<i64> = k.iter().map(|&c| c * sign).collect();
            if seen.contains_key(&k) {
                continue;
            }
            seen.insert(k.clone(), kf.len() / d);
            kf.extend_from_slice(&k);
            kt.extend(v.iter().map(|&c| c * sign));
        }
        let nh = kf.len() / d;
        let lambda = mapping(&kf, d, nh)?;
        let bin: Vec<i64> = (0..nh)
            .map(|h| (0..d).map(|f| kf[h * d + f] * lambda[f]).sum())
            .collect();
        let mmax = bin
            .iter()
            .map(|m| m.unsigned_abs() as usize)
            .max()
            .unwrap_or(0);
        if mmax > 1 << 40 {
            return Err("frequency mapping too large".into());
        }
        let need = ((2 * mmax + 1) as f64 * oversample.max(1.0)).ceil() as usize;
        let samples = fast_len(need.max(2 * mmax + 1).max(4));
        Ok(Grid {
            fund,
            tone_fund,
            tone_freq: tones.iter().map(|t| t.freq).collect(),
            kf,
            kt,
            bin,
            samples,
            lambda,
        })
    }

    /// Whether two kept harmonics fall on the same real frequency (tones
    /// commensurate within the truncation: they must share a base).
    fn collides(&self) -> bool {
        let w: Vec<f64> = self.fund.iter().map(|f| f.freq).collect();
        let mut f: Vec<f64> = (0..self.len()).map(|h| self.omega(h, &w).abs()).collect();
        f.sort_by(f64::total_cmp);
        let top = f.last().copied().unwrap_or(0.0);
        f.windows(2).any(|p| p[1] - p[0] <= 1e-9 * top)
    }

    /// Number of harmonics including DC (H + 1).
    pub fn len(&self) -> usize {
        self.bin.len()
    }

    /// Whether there is only DC (never: a grid has at least one tone).
    pub fn is_empty(&self) -> bool {
        self.bin.len() <= 1
    }

    /// K_h over the fundamentals.
    pub fn k(&self, h: usize) -> &[i64] {
        let d = self.fund.len();
        &self.kf[h * d..(h + 1) * d]
    }

    /// A representative tone-index vector of harmonic h (k_j per tone).
    pub fn tone_indices(&self, h: usize) -> &[i64] {
        let t = self.tone_freq.len();
        &self.kt[h * t..(h + 1) * t]
    }

    /// ω_h = Σ_f K_{h,f} w_f for fundamental frequencies `w` (any unit).
    pub fn omega(&self, h: usize, w: &[f64]) -> f64 {
        self.k(h).iter().zip(w).map(|(&k, &w)| k as f64 * w).sum()
    }

    /// The harmonic whose K is the unit vector of fundamental `f`.
    pub fn fundamental_harmonic(&self, f: usize) -> Option<usize> {
        (1..self.len()).find(|&h| {
            self.k(h)
                .iter()
                .enumerate()
                .all(|(g, &c)| c == i64::from(g == f))
        })
    }

    /// The harmonic at real frequency `freq` [Hz] (driven fundamentals only,
    /// relative tolerance 1e-9), and whether it is its conjugate (ω_h < 0).
    pub fn find(&self, freq: f64, w_hz: &[f64]) -> Option<(usize, bool)> {
        let tol = 1e-9 * freq.abs().max(w_hz.iter().fold(0.0f64, |a, &b| a.max(b)));
        (1..self.len()).find_map(|h| {
            if self
                .k(h)
                .iter()
                .zip(&self.fund)
                .any(|(&c, f)| c != 0 && f.autonomous)
            {
                return None;
            }
            let w = self.omega(h, w_hz);
            if (w - freq).abs() <= tol {
                Some((h, false))
            } else if (w + freq).abs() <= tol {
                Some((h, true))
            } else {
                None
            }
        })
    }
}

/// All tone vectors k ≠ 0 with |k_j| ≤ N_j and Σ|k_j| ≤ intmodmax, one of
/// each ±k pair (first nonzero component positive).
fn enumerate(
    tones: &[ToneSpec],
    intmodmax: Option<usize>,
    max_harmonics: usize,
) -> Result<Vec<Vec<i64>>, String> {
    let cap = intmodmax.map_or(i64::MAX, |m| m.min(1 << 40) as i64);
    let mut out = Vec::new();
    let mut k = vec![0i64; tones.len()];
    fn rec(
        j: usize,
        used: i64,
        cap: i64,
        tones: &[ToneSpec],
        k: &mut Vec<i64>,
        out: &mut Vec<Vec<i64>>,
        max: usize,
    ) -> Result<(), String> {
        if j == tones.len() {
            if let Some(&c) = k.iter().find(|&&c| c != 0) {
                if c > 0 {
                    if out.len() >= max {
                        return Err(format!(
                            "more than {max} mix products: lower numfreq or set intmodmax \
                             (or raise .options hbint maxharmonics=)"
                        ));
                    }
                    out.push(k.clone());
                }
            }
            return Ok(());
        }
        let n = tones[j].harmonics as i64;
        for c in -n..=n {
            if used + c.abs() > cap {
                continue;
            }
            k[j] = c;
            rec(j + 1, used + c.abs(), cap, tones, k, out, max)?;
        }
        k[j] = 0;
        Ok(())
    }
    rec(0, 0, cap, tones, &mut k, &mut out, max_harmonics)?;
    Ok(out)
}

/// The smallest λ (λ_0 = 1, increasing greedily per fundamental) such that
/// the bins Σ K_f λ_f of distinct harmonics differ (up to sign) and no
/// harmonic maps to DC.
fn mapping(kf: &[i64], d: usize, nh: usize) -> Result<Vec<i64>, String> {
    let mut lambda = vec![0i64; d];
    for f in 0..d {
        // the partial vectors over fundamentals 0..=f must map injectively
        let mut partial: Vec<&[i64]> = (0..nh).map(|h| &kf[h * d..h * d + f + 1]).collect();
        partial.sort();
        partial.dedup();
        let mut l = 1;
        'search: loop {
            lambda[f] = l;
            let mut used: HashMap<i64, &[i64]> = HashMap::new();
            for v in &partial {
                let m: i64 = v.iter().zip(&lambda).map(|(&k, &l)| k * l).sum();
                if v.iter().all(|&c| c == 0) {
                    continue;
                }
                if m == 0 {
                    l += 1;
                    continue 'search;
                }
                let key = m.abs();
                // the same bin from the vector or its negative is fine only
                // when they are one harmonic (v or −v)
                if let Some(w) = used.get(&key) {
                    let same = w.iter().zip(v.iter()).all(|(a, b)| a == b)
                        || w.iter().zip(v.iter()).all(|(a, b)| *a == -*b);
                    if !same {
                        l += 1;
                        continue 'search;
                    }
                }
                used.insert(key, v);
            }
            break;
        }
        if l > 1 << 40 {
            return Err("frequency mapping too large".into());
        }
    }
    Ok(lambda)
}

/// A common base frequency of `freqs` [Hz]: (f_b, n_j) with f_j = n_j f_b
/// (relative error ≤ 1e-9, n_j ≤ [`MAX_BASE_MULTIPLE`]), for two or more.
fn common_base(freqs: &[f64]) -> Option<(f64, Vec<i64>)> {
    if freqs.len() < 2 {
        return None;
    }
    let f0 = freqs[0];
    let mut num = Vec::new();
    let mut den = Vec::new();
    for &f in freqs {
        let (p, q) = rational(f / f0, MAX_BASE_MULTIPLE)?;
        num.push(p);
        den.push(q);
    }
    // (checked: the denominators of unrelated frequencies overflow i64)
    let l = den
        .iter()
        .try_fold(1i64, |a, &b| lcm(a, b).filter(|&l| l <= MAX_BASE_MULTIPLE))?;
    let mut n: Vec<i64> = num
        .iter()
        .zip(&den)
        .map(|(&p, &q)| p.checked_mul(l / q))
        .collect::<Option<_>>()?;
    let g = n.iter().fold(0i64, |a, &b| gcd(a, b));
    n.iter_mut().for_each(|v| *v /= g);
    if n.iter().any(|&v| v > MAX_BASE_MULTIPLE) {
        return None;
    }
    if n.iter().any(|&v| v <= 0) {
        return None;
    }
    let fb = f0 / n[0] as f64;
    n.iter()
        .zip(freqs)
        .all(|(&m, &f)| ((m as f64 * fb) - f).abs() <= 1e-9 * f)
        .then_some((fb, n))
}

/// p/q ≈ x (continued fractions) with q ≤ qmax and |p/q − x| ≤ 1e-9 x.
fn rational(x: f64, qmax: i64) -> Option<(i64, i64)> {
    let (mut p0, mut q0, mut p1, mut q1) = (0i64, 1i64, 1i64, 0i64);
    let mut r = x;
    for _ in 0..64 {
        let a = r.floor();
        if a > 1e12 {
            return None;
        }
        let a = a as i64;
        let (p2, q2) = (a * p1 + p0, a * q1 + q0);
        if q2 > qmax {
            return None;
        }
        if ((p2 as f64 / q2 as f64) - x).abs() <= 1e-9 * x {
            return Some((p2, q2));
        }
        (p0, q0, p1, q1) = (p1, q1, p2, q2);
        let frac = r - a as f64;
        if frac <= 0.0 {
            return None;
        }
        r = 1.0 / frac;
    }
    None
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// The least common multiple, None when it overflows.
fn lcm(a: i64, b: i64) -> Option<i64> {
    (a / gcd(a, b)).checked_mul(b)
}

/// The smallest 2^a·3^b·5^c ≥ n (sizes rustfft transforms fastest).
pub fn fast_len(n: usize) -> usize {
    let mut best = n.next_power_of_two();
    let mut p5 = 1usize;
    while p5 < best {
        let mut p35 = p5;
        while p35 < best {
            let mut v = p35;
            while v < n {
                v *= 2;
            }
            best = best.min(v);
            p35 *= 3;
        }
        p5 *= 5;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight unrelated frequencies (drawn neuron frequencies of the drone
    /// network): their continued-fraction denominators overflowed i64 in
    /// the lcm and made a "common base" of −1.7e-11 Hz with garbage bins;
    /// now they are separate fundamentals on a small grid.
    #[test]
    fn unrelated_tones_get_no_common_base() {
        let f = [
            20009534.363611937,
            25693890.92173884,
            34284670.07725726,
            42854761.91137311,
            54255548.636619955,
            71421479.37915052,
            94216626.50145757,
            120022764.08475381,
        ];
        assert!(common_base(&f).is_none());
        let tones: Vec<ToneSpec> = f.iter().map(|&x| tone(x, 1)).collect();
        let g = Grid::new(&tones, Some(1), 1.0, 1_000_000).expect("grid");
        assert_eq!(g.len(), 9);
        assert_eq!(g.fund.len(), 8);
        let mut bins: Vec<u64> = g.bin.iter().map(|b| b.unsigned_abs()).collect();
        bins.sort_unstable();
        bins.dedup();
        assert_eq!(bins.len(), 9, "distinct bins {:?}", g.bin);
        assert!(bins.iter().all(|&b| 2 * b < g.samples as u64));
    }

    fn tone(f: f64, n: usize) -> ToneSpec {
        ToneSpec {
            freq: f,
            harmonics: n,
            autonomous: false,
        }
    }

    #[test]
    fn one_tone_is_its_harmonics() {
        let g = Grid::new(&[tone(1e9, 5)], None, 1.0, 1000).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g.bin, vec![0, 1, 2, 3, 4, 5]);
        assert!(g.samples >= 11);
        assert_eq!(g.find(3e9, &[1e9]), Some((3, false)));
    }

    /// Commensurate tones share a base: 1 GHz and 2.4 GHz are harmonics 5
    /// and 12 of 200 MHz, and coincident products are one harmonic.
    #[test]
    fn commensurate_tones_share_a_base() {
        let g = Grid::new(&[tone(1e9, 7), tone(2.4e9, 7)], None, 1.0, 10_000).unwrap();
        assert_eq!(g.fund.len(), 1);
        assert!((g.fund[0].freq - 200e6).abs() < 1.0);
        let w = [g.fund[0].freq];
        let mut f: Vec<f64> = (0..g.len()).map(|h| g.omega(h, &w)).collect();
        let n = f.len();
        f.sort_by(f64::total_cmp);
        f.dedup_by(|a, b| (*a - *b).abs() < 1.0);
        assert_eq!(f.len(), n, "every harmonic a distinct frequency");
        assert!(g.find(1.2e9, &w).is_some());
    }

    /// Incommensurate tones: a box of (2N1+1)(2N2+1) products, each bin used once.
    #[test]
    fn incommensurate_box_and_diamond() {
        let f2 = 1e9 * std::f64::consts::SQRT_2;
        let g = Grid::new(&[tone(1e9, 3), tone(f2, 2)], None, 1.0, 1000).unwrap();
        assert_eq!(g.fund.len(), 2);
        assert_eq!(g.len(), (7 * 5 - 1) / 2 + 1);
        let mut b: Vec<u64> = g.bin.iter().map(|m| m.unsigned_abs()).collect();
        b.sort();
        b.dedup();
        assert_eq!(b.len(), g.len());
        let d = Grid::new(&[tone(1e9, 3), tone(f2, 3)], Some(3), 1.0, 1000).unwrap();
        // |k1| + |k2| ≤ 3: 25 vectors → 12 harmonics + DC
        assert_eq!(d.len(), 13);
        assert!(d.find(f2 - 1e9, &[1e9, f2]).is_some());
    }

    #[test]
    fn fast_lengths() {
        assert_eq!(fast_len(11), 12);
        assert_eq!(fast_len(17), 18);
        assert_eq!(fast_len(121), 125);
        assert_eq!(fast_len(1025), 1080);
    }
}
