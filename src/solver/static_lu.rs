//! Static-pivot sparse LU "compiled" for one pivot sequence.
//!
//! KLU chooses the ordering and the pivots (BTF + AMD + threshold partial
//! pivoting) in a pivoting factorization. With its row and column
//! permutations P, Q fixed, this module computes the fill pattern of P·A·Q once
//! and turns the right-looking elimination into a flat list of
//! `lu[t] -= lu[l]·lu[u]` index triples. A refactorization is then a scatter of
//! A's values, one scaling of each L column by its pivot, and the triple list;
//! a solve is two sweeps over the L and U columns. Circuit matrices have few
//! entries per column, so this avoids the per-column scatter/gather work of a
//! general left-looking refactorization (measured in ARCHITECTURE.md).

use super::klu::CscPattern;
use num_complex::Complex64;

/// Field operations the kernel needs (real and complex).
pub trait LuScalar: Copy + Default + PartialEq + std::fmt::Debug {
    fn mul(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    /// Magnitude for pivot checks.
    fn mag(self) -> f64;
    fn is_finite(self) -> bool;
}

impl LuScalar for f64 {
    #[inline(always)]
    fn mul(self, o: f64) -> f64 {
        self * o
    }
    #[inline(always)]
    fn sub(self, o: f64) -> f64 {
        self - o
    }
    #[inline(always)]
    fn div(self, o: f64) -> f64 {
        self / o
    }
    #[inline(always)]
    fn mag(self) -> f64 {
        self.abs()
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl LuScalar for Complex64 {
    #[inline(always)]
    fn mul(self, o: Complex64) -> Complex64 {
        self * o
    }
    #[inline(always)]
    fn sub(self, o: Complex64) -> Complex64 {
        self - o
    }
    #[inline(always)]
    fn div(self, o: Complex64) -> Complex64 {
        self / o
    }
    #[inline(always)]
    fn mag(self) -> f64 {
        self.norm()
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        self.re.is_finite() && self.im.is_finite()
    }
}

/// Result of a numeric factorization: the pivot magnitude ratio
/// min|u_kk| / max|u_kk| (the same cheap estimate as KLU's `klu_rcond`), or the
/// permuted column whose pivot vanished.
pub type FactorResult = Result<f64, usize>;

/// The compiled LU of one pattern and pivot sequence.
///
/// Values live in one array with three sections: the n pivots, then the
/// strictly lower entries of L column by column, then the strictly upper
/// entries of U column by column (so each solve sweep reads one contiguous
/// section).
#[derive(Debug, Clone)]
pub struct StaticLu<T: LuScalar> {
    n: usize,
    /// Row k of P·A·Q is row `p[k]` of A.
    p: Vec<u32>,
    /// Column k of P·A·Q is column `q[k]` of A.
    q: Vec<u32>,
    /// L column k occupies `vals[l_ptr[k]..l_ptr[k+1]]`, rows in `l_rows`.
    l_ptr: Vec<u32>,
    l_rows: Vec<u32>,
    /// U column k occupies `vals[u_ptr[k]..u_ptr[k+1]]`, rows in `u_rows`.
    u_ptr: Vec<u32>,
    u_rows: Vec<u32>,
    /// A's CSC position → value position.
    a_map: Vec<u32>,
    /// Value positions that A does not cover (fill), zeroed before scattering.
    fill: Vec<u32>,
    /// Elimination updates `vals[t] -= vals[l]·vals[u]`, grouped by pivot.
    ops: Vec<[u32; 3]>,
    op_start: Vec<u32>,
    vals: Vec<T>,
    /// 1/pivot, for the solve.
    inv_diag: Vec<T>,
    work: Vec<T>,
}

impl<T: LuScalar> StaticLu<T> {
    /// Symbolic phase: fill pattern of P·A·Q and the update list.
    /// `p`, `q` as returned by `klu_extract` (row/column of A for each
    /// permuted position).
    pub fn build(a: &CscPattern, p: &[i32], q: &[i32]) -> StaticLu<T> {
        let n = a.n;
        let mut pinv = vec![0u32; n];
        let mut qinv = vec![0u32; n];
        for k in 0..n {
            pinv[p[k] as usize] = k as u32;
            qinv[q[k] as usize] = k as u32;
        }
        // Column sets of P·A·Q (permuted row indices).
        let mut cols: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (j, &qj) in qinv.iter().enumerate() {
            let pj = qj as usize;
            for k in a.col_ptr[j] as usize..a.col_ptr[j + 1] as usize {
                cols[pj].push(pinv[a.row_idx[k] as usize]);
            }
        }
        for (k, c) in cols.iter_mut().enumerate() {
            // the pivot position is always part of the pattern
            c.push(k as u32);
            c.sort_unstable();
            c.dedup();
        }
        // Row structure for the upper part: rows[k] = columns j > k with (k, j).
        let mut rows: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (j, c) in cols.iter().enumerate() {
            for &i in c {
                if (i as usize) < j {
                    rows[i as usize].push(j as u32);
                }
            }
        }
        // Symbolic right-looking elimination: column j ∪= L_k for (k, j) in U.
        let mut merged = Vec::new();
        for k in 0..n {
            let lk: Vec<u32> = cols[k]
                .iter()
                .copied()
                .filter(|&i| i as usize > k)
                .collect();
            if lk.is_empty() {
                continue;
            }
            let mut uk = std::mem::take(&mut rows[k]);
            uk.sort_unstable();
            uk.dedup();
            for &j in &uk {
                let cj = &cols[j as usize];
                merged.clear();
                let (mut x, mut y) = (0, 0);
                while x < cj.len() || y < lk.len() {
                    let take_c = y >= lk.len() || (x < cj.len() && cj[x] <= lk[y]);
                    if take_c {
                        if y < lk.len() && cj[x] == lk[y] {
                            y += 1;
                        }
                        merged.push(cj[x]);
                        x += 1;
                    } else {
                        // new fill entry (lk[y], j)
                        let i = lk[y];
                        if (i as usize) < j as usize {
                            rows[i as usize].push(j);
                        }
                        merged.push(i);
                        y += 1;
                    }
                }
                cols[j as usize].clone_from(&merged);
            }
            rows[k] = uk;
        }
        // Value layout: pivots, then L columns, then U columns.
        let mut l_ptr = Vec::with_capacity(n + 1);
        let mut l_rows = Vec::new();
        let mut u_ptr = Vec::with_capacity(n + 1);
        let mut u_rows = Vec::new();
        for (j, c) in cols.iter().enumerate() {
            l_ptr.push(l_rows.len() as u32);
            u_ptr.push(u_rows.len() as u32);
            for &i in c {
                match (i as usize).cmp(&j) {
                    std::cmp::Ordering::Greater => l_rows.push(i),
                    std::cmp::Ordering::Less => u_rows.push(i),
                    std::cmp::Ordering::Equal => {}
                }
            }
        }
        l_ptr.push(l_rows.len() as u32);
        u_ptr.push(u_rows.len() as u32);
        let l_base = n as u32;
        let u_base = (n + l_rows.len()) as u32;
        for v in l_ptr.iter_mut() {
            *v += l_base;
        }
        for v in u_ptr.iter_mut() {
            *v += u_base;
        }
        let total = n + l_rows.len() + u_rows.len();
        // Position of entry (row, col) of P·A·Q in the value array.
        let find = |col: usize, row: u32| -> u32 {
            match (row as usize).cmp(&col) {
                std::cmp::Ordering::Equal => col as u32,
                std::cmp::Ordering::Greater => {
                    let (s, e) = (l_ptr[col] - l_base, l_ptr[col + 1] - l_base);
                    let k = l_rows[s as usize..e as usize]
                        .binary_search(&row)
                        .expect("pattern");
                    l_ptr[col] + k as u32
                }
                std::cmp::Ordering::Less => {
                    let (s, e) = (u_ptr[col] - u_base, u_ptr[col + 1] - u_base);
                    let k = u_rows[s as usize..e as usize]
                        .binary_search(&row)
                        .expect("pattern");
                    u_ptr[col] + k as u32
                }
            }
        };
        // A → value map and fill list.
        let mut covered = vec![false; total];
        let mut a_map = vec![0u32; a.nnz()];
        for (j, &qj) in qinv.iter().enumerate() {
            for k in a.col_ptr[j] as usize..a.col_ptr[j + 1] as usize {
                let pos = find(qj as usize, pinv[a.row_idx[k] as usize]);
                a_map[k] = pos;
                covered[pos as usize] = true;
            }
        }
        let fill = (0..total as u32)
            .filter(|&k| !covered[k as usize])
            .collect();
        // Update list: for pivot k, for (k, j) in U, for (i, k) in L: (i,j) -= (i,k)·(k,j).
        let mut ops = Vec::new();
        let mut op_start = Vec::with_capacity(n + 1);
        for k in 0..n {
            op_start.push(ops.len() as u32);
            let (ls, le) = (l_ptr[k], l_ptr[k + 1]);
            if ls == le {
                continue;
            }
            let mut uk = rows[k].clone();
            uk.sort_unstable();
            uk.dedup();
            for &j in &uk {
                let u = find(j as usize, k as u32);
                for l in ls..le {
                    let i = l_rows[(l - l_base) as usize];
                    ops.push([find(j as usize, i), l, u]);
                }
            }
        }
        op_start.push(ops.len() as u32);
        StaticLu {
            n,
            p: p.iter().map(|&v| v as u32).collect(),
            q: q.iter().map(|&v| v as u32).collect(),
            l_ptr,
            l_rows,
            u_ptr,
            u_rows,
            a_map,
            fill,
            ops,
            op_start,
            vals: vec![T::default(); total],
            inv_diag: vec![T::default(); n],
            work: vec![T::default(); n],
        }
    }

    /// Nonzeros of L+U (including the diagonal).
    pub fn nnz(&self) -> usize {
        self.vals.len()
    }

    /// Number of elimination updates per factorization.
    pub fn flops(&self) -> usize {
        self.ops.len()
    }

    /// Numeric factorization of A (values in A's CSC order) with the fixed
    /// pivots. Returns the pivot ratio, or the *original* column whose pivot
    /// is zero or not finite.
    pub fn factor(&mut self, a: &[T]) -> FactorResult {
        assert_eq!(a.len(), self.a_map.len());
        let n = self.n;
        let vals = &mut self.vals;
        for &k in &self.fill {
            vals[k as usize] = T::default();
        }
        let nv = vals.len();
        for (&m, &v) in self.a_map.iter().zip(a) {
            assert!((m as usize) < nv);
            // SAFETY: checked just above.
            unsafe { *vals.get_unchecked_mut(m as usize) = v };
        }
        assert!(
            self.l_ptr.len() == n + 1 && self.op_start.len() == n + 1 && self.inv_diag.len() == n
        );
        assert!(self.l_ptr[n] as usize <= nv && self.op_start[n] as usize <= self.ops.len());
        let mut pmin = f64::INFINITY;
        let mut pmax = 0.0f64;
        // SAFETY: lengths asserted above; l_ptr and op_start are monotone;
        // op indices come from `find` on this layout (< vals.len()).
        unsafe {
            for k in 0..n {
                let piv = *vals.get_unchecked(k);
                let m = piv.mag();
                if m == 0.0 || !piv.is_finite() {
                    return Err(self.q[k] as usize);
                }
                pmin = pmin.min(m);
                pmax = pmax.max(m);
                let inv = one_of(piv).div(piv);
                *self.inv_diag.get_unchecked_mut(k) = inv;
                let (ls, le) = (
                    *self.l_ptr.get_unchecked(k) as usize,
                    *self.l_ptr.get_unchecked(k + 1) as usize,
                );
                for p in ls..le {
                    let v = vals.get_unchecked_mut(p);
                    *v = v.mul(inv);
                }
                let (s, e) = (
                    *self.op_start.get_unchecked(k) as usize,
                    *self.op_start.get_unchecked(k + 1) as usize,
                );
                for op in self.ops.get_unchecked(s..e) {
                    let l = *vals.get_unchecked(op[1] as usize);
                    let u = *vals.get_unchecked(op[2] as usize);
                    let t = vals.get_unchecked_mut(op[0] as usize);
                    *t = t.sub(l.mul(u));
                }
            }
        }
        Ok(if pmax > 0.0 { pmin / pmax } else { 0.0 })
    }

    /// Solve A·x = b in place (b → x) with the last factorization.
    pub fn solve(&mut self, b: &mut [T]) {
        let n = self.n;
        assert!(b.len() >= n);
        let y = &mut self.work;
        for (yk, &pk) in y.iter_mut().zip(&self.p) {
            *yk = b[pk as usize];
        }
        let vals = &self.vals;
        // SAFETY (both sweeps): l_ptr/u_ptr are monotone and end at
        // vals.len(); row indices are < n = y.len(); all built in `build`.
        unsafe {
            // forward: unit lower L
            for k in 0..n {
                let yk = *y.get_unchecked(k);
                let (s, e) = (
                    *self.l_ptr.get_unchecked(k) as usize,
                    *self.l_ptr.get_unchecked(k + 1) as usize,
                );
                let base = self.l_ptr[0] as usize;
                for p in s..e {
                    let r = *self.l_rows.get_unchecked(p - base) as usize;
                    let t = y.get_unchecked_mut(r);
                    *t = t.sub(vals.get_unchecked(p).mul(yk));
                }
            }
            // backward: U
            let base = self.u_ptr[0] as usize;
            for k in (0..n).rev() {
                let yk = y.get_unchecked(k).mul(*self.inv_diag.get_unchecked(k));
                *y.get_unchecked_mut(k) = yk;
                let (s, e) = (
                    *self.u_ptr.get_unchecked(k) as usize,
                    *self.u_ptr.get_unchecked(k + 1) as usize,
                );
                for p in s..e {
                    let r = *self.u_rows.get_unchecked(p - base) as usize;
                    let t = y.get_unchecked_mut(r);
                    *t = t.sub(vals.get_unchecked(p).mul(yk));
                }
            }
        }
        for (yk, &qk) in y.iter().zip(&self.q) {
            b[qk as usize] = *yk;
        }
    }
}

/// The multiplicative identity of T (1 or 1+0i), built from a value of T.
#[inline]
fn one_of<T: LuScalar>(d: T) -> T {
    d.div(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % 1_000_000) as f64 / 1_000_000.0
        }
    }

    fn random_csc(n: usize, per_col: usize, rng: &mut Rng) -> (CscPattern, Vec<f64>) {
        let mut col_ptr = vec![0i32];
        let mut row_idx = Vec::new();
        let mut vals = Vec::new();
        for j in 0..n {
            let mut rows: Vec<usize> = (0..per_col)
                .map(|_| (rng.next() * n as f64) as usize % n)
                .collect();
            rows.push(j);
            rows.sort_unstable();
            rows.dedup();
            for r in rows {
                row_idx.push(r as i32);
                // diagonally dominant so that identity pivoting is stable
                vals.push(if r == j {
                    10.0 + rng.next()
                } else {
                    rng.next() - 0.5
                });
            }
            col_ptr.push(row_idx.len() as i32);
        }
        (
            CscPattern {
                n,
                col_ptr,
                row_idx,
            },
            vals,
        )
    }

    fn matvec(p: &CscPattern, v: &[f64], x: &[f64]) -> Vec<f64> {
        let mut y = vec![0.0; p.n];
        for (j, &xj) in x.iter().enumerate().take(p.n) {
            for k in p.col_ptr[j] as usize..p.col_ptr[j + 1] as usize {
                y[p.row_idx[k] as usize] += v[k] * xj;
            }
        }
        y
    }

    #[test]
    fn solves_random_sparse_systems_with_fill_and_permutations() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for &(n, per) in &[(1usize, 0usize), (7, 2), (50, 3), (300, 4)] {
            let (pat, vals) = random_csc(n, per, &mut rng);
            // a nontrivial symmetric permutation (reverse order) keeps the
            // dominant diagonal on the diagonal
            let perm: Vec<i32> = (0..n as i32).rev().collect();
            let mut lu = StaticLu::<f64>::build(&pat, &perm, &perm);
            assert!(lu.nnz() >= pat.nnz());
            let ratio = lu.factor(&vals).unwrap();
            assert!(ratio > 0.0 && ratio <= 1.0);
            let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() + 1.5).collect();
            let mut b = matvec(&pat, &vals, &x);
            lu.solve(&mut b);
            for (a, e) in b.iter().zip(&x) {
                assert!((a - e).abs() < 1e-10, "n={n}: {a} vs {e}");
            }
            // refactor with new values on the same pattern
            let vals2: Vec<f64> = vals.iter().map(|v| v * 1.5 + 0.01).collect();
            lu.factor(&vals2).unwrap();
            let mut b = matvec(&pat, &vals2, &x);
            lu.solve(&mut b);
            for (a, e) in b.iter().zip(&x) {
                assert!((a - e).abs() < 1e-10);
            }
        }
    }

    #[test]
    fn zero_pivot_names_the_original_column() {
        // [[0,1],[1,0]] with identity pivots: pivot of column 0 is zero
        let pat = CscPattern {
            n: 2,
            col_ptr: vec![0, 1, 2],
            row_idx: vec![1, 0],
        };
        let mut lu = StaticLu::<f64>::build(&pat, &[0, 1], &[0, 1]);
        assert_eq!(lu.factor(&[1.0, 1.0]), Err(0));
        // with rows swapped the pivots are fine
        let mut lu = StaticLu::<f64>::build(&pat, &[1, 0], &[0, 1]);
        assert!(lu.factor(&[1.0, 1.0]).is_ok());
        let mut b = vec![2.0, 3.0];
        lu.solve(&mut b);
        assert_eq!(b, vec![3.0, 2.0]);
    }
}
