//! Monte Carlo functions of expressions: `agauss`, `gauss`, `aunif`, `unif`
//! (ngspice manual §2.8.6 "Statistical functions" / HSPICE semantics; the
//! ngspice definitions are `examples/Monte_Carlo/MonteCarlo.sp`):
//!
//! | call | value |
//! |---|---|
//! | `agauss(nom, avar, sigma)` | nom + (avar/sigma)·z, z ~ N(0, 1): avar is the deviation at `sigma` standard deviations |
//! | `gauss(nom, rvar, sigma)`  | nom + (nom·rvar/sigma)·z (relative deviation) |
//! | `aunif(nom, avar)`         | nom + avar·u, u ~ U(−1, 1) |
//! | `unif(nom, rvar)`          | nom + nom·rvar·u |
//!
//! **Draws.** The environment ([`super::eval::Env::random_stream`]) gives
//! each call site a 64-bit stream seed, or None outside a Monte Carlo run,
//! where every function returns `nom` (HSPICE: no variation without a
//! Monte Carlo analysis). The elaborator derives the stream from the run's
//! seed, the sample number, the instance the value belongs to and the
//! call's place in the netlist ([`stream_key`]), so draws are independent
//! per instance and per sample, reproducible, and independent of the order
//! in which the points run. The variates come from SplitMix64 (Steele, Lea
//! & Flood, OOPSLA 2014) seeded with that key: z by Box–Muller, u = 2v − 1
//! with v uniform on [0, 1) in steps of 2⁻⁵³.

/// A Monte Carlo function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dist {
    AGauss,
    Gauss,
    AUnif,
    Unif,
}

impl Dist {
    pub fn name(self) -> &'static str {
        match self {
            Dist::AGauss => "agauss",
            Dist::Gauss => "gauss",
            Dist::AUnif => "aunif",
            Dist::Unif => "unif",
        }
    }

    /// Number of arguments.
    pub fn arity(self) -> usize {
        match self {
            Dist::AGauss | Dist::Gauss => 3,
            Dist::AUnif | Dist::Unif => 2,
        }
    }

    /// The value for arguments `a` (`a.len() == arity`) and a stream seed
    /// (None: the nominal value). Err names the argument at fault.
    pub fn value(self, a: &[f64], stream: Option<u64>) -> Result<f64, String> {
        let gaussian = matches!(self, Dist::AGauss | Dist::Gauss);
        if gaussian && a[2] <= 0.0 {
            return Err(format!(
                "{}: sigma must be positive, got {}",
                self.name(),
                a[2]
            ));
        }
        let Some(seed) = stream else {
            return Ok(a[0]);
        };
        let mut s = SplitMix64(seed);
        let dev = match self {
            Dist::AGauss => a[1] / a[2] * s.normal(),
            Dist::Gauss => a[0] * a[1] / a[2] * s.normal(),
            Dist::AUnif => a[1] * s.symmetric(),
            Dist::Unif => a[0] * a[1] * s.symmetric(),
        };
        Ok(a[0] + dev)
    }
}

/// The Monte Carlo function called `name`, if any.
pub fn lookup(name: &str) -> Option<Dist> {
    match name {
        "agauss" => Some(Dist::AGauss),
        "gauss" => Some(Dist::Gauss),
        "aunif" => Some(Dist::AUnif),
        "unif" => Some(Dist::Unif),
        _ => None,
    }
}

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment and
/// finalised by two xor-shift-multiply rounds (Steele et al. 2014). Used both
/// as the variate generator and, through [`mix`], as the hash of draw keys.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform on [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on [−1, 1).
    pub fn symmetric(&mut self) -> f64 {
        2.0 * self.uniform() - 1.0
    }

    /// Standard normal (Box–Muller, cosine branch; 1 − v ∈ (0, 1] keeps the
    /// logarithm finite).
    pub fn normal(&mut self) -> f64 {
        let r = (-2.0 * (1.0 - self.uniform()).ln()).sqrt();
        let t = std::f64::consts::TAU * self.uniform();
        r * t.cos()
    }
}

/// The SplitMix64 finaliser (a bijection of u64 with full avalanche).
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string (stable across platforms and Rust versions, unlike
/// `DefaultHasher`).
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Stream seed of one draw: run seed, sample number, owner (the instance or
/// top-level parameter the value belongs to), call site (file, byte offset)
/// and the number of earlier draws at the same (owner, site).
pub fn stream_key(seed: u64, sample: u64, owner: &str, site: (u32, u32), nth: u32) -> u64 {
    let mut h = mix(seed ^ 0x5EED_5EED_5EED_5EED);
    for w in [
        sample,
        fnv1a(owner),
        ((site.0 as u64) << 32) | site.1 as u64,
        nth as u64,
    ] {
        h = mix(h ^ w.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, v.sqrt())
    }

    /// Mean and σ of each function over 200 000 keyed draws against its
    /// definition; tolerances are 5 standard errors (σ/√n for the mean,
    /// σ/√(2n) for σ), so a wrong scale (a missing /sigma, a rel/abs mix-up,
    /// u on [0, 1)) fails by far.
    #[test]
    fn statistics_match_the_definitions() {
        let n = 200_000usize;
        let cases: [(Dist, [f64; 3], f64, f64); 4] = [
            (Dist::AGauss, [2.0, 0.3, 3.0], 2.0, 0.1),
            (Dist::Gauss, [5.0, 0.06, 2.0], 5.0, 0.15),
            (Dist::AUnif, [1.0, 0.5, 0.0], 1.0, 0.5 / 3f64.sqrt()),
            (Dist::Unif, [4.0, 0.25, 0.0], 4.0, 1.0 / 3f64.sqrt()),
        ];
        for (d, a, mean, sd) in cases {
            let xs: Vec<f64> = (0..n)
                .map(|k| {
                    d.value(
                        &a[..d.arity()],
                        Some(stream_key(7, k as u64, "x", (0, 0), 0)),
                    )
                    .unwrap()
                })
                .collect();
            let (m, s) = moments(&xs);
            let nf = n as f64;
            assert!((m - mean).abs() < 5.0 * sd / nf.sqrt(), "{d:?} mean {m}");
            assert!(
                (s - sd).abs() < 5.0 * sd / (2.0 * nf).sqrt(),
                "{d:?} sd {s}"
            );
            if matches!(d, Dist::AUnif | Dist::Unif) {
                let half = a[1] * if d == Dist::Unif { a[0] } else { 1.0 };
                assert!(xs.iter().all(|x| (x - a[0]).abs() <= half));
            }
        }
    }

    #[test]
    fn normal_tails_and_nominal() {
        // P(|z| > 2) = 4.550 %; 100 000 draws: standard error 0.066 %.
        let mut s = SplitMix64(42);
        let n = 100_000;
        let out = (0..n).filter(|_| s.normal().abs() > 2.0).count() as f64 / n as f64;
        assert!((out - 0.0455).abs() < 5.0 * 0.00066, "{out}");
        assert_eq!(Dist::AGauss.value(&[3.0, 1.0, 1.0], None), Ok(3.0));
        assert!(Dist::Gauss.value(&[3.0, 1.0, 0.0], None).is_err());
    }

    #[test]
    fn keys_separate_every_component() {
        let base = stream_key(1, 2, "x1.r1", (0, 10), 0);
        for other in [
            stream_key(2, 2, "x1.r1", (0, 10), 0),
            stream_key(1, 3, "x1.r1", (0, 10), 0),
            stream_key(1, 2, "x2.r1", (0, 10), 0),
            stream_key(1, 2, "x1.r1", (1, 10), 0),
            stream_key(1, 2, "x1.r1", (0, 11), 0),
            stream_key(1, 2, "x1.r1", (0, 10), 1),
        ] {
            assert_ne!(base, other);
        }
        assert_eq!(base, stream_key(1, 2, "x1.r1", (0, 10), 0));
    }
}
