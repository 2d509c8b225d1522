//! Netlist features run end to end (parser → elaboration → analyses → sink),
//! each checked against an independent truth: a closed form computed here, a
//! hand-derived number, or ngspice on the same netlist (skipped with a notice
//! when ngspice is missing, failing when `SPINSPICE_REQUIRE_TOOLS=1`).

mod common;

use spinspice::analysis::run::{run, simulate_str, NoProgress, RunConfig, RunSummary};
use spinspice::diag::SourceMap;
use spinspice::netlist::parse_str;
use spinspice::output::memory::{MemAnalysis, MemorySink};
use spinspice::output::{AnalysisKind, PointStatus};
use std::f64::consts::PI;
use std::path::Path;

/// Tight tolerances for comparisons with closed forms.
const TIGHT: &str = ".options reltol=1e-6 trtol=1 vntol=1e-9 abstol=1e-15\n";

/// Boltzmann constant and elementary charge (CODATA 2018, exact).
const KB: f64 = 1.380_649e-23;
const QE: f64 = 1.602_176_634e-19;

/// Run a netlist that must succeed.
fn sim(nl: &str) -> MemorySink {
    sim_with(nl, &[]).0
}

fn sim_with(nl: &str, ov: &[(&str, f64)]) -> (MemorySink, RunSummary) {
    let ov: Vec<(String, f64)> = ov.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let (sink, summary) = simulate_str(nl, &ov).unwrap_or_else(|e| panic!("{e}\n{nl}"));
    assert!(summary.failures.is_empty(), "{:?}\n{nl}", summary.failures);
    assert_eq!(sink.complete, Some(true));
    (sink, summary)
}

/// Run through the driver and also return what it prints (operating point
/// listings, measures, step lines).
fn sim_report(nl: &str) -> (MemorySink, RunSummary, String) {
    let mut sm = SourceMap::new();
    let parsed = parse_str("t.cir", nl, Path::new("."), &mut sm).expect("parses");
    let mut sink = MemorySink::new();
    let mut report = Vec::new();
    let mut np = NoProgress;
    let mut nsp = spinspice::sweep::exec::NoSweepProgress;
    let mut cfg = RunConfig {
        overrides: Vec::new(),
        report: &mut report,
        progress: &mut np,
        print_op: true,
        acct: false,
        steps: Vec::new(),
        sweep: Default::default(),
        sweep_progress: &mut nsp,
    };
    let summary = run(parsed.netlist, nl, &mut cfg, &mut sink)
        .unwrap_or_else(|d| panic!("{}", d[0].short(&sm)));
    (sink, summary, String::from_utf8(report).unwrap())
}

fn an(sink: &MemorySink, kind: AnalysisKind) -> &MemAnalysis {
    sink.analysis(kind)
        .unwrap_or_else(|| panic!("no {} analysis", kind.name()))
}

fn col<'a>(a: &'a MemAnalysis, name: &str) -> &'a [f64] {
    a.signal(name).unwrap_or_else(|| {
        panic!(
            "no signal {name} in {:?}",
            a.info.signals.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

fn meas(sink: &MemorySink, name: &str) -> f64 {
    match sink.measure(name) {
        Some(Ok(v)) => *v,
        other => panic!("measure {name}: {other:?}"),
    }
}

fn assert_rel(got: f64, want: f64, tol: f64, what: &str) {
    let e = (got - want).abs() / want.abs().max(1e-300);
    assert!(
        e <= tol,
        "{what}: got {got:e}, want {want:e} (rel. error {e:.2e} > {tol:e})"
    );
}

fn assert_abs(got: f64, want: f64, tol: f64, what: &str) {
    let e = (got - want).abs();
    assert!(
        e <= tol,
        "{what}: got {got:e}, want {want:e} (error {e:.2e} > {tol:e})"
    );
}

// ===================================================================== .step

/// Divider `V1 — R1 — b — R2 — 0` solved by hand: v(b) = V·R2/(R1+R2).
fn divider(v: f64, r1: f64, r2: f64) -> f64 {
    v * r2 / (r1 + r2)
}

/// The `.op` results of every step point, in order, with their point index.
fn op_points(sink: &MemorySink) -> Vec<(usize, &MemAnalysis)> {
    sink.analyses
        .iter()
        .filter(|a| a.info.kind == AnalysisKind::Op)
        .map(|a| (a.point.expect("step point index"), a))
        .collect()
}

#[test]
fn step_list_lin_dec_oct_values_and_results() {
    // (step line, expected values of r computed by hand)
    let r10 = 10f64.sqrt();
    let r2 = 2f64.sqrt();
    let cases: Vec<(&str, Vec<f64>)> = vec![
        (".step param r list 1k 2k 5k", vec![1e3, 2e3, 5e3]),
        (
            ".step lin param r 1k 2k 250",
            vec![1e3, 1.25e3, 1.5e3, 1.75e3, 2e3],
        ),
        (".step param r 1k 2k 500", vec![1e3, 1.5e3, 2e3]),
        (
            ".step dec param r 1k 100k 2",
            vec![1e3, 1e3 * r10, 1e4, 1e4 * r10, 1e5],
        ),
        (
            ".step oct param r 1k 8k 2",
            vec![1e3, 1e3 * r2, 2e3, 2e3 * r2, 4e3, 4e3 * r2, 8e3],
        ),
    ];
    for (line, want) in cases {
        let nl =
            format!("step\n.param r=1k\nV1 a 0 2\nR1 a b {{r}}\nR2 b 0 1k\n{line}\n.op\n.end\n");
        let (sink, summary) = sim_with(&nl, &[]);
        let steps = sink.steps.as_ref().expect("step info");
        assert_eq!(steps.params, vec!["r".to_string()], "{line}");
        assert_eq!(steps.values.len(), want.len(), "{line}: {:?}", steps.values);
        assert_eq!(summary.points, want.len());
        let ops = op_points(&sink);
        assert_eq!(ops.len(), want.len(), "{line}");
        for (k, w) in want.iter().enumerate() {
            assert_rel(steps.values[k][0], *w, 1e-12, line);
            assert_eq!(ops[k].0, k);
            let vb = col(ops[k].1, "v(b)")[0];
            assert_rel(vb, divider(2.0, *w, 1e3), 1e-9, line);
        }
        assert_eq!(
            sink.status,
            (0..want.len())
                .map(|k| (k, PointStatus::Ok))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn nested_steps_first_line_varies_fastest() {
    // two .step lines: a parameter and a source; 3 × 2 points
    let nl = "nested\n.param r=1k\nV1 a 0 1\nR1 a b {r}\nR2 b 0 1k\n\
              .step param r list 1k 3k 9k\n.step v1 list 2 5\n.op\n.end\n";
    let (sink, summary) = sim_with(nl, &[]);
    let steps = sink.steps.as_ref().unwrap();
    assert_eq!(steps.params, vec!["r".to_string(), "v1".to_string()]);
    let want = [
        (1e3, 2.0),
        (3e3, 2.0),
        (9e3, 2.0),
        (1e3, 5.0),
        (3e3, 5.0),
        (9e3, 5.0),
    ];
    assert_eq!(summary.points, 6);
    assert_eq!(steps.values.len(), 6);
    let ops = op_points(&sink);
    assert_eq!(ops.len(), 6);
    for (k, (r, v)) in want.iter().enumerate() {
        assert_eq!(steps.values[k], vec![*r, *v], "point {k}");
        assert_rel(col(ops[k].1, "v(a)")[0], *v, 1e-12, "v(a) = V1");
        assert_rel(col(ops[k].1, "v(b)")[0], divider(*v, *r, 1e3), 1e-9, "v(b)");
    }
}

#[test]
fn step_of_a_source_in_a_transient_with_measure_per_point() {
    // RC charged by V1: v(out) at 1 τ is V1·(1 − e^-1), one measure per point
    let nl = format!(
        "step source\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n IC=0\n{TIGHT}\
         .step v1 list 1 3\n.tran 10n 3u uic\n.meas tran v1tau find v(out) at=1u\n.end\n"
    );
    let (sink, _) = sim_with(&nl, &[]);
    let vals: Vec<f64> = sink
        .measures
        .iter()
        .filter(|m| m.name == "v1tau")
        .map(|m| *m.value.as_ref().unwrap())
        .collect();
    assert_eq!(vals.len(), 2);
    for (v, got) in [1.0, 3.0].iter().zip(&vals) {
        assert_rel(*got, v * (1.0 - (-1.0f64).exp()), 1e-4, "v(out) at τ");
    }
}

#[test]
fn param_overrides_replace_netlist_values() {
    let nl = "ov\n.param r=1k vin=1\nV1 a 0 {vin}\nR1 a b {r}\nR2 b 0 1k\n.op\n.end\n";
    let (sink, _) = sim_with(nl, &[]);
    assert_rel(
        col(an(&sink, AnalysisKind::Op), "v(b)")[0],
        0.5,
        1e-12,
        "default",
    );
    let (sink, _) = sim_with(nl, &[("r", 3e3), ("vin", 8.0)]);
    assert_rel(
        col(an(&sink, AnalysisKind::Op), "v(b)")[0],
        divider(8.0, 3e3, 1e3),
        1e-12,
        "overridden",
    );
    // an override of a parameter that others depend on propagates
    let nl2 = "ov\n.param r=1k r2={2*r}\nV1 a 0 3\nR1 a b {r}\nR2 b 0 {r2}\n.op\n.end\n";
    let (sink, _) = sim_with(nl2, &[("r", 5e3)]);
    assert_rel(
        col(an(&sink, AnalysisKind::Op), "v(b)")[0],
        divider(3.0, 5e3, 10e3),
        1e-12,
        "dependent",
    );
    // an unknown name is an error, not silently ignored
    let e = simulate_str(nl, &[("nosuch".to_string(), 1.0)]).unwrap_err();
    assert!(e.contains("nosuch"), "{e}");
}

#[test]
fn failing_step_point_is_reported_and_the_others_finish() {
    // m = 0 makes R1 invalid at the second point only (a zero resistance
    // is 1 mΩ, as in ngspice)
    let nl = "fail\n.param r=1\nV1 a 0 1\nR1 a b 1k m={r}\nR2 b 0 1k\n.step param r list 1 0 3\n.op\n.end\n";
    let (sink, summary) = simulate_str(nl, &[]).unwrap();
    assert_eq!(summary.points, 3);
    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].0, 1);
    assert!(
        summary.failures[0].1.message.contains("m of 'r1'"),
        "{:?}",
        summary.failures
    );
    assert_eq!(sink.complete, Some(false));
    assert_eq!(sink.status.len(), 3);
    assert_eq!(sink.status[0], (0, PointStatus::Ok));
    assert!(matches!(sink.status[1], (1, PointStatus::Failed(_))));
    assert_eq!(sink.status[2], (2, PointStatus::Ok));
    let ops = op_points(&sink);
    assert_eq!(ops.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 2]);
    assert_rel(
        col(ops[1].1, "v(b)")[0],
        divider(1.0, 1e3 / 3.0, 1e3),
        1e-12,
        "point 3 (m = 3)",
    );
}

// ======================================================================= .dc

/// Diode current at applied voltage `v` with series resistance `rs`: solves
/// I = IS·(e^{(v − I·RS)/(N·Vt)} − 1) + gmin·(v − I·RS) by bisection on the
/// junction voltage (the SPICE diode: a gmin conductance across the junction).
fn diode_current(v: f64, is: f64, n: f64, rs: f64, gmin: f64, temp_c: f64) -> f64 {
    let vt = KB * (temp_c + 273.15) / QE;
    let i_of = |vd: f64| is * ((vd / (n * vt)).exp() - 1.0) + gmin * vd;
    // f(vd) = vd + rs·I(vd) − v is increasing in vd
    let (mut lo, mut hi) = (v.min(0.0) - 1.0, v.max(0.0) + 1.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid + rs * i_of(mid) - v > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    i_of(0.5 * (lo + hi))
}

#[test]
fn dc_diode_iv_matches_shockley_with_series_resistance() {
    let nl = ".dc diode\nV1 a 0 0\nD1 a 0 dm\n.model dm d (is=1e-12 n=1.2 rs=10)\n\
              .options reltol=1e-9 abstol=1e-18 vntol=1e-12 gmin=1e-12\n.dc v1 -0.09 1 0.01\n.end\n";
    let sink = sim(nl);
    let dc = an(&sink, AnalysisKind::Dc);
    assert_eq!(dc.info.sweep.name, "v1");
    // Shockley holds above −3·N·Vt = −93 mV (below, SPICE switches to its
    // reverse-bias expression)
    assert_eq!(dc.sweep.len(), 110);
    let i = col(dc, "i(v1)");
    let mut checked = 0;
    for (k, &v) in dc.sweep.iter().enumerate() {
        assert_abs(v, -0.09 + 0.01 * k as f64, 1e-12, "sweep value");
        let want = diode_current(v, 1e-12, 1.2, 10.0, 1e-12, 27.0);
        // i(v1) flows into the + terminal of V1: minus the diode current
        let got = -i[k];
        assert!(
            (got - want).abs() <= 1e-6 * want.abs() + 1e-16,
            "v = {v}: I = {got:e}, Shockley with RS gives {want:e}"
        );
        checked += 1;
    }
    assert_eq!(checked, 110);
    // and the current is in the regime where RS matters at the top
    let top = diode_current(1.0, 1e-12, 1.2, 10.0, 1e-12, 27.0);
    assert!(top * 10.0 > 0.1, "RS drop {}", top * 10.0);
}

#[test]
fn dc_divider_is_linear_and_nested_sweep_orders_points() {
    // single sweep: v(b) = v1·R2/(R1+R2) exactly
    let sink = sim("div\nV1 a 0 0\nR1 a b 3k\nR2 b 0 1k\n.dc v1 -5 5 0.5\n.end\n");
    let dc = an(&sink, AnalysisKind::Dc);
    assert_eq!(dc.sweep.len(), 21);
    for (v, vb) in dc.sweep.iter().zip(col(dc, "v(b)")) {
        assert_abs(*vb, divider(*v, 3e3, 1e3), 1e-12, "divider");
    }
    // nested: V1 inner, V2 outer; superposition at node b of
    // V1 —R1— b —R2— V2 and R3 from b to ground:
    // v(b) = (v1/R1 + v2/R2) / (1/R1 + 1/R2 + 1/R3)
    let sink = sim(
        "nested dc\nV1 a 0 0\nV2 c 0 0\nR1 a b 1k\nR2 c b 2k\nR3 b 0 4k\n.dc v1 0 2 0.5 v2 -1 1 1\n.end\n",
    );
    let dc = an(&sink, AnalysisKind::Dc);
    assert_eq!(dc.info.sweep.name, "v1");
    assert_eq!(dc.info.signals[0].name, "v2", "outer sweep column first");
    let v2 = col(dc, "v2");
    let vb = col(dc, "v(b)");
    assert_eq!(dc.sweep.len(), 15);
    let mut k = 0;
    for o in [-1.0, 0.0, 1.0] {
        for i in [0.0, 0.5, 1.0, 1.5, 2.0] {
            assert_abs(dc.sweep[k], i, 1e-12, "inner value");
            assert_abs(v2[k], o, 1e-12, "outer value");
            let want = (i / 1e3 + o / 2e3) / (1.0 / 1e3 + 1.0 / 2e3 + 1.0 / 4e3);
            assert_abs(vb[k], want, 1e-12, "superposition");
            k += 1;
        }
    }
}

#[test]
fn dc_sweep_of_a_resistor_value() {
    let sink = sim("rsweep\nV1 a 0 10\nR1 a b 1k\nR2 b 0 1k\n.dc r1 1k 10k 1k\n.end\n");
    let dc = an(&sink, AnalysisKind::Dc);
    assert_eq!(dc.sweep.len(), 10);
    for (k, (r, vb)) in dc.sweep.iter().zip(col(dc, "v(b)")).enumerate() {
        assert_abs(*r, 1e3 * (k + 1) as f64, 1e-9, "r1 value");
        assert_abs(*vb, divider(10.0, *r, 1e3), 1e-12, "v(b)");
    }
}

// ================================================ initial conditions, .tran

/// Max |sim − exact| over the output points (with t ≥ `from`).
fn max_err(a: &MemAnalysis, sig: &str, exact: impl Fn(f64) -> f64, from: f64) -> f64 {
    let y = col(a, sig);
    let mut worst = 0.0f64;
    let mut n = 0;
    for (t, v) in a.sweep.iter().zip(y) {
        if *t >= from {
            worst = worst.max((v - exact(*t)).abs());
            n += 1;
        }
    }
    assert!(n > 20, "only {n} points");
    worst
}

#[test]
fn ic_without_uic_holds_the_node_in_the_operating_point() {
    // V1 = 1 charges C through R; .ic holds v(out) = 0.25 in the operating
    // point, then the node is released: v(t) = 1 − 0.75·e^{−t/RC}
    let nl = format!(
        "ic\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n\n.ic v(out)=0.25\n{TIGHT}.tran 10n 5u\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    assert_eq!(tr.sweep[0], 0.0);
    assert_abs(col(tr, "v(out)")[0], 0.25, 1e-9, "v(out) at t = 0");
    assert_abs(col(tr, "v(in)")[0], 1.0, 1e-12, "v(in) at t = 0");
    // the source current at t = 0 is what the held node draws: (1 − 0.25)/1k
    assert_rel(col(tr, "i(v1)")[0], -0.75e-3, 1e-6, "i(v1) at t = 0");
    let tau = 1e-6;
    let e = max_err(tr, "v(out)", |t| 1.0 - 0.75 * (-t / tau).exp(), 0.0);
    assert!(e < 1e-4, "max error {e:e}");
}

#[test]
fn nodeset_selects_the_state_of_a_bistable_circuit() {
    // 1 mA·tanh(10·v) injected into a, 1 kΩ to ground: v = tanh(10 v) has the
    // roots 0 and ±v* (v* ≈ 1). Newton from 0 stays at 0; a nodeset near
    // ±1 leads to ±v*.
    let vstar = {
        let mut v: f64 = 1.0;
        for _ in 0..100 {
            v = (10.0 * v).tanh();
        }
        v
    };
    assert!((vstar - (10.0 * vstar).tanh()).abs() < 1e-15);
    let base = "bistable\nB1 0 a I=1m*tanh(10*v(a))\nR1 a 0 1k\n.options reltol=1e-9 vntol=1e-12 abstol=1e-18\n";
    let op = |extra: &str| -> f64 {
        let sink = sim(&format!("{base}{extra}.op\n.end\n"));
        col(an(&sink, AnalysisKind::Op), "v(a)")[0]
    };
    assert_abs(op(""), 0.0, 1e-12, "no nodeset");
    assert_abs(op(".nodeset v(a)=0.8\n"), vstar, 1e-9, "nodeset +0.8");
    assert_abs(op(".nodeset v(a)=-0.8\n"), -vstar, 1e-9, "nodeset −0.8");
    // .ic (unlike .nodeset) keeps holding the node
    assert_abs(op(".ic v(a)=0.3\n"), 0.3, 1e-12, ".ic holds");
}

#[test]
fn uic_starts_from_element_initial_conditions() {
    // RC: C1 IC=0.3 → v(t) = 1 − 0.7·e^{−t/RC} for t > 0
    let nl = format!(
        "uic rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n IC=0.3\n{TIGHT}.tran 10n 5u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let first = tr.sweep[1];
    assert!(first > 0.0 && first < 1e-8, "first step {first:e}");
    let e = max_err(tr, "v(out)", |t| 1.0 - 0.7 * (-t * 1e6).exp(), first);
    assert!(e < 1e-4, "RC max error {e:e}");
    // RL: L1 IC=5 mA, V1 = 1 through 100 Ω → i(t) = 10m + (5m − 10m)·e^{−tR/L}
    let nl = format!(
        "uic rl\nV1 in 0 1\nR1 in a 100\nL1 a 0 1m IC=5m\n{TIGHT}.tran 100n 50u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let tau = 1e-3 / 100.0;
    let e = max_err(
        tr,
        "i(l1)",
        |t| 0.01 - 0.005 * (-t / tau).exp(),
        tr.sweep[1],
    );
    assert!(e < 1e-4 * 0.01, "RL max error {e:e}");
}

/// With `uic` the point written at t = 0 must be the initial state: the
/// sources' values and the C/L initial conditions (ngspice 39 writes
/// v(in) = 1, v(out) ≈ 0.3, i(v1) ≈ −0.7 mA for the RC below).
#[test]
fn uic_output_at_time_zero_is_the_initial_state() {
    let nl = format!(
        "uic rc\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n IC=0.3\n{TIGHT}.tran 10n 5u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    assert_eq!(tr.sweep[0], 0.0);
    assert_abs(col(tr, "v(in)")[0], 1.0, 1e-12, "v(in) at 0");
    assert_abs(col(tr, "v(out)")[0], 0.3, 1e-9, "v(out) at 0");
    assert_rel(col(tr, "i(v1)")[0], -0.7e-3, 1e-6, "i(v1) at 0");
    let nl = format!(
        "uic rl\nV1 in 0 1\nR1 in a 100\nL1 a 0 1m IC=5m\n{TIGHT}.tran 100n 50u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    assert_abs(col(tr, "i(l1)")[0], 5e-3, 1e-12, "i(l1) at 0");
}

/// A 1 V step with a 1 ns ramp at t = 0 into an RC (τ = 1 µs); exact:
/// v = (t − τ(1 − e^{−t/τ}))/tr during the ramp, then
/// 1 − (τ/tr)(e^{tr/τ} − 1)·e^{−t/τ}. ngspice 39 gets v(1 ns) = 4.9987e-4
/// (exact 4.9983e-4): it cuts its first step to a tenth of the distance to
/// the first breakpoint.
#[test]
fn first_step_onto_a_ramp_is_error_controlled() {
    let nl = format!(
        "ramp\nV1 in 0 PULSE(0 1 0 1n 1n 1 2)\nR1 in out 1k\nC1 out 0 1n\n{TIGHT}.tran 10n 5u\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let (tau, rise) = (1e-6, 1e-9);
    let exact = |t: f64| {
        if t <= rise {
            (t - tau * (1.0 - (-t / tau).exp())) / rise
        } else {
            1.0 - tau / rise * ((rise / tau).exp() - 1.0) * (-t / tau).exp()
        }
    };
    let e = max_err(tr, "v(out)", exact, 0.0);
    assert!(e < 1e-4, "max error {e:e}");
}

#[test]
fn interp_writes_a_uniform_grid() {
    let tstep = 50e-9;
    let nl = format!(
        "interp\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n IC=0\n{TIGHT}.options interp\n.tran 50n 5u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    assert_eq!(tr.sweep.len(), 101, "5 µs / 50 ns + 1 points");
    for (k, t) in tr.sweep.iter().enumerate() {
        assert_abs(*t, k as f64 * tstep, 1e-9 * tstep, "grid time");
    }
    let e = max_err(tr, "v(out)", |t| 1.0 - (-t * 1e6).exp(), 0.0);
    assert!(e < 1e-4, "interpolated max error {e:e}");
}

#[test]
fn gear_is_accurate_on_rc() {
    let nl = format!(
        "gear\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n IC=0\n{TIGHT}.options method=gear\n.tran 10n 5u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let e = max_err(tr, "v(out)", |t| 1.0 - (-t * 1e6).exp(), 0.0);
    assert!(e < 1e-4, "gear max error {e:e}");
    // the same with trap for comparison: both meet the bound
    let sink = sim(&nl.replace("method=gear", "method=trap"));
    let e = max_err(
        an(&sink, AnalysisKind::Tran),
        "v(out)",
        |t| 1.0 - (-t * 1e6).exp(),
        0.0,
    );
    assert!(e < 1e-4, "trap max error {e:e}");
}

#[test]
fn tstart_suppresses_earlier_output() {
    let nl = format!(
        "tstart\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1n IC=0\n{TIGHT}.tran 10n 5u 2u uic\n.end\n"
    );
    let sink = sim(&nl);
    let tr = an(&sink, AnalysisKind::Tran);
    assert!(tr.sweep.len() > 20);
    assert!(
        tr.sweep.iter().all(|&t| t >= 2e-6),
        "first t = {:e}",
        tr.sweep[0]
    );
    assert_abs(*tr.sweep.last().unwrap(), 5e-6, 1e-18, "tstop");
    // the run before tstart still happened: values follow the closed form
    let e = max_err(tr, "v(out)", |t| 1.0 - (-t * 1e6).exp(), 0.0);
    assert!(e < 1e-4, "max error {e:e}");
    // with interp, the grid starts at tstart exactly
    let sink = sim(&nl.replace(".tran", ".options interp\n.tran"));
    let tr = an(&sink, AnalysisKind::Tran);
    assert_abs(tr.sweep[0], 2e-6, 1e-18, "first grid point");
    assert_eq!(tr.sweep.len(), 301);
}

#[test]
fn tmax_bounds_every_step() {
    // a slow RC (τ = 1 ms) would take long steps; tmax = 2 µs forbids them
    let nl = "tmax\nV1 in 0 1\nR1 in out 1k\nC1 out 0 1u IC=0\n.tran 100u 1m 0 2u uic\n.end\n";
    let sink = sim(nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let worst = tr
        .sweep
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max);
    assert!(worst <= 2e-6 * (1.0 + 1e-9), "largest step {worst:e}");
    assert!(tr.sweep.len() >= 500);
    // without tmax the steps are longer (so the bound above is not vacuous)
    let sink = sim(&nl.replace(" 0 2u uic", " uic"));
    let free = an(&sink, AnalysisKind::Tran)
        .sweep
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max);
    assert!(free > 2e-6, "largest free step {free:e}");
}

// ============================================================ E F G H B K

/// Complex arithmetic for the closed forms (kept local and explicit).
#[derive(Clone, Copy, Debug)]
struct C(f64, f64);
impl C {
    fn add(self, o: C) -> C {
        C(self.0 + o.0, self.1 + o.1)
    }
    fn mul(self, o: C) -> C {
        C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn div(self, o: C) -> C {
        let d = o.0 * o.0 + o.1 * o.1;
        C(
            (self.0 * o.0 + self.1 * o.1) / d,
            (self.1 * o.0 - self.0 * o.1) / d,
        )
    }
    fn scale(self, k: f64) -> C {
        C(self.0 * k, self.1 * k)
    }
    fn abs(self) -> f64 {
        self.0.hypot(self.1)
    }
    fn arg(self) -> f64 {
        self.1.atan2(self.0)
    }
}

/// Transformer: V1 —R1— p, L1 p–0, L2 s–0 coupled by k, RL s–0.
/// Loop equations (I1 into L1 at p, I2 into L2 at s):
///   (R1 + jωL1)·I1 + jωM·I2 = V,   jωM·I1 + (RL + jωL2)·I2 = 0,
/// so I1 = V / (R1 + jωL1 + ω²M²/(RL + jωL2)), I2 = −jωM·I1/(RL + jωL2),
/// v(s) = −RL·I2, v(p) = V − R1·I1.
fn transformer(f: f64, r1: f64, l1: f64, l2: f64, k: f64, rl: f64) -> (C, C) {
    let w = 2.0 * PI * f;
    let m = k * (l1 * l2).sqrt();
    let zsec = C(rl, w * l2);
    let zin = C(r1, w * l1).add(C(w * w * m * m, 0.0).div(zsec));
    let i1 = C(1.0, 0.0).div(zin);
    let i2 = C(0.0, -w * m).mul(i1).div(zsec);
    let vs = i2.scale(-rl);
    let vp = C(1.0, 0.0).add(i1.scale(-r1));
    (vp, vs)
}

#[test]
fn coupled_inductors_ac_match_the_loop_equations() {
    let nl = "xfmr ac\nV1 in 0 AC 1\nR1 in p 10\nL1 p 0 10u\nL2 s 0 10u\nRL s 0 50\nK1 L1 L2 0.9\n\
              .ac dec 20 1k 100meg\n.end\n";
    let sink = sim(nl);
    let ac = an(&sink, AnalysisKind::Ac);
    assert_eq!(ac.sweep.len(), 101);
    let (sr, si) = (col(ac, "v(s)"), ac.signal_im("v(s)").unwrap());
    let (pr, pi) = (col(ac, "v(p)"), ac.signal_im("v(p)").unwrap());
    for (k, &f) in ac.sweep.iter().enumerate() {
        let (vp, vs) = transformer(f, 10.0, 10e-6, 10e-6, 0.9, 50.0);
        let got_s = C(sr[k], si[k]);
        let got_p = C(pr[k], pi[k]);
        let es = C(got_s.0 - vs.0, got_s.1 - vs.1).abs() / vs.abs();
        let ep = C(got_p.0 - vp.0, got_p.1 - vp.1).abs() / vp.abs();
        assert!(
            es < 1e-9 && ep < 1e-9,
            "f = {f:e}: v(s) {got_s:?} vs {vs:?}, v(p) {got_p:?} vs {vp:?}"
        );
    }
}

#[test]
fn coupled_inductors_sine_steady_state() {
    // 1 MHz sine into the transformer above. The natural modes decay with
    // the eigenvalues of L⁻¹R (computed here); after 20 µs they are below
    // 1e-7 and v(s) is the phasor solution |Vs|·sin(ωt + arg Vs).
    let (r1, l1, l2, k, rl, f) = (10.0, 10e-6, 10e-6, 0.9, 50.0, 1e6);
    let m = k * f64::sqrt(l1 * l2);
    let det = l1 * l2 - m * m;
    // L⁻¹R = [[L2·R1, −M·RL], [−M·R1, L1·RL]] / det
    let (a, b, c, d) = (l2 * r1 / det, -m * rl / det, -m * r1 / det, l1 * rl / det);
    let tr = a + d;
    let slowest = 0.5 * (tr - ((tr * tr) - 4.0 * (a * d - b * c)).sqrt());
    assert!((-slowest * 20e-6).exp() < 1e-7, "slowest rate {slowest:e}");
    let nl = format!(
        "xfmr tran\nV1 in 0 SIN(0 1 1meg)\nR1 in p 10\nL1 p 0 10u\nL2 s 0 10u\nRL s 0 50\nK1 L1 L2 0.9\n\
         {TIGHT}.tran 1n 24u\n.end\n"
    );
    let sink = sim(&nl);
    let trn = an(&sink, AnalysisKind::Tran);
    let (_, vs) = transformer(f, r1, l1, l2, k, rl);
    let amp = vs.abs();
    let ph = vs.arg();
    let e = max_err(trn, "v(s)", |t| amp * (2.0 * PI * f * t + ph).sin(), 20e-6);
    assert!(e < 1e-4 * amp, "max error {e:e} (amplitude {amp:e})");
}

#[test]
fn behavioural_amplifier_saturates_and_vi_stage_drives_a_resistor() {
    // B-V with limit(), a B-I transconductor, and E with VALUE={…}
    let nl = "b sources\nV1 in 0 0\nB1 amp 0 V=limit(10*v(in),-1,1)\nRa amp 0 1k\n\
              B2 0 out I=1m*v(in)\nRo out 0 2k\nE1 e 0 VALUE={2*v(in)+1}\nRe e 0 1k\n\
              B3 c 0 V=v(in) > 0 ? 0.5 : -0.5\nRc c 0 1k\n.dc v1 -0.5 0.5 0.01\n.end\n";
    let sink = sim(nl);
    let dc = an(&sink, AnalysisKind::Dc);
    assert_eq!(dc.sweep.len(), 101);
    let (amp, out, e, c) = (
        col(dc, "v(amp)"),
        col(dc, "v(out)"),
        col(dc, "v(e)"),
        col(dc, "v(c)"),
    );
    for (k, &v) in dc.sweep.iter().enumerate() {
        assert_abs(
            amp[k],
            (10.0 * v).clamp(-1.0, 1.0),
            1e-12,
            "saturating amplifier",
        );
        // 1 mA/V · v(in) injected into `out` through 2 kΩ
        assert_abs(out[k], 2.0 * v, 1e-12, "V→I stage");
        assert_abs(e[k], 2.0 * v + 1.0, 1e-12, "E VALUE");
        let want_c = if v > 0.0 { 0.5 } else { -0.5 };
        assert_abs(c[k], want_c, 1e-12, "ternary");
    }
    // in transient with a sine input, the amplifier clips at ±1
    let nl = "clip\nV1 in 0 SIN(0 0.5 1k)\nB1 amp 0 V=limit(10*v(in),-1,1)\nRa amp 0 1k\n.tran 10u 2m\n.end\n";
    let sink = sim(nl);
    let trn = an(&sink, AnalysisKind::Tran);
    let vin = col(trn, "v(in)");
    for (t, (a, vi)) in trn.sweep.iter().zip(col(trn, "v(amp)").iter().zip(vin)) {
        assert_abs(*vi, 0.5 * (2.0 * PI * 1e3 * t).sin(), 1e-12, "source");
        assert_abs(*a, (10.0 * vi).clamp(-1.0, 1.0), 1e-12, "clipped output");
    }
}

#[test]
fn current_controlled_sources_in_dc_and_ac() {
    // Vs (0 V) senses the current I from `in` into node a, which feeds R2
    // to ground and R1–C1: I = V/R2 in DC, V/R2 + V/(R1 + 1/(jωC)) in AC.
    // F1 (gain 3) draws 3·I from node f through itself to ground, so
    // v(f) = −3·I·Rf; H1 gives v(h) = 2k·I.
    let nl = "cc\nV1 in 0 DC 2 AC 1\nVs in a 0\nR2 a 0 4k\nR1 a b 1k\nC1 b 0 1n\n\
              F1 f 0 Vs 3\nRf f 0 500\nH1 h 0 Vs 2k\nRh h 0 1k\n.op\n.ac dec 10 1k 10meg\n.end\n";
    let sink = sim(nl);
    let op = an(&sink, AnalysisKind::Op);
    let idc = 2.0 / 4e3;
    assert_rel(col(op, "i(vs)")[0], idc, 1e-12, "i(vs)");
    assert_rel(col(op, "v(f)")[0], -3.0 * idc * 500.0, 1e-12, "F in DC");
    assert_rel(col(op, "v(h)")[0], 2e3 * idc, 1e-12, "H in DC");
    let ac = an(&sink, AnalysisKind::Ac);
    assert_eq!(ac.sweep.len(), 41);
    for (k, &f) in ac.sweep.iter().enumerate() {
        let w = 2.0 * PI * f;
        let i = C(1.0 / 4e3, 0.0).add(C(1.0, 0.0).div(C(1e3, -1.0 / (w * 1e-9))));
        for (sig, want) in [("v(f)", i.scale(-3.0 * 500.0)), ("v(h)", i.scale(2e3))] {
            let got = C(col(ac, sig)[k], ac.signal_im(sig).unwrap()[k]);
            let e = C(got.0 - want.0, got.1 - want.1).abs() / want.abs();
            assert!(e < 1e-9, "{sig} at {f:e} Hz: {got:?} vs {want:?}");
        }
    }
}

#[test]
fn voltage_controlled_sources_e_and_g_in_dc_and_ac() {
    // E1 = 5·v(in); G1 draws 2 mS·v(in) from node g to ground through
    // itself (current from n+ to n−), so v(g) = −2m·v(in)·Rg; the VALUE
    // forms give 3·v(in) − 1 and a current of 1m·v(in)² into node q.
    let nl = "eg\nV1 in 0 DC 0.4 AC 1 30\nRi in 0 1k\nE1 e 0 in 0 5\nRe e 0 1k\n\
              G1 g 0 in 0 2m\nRg g 0 500\nE2 ev 0 VALUE={3*v(in)-1}\nRev ev 0 1k\n\
              G2 0 q VALUE={1m*v(in)*v(in)}\nRq q 0 2k\n.op\n.ac lin 3 1k 3k\n.end\n";
    let sink = sim(nl);
    let op = an(&sink, AnalysisKind::Op);
    assert_abs(col(op, "v(e)")[0], 2.0, 1e-12, "E");
    assert_abs(col(op, "v(g)")[0], -2e-3 * 0.4 * 500.0, 1e-12, "G");
    assert_abs(col(op, "v(ev)")[0], 3.0 * 0.4 - 1.0, 1e-12, "E VALUE");
    assert_abs(col(op, "v(q)")[0], 1e-3 * 0.16 * 2e3, 1e-12, "G VALUE");
    // AC: linear gains on the 1∠30° input; the VALUE sources linearized at
    // the operating point (d/dv of 3v − 1 is 3, of 1m·v² is 2m·v = 0.8 mS)
    let ac = an(&sink, AnalysisKind::Ac);
    let vin = C((30f64).to_radians().cos(), (30f64).to_radians().sin());
    for (sig, gain) in [
        ("v(e)", 5.0),
        ("v(g)", -2e-3 * 500.0),
        ("v(ev)", 3.0),
        ("v(q)", 0.8e-3 * 2e3),
    ] {
        let want = vin.scale(gain);
        for k in 0..3 {
            let got = C(col(ac, sig)[k], ac.signal_im(sig).unwrap()[k]);
            let e = C(got.0 - want.0, got.1 - want.1).abs();
            assert!(e < 1e-12, "{sig}: {got:?} vs {want:?}");
        }
    }
}

#[test]
fn nested_subcircuits_with_parameters_functions_and_globals() {
    let nl = "subckt\n.func par(a,b) {a*b/(a+b)}\n.param rtop=1k\n\
              .subckt div in out params: r1=1k r2={2*r1}\nR1 in out {r1}\nR2 out 0 {r2}\n.ends\n\
              .subckt two in out params: k=1\nX1 in mid div r1={k*rtop}\nX2 mid out div r1={par(k*rtop,k*rtop)}\n.ends\n\
              V1 a 0 1\nXa a b two k=2\n\
              .global vg\nVg vg 0 3\n.subckt useg o\nRg vg o 1k\nRo o 0 2k\n.ends\nXg o useg\n\
              .op\n.end\n";
    let sink = sim(nl);
    let op = an(&sink, AnalysisKind::Op);
    // k = 2: X1 is 2k over 4k, X2 is par(2k, 2k) = 1k over 2k. Node mid sees
    // 4k ∥ (1k + 2k) = 12/7 k against 2k from a.
    let load = 4e3 * 3e3 / 7e3;
    let vmid = load / (2e3 + load);
    assert_rel(col(op, "v(xa.mid)")[0], vmid, 1e-12, "xa.mid");
    assert_rel(col(op, "v(b)")[0], vmid * 2.0 / 3.0, 1e-12, "b");
    // the global node vg is the same inside the subcircuit: 3 V · 2k/3k
    assert_rel(col(op, "v(o)")[0], 2.0, 1e-12, "global");
    assert!(col(op, "v(vg)")[0] == 3.0);
}

#[test]
fn temperature_scales_the_diode_like_ngspice() {
    if !common::have_ngspice() {
        return;
    }
    for temp in ["-20", "27", "100"] {
        let nl = format!(
            "temp\nV1 a 0 0.6\nD1 a 0 dm\n.model dm d(is=1e-14 n=1.1 eg=1.11 xti=3)\n\
             .options reltol=1e-9 abstol=1e-18\n.temp {temp}\n.op\n.end\n"
        );
        let sink = sim(&nl);
        let ours = col(an(&sink, AnalysisKind::Op), "i(v1)")[0];
        let dir = common::scratch(&format!("temp{temp}"));
        let plots = common::run_ngspice(&dir, &nl);
        let ng = plots
            .iter()
            .find(|p| p.name.to_lowercase().contains("operating point"))
            .expect("ngspice operating point");
        let theirs = ng.get("i(v1)")[0];
        // ngspice 39 uses the CODATA 2014 k and q (k/q = 8.6173303e-5 V/K),
        // spinspice the exact 2019 SI values (8.617333262e-5): Vt differs
        // by 3.4e-7 relative, which the exponent V/(N·Vt) ≤ 25 (and the IS
        // temperature factor) amplify to below 30 × 3.4e-7
        let kq_2014 = 1.380_648_52e-23 / 1.602_176_620_8e-19;
        let dkq = (KB / QE - kq_2014) / (KB / QE);
        assert!(dkq > 3.3e-7 && dkq < 3.5e-7, "{dkq}");
        assert_rel(ours, theirs, 30.0 * dkq, &format!("i(v1) at {temp} °C"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// ================================================================ sources

/// PULSE(V1 V2 TD TR TF PW PER), by its definition (linear edges).
fn pulse(t: f64, [v1, v2, td, tr, tf, pw, per]: [f64; 7]) -> f64 {
    if t < td {
        return v1;
    }
    let tau = (t - td) % per;
    if tau < tr {
        v1 + (v2 - v1) * tau / tr
    } else if tau < tr + pw {
        v2
    } else if tau < tr + pw + tf {
        v2 + (v1 - v2) * (tau - tr - pw) / tf
    } else {
        v1
    }
}

/// Whether `t` is among the output times (to 1e-12 relative).
fn has_time(ts: &[f64], t: f64) -> bool {
    ts.iter()
        .any(|x| (x - t).abs() <= 1e-12 * t.abs().max(1e-30))
}

#[test]
fn pulse_and_pwl_corners_are_output_points() {
    // a diode clamp makes the circuit nonlinear; the sources themselves are
    // written as v(p) and v(w)
    let nl = "corners\nVp p 0 PULSE(0 1 1u 0.1u 0.2u 1u 3u)\nRp p a 1k\nD1 a 0 dm\n\
              Vw w 0 PWL(0 0 0.5u 1 1.7u 1 2.2u -1 4u 0.25)\nRw w 0 1k\n\
              .model dm d (is=1e-14)\n.tran 10n 8u\n.end\n";
    let sink = sim(nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let (vp, vw) = (col(tr, "v(p)"), col(tr, "v(w)"));
    let mut corners = Vec::new();
    for k in 0..3 {
        let base = 1e-6 + 3e-6 * k as f64;
        for c in [0.0, 0.1e-6, 1.1e-6, 1.3e-6] {
            if base + c < 8e-6 {
                corners.push(base + c);
            }
        }
    }
    for &c in &corners {
        assert!(has_time(&tr.sweep, c), "PULSE corner {c:e} missing");
    }
    for c in [0.5e-6, 1.7e-6, 2.2e-6, 4e-6] {
        assert!(has_time(&tr.sweep, c), "PWL corner {c:e} missing");
    }
    // every output point carries the waveform values of the definitions
    let pwl_t = [0.0, 0.5e-6, 1.7e-6, 2.2e-6, 4e-6];
    let pwl_v = [0.0, 1.0, 1.0, -1.0, 0.25];
    for (k, &t) in tr.sweep.iter().enumerate() {
        assert_abs(
            vp[k],
            pulse(t, [0.0, 1.0, 1e-6, 0.1e-6, 0.2e-6, 1e-6, 3e-6]),
            1e-9,
            "pulse",
        );
        let w = common::interp(&pwl_t, &pwl_v, t);
        assert_abs(vw[k], w, 1e-9, "pwl");
    }
}

#[test]
fn pwl_delay_and_repeat_shift_the_corners() {
    // PWL(0 0 1u 1 2u 0) r=0 td=0.5u: the shape repeats from t = 0 (of the
    // list) every 2 µs, the whole thing delayed by 0.5 µs
    let nl = "pwl r td\nVw w 0 PWL(0 0 1u 1 2u 0) r=0 td=0.5u\nRw w 0 1k\n.tran 10n 7u\n.end\n";
    let sink = sim(nl);
    let tr = an(&sink, AnalysisKind::Tran);
    let vw = col(tr, "v(w)");
    for c in [0.5e-6, 1.5e-6, 2.5e-6, 3.5e-6, 4.5e-6, 5.5e-6, 6.5e-6] {
        assert!(has_time(&tr.sweep, c), "corner {c:e} missing");
    }
    for (k, &t) in tr.sweep.iter().enumerate() {
        let tau = t - 0.5e-6;
        let want = if tau <= 0.0 {
            0.0
        } else {
            let p = tau % 2e-6;
            if p <= 1e-6 {
                p / 1e-6
            } else {
                (2e-6 - p) / 1e-6
            }
        };
        assert_abs(vw[k], want, 1e-9, "repeated pwl");
    }
}

/// ngspice's value of `v(node)` at the given times (its rawfile interpolated
/// linearly onto them; ngspice is run with a step small enough that the
/// interpolation error is below `tol`).
fn ngspice_at(netlist: &str, node: &str, times: &[f64]) -> Option<Vec<f64>> {
    if !common::have_ngspice() {
        return None;
    }
    let dir = common::scratch(&format!("src-{node}"));
    let plots = common::run_ngspice(&dir, netlist);
    let p = plots
        .iter()
        .find(|p| p.name.to_lowercase().contains("transient"))?;
    let t = p.get("time");
    let y = p.get(&format!("v({node})"));
    Some(times.iter().map(|&x| common::interp(t, y, x)).collect())
}

#[test]
fn sffm_am_exp_sources_follow_their_formulas() {
    // SFFM(VO VA FC MDI FS): VO + VA·sin(2π·FC·t + MDI·sin(2π·FS·t))
    // AM(VA VO MF FC TD):    VA·(VO + sin(2π·MF·τ))·sin(2π·FC·τ), τ = t − TD > 0, else 0
    // EXP(V1 V2 TD1 TAU1 TD2 TAU2): V1 until TD1, then towards V2 with TAU1,
    //                              from TD2 back towards V1 with TAU2
    let body = "Vf f 0 SFFM(0.1 1 200k 3 20k)\nRf f 0 1k\n\
                Va a 0 AM(2 0.5 20k 200k 5u)\nRa a 0 1k\n\
                Ve e 0 EXP(-1 2 10u 5u 40u 8u)\nRe e 0 1k\n";
    let sink = sim(&format!("sources\n{body}.tran 50n 100u\n.end\n"));
    let tr = an(&sink, AnalysisKind::Tran);
    let sffm = |t: f64| 0.1 + (2.0 * PI * 200e3 * t + 3.0 * (2.0 * PI * 20e3 * t).sin()).sin();
    let am = |t: f64| {
        let tau = t - 5e-6;
        if tau <= 0.0 {
            0.0
        } else {
            2.0 * (0.5 + (2.0 * PI * 20e3 * tau).sin()) * (2.0 * PI * 200e3 * tau).sin()
        }
    };
    let exp = |t: f64| {
        let (v1, v2, td1, tau1, td2, tau2) = (-1.0, 2.0, 10e-6, 5e-6, 40e-6, 8e-6);
        let mut v = v1;
        if t > td1 {
            v += (v2 - v1) * (1.0 - (-(t - td1) / tau1).exp());
        }
        if t > td2 {
            v += (v1 - v2) * (1.0 - (-(t - td2) / tau2).exp());
        }
        v
    };
    let (f, a, e) = (col(tr, "v(f)"), col(tr, "v(a)"), col(tr, "v(e)"));
    for (k, &t) in tr.sweep.iter().enumerate() {
        assert_abs(f[k], sffm(t), 1e-9, &format!("sffm at {t:e}"));
        assert_abs(a[k], am(t), 1e-9, &format!("am at {t:e}"));
        assert_abs(e[k], exp(t), 1e-9, &format!("exp at {t:e}"));
    }
    // the source delays are breakpoints
    for c in [5e-6, 10e-6, 40e-6] {
        assert!(has_time(&tr.sweep, c), "delay {c:e} is not an output point");
    }
    // and ngspice agrees with the formulas (same netlist, fine step): checks
    // that the formulas above are the SPICE ones
    let times: Vec<f64> = (1..200).map(|k| k as f64 * 0.5e-6 + 0.123e-6).collect();
    let ng = format!("sources\n{body}.options reltol=1e-6\n.tran 1n 100u 0 1n\n.end\n");
    for (node, fun) in [("f", &sffm as &dyn Fn(f64) -> f64), ("a", &am), ("e", &exp)] {
        let Some(vals) = ngspice_at(&ng, node, &times) else {
            return;
        };
        for (t, v) in times.iter().zip(&vals) {
            assert_abs(
                *v,
                fun(*t),
                2e-3,
                &format!("ngspice v({node}) at {t:e} vs formula"),
            );
        }
    }
}

// =================================================================== .meas

#[test]
fn meas_tran_on_a_sine_against_closed_forms() {
    // v(in) = sin(2π·1k·t), sampled at least every µs
    let f = 1e3;
    let w = 2.0 * PI * f;
    let nl = "meas tran\nV1 in 0 SIN(0 1 1k)\nR1 in 0 1k\n.tran 1u 2m 0 1u\n\
              .meas tran avg1 avg v(in) from=0 to=1m\n\
              .meas tran avgq avg v(in) from=0 to=0.25m\n\
              .meas tran rms1 rms v(in) from=0 to=1m\n\
              .meas tran pp1 pp v(in)\n\
              .meas tran min1 min v(in)\n\
              .meas tran max1 max v(in)\n\
              .meas tran int1 integ v(in) from=0 to=0.5m\n\
              .meas tran find1 find v(in) at=0.125m\n\
              .meas tran when1 when v(in)=0.5 rise=1\n\
              .meas tran when2 when v(in)=0.5 cross=2\n\
              .meas tran fall2 when v(in)=-0.5 fall=2\n\
              .meas tran tt trig v(in) val=0.5 rise=1 targ v(in) val=-0.5 fall=1\n\
              .meas tran findw find i(v1) when v(in)=0.5 rise=2\n\
              .meas tran p1 param='max1-min1'\n.end\n";
    let (sink, _, report) = sim_report(nl);
    // ∫₀^T sin = (1 − cos ωT)/ω
    assert_abs(meas(&sink, "avg1"), 0.0, 1e-5, "avg over a period");
    assert_rel(
        meas(&sink, "avgq"),
        (1.0 - (w * 0.25e-3).cos()) / w / 0.25e-3,
        1e-5,
        "avg over a quarter",
    );
    assert_rel(meas(&sink, "rms1"), 0.5f64.sqrt(), 1e-5, "rms");
    assert_abs(meas(&sink, "pp1"), 2.0, 2e-5, "pp");
    assert_abs(meas(&sink, "min1"), -1.0, 1e-5, "min");
    assert_abs(meas(&sink, "max1"), 1.0, 1e-5, "max");
    assert_rel(
        meas(&sink, "int1"),
        2.0 / w,
        1e-5,
        "integ over a half period",
    );
    assert_abs(meas(&sink, "find1"), (w * 0.125e-3).sin(), 1e-5, "find at");
    // sin = 0.5 rising at 1/12 period, falling at 5/12; −0.5 falling at 7/12
    let per = 1.0 / f;
    assert_rel(meas(&sink, "when1"), per / 12.0, 1e-5, "when rise");
    assert_rel(meas(&sink, "when2"), 5.0 * per / 12.0, 1e-5, "when cross 2");
    assert_rel(
        meas(&sink, "fall2"),
        per + 7.0 * per / 12.0,
        1e-5,
        "when fall 2",
    );
    assert_rel(meas(&sink, "tt"), 0.5 * per, 1e-5, "trig/targ");
    // i(v1) = −v(in)/1k, found where v(in) = 0.5 the second time it rises
    assert_rel(meas(&sink, "findw"), -0.5e-3, 1e-5, "find when");
    assert_abs(
        meas(&sink, "p1"),
        meas(&sink, "max1") - meas(&sink, "min1"),
        1e-15,
        "param",
    );
    assert_abs(meas(&sink, "p1"), 2.0, 2e-5, "param value");
    // each measure is printed as `name = value`
    for name in ["avg1", "rms1", "pp1", "when1", "tt", "p1"] {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("{name} = ")))
            .unwrap_or_else(|| panic!("no line for {name} in\n{report}"));
        let v: f64 = line[name.len() + 3..].trim().parse().unwrap();
        assert_eq!(v, meas(&sink, name), "{line}");
    }
}

#[test]
fn meas_dc_on_a_divider() {
    // v(b) = v1/4 exactly; the sweep is linear so every measure is exact
    let nl = "meas dc\nV1 a 0 0\nR1 a b 3k\nR2 b 0 1k\n.dc v1 0 10 0.1\n\
              .meas dc vb6 find v(b) at=6\n\
              .meas dc vwhen when v(b)=1.1\n\
              .meas dc vmax max v(b)\n\
              .meas dc vavg avg v(b)\n\
              .meas dc vint integ v(b)\n\
              .meas dc vpp pp v(b) from=2 to=4\n.end\n";
    let sink = sim(nl);
    assert_abs(meas(&sink, "vb6"), 1.5, 1e-12, "find at");
    assert_abs(meas(&sink, "vwhen"), 4.4, 1e-9, "when");
    assert_abs(meas(&sink, "vmax"), 2.5, 1e-12, "max");
    assert_abs(meas(&sink, "vavg"), 1.25, 1e-12, "avg");
    assert_abs(meas(&sink, "vint"), 12.5, 1e-9, "integ");
    assert_abs(meas(&sink, "vpp"), 0.5, 1e-12, "pp in a window");
}

#[test]
fn meas_ac_bandwidth_of_an_rc_lowpass() {
    // H = 1/(1 + jωRC): |H|dB = −3 at ω·RC = √(10^0.3 − 1), i.e. 0.9976/(2πRC)
    let (r, c) = (1e3, 1e-9);
    let fc = 1.0 / (2.0 * PI * r * c);
    let f3 = (10f64.powf(0.3) - 1.0).sqrt() * fc;
    let nl = "meas ac\nV1 in 0 AC 1\nR1 in out 1k\nC1 out 0 1n\n.ac dec 200 1k 10meg\n\
              .meas ac f3db when vdb(out)=-3\n\
              .meas ac gfc find vdb(out) at=159154.94309189535\n\
              .meas ac pfc find vp(out) at=159154.94309189535\n\
              .meas ac g0 max vdb(out)\n.end\n";
    let (sink, _, report) = sim_report(nl);
    let got = meas(&sink, "f3db");
    assert_rel(got, f3, 1e-4, "−3 dB frequency");
    assert_rel(got, fc, 3e-3, "close to 1/(2πRC)");
    assert_abs(meas(&sink, "gfc"), -10.0 * 2f64.log10(), 1e-4, "gain at fc");
    assert_abs(meas(&sink, "pfc"), -PI / 4.0, 1e-4, "phase at fc (rad)");
    let g0 = -10.0 * (1.0 + (1e3 / fc).powi(2)).log10();
    assert_abs(meas(&sink, "g0"), g0, 1e-9, "gain at the first point");
    assert!(report.lines().any(|l| l.starts_with("f3db = ")), "{report}");
}

// ============================================================ .op report

/// Root of (10 − v)/1k = 1e-9·e^{40 v} by bisection.
fn exp_node() -> f64 {
    let g = |v: f64| (10.0 - v) / 1e3 - 1e-9 * (40.0 * v).exp();
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..200 {
        let m = 0.5 * (lo + hi);
        if g(m) > 0.0 {
            lo = m;
        } else {
            hi = m;
        }
    }
    0.5 * (lo + hi)
}

fn op_method(report: &str) -> &str {
    let line = report
        .lines()
        .find(|l| l.starts_with("operating point ("))
        .unwrap_or_else(|| panic!("no operating point line in\n{report}"));
    let inner = &line["operating point (".len()..];
    inner.split(',').next().unwrap()
}

#[test]
fn op_reports_the_method_that_worked() {
    // an easy circuit: plain Newton
    let (sink, _, report) = sim_report("easy\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n.op\n.end\n");
    assert_eq!(op_method(&report), "Newton", "{report}");
    assert_abs(
        col(an(&sink, AnalysisKind::Op), "v(b)")[0],
        0.5,
        1e-12,
        "divider",
    );
    // 1 nA·e^{40 v} drawn from node a, fed by 10 V through 1 kΩ: Newton from
    // v = 0 jumps to v ≈ 10 where e^{400} overflows, whatever ITL1 is; a
    // continuation method must find v* ≈ 0.40
    let want = exp_node();
    for itl in [3, 100] {
        let nl = format!(
            "hard\nV1 in 0 10\nR1 in a 1k\nB1 a 0 I=1e-9*exp(40*v(a))\n\
             .options itl1={itl} reltol=1e-9 vntol=1e-12\n.op\n.end\n"
        );
        let (sink, _, report) = sim_report(&nl);
        let m = op_method(&report);
        assert!(
            m == "gmin stepping" || m == "source stepping",
            "itl1={itl}: {report}"
        );
        assert_abs(
            col(an(&sink, AnalysisKind::Op), "v(a)")[0],
            want,
            1e-9,
            "v(a)",
        );
        // the listing holds every saved value as `name = value`
        assert!(report.lines().any(|l| l.starts_with("v(a) = ")), "{report}");
    }
}

// ================================================================== .save

fn csv_header(nl: &str) -> String {
    let dir = common::scratch("save");
    let path = dir.join("out.csv");
    let mut sm = SourceMap::new();
    let parsed = parse_str("t.cir", nl, Path::new("."), &mut sm).expect("parses");
    let mut sink = spinspice::output::open_sink(&path).unwrap();
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
    let s = run(parsed.netlist, nl, &mut cfg, sink.as_mut()).unwrap();
    assert!(s.failures.is_empty());
    drop(sink);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    text.lines().next().unwrap().to_string()
}

#[test]
fn save_selects_exactly_the_columns() {
    let base = "save\nV1 a 0 SIN(0 1 1meg)\nR1 a b 1k\nR2 b 0 1k\nL1 b c 1u\nR3 c 0 50\n";
    let tran = ".tran 10n 1u\n.end\n";
    assert_eq!(
        csv_header(&format!("{base}.save v(a,b) i(r1) i(v1)\n{tran}")),
        // a name holding the separator is quoted (RFC 4180)
        "time,\"v(a,b)\",i(r1),i(v1)"
    );
    assert_eq!(
        csv_header(&format!("{base}.save v(c)\n{tran}")),
        "time,v(c)"
    );
    // default and `.save all`: node voltages, then branch currents
    let all = "time,v(a),v(b),v(c),i(v1),i(l1)";
    assert_eq!(csv_header(&format!("{base}{tran}")), all);
    assert_eq!(csv_header(&format!("{base}.save all\n{tran}")), all);
    // `all` plus an extra probe appends it
    assert_eq!(
        csv_header(&format!("{base}.save all i(r2)\n{tran}")),
        format!("{all},i(r2)")
    );
}
