//! The sweep grid: axes (a name, its values and unit each), the order of
//! the points, `--step` specifications from the command line and shards.
//!
//! **Point order.** Point `k` of a grid with axes `a0, a1, …` (sizes `n0,
//! n1, …`) has multi-index `(i0, i1, …)` with `k = i0 + n0·(i1 + n1·(i2 + …))`:
//! the first axis (the first `.step` line) varies fastest, as in LTspice.
//!
//! **Arrays over the grid** (HDF5 `/sweep/…`) have shape `(n0, n1, …)` and
//! element `[i0, i1, …]`: dimension `j` is axis `j`.

use crate::expr::number::parse_number;

/// One swept name.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub name: String,
    pub values: Vec<f64>,
    /// SI unit or any label (`"Hz"`, `"dBm"`); empty when unknown.
    pub unit: String,
}

/// The grid of a sweep: the product of its axes, first axis fastest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    pub axes: Vec<Axis>,
}

impl Grid {
    /// Number of points (1 for a grid without axes).
    pub fn len(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sizes of the axes, in axis order.
    pub fn shape(&self) -> Vec<usize> {
        self.axes.iter().map(|a| a.values.len()).collect()
    }

    /// Multi-index of point `k`.
    pub fn index(&self, k: usize) -> Vec<usize> {
        let mut rest = k;
        self.axes
            .iter()
            .map(|a| {
                let n = a.values.len().max(1);
                let i = rest % n;
                rest /= n;
                i
            })
            .collect()
    }

    /// Values of the swept names at point `k`, in axis order.
    pub fn values_at(&self, k: usize) -> Vec<f64> {
        self.index(k)
            .iter()
            .zip(&self.axes)
            .map(|(&i, a)| a.values[i])
            .collect()
    }

    /// For each position of a C-order array of shape [`Grid::shape`], the
    /// point it holds (`p = ((i0·n1 + i1)·n2 + i2)…` → `k`).
    pub fn c_order_points(&self) -> Vec<usize> {
        let shape = self.shape();
        let total = self.len();
        let mut out = Vec::with_capacity(total);
        let mut idx = vec![0usize; shape.len()];
        for _ in 0..total {
            // point index of idx
            let mut k = 0usize;
            for j in (0..shape.len()).rev() {
                k = k * shape[j] + idx[j];
            }
            out.push(k);
            // increment idx with the last dimension fastest
            for j in (0..shape.len()).rev() {
                idx[j] += 1;
                if idx[j] < shape[j] {
                    break;
                }
                idx[j] = 0;
            }
        }
        out
    }
}

/// A subset of the points for one job of a cluster array: `--shard K/N`
/// takes the points `k` with `k mod N = K − 1` (K = 1…N). Interleaving
/// spreads the expensive corners of a grid over all shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (e.g. 1/4), got '{s}'"))?;
        let k: usize = k
            .trim()
            .parse()
            .map_err(|_| format!("'{k}' is not a whole number in --shard {s}"))?;
        let n: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("'{n}' is not a whole number in --shard {s}"))?;
        if n == 0 || k == 0 || k > n {
            return Err(format!(
                "--shard {s}: need 1 ≤ K ≤ N (shards are numbered from 1)"
            ));
        }
        Ok(Shard { index: k, count: n })
    }

    pub fn contains(&self, point: usize) -> bool {
        point % self.count == self.index - 1
    }

    /// The points of this shard among `total`.
    pub fn points(&self, total: usize) -> Vec<usize> {
        (self.index - 1..total).step_by(self.count).collect()
    }

    pub fn text(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// A `--step` from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct CliStep {
    pub name: String,
    pub values: Vec<f64>,
    pub unit: Option<String>,
}

/// Parses `--step "NAME lin START STOP N"` (N points, ends included),
/// `"NAME dec START STOP N"` / `"NAME oct …"` (N points per decade / octave,
/// as `.ac`), `"NAME list V1 V2 …"`; an optional last word `unit=U` names the
/// unit. Numbers take SPICE suffixes (`2.4g`, `10m`).
pub fn parse_cli_step(s: &str) -> Result<CliStep, String> {
    let form = "expected \"NAME lin START STOP N\", \"NAME dec|oct START STOP N\" or \"NAME list V1 V2 …\" [unit=U]";
    let mut words: Vec<&str> = s.split_whitespace().collect();
    let mut unit = None;
    if let Some(last) = words.last() {
        if let Some(u) = last
            .strip_prefix("unit=")
            .or_else(|| last.strip_prefix("UNIT="))
        {
            unit = Some(u.to_string());
            words.pop();
        }
    }
    if words.len() < 3 {
        return Err(format!("--step \"{s}\": {form}"));
    }
    let name = words[0].to_ascii_lowercase();
    if !name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    {
        return Err(format!("--step \"{s}\": '{}' is not a name", words[0]));
    }
    let num = |w: &str| -> Result<f64, String> {
        match parse_number(w) {
            Some((x, n)) if n == w.len() && x.is_finite() => Ok(x),
            _ => Err(format!("--step \"{s}\": '{w}' is not a number")),
        }
    };
    let kind = words[1].to_ascii_lowercase();
    let values = match kind.as_str() {
        "list" => words[2..]
            .iter()
            .map(|w| num(w))
            .collect::<Result<Vec<_>, _>>()?,
        "lin" | "dec" | "oct" => {
            if words.len() != 5 {
                return Err(format!("--step \"{s}\": {form}"));
            }
            let (a, b, n) = (num(words[2])?, num(words[3])?, num(words[4])?);
            if n < 1.0 || n.fract() != 0.0 {
                return Err(format!(
                    "--step \"{s}\": the number of points must be a whole number ≥ 1, got {n}"
                ));
            }
            let lim = crate::limits::get().sweep;
            if n > lim {
                return Err(format!(
                    "--step \"{s}\": {n:e} points; {}",
                    crate::limits::lift("sweep", lim)
                ));
            }
            let n = n as usize;
            match kind.as_str() {
                "lin" => linspace(a, b, n),
                _ => {
                    if !(a > 0.0 && b >= a) {
                        return Err(format!(
                            "--step \"{s}\": a logarithmic sweep needs 0 < START ≤ STOP"
                        ));
                    }
                    let per = if kind == "dec" { 10f64 } else { 2f64 };
                    let count = (b / a).ln() / per.ln() * n as f64;
                    if count > lim {
                        return Err(format!(
                            "--step \"{s}\": {count:.3e} points; {}",
                            crate::limits::lift("sweep", lim)
                        ));
                    }
                    logspace(a, b, n, per)
                }
            }
        }
        _ => {
            return Err(format!(
                "--step \"{s}\": unknown kind '{}'; {form}",
                words[1]
            ))
        }
    };
    if values.is_empty() {
        return Err(format!("--step \"{s}\": no values"));
    }
    Ok(CliStep { name, values, unit })
}

/// `n` points from `a` to `b`, both included (`a` alone when n = 1). Each
/// value is computed from its index, so no rounding accumulates.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    (0..n)
        .map(|i| {
            if i == n - 1 {
                b
            } else {
                a + (b - a) * (i as f64 / (n - 1) as f64)
            }
        })
        .collect()
}

/// `n` points per `per`-fold (10: decade, 2: octave) from `a` up to `b`
/// (included when on the grid, within 1e-9 relative).
fn logspace(a: f64, b: f64, n: usize, per: f64) -> Vec<f64> {
    let span = (b / a).ln() / per.ln();
    let count = (span * n as f64 * (1.0 + 1e-9)).floor() as usize + 1;
    (0..count)
        .map(|i| a * per.powf(i as f64 / n as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        Grid {
            axes: vec![
                Axis {
                    name: "p".into(),
                    values: vec![1.0, 2.0, 3.0],
                    unit: "dBm".into(),
                },
                Axis {
                    name: "f".into(),
                    values: vec![10.0, 20.0],
                    unit: "Hz".into(),
                },
            ],
        }
    }

    #[test]
    fn first_axis_fastest() {
        let g = grid();
        assert_eq!(g.len(), 6);
        assert_eq!(g.values_at(0), [1.0, 10.0]);
        assert_eq!(g.values_at(1), [2.0, 10.0]);
        assert_eq!(g.values_at(3), [1.0, 20.0]);
        assert_eq!(g.index(5), [2, 1]);
    }

    #[test]
    fn c_order_maps_array_positions_to_points() {
        // array [i_p, i_f] of shape (3, 2): positions (0,0) (0,1) (1,0) …
        assert_eq!(grid().c_order_points(), [0, 3, 1, 4, 2, 5]);
    }

    #[test]
    fn shards_partition_the_points() {
        let a = Shard::parse("1/2").unwrap();
        let b = Shard::parse("2/2").unwrap();
        assert_eq!(a.points(5), [0, 2, 4]);
        assert_eq!(b.points(5), [1, 3]);
        assert!(b.contains(3) && !a.contains(3));
        for bad in ["0/2", "3/2", "1/0", "x/2", "1", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cli_steps() {
        let s = parse_cli_step("PRF lin -20 10 4 unit=dBm").unwrap();
        assert_eq!(s.name, "prf");
        assert_eq!(s.values, [-20.0, -10.0, 0.0, 10.0]);
        assert_eq!(s.unit.as_deref(), Some("dBm"));
        let s = parse_cli_step("f0 list 1g 2.4g 5g").unwrap();
        assert_eq!(s.values, [1e9, 2.4e9, 5e9]);
        let s = parse_cli_step("f dec 1k 100k 1").unwrap();
        assert_eq!(s.values.len(), 3);
        assert!((s.values[2] - 1e5).abs() < 1e-6);
        let s = parse_cli_step("f oct 1 8 1").unwrap();
        assert_eq!(s.values, [1.0, 2.0, 4.0, 8.0]);
        assert_eq!(parse_cli_step("x lin 0 1 1").unwrap().values, [0.0]);
        for bad in [
            "x",
            "x lin 0 1",
            "x lin 0 1 0",
            "x lin 0 1 2.5",
            "x dec 0 1 3",
            "x foo 1 2 3",
            "x list",
            "x list 1 y",
            "1x list 1",
        ] {
            assert!(parse_cli_step(bad).is_err(), "{bad}");
        }
    }
}
