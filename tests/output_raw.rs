//! ngspice rawfile writer: parsed back by a Rust reader, loaded by ngspice
//! itself, and its headers compared byte by byte with ngspice's own.
mod output_support;

use output_support::*;
use spinspice::output::raw::RawSink;
use spinspice::output::{AnalysisInfo, AnalysisKind, SignalInfo, Sink};
use std::path::Path;
use std::process::Command;

/// One plot of a rawfile.
#[derive(Debug)]
struct Plot {
    /// Header lines, `Binary:` excluded, in order.
    header: Vec<String>,
    title: String,
    plotname: String,
    complex: bool,
    /// (name, type) per variable.
    vars: Vec<(String, String)>,
    /// `rows[point][var]` = (re, im); im = 0 for real plots.
    rows: Vec<Vec<(f64, f64)>>,
    /// Raw bytes of the header, `Binary:\n` included.
    header_bytes: Vec<u8>,
}

fn field<'a>(header: &'a [String], key: &str) -> &'a str {
    header
        .iter()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} line"))
        .trim()
}

/// A reader written from the format description (ngspice `src/frontend/rawfile.c`).
fn read_raw(path: &Path) -> Vec<Plot> {
    let data = std::fs::read(path).unwrap();
    let mut plots = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let rest = &data[at..];
        let end = rest
            .windows(8)
            .position(|w| w == b"Binary:\n")
            .expect("a Binary: line")
            + 8;
        let header_bytes = rest[..end].to_vec();
        let text = std::str::from_utf8(&header_bytes).unwrap();
        let header: Vec<String> = text.lines().map(String::from).collect();
        let nvars: usize = field(&header, "No. Variables:").parse().unwrap();
        let npoints: usize = field(&header, "No. Points:").parse().unwrap();
        let complex = field(&header, "Flags:") == "complex";
        let vstart = header.iter().position(|l| l == "Variables:").unwrap() + 1;
        let vars: Vec<(String, String)> = header[vstart..vstart + nvars]
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f[0], "", "variable lines start with a tab");
                assert_eq!(f[1], k.to_string());
                (f[2].to_string(), f[3].to_string())
            })
            .collect();
        let w = if complex { 16 } else { 8 };
        let mut p = at + end;
        let mut rows = Vec::with_capacity(npoints);
        for _ in 0..npoints {
            let mut row = Vec::with_capacity(nvars);
            for _ in 0..nvars {
                let re = f64::from_le_bytes(data[p..p + 8].try_into().unwrap());
                let im = if complex {
                    f64::from_le_bytes(data[p + 8..p + 16].try_into().unwrap())
                } else {
                    0.0
                };
                row.push((re, im));
                p += w;
            }
            rows.push(row);
        }
        plots.push(Plot {
            title: field(&header, "Title:").to_string(),
            plotname: field(&header, "Plotname:").to_string(),
            complex,
            vars,
            rows,
            header,
            header_bytes,
        });
        at = p;
    }
    plots
}

fn check_plot(plot: &Plot, info: &AnalysisInfo, seed: usize, n: usize) {
    let with_sweep = info.kind != AnalysisKind::Op;
    assert_eq!(plot.complex, info.complex);
    assert_eq!(plot.rows.len(), n);
    let mut names: Vec<&str> = Vec::new();
    if with_sweep {
        names.push(&info.sweep.name);
    }
    names.extend(info.signals.iter().map(|s| s.name.as_str()));
    let got: Vec<&str> = plot.vars.iter().map(|v| v.0.as_str()).collect();
    assert_eq!(got, names);
    for (i, row) in plot.rows.iter().enumerate() {
        let mut k = 0;
        if with_sweep {
            assert_eq!(row[0], (sweep(info.kind, i), 0.0));
            k = 1;
        }
        for s in 0..info.signals.len() {
            let im = if info.complex { imag(seed, s, i) } else { 0.0 };
            assert_eq!(row[k + s], (value(seed, s, i), im), "point {i} signal {s}");
        }
    }
}

#[test]
fn basic_run_parses_back() {
    let dir = tempdir();
    let path = file_in(&dir, "basic.raw");
    let mut sink = RawSink::create(&path).unwrap();
    run_basic(&mut sink);
    drop(sink);
    let plots = read_raw(&path);
    let names: Vec<&str> = plots.iter().map(|p| p.plotname.as_str()).collect();
    assert_eq!(
        names,
        [
            "Transient Analysis",
            "AC Analysis",
            "Transient Analysis",
            "DC transfer characteristic",
            "Operating Point"
        ]
    );
    assert!(plots
        .iter()
        .all(|p| p.title == TITLE.lines().next().unwrap()));
    check_plot(&plots[0], &tran_info(), SEED_TRAN, N_TRAN);
    check_plot(&plots[1], &ac_info(), SEED_AC, N_AC);
    check_plot(&plots[2], &tran_info(), SEED_TRAN2, N_TRAN2);
    check_plot(&plots[3], &dc_info(), SEED_DC, N_DC);
    check_plot(&plots[4], &op_info(), SEED_OP, 1);
    let types: Vec<&str> = plots[0].vars.iter().map(|v| v.1.as_str()).collect();
    assert_eq!(types, ["time", "voltage", "voltage", "current", "notype"]);
    assert_eq!(plots[1].vars[0].1, "frequency");
    assert_eq!(field(&plots[1].header, "Flags:"), "complex");
    assert_eq!(field(&plots[0].header, "Flags:"), "real");
}

#[test]
fn step_run_gives_one_plot_per_point_and_analysis() {
    let dir = tempdir();
    let path = file_in(&dir, "steps.raw");
    let mut sink = RawSink::create(&path).unwrap();
    run_steps(&mut sink);
    drop(sink);
    let plots = read_raw(&path);
    assert_eq!(plots.len(), 5); // tran+ac, cut tran, tran+ac
    assert_eq!(
        plots[0].title,
        format!("{TITLE} (step 0: r1=1e3, c1=1e-12)")
    );
    assert_eq!(
        plots[2].title,
        format!("{TITLE} (step 1: r1=2e3, c1=1e-12)")
    );
    check_plot(&plots[0], &tran_info(), step_seed(0, 0), N_STEP_TRAN);
    check_plot(&plots[1], &ac_info(), step_seed(0, 1), N_AC);
    check_plot(&plots[2], &tran_info(), step_seed(1, 0), N_STEP_FAIL);
    check_plot(&plots[3], &tran_info(), step_seed(2, 0), N_STEP_TRAN);
    check_plot(&plots[4], &ac_info(), step_seed(2, 1), N_AC);
}

#[test]
fn interrupted_plot_counts_the_points_on_disk() {
    let dir = tempdir();
    let path = file_in(&dir, "cut.raw");
    let mut sink = RawSink::create(&path).unwrap();
    sink.begin_run(TITLE, NETLIST, None).unwrap();
    write_analysis(&mut sink, &dc_info(), SEED_DC, N_DC);
    sink.begin_analysis(&tran_info()).unwrap();
    // 5 columns × 8 bytes: 1 MiB holds 26214.4 points, so 40000 points flush
    // one block of 26215 and keep the rest buffered.
    write_points(&mut sink, &tran_info(), SEED_TRAN, 40_000);
    std::mem::forget(sink); // as if the process died here: no Drop, no finish
    let plots = read_raw(&path);
    assert_eq!(plots.len(), 2);
    check_plot(&plots[0], &dc_info(), SEED_DC, N_DC);
    check_plot(&plots[1], &tran_info(), SEED_TRAN, 26_215);
}

#[test]
fn misuse_is_an_error() {
    let dir = tempdir();
    let e = RawSink::create(&dir.path().join("missing/x.raw"))
        .err()
        .unwrap();
    assert!(e.to_string().contains("missing/x.raw"), "{e}");
    let mut sink = RawSink::create(&file_in(&dir, "m.raw")).unwrap();
    sink.begin_run("t", "t\n", None).unwrap();
    assert!(sink.point(0.0, &[], None).is_err());
    assert!(sink.end_analysis().is_err());
    sink.begin_analysis(&tran_info()).unwrap();
    assert!(sink.point(0.0, &[1.0], None).is_err(), "wrong length");
    assert!(sink.begin_analysis(&tran_info()).is_err(), "nested");
    sink.finish(true).unwrap();
}

// ------------------------------------------------------------ ngspice

fn ngspice_available() -> bool {
    if runs("ngspice", &["--version"]) {
        true
    } else {
        missing(
            "ngspice",
            "the ngspice command cannot be run (apt-get install ngspice)",
        );
        false
    }
}

/// Runs ngspice in batch mode on a `.control` script; returns its stdout.
fn ngspice_control(dir: &Path, name: &str, control: &str) -> String {
    let cir = dir.join(name);
    std::fs::write(
        &cir,
        format!("* {name}\n.control\n{control}\n.endc\n.end\n"),
    )
    .unwrap();
    let out = Command::new("ngspice")
        .arg("-b")
        .arg(&cir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // ngspice exits 1 when a control script runs no simulation; its errors
    // are the signal.
    assert!(
        !stderr
            .lines()
            .any(|l| l.contains("Error") || l.contains("rror:")),
        "ngspice reported errors on {name}:\n{stderr}\n{stdout}"
    );
    stdout
}

/// The plot names ngspice gave the plots of a loaded file, in file order.
fn ngspice_plot_names(dir: &Path, raw: &Path) -> Vec<String> {
    let out = ngspice_control(dir, "list.cir", &format!("load {}\nsetplot", raw.display()));
    let list = &out[out.find("List of plots available:").expect("plot list")..];
    let mut names: Vec<String> = list
        .lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.strip_prefix("Current ").unwrap_or(l);
            let name = l.trim_start().split('\t').next()?.trim();
            (!name.is_empty() && name != "const").then(|| name.to_string())
        })
        .collect();
    names.reverse(); // ngspice lists the last loaded first
    names
}

/// `print` lines `expr = value` or `expr = re,im` from ngspice output.
fn printed(out: &str, expr: &str) -> (f64, f64) {
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{expr} = ")))
        .unwrap_or_else(|| panic!("ngspice printed no {expr}:\n{out}"));
    let v = line.split(" = ").nth(1).unwrap();
    match v.split_once(',') {
        Some((re, im)) => (parse_f64(re), parse_f64(im)),
        None => (parse_f64(v), 0.0),
    }
}

#[test]
fn ngspice_loads_the_file_with_exact_values() {
    if !ngspice_available() {
        return;
    }
    let dir = tempdir();
    let path = file_in(&dir, "basic.raw");
    let mut sink = RawSink::create(&path).unwrap();
    run_basic(&mut sink);
    drop(sink);
    let plots = ngspice_plot_names(dir.path(), &path);
    assert_eq!(plots.len(), 5, "{plots:?}");
    // (plot index, vector, point index, expected); ngspice loads a 1-point
    // plot as scalars, which take no index.
    let checks: Vec<(usize, &str, usize, (f64, f64))> = vec![
        (0, "v(a)", 3, (value(SEED_TRAN, 0, 3), 0.0)),
        (0, "i(v1)", 999, (value(SEED_TRAN, 2, 999), 0.0)),
        (0, "time", 500, (sweep(AnalysisKind::Tran, 500), 0.0)),
        (1, "v(b)", 2, (value(SEED_AC, 0, 2), imag(SEED_AC, 0, 2))),
        (1, "i(v1)", 6, (value(SEED_AC, 1, 6), imag(SEED_AC, 1, 6))),
        (1, "frequency", 4, (sweep(AnalysisKind::Ac, 4), 0.0)),
        (2, "v(b)", 2, (value(SEED_TRAN2, 1, 2), 0.0)),
        (3, "v1", 1, (-0.5, 0.0)),
        (3, "v(b)", 4, (value(SEED_DC, 0, 4), 0.0)),
        (4, "i(v1)", 0, (value(SEED_OP, 1, 0), 0.0)),
    ];
    let mut script = format!("set numdgt=17\nload {}\n", path.display());
    let expr = |p: usize, v: &str, i: usize| match p {
        4 => format!("{}.{v}", plots[p]),
        _ => format!("{}.{v}[{i}]", plots[p]),
    };
    for (p, v, i, _) in &checks {
        script.push_str(&format!("print {}\n", expr(*p, v, *i)));
    }
    let out = ngspice_control(dir.path(), "print.cir", &script);
    for (p, v, i, expect) in &checks {
        let e = expr(*p, v, *i);
        assert_eq!(printed(&out, &e), *expect, "{e}");
    }
    // Vector lengths.
    let out = ngspice_control(
        dir.path(),
        "len.cir",
        &format!(
            "load {}\nlet n = length({}.time)\nprint n",
            path.display(),
            plots[0]
        ),
    );
    assert_eq!(printed(&out, "n").0, N_TRAN as f64);
}

/// Headers of ngspice's own rawfiles for one plot of each kind, compared with
/// ours for the same variables: identical except for the `Date:` value.
#[test]
fn headers_match_ngspice_byte_for_byte() {
    if !ngspice_available() {
        return;
    }
    let dir = tempdir();
    let circuits = [
        (
            AnalysisKind::Tran,
            ".tran 1n 5n",
            AnalysisInfo {
                kind: AnalysisKind::Tran,
                sweep: SignalInfo::new("time", "s"),
                signals: vec![
                    SignalInfo::new("v(a)", "V"),
                    SignalInfo::new("v(b)", "V"),
                    SignalInfo::new("i(v1)", "A"),
                ],
                complex: false,
            },
        ),
        (
            AnalysisKind::Ac,
            ".ac lin 3 1k 3k",
            AnalysisInfo {
                kind: AnalysisKind::Ac,
                sweep: SignalInfo::new("frequency", "Hz"),
                signals: vec![
                    SignalInfo::new("v(a)", "V"),
                    SignalInfo::new("v(b)", "V"),
                    SignalInfo::new("i(v1)", "A"),
                ],
                complex: true,
            },
        ),
        (
            AnalysisKind::Dc,
            ".dc v1 0 2 0.5",
            AnalysisInfo {
                kind: AnalysisKind::Dc,
                sweep: SignalInfo::new("v(v-sweep)", "V"),
                signals: vec![
                    SignalInfo::new("v(a)", "V"),
                    SignalInfo::new("v(b)", "V"),
                    SignalInfo::new("i(v1)", "A"),
                ],
                complex: false,
            },
        ),
        (
            AnalysisKind::Op,
            ".op",
            AnalysisInfo {
                kind: AnalysisKind::Op,
                sweep: SignalInfo::new("point", ""),
                signals: vec![
                    SignalInfo::new("v(a)", "V"),
                    SignalInfo::new("v(b)", "V"),
                    SignalInfo::new("i(v1)", "A"),
                ],
                complex: false,
            },
        ),
    ];
    for (kind, card, info) in circuits {
        let title = format!("header check {}", kind.name());
        let cir = dir.path().join(format!("{}.cir", kind.name()));
        let theirs_path = dir.path().join(format!("{}-ngspice.raw", kind.name()));
        std::fs::write(
            &cir,
            format!("{title}\nv1 a 0 dc 1 ac 1\nr1 a b 1k\nc1 b 0 1n\nr2 b 0 1k\n{card}\n.end\n"),
        )
        .unwrap();
        let out = Command::new("ngspice")
            .arg("-b")
            .arg("-r")
            .arg(&theirs_path)
            .arg(&cir)
            .output()
            .unwrap();
        assert!(out.status.success(), "ngspice -r failed for {card}");
        let theirs = read_raw(&theirs_path);
        assert_eq!(theirs.len(), 1);
        let theirs = &theirs[0];

        let ours_path = dir.path().join(format!("{}-ours.raw", kind.name()));
        let mut sink = RawSink::create(&ours_path).unwrap();
        sink.begin_run(&title, "", None).unwrap();
        write_analysis(&mut sink, &info, 9, theirs.rows.len());
        sink.finish(true).unwrap();
        drop(sink);
        let ours = read_raw(&ours_path);
        assert_eq!(ours.len(), 1);
        let ours = &ours[0];

        let mask = |b: &[u8]| -> Vec<u8> {
            let s = String::from_utf8(b.to_vec()).unwrap();
            s.lines()
                .map(|l| {
                    if l.starts_with("Date: ") {
                        "Date: *"
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        };
        assert_eq!(
            String::from_utf8(mask(&ours.header_bytes)).unwrap(),
            String::from_utf8(mask(&theirs.header_bytes)).unwrap(),
            "{card}"
        );
        // The Date lines have the same shape: "Www Mmm dd hh:mm:ss  yyyy".
        let (a, b) = (field(&ours.header, "Date:"), field(&theirs.header, "Date:"));
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        assert_eq!(&a[19..21], "  ");
        let ours_len = std::fs::metadata(&ours_path).unwrap().len();
        let theirs_len = std::fs::metadata(&theirs_path).unwrap().len();
        assert_eq!(ours_len, theirs_len, "{card}: same data size");
    }
}
