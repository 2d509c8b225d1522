//! The parallel sweep executor.
//!
//! Every point is independent: a worker elaborates the netlist with the
//! point's parameter values, builds its own [`System`](crate::system::System)
//! (which is not `Sync`), runs every analysis and records the sink calls in a
//! [`PointRecord`]. The calling thread is the only one that touches the sink:
//! it receives the records as they finish, in any order, and replays them into
//! the sink in point order. Nothing is shared between points, so the results
//! are bit-identical for any number of workers and any completion order.
//!
//! Memory stays bounded: a worker only starts point `i` when `i` is less than
//! `written + window`, so at most `window` finished but unwritten points are
//! held, whatever the size of the sweep. The window is 4 × workers when the
//! points keep their waveforms (`--save all`), and 1024 points with `--save
//! measures` (or `none`), where a record holds only the measures: a writer
//! thread that the OS leaves waiting on a busy machine then does not stall the
//! workers.

use super::grid::Shard;
use crate::analysis::run::{run_circuit, AnalysisStats, PointCache};
use crate::diag::Diagnostic;
use crate::elab::{elaborate_mc, McSample};
use crate::netlist::ast::Netlist;
use crate::output::{AnalysisInfo, MeasureValue, PointLabels, PointStatus, Sink, StepInfo};
use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

/// What each point keeps in the output (`--save`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaveMode {
    /// Waveforms of every saved signal (`.save`/`.print`, default all), the
    /// measures and the status.
    #[default]
    All,
    /// No waveforms: only the measures (evaluated from the stream of
    /// points, which is not written) and the status. A few kB per point
    /// whatever the length of the transients.
    Measures,
    /// The same as `Measures` (`--save none`).
    None,
}

impl SaveMode {
    pub fn parse(s: &str) -> Result<SaveMode, String> {
        match s.to_ascii_lowercase().as_str() {
            "all" => Ok(SaveMode::All),
            "measures" => Ok(SaveMode::Measures),
            "none" => Ok(SaveMode::None),
            _ => Err(format!("--save {s}: expected none, measures or all")),
        }
    }
}

/// Options of a sweep (`spinspice run --jobs --save --shard`).
#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    pub save: SaveMode,
    pub shard: Option<Shard>,
    /// Set from any thread to stop the run (with or without a sweep): the
    /// analysis in progress ends with an "interrupted" error at its next
    /// output point, no further sweep point starts, and the sink is finished
    /// with `complete = false`.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The error of a run stopped through [`SweepOptions::cancel`].
pub fn interrupted() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "interrupted")
}

fn is_set(cancel: Option<&AtomicBool>) -> bool {
    cancel.is_some_and(|c| c.load(Ordering::Relaxed))
}

impl SweepOptions {
    /// Workers to use: `jobs`, or the number of cores.
    pub fn workers(&self) -> usize {
        if self.jobs > 0 {
            self.jobs
        } else {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }
    }
}

/// Progress of a sweep, driven from the thread that writes the output.
pub trait SweepProgress {
    fn begin(&mut self, total: usize);
    /// `done` points finished out of `total`, `failed` of them failed.
    fn point_done(&mut self, done: usize, failed: usize);
    fn end(&mut self);
    /// Called on the writing thread about ten times a second while it waits
    /// for points (a long point gives no `point_done`).
    fn tick(&mut self) {}
}

/// No progress display.
pub struct NoSweepProgress;
impl SweepProgress for NoSweepProgress {
    fn begin(&mut self, _: usize) {}
    fn point_done(&mut self, _: usize, _: usize) {}
    fn end(&mut self) {}
}

/// How to run one point.
pub struct PointJob<'a> {
    pub netlist: &'a Netlist,
    /// Parameter overrides (command line `--param` plus the point's swept params).
    pub overrides: Vec<(String, f64)>,
    /// Swept device values (`.step r1 list …`).
    pub device_values: Vec<(String, f64)>,
    /// The Monte Carlo sample of this point (`.step mc N`).
    pub mc: Option<McSample>,
    pub acct: bool,
    pub print_op: bool,
    pub save: SaveMode,
    /// Stops the point at its next output point when set.
    pub cancel: Option<&'a AtomicBool>,
}

/// Everything one point produced, waiting to be written.
#[derive(Debug, Default)]
pub struct PointRecord {
    pub events: Vec<Event>,
    pub status: Option<PointStatus>,
    pub failure: Option<Diagnostic>,
    /// Warnings of the point's analyses (e.g. an absurd operating point).
    pub warnings: Vec<Diagnostic>,
    /// Text for stdout (measures, operating points).
    pub report: Vec<u8>,
    pub measures: Vec<MeasureValue>,
    pub stats: Vec<AnalysisStats>,
    pub acct: bool,
    /// Wall time the worker spent on this point [s].
    pub busy: f64,
}

/// Timing of a sweep (`--stats`).
#[derive(Debug, Clone, Default)]
pub struct SweepStats {
    pub points: usize,
    pub workers: usize,
    /// Wall time of the whole sweep [s].
    pub wall: f64,
    /// Sum over points of the time a worker spent on them [s].
    pub busy: f64,
}

impl SweepStats {
    /// `name = value` lines.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("sweep points = {} on {} workers", self.points, self.workers),
            format!("sweep wall time [s] = {:.4}", self.wall),
            format!(
                "sweep worker busy time [s] = {:.4} (utilization {:.1} %)",
                self.busy,
                100.0 * self.busy / (self.workers.max(1) as f64 * self.wall.max(1e-12))
            ),
        ]
    }
}

/// A recorded sink call sequence of one analysis, or measures.
#[derive(Debug)]
pub enum Event {
    Analysis(Box<RecordedAnalysis>),
    Measures(Vec<MeasureValue>),
}

#[derive(Debug)]
pub struct RecordedAnalysis {
    pub info: AnalysisInfo,
    pub sweep: Vec<f64>,
    /// Row-major: `values[r * signals + s]`.
    pub values: Vec<f64>,
    pub imag: Option<Vec<f64>>,
    pub labels: Option<PointLabels>,
    /// `end_analysis` was called.
    pub ended: bool,
}

/// A sink that records the calls of one point (inside a worker).
struct Recorder<'a> {
    cancel: Option<&'a AtomicBool>,
    events: Vec<Event>,
    keep_waveforms: bool,
    /// The analysis being recorded is dropped (`--save none`).
    dropping: bool,
}

impl Sink for Recorder<'_> {
    fn begin_run(&mut self, _: &str, _: &str, _: Option<&StepInfo>) -> io::Result<()> {
        Ok(())
    }
    fn begin_point(&mut self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        self.dropping = !self.keep_waveforms;
        if !self.dropping {
            self.events.push(Event::Analysis(Box::new(RecordedAnalysis {
                info: info.clone(),
                sweep: Vec::new(),
                values: Vec::new(),
                imag: info.complex.then(Vec::new),
                labels: None,
                ended: false,
            })));
        }
        Ok(())
    }
    fn labels(&mut self, labels: &PointLabels) -> io::Result<()> {
        if !self.dropping {
            if let Some(Event::Analysis(a)) = self.events.last_mut() {
                a.labels = Some(labels.clone());
            }
        }
        Ok(())
    }
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        crate::interrupt::check()?;
        if is_set(self.cancel) {
            return Err(interrupted());
        }
        if self.dropping {
            return Ok(());
        }
        if let Some(Event::Analysis(a)) = self.events.last_mut() {
            a.sweep.push(sweep);
            a.values.extend_from_slice(values);
            if let (Some(dst), Some(src)) = (a.imag.as_mut(), imag) {
                dst.extend_from_slice(src);
            }
            Ok(())
        } else {
            Err(io::Error::other("point() outside an analysis"))
        }
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        if !self.dropping {
            if let Some(Event::Analysis(a)) = self.events.last_mut() {
                a.ended = true;
            }
        }
        self.dropping = false;
        Ok(())
    }
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        self.events.push(Event::Measures(values.to_vec()));
        Ok(())
    }
    fn end_point(&mut self, _: usize, _: &PointStatus) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// Replays a record into `sink` as point `index` (begin_point … end_point).
pub fn replay(sink: &mut dyn Sink, index: usize, rec: &PointRecord) -> io::Result<()> {
    sink.begin_point(index)?;
    replay_events(sink, &rec.events)?;
    let status = rec
        .status
        .clone()
        .unwrap_or_else(|| PointStatus::Failed("not run".into()));
    sink.end_point(index, &status)
}

/// Replays analyses and measures (no point brackets).
pub fn replay_events(sink: &mut dyn Sink, events: &[Event]) -> io::Result<()> {
    for ev in events {
        match ev {
            Event::Measures(m) => sink.measures(m)?,
            Event::Analysis(a) => {
                sink.begin_analysis(&a.info)?;
                let m = a.info.signals.len();
                for (r, &s) in a.sweep.iter().enumerate() {
                    let v = &a.values[r * m..(r + 1) * m];
                    let im = a.imag.as_ref().map(|im| &im[r * m..(r + 1) * m]);
                    sink.point(s, v, im)?;
                }
                if let Some(l) = &a.labels {
                    sink.labels(l)?;
                }
                if a.ended {
                    sink.end_analysis()?;
                }
            }
        }
    }
    Ok(())
}

/// Elaborates and runs one point; never panics (a panic inside the engine
/// becomes a failed point).
pub fn run_point(job: &PointJob, label: &str, cache: &mut PointCache) -> PointRecord {
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_point_inner(job, label, cache)
    }));
    match res {
        Ok(r) => r,
        Err(p) => {
            // whatever the panic left half-updated is not reused
            *cache = PointCache::default();
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            let msg = format!("internal error (panic): {msg}");
            PointRecord {
                status: Some(PointStatus::Failed(msg.clone())),
                failure: Some(Diagnostic::plain(msg)),
                ..Default::default()
            }
        }
    }
}

fn run_point_inner(job: &PointJob, label: &str, cache: &mut PointCache) -> PointRecord {
    use std::io::Write;
    let mut rec = PointRecord::default();
    let _ = writeln!(rec.report, "{label}");
    let mut c = match elaborate_mc(job.netlist, &job.overrides, job.mc) {
        Ok(c) => c,
        Err(errs) => {
            let e = errs
                .into_iter()
                .next()
                .unwrap_or_else(|| Diagnostic::plain("elaboration failed"));
            rec.status = Some(PointStatus::Failed(e.message.clone()));
            rec.failure = Some(e);
            return rec;
        }
    };
    c.options.acct |= job.acct;
    rec.acct = c.options.acct;
    for (name, v) in &job.device_values {
        if let Some(d) = c.devices.iter_mut().find(|d| d.name() == name) {
            if !d.set_sweep_value(*v) {
                let msg = format!("'{name}' cannot be stepped");
                rec.status = Some(PointStatus::Failed(msg.clone()));
                rec.failure = Some(Diagnostic::plain(msg));
                return rec;
            }
        }
    }
    let keep = job.save == SaveMode::All;
    let mut recorder = Recorder {
        cancel: job.cancel,
        events: Vec::new(),
        keep_waveforms: keep,
        dropping: false,
    };
    let mut report = std::mem::take(&mut rec.report);
    let mut prog = |_: f64| {};
    let r = run_circuit(
        c,
        &mut recorder,
        &mut report,
        &mut prog,
        job.print_op,
        &mut rec.measures,
        &mut rec.stats,
        &mut rec.warnings,
        cache,
    );
    rec.report = report;
    rec.events = recorder.events;
    match r {
        Ok(()) => rec.status = Some(PointStatus::Ok),
        Err(e) => {
            rec.status = Some(PointStatus::Failed(e.message.clone()));
            rec.failure = Some(e);
        }
    }
    rec
}

/// Shared scheduling state.
struct Sched {
    /// Next position (into the list of points) to hand out.
    next: usize,
    /// Positions written so far (all positions below are written).
    written: usize,
}

/// Runs `points` (indices into the grid) on `workers` rayon threads and
/// writes them into `sink` in order through `write`. `make_job(k)` gives the
/// job of point `k` and the line that announces it. Returns the records'
/// summaries through `on_written` (called in point order on this thread).
pub fn execute<'n>(
    points: &[usize],
    workers: usize,
    save: SaveMode,
    make_job: &(dyn Fn(usize) -> (PointJob<'n>, String) + Sync),
    on_written: &mut dyn FnMut(usize, PointRecord) -> io::Result<()>,
    progress: &mut dyn SweepProgress,
    stop: Option<&AtomicBool>,
) -> io::Result<SweepStats> {
    let start = std::time::Instant::now();
    let total = points.len();
    progress.begin(total);
    if total == 0 {
        progress.end();
        return Ok(SweepStats::default());
    }
    let workers = workers.clamp(1, total.min(512));
    let mut busy = 0.0;
    let window = match save {
        SaveMode::All => (4 * workers).max(8),
        SaveMode::Measures | SaveMode::None => 1024,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .stack_size(crate::limits::stack_bytes())
        .thread_name(|i| format!("sweep-{i}"))
        .build()
        .map_err(|e| io::Error::other(format!("cannot start the worker threads: {e}")))?;
    let sched = Mutex::new(Sched {
        next: 0,
        written: 0,
    });
    let cv = Condvar::new();
    let cancel = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, PointRecord)>();
    let mut result = Ok(());
    std::thread::scope(|s| {
        let (sched, cv, cancel) = (&sched, &cv, &cancel);
        s.spawn(move || {
            pool.scope(|ps| {
                for _ in 0..workers {
                    let tx = tx.clone();
                    let mut cache = PointCache::default();
                    ps.spawn(move |_| loop {
                        let pos = {
                            let Ok(mut st) = sched.lock() else { return };
                            loop {
                                if cancel.load(Ordering::Relaxed)
                                    || is_set(stop)
                                    || st.next >= total
                                {
                                    return;
                                }
                                if st.next < st.written + window {
                                    break;
                                }
                                st = match cv.wait(st) {
                                    Ok(g) => g,
                                    Err(_) => return,
                                };
                            }
                            st.next += 1;
                            st.next - 1
                        };
                        let (job, label) = make_job(points[pos]);
                        let t0 = std::time::Instant::now();
                        let mut rec = run_point(&job, &label, &mut cache);
                        rec.busy = t0.elapsed().as_secs_f64();
                        if tx.send((pos, rec)).is_err() {
                            return;
                        }
                    });
                }
                drop(tx);
            });
        });
        // The writer: this thread.
        let mut pending: BTreeMap<usize, PointRecord> = BTreeMap::new();
        let mut written = 0usize;
        let (mut done, mut failed) = (0usize, 0usize);
        while written < total {
            let got = rx.recv_timeout(Duration::from_millis(100));
            if is_set(stop) {
                result = Err(interrupted());
                break;
            }
            let (pos, rec) = match got {
                Ok(x) => x,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    progress.tick();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    result = Err(io::Error::other("a sweep worker stopped unexpectedly"));
                    break;
                }
            };
            done += 1;
            busy += rec.busy;
            if !matches!(rec.status, Some(PointStatus::Ok)) {
                failed += 1;
            }
            progress.point_done(done, failed);
            pending.insert(pos, rec);
            // A signal: stop before the next point (the ones written are committed).
            if let Err(e) = crate::interrupt::check() {
                result = Err(e);
                break;
            }
            while let Some(rec) = pending.remove(&written) {
                if let Err(e) = on_written(points[written], rec) {
                    result = Err(e);
                    break;
                }
                written += 1;
                if let Ok(mut st) = sched.lock() {
                    st.written = written;
                }
                cv.notify_all();
            }
            if result.is_err() {
                break;
            }
        }
        if result.is_err() {
            cancel.store(true, Ordering::Relaxed);
            cv.notify_all();
            // Let the workers finish their current point and stop.
            while rx.recv().is_ok() {}
        }
    });
    progress.end();
    result.map(|()| SweepStats {
        points: total,
        workers,
        wall: start.elapsed().as_secs_f64(),
        busy,
    })
}

/// Passes everything to the inner sink except, when `keep` is false, the
/// analyses (`--save none` in a run without sweep); fails every output
/// point once `cancel` is set.
pub struct DropWaveforms<'a> {
    inner: &'a mut dyn Sink,
    keep: bool,
    cancel: Option<Arc<AtomicBool>>,
}

impl<'a> DropWaveforms<'a> {
    pub fn new(inner: &'a mut dyn Sink, keep: bool) -> DropWaveforms<'a> {
        DropWaveforms {
            inner,
            keep,
            cancel: None,
        }
    }

    /// Stops the run at the next output point once `cancel` is set.
    pub fn with_cancel(mut self, cancel: Option<Arc<AtomicBool>>) -> DropWaveforms<'a> {
        self.cancel = cancel;
        self
    }
}

impl Sink for DropWaveforms<'_> {
    fn begin_run(&mut self, t: &str, n: &str, s: Option<&StepInfo>) -> io::Result<()> {
        self.inner.begin_run(t, n, s)
    }
    fn sweep(&mut self, info: &crate::output::SweepInfo) -> io::Result<()> {
        self.inner.sweep(info)
    }
    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        self.inner.begin_point(index)
    }
    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        if self.keep {
            self.inner.begin_analysis(info)
        } else {
            Ok(())
        }
    }
    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        crate::interrupt::check()?;
        if is_set(self.cancel.as_deref()) {
            return Err(interrupted());
        }
        if self.keep {
            self.inner.point(sweep, values, imag)
        } else {
            Ok(())
        }
    }
    fn end_analysis(&mut self) -> io::Result<()> {
        if self.keep {
            self.inner.end_analysis()
        } else {
            Ok(())
        }
    }
    fn labels(&mut self, labels: &PointLabels) -> io::Result<()> {
        if self.keep {
            self.inner.labels(labels)
        } else {
            Ok(())
        }
    }
    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        self.inner.measures(values)
    }
    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        self.inner.end_point(index, status)
    }
    fn finish(&mut self, complete: bool) -> io::Result<()> {
        self.inner.finish(complete)
    }
}
