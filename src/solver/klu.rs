//! Sparse LU for circuit matrices: SuiteSparse KLU (vendored C via `klu_sys`).
//!
//! - `klu_analyze` once per topology (BTF + AMD ordering);
//! - `klu_factor` (threshold partial pivoting with row scaling) when no pivot
//!   sequence exists yet or the current one has degraded;
//! - `klu_refactor` with those pivots for every other factorization, without
//!   rescaling (re-running `klu_scale` would cost about as much as the refactor).
//!   The cheap pivot-ratio estimate `klu_rcond` = min|u_jj| / max|u_jj| is
//!   compared with its value right after the pivoting factorization (measured
//!   by an unscaled refactor of the same values, so like is compared with
//!   like); if it fell by more than [`REPIVOT_RATIO`], or a pivot vanished,
//!   we pivot anew.
//! - A factorization is skipped when the values are bit-identical to the last
//!   factored ones (linear circuit, same step size; see `track_reuse`).

use klu_sys as ffi;
use num_complex::Complex64;
use std::ptr;

/// Mirror of `klu_symbolic` (klu.h of the vendored KLU 1.3.9, int version).
#[repr(C)]
struct SymbolicC {
    symmetry: f64,
    est_flops: f64,
    lnz: f64,
    unz: f64,
    lnz_col: *mut f64,
    n: i32,
    nz: i32,
    p: *mut i32,
    q: *mut i32,
    r: *mut i32,
    nzoff: i32,
    nblocks: i32,
    maxblock: i32,
    ordering: i32,
    do_btf: i32,
    structural_rank: i32,
}

/// Mirror of `klu_numeric` (klu.h of the vendored KLU 1.3.9, int version).
#[repr(C)]
struct NumericC {
    n: i32,
    nblocks: i32,
    lnz: i32,
    unz: i32,
    max_lnz_block: i32,
    max_unz_block: i32,
    pnum: *mut i32,
    pinv: *mut i32,
    lip: *mut i32,
    uip: *mut i32,
    llen: *mut i32,
    ulen: *mut i32,
    lubx: *mut *mut std::ffi::c_void,
    lusize: *mut usize,
    udiag: *mut std::ffi::c_void,
    rs: *mut f64,
    worksize: usize,
    work: *mut std::ffi::c_void,
    xwork: *mut std::ffi::c_void,
    iwork: *mut i32,
    offp: *mut i32,
    offi: *mut i32,
    offx: *mut std::ffi::c_void,
    nzoff: i32,
}

/// Refactor is accepted while `rcond >= REPIVOT_RATIO * rcond_at_last_pivoting`.
pub const REPIVOT_RATIO: f64 = 1e-3;

/// Failure of a factorization.
#[derive(Debug, Clone, PartialEq)]
pub enum LuError {
    /// Structurally or numerically singular; the column (0-based unknown) KLU
    /// found without a usable pivot, if it knows.
    Singular { col: Option<usize> },
    /// KLU ran out of memory or rejected the matrix.
    Failed(i32),
}

/// Compressed-column sparsity pattern (0-based, sorted row indices per column).
#[derive(Debug, Clone, PartialEq)]
pub struct CscPattern {
    pub n: usize,
    pub col_ptr: Vec<i32>,
    pub row_idx: Vec<i32>,
}

impl CscPattern {
    pub fn nnz(&self) -> usize {
        self.row_idx.len()
    }
}

/// Scalar types KLU factors (real and complex double).
pub trait KluScalar:
    Copy
    + Default
    + PartialEq
    + std::ops::Mul<Output = Self>
    + std::ops::SubAssign
    + std::ops::MulAssign
    + std::ops::Div<Output = Self>
{
    const ONE: Self;
    fn from_real(r: f64) -> Self;
    /// # Safety
    /// Raw FFI; pointers must be valid for the pattern.
    unsafe fn factor(
        ap: *const i32,
        ai: *const i32,
        ax: *mut Self,
        sym: *mut ffi::KluSymbolic,
        c: *mut ffi::KluCommon,
    ) -> *mut ffi::KluNumeric;
    /// # Safety
    /// Raw FFI.
    unsafe fn refactor(
        ap: *const i32,
        ai: *const i32,
        ax: *mut Self,
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        c: *mut ffi::KluCommon,
    ) -> i32;
    /// # Safety
    /// Raw FFI.
    unsafe fn solve(
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        n: i32,
        b: *mut Self,
        c: *mut ffi::KluCommon,
    ) -> i32;
    /// # Safety
    /// Raw FFI.
    unsafe fn rcond(
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        c: *mut ffi::KluCommon,
    ) -> i32;
    /// # Safety
    /// Raw FFI.
    unsafe fn free_numeric(num: *mut *mut ffi::KluNumeric, c: *mut ffi::KluCommon);
}

impl KluScalar for f64 {
    const ONE: f64 = 1.0;
    fn from_real(r: f64) -> f64 {
        r
    }
    unsafe fn factor(
        ap: *const i32,
        ai: *const i32,
        ax: *mut f64,
        sym: *mut ffi::KluSymbolic,
        c: *mut ffi::KluCommon,
    ) -> *mut ffi::KluNumeric {
        ffi::klu_factor(ap, ai, ax, sym, c)
    }
    unsafe fn refactor(
        ap: *const i32,
        ai: *const i32,
        ax: *mut f64,
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        c: *mut ffi::KluCommon,
    ) -> i32 {
        ffi::klu_refactor(ap, ai, ax, sym, num, c)
    }
    unsafe fn solve(
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        n: i32,
        b: *mut f64,
        c: *mut ffi::KluCommon,
    ) -> i32 {
        ffi::klu_solve(sym, num, n, 1, b, c)
    }
    unsafe fn rcond(
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        c: *mut ffi::KluCommon,
    ) -> i32 {
        ffi::klu_rcond(sym, num, c)
    }
    unsafe fn free_numeric(num: *mut *mut ffi::KluNumeric, c: *mut ffi::KluCommon) {
        ffi::klu_free_numeric(num, c);
    }
}

// Complex64 is #[repr(C)] {re, im}: KLU's packed complex layout.
impl KluScalar for Complex64 {
    const ONE: Complex64 = Complex64 { re: 1.0, im: 0.0 };
    fn from_real(r: f64) -> Complex64 {
        Complex64::new(r, 0.0)
    }
    unsafe fn factor(
        ap: *const i32,
        ai: *const i32,
        ax: *mut Complex64,
        sym: *mut ffi::KluSymbolic,
        c: *mut ffi::KluCommon,
    ) -> *mut ffi::KluNumeric {
        ffi::klu_z_factor(ap, ai, ax as *mut f64, sym, c)
    }
    unsafe fn refactor(
        ap: *const i32,
        ai: *const i32,
        ax: *mut Complex64,
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        c: *mut ffi::KluCommon,
    ) -> i32 {
        ffi::klu_z_refactor(ap, ai, ax as *mut f64, sym, num, c)
    }
    unsafe fn solve(
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        n: i32,
        b: *mut Complex64,
        c: *mut ffi::KluCommon,
    ) -> i32 {
        ffi::klu_z_solve(sym, num, n, 1, b as *mut f64, c)
    }
    unsafe fn rcond(
        sym: *mut ffi::KluSymbolic,
        num: *mut ffi::KluNumeric,
        c: *mut ffi::KluCommon,
    ) -> i32 {
        ffi::klu_z_rcond(sym, num, c)
    }
    unsafe fn free_numeric(num: *mut *mut ffi::KluNumeric, c: *mut ffi::KluCommon) {
        ffi::klu_z_free_numeric(num, c);
    }
}

/// Counters for the benchmark report.
#[derive(Debug, Clone, Copy, Default)]
pub struct LuStats {
    /// Pivoting factorizations (`klu_factor`).
    pub full: u64,
    /// Fixed-pivot refactorizations (`klu_refactor`) that were kept.
    pub refactor: u64,
    /// Refactorizations rejected for pivot quality (followed by a full one).
    pub repivot: u64,
    /// Factorizations skipped because the matrix had not changed.
    pub reused: u64,
    pub solves: u64,
}

/// Sparse LU of one fixed pattern. Allocation happens in `new` and in the first
/// `factor`; later factor/solve calls allocate nothing on the Rust side (KLU's
/// refactor reuses its numeric object).
pub struct Klu<T: KluScalar> {
    common: Box<ffi::KluCommon>,
    symbolic: *mut ffi::KluSymbolic,
    numeric: *mut ffi::KluNumeric,
    pattern: CscPattern,
    /// Values of the last successful factorization (for reuse detection).
    last: Vec<T>,
    have_last: bool,
    /// Pivot ratio (`klu_rcond`) right after the last pivoting factorization.
    ratio_pivot: f64,
    pub stats: LuStats,
    /// 1/u_kk of the current factorization (permuted order): the solve
    /// multiplies instead of dividing (see [`Klu::solve`]).
    inv_udiag: Vec<T>,
    /// Permuted right-hand side of the solve.
    work: Vec<T>,
    /// Compare values with the last factored ones and skip an unchanged
    /// matrix (worth it for linear circuits; costs two passes otherwise).
    pub track_reuse: bool,
}

// The KLU objects are owned exclusively by this struct and only touched through
// &mut self; moving it to another thread is sound.
unsafe impl<T: KluScalar> Send for Klu<T> {}

impl<T: KluScalar> Klu<T> {
    /// Symbolic analysis (ordering) of the pattern.
    pub fn new(pattern: CscPattern) -> Result<Klu<T>, LuError> {
        let mut common: Box<ffi::KluCommon> = Box::new(unsafe { std::mem::zeroed() });
        unsafe {
            ffi::klu_defaults(common.as_mut());
        }
        common.halt_if_singular = 1;
        let n = pattern.n as i32;
        let symbolic = unsafe {
            ffi::klu_analyze(
                n,
                pattern.col_ptr.as_ptr(),
                pattern.row_idx.as_ptr(),
                common.as_mut(),
            )
        };
        if symbolic.is_null() {
            return Err(LuError::Failed(common.status));
        }
        let nnz = pattern.nnz();
        let pattern_n = pattern.n;
        Ok(Klu {
            common,
            symbolic,
            numeric: ptr::null_mut(),
            pattern,
            last: vec![T::default(); nnz],
            have_last: false,
            ratio_pivot: 0.0,
            stats: LuStats::default(),
            inv_udiag: vec![T::default(); pattern_n],
            work: vec![T::default(); pattern_n],
            track_reuse: true,
        })
    }

    pub fn pattern(&self) -> &CscPattern {
        &self.pattern
    }

    fn singular(&self) -> LuError {
        let c = self.common.singular_col;
        LuError::Singular {
            col: if c >= 0 && (c as usize) < self.pattern.n {
                Some(c as usize)
            } else {
                None
            },
        }
    }

    fn free_numeric(&mut self) {
        if !self.numeric.is_null() {
            unsafe { T::free_numeric(&mut self.numeric, self.common.as_mut()) };
            self.numeric = ptr::null_mut();
        }
    }

    fn full_factor(&mut self, values: &mut [T]) -> Result<(), LuError> {
        self.free_numeric();
        self.stats.full += 1;
        // Row scaling (max) guides the pivot choice of MNA rows with mixed units.
        self.common.scale = 2;
        let num = unsafe {
            T::factor(
                self.pattern.col_ptr.as_ptr(),
                self.pattern.row_idx.as_ptr(),
                values.as_mut_ptr(),
                self.symbolic,
                self.common.as_mut(),
            )
        };
        if num.is_null() {
            return Err(if self.common.status == 1 {
                self.singular()
            } else {
                LuError::Failed(self.common.status)
            });
        }
        self.numeric = num;
        if self.common.status != 0 {
            return Err(self.singular());
        }
        // Later refactors run unscaled; measure the pivot-ratio baseline the
        // same way, by an unscaled refactor of these values.
        if !self.refactor_unscaled(values) {
            return Err(self.singular());
        }
        self.ratio_pivot = self.common.rcond;
        if self.ratio_pivot == 0.0 {
            return Err(self.singular());
        }
        Ok(())
    }

    /// `klu_refactor` without row scaling, then `klu_rcond`; false if KLU
    /// reported a problem.
    fn refactor_unscaled(&mut self, values: &mut [T]) -> bool {
        self.common.scale = -1;
        let r = unsafe {
            T::refactor(
                self.pattern.col_ptr.as_ptr(),
                self.pattern.row_idx.as_ptr(),
                values.as_mut_ptr(),
                self.symbolic,
                self.numeric,
                self.common.as_mut(),
            )
        };
        if r == 0 || self.common.status != 0 {
            return false;
        }
        unsafe { T::rcond(self.symbolic, self.numeric, self.common.as_mut()) };
        true
    }

    /// Factor the matrix with these values (CSC order of the pattern).
    /// The slice is `&mut` only for KLU's C API; it is not modified.
    pub fn factor(&mut self, values: &mut [T]) -> Result<(), LuError> {
        debug_assert_eq!(values.len(), self.pattern.nnz());
        if self.track_reuse && self.have_last && !self.numeric.is_null() && values == &self.last[..]
        {
            self.stats.reused += 1;
            return Ok(());
        }
        self.have_last = false;
        let mut ok = false;
        if !self.numeric.is_null() {
            if self.refactor_unscaled(values)
                && self.common.rcond >= REPIVOT_RATIO * self.ratio_pivot
            {
                self.stats.refactor += 1;
                ok = true;
            } else {
                self.stats.repivot += 1;
            }
        }
        if !ok {
            self.full_factor(values)?;
        }
        self.invert_diagonal();
        if self.track_reuse {
            self.last.copy_from_slice(values);
            self.have_last = true;
        }
        Ok(())
    }

    /// Solve A x = b in place (b → x). Requires a successful `factor`.
    ///
    /// The triangular sweeps of `klu_solve`, run here on KLU's factors with
    /// the reciprocal pivots: on circuit matrices the sweeps are one long
    /// dependency chain, and a division in it costs 3–4× the latency of a
    /// multiplication (measured in ARCHITECTURE.md).
    pub fn solve(&mut self, b: &mut [T]) -> Result<(), LuError> {
        debug_assert_eq!(b.len(), self.pattern.n);
        if self.numeric.is_null() {
            return Err(LuError::Singular { col: None });
        }
        self.stats.solves += 1;
        // SAFETY: `symbolic` and `numeric` are live KLU objects of this
        // pattern (klu.h layouts mirrored in `SymbolicC`/`NumericC`); every
        // index read below is one KLU wrote for an n-by-n factorization.
        unsafe {
            let sym = &*(self.symbolic as *const SymbolicC);
            let num = &*(self.numeric as *const NumericC);
            let n = self.pattern.n;
            let x = &mut self.work[..];
            let pnum = std::slice::from_raw_parts(num.pnum, n);
            let q = std::slice::from_raw_parts(sym.q, n);
            let rb = std::slice::from_raw_parts(sym.r, sym.nblocks as usize + 1);
            let lip = std::slice::from_raw_parts(num.lip, n);
            let uip = std::slice::from_raw_parts(num.uip, n);
            let llen = std::slice::from_raw_parts(num.llen, n);
            let ulen = std::slice::from_raw_parts(num.ulen, n);
            let offp = std::slice::from_raw_parts(num.offp, n + 1);
            let offi = num.offi;
            let offx = num.offx as *const T;
            let inv = &self.inv_udiag[..];
            if num.rs.is_null() {
                for k in 0..n {
                    x[k] = b[pnum[k] as usize];
                }
            } else {
                let rs = std::slice::from_raw_parts(num.rs, n);
                for k in 0..n {
                    x[k] = b[pnum[k] as usize] / T::from_real(rs[k]);
                }
            }
            let unit = std::mem::size_of::<T>();
            for block in (0..sym.nblocks as usize).rev() {
                let k1 = rb[block] as usize;
                let k2 = rb[block + 1] as usize;
                if k2 - k1 == 1 {
                    x[k1] *= inv[k1];
                } else {
                    let lu = *num.lubx.add(block) as *const u8;
                    for k in k1..k2 {
                        let len = llen[k] as usize;
                        let base = lu.add(lip[k] as usize * unit);
                        let li = base as *const i32;
                        let lx = base.add((4 * len).div_ceil(unit) * unit) as *const T;
                        let xk = x[k];
                        for p in 0..len {
                            *x.get_unchecked_mut(k1 + *li.add(p) as usize) -= *lx.add(p) * xk;
                        }
                    }
                    for k in (k1..k2).rev() {
                        let len = ulen[k] as usize;
                        let base = lu.add(uip[k] as usize * unit);
                        let ui = base as *const i32;
                        let ux = base.add((4 * len).div_ceil(unit) * unit) as *const T;
                        let xk = x[k] * inv[k];
                        x[k] = xk;
                        for p in 0..len {
                            *x.get_unchecked_mut(k1 + *ui.add(p) as usize) -= *ux.add(p) * xk;
                        }
                    }
                }
                if block > 0 {
                    for k in k1..k2 {
                        let xk = x[k];
                        for p in offp[k] as usize..offp[k + 1] as usize {
                            *x.get_unchecked_mut(*offi.add(p) as usize) -= *offx.add(p) * xk;
                        }
                    }
                }
            }
            for k in 0..n {
                b[q[k] as usize] = x[k];
            }
        }
        Ok(())
    }

    /// 1/u_kk of the current factorization.
    fn invert_diagonal(&mut self) {
        // SAFETY: a live numeric object holds n pivots in `Udiag`.
        unsafe {
            let num = &*(self.numeric as *const NumericC);
            let ud = std::slice::from_raw_parts(num.udiag as *const T, self.pattern.n);
            for (i, u) in self.inv_udiag.iter_mut().zip(ud) {
                *i = T::ONE / *u;
            }
        }
    }

    /// Forget the last factorization (next `factor` pivots again).
    pub fn invalidate(&mut self) {
        self.have_last = false;
        self.free_numeric();
    }

    /// (BTF blocks, nonzeros of L, nonzeros of U) of the current
    /// factorization, for reports.
    pub fn fill(&self) -> Option<(usize, usize, usize)> {
        if self.numeric.is_null() {
            return None;
        }
        // SAFETY: a live klu_numeric starts with `int n, nblocks, lnz, unz`
        // (klu.h of the vendored KLU 1.3.9).
        let head = unsafe { std::slice::from_raw_parts(self.numeric as *const i32, 4) };
        Some((head[1] as usize, head[2] as usize, head[3] as usize))
    }
}

impl<T: KluScalar> Drop for Klu<T> {
    fn drop(&mut self) {
        self.free_numeric();
        if !self.symbolic.is_null() {
            unsafe { ffi::klu_free_symbolic(&mut self.symbolic, self.common.as_mut()) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern_of(dense: &[&[f64]]) -> (CscPattern, Vec<f64>) {
        let n = dense.len();
        let mut col_ptr = vec![0i32];
        let mut row_idx = vec![];
        let mut vals = vec![];
        for j in 0..n {
            for (i, row) in dense.iter().enumerate() {
                if row[j] != 0.0 {
                    row_idx.push(i as i32);
                    vals.push(row[j]);
                }
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

    #[test]
    fn solves_small_system_exactly() {
        // A = [[4,1,0],[1,3,1],[0,1,2]], x = [1,2,3] → b = A x
        let a: [&[f64]; 3] = [&[4.0, 1.0, 0.0], &[1.0, 3.0, 1.0], &[0.0, 1.0, 2.0]];
        let (p, mut v) = pattern_of(&a);
        let mut lu = Klu::<f64>::new(p).unwrap();
        lu.factor(&mut v).unwrap();
        let mut b = vec![6.0, 10.0, 8.0];
        lu.solve(&mut b).unwrap();
        for (x, e) in b.iter().zip([1.0, 2.0, 3.0]) {
            assert!((x - e).abs() < 1e-14);
        }
        // same values → reused, different values → refactor
        lu.factor(&mut v).unwrap();
        assert_eq!(lu.stats.reused, 1);
        v[0] = 5.0;
        lu.factor(&mut v).unwrap();
        assert_eq!(lu.stats.refactor, 1);
        let mut b = vec![7.0, 10.0, 8.0];
        lu.solve(&mut b).unwrap();
        assert!((b[0] - 1.0).abs() < 1e-14 && (b[2] - 3.0).abs() < 1e-14);
    }

    #[test]
    fn zero_pivot_after_refactor_repivots() {
        // First [[2,1],[1,1]] (pivots on the diagonal), then [[0,1],[1,0]]:
        // the old pivot sequence meets a zero pivot.
        let (p, mut v) = pattern_of(&[&[2.0, 1.0], &[1.0, 1.0]]);
        let mut lu = Klu::<f64>::new(p).unwrap();
        lu.factor(&mut v).unwrap();
        // now make the first diagonal tiny: the old pivot order fails
        v[0] = 0.0;
        v[3] = 0.0;
        lu.factor(&mut v).unwrap();
        assert!(lu.stats.repivot >= 1);
        let mut b = vec![2.0, 3.0]; // [[0,1],[1,0]] x = b → x = [3,2]
        lu.solve(&mut b).unwrap();
        assert!((b[0] - 3.0).abs() < 1e-14 && (b[1] - 2.0).abs() < 1e-14);
    }

    #[test]
    fn singular_matrix_reports_error() {
        let (p, mut v) = pattern_of(&[&[1.0, 2.0], &[2.0, 4.0]]);
        let mut lu = Klu::<f64>::new(p).unwrap();
        assert!(matches!(lu.factor(&mut v), Err(LuError::Singular { .. })));
    }

    #[test]
    fn complex_solve() {
        let (p, _) = pattern_of(&[&[1.0, 1.0], &[1.0, 1.0]]);
        let i = Complex64::new(0.0, 1.0);
        // A = [[1+i, 2],[0.5, 3i]] (CSC: col0 rows 0,1; col1 rows 0,1)
        let mut v = vec![
            Complex64::new(1.0, 1.0),
            Complex64::new(0.5, 0.0),
            Complex64::new(2.0, 0.0),
            3.0 * i,
        ];
        let x = [Complex64::new(1.0, -2.0), Complex64::new(0.5, 0.25)];
        let mut b = vec![v[0] * x[0] + v[2] * x[1], v[1] * x[0] + v[3] * x[1]];
        let mut lu = Klu::<Complex64>::new(p).unwrap();
        lu.factor(&mut v).unwrap();
        lu.solve(&mut b).unwrap();
        assert!((b[0] - x[0]).norm() < 1e-14 && (b[1] - x[1]).norm() < 1e-14);
    }
}
