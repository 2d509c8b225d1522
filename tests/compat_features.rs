//! Issue 16: what third-party netlists use, each checked against a closed
//! form or against ngspice on the same netlist (skipped with a notice when
//! ngspice is missing, failing when `SPINSPICE_REQUIRE_TOOLS=1`).

mod common;

use spinspice::analysis::run::{simulate_str, RunSummary};
use spinspice::diag::SourceMap;
use spinspice::netlist::parse_str;
use spinspice::output::memory::MemorySink;
use spinspice::output::AnalysisKind;
use std::path::Path;
use std::process::Command;

/// Run through the driver; the sink, the summary (warnings) and the report.
fn sim(nl: &str) -> (MemorySink, RunSummary) {
    let (sink, summary) = simulate_str(nl, &[]).unwrap_or_else(|e| panic!("{e}\n{nl}"));
    assert!(summary.failures.is_empty(), "{:?}\n{nl}", summary.failures);
    (sink, summary)
}

fn warned(s: &RunSummary, what: &str) -> bool {
    s.warnings.iter().any(|w| w.message.contains(what))
}

/// Operating-point value of a signal.
fn op(sink: &MemorySink, name: &str) -> f64 {
    let a = sink.analysis(AnalysisKind::Op).expect("an .op");
    a.signal(name).unwrap_or_else(|| panic!("no {name}"))[0]
}

fn close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-30),
        "{what}: {a} vs {b} (rel {rel})"
    );
}

/// ngspice's operating point of `nl` (None when ngspice is missing).
fn ngspice_op(nl: &str, name: &str) -> Option<f64> {
    if !common::have_ngspice() {
        return None;
    }
    let dir = common::scratch(&format!("ngop-{}", name.replace(['(', ')', ','], "_")));
    let plots = common::run_ngspice(&dir, nl);
    let p = plots.iter().find(|p| p.name.contains("Operating"))?;
    Some(p.get(name)[0])
}

#[test]
fn suffix_a_is_a_unit_not_atto() {
    // ngspice-39 and Xyce: `1A` is one ampere (1 V across 1 Ω)
    let (s, _) = sim("t\nI1 0 1 1A\nR1 1 0 1\nI2 0 2 2uA\nR2 2 0 1\n.op\n.end\n");
    close(op(&s, "v(1)"), 1.0, 1e-12, "1A");
    close(op(&s, "v(2)"), 2e-6, 1e-12, "2uA");
}

#[test]
fn node_held_only_by_a_diode_is_at_zero() {
    // no current can flow (the capacitor is open in DC): v = 0 exactly
    // (ngspice: −1.2e-16); it was −0.078 V, −0.45 V with abstol=1e-6
    for opt in ["", ".options abstol=1e-6\n"] {
        let nl = format!("t\nD1 0 1 dmod\nC1 1 0 1\n.model dmod D\n{opt}.op\n.end\n");
        let (s, _) = sim(&nl);
        assert!(op(&s, "v(1)").abs() < 1e-9, "{opt}: {}", op(&s, "v(1)"));
    }
}

#[test]
fn diode_clipper_runs_to_the_end_as_ngspice() {
    // Xyce's DiodeClipper with default diodes: stopped at 0.923 ms with
    // "singular matrix at v(2)" before
    let nl = "clipper\nVCC 1 0 10V\nVIN 3 0 SIN(0V 10V 1kHz)\nD1 2 1 dm\nD2 0 2 dm\n\
              R1 2 3 1K\nR2 1 2 3.3K\nR3 2 0 3.3K\nR4 4 0 5.6K\nC1 2 4 0.47u\n\
              .model dm D\n.tran 2ns 2ms\n.end\n";
    let (s, _) = sim(nl);
    let tr = s.analysis(AnalysisKind::Tran).expect("tran");
    assert!((tr.sweep.last().copied().unwrap_or(0.0) - 2e-3).abs() < 1e-12);
    if !common::have_ngspice() {
        return;
    }
    let dir = common::scratch("clipper");
    let plots = common::run_ngspice(&dir, nl);
    let ng = plots.iter().find(|p| p.name.contains("Transient")).unwrap();
    let e = common::rel_rms_diff(
        &tr.sweep,
        tr.signal("v(2)").unwrap(),
        ng.get("time"),
        ng.get("v(2)"),
        0.0,
        2e-3,
        2001,
    );
    assert!(e < 2e-3, "v(2) differs from ngspice by {e} (relative RMS)");
}

#[test]
fn temp_list_runs_every_temperature() {
    // Each point against ngspice at that single temperature (ngspice-39
    // itself warns on a list and runs 27 °C only).
    let base = "t\nI1 0 1 1m\nD1 1 0 dm\n.model dm D(IS=1e-14 N=1.2 EG=1.11 XTI=3)\n";
    let (s, _) = sim(&format!("{base}.temp 0 27 85\n.op\n.end\n"));
    let ops: Vec<f64> = s
        .analyses
        .iter()
        .filter(|a| a.info.kind == AnalysisKind::Op)
        .map(|a| a.signal("v(1)").unwrap()[0])
        .collect();
    assert_eq!(ops.len(), 3, "one operating point per temperature");
    assert!(ops[0] > ops[1] && ops[1] > ops[2], "{ops:?}");
    for (t, v) in [0.0, 27.0, 85.0].iter().zip(&ops) {
        if let Some(ng) = ngspice_op(&format!("{base}.temp {t}\n.op\n.end\n"), "v(1)") {
            close(*v, ng, 1e-4, &format!("v(1) at {t} °C"));
        }
    }
}

/// The binary on a netlist in a scratch directory: (stdout, stderr).
fn cli(name: &str, nl: &str) -> (String, String, std::path::PathBuf) {
    let dir = common::scratch(name);
    std::fs::write(dir.join("t.cir"), nl).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_spinspice"))
        .args(["run", "t.cir"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
        dir,
    )
}

#[test]
fn print_prints_the_table_and_never_aborts() {
    // divider: v(2) = v1/2; vdb, the expression and a missing node
    let nl = "t\nV1 1 0 1\nR1 1 2 1k\nR2 2 0 1k\n.dc V1 0 2 1\n\
              .print dc v(2) vdb(2) {v(1)-v(2)} i(r1) V(nope) P(R1) width=80\n\
              .print op v(2) FORMAT=CSV FILE=op.csv\n.op\n.end\n";
    let (out, err, dir) = cli("print", nl);
    let rows: Vec<Vec<f64>> = out
        .lines()
        .skip_while(|l| !l.starts_with("Index\tv1"))
        .skip(1)
        .take(3)
        .map(|l| l.split('\t').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3, "{out}");
    for r in &rows {
        let v1 = r[1];
        close(r[2], v1 / 2.0, 1e-6, "v(2)");
        close(r[4], v1 / 2.0, 1e-6, "{v(1)-v(2)}");
        close(r[5], v1 / 2e3, 1e-6, "i(r1)");
        if v1 > 0.0 {
            close(r[3], 20.0 * (v1 / 2.0).log10(), 1e-6, "vdb(2)");
        }
    }
    for w in ["no node 'nope'", "device power", "option 'width'"] {
        assert!(err.contains(w), "no warning about {w}: {err}");
    }
    let csv = std::fs::read_to_string(dir.join("op.csv")).unwrap();
    let mut l = csv.lines();
    assert_eq!(l.next(), Some("Index,index,v(2)"));
    let v: Vec<f64> = l
        .next()
        .unwrap()
        .split(',')
        .map(|x| x.parse().unwrap())
        .collect();
    close(v[2], 0.5, 1e-9, "op.csv v(2)");
}

#[test]
fn control_block_runs_its_analyses_and_names_the_rest() {
    let nl = "t\nV1 1 0 1\nR1 1 2 1k\nC1 2 0 1u\n.control\nset filetype=ascii\n\
              tran 10u 1m\nprint v(2)\nplot v(2)\nwrite out.raw\n.endc\n.end\n";
    let (out, err, _) = cli("control", nl);
    assert!(out.contains("Index\ttime\tv(2)"), "{out}");
    assert!(err.contains("not run: plot, write"), "{err}");
}

#[test]
fn resistor_forms_of_other_simulators() {
    // 0 Ω → 1 mΩ (ngspice); RSH·L/W; model R as the default value; a bare
    // parameter name as the value; a value depending on v() and time
    let (s, sum) = sim("t\nV1 1 0 1\nR1 1 2 0\nR2 2 0 1k\n\
                        V2 3 0 1\nR3 3 0 rs L=20u W=2u\n.model rs R(RSH=100)\n\
                        V3 4 0 1\nR4 4 0 rd\n.model rd R(R=250)\n\
                        .param rv=400\nV4 5 0 1\nR5 5 0 rv\n\
                        V5 6 0 2\nR6 6 0 R={1k+500*v(6)}\n.op\n.end\n");
    assert!(warned(&sum, "set to 0.001"));
    close(op(&s, "v(2)"), 1e3 / (1e3 + 1e-3), 1e-12, "0 Ω");
    close(-op(&s, "i(v2)"), 1.0 / 1000.0, 1e-12, "RSH·L/W = 1 kΩ");
    close(-op(&s, "i(v3)"), 1.0 / 250.0, 1e-12, "model R");
    close(-op(&s, "i(v4)"), 1.0 / 400.0, 1e-12, "bare parameter");
    close(-op(&s, "i(v5)"), 2.0 / 2000.0, 1e-9, "R(v)");
    let (s, _) = sim("t\nV1 1 0 1\nR1 1 0 R={1k*(1+time*1e3)}\n.tran 10u 1m\n.end\n");
    let tr = s.analysis(AnalysisKind::Tran).unwrap();
    let i = tr.signal("i(v1)").unwrap();
    close(-i[i.len() - 1], 1.0 / 2000.0, 1e-9, "R(time) at 1 ms");
}

#[test]
fn multiplicity_and_parameter_override_on_instances() {
    // X m=2 of R1 m=2.5 (0.5 Ω): 0.5/5 = 0.1 Ω per instance (physics and
    // Xyce; ngspice-39 keeps only the outermost m); a body .param overridden
    let (s, _) = sim("t\nV1 1 0 1\nRin 1 2 1\nX1 2 0 sub m=2\n\
                      .subckt sub a b\nR1 a b 0.5 m=2.5\n.ends\n\
                      V2 3 0 1\nX2 3 0 par r=2k\n.subckt par a b\n.param r=1k\nR1 a b {r}\n.ends\n\
                      .op\n.end\n");
    close(-op(&s, "i(v1)"), 1.0 / 1.1, 1e-9, "m on X");
    close(-op(&s, "i(v2)"), 1.0 / 2e3, 1e-12, "override");
}

#[test]
fn operating_point_after_a_dc_sweep_sees_the_netlist_value() {
    let (s, _) = sim("t\nV1 1 0 2\nR1 1 0 10\n.dc V1 0 10 1\n.op\n.end\n");
    close(op(&s, "v(1)"), 2.0, 1e-12, "v(1)");
}

/// The parser's warnings of a netlist.
fn parse_warnings(nl: &str) -> Vec<String> {
    let mut sm = SourceMap::new();
    let parsed = parse_str("t.cir", nl, Path::new("."), &mut sm).expect("parses");
    parsed.warnings.iter().map(|w| w.message.clone()).collect()
}

#[test]
fn meas_deriv_and_skipped_forms() {
    let nl = "t\nV1 1 0 SIN(0 1 1k)\nR1 1 0 1k\n.tran 1u 1m\n\
              .meas tran d1 DERIV v(1) AT=0.1m\n.meas tran m1 MAX_AT v(1)\n\
              .meas tran m2 MIN_AT v(1) FROM=0.5m\n.meas tran m3 DUTY v(1)\n.end\n";
    let (s, _) = sim(nl);
    let d = s.measure("d1").unwrap().clone().unwrap();
    let exact = 2.0 * std::f64::consts::PI * 1e3 * (2.0 * std::f64::consts::PI * 0.1).cos();
    close(d, exact, 1e-3, "DERIV");
    // the peak and trough of the sine, on output points 1 µs apart at most
    let m1 = s.measure("m1").unwrap().clone().unwrap();
    let m2 = s.measure("m2").unwrap().clone().unwrap();
    assert!((m1 - 0.25e-3).abs() <= 1e-6, "MAX_AT {m1}");
    assert!((m2 - 0.75e-3).abs() <= 1e-6, "MIN_AT {m2}");
    let w = parse_warnings(nl);
    assert!(w.iter().any(|m| m.contains("DUTY")), "{w:?}");
}

#[test]
fn poly_sources_match_ngspice() {
    let nl = "t\nV1 1 0 1\nV2 3 0 2\nR1 1 0 1k\nR3 3 0 1k\n\
              E1 2 0 POLY(1) 1 0 0.5 2 0.25\nR2 2 0 1k\n\
              G1 0 4 POLY(2) 1 0 3 0 0 1m 1m 0.1m 0.2m 0.3m\nR4 4 0 1k\n\
              F1 0 5 POLY(1) V1 0 2\nR5 5 0 1k\n\
              H1 6 0 POLY(2) V1 V2 1 1k 2k 3e5\nR6 6 0 1k\n.op\n.end\n";
    let (s, _) = sim(nl);
    // closed forms: x1 = 1 V, x2 = 2 V; i(v1) = −1 mA, i(v2) = −2 mA
    close(op(&s, "v(2)"), 0.5 + 2.0 + 0.25, 1e-9, "E POLY(1)");
    close(
        op(&s, "v(4)"),
        1e3 * (1e-3 + 2e-3 + 0.1e-3 + 0.2e-3 * 2.0 + 0.3e-3 * 4.0),
        1e-9,
        "G POLY(2)",
    );
    close(op(&s, "v(5)"), 1e3 * 2.0 * -1e-3, 1e-9, "F POLY(1)");
    close(
        op(&s, "v(6)"),
        1.0 - 1.0 - 4.0 + 3e5 * 1e-6,
        1e-9,
        "H POLY(2)",
    );
    for n in ["v(2)", "v(4)", "v(5)", "v(6)"] {
        if let Some(ng) = ngspice_op(nl, n) {
            close(op(&s, n), ng, 1e-6, n);
        }
    }
}

#[test]
fn diode_knee_and_sidewall_match_ngspice() {
    let nl = "t\nV1 1 0 0.8\nD1 1 0 dk\n.model dk D(IS=1e-14 IKF=1m RS=1)\n\
              V2 2 0 0.6\nD2 2 0 ds PJ=0.5\n.model ds D(IS=1e-15 JSW=1e-14 NS=1.3 CJSW=1p)\n\
              V3 3 0 -20\nD3 3 0 db\n.model db D(BV=15 NBV=2 IBV=1m RS=1)\n.op\n.end\n";
    let (s, _) = sim(nl);
    for n in ["i(v1)", "i(v2)", "i(v3)"] {
        if let Some(ng) = ngspice_op(nl, n) {
            close(op(&s, n), ng, 1e-4, n);
        }
    }
}

#[test]
fn xyce_option_groups_and_small_forms() {
    let (s, sum) = simulate_str(
        "t\n.options timeint method=gear reltol=1e-4 newlte=1\n.options device gmin=1e-13\n\
         .param p=3\n.param q={max(p)}\nV1 1 0 2.0e+{p}\nR1 1 0 {q}\nV2 2 0 1 (PWL 0 0 1 1)\n\
         R2 2 0 1\nV3 3 0 DC 1 AC 1 DISTOF1 0.1\nR3 3 0 1\n.op\n.end\n",
        &[],
    )
    .unwrap();
    assert!(sum.failures.is_empty());
    assert!(warned(&sum, "TIMEINT' newlte"), "{:?}", sum.warnings);
    close(-op(&s, "i(v1)"), 2e3 / 3.0, 1e-12, "2.0e+{p} over max(p)");
    close(
        op(&s, "v(2)"),
        1.0,
        1e-12,
        "SPICE2 (PWL …) keeps the DC value",
    );
}

#[test]
fn node_without_dc_path_gets_gmin_to_ground() {
    // ngspice's answer: the capacitive divider's middle node at 0 V in DC
    // (gmin to ground), and a current into gmin alone: I/gmin
    let (s, sum) = sim("t\nV1 a 0 1\nC1 a b 1n\nC2 b 0 1n\nI1 0 c 1p\nC3 c 0 1n\n.op\n.end\n");
    assert!(
        warned(&sum, "node 'b' has no DC path to ground"),
        "{:?}",
        sum.warnings
    );
    assert!(op(&s, "v(b)").abs() < 1e-9);
    close(op(&s, "v(c)"), 1e-12 / 1e-12, 1e-6, "v(c) = I/gmin");
}

#[test]
fn missing_nodes_in_ic_nodeset_save_are_warnings() {
    let (s, sum) = sim("t\nV1 a 0 1\nR1 a 0 1k\n.ic v(zz)=1\n.nodeset v(zy)=1\n\
                        .save v(a) v(zx) i(zw)\n.op\n.end\n");
    for w in [
        "no node 'zz'",
        "no node 'zy'",
        "no node 'zx'",
        "no device 'zw'",
    ] {
        assert!(warned(&sum, w), "{w}: {:?}", sum.warnings);
    }
    close(op(&s, "v(a)"), 1.0, 1e-12, "v(a)");
}

/// The message of a netlist that must be refused ("" when it runs).
fn refusal(nl: &str) -> String {
    simulate_str(nl, &[])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

/// ngspice's plot of `kind` ("Transient", "DC") for `nl` (None without ngspice).
fn ngspice_plot(nl: &str, tag: &str, kind: &str) -> Option<common::RawPlot> {
    if !common::have_ngspice() {
        return None;
    }
    let dir = common::scratch(tag);
    let plots = common::run_ngspice(&dir, nl);
    plots.into_iter().find(|p| p.name.contains(kind))
}

#[test]
fn pwl_and_table_in_b_sources() {
    // pwl (ngspice): the end segments go on beyond the points; table (Xyce,
    // HSPICE): the end values are held
    let nl = "t\nV1 x 0 0\nB1 a 0 V=pwl(v(x), 0,0, 1,2, 2,3)\nR1 a 0 1k\n\
              B2 b 0 V=pwl(v(x)*2, 0,0, 1,2, 2,3)+v(x)\nR2 b 0 1k\n\
              B3 c 0 V=table(v(x), 0,0, 1,2, 2,3)\nR3 c 0 1k\n.dc V1 -1 3 0.25\n.end\n";
    let (s, _) = sim(nl);
    let dc = s.analysis(AnalysisKind::Dc).expect("dc");
    let seg = |x: f64, hold: bool| {
        let x = if hold { x.clamp(0.0, 2.0) } else { x };
        if x < 1.0 {
            2.0 * x
        } else {
            2.0 + (x - 1.0)
        }
    };
    for (k, &x) in dc.sweep.iter().enumerate() {
        close(dc.signal("v(a)").unwrap()[k], seg(x, false), 1e-12, "pwl");
        close(
            dc.signal("v(b)").unwrap()[k],
            seg(2.0 * x, false) + x,
            1e-12,
            "pwl",
        );
        close(dc.signal("v(c)").unwrap()[k], seg(x, true), 1e-12, "table");
    }
    if let Some(ng) = ngspice_plot(
        &nl.replace("B3 c 0 V=table", "B3 c 0 V=pwl"),
        "pwl-dc",
        "DC",
    ) {
        for n in ["v(a)", "v(b)"] {
            for (k, &x) in ng.get("v(v-sweep)").iter().enumerate() {
                let mine = common::interp(&dc.sweep, dc.signal(n).unwrap(), x);
                close(mine, ng.get(n)[k], 1e-9, n);
            }
        }
    }
    // Newton through the kinks: 1 mA into 1 kΩ ∥ a pwl conductance; on
    // the segment 0.5…1 V: 1m = v/1k + 0.1m + 1.8m·(v − 0.5)  ⇒  v = 1.8/2.8
    let nl = "t\nI1 0 a 1m\nR1 a 0 1k\nB1 a 0 I=pwl(v(a), 0,0, 0.5,0.1m, 1,1m, 2,5m)\n.op\n.end\n";
    let (s, _) = sim(nl);
    close(op(&s, "v(a)"), 1.8 / 2.8, 1e-9, "pwl conductance");
    if let Some(ng) = ngspice_op(nl, "v(a)") {
        close(op(&s, "v(a)"), ng, 1e-6, "pwl conductance vs ngspice");
    }
    // pwl(time) driving an RC in .tran, against ngspice
    let nl = "t\nB1 a 0 V=pwl(time, 0,0, 1m,1, 2m,1, 3m,0)\nR1 a b 1k\nC1 b 0 0.5u\n\
              .tran 10u 4m\n.end\n";
    let (s, _) = sim(nl);
    let tr = s.analysis(AnalysisKind::Tran).expect("tran");
    if let Some(ng) = ngspice_plot(nl, "pwl-tran", "Transient") {
        let e = common::rel_rms_diff(
            &tr.sweep,
            tr.signal("v(b)").unwrap(),
            ng.get("time"),
            ng.get("v(b)"),
            0.0,
            4e-3,
            401,
        );
        assert!(e < 2e-3, "v(b) differs from ngspice by {e} (relative RMS)");
    }
    // bad points are an error naming the function
    for (bad, what) in [
        ("pwl(v(x), 0,0, 1)", "pairs of points"),
        ("table(v(x), 1,0, 0,1)", "must increase"),
        ("pwl(v(x), v(x),0, 1,1)", "must be constants"),
    ] {
        let e = refusal(&format!(
            "t\nV1 x 0 1\nB1 a 0 V={bad}\nR1 a 0 1\n.op\n.end\n"
        ));
        assert!(e.contains(what), "{bad}: {e}");
    }
}

#[test]
fn current_of_a_resistor_in_b_sources() {
    // i(R) = v(n+, n−)/R, read without a branch unknown; checked against
    // the divider's closed form and ngspice, also while .dc sweeps R2
    let nl =
        "t\nV1 in 0 2\nR1 in a 1k\nR2 a 0 3k\nB1 b 0 V={1k*i(R1) + 1e6*i(R2)*i(R2)}\nR3 b 0 1k\n\
              B2 c 0 I={i(R2)}\nR4 c 0 1k\nX1 d sub\n.subckt sub o\nV9 p 0 1\nRa p o 1k\n\
              Rb o 0 1k\nB9 q 0 V={i(Ra)*1k}\nRq q 0 1\n.ends\n.op\n.dc R2 1k 5k 1k\n.end\n";
    let (s, _) = sim(nl);
    let i = 2.0 / 4e3;
    close(
        op(&s, "v(b)"),
        1e3 * i + 1e6 * i * i,
        1e-12,
        "1k*i(R1) + 1e6*i(R2)^2",
    );
    close(op(&s, "v(c)"), -1e3 * i, 1e-12, "I=i(R2) into 1k");
    close(op(&s, "v(x1.q)"), 0.5, 1e-12, "i(Ra) inside a subcircuit");
    for n in ["v(b)", "v(c)", "v(x1.q)"] {
        if let Some(ng) = ngspice_op(nl, n) {
            close(op(&s, n), ng, 1e-6, n);
        }
    }
    let dc = s.analysis(AnalysisKind::Dc).expect("dc");
    for (k, &r2) in dc.sweep.iter().enumerate() {
        let i = 2.0 / (1e3 + r2);
        close(
            dc.signal("v(b)").unwrap()[k],
            1e3 * i + 1e6 * i * i,
            1e-12,
            &format!("R2 = {r2}"),
        );
    }
}

#[test]
fn ddt_terms_in_b_sources() {
    // 1 µF written as I = 1u·ddt(v(a)) behaves as the capacitor C1 (the
    // same RC driven beside it) in .op, .tran and .ac
    let nl = "t\nV1 in 0 sin(0 1 1k) ac 1\nR1 in a 1k\nB1 a 0 I={1u*ddt(v(a)) + v(a)/10k}\n\
              R2 in a2 1k\nC2 a2 0 1u\nR3 a2 0 10k\n\
              B2 b 0 V={1m*ddt(v(in)) + v(in)}\nR4 b 0 1k\n\
              .op\n.tran 1u 3m\n.ac dec 5 10 100k\n.end\n";
    let (s, _) = sim(nl);
    close(op(&s, "v(b)"), 0.0, 1e-12, "ddt is 0 in DC");
    let tr = s.analysis(AnalysisKind::Tran).expect("tran");
    let (a, a2, b) = (
        tr.signal("v(a)").unwrap(),
        tr.signal("v(a2)").unwrap(),
        tr.signal("v(b)").unwrap(),
    );
    let w = 2.0 * std::f64::consts::PI * 1e3;
    for (k, &t) in tr.sweep.iter().enumerate() {
        assert!((a[k] - a2[k]).abs() < 1e-3, "t={t}: {} vs {}", a[k], a2[k]);
        // after the jump at t = 0+ (DC: 0; then the derivative term)
        if k > 0 {
            let exact = 1e-3 * w * (w * t).cos() + (w * t).sin();
            assert!((b[k] - exact).abs() < 1e-3, "t={t}: {} vs {exact}", b[k]);
        }
    }
    let ac = s.analysis(AnalysisKind::Ac).expect("ac");
    let c = |n: &str| (ac.signal(n).unwrap(), ac.signal_im(n).unwrap());
    let ((re, im), (re2, im2), (bre, bim)) = (c("v(a)"), c("v(a2)"), c("v(b)"));
    for (k, &f) in ac.sweep.iter().enumerate() {
        close(re[k], re2[k], 1e-9, &format!("Re v(a) at {f} Hz"));
        close(im[k], im2[k], 1e-9, &format!("Im v(a) at {f} Hz"));
        // 1 + jω·1 ms
        close(bre[k], 1.0, 1e-9, "Re v(b)");
        close(
            bim[k],
            2.0 * std::f64::consts::PI * f * 1e-3,
            1e-9,
            "Im v(b)",
        );
    }
    // ngspice differentiates numerically (its v(b) lags the derivative by
    // up to 0.06 V of 6.3 here): the corpus criterion, 2 % of the peak.
    // (It fails on B1: "inf out of range", its ddt of a node B1 drives.)
    let ngnl = "t\nV1 in 0 sin(0 1 1k)\nB2 b 0 V={1m*ddt(v(in)) + v(in)}\nR4 b 0 1k\n\
                .tran 1u 3m\n.end\n";
    if let Some(ng) = ngspice_plot(ngnl, "ddt-tran", "Transient") {
        let (t, y) = (ng.get("time"), ng.get("v(b)"));
        let peak = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (k, &tk) in t.iter().enumerate().filter(|(_, &tk)| tk > 2e-6) {
            let mine = common::interp(&tr.sweep, b, tk);
            assert!(
                (mine - y[k]).abs() < 0.02 * peak,
                "t={tk}: {mine} vs {}",
                y[k]
            );
        }
    }
    for (bad, what) in [
        ("exp(ddt(v(a)))", "must be a term"),
        ("v(a)*ddt(v(a))", "must be a term"),
    ] {
        let e = refusal(&format!(
            "t\nV1 a 0 1\nB1 b 0 V={{{bad}}}\nR1 b 0 1\n.op\n.end\n"
        ));
        assert!(e.contains(what), "{bad}: {e}");
    }
}

/// Mean, variance and lag-1 autocorrelation of samples.
fn moments(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    let c1 = v.windows(2).map(|p| (p[0] - m) * (p[1] - m)).sum::<f64>() / (n - 1.0) / var;
    (m, var, c1)
}

/// The transient values of `sig` at t = t0 + k·dt, k = 0…n−1.
fn sampled(s: &MemorySink, sig: &str, t0: f64, dt: f64, n: usize) -> Vec<f64> {
    let tr = s.analysis(AnalysisKind::Tran).expect("tran");
    (0..n)
        .map(|k| common::interp(&tr.sweep, tr.signal(sig).unwrap(), t0 + k as f64 * dt))
        .collect()
}

#[test]
fn trnoise_and_trrandom_follow_their_definitions() {
    // TRNOISE(NA NT): white Gaussian samples of rms NA every NT (4000 here:
    // σ of the variance estimate 2.2 %), linear in between; TRRANDOM type 2
    // (Gaussian, PARAM1 = σ, PARAM2 = mean) held for TS after TD
    let nl = "t\n.options seed=11\nV1 1 0 dc 0 trnoise(10m 1u 0 0)\nR1 1 0 1k\n\
              V2 2 0 trrandom(2 10u 50u 0.5 1)\nR2 2 0 1k\nV3 3 0 trrandom(1 10u 0 2)\nR3 3 0 1k\n\
              .tran 1u 40m\n.end\n";
    let (s, _) = sim(nl);
    let v1 = sampled(&s, "v(1)", 1e-6, 1e-6, 4000);
    let (m, var, c1) = moments(&v1);
    let n = v1.len() as f64;
    assert!(m.abs() < 4.0 * 0.01 / n.sqrt(), "TRNOISE mean {m}");
    assert!((var / 1e-4 - 1.0).abs() < 0.1, "TRNOISE variance {var}");
    assert!(c1.abs() < 4.0 / n.sqrt(), "TRNOISE lag-1 correlation {c1}");
    // halfway between two samples: their mean (linear interpolation), so
    // the variance there is NA²/2: the band is set by NT
    let mid = sampled(&s, "v(1)", 1.5e-6, 1e-6, 4000);
    let (_, var_mid, _) = moments(&mid);
    assert!(
        (var_mid / 0.5e-4 - 1.0).abs() < 0.1,
        "variance between samples {var_mid}"
    );
    // TRRANDOM: 0 until TD, then one value per TS (sampled mid-interval)
    assert_eq!(sampled(&s, "v(2)", 10e-6, 10e-6, 4), vec![0.0; 4]);
    let v2 = sampled(&s, "v(2)", 55e-6, 10e-6, 3990);
    let (m2, var2, c2) = moments(&v2);
    let n2 = v2.len() as f64;
    assert!(
        (m2 - 1.0).abs() < 4.0 * 0.5 / n2.sqrt(),
        "TRRANDOM mean {m2}"
    );
    assert!((var2 / 0.25 - 1.0).abs() < 0.1, "TRRANDOM variance {var2}");
    assert!(
        c2.abs() < 4.0 / n2.sqrt(),
        "TRRANDOM lag-1 correlation {c2}"
    );
    let held = sampled(&s, "v(2)", 51e-6, 1e-6, 9);
    assert!(held.iter().all(|&v| v == held[0]), "held over TS: {held:?}");
    // uniform on [−2, 2): variance 4/3, bounded
    let v3 = sampled(&s, "v(3)", 5e-6, 10e-6, 3990);
    let (_, var3, _) = moments(&v3);
    assert!(v3.iter().all(|v| v.abs() <= 2.0));
    assert!(
        (var3 / (4.0 / 3.0) - 1.0).abs() < 0.1,
        "uniform variance {var3}"
    );

    // the seed: the same draws again, other draws with another seed
    let (again, _) = sim(nl);
    assert_eq!(sampled(&again, "v(1)", 1e-6, 1e-6, 100), v1[..100]);
    let (other, _) = sim(&nl.replace("seed=11", "seed=12"));
    assert_ne!(sampled(&other, "v(1)", 1e-6, 1e-6, 100), v1[..100]);
    // and any number of workers over a .step gives the same waveforms
    let stepped = "t\n.options seed=3\nV1 1 0 trnoise(1 1u 0 0)\nR1 1 0 {r}\n.param r=1k\n\
                   .step param r list 1k 2k 3k 4k\n.tran 1u 200u\n.end\n";
    let run = |jobs: usize| {
        let mut sm = SourceMap::new();
        let nl = parse_str("s.cir", stepped, Path::new("."), &mut sm).expect("parses");
        let sweep = spinspice::sweep::exec::SweepOptions {
            jobs,
            ..Default::default()
        };
        let (sink, sum) =
            common::run_in_memory(nl.netlist, stepped, vec![], vec![], sweep).expect("runs");
        assert!(sum.failures.is_empty());
        sink.analyses
            .iter()
            .map(|a| a.signal("v(1)").unwrap().to_vec())
            .collect::<Vec<_>>()
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.len(), 4);
    assert_eq!(one, two, "--jobs 1 and --jobs 2 differ");
    // ngspice's TRNOISE (its own generator): the same rms per sample
    if let Some(ng) = ngspice_plot(
        "t\nV1 1 0 dc 0 trnoise(10m 1u 0 0)\nR1 1 0 1k\n.tran 1u 4m\n.end\n",
        "trnoise",
        "Transient",
    ) {
        let ngs: Vec<f64> = (1..4000)
            .map(|k| common::interp(ng.get("time"), ng.get("v(1)"), k as f64 * 1e-6))
            .collect();
        let (_, ngvar, _) = moments(&ngs);
        assert!((ngvar / 1e-4 - 1.0).abs() < 0.1, "ngspice variance {ngvar}");
    }
    // what is not generated is refused with a message
    let e = refusal("t\nV1 1 0 trnoise(1m 1u 1 1m)\nR1 1 0 1\n.tran 1u 1m\n.end\n");
    assert!(e.contains("NALPHA is not supported"), "{e}");
}

#[test]
fn stray_paren_lines_and_continuous_measures_warn_and_run() {
    // `)` alone closing a .model's `(`: read as `+ )` (ngspice comments the
    // line out and accepts the open parenthesis: the same model); any other
    // line starting with `)` is skipped as ngspice does
    let nl = "t\nV1 1 0 1\nR1 1 0 1k\n.model dm D (\n+ IS=1e-10\n)\nD1 1 2 dm\nR2 2 0 1k\n\
              ) stray\n.op\n.end\n";
    let (s, _) = sim(nl);
    let w = parse_warnings(nl);
    assert!(
        w.iter()
            .any(|m| m.contains("read as the end of the statement before")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|m| m.contains("is ignored (as ngspice)")),
        "{w:?}"
    );
    if let Some(ng) = ngspice_op(nl, "v(2)") {
        close(op(&s, "v(2)"), ng, 1e-6, "v(2) with IS=1e-10");
    }
    // Xyce's DC_CONT/AC_CONT/TRAN_CONT (all occurrences): warned, skipped
    let w = parse_warnings(
        "t\nV1 1 0 1\nR1 1 0 1\n.dc V1 0 1 0.1\n.meas dc_cont w1 when v(1)=0.5\n.end\n",
    );
    assert!(
        w.iter().any(|m| m.contains("continuous measure DC_CONT")),
        "{w:?}"
    );
}
