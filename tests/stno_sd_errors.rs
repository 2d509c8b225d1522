//! Malformed YSTNO / YSD lines and STNO / SPINDIODE models: each gives one
//! diagnostic at `<netlist>:line:column` (the offending parameter, or the
//! element line when the line as a whole is wrong), never a panic.

use spinspice::analysis::run::simulate_str;

struct Case {
    /// Netlist body (the title line is added).
    body: &'static str,
    /// Text on the offending line whose first character the error points at.
    at: &'static str,
    msg: &'static str,
}

const STNO: &str = ".model osc STNO (f0=1g gammag=1e8 ith=2m q=2 r0=100 drosc=10)";
const SD: &str = ".model res SPINDIODE (fres=1g alpha=0.01 a=1 r0=50)";

fn check(c: &Case) {
    let text = format!("errors\n{}\nI1 0 a DC 1m\nR9 a 0 1k\n.op\n.end\n", c.body);
    let err = match simulate_str(&text, &[]) {
        Ok(_) => panic!("no error for:\n{text}"),
        Err(e) => e,
    };
    // line and column of the marker (1-based; the title is line 1)
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(k, l)| l.find(c.at).map(|p| (k + 1, l[..p].chars().count() + 1)))
        .unwrap_or_else(|| panic!("marker {:?} not in the netlist", c.at));
    let want = format!("<netlist>:{line}:{col}: error: ");
    assert!(
        err.starts_with(&want) && err.contains(c.msg),
        "for\n{}\nwant '{want}…{}…', got:\n{err}",
        c.body,
        c.msg
    );
}

#[test]
fn malformed_stno_and_spindiode() {
    let cases = [
        // --- STNO
        Case {
            body: "YSTNO x1 a 0 osc foo=1\n.model osc STNO (f0=1g)",
            at: "foo=1",
            msg: "unknown parameter 'foo' for 'x1'",
        },
        Case {
            body: "YSTNO x1 a 0 osc\n.model osc STNO (f0=1g bogus=2)",
            at: "bogus=2",
            msg: "unknown parameter 'bogus' in model 'osc'",
        },
        Case {
            body: "YSTNO x1 a 0 osc\n.model osc STNO (q=-1)",
            at: "q=-1",
            msg: "q of 'x1' must be ≥ 0",
        },
        Case {
            body: "YSTNO x1 a 0 osc ith=0\n.model osc STNO (q=2)",
            at: "ith=0",
            msg: "ith of 'x1' must be positive",
        },
        Case {
            body: "YSTNO x1 a 0 osc\n.model osc STNO (ith=-2m)",
            at: "ith=-2m",
            msg: "ith of 'x1' must be positive",
        },
        Case {
            body: "YSTNO x1 a 0 osc\n.model osc STNO (gammag=0)",
            at: "gammag=0",
            msg: "gammag of 'x1' must be positive",
        },
        Case {
            body: "YSTNO x1 a 0 osc f0=-1g\n.model osc STNO ()",
            at: "f0=-1g",
            msg: "f0 of 'x1' must be positive",
        },
        Case {
            body: "YSTNO x1 a 0 osc level=3\n.model osc STNO ()",
            at: "level=3",
            msg: "level of 'x1' must be 1 or 2",
        },
        Case {
            body: "YSTNO x1 a 0 osc drosc=200\n.model osc STNO (r0=100)",
            at: "drosc=200",
            msg: "drosc of 'x1' must be in [0, r0]",
        },
        Case {
            body: "YSTNO x1 a 0 osc sigma=1e11\n.model osc STNO (ith=1m)",
            at: "sigma=1e11",
            msg: "give either ith or sigma",
        },
        Case {
            body: "YSTNO x1 a 0 osc level=2 kinj=1e10\n.model osc STNO ()",
            at: "kinj=1e10",
            msg: "kinj of 'x1' needs level=1",
        },
        Case {
            body: "YSTNO x1 a 0 osc pinit=1\n.model osc STNO ()",
            at: "pinit=1",
            msg: "pinit of 'x1' must be in [0, 1)",
        },
        Case {
            body: "YSTNO x1 a 0 osc seed=1.5 dn=1e6\n.model osc STNO ()",
            at: "seed=1.5",
            msg: "seed of 'x1' must be a non-negative integer",
        },
        Case {
            body: "YSTNO x1 a 0 osc iclamp=0\n.model osc STNO ()",
            at: "iclamp=0",
            msg: "iclamp of 'x1' must be positive",
        },
        Case {
            body: "YSTNO x1 a b 0 osc\n.model osc STNO ()",
            at: "YSTNO",
            msg: "YSTNO 'x1' needs 2 nodes (n+ n-), got 3",
        },
        Case {
            body: "YSTNO x1 a osc\n.model osc STNO ()",
            at: "YSTNO",
            msg: "needs 2 nodes (n+ n-), got 1",
        },
        Case {
            body: "YSTNO x1 a 0 res\n.model res SPINDIODE ()",
            at: "YSTNO",
            msg: "model 'res' has type 'SPINDIODE', but YSTNO 'x1' needs a type STNO model",
        },
        Case {
            body: "YSTNO x1 a 0 nomodel",
            at: "nomodel",
            msg: "unknown model 'nomodel'",
        },
        Case {
            body: "YFOO x1 a 0 osc\n.model osc STNO ()",
            at: "FOO",
            msg: "unknown device type 'YFOO'",
        },
        // --- spin diode
        Case {
            body: "YSD s1 a 0 res\n.model res SPINDIODE (alpha=0)",
            at: "alpha=0",
            msg: "alpha of 's1' must be positive",
        },
        Case {
            body: "YSD s1 a 0 res alpha=-0.01\n.model res SPINDIODE ()",
            at: "alpha=-0.01",
            msg: "alpha of 's1' must be positive",
        },
        Case {
            body: "YSD s1 a 0 res\n.model res SPINDIODE (fres=0)",
            at: "fres=0",
            msg: "fres of 's1' must be positive",
        },
        Case {
            body: "YSD s1 a 0 res fres=-1g\n.model res SPINDIODE ()",
            at: "fres=-1g",
            msg: "fres of 's1' must be positive",
        },
        Case {
            body: "YSD s1 a 0 res r0=0\n.model res SPINDIODE ()",
            at: "r0=0",
            msg: "r0 of 's1' must be positive",
        },
        Case {
            body: "YSD s1 a 0 res orient=0\n.model res SPINDIODE ()",
            at: "orient=0",
            msg: "orient of 's1' must be 1 or -1",
        },
        Case {
            body: "YSD s1 a 0 res drive=3\n.model res SPINDIODE ()",
            at: "drive=3",
            msg: "drive of 's1' must be 1 or 2",
        },
        Case {
            body: "YSD s1 a 0 res mirror=2\n.model res SPINDIODE ()",
            at: "mirror=2",
            msg: "mirror of 's1' must be 0 or 1",
        },
        Case {
            body: "YSD s1 a 0 res ksd=10\n.model res SPINDIODE (a=1)",
            at: "ksd=10",
            msg: "give either a or ksd",
        },
        Case {
            body: "YSD s1 a 0 res rfl=5\n.model res SPINDIODE ()",
            at: "rfl=5",
            msg: "rfl of 's1' needs the 4-terminal form",
        },
        Case {
            body: "YSD s1 a 0 f 0 res rfl=-5\n.model res SPINDIODE ()",
            at: "rfl=-5",
            msg: "rfl of 's1' must be ≥ 0",
        },
        Case {
            body: "YSD s1 a 0 f res\n.model res SPINDIODE ()",
            at: "YSD",
            msg: "YSD 's1' needs 2 nodes (n+ n-) or 4 (n+ n- fl+ fl-), got 3",
        },
        Case {
            body: "YSD s1 a 0 osc\n.model osc STNO ()",
            at: "YSD",
            msg: "model 'osc' has type 'STNO', but YSD 's1' needs a type SPINDIODE model",
        },
        Case {
            body: "YSD s1 a 0 res phase=1\n.model res SPINDIODE ()",
            at: "phase=1",
            msg: "unknown parameter 'phase' for 's1'",
        },
    ];
    for c in &cases {
        check(c);
    }
    // the well-formed cards of this file run
    for ok in [
        format!("{STNO}\nYSTNO x1 a 0 osc"),
        format!("{SD}\nYSD s1 a 0 res"),
    ] {
        let text = format!("ok\n{ok}\nI1 0 a DC 1m\nR9 a 0 1k\n.op\n.end\n");
        simulate_str(&text, &[]).unwrap_or_else(|e| panic!("{e}"));
    }
}
