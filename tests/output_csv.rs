//! CSV writer: the files of a plain and of a `.step` run parsed back exactly.
mod output_support;

use output_support::*;
use spinspice::output::csv::CsvSink;
use spinspice::output::{AnalysisInfo, AnalysisKind, SignalInfo, Sink};
use std::path::Path;

/// Splits one CSV record (RFC 4180 quoting).
fn split_record(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// (header, rows) of a CSV file.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        text.ends_with('\n'),
        "{} ends with a newline",
        path.display()
    );
    let mut lines = text.lines();
    let header = split_record(lines.next().expect("a header row"));
    let rows: Vec<Vec<String>> = lines.map(split_record).collect();
    for r in &rows {
        assert_eq!(r.len(), header.len(), "{}: ragged row", path.display());
    }
    (header, rows)
}

fn nums(row: &[String]) -> Vec<f64> {
    row.iter().map(|s| parse_f64(s)).collect()
}

/// Expected header and rows of an analysis, with `prefix` step values.
fn expected(info: &AnalysisInfo, seed: usize, n: usize, prefix: &[f64]) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| {
            let mut row = prefix.to_vec();
            row.push(sweep(info.kind, i));
            for s in 0..info.signals.len() {
                row.push(value(seed, s, i));
                if info.complex {
                    row.push(imag(seed, s, i));
                }
            }
            row
        })
        .collect()
}

fn header_of(info: &AnalysisInfo, params: &[&str]) -> Vec<String> {
    let mut h: Vec<String> = params.iter().map(|s| s.to_string()).collect();
    h.push(info.sweep.name.clone());
    for s in &info.signals {
        if info.complex {
            h.push(format!("re({})", s.name));
            h.push(format!("im({})", s.name));
        } else {
            h.push(s.name.clone());
        }
    }
    h
}

fn check_file(
    path: &Path,
    info: &AnalysisInfo,
    blocks: &[(usize, usize, Vec<f64>)],
    params: &[&str],
) {
    let (header, rows) = read_csv(path);
    assert_eq!(header, header_of(info, params), "{}", path.display());
    let mut expect = Vec::new();
    for (seed, n, prefix) in blocks {
        expect.extend(expected(info, *seed, *n, prefix));
    }
    assert_eq!(rows.len(), expect.len(), "{}", path.display());
    for (k, (r, e)) in rows.iter().zip(&expect).enumerate() {
        assert!(same_floats(&nums(r), e), "{} row {k}", path.display());
    }
}

#[test]
fn basic_run_files_parse_back_exactly() {
    let dir = tempdir();
    let path = file_in(&dir, "out.csv");
    let mut sink = CsvSink::create(&path).unwrap();
    run_basic(&mut sink);
    drop(sink);

    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "out.ac.csv",
            "out.csv",
            "out.dc.csv",
            "out.meas.csv",
            "out.op.csv",
            "out.tran_2.csv"
        ]
    );
    check_file(&path, &tran_info(), &[(SEED_TRAN, N_TRAN, vec![])], &[]);
    check_file(
        &file_in(&dir, "out.ac.csv"),
        &ac_info(),
        &[(SEED_AC, N_AC, vec![])],
        &[],
    );
    check_file(
        &file_in(&dir, "out.tran_2.csv"),
        &tran_info(),
        &[(SEED_TRAN2, N_TRAN2, vec![])],
        &[],
    );
    check_file(
        &file_in(&dir, "out.dc.csv"),
        &dc_info(),
        &[(SEED_DC, N_DC, vec![])],
        &[],
    );
    check_file(
        &file_in(&dir, "out.op.csv"),
        &op_info(),
        &[(SEED_OP, 1, vec![])],
        &[],
    );

    let (header, rows) = read_csv(&file_in(&dir, "out.meas.csv"));
    assert_eq!(header, ["name", "value", "error"]);
    assert_eq!(rows[0][0], "rise");
    assert_eq!(parse_f64(&rows[0][1]), 1.2345678901234567e-9);
    assert_eq!(rows[0][2], "");
    assert_eq!(rows[1][0], "fall");
    assert!(parse_f64(&rows[1][1]).is_nan());
    assert_eq!(rows[1][2], "v(b) never crosses 0.5");
}

#[test]
fn step_run_prepends_parameters_and_writes_status() {
    let dir = tempdir();
    let path = file_in(&dir, "st.csv");
    let mut sink = CsvSink::create(&path).unwrap();
    run_steps(&mut sink);
    drop(sink);
    let v = step_info().values;
    let params = ["r1", "c1"];
    check_file(
        &path,
        &tran_info(),
        &[
            (step_seed(0, 0), N_STEP_TRAN, v[0].clone()),
            (step_seed(1, 0), N_STEP_FAIL, v[1].clone()),
            (step_seed(2, 0), N_STEP_TRAN, v[2].clone()),
        ],
        &params,
    );
    check_file(
        &file_in(&dir, "st.ac.csv"),
        &ac_info(),
        &[
            (step_seed(0, 1), N_AC, v[0].clone()),
            (step_seed(2, 1), N_AC, v[2].clone()),
        ],
        &params,
    );
    let (header, rows) = read_csv(&file_in(&dir, "st.steps.csv"));
    assert_eq!(header, ["index", "r1", "c1", "status", "error"]);
    let status: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("0", "0", ""),
            ("1", "1", STEP_ERROR),
            ("2", "0", ""),
            ("3", "-1", "not run")
        ]
    );
    assert_eq!(nums(&rows[3][1..3]), [2e3, 2e-12]);
    let (header, rows) = read_csv(&file_in(&dir, "st.meas.csv"));
    assert_eq!(header, ["r1", "c1", "name", "value", "error"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(nums(&rows[0][..2]), v[0]);
    assert_eq!(parse_f64(&rows[0][3]), step_measure(0));
    assert_eq!(nums(&rows[1][..2]), v[2]);
    assert!(parse_f64(&rows[1][3]).is_nan());
    assert_eq!(rows[1][4], MEAS_ERROR);
}

#[test]
fn names_with_separators_are_quoted() {
    let dir = tempdir();
    let path = file_in(&dir, "q.csv");
    let info = AnalysisInfo {
        kind: AnalysisKind::Dc,
        sweep: SignalInfo::new("v1", "V"),
        signals: vec![
            SignalInfo::new("v(a,b)", "V"),
            SignalInfo::new("say \"hi\"", ""),
        ],
        complex: false,
    };
    let mut sink = CsvSink::create(&path).unwrap();
    sink.begin_run("q", "q\n", None).unwrap();
    write_analysis(&mut sink, &info, 3, 4);
    sink.finish(true).unwrap();
    drop(sink);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("v1,\"v(a,b)\",\"say \"\"hi\"\"\"\n"),
        "{text}"
    );
    check_file(&path, &info, &[(3, 4, vec![])], &[]);
}

#[test]
fn misuse_is_an_error() {
    let dir = tempdir();
    let e = CsvSink::create(&dir.path().join("nope/x.csv"))
        .err()
        .unwrap();
    assert!(e.to_string().contains("nope/x.csv"), "{e}");
    let mut sink = CsvSink::create(&file_in(&dir, "m.csv")).unwrap();
    sink.begin_run("t", "t\n", None).unwrap();
    assert!(sink.point(0.0, &[], None).is_err());
    sink.begin_analysis(&ac_info()).unwrap();
    assert!(
        sink.point(1.0, &[1.0, 2.0], None).is_err(),
        "complex without imag"
    );
    assert!(sink.begin_analysis(&ac_info()).is_err(), "nested");
    sink.end_analysis().unwrap();
    sink.finish(true).unwrap();
    assert!(sink.begin_analysis(&ac_info()).is_err(), "after finish");
}
