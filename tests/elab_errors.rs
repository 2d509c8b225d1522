//! Elaboration errors: netlists that parse but describe an impossible circuit.
//! Each row runs what `spinspice check` runs (parse, then elaborate) and gives
//! the exact `file:line:col` of the first error's `Diagnostic::short()`, a
//! substring of its message, and how many errors the netlist produces in all
//! (one root cause must give one error, not a cascade of follow-ups).
//! Columns were counted by hand from the text of each row (1-based).
//!
//! Run-time failures (no convergence) are checked below the table: their
//! message must name the time and an unknown or device.

use spinspice::analysis::run::{run, simulate_str, NoProgress, RunConfig};
use spinspice::diag::SourceMap;
use spinspice::elab::elaborate;
use spinspice::netlist::parse_str;
use spinspice::output::memory::MemorySink;
use spinspice::output::AnalysisKind;
use std::path::Path;

struct Row {
    text: &'static str,
    line: usize,
    col: usize,
    msg: &'static str,
    /// Number of errors reported in all.
    count: usize,
}

const fn row(text: &'static str, line: usize, col: usize, msg: &'static str, count: usize) -> Row {
    Row {
        text,
        line,
        col,
        msg,
        count,
    }
}

/// `check`: parse + elaborate. Returns the `short()` lines of the errors
/// (empty when the netlist elaborates).
fn check(text: &str) -> Vec<String> {
    let mut sm = SourceMap::new();
    let parsed = match parse_str("t.cir", text, Path::new("."), &mut sm) {
        Ok(p) => p,
        Err(d) => panic!(
            "parse error (the row must parse): {}",
            d.iter()
                .map(|x| x.short(&sm))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    match elaborate(&parsed.netlist, &[]) {
        Ok(_) => Vec::new(),
        Err(d) => {
            assert!(d.iter().all(|x| x.is_error()));
            d.iter().map(|x| x.short(&sm)).collect()
        }
    }
}

fn check_rows(rows: &[Row]) {
    let mut failures = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let errs = check(r.text);
        let want = format!("t.cir:{}:{}: error: ", r.line, r.col);
        let ok = match errs.first() {
            Some(first) => {
                first.starts_with(&want) && first.contains(r.msg) && errs.len() == r.count
            }
            None => false,
        };
        if !ok {
            failures.push(format!(
                "row {k} ({:?}):\n   got  {}\n   want {want}…{}… ({} error(s))",
                r.text,
                if errs.is_empty() {
                    "no error".to_string()
                } else {
                    errs.join("\n        ")
                },
                r.msg,
                r.count
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn elaboration_errors_table() {
    let rows = [
        // ---- models
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nD1 a 0 nomod\n.op\n",
            4,
            8,
            "unknown model 'nomod'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k rmod\n.op\n",
            3,
            11,
            "unknown model 'rmod'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nD1 a 0 rm\n.model rm r (rsh=1)\n.op\n",
            4,
            8,
            "model 'rm' has type 'r', but diode 'd1' needs a type D model",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 dm\n.model dm d (is=1e-14)\n.op\n",
            3,
            8,
            "model 'dm' has type 'd', but resistor 'r1' needs a type R model",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nC1 a 0 1n rm\n.model rm r (rsh=1)\n.op\n",
            4,
            11,
            "model 'rm' has type 'r', but capacitor 'c1' needs a type C model",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nL1 b 0 1u dm\n.model dm d (is=1e-14)\n.op\n",
            4,
            11,
            "model 'dm' has type 'd', but inductor 'l1' needs a type L model",
            1,
        ),
        // ---- subcircuits
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nX1 a 0 foo\n.op\n",
            4,
            8,
            "unknown subcircuit 'foo'",
            1,
        ),
        row(
            "t\n.subckt div in out\nR1 in out 1k\nR2 out 0 1k\n.ends\nV1 a 0 1\nX1 a b c div\n.op\n",
            7,
            1,
            "'x1' connects 3 node(s) but subcircuit 'div' has 2 port(s)",
            1,
        ),
        row(
            "t\n.subckt div in out\nR1 in out 1k\nR2 out 0 1k\n.ends\nV1 a 0 1\nR9 a 0 1k\nX1 a div\n.op\n",
            8,
            1,
            "'x1' connects 1 node(s) but subcircuit 'div' has 2 port(s)",
            1,
        ),
        row(
            "t\n.subckt s1 a b\nX1 a b s2\n.ends\n.subckt s2 a b\nX1 a b s1\n.ends\nV1 n 0 1\nX1 n 0 s1\n.op\n",
            6,
            8,
            "recursive subcircuit instantiation: s1 → s2 → s1",
            1,
        ),
        row(
            "t\n.subckt s a b\nX1 a b s\n.ends\nV1 n 0 1\nX1 n 0 s\n.op\n",
            3,
            8,
            "recursive subcircuit instantiation: s → s",
            1,
        ),
        // ---- parameters
        row(
            "t\nV1 a 0 1\nR1 a 0 {rr}\n.op\n",
            3,
            9,
            "undefined parameter 'rr'",
            1,
        ),
        row(
            "t\n.subckt s a\nR1 a 0 {rr}\n.ends\nV1 a 0 1\nX1 a s\n.op\n",
            3,
            9,
            "undefined parameter 'rr'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nD1 b 0 dm\n.model dm d (is={iss})\n.op\n",
            5,
            18,
            "undefined parameter 'iss'",
            1,
        ),
        // a parameter whose own definition fails is reported there, once
        // (not again as "undefined" wherever it is used)
        row(
            "t\n.param a={b} b={a}\nV1 n 0 1\nR1 n 0 {a}\n.op\n",
            2,
            11,
            "parameter cycle: a → b → a",
            1,
        ),
        row(
            "t\n.param a={a+1}\nV1 n 0 1\nR1 n 0 {a}\n.op\n",
            2,
            11,
            "parameter cycle: a → a",
            1,
        ),
        row(
            "t\n.param z=0 r={1/z}\nV1 a 0 1\nR1 a 0 {r}\n.op\n",
            2,
            15,
            "division by zero in '1 / z'",
            1,
        ),
        row(
            "t\n.param a={zz} b={2*a}\nV1 n 0 1\nR1 n 0 {b}\nR2 n 0 {a}\n.op\n",
            2,
            11,
            "undefined parameter 'zz'",
            1,
        ),
        row(
            "t\n.subckt div in out params: r={zz}\nR1 in out {r}\nR2 out 0 1k\n.ends\nV1 a 0 1\nX1 a b div\n.op\n",
            2,
            31,
            "undefined parameter 'zz'",
            1,
        ),
        row(
            "t\n.subckt s a\n.param q={1/0}\nR1 a 0 {q}\n.ends\nV1 a 0 1\nX1 a s\n.op\n",
            3,
            11,
            "division by zero",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 {1/0}\n.op\n",
            3,
            9,
            "division by zero in '1 / 0'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 {exp(1000)}\n.op\n",
            3,
            9,
            "exp(1000) is not a finite number",
            1,
        ),
        // ---- topology
        row(
            "t\nV1 a 0 1\nV2 a 0 2\nR1 a 0 1k\n.op\n",
            3,
            1,
            "loop of voltage sources/inductors: v1, v2",
            1,
        ),
        row(
            "t\nV1 a 0 1\nL1 a 0 1u\n.op\n",
            3,
            1,
            "loop of voltage sources/inductors: v1, l1",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1\nE1 b c a 0 2\nV2 c 0 0\nL1 b 0 1u\n.op\n",
            6,
            1,
            "loop of voltage sources/inductors: e1, v2, l1",
            1,
        ),
        // ---- names
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nr1 a 0 2k\n.op\n",
            4,
            1,
            "duplicate element name 'r1'",
            1,
        ),
        row(
            "t\n.subckt s a\nR1 a 0 1k\nR1 a 0 2k\n.ends\nV1 a 0 1\nX1 a s\n.op\n",
            4,
            1,
            "duplicate element name 'x1.r1'",
            1,
        ),
        row(
            "t\n.subckt s a\nR1 a 0 1k\n.ends\nV1 a 0 1\nX1 a s\nX1 a s\n.op\n",
            7,
            1,
            "duplicate element name 'x1'",
            1,
        ),
        row(
            "t\n.subckt in a\nR1 a 0 1k\n.ends\n.subckt out a\nXi a in\nxI a in\n.ends\nV1 a 0 1\nX1 a out\n.op\n",
            7,
            1,
            "duplicate element name 'x1.xi'",
            1,
        ),
        // ---- K
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nL1 b 0 1u\nK1 L1 R1 0.5\n.op\n",
            5,
            7,
            "'k1' couples 'r1', which is not an inductor",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nL1 b 0 1u\nK1 L1 L2 0.5\n.op\n",
            5,
            7,
            "'k1' couples 'l2', which does not exist",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1\nL1 b 0 1u\nL2 c 0 1u\nR2 c 0 1\nK1 L1 L2 1.5\n.op\n",
            7,
            10,
            "coupling coefficient of 'k1' must satisfy |k| ≤ 1 (got 1.5)",
            1,
        ),
        // ---- references to other elements and nodes (caught by `check`,
        // not only when the run builds the system)
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nF1 b 0 vx 2\nR2 b 0 1k\n.op\n",
            4,
            8,
            "controlling device 'vx' of 'f1' does not exist",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nH1 b 0 vx 2\nR2 b 0 1k\n.op\n",
            4,
            8,
            "controlling device 'vx' of 'h1' does not exist",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nB1 b 0 V=2*v(zz)\nR2 b 0 1k\n.op\n",
            4,
            12,
            "'b1' refers to unknown node 'zz'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nB1 b 0 I=v(a,zz)/1k\nR2 b 0 1k\n.op\n",
            4,
            10,
            "'b1' refers to unknown node 'zz'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\nB1 b 0 V=2*i(vz)\nR2 b 0 1k\n.op\n",
            4,
            12,
            "'b1' uses i(vz), which does not exist",
            1,
        ),
        // ---- statements naming nodes (.ic/.nodeset/.save of a missing
        // node or device: warnings, tests/compat_features.rs)
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.step param zz list 1 2\n.op\n",
            4,
            13,
            "'.step zz': no parameter or device of that name",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.step vz list 1 2\n.op\n",
            4,
            7,
            "'.step vz': no parameter or device of that name",
            1,
        ),
        // ---- options and analyses
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.options reltol=-1\n.op\n",
            4,
            10,
            "option 'reltol' must be positive (got -1)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.options method=euler\n.op\n",
            4,
            10,
            "method must be 'trap' or 'gear'",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.options itl1=0\n.op\n",
            4,
            10,
            "option 'itl1' must be ≥ 1 (got 0)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.options abstol=1p gmin\n.op\n",
            4,
            20,
            "option 'gmin' needs a numeric value",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.tran 0 1u\n",
            4,
            7,
            "tstep must be positive (got 0)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.tran -1n 1u\n",
            4,
            7,
            "tstep must be positive",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.tran 1n 0\n",
            4,
            10,
            "tstop must be positive (got 0)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.tran 1n 1u 2u\n",
            4,
            13,
            "tstart (0.000002) must be in [0, tstop)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.tran 1n 1u 0 -1n\n",
            4,
            15,
            "tmax must be positive",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.ac dec 10 0 1meg\n",
            4,
            12,
            "need 0 < fstart ≤ fstop (got 0, 1000000)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.ac dec 10 1meg 1k\n",
            4,
            17,
            "need 0 < fstart ≤ fstop",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.ac lin 10 -1 1k\n",
            4,
            12,
            "need 0 ≤ fstart ≤ fstop",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.ac oct 0 1 1k\n",
            4,
            9,
            "number of points must be ≥ 1",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.dc vz 0 1 0.1\n",
            4,
            5,
            "cannot sweep 'vz': no such source or resistor",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a 0 1k\n.dc v1 0 1 -0.1\n",
            4,
            12,
            "sweep step -0.1 does not lead from 0 to 1",
            1,
        ),
        // ---- device parameters
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nD1 b 0 dm\n.model dm d (is=0)\n.op\n",
            5,
            14,
            "IS must be positive (diode 'd1', got 0)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nD1 b 0 dm\n.model dm d (is=-1e-14)\n.op\n",
            5,
            14,
            "IS must be positive (diode 'd1', got -0.00000000000001)",
            1,
        ),
        row(
            "t\nV1 a 0 1\nR1 a b 1k\nD1 b 0 dm\n.model dm d (is=1e-14 rs=-1)\n.op\n",
            5,
            23,
            "RS must be ≥ 0 (diode 'd1', got -1)",
            1,
        ),
    ];
    check_rows(&rows);
}

/// References to nodes and elements defined further down the netlist are
/// fine (the checks above run once the whole circuit is known).
#[test]
fn forward_references_elaborate() {
    for text in [
        "t\nB1 b 0 V=2*v(a)+i(v1)\nR2 b 0 1k\nV1 a 0 1\nR1 a 0 1k\n.op\n",
        "t\nF1 b 0 v1 2\nH1 c 0 v1 3\nR2 b 0 1k\nR3 c 0 1k\nV1 a 0 1\nR1 a 0 1k\n.op\n",
        "t\n.subckt s p\nF1 p 0 vs 2\nVs q 0 1\nRq q 0 1k\n.ends\nX1 n s\nR1 n 0 1k\n.op\n",
    ] {
        assert_eq!(check(text), Vec::<String>::new(), "{text}");
    }
}

/// Runs `text` (as `t.cir`) through the run driver; returns the `short()`
/// line of the first failed analysis and the in-memory results.
fn run_failure(text: &str) -> (String, MemorySink) {
    let mut sm = SourceMap::new();
    let parsed = parse_str("t.cir", text, Path::new("."), &mut sm).expect("parses");
    let mut sink = MemorySink::new();
    let mut report = Vec::new();
    let mut np = NoProgress;
    let mut nsp = spinspice::sweep::exec::NoSweepProgress;
    let mut cfg = RunConfig {
        overrides: Vec::new(),
        report: &mut report,
        progress: &mut np,
        print_op: false,
        acct: false,
        steps: Vec::new(),
        sweep: Default::default(),
        sweep_progress: &mut nsp,
    };
    let summary = match run(parsed.netlist, text, &mut cfg, &mut sink) {
        Ok(s) => s,
        Err(d) => panic!("elaboration failed: {}", d[0].short(&sm)),
    };
    assert_eq!(summary.failures.len(), 1, "the analysis must fail");
    assert_eq!(sink.complete, Some(false));
    (summary.failures[0].1.short(&sm), sink)
}

/// A circuit without an operating point: 1 kA·e^(v/1 mV) injected into node a
/// against (1 V − v)/1 kΩ; h(v) = (v − 1)/1k − 1e3·e^(1000 v) peaks at
/// e^(1000 v) = 1e-9 where it is still −1.02 mA, so no root exists. The error
/// points at the `.op` line and names the worst unknown.
#[test]
fn operating_point_failure_names_the_unknown() {
    let nl = "t\nV1 in 0 1\nR1 in a 1k\nB1 0 a I=1e3*exp(1e3*v(a))\n.op\n.end\n";
    let (msg, _) = run_failure(nl);
    assert!(
        msg.starts_with("t.cir:5:1: error: operating point failed: "),
        "{msg}"
    );
    let named = ["v(in)", "v(a)", "i(v1)", "b1"]
        .iter()
        .any(|u| msg.contains(&format!("unknown {u}")) || msg.contains(&format!("at {u}")));
    assert!(named, "no unknown named: {msg}");
}

/// A runaway in transient (uic, so no operating point is needed): the step
/// shrinks below the minimum and the error names the time reached and the
/// unknown that would not converge. The points accepted before are kept.
#[test]
fn transient_failure_names_time_and_unknown() {
    let nl =
        "t\nV1 in 0 1\nR1 in a 1k\nC1 a 0 1n\nB1 0 a I=1e-3*exp(1e3*v(a))\n.tran 1u 1m uic\n.end\n";
    let (msg, sink) = run_failure(nl);
    let head = "t.cir:6:1: error: time step too small at t = ";
    assert!(msg.starts_with(head), "{msg}");
    let t: f64 = msg[head.len()..]
        .split_whitespace()
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no time in {msg}"));
    assert!(t > 0.0 && t < 1e-3, "{msg}");
    assert!(msg.contains("v(a)") || msg.contains("b1"), "{msg}");
    // everything accepted before the failure is in the results
    let tr = sink.analysis(AnalysisKind::Tran).expect("tran results");
    assert!(!tr.sweep.is_empty());
    assert!(*tr.sweep.last().unwrap() <= t);
}

/// A DC sweep that loses its solution partway: the error names the value of
/// the swept source where it failed; the points before it are kept.
#[test]
fn dc_sweep_failure_names_the_sweep_value() {
    // 1 µA·exp(v/1 mV) into node a, 1 kΩ from a to the source: a solution
    // needs h(v) = (v − v1)/1k − 1e-6·e^(1000 v) = 0; h is concave with its
    // maximum −v1/1k − 1 µA at v = 0, so a root exists iff v1 ≤ −1 mV:
    // the sweep −1, −0.5, 0, … fails at v1 = 0.
    let nl = "t\nV1 in 0 0\nR1 in a 1k\nB1 0 a I=1e-6*exp(1e3*v(a))\n.dc v1 -1 1 0.5\n.end\n";
    let (msg, sink) = run_failure(nl);
    assert!(
        msg.starts_with("t.cir:5:1: error: DC sweep failed at v1=0e0: "),
        "{msg}"
    );
    let dc = sink.analysis(AnalysisKind::Dc).expect("dc results");
    assert_eq!(dc.sweep, vec![-1.0, -0.5]);
}

/// `.options minstep` larger than the first step of a healthy RC circuit.
#[test]
fn minstep_above_the_first_step_does_not_fail() {
    let nl = "t\nV1 in 0 PULSE(0 1 0 1n 1n 1u 2u)\nR1 in a 1k\nC1 a 0 1p\n.options minstep=1e-9\n.tran 1n 10u\n.end\n";
    let (sink, summary) = simulate_str(nl, &[]).expect("elaborates");
    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    let tr = sink.analysis(AnalysisKind::Tran).unwrap();
    assert!((tr.sweep.last().unwrap() - 10e-6).abs() < 1e-15);
}
