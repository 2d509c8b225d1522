//! The long fuzz run (README, "Fuzzing"):
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example fuzz -- --mutants 35000 --runs 2500 [--seed S] [--jobs 2]
//! ```
//!
//! Each mutant (see `engine.rs`) is written to a scratch directory beside
//! links to the bundled netlists and models (so its includes resolve) and
//! given to the `spinspice` binary of `target/release`: `check` for every
//! mutant, `run -o out.h5` for the first `--runs` (a sweep cut to one or
//! two points with `--shard`), under small `--limit`s, each with 5 s of CPU
//! time (`--timeout`; CPU, not wall time: the machine may be busy) after
//! which it is killed and counted as a hang. A panic is an exit code 101, a death by signal or "panicked"
//! on stderr. Panics and hangs are minimized (with the same test) and saved
//! in `tests/fuzz_regressions/`, which `tests/fuzz.rs` checks every time.
//! The summary: mutants, outcomes by exit code, panics, hangs, the slowest
//! and the peak memory (VmHWM) of the processes.

#[path = "engine.rs"]
mod engine;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const LIMITS: &[&str] = &[
    "--limit",
    "points=2e4",
    "--limit",
    "timepoints=5e4",
    "--limit",
    "devices=2e4",
    "--limit",
    "input=4",
    "--limit",
    "depth=500",
    "--limit",
    "hierarchy=50",
];

/// The `--shard` that runs one point of a sweep of `n` (two when `n` is odd).
fn shard_for(n: usize) -> Option<String> {
    (n > 2).then(|| format!("1/{}", n.div_ceil(2)))
}

/// The arguments of `spinspice check|run` on the mutant.
fn argv<'a>(what: &'a str, shard: Option<&'a str>) -> Vec<&'a str> {
    let mut v = vec![what, "netlists/mutant.cir"];
    if what == "run" {
        v.extend(["-o", "out.h5", "-q", "--jobs", "1"]);
    }
    if let Some(sh) = shard {
        v.extend(["--shard", sh]);
    }
    v.extend_from_slice(LIMITS);
    v
}

/// The number of sweep points `check` printed ("… (N points)").
fn sweep_points(stdout: &str) -> Option<usize> {
    let (_, tail) = stdout.rsplit_once(" (")?;
    tail.split_whitespace().next()?.parse().ok()
}

struct Args {
    mutants: usize,
    runs: usize,
    seed: u64,
    jobs: usize,
    timeout: Duration,
    bin: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        mutants: 2000,
        runs: 200,
        seed: 12,
        jobs: 2,
        timeout: Duration::from_secs(5),
        bin: engine::repo().join("target/release/spinspice"),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut k = 0;
    while k + 1 < v.len() {
        let x = &v[k + 1];
        match v[k].as_str() {
            "--mutants" => a.mutants = x.parse().expect("--mutants N"),
            "--runs" => a.runs = x.parse().expect("--runs N"),
            "--seed" => a.seed = x.parse().expect("--seed S"),
            "--jobs" => a.jobs = x.parse().expect("--jobs N"),
            "--timeout" => a.timeout = Duration::from_secs_f64(x.parse().expect("--timeout S")),
            "--bin" => a.bin = PathBuf::from(x),
            o => panic!("unknown option {o}"),
        }
        k += 2;
    }
    a
}

/// How one process ended.
#[derive(Debug, Clone)]
struct Proc {
    code: Option<i32>,
    hang: bool,
    panic: bool,
    secs: f64,
    /// Peak resident memory [kB].
    peak_kb: u64,
    stderr_len: usize,
}

/// CPU time (user + system) of a running process [s], from /proc (clock
/// ticks of 1/100 s).
fn cpu_secs(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = s.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let l = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    l.split_whitespace().nth(1)?.parse().ok()
}

fn exec(bin: &Path, dir: &Path, args: &[&str], timeout: Duration) -> Proc {
    let t0 = Instant::now();
    let err_path = dir.join("stderr.txt");
    let err = std::fs::File::create(&err_path).expect("stderr file");
    let out = std::fs::File::create(dir.join("stdout.txt")).expect("stdout file");
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn spinspice");
    let mut peak = 0;
    let mut hang = false;
    let status = loop {
        if let Some(kb) = vm_hwm(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        // A hang: the CPU time over the limit (the machine may be busy, so
        // not the wall time), or a process blocked 12 times that long.
        let cpu = cpu_secs(child.id()).unwrap_or(0.0);
        if cpu > timeout.as_secs_f64() || t0.elapsed() > 12 * timeout {
            hang = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = std::fs::read_to_string(&err_path).unwrap_or_default();
    let code = status.code();
    Proc {
        code,
        hang,
        panic: !hang && (code.is_none() || code == Some(101) || text.contains("panicked")),
        secs: t0.elapsed().as_secs_f64(),
        peak_kb: peak,
        stderr_len: text.len(),
    }
}

/// A scratch directory with the bundled netlists' files linked in.
fn scratch(k: usize) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spinspice-fuzz-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let nl = d.join("netlists");
    std::fs::create_dir_all(&nl).expect("scratch");
    let repo = engine::repo();
    std::os::unix::fs::symlink(repo.join("models"), d.join("models")).expect("link models");
    for src in ["netlists", "tests/netlists"] {
        for e in std::fs::read_dir(repo.join(src))
            .expect("read corpus")
            .flatten()
        {
            let _ = std::os::unix::fs::symlink(e.path(), nl.join(e.file_name()));
        }
    }
    d
}

#[derive(Default)]
struct Tally {
    checks: usize,
    runs: usize,
    by_code: std::collections::BTreeMap<String, usize>,
    panics: Vec<String>,
    hangs: Vec<String>,
    slowest: (f64, String),
    peak: (u64, String),
    longest_stderr: (usize, String),
}

fn record(t: &Mutex<Tally>, what: &str, text: &str, p: &Proc) {
    let mut t = t.lock().expect("tally");
    *t.by_code
        .entry(format!("{what} exit {:?}", p.code))
        .or_default() += 1;
    if p.panic {
        t.panics.push(format!("{what}:\n{text}"));
    }
    if p.hang {
        t.hangs.push(format!("{what}:\n{text}"));
    }
    if p.secs > t.slowest.0 {
        t.slowest = (p.secs, format!("{what}:\n{text}"));
    }
    if p.peak_kb > t.peak.0 {
        t.peak = (p.peak_kb, format!("{what}:\n{text}"));
    }
    if p.stderr_len > t.longest_stderr.0 {
        t.longest_stderr = (p.stderr_len, what.to_string());
    }
}

fn main() {
    let a = args();
    assert!(
        a.bin.exists(),
        "{} missing: cargo build --release",
        a.bin.display()
    );
    let corpus = engine::corpus();
    let tally = Mutex::new(Tally::default());
    let next = AtomicUsize::new(0);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for w in 0..a.jobs.max(1) {
            let (a, corpus, tally, next) = (&a, &corpus, &tally, &next);
            s.spawn(move || {
                let dir = scratch(w);
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= a.mutants {
                        break;
                    }
                    let mut rng = engine::Rng::new(a.seed.wrapping_mul(1_000_003) + k as u64);
                    let (_, base) = rng.pick(corpus).clone();
                    let text = engine::mutate(&mut rng, &base, corpus);
                    let file = dir.join("netlists/mutant.cir");
                    std::fs::write(&file, &text).expect("write mutant");
                    let p = exec(&a.bin, &dir, &argv("check", None), a.timeout);
                    record(tally, "check", &text, &p);
                    tally.lock().expect("tally").checks += 1;
                    if k < a.runs {
                        let out =
                            std::fs::read_to_string(dir.join("stdout.txt")).unwrap_or_default();
                        let shard = sweep_points(&out).and_then(shard_for);
                        let argv = argv("run", shard.as_deref());
                        let p = exec(&a.bin, &dir, &argv, a.timeout);
                        record(tally, "run", &text, &p);
                        tally.lock().expect("tally").runs += 1;
                    }
                    if k % 1000 == 999 {
                        let t = tally.lock().expect("tally");
                        eprintln!(
                            "{} mutants, {} panics, {} hangs, {:.0} s",
                            k + 1,
                            t.panics.len(),
                            t.hangs.len(),
                            t0.elapsed().as_secs_f64()
                        );
                    }
                }
                let _ = std::fs::remove_dir_all(&dir);
            });
        }
    });
    let t = tally.into_inner().expect("tally");
    println!(
        "mutants checked: {}, run: {}, wall {:.0} s",
        t.checks,
        t.runs,
        t0.elapsed().as_secs_f64()
    );
    for (k, n) in &t.by_code {
        println!("  {k}: {n}");
    }
    println!("panics: {}", t.panics.len());
    println!("hangs (> {:?}): {}", a.timeout, t.hangs.len());
    println!("slowest: {:.2} s", t.slowest.0);
    println!("peak memory: {:.1} MB", t.peak.0 as f64 / 1024.0);
    println!(
        "longest stderr: {} bytes ({})",
        t.longest_stderr.0, t.longest_stderr.1
    );
    // minimize and keep the failures
    let dir = scratch(9999);
    for (kind, list) in [("panic", &t.panics), ("hang", &t.hangs)] {
        // (a hang costs a timeout per minimization step: the first few)
        let take = if kind == "hang" { 3 } else { 20 };
        for case in list.iter().take(take) {
            let (what, text) = case.split_once(":\n").unwrap_or(("check", case));
            let bad = |s: &str| {
                let _ = std::fs::write(dir.join("netlists/mutant.cir"), s);
                let mut shard = None;
                if what == "run" {
                    exec(&a.bin, &dir, &argv("check", None), a.timeout);
                    let out = std::fs::read_to_string(dir.join("stdout.txt")).unwrap_or_default();
                    shard = sweep_points(&out).and_then(shard_for);
                }
                let p = exec(&a.bin, &dir, &argv(what, shard.as_deref()), a.timeout);
                if kind == "panic" {
                    p.panic
                } else {
                    p.hang
                }
            };
            let small = engine::minimize(text, &bad);
            match engine::save_regression(&small) {
                Ok(p) => println!("{kind} ({what}) minimized to {}:\n{small}", p.display()),
                Err(e) => println!("{kind} ({what}): cannot save ({e}):\n{small}"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !t.panics.is_empty() || !t.hangs.is_empty() {
        std::process::exit(1);
    }
}
