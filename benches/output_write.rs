//! Write throughput of the result writers (no simulation: synthetic points).
//!
//! ```text
//! cargo bench --bench output_write -- [h5|csv|raw] SIGNALS POINTS [BUFFER_MIB]
//! cargo bench --bench output_write -- steps [h5|csv|raw] SIGNALS STEP_POINTS
//! cargo bench --bench output_write            # the standard table
//! ```
//!
//! Prints, per case, the wall time of the whole run (create → finish), the
//! file size and the peak resident memory of the process so far (VmHWM; run
//! one case per process to read it per case). `SPINSPICE_BENCH_DIR=dir` keeps
//! the files.
use spinspice::output::hdf5::Hdf5Sink;
use spinspice::output::{open_sink, AnalysisInfo, AnalysisKind, SignalInfo, Sink};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

/// `$SPINSPICE_BENCH_DIR` (kept for inspection) or the temporary `dir`.
fn out_dir(dir: &tempfile::TempDir) -> std::path::PathBuf {
    std::env::var_os("SPINSPICE_BENCH_DIR")
        .map(Into::into)
        .unwrap_or_else(|| dir.path().to_path_buf())
}

fn run(format: &str, signals: usize, points: usize, budget_mib: Option<usize>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = out_dir(&dir).join(format!("bench.{format}"));
    let info = AnalysisInfo {
        kind: AnalysisKind::Tran,
        sweep: SignalInfo::new("time", "s"),
        signals: (0..signals)
            .map(|k| SignalInfo::new(format!("v(n{k})"), "V"))
            .collect(),
        complex: false,
    };
    let t0 = Instant::now();
    let mut sink: Box<dyn Sink> = match (format, budget_mib) {
        ("h5", Some(mib)) => {
            let mut s = Hdf5Sink::create(&path).expect("create");
            s.set_buffer_budget(mib << 20);
            Box::new(s)
        }
        _ => open_sink(&path).expect("create"),
    };
    sink.begin_run("bench", "bench\n.end\n", None)
        .expect("begin");
    sink.begin_analysis(&info).expect("analysis");
    let mut row = vec![0.0; signals];
    for i in 0..points {
        for (k, v) in row.iter_mut().enumerate() {
            *v = (i as f64) * 1e-3 + k as f64;
        }
        sink.point(i as f64 * 1e-12, &row, None).expect("point");
    }
    sink.end_analysis().expect("end");
    sink.finish(true).expect("finish");
    drop(sink);
    let dt = t0.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mb = (signals + 1) as f64 * points as f64 * 8.0 / 1e6;
    println!(
        "{format:>4} {signals:>6} signals x {points:>8} points: {:>8.2} s  ({:>7.1} MB/s of f64)  file {:>8.1} MB  peak RSS {:>7.1} MiB{}",
        dt.as_secs_f64(),
        mb / dt.as_secs_f64(),
        size as f64 / 1e6,
        peak_rss_mib(),
        match budget_mib {
            Some(m) => format!("  (buffer {m} MiB)"),
            None => String::new(),
        }
    );
}

/// A `.step` run: `points` step points, each an operating point and a
/// 100-point transient of `signals` signals, plus one measure.
fn run_steps(format: &str, signals: usize, points: usize) {
    use spinspice::output::{MeasureValue, PointStatus, StepInfo};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = out_dir(&dir).join(format!("steps.{format}"));
    let steps = StepInfo {
        params: vec!["r1".into()],
        values: (0..points).map(|k| vec![k as f64]).collect(),
    };
    let sigs: Vec<SignalInfo> = (0..signals)
        .map(|k| SignalInfo::new(format!("v(n{k})"), "V"))
        .collect();
    let op = AnalysisInfo {
        kind: AnalysisKind::Op,
        sweep: SignalInfo::new("point", ""),
        signals: sigs.clone(),
        complex: false,
    };
    let tran = AnalysisInfo {
        kind: AnalysisKind::Tran,
        sweep: SignalInfo::new("time", "s"),
        signals: sigs,
        complex: false,
    };
    let t0 = Instant::now();
    let mut sink = open_sink(&path).expect("create");
    sink.begin_run("bench", "bench\n.end\n", Some(&steps))
        .expect("begin");
    let row = vec![1.0; signals];
    for k in 0..points {
        sink.begin_point(k).expect("point");
        sink.begin_analysis(&op).expect("op");
        sink.point(0.0, &row, None).expect("op point");
        sink.end_analysis().expect("op end");
        sink.begin_analysis(&tran).expect("tran");
        for i in 0..100 {
            sink.point(i as f64, &row, None).expect("tran point");
        }
        sink.end_analysis().expect("tran end");
        sink.measures(&[MeasureValue {
            name: "m".into(),
            analysis: AnalysisKind::Tran,
            value: Ok(k as f64),
            unit: String::new(),
        }])
        .expect("measures");
        sink.end_point(k, &PointStatus::Ok).expect("end point");
    }
    sink.finish(true).expect("finish");
    drop(sink);
    let dt = t0.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "{format:>4} .step {points:>6} points x (op + 100-point tran) x {signals} signals: {:>8.2} s  ({:.2} ms/point)  file {:>8.1} MB  peak RSS {:>7.1} MiB",
        dt.as_secs_f64(),
        dt.as_secs_f64() * 1e3 / points as f64,
        size as f64 / 1e6,
        peak_rss_mib(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; drop flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if args.len() >= 4 && args[0] == "steps" {
        let n = |s: &str| s.parse::<usize>().expect("a number");
        run_steps(&args[1], n(&args[2]), n(&args[3]));
        return;
    }
    if args.len() >= 3 {
        let n = |s: &str| s.parse::<usize>().expect("a number");
        run(
            &args[0],
            n(&args[1]),
            n(&args[2]),
            args.get(3).map(|s| n(s)),
        );
        return;
    }
    for format in ["h5", "raw", "csv"] {
        run(format, 100, 1_000_000, None);
    }
    for format in ["h5", "raw"] {
        run(format, 30_000, 5_000, None);
    }
    run("h5", 30_000, 5_000, Some(256));
    for format in ["h5", "raw", "csv"] {
        run_steps(format, 10, 1000);
    }
}
