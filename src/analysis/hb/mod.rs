//! Harmonic balance (`.hb`): the periodic or quasi-periodic steady state
//! of the circuit solved directly in the frequency domain.
//!
//! Flow: DC operating point → free-running oscillators' natural
//! frequencies and amplitudes from their devices ([`Device::oscillation`])
//! → frequency grid ([`grid`]) → the HB equations ([`problem`]) with the
//! sources' spectra → Newton ([`solve`]), with source-amplitude
//! continuation when plain Newton fails. Nothing here knows a device type.
//!
//! [`Device::oscillation`]: crate::devices::Device::oscillation

pub mod direct;
pub mod floquet;
pub mod grid;
pub mod linear;
pub mod output;
pub mod problem;
pub mod solve;
pub mod transform;

use super::newton::{Newton, NewtonError};
use super::op::{dc_ctx, operating_point};
use crate::system::{Mode, System};
use grid::{Grid, ToneSpec};
use num_complex::Complex64;
use problem::{Problem, Scratch};
use solve::{Auto, Method, SolveError, Solver, Stats};

/// `.options hbint …` (Xyce names; `oversample`, `method`, `maxharmonics`,
/// `maxiter` are spinspice's).
#[derive(Debug, Clone, PartialEq)]
pub struct HbOptions {
    /// Harmonics per tone (`numfreq`, Xyce's default 10) and per-tone
    /// overrides `numfreq<k>` (1-based tone index).
    pub numfreq: usize,
    pub numfreq_tone: Vec<(usize, usize)>,
    /// `intmodmax`; None: the largest numfreq when there are several tones.
    pub intmodmax: Option<usize>,
    pub startup_periods: usize,
    pub oversample: f64,
    pub method: Option<Method>,
    pub max_harmonics: usize,
    pub max_iter: usize,
    /// `maxmemory` [bytes], default 8 GiB.
    pub max_memory: f64,
}

impl Default for HbOptions {
    fn default() -> HbOptions {
        HbOptions {
            numfreq: 10,
            numfreq_tone: Vec::new(),
            intmodmax: None,
            startup_periods: 0,
            oversample: 1.5,
            method: None,
            max_harmonics: 200_000,
            max_iter: 50,
            max_memory: 8.0 * (1u64 << 30) as f64,
        }
    }
}

impl HbOptions {
    /// The spec of `.hb` with these tones and oscillators.
    pub fn spec(&self, tones: Vec<f64>, osc: Vec<String>) -> HbSpec {
        let nt = tones.len() + osc.len();
        let numfreq: Vec<usize> = (0..nt)
            .map(|k| {
                self.numfreq_tone
                    .iter()
                    .rev()
                    .find(|t| t.0 == k + 1)
                    .map_or(self.numfreq, |t| t.1)
            })
            .collect();
        let intmodmax = self
            .intmodmax
            .or_else(|| (nt > 1).then(|| numfreq.iter().copied().max().unwrap_or(1)));
        HbSpec {
            tones,
            osc,
            numfreq,
            intmodmax,
            startup_periods: self.startup_periods,
            oversample: self.oversample,
            method: self.method,
            max_harmonics: self.max_harmonics,
            max_iter: self.max_iter,
            max_memory: self.max_memory,
        }
    }
}

/// `.hb` with its options, evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct HbSpec {
    /// Driven tones [Hz].
    pub tones: Vec<f64>,
    /// Free-running oscillators (`OSC=`): device names.
    pub osc: Vec<String>,
    /// Harmonics kept per tone (driven tones, then oscillators).
    pub numfreq: Vec<usize>,
    /// Largest Σ|k_j| of a kept mix product (None: box truncation).
    pub intmodmax: Option<usize>,
    /// Periods of a transient run first for the initial guess (0: none).
    pub startup_periods: usize,
    /// S ≥ oversample·(2M + 1) samples for the largest bin M.
    pub oversample: f64,
    /// Solver of the Newton step (None: by size).
    pub method: Option<Method>,
    /// Bound on the number of kept harmonics (memory).
    pub max_harmonics: usize,
    /// Newton iteration limit per solve.
    pub max_iter: usize,
    /// Largest working set [bytes] the analysis may plan for.
    pub max_memory: f64,
}

/// The steady state found.
pub struct HbResult {
    pub grid: Grid,
    /// Fundamental angular frequencies [rad/s] (autonomous ones solved).
    pub w: Vec<f64>,
    /// Spectra X_h of every unknown (harmonic-major, n per harmonic).
    pub x: Vec<Complex64>,
    pub method: Method,
    pub stats: Stats,
    /// Source-amplitude continuation steps taken (0: plain Newton).
    pub continuation: usize,
    /// Notes for the user (oscillators not oscillating, dropped lines).
    pub notes: Vec<String>,
}

pub enum HbError {
    Op(NewtonError),
    /// The analysis cannot be set up (message).
    Setup(String),
    /// Newton failed: the error, the source scale reached (1 = full
    /// excitation), a description of the harmonic the error names, and the
    /// last iterate (kept in the output, marked incomplete).
    Solve {
        err: SolveError,
        lambda: f64,
        harmonic: String,
        partial: Box<HbResult>,
    },
}

/// Run the analysis on `sys` (built from the circuit).
///
/// With driven tones, the driven steady state is solved first with every
/// oscillator at rest (a periodic solution too, unstable above threshold);
/// the `OSC=` oscillators that oscillate at its DC state (their devices
/// say so, [`Device::oscillation`]) then become autonomous tones, and the
/// steady state is solved again from the driven one with the oscillations
/// seeded. Without driven tones the oscillators are judged at the
/// operating point.
///
/// [`Device::oscillation`]: crate::devices::Device::oscillation
pub fn harmonic_balance(
    sys: &mut System,
    spec: &HbSpec,
    reuse: &mut Reuse,
) -> Result<HbResult, HbError> {
    let n = sys.n;
    let mut ws = sys.workspace();
    let mut nt =
        Newton::new(sys).map_err(|_| HbError::Op(NewtonError::Singular { unknown: None }))?;
    let mut xdc = vec![0.0; n + 1];
    for d in &sys.devices {
        d.init_unknowns(&mut xdc);
    }
    operating_point(sys, &mut ws, &mut nt, &mut xdc, Mode::Dc, &[], &[]).map_err(HbError::Op)?;
    let mut notes = Vec::new();
    let record = if spec.startup_periods > 0 {
        Some(startup(sys, spec)?)
    } else {
        None
    };
    let nf = |k: usize| spec.numfreq.get(k).copied().unwrap_or(1);
    let driven: Vec<ToneSpec> = spec
        .tones
        .iter()
        .enumerate()
        .map(|(k, &f)| ToneSpec {
            freq: f,
            harmonics: nf(k),
            autonomous: false,
        })
        .collect();
    let first = if driven.is_empty() {
        None
    } else {
        Some(stage(
            sys,
            spec,
            &driven,
            &[],
            Start {
                xdc: &xdc,
                prev: None,
                record: record.as_ref(),
            },
            &mut notes,
            reuse,
        )?)
    };
    let at = match &first {
        Some(r) => dc_state(r, n),
        None => xdc.clone(),
    };
    let mut autos = Vec::new();
    for (k, name) in spec.osc.iter().enumerate() {
        let d = sys
            .by_name
            .get(name)
            .copied()
            .ok_or_else(|| HbError::Setup(format!("OSC={name}: no such device")))?;
        match sys.devices[d].oscillation(&at) {
            Some(o) => autos.push((nf(driven.len() + k), o)),
            None => notes.push(format!(
                "oscillator '{name}' does not oscillate in the steady state (below \
                 threshold, or not an oscillator): it is solved at rest"
            )),
        }
    }
    match first {
        Some(mut r) if autos.is_empty() => {
            r.notes = notes;
            Ok(r)
        }
        None if autos.is_empty() => {
            // every oscillator at rest: the steady state is DC alone
            let mut r = stage(
                sys,
                spec,
                &[],
                &[],
                Start {
                    xdc: &xdc,
                    prev: None,
                    record: None,
                },
                &mut notes,
                reuse,
            )?;
            r.notes = notes;
            Ok(r)
        }
        prev => stage(
            sys,
            spec,
            &driven,
            &autos,
            Start {
                xdc: &xdc,
                prev: prev.as_ref(),
                record: record.as_ref(),
            },
            &mut notes,
            reuse,
        )
        .map(|mut r| {
            r.notes = notes;
            if let Some(p) = &prev {
                r.stats.add(&p.stats);
                r.continuation += p.continuation;
            }
            r
        }),
    }
}

/// The DC harmonic of a result as an unknown vector (1-based).
fn dc_state(r: &HbResult, n: usize) -> Vec<f64> {
    let mut x = vec![0.0; n + 1];
    for (xu, ru) in x[1..].iter_mut().zip(&r.x) {
        *xu = ru.re;
    }
    x
}

/// Where a stage starts: the operating point `xdc`, a previous result on
/// the driven tones alone, the startup transient's record.
#[derive(Clone, Copy)]
struct Start<'a> {
    xdc: &'a [f64],
    prev: Option<&'a HbResult>,
    record: Option<&'a Record>,
}

/// One solve on the grid of the driven tones and the oscillators `autos`
/// (harmonics, natural oscillation), from `prev` (a result on the driven
/// tones alone) or from the operating point `xdc`.
fn stage(
    sys: &mut System,
    spec: &HbSpec,
    driven: &[ToneSpec],
    autos: &[(usize, crate::devices::Oscillation)],
    start: Start,
    notes: &mut Vec<String>,
    reuse: &mut Reuse,
) -> Result<HbResult, HbError> {
    let Start { xdc, prev, record } = start;
    let n = sys.n;
    let mut tones = driven.to_vec();
    tones.extend(autos.iter().map(|(h, o)| ToneSpec {
        freq: o.freq,
        harmonics: *h,
        autonomous: true,
    }));
    let grid = if tones.is_empty() {
        Grid::dc_only()
    } else {
        Grid::new(&tones, spec.intmodmax, spec.oversample, spec.max_harmonics)
            .map_err(HbError::Setup)?
    };
    if grid.fund.len() > 1 {
        if let Some(d) = sys.devices.iter().find(|d| d.uses_time()) {
            return Err(HbError::Setup(format!(
                "'{}' depends on time itself, which has no meaning on a quasi-periodic \
                 (several-tone) steady state: give the tones as harmonics of one frequency",
                d.name()
            )));
        }
    }
    if std::env::var_os("SPINSPICE_HB_DEBUG").is_some() {
        eprintln!(
            "hb grid: {} fundamentals {:?}, lambda {:?}, {} harmonics, S = {}, bins {:?}",
            grid.fund.len(),
            grid.fund,
            grid.lambda,
            grid.len(),
            grid.samples,
            grid.bin
        );
    }
    check_memory(sys, &grid, spec)?;
    let cx = dc_ctx(sys, Mode::Hb);
    let mut p = Problem::new(sys, grid, xdc, cx, std::mem::take(&mut reuse.scratch));
    let (rf, periodic) = excitation(&mut p, notes)?;
    if !periodic && autos.is_empty() && !tones.is_empty() {
        return Err(HbError::Setup(
            "nothing periodic: no source has a component at the .hb tones".into(),
        ));
    }
    let mut x = match record {
        Some(rec) => rec.spectra(&p),
        None => initial(&p, xdc, prev),
    };
    let mut auto = Vec::new();
    for (a, (_, osc)) in autos.iter().enumerate() {
        let f = p.grid.tone_fund[driven.len() + a].0;
        let h = p.grid.fundamental_harmonic(f).ok_or_else(|| {
            HbError::Setup("an oscillator's fundamental is not among the kept harmonics".into())
        })?;
        if record.is_none() {
            seed(&mut x, n, h, osc);
        }
        auto.push(Auto {
            fund: f,
            probe: osc.probe - 1,
            harmonic: h,
        });
    }
    let seeded = if prev.is_none() && record.is_none() {
        seed_locked(&mut p, &mut x, spec, xdc, notes)
    } else {
        Vec::new()
    };
    let method = spec.method.unwrap_or_else(|| choose_method(&p));
    let result = |p: &Problem, x: Vec<Complex64>, stats: Stats, steps: usize| HbResult {
        w: p.w.clone(),
        grid: p.grid.clone(),
        x,
        method,
        stats,
        continuation: steps,
        notes: Vec::new(),
    };
    let mut solver = match Solver::reuse(reuse.solver.take(), &p, &auto, method) {
        Ok(s) => s,
        Err(err) => {
            let e = HbError::Solve {
                harmonic: describe(&p, &err),
                err,
                lambda: 0.0,
                partial: Box::new(result(&p, x, Stats::default(), 0)),
            };
            reuse.scratch = p.into_scratch();
            return Err(e);
        }
    };
    scan_phases(&mut p, &mut solver, &mut x, &seeded);
    let x0 = x.clone();
    let w0 = p.w.clone();
    // source-amplitude continuation only where the excitation is what
    // makes the problem hard: not once oscillators are seeded
    let mut outcome = match solver.newton(&mut p, &mut x, spec.max_iter) {
        Ok(_) => Ok(0),
        Err(err) if !rf || !autos.is_empty() || !seeded.is_empty() => Err((err, 1.0)),
        Err(_) => {
            x.copy_from_slice(&x0);
            p.w.copy_from_slice(&w0);
            p.set_frequencies();
            continuation(&mut p, &mut solver, &mut x, spec.max_iter)
        }
    };
    // A locked oscillator: HB also converges to the unstable lock (and
    // Newton may not reach the stable one near the edge of the locking
    // range): keep a stable solution, else settle the lock with a startup
    // transient long enough for the slowest Floquet mode found.
    if !seeded.is_empty() {
        let growth = match &outcome {
            Ok(_) => floquet::max_growth(&mut p, &mut solver, &x, 24),
            Err(_) => None,
        };
        // growth below 1e-9 of the drive's angular frequency is rounding
        let w1 = p.w[0];
        let unstable = move |g: f64| g > 1e-9 * w1;
        if growth.is_none_or(unstable) {
            let f = p.w[0] / (2.0 * std::f64::consts::PI);
            let periods = growth
                .map_or(2000.0, |g| (20.0 * f / g).ceil())
                .clamp(100.0, 20_000.0);
            notes.push(format!(
                "the oscillator's lock was settled by a startup transient of {periods} periods \
                 (the first locked state found {})",
                match growth {
                    Some(g) => format!("is unstable: Floquet exponent {g:.3e} 1/s"),
                    None => "did not converge".to_string(),
                }
            ));
            let spec2 = HbSpec {
                startup_periods: periods as usize,
                ..spec.clone()
            };
            let rec = startup(p.sys, &spec2)?;
            x = rec.spectra(&p);
            outcome = solver
                .newton(&mut p, &mut x, spec.max_iter)
                .map(|_| 0)
                .map_err(|e| (e, 1.0));
            if outcome.is_ok()
                && floquet::max_growth(&mut p, &mut solver, &x, 24).is_some_and(unstable)
            {
                notes.push("the locked state reached is unstable (a Floquet exponent has a positive real part)".into());
            }
        }
    }
    let out = match outcome {
        Ok(steps) => Ok(result(&p, x, solver.stats, steps)),
        Err((err, lambda)) => Err(HbError::Solve {
            harmonic: describe(&p, &err),
            err,
            lambda,
            partial: Box::new(result(&p, x, solver.stats, 0)),
        }),
    };
    reuse.scratch = p.into_scratch();
    reuse.solver = Some(solver);
    out
}

/// What one worker keeps between the harmonic-balance points it solves
/// (the points of a sweep): the solver (its preconditioner's symbolic
/// analysis and factors, reused while they fit, [`Solver::reuse`]) and the
/// sample and spectrum buffers of the equations. Holding them spares the
/// allocation, page faulting and factoring of every point.
#[derive(Default)]
pub struct Reuse {
    solver: Option<Solver>,
    scratch: Scratch,
}

/// The end of a startup transient (Xyce's `startupperiods`): the
/// accepted points of its last period of the slowest tone.
struct Record {
    /// Window [t0, t0 + period].
    t0: f64,
    period: f64,
    times: Vec<f64>,
    /// Unknowns at each time (1-based vectors).
    xs: Vec<Vec<f64>>,
}

impl Record {
    /// Initial spectra on `p`'s grid: the Fourier integral of the window
    /// at each harmonic's frequency, (2/T)∫x(t)e^{−jω_h t}dt (1/T at DC),
    /// trapezoidal over the accepted points. Exact up to the transient's
    /// own error for one fundamental; an estimate otherwise.
    fn spectra(&self, p: &Problem) -> Vec<Complex64> {
        let n = p.n;
        let mut x = vec![Complex64::default(); p.nh * n];
        for h in 0..p.nh {
            let w = p.omega[h];
            let scale = if h == 0 { 1.0 } else { 2.0 } / self.period;
            for k in 1..self.times.len() {
                let (ta, tb) = (self.times[k - 1], self.times[k]);
                let (ea, eb) = (
                    Complex64::from_polar(1.0, -w * ta),
                    Complex64::from_polar(1.0, -w * tb),
                );
                let dt = 0.5 * (tb - ta) * scale;
                for u in 0..n {
                    x[h * n + u] += dt * (self.xs[k - 1][u + 1] * ea + self.xs[k][u + 1] * eb);
                }
            }
        }
        for v in x[..n].iter_mut() {
            v.im = 0.0;
        }
        let _ = self.t0;
        x
    }
}

/// Run the startup transient: `startup_periods` periods of the slowest
/// tone (driven or an oscillator's natural frequency at the operating
/// point), 200 steps per period at most.
fn startup(sys: &mut System, spec: &HbSpec) -> Result<Record, HbError> {
    let fmin = spec.tones.iter().copied().fold(f64::INFINITY, f64::min);
    let fmin = if fmin.is_finite() {
        fmin
    } else {
        // free-running only: the oscillators' natural frequencies
        let n = sys.n;
        let mut x = vec![0.0; n + 1];
        sys.devices.iter().for_each(|d| d.init_unknowns(&mut x));
        spec.osc
            .iter()
            .filter_map(|o| sys.by_name.get(o))
            .filter_map(|&d| sys.devices[d].oscillation(&x))
            .map(|o| o.freq)
            .fold(f64::INFINITY, f64::min)
    };
    if !fmin.is_finite() {
        return Err(HbError::Setup(
            "startupperiods: no tone to measure the periods by".into(),
        ));
    }
    let period = 1.0 / fmin;
    let tstop = period * spec.startup_periods as f64;
    let t0 = tstop - period;
    let tspec = super::tran::TranSpec {
        tstep: period / 200.0,
        tstop,
        tstart: 0.0,
        tmax: Some(period / 200.0),
        uic: false,
    };
    let mut rec = Record {
        t0,
        period,
        times: Vec::new(),
        xs: Vec::new(),
    };
    let mut cb = |_: &System, t: f64, x: &[f64], _: &crate::system::LoadCtx| {
        if t >= t0 * (1.0 - 1e-12) {
            rec.times.push(t);
            rec.xs.push(x.to_vec());
        }
        Ok(())
    };
    super::tran::transient(sys, &tspec, &[], &[], &mut cb, &mut |_| {})
        .map_err(|e| HbError::Setup(format!("the startup transient failed: {e:?}")))?;
    Ok(rec)
}

/// The initial spectra: `prev`'s lines at the same driven frequencies,
/// else the operating point at DC.
fn initial(p: &Problem, xdc: &[f64], prev: Option<&HbResult>) -> Vec<Complex64> {
    let n = p.n;
    let mut x = vec![Complex64::default(); p.nh * n];
    let Some(prev) = prev else {
        for u in 0..n {
            x[u] = Complex64::new(xdc[u + 1], 0.0);
        }
        return x;
    };
    x[..n].copy_from_slice(&prev.x[..n]);
    let whz: Vec<f64> = p.grid.fund.iter().map(|f| f.freq).collect();
    let whz_prev: Vec<f64> = prev.grid.fund.iter().map(|f| f.freq).collect();
    for h in 1..p.nh {
        let k = p.grid.k(h);
        if k.iter()
            .zip(&p.grid.fund)
            .any(|(&c, f)| c != 0 && f.autonomous)
        {
            continue;
        }
        let f = p.grid.omega(h, &whz);
        let Some((hp, conj)) = prev.grid.find(f.abs(), &whz_prev) else {
            continue;
        };
        let flip = conj != (f < 0.0);
        for u in 0..n {
            let v = prev.x[hp * n + u];
            x[h * n + u] = if flip { v.conj() } else { v };
        }
    }
    x
}

/// Refuse a grid whose working set would exceed `maxmemory` (estimated
/// before anything is allocated): the Krylov basis (GMRES(40) over
/// 2·n·H reals), one complex LU per harmonic (≈ 4× the circuit's
/// nonzeros), and the time samples of the circuit's nonzeros.
fn check_memory(sys: &System, grid: &Grid, spec: &HbSpec) -> Result<(), HbError> {
    let (n, nh, s) = (sys.n as f64, grid.len() as f64, grid.samples as f64);
    let nnz = sys.nnz() as f64;
    let bytes = 8.0 * (2.0 * n * nh * 50.0 + 2.0 * 4.0 * nnz * nh + 4.0 * nnz * s);
    if bytes > spec.max_memory {
        let size = |b: f64| {
            if b >= (1u64 << 30) as f64 {
                format!("{:.1} GiB", b / (1u64 << 30) as f64)
            } else if b >= (1u64 << 20) as f64 {
                format!("{:.1} MiB", b / (1u64 << 20) as f64)
            } else {
                format!("{b:.0} bytes")
            }
        };
        return Err(HbError::Setup(format!(
            "harmonic balance would need about {} ({} unknowns × {} harmonics, {} time \
             samples): lower numfreq or intmodmax, or raise .options hbint maxmemory= (now {})",
            size(bytes),
            sys.n,
            grid.len(),
            grid.samples,
            size(spec.max_memory)
        )));
    }
    Ok(())
}

/// The harmonic a solve error names: its frequency and tone indices.
fn describe(p: &Problem, err: &SolveError) -> String {
    let h = match err {
        SolveError::NoConvergence { harmonic, .. } => Some(*harmonic),
        SolveError::Singular { harmonic, .. } => *harmonic,
        SolveError::Eval(_) => None,
    };
    match h {
        Some(h) if h < p.nh => {
            let f = p.omega[h].abs() / (2.0 * std::f64::consts::PI);
            let k: Vec<String> = p
                .grid
                .tone_indices(h)
                .iter()
                .map(|k| k.to_string())
                .collect();
            if h == 0 {
                "DC".to_string()
            } else {
                format!("harmonic {h} ({f:.6e} Hz, tone indices ({}))", k.join(", "))
            }
        }
        _ => String::new(),
    }
}

/// Put the sources' spectral lines into `p.b`. Returns whether any source
/// has a nonzero line above DC in the grid, and whether any has a line
/// there at all (a sine of zero amplitude is periodic too: a sweep of the
/// input power through 0 stays one analysis).
fn excitation(p: &mut Problem, notes: &mut Vec<String>) -> Result<(bool, bool), HbError> {
    let n = p.n;
    let whz: Vec<f64> = p.grid.fund.iter().map(|f| f.freq).collect();
    let fmax = (0..p.nh)
        .map(|h| p.grid.omega(h, &whz).abs())
        .fold(0.0, f64::max)
        * (1.0 + 1e-9);
    let (mut rf, mut periodic) = (false, false);
    let srcs = p.sys.sources_idx.clone();
    for k in srcs {
        let dev = &p.sys.devices[k];
        let mut lines: Vec<(usize, f64, Complex64)> = Vec::new();
        dev.stamp_hb(fmax, &mut |row, f, v| lines.push((row, f, v)))
            .map_err(|why| HbError::Setup(format!("source '{}': {why}", dev.name())))?;
        let (mut kept, mut dropped, mut big) = (0usize, 0usize, 0.0f64);
        let peak = lines.iter().map(|l| l.2.norm()).fold(0.0, f64::max);
        for (row, f, v) in lines {
            if row == 0 {
                continue;
            }
            if f == 0.0 {
                p.b[row - 1] += Complex64::new(v.re, 0.0);
                continue;
            }
            if v.norm() == 0.0 {
                periodic |= p.grid.find(f, &whz).is_some();
                continue;
            }
            match p.grid.find(f, &whz) {
                Some((h, conj)) => {
                    p.b[h * n + row - 1] += if conj { v.conj() } else { v };
                    kept += 1;
                }
                None => {
                    dropped += 1;
                    big = big.max(v.norm());
                }
            }
        }
        let name = dev.name().to_string();
        if dropped > 0 && kept == 0 {
            return Err(HbError::Setup(format!(
                "source '{name}' has no spectral line at the .hb tones or their mix \
                 products (add its frequency as a tone)"
            )));
        }
        if dropped > 0 {
            notes.push(format!(
                "source '{name}': {dropped} spectral lines beyond the kept harmonics were \
                 left out (the largest {:.2e} of its peak line)",
                big / peak
            ));
        }
        rf |= kept > 0;
    }
    Ok((rf, rf || periodic))
}

fn seed(x: &mut [Complex64], n: usize, h: usize, osc: &crate::devices::Oscillation) {
    for &(u, dc, ph) in &osc.unknowns {
        x[u - 1] = Complex64::new(dc, 0.0);
        x[h * n + u - 1] = ph;
    }
}

/// Oscillators not declared with OSC= start at the driven harmonic nearest
/// their natural frequency (within 10 %): the injection-locked state.
fn seed_locked(
    p: &mut Problem,
    x: &mut [Complex64],
    spec: &HbSpec,
    xdc: &[f64],
    notes: &mut Vec<String>,
) -> Vec<(usize, crate::devices::Oscillation)> {
    let mut seeded = Vec::new();
    let n = p.n;
    let whz: Vec<f64> = p.grid.fund.iter().map(|f| f.freq).collect();
    for d in p.sys.devices.iter() {
        if spec.osc.iter().any(|o| o == d.name()) {
            continue;
        }
        let Some(osc) = d.oscillation(xdc) else {
            continue;
        };
        let best = (1..p.nh)
            .filter(|&h| {
                p.grid
                    .k(h)
                    .iter()
                    .zip(&p.grid.fund)
                    .all(|(&k, f)| k == 0 || !f.autonomous)
            })
            .map(|h| (h, (p.grid.omega(h, &whz).abs() - osc.freq).abs()))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((h, df)) if df <= 0.1 * osc.freq => {
                let conj = p.grid.omega(h, &whz) < 0.0;
                let mut o = osc.clone();
                if conj {
                    o.unknowns.iter_mut().for_each(|u| u.2 = u.2.conj());
                }
                seed(x, n, h, &o);
                seeded.push((h, o));
            }
            _ => notes.push(format!(
                "oscillator '{}' (natural frequency {:.6e} Hz) is not declared with OSC= \
                 and no harmonic is within 10 % of its frequency: it is solved as locked \
                 to nothing (its oscillation may be lost)",
                d.name(),
                osc.freq
            )),
        }
    }
    seeded
}

/// The phase of an injection-locked oscillator is set by the drive, and
/// Newton converges only from near it: for each seeded oscillator in turn,
/// 8 phases are tried and ranked by the size of their first Newton
/// correction; the oscillators are left at their best phase.
fn scan_phases(
    p: &mut Problem,
    solver: &mut Solver,
    x: &mut [Complex64],
    seeded: &[(usize, crate::devices::Oscillation)],
) {
    let n = p.n;
    for (h, osc) in seeded {
        let mut ranked: Vec<(f64, Complex64)> = (0..PHASES)
            .map(|k| {
                let rot = Complex64::from_polar(
                    1.0,
                    k as f64 * 2.0 * std::f64::consts::PI / PHASES as f64,
                );
                rotate(x, n, *h, osc, rot);
                (solver.correction_norm(p, x).unwrap_or(f64::INFINITY), rot)
            })
            .collect();
        if std::env::var_os("SPINSPICE_HB_DEBUG").is_some() {
            for (v, r) in &ranked {
                eprintln!(
                    "phase {:.0} deg: first correction {v:.3e}",
                    r.arg().to_degrees()
                );
            }
        }
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        rotate(x, n, *h, osc, ranked[0].1);
    }
}

/// Phases tried for a locked oscillator.
const PHASES: usize = 16;

/// Seed an oscillator's unknowns at harmonic h with its phasors times `rot`.
fn rotate(
    x: &mut [Complex64],
    n: usize,
    h: usize,
    osc: &crate::devices::Oscillation,
    rot: Complex64,
) {
    for &(u, _, ph) in &osc.unknowns {
        x[h * n + u - 1] = ph * rot;
    }
}

/// Direct LU while the assembled Jacobian stays small, else Newton–Krylov.
fn choose_method(p: &Problem) -> Method {
    let np = (2 * p.nh - 1) as f64;
    // dense blocks of the nonlinear coupling dominate the direct cost
    let coupled = p.pat.reads.len() as f64 * np;
    if coupled <= 200.0 && (p.n as f64) * np <= 20_000.0 {
        Method::Direct
    } else {
        Method::Krylov
    }
}

/// Source-amplitude continuation: the RF excitation scaled from 0 (the
/// operating point and free oscillations) to 1 in adaptive steps. Returns
/// the number of steps.
fn continuation(
    p: &mut Problem,
    solver: &mut Solver,
    x: &mut [Complex64],
    max_iter: usize,
) -> Result<usize, (SolveError, f64)> {
    p.lambda = 0.0;
    solver.newton(p, x, max_iter).map_err(|err| (err, 0.0))?;
    let (mut lam, mut step, mut steps) = (0.0f64, 0.25f64, 0usize);
    let mut good = x.to_vec();
    let mut good_w = p.w.clone();
    while lam < 1.0 {
        let target = (lam + step).min(1.0);
        p.lambda = target;
        steps += 1;
        match solver.newton(p, x, max_iter) {
            Ok(_) => {
                lam = target;
                good.copy_from_slice(x);
                good_w.copy_from_slice(&p.w);
                step = (step * 1.5).min(0.5);
            }
            Err(err) => {
                x.copy_from_slice(&good);
                p.w.copy_from_slice(&good_w);
                p.set_frequencies();
                step *= 0.25;
                if step < 1e-4 || steps > 200 {
                    p.lambda = lam;
                    return Err((err, lam));
                }
            }
        }
    }
    Ok(steps)
}
