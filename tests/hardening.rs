//! Issue 12, as regression tests: nothing lost (a second writer, SIGKILL
//! and SIGINT in the middle of a sweep), nothing hangs or panics (the
//! crashers and absurd requests of the report, each minimized: a clear
//! error with its place, bounded output), nothing silent.
//!
//! Cost: ~20 s (the kill tests wait for a few sweep points).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{spin, stderr_of as stderr, write_file as write};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_spinspice")
}

// ============================================================ absurd input

/// Each absurd netlist ends in one located error (exit 1) that names the
/// limit and how to lift it, with a short report.
#[test]
fn absurd_requests_are_refused_before_the_work() {
    let dir = common::scratch("hard-absurd");
    let base = "absurd\nV1 a 0 sin(0 1 1k)\nR1 a b 1k\nC1 b 0 1n\n";
    let mut fanout = String::from("fan\n.subckt l0 a\nR1 a 0 1k\n.ends\n");
    for i in 1..=40 {
        fanout += &format!(".subckt l{i} a\nX1 a l{}\nX2 a l{}\n.ends\n", i - 1, i - 1);
    }
    fanout += "V1 a 0 1\nX1 a l40\n.op\n.end\n";
    let mut hier = String::from("hier\n.subckt h0 a\nR1 a 0 1k\n.ends\n");
    for i in 1..=1500 {
        hier += &format!(".subckt h{i} a\nX1 a h{}\n.ends\n", i - 1);
    }
    hier += "V1 a 0 1\nX1 a h1500\n.op\n.end\n";
    let cases: Vec<(&str, String, &str)> = vec![
        ("ac_lin", format!("{base}.ac lin 1e12 1 2\n.end\n"), "5:1: error: .ac asks for 1.000e12 frequency points; the limit is 1e7 (`--limit points=N` raises it)"),
        ("ac_dec", format!("{base}.ac dec 1e9 1 1e6\n.end\n"), ".ac asks for 6.000e9 frequency points"),
        ("tran", format!("{base}.tran 1f 1\n.end\n"), "5:1: error: .tran asks for at least 1.000e15 time points"),
        ("dc", format!("{base}.dc v1 0 1 1e-15\n.end\n"), "error: .dc asks for 1.000e15 points"),
        ("step", format!("{base}.param rr=1k\n.step param rr 1 1e7 1\n.op\n.end\n"), "6:1: error: .step asks for 1.000e7 values; the limit is 1e6 (`--limit sweep=N` raises it)"),
        ("step2", format!("{base}.param rr=1k q=1\n.step param rr 1 2000 1\n.step param q 1 1000 1\n.op\n.end\n"), "error: the sweep has 2.000e6 points (rr × 2000, q × 1000); the limit is 1e6 (`--limit sweep=N` raises it)"),
        ("step_oct", format!("{base}.param rr=1k\n.step oct param rr 1 1e300 1e6\n.op\n.end\n"), "6:1: error: .step asks for 9.966e8 values; the limit is 1e6"),
        ("fanout", fanout, "166:1: error: 'x1' expands into 1.100e12 devices (subcircuit 'l40' with the instances inside it); the limit is 1e7 (`--limit devices=N` raises it)"),
        ("hier", hier, "subcircuit instances nested more than 1000 deep below 'h1500'"),
        ("zero", format!("{base}.include /dev/zero\n.op\n.end\n"), "5:10: error: cannot read included file '/dev/zero': not a regular file"),
        ("urandom", format!("{base}.include /dev/urandom\n.op\n.end\n"), "cannot read included file '/dev/urandom': not a regular file"),
        ("noanalysis", "na\nV1 a 0 1\nR1 a 0 1\n.end\n".into(), "1:1: error: the netlist has no analysis: nothing to simulate"),
        ("itl", format!("{base}.options itl1=1e18\n.op\n.end\n"), "5:10: error: option 'itl1' = 1e18 is more than 1e5"),
    ];
    for (name, text, want) in &cases {
        let f = format!("{name}.cir");
        write(&dir, &f, text);
        for cmd in ["check", "run"] {
            let o = spin(
                &dir,
                &[cmd, &f, "-o", "o.h5"][..if cmd == "check" { 2 } else { 4 }],
            );
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd} {name}: {err}");
            assert!(err.contains(want), "{cmd} {name}: {err}");
            assert!(
                err.len() < 2000,
                "{cmd} {name}: {} bytes of messages",
                err.len()
            );
        }
    }
    // a transient that takes more steps than the limit stops with its place
    write(
        &dir,
        "crawl.cir",
        "c\nV1 a 0 sin(0 1 1g)\nR1 a b 1\nC1 b 0 1p\n.tran 1p 10n\n.end\n",
    );
    let o = spin(&dir, &["run", "crawl.cir", "--limit", "timepoints=1e4"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("crawl.cir:5:1: error: more than 10001 time steps by t = "),
        "{}",
        stderr(&o)
    );
    // a limit is lifted by its option
    write(&dir, "lift.cir", &format!("{base}.ac lin 2e7 1 2\n.end\n"));
    let o = spin(&dir, &["check", "lift.cir", "--limit", "points=3e7"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Generated netlists at sizes that crashed or flooded the terminal: a
/// clear result, messages bounded.
#[test]
fn generated_extremes() {
    let dir = common::scratch("hard-gen");
    // 7 000 chained parameters (stack overflow before): runs
    let mut chain = String::from("chain\n.param p_0=1\n");
    for i in 1..=7000 {
        chain += &format!(".param p_{i}={{p_{}+1}}\n", i - 1);
    }
    chain += "V1 a 0 {p_7000}\nR1 a 0 1k\n.op\n.end\n";
    write(&dir, "chain.cir", &chain);
    let o = spin(&dir, &["run", "chain.cir"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("v(a) = 7.001e3"));
    // 25 000: beyond the depth limit, refused with its place
    let mut deep = String::from("deep\n.param p_0=1\n");
    for i in 1..=25_000 {
        deep += &format!(".param p_{i}={{p_{}+1}}\n", i - 1);
    }
    deep += "V1 a 0 {p_25000}\nR1 a 0 1k\n.op\n.end\n";
    write(&dir, "deep.cir", &deep);
    let o = spin(&dir, &["check", "deep.cir"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("parameters defined through more than 20000 others"),
        "{}",
        stderr(&o)
    );
    // an error at column 70 903 of a 71 kB PWL line (renderer panic before):
    // the excerpt is a window of the line
    let pwl: Vec<String> = (0..9000).map(|i| format!("{i}n {}", i % 2)).collect();
    let text = format!(
        "col\nV1 a 0 pwl({} {{zz}} 1)\nR1 a 0 1\n.tran 1n 10n\n.end\n",
        pwl.join(" ")
    );
    write(&dir, "col.cir", &text);
    let o = spin(&dir, &["check", "col.cir"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.starts_with("col.cir:2:70903: error: undefined parameter 'zz'"),
        "{err}"
    );
    assert!(err.len() < 600, "{err}");
    // one message per token of a 40 000-token line (GB of messages before):
    // the first 20, then the count
    let saves: Vec<String> = (0..40_000).map(|i| format!("v(x{i})")).collect();
    write(
        &dir,
        "tokens.cir",
        &format!(
            "t\nV1 a 0 1\nR1 a 0 1\n.save {}\n.op\n.end\n",
            saves.join(" ")
        ),
    );
    let o = spin(&dir, &["check", "tokens.cir"]);
    let err = stderr(&o);
    // a missing .save node is a warning (ngspice runs such netlists; issue 16)
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        err.matches(": warning: '.save': no node").count(),
        20,
        "{err}"
    );
    assert!(
        err.contains("… and 39980 more (0 errors, 39980 warnings) not shown"),
        "{err}"
    );
    assert!(err.len() < 10_000);
    // 3 000 nested .subckt (5 800 messages before)
    let nest: String = (0..3000).map(|i| format!(".subckt s{i} a\n")).collect();
    write(&dir, "nest.cir", &format!("n\n{nest}R1 a 0 1\n.op\n.end\n"));
    let o = spin(&dir, &["check", "nest.cir"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).len() < 10_000, "{}", stderr(&o).len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `spinspice check bad.cir 2>&1 | head -1` panicked (exit 101) writing
/// to the closed pipe.
#[test]
fn closed_output_pipes_are_not_a_panic() {
    let dir = common::scratch("hard-pipe");
    let bad: String = (0..200)
        .map(|i| format!("R{i} a{i} 0 {{zz{i}}}\n"))
        .collect();
    write(&dir, "bad.cir", &format!("bad\n{bad}.op\n.end\n"));
    let mut child = Command::new(bin())
        .args(["check", "bad.cir"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // close both pipes before the program writes
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ================================================================ data loss

/// A transient long enough to be caught in the middle.
fn long_tran(points: usize) -> String {
    format!(
        "long\nV1 in 0 sin(0 1 1meg)\nR1 in a 1k\nC1 a 0 1n\nD1 a b dm\nR2 b 0 10k\n\
         .model dm d(is=1e-14)\n.tran 10n {}u 0 10n\n.end\n",
        points / 100
    )
}

fn wait_for_len(path: &Path, child: &mut Child, len: u64) {
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            panic!("the first run ended ({s}) before the second started");
        }
        if std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) >= len {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Two runs on one output: the second is refused and touches nothing; the
/// first finishes its file. For HDF5, CSV and raw.
#[test]
fn a_second_writer_is_refused_and_damages_nothing() {
    let dir = common::scratch("hard-second");
    write(&dir, "long.cir", &long_tran(400_000));
    write(&dir, "short.cir", "short\nV1 a 0 1\nR1 a 0 1\n.op\n.end\n");
    for out in ["o.h5", "o.csv", "o.raw"] {
        let mut first = Command::new(bin())
            .args(["run", "long.cir", "-o", out, "-q"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_len(&dir.join(out), &mut first, 50_000);
        let o = spin(&dir, &["run", "short.cir", "-o", out]);
        assert_eq!(o.status.code(), Some(1), "{out}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is in use by another process"),
            "{out}: {}",
            stderr(&o)
        );
        let status = first.wait().unwrap();
        assert!(status.success(), "{out}: the first run failed: {status}");
        let full = dir.join(format!("full_{out}"));
        let o = spin(
            &dir,
            &["run", "long.cir", "-o", full.to_str().unwrap(), "-q"],
        );
        assert!(o.status.success());
        // the first run's file is whole: the same bytes as a run alone
        // (HDF5 files hold a date; compare their time axes)
        if out.ends_with(".h5") {
            let t = |p: &Path| {
                hdf5_pure::File::open(p)
                    .unwrap()
                    .dataset("tran/time")
                    .unwrap()
                    .read_f64()
                    .unwrap()
            };
            assert_eq!(t(&dir.join(out)), t(&full));
        } else if out.ends_with(".csv") {
            assert_eq!(
                std::fs::read(dir.join(out)).unwrap(),
                std::fs::read(&full).unwrap()
            );
            assert!(!dir.join("o.csv.incomplete").exists());
        } else {
            let (a, b) = (
                std::fs::read(dir.join(out)).unwrap(),
                std::fs::read(&full).unwrap(),
            );
            assert_eq!(a.len(), b.len());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A sweep whose points take a fraction of a second each, with a streamed
/// transient (longer than one HDF5 block) and measures.
const SWEEP: &str = "sweep\n.param r=1k\nV1 in 0 sin(0 1 1meg)\nR1 in a {r}\nC1 a 0 1n\n\
                     .tran 2n 400u 0 2n\n.meas tran va avg v(a) from=100u to=400u\n\
                     .meas tran vx find v(a) at=200u\n.step param r list 1k 2k 3k 4k 5k 6k 7k 8k 9k 10k 11k 12k\n.end\n";

/// Starts the sweep and returns once `points` points were written (their
/// report is on stdout after they are in the file).
fn sweep_until(dir: &Path, out: &str, points: usize) -> Child {
    let mut child = Command::new(bin())
        .args(["run", "sweep.cir", "-o", out, "--jobs", "1"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = 0;
    while seen <= points {
        match lines.next() {
            Some(Ok(l)) if l.starts_with("step ") => seen += 1,
            Some(Ok(_)) => {}
            _ => panic!("the sweep ended before {points} points"),
        }
    }
    // keep the pipe open (a closed stdout is no error, but keep it real)
    std::thread::spawn(move || for _ in lines {});
    child
}

/// What the file of a killed sweep holds: per point status and measure.
fn sweep_state(path: &Path) -> (Vec<i32>, Vec<i32>, Vec<f64>, Vec<f64>) {
    let f = hdf5_pure::File::open(path).unwrap();
    let i32s = |p: &str| f.dataset(p).unwrap().read_i32().unwrap();
    let f64s = |p: &str| f.dataset(p).unwrap().read_f64().unwrap();
    (
        i32s("steps/status"),
        i32s("sweep/status"),
        f64s("measures/va"),
        f64s("sweep/measures/va"),
    )
}

#[test]
fn a_killed_sweep_keeps_every_written_point() {
    let dir = common::scratch("hard-kill");
    write(&dir, "sweep.cir", SWEEP);
    // SIGKILL after 3 points
    let mut child = sweep_until(&dir, "k.h5", 3);
    child.kill().unwrap();
    child.wait().unwrap();
    let (steps, sweep, va, sva) = sweep_state(&dir.join("k.h5"));
    let done = steps.iter().filter(|&&s| s == 0).count();
    assert!(done >= 3, "{steps:?}");
    assert!(steps[..done].iter().all(|&s| s == 0) && steps[done..].iter().all(|&s| s == -1));
    assert_eq!(
        steps, sweep,
        "/sweep/status is the same array over the grid"
    );
    for k in 0..steps.len() {
        assert_eq!(va[k].is_finite(), k < done, "{va:?}");
        assert_eq!(va[k].to_bits(), sva[k].to_bits());
    }
    // the killed file's measures are the complete run's
    let o = spin(&dir, &["run", "sweep.cir", "-o", "full.h5", "-q"]);
    assert!(o.status.success());
    let (_, _, full, _) = sweep_state(&dir.join("full.h5"));
    assert_eq!(va[..done], full[..done]);

    // SIGINT: the run stops between points and finishes the file
    let child = sweep_until(&dir, "i.h5", 2);
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let f = hdf5_pure::File::open(dir.join("i.h5")).unwrap();
    let complete = f.root().attrs().unwrap().get("complete").cloned();
    assert_eq!(complete, Some(hdf5_pure::AttrValue::I32(0)));
    let (steps, sweep, va, _) = sweep_state(&dir.join("i.h5"));
    assert!(steps.iter().filter(|&&s| s == 0).count() >= 2, "{steps:?}");
    assert_eq!(steps, sweep);
    for k in 0..steps.len() {
        assert_eq!(va[k].is_finite(), steps[k] == 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// CSV: the incompleteness marker is there while the run is, stays when it
/// is killed, goes when it completes.
#[test]
fn csv_marks_an_incomplete_run() {
    let dir = common::scratch("hard-csv");
    write(&dir, "long.cir", &long_tran(400_000));
    let mut child = Command::new(bin())
        .args(["run", "long.cir", "-o", "o.csv", "-q"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_len(&dir.join("o.csv"), &mut child, 100_000);
    assert!(dir.join("o.csv.incomplete").exists());
    child.kill().unwrap();
    child.wait().unwrap();
    let marker = std::fs::read_to_string(dir.join("o.csv.incomplete")).unwrap();
    assert!(marker.contains("in progress, or killed"), "{marker}");
    // a failed analysis (a current that is not a number at the operating
    // point): the marker stays and says why
    write(
        &dir,
        "fail.cir",
        "f\nV1 a 0 1\nR1 a b 1\nC1 b 0 1n\nB1 b 0 i={sqrt(v(b)-2)}\n.tran 1n 20n\n.end\n",
    );
    let o = spin(&dir, &["run", "fail.cir", "-o", "f.csv"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let marker = std::fs::read_to_string(dir.join("f.csv.incomplete")).unwrap();
    assert!(
        marker.contains("ended before every analysis finished"),
        "{marker}"
    );
    // a complete run removes it
    let o = spin(&dir, &["run", "long.cir", "-o", "o.csv", "-q"]);
    assert!(o.status.success());
    assert!(!dir.join("o.csv.incomplete").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
