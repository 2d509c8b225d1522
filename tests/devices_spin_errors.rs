//! Malformed YMTJ / YAMR lines and model cards: each gives a diagnostic at
//! the offending text (`<netlist>:line:col`) with a clear message, never a
//! panic; random parameter values never panic either.

use proptest::prelude::*;
use spinspice::analysis::run::simulate_str;

const GOOD: &str = "ms=1e6 alpha=0.01 vol=1e-24 rp=1k rap=2k";

/// Expect an error whose text contains `loc` (`line:col`) and `msg`.
fn expect_err(netlist: &str, loc: &str, msg: &str) {
    match simulate_str(netlist, &[]) {
        Ok(_) => panic!("accepted:\n{netlist}"),
        Err(e) => {
            assert!(
                e.contains(&format!("<netlist>:{loc}:")) && e.contains(msg),
                "expected '{msg}' at {loc}, got:\n{e}\nfor:\n{netlist}"
            );
        }
    }
}

#[test]
fn malformed_mtj_and_amr_lines() {
    // (netlist, "line:col", message substring)
    let rows: Vec<(String, &str, &str)> = vec![
        (
            format!("t\n.model m mtj ({GOOD})\nYMTJ x1 a 0 m foo=1\nR1 a 0 1\n.op\n"),
            "3:15",
            "unknown parameter 'foo' for 'x1'",
        ),
        (
            format!("t\n.model m mtj ({GOOD} bar=2)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"),
            "2:56",
            "unknown parameter 'bar' in model 'm'",
        ),
        (
            "t\n.model m mtj (ms=1e6 alpha=0 vol=1e-24 rp=1k rap=2k)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"
                .into(),
            "2:22",
            "alpha of MTJ 'x1' must be > 0",
        ),
        (
            "t\n.model m mtj (ms=1e6 alpha=0.01 vol=1e-24 rp=1k rap=2k)\nYMTJ x1 a 0 m alpha=-0.1\nR1 a 0 1\n.op\n"
                .into(),
            "3:15",
            "alpha of MTJ 'x1' must be > 0",
        ),
        (
            "t\n.model m mtj (ms=-5 alpha=0.01 vol=1e-24 rp=1k rap=2k)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"
                .into(),
            "2:15",
            "ms of MTJ 'x1' must be > 0",
        ),
        (
            "t\n.model m mtj (ms=1e6 alpha=0.01 vol=0 rp=1k rap=2k)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"
                .into(),
            "2:33",
            "vol of MTJ 'x1' must be > 0",
        ),
        (
            "t\n.model m mtj (ms=1e6 alpha=0.01 area=0 tfl=1n rp=1k rap=2k)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"
                .into(),
            "2:33",
            "area of MTJ 'x1' must be > 0",
        ),
        (
            "t\n.model m mtj (ms=1e6 alpha=0.01 rp=1k rap=2k)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n".into(),
            "3:1",
            "needs its free-layer volume",
        ),
        (
            "t\n.model m mtj (alpha=0.01 vol=1e-24 rp=1k rap=2k)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n".into(),
            "3:1",
            "needs parameter 'ms'",
        ),
        (
            format!("t\n.model m mtj ({GOOD})\nYMTJ x1 a b c m\nR1 a 0 1\nR2 b 0 1\nR3 c 0 1\n.op\n"),
            "3:1",
            "has 3 node(s); expected 2 (n+ n-) or 4",
        ),
        (
            format!("t\n.model m mtj ({GOOD})\nYMTJ x1 a 0 m torque=foo\nR1 a 0 1\n.op\n"),
            "3:15",
            "unknown value 'foo' for torque",
        ),
        (
            format!("t\n.model m mtj ({GOOD})\nYMTJ x1 a 0 m torque=1\nR1 a 0 1\n.op\n"),
            "3:15",
            "takes a keyword, not a number",
        ),
        (
            format!("t\n.model m mtj ({GOOD})\nYMTJ x1 a 0 m beta=oops\nR1 a 0 1\n.op\n"),
            "3:15",
            "'oops' is not a defined parameter",
        ),
        (
            format!("t\n.model m mtj ({GOOD} eta=1.2 eff=mazza)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"),
            "2:56",
            "eta of MTJ 'x1' must be < 1",
        ),
        (
            format!("t\n.model m mtj ({GOOD} px=0 py=0 pz=0)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"),
            "2:56",
            "must be a nonzero vector",
        ),
        (
            format!("t\n.model m amr ({GOOD})\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"),
            "2:1",
            "needs a type MTJ model",
        ),
        (
            "t\n.model d amr (meff=0 alpha=0.01 r0=100 dr=0.5)\nYAMR d1 a 0 d\nR1 a 0 1\n.op\n".into(),
            "2:15",
            "meff of AMR 'd1' must be > 0",
        ),
        (
            "t\n.model d amr (meff=7e5 alpha=0.01 r0=100 dr=0.5)\nYAMR d1 a 0 b d\nR1 a 0 1\nR2 b 0 1\n.op\n"
                .into(),
            "3:1",
            "has 3 node(s); expected 2",
        ),
        (
            "t\n.model d amr (meff=7e5 alpha=0.01 r0=100 dr=0.5)\nYAMR d1 a 0 d ms=1\nR1 a 0 1\n.op\n"
                .into(),
            "3:15",
            "unknown parameter 'ms' for 'd1'",
        ),
        (
            format!("t\n.model m mtj ({GOOD})\nYFOO x1 a 0 m\nR1 a 0 1\n.op\n"),
            "3:2",
            "unknown device type 'YFOO'",
        ),
        (
            format!("t\n.model m mtj ({GOOD} noise=2)\nYMTJ x1 a 0 m\nR1 a 0 1\n.op\n"),
            "2:56",
            "noise of MTJ 'x1' must be 0 or 1",
        ),
    ];
    let mut bad = Vec::new();
    for (nl, loc, msg) in &rows {
        if let Err(p) = std::panic::catch_unwind(|| expect_err(nl, loc, msg)) {
            bad.push(format!("{:?}", p.downcast_ref::<String>()));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("1e308".to_string()),
        Just("1e-320".to_string()),
        Just("{1/0}".to_string()),
        Just("ll".to_string()),
        Just("gilbert".to_string()),
        Just("mazza".to_string()),
        (-3.0f64..3.0).prop_map(|v| format!("{v}")),
        (1e-30f64..1e30).prop_map(|v| format!("{v:e}")),
    ]
}

const NAMES: &[&str] = &[
    "ms", "alpha", "gamma", "mu0", "ku", "kaz", "nx", "nz", "hx", "hz", "px", "pz", "vol", "area",
    "tfl", "eta", "eff", "lambda", "beta", "kappa", "torque", "rp", "rap", "rlaw", "vh", "koex",
    "kflz", "rfl", "mx0", "mz0", "dcop", "noise", "temp", "seed", "mabstol", "mreltol",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any parameter values: a result or a diagnostic, never a panic.
    #[test]
    fn random_parameters_never_panic(
        ps in proptest::collection::vec((0..NAMES.len(), value()), 0..6),
        four in any::<bool>(),
    ) {
        let mut line = String::from("YMTJ x1 a 0 ");
        if four {
            line += "f1 f2 ";
        }
        line += "m";
        for (k, v) in &ps {
            line += &format!(" {}={v}", NAMES[*k]);
        }
        let nl = format!(
            "t\n.model m mtj ({GOOD})\n{line}\nR1 a 0 1k\nR2 f1 0 1k\nR3 f2 0 1k\n\
V1 a 0 sin(0 1m 1g)\n.tran 10p 200p\n.end\n"
        );
        let _ = simulate_str(&nl, &[]);
    }
}
