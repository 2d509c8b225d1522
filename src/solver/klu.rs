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

/// The LU factors of KLU's numeric object in row order, for the solve.
///
/// Row i of the L phase holds the strictly lower entries of L in row i of
/// its diagonal block and the entries of the off-diagonal blocks in row i
/// (their columns belong to later blocks, already solved); row i of the U
/// phase holds the strictly upper entries of U. The entry in column i − 1 of
/// L (i + 1 of U) is kept apart as `lnear`/`unear` (0 when absent). Values
/// are gathered from KLU's storage through `*src` pointers, which stay valid
/// while the numeric object lives (klu_refactor rewrites it in place).
struct RowFactors<T> {
    valid: bool,
    pnum: Vec<i32>,
    q: Vec<i32>,
    blocks: Vec<u32>,
    lptr: Vec<u32>,
    lcol: Vec<u32>,
    lval: Vec<T>,
    lsrc: Vec<*const T>,
    lnear: Vec<T>,
    lnear_src: Vec<*const T>,
    uptr: Vec<u32>,
    ucol: Vec<u32>,
    uval: Vec<T>,
    usrc: Vec<*const T>,
    unear: Vec<T>,
    unear_src: Vec<*const T>,
}

impl<T> Default for RowFactors<T> {
    fn default() -> Self {
        RowFactors {
            valid: false,
            pnum: Vec::new(),
            q: Vec::new(),
            blocks: Vec::new(),
            lptr: Vec::new(),
            lcol: Vec::new(),
            lval: Vec::new(),
            lsrc: Vec::new(),
            lnear: Vec::new(),
            lnear_src: Vec::new(),
            uptr: Vec::new(),
            ucol: Vec::new(),
            uval: Vec::new(),
            usrc: Vec::new(),
            unear: Vec::new(),
            unear_src: Vec::new(),
        }
    }
}

impl<T: KluScalar> RowFactors<T> {
    /// The row structure of the current factorization.
    ///
    /// # Safety
    /// `sym` and `num` are live KLU objects of one n-by-n pattern whose
    /// layouts are [`SymbolicC`] and [`NumericC`].
    unsafe fn build(&mut self, sym: *mut ffi::KluSymbolic, num: *mut ffi::KluNumeric) {
        let sym = &*(sym as *const SymbolicC);
        let num = &*(num as *const NumericC);
        let n = num.n as usize;
        let nb = sym.nblocks as usize;
        self.pnum = std::slice::from_raw_parts(num.pnum, n).to_vec();
        self.q = std::slice::from_raw_parts(sym.q, n).to_vec();
        self.blocks = std::slice::from_raw_parts(sym.r, nb + 1)
            .iter()
            .map(|&v| v as u32)
            .collect();
        let lip = std::slice::from_raw_parts(num.lip, n);
        let uip = std::slice::from_raw_parts(num.uip, n);
        let llen = std::slice::from_raw_parts(num.llen, n);
        let ulen = std::slice::from_raw_parts(num.ulen, n);
        let offp = std::slice::from_raw_parts(num.offp, n + 1);
        let unit = std::mem::size_of::<T>();
        // (row, col, source) triples of both phases
        let mut le: Vec<(u32, u32, *const T)> = Vec::new();
        let mut ue: Vec<(u32, u32, *const T)> = Vec::new();
        for blk in 0..nb {
            let (k1, k2) = (self.blocks[blk] as usize, self.blocks[blk + 1] as usize);
            if k2 - k1 == 1 {
                continue;
            }
            let lu = *num.lubx.add(blk) as *const u8;
            for k in k1..k2 {
                for (len, ip, out) in [(llen[k], lip[k], &mut le), (ulen[k], uip[k], &mut ue)] {
                    let len = len as usize;
                    let base = lu.add(ip as usize * unit);
                    let idx = base as *const i32;
                    let val = base.add((4 * len).div_ceil(unit) * unit) as *const T;
                    for p in 0..len {
                        out.push(((k1 + *idx.add(p) as usize) as u32, k as u32, val.add(p)));
                    }
                }
            }
        }
        let offx = num.offx as *const T;
        for k in 0..n {
            for p in offp[k] as usize..offp[k + 1] as usize {
                le.push((*num.offi.add(p) as u32, k as u32, offx.add(p)));
            }
        }
        let zero: *const T = std::ptr::null();
        self.lnear_src = vec![zero; n];
        self.unear_src = vec![zero; n];
        le.retain(|&(r, c, p)| {
            // (off-diagonal-block entries have c > r, never c + 1 == r)
            if c + 1 == r {
                self.lnear_src[r as usize] = p;
                false
            } else {
                true
            }
        });
        ue.retain(|&(r, c, p)| {
            if c == r + 1 {
                self.unear_src[r as usize] = p;
                false
            } else {
                true
            }
        });
        fn csr<T>(n: usize, e: &mut [(u32, u32, *const T)]) -> (Vec<u32>, Vec<u32>, Vec<*const T>) {
            e.sort_unstable_by_key(|&(r, c, _)| (r, c));
            let mut ptr = vec![0u32; n + 1];
            for &(r, _, _) in e.iter() {
                ptr[r as usize + 1] += 1;
            }
            for i in 0..n {
                ptr[i + 1] += ptr[i];
            }
            (
                ptr,
                e.iter().map(|t| t.1).collect(),
                e.iter().map(|t| t.2).collect(),
            )
        }
        (self.lptr, self.lcol, self.lsrc) = csr(n, &mut le);
        (self.uptr, self.ucol, self.usrc) = csr(n, &mut ue);
        self.lval = vec![T::default(); self.lsrc.len()];
        self.uval = vec![T::default(); self.usrc.len()];
        self.lnear = vec![T::default(); n];
        self.unear = vec![T::default(); n];
        // Every factorization ends with an unscaled klu_refactor (see
        // `full_factor`), which frees the row scale factors: b needs no scaling.
        debug_assert!(num.rs.is_null());
        self.valid = true;
    }

    /// Copy the current values of the factors; the U rows are scaled by the
    /// reciprocal pivot of their row (x_i = y_i/u_ii − Σ (u_ij/u_ii) x_j), so
    /// the sweep's dependency chain is one multiply-subtract per row.
    fn gather(&mut self, inv: &[T]) {
        // SAFETY: the sources point into the live numeric object `build` read.
        unsafe {
            for (v, &p) in self.lval.iter_mut().zip(&self.lsrc) {
                *v = *p;
            }
            for (v, &p) in self.uval.iter_mut().zip(&self.usrc) {
                *v = *p;
            }
            for (v, &p) in self.lnear.iter_mut().zip(&self.lnear_src) {
                *v = if p.is_null() { T::default() } else { *p };
            }
            for (v, &p) in self.unear.iter_mut().zip(&self.unear_src) {
                *v = if p.is_null() { T::default() } else { *p };
            }
        }
        for (i, &d) in inv.iter().enumerate() {
            self.unear[i] *= d;
            for m in self.uptr[i] as usize..self.uptr[i + 1] as usize {
                self.uval[m] *= d;
            }
        }
    }
}

/// acc − a·b, as the sweeps compute it.
trait MulSub<T> {
    fn msub(acc: T, a: T, b: T) -> T;
}
/// Separate multiply and subtract (any CPU).
struct Plain;
/// One fused multiply-add (with rounding once), inside an `fma` function.
struct Fused;
impl<T: KluScalar> MulSub<T> for Plain {
    #[inline(always)]
    fn msub(acc: T, a: T, b: T) -> T {
        acc - a * b
    }
}
impl MulSub<f64> for Fused {
    #[inline(always)]
    fn msub(acc: f64, a: f64, b: f64) -> f64 {
        (-a).mul_add(b, acc)
    }
}

/// The block back-substitution of [`Klu::solve`] on the permuted vector.
#[inline(always)]
fn sweeps<T: KluScalar, M: MulSub<T>>(r: &RowFactors<T>, x: &mut [T], inv: &[T]) {
    for blk in (0..r.blocks.len() - 1).rev() {
        let (k1, k2) = (r.blocks[blk] as usize, r.blocks[blk + 1] as usize);
        let mut prev = T::default();
        for i in k1..k2 {
            let mut acc = x[i];
            for m in r.lptr[i] as usize..r.lptr[i + 1] as usize {
                // SAFETY: `build` stores column indices < n ≤ x.len().
                acc = M::msub(acc, r.lval[m], unsafe {
                    *x.get_unchecked(r.lcol[m] as usize)
                });
            }
            acc = M::msub(acc, r.lnear[i], prev);
            x[i] = acc;
            prev = acc;
        }
        let mut prev = T::default();
        for i in (k1..k2).rev() {
            let mut acc = x[i] * inv[i];
            for m in r.uptr[i] as usize..r.uptr[i + 1] as usize {
                // SAFETY: as above.
                acc = M::msub(acc, r.uval[m], unsafe {
                    *x.get_unchecked(r.ucol[m] as usize)
                });
            }
            acc = M::msub(acc, r.unear[i], prev);
            x[i] = acc;
            prev = acc;
        }
    }
}

/// The real sweeps compiled for CPUs with FMA: the dependency chain of a
/// row is one fused multiply-add instead of a multiply and a subtract.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn sweeps_fma(r: &RowFactors<f64>, x: &mut [f64], inv: &[f64]) {
    sweeps::<f64, Fused>(r, x, inv)
}

/// FMA sweeps for real matrices when the CPU has FMA, else plain ones.
fn sweeps_dispatch<T: KluScalar>(r: &RowFactors<T>, x: &mut [T], inv: &[T]) {
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>()
        && std::arch::is_x86_feature_detected!("fma")
    {
        // SAFETY: T is f64 (checked above), so the casts change no layout;
        // the CPU has FMA (checked above).
        unsafe {
            let r = &*(r as *const RowFactors<T> as *const RowFactors<f64>);
            let x = &mut *(x as *mut [T] as *mut [f64]);
            let inv = &*(inv as *const [T] as *const [f64]);
            sweeps_fma(r, x, inv);
        }
        return;
    }
    sweeps::<T, Plain>(r, x, inv)
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
    'static
    + Copy
    + Default
    + PartialEq
    + std::ops::Mul<Output = Self>
    + std::ops::SubAssign
    + std::ops::Sub<Output = Self>
    + std::ops::MulAssign
    + std::ops::Div<Output = Self>
{
    const ONE: Self;
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
    /// Row-oriented copy of the factors for the solve (rebuilt after each
    /// pivoting factorization, values gathered after each refactor).
    rows: RowFactors<T>,
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
            rows: RowFactors::default(),
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
        self.rows.valid = false;
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
        if !self.rows.valid {
            // SAFETY: live symbolic/numeric objects of this pattern.
            unsafe { self.rows.build(self.symbolic, self.numeric) };
        }
        self.rows.gather(&self.inv_udiag);
        if self.track_reuse {
            self.last.copy_from_slice(values);
            self.have_last = true;
        }
        Ok(())
    }

    /// Solve A x = b in place (b → x). Requires a successful `factor`.
    ///
    /// KLU's block back-substitution (blocks last to first; in each, L then
    /// U), run row by row on a row-oriented copy of the factors with the
    /// reciprocal pivots. On circuit matrices the sweeps are one long
    /// dependency chain (each unknown waits for its neighbour); row order
    /// keeps the running sum in a register and carries the neighbour's value
    /// (the `near` coefficient) without a round trip through memory, and no
    /// division sits in the chain. Measured in ARCHITECTURE.md.
    pub fn solve(&mut self, b: &mut [T]) -> Result<(), LuError> {
        debug_assert_eq!(b.len(), self.pattern.n);
        if self.numeric.is_null() || !self.rows.valid {
            return Err(LuError::Singular { col: None });
        }
        self.stats.solves += 1;
        let n = self.pattern.n;
        let r = &self.rows;
        let x = &mut self.work[..n];
        for (xk, &p) in x.iter_mut().zip(&r.pnum) {
            *xk = b[p as usize];
        }
        let inv = &self.inv_udiag[..n];
        sweeps_dispatch(r, x, inv);
        for (xk, &q) in x.iter().zip(&r.q) {
            b[q as usize] = *xk;
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
        self.rows.valid = false;
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

    /// A matrix with several BTF blocks (off-diagonal block entries), long
    /// rows and fill, real and complex, after a pivoting factorization and
    /// after refactors: the row sweeps must agree with A·x = b.
    #[test]
    fn row_sweeps_solve_block_triangular_systems() {
        // 7×7, reducible: rows/cols {0}, {1,2,3}, {4,5,6} couple one way only
        let mut a = [[0.0f64; 7]; 7];
        let entries = [
            (0, 0, 3.0),
            (0, 2, 1.0),
            (0, 5, -2.0),
            (1, 1, 4.0),
            (1, 2, 1.0),
            (1, 3, 2.0),
            (1, 6, 0.5),
            (2, 1, 1.0),
            (2, 2, 5.0),
            (2, 3, -1.0),
            (3, 1, 2.0),
            (3, 2, -1.0),
            (3, 3, 6.0),
            (3, 4, 1.0),
            (4, 4, 2.0),
            (4, 5, 1.0),
            (4, 6, 1.0),
            (5, 4, 1.0),
            (5, 5, 3.0),
            (5, 6, -1.0),
            (6, 4, 1.0),
            (6, 5, 1.0),
            (6, 6, 4.0),
        ];
        for &(r, c, v) in &entries {
            a[r][c] = v;
        }
        let rows: Vec<&[f64]> = a.iter().map(|r| &r[..]).collect();
        let (p, v0) = pattern_of(&rows);
        let xs = [1.0, -2.0, 0.5, 3.0, -1.5, 2.5, 0.25];
        let mut lu = Klu::<f64>::new(p.clone()).unwrap();
        let mut zlu = Klu::<Complex64>::new(p.clone()).unwrap();
        for scale in [1.0, 1.3, 0.7] {
            let mut v: Vec<f64> = v0.iter().map(|x| x * scale).collect();
            lu.factor(&mut v).unwrap();
            let mut b: Vec<f64> = (0..7)
                .map(|r| (0..7).map(|c| a[r][c] * scale * xs[c]).sum())
                .collect();
            lu.solve(&mut b).unwrap();
            for (x, e) in b.iter().zip(xs) {
                assert!((x - e).abs() < 1e-13, "{x} vs {e}");
            }
            let w = Complex64::new(0.3, -0.8);
            let mut zv: Vec<Complex64> = v.iter().map(|&x| x * w).collect();
            zlu.factor(&mut zv).unwrap();
            let mut zb: Vec<Complex64> = (0..7)
                .map(|r| (0..7).map(|c| a[r][c] * scale * xs[c] * w).sum())
                .collect();
            zlu.solve(&mut zb).unwrap();
            for (x, e) in zb.iter().zip(xs) {
                assert!((x - e).norm() < 1e-13, "{x} vs {e}");
            }
        }
        let (blocks, _, _) = lu.fill().unwrap();
        assert!(
            blocks >= 3,
            "the test matrix must have several BTF blocks: {blocks}"
        );
        assert!(lu.stats.refactor >= 2);
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
