//! Malformed netlists: each row gives the exact `file:line:column` of the first
//! error and a substring of its message. Columns were counted by hand from
//! the text of each row (1-based, in characters).

use spinspice::diag::{Diagnostic, SourceMap};
use spinspice::netlist::{parse_file, parse_str};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netlists")
}

enum Src<'a> {
    /// In-memory text named `t.cir`, includes resolved in `tests/netlists`.
    Text(&'a str),
    /// A file of `tests/netlists` read with `parse_file`.
    File(&'a str),
}

struct Row<'a> {
    src: Src<'a>,
    /// File the error is in (`t.cir` or a fixture path relative to tests/netlists).
    file: &'a str,
    line: usize,
    col: usize,
    msg: &'a str,
}

fn row<'a>(text: &'a str, line: usize, col: usize, msg: &'a str) -> Row<'a> {
    Row {
        src: Src::Text(text),
        file: "t.cir",
        line,
        col,
        msg,
    }
}
fn row_in<'a>(text: &'a str, file: &'a str, line: usize, col: usize, msg: &'a str) -> Row<'a> {
    Row {
        src: Src::Text(text),
        file,
        line,
        col,
        msg,
    }
}

/// Statement count and warnings (output-only lines that cannot be honoured
/// are warnings, the run goes on), or the errors.
type Parsed = Result<(usize, Vec<Diagnostic>), Vec<Diagnostic>>;

fn run(src: &Src) -> (Parsed, SourceMap) {
    let mut sm = SourceMap::new();
    let r = match src {
        Src::Text(t) => parse_str("t.cir", t, &fixtures(), &mut sm),
        Src::File(f) => parse_file(&fixtures().join(f), &mut sm),
    };
    (r.map(|p| (p.netlist.statements.len(), p.warnings)), sm)
}

#[test]
fn malformed_netlists_table() {
    let deep = format!(
        "t\nR1 a b {{{}1{}}}\n",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let rows = vec![
        // ---- unknown / unsupported elements
        row(
            "t\nM1 d g s b nmos\n",
            2,
            1,
            "unsupported element type 'M1' (MOSFET)",
        ),
        row(
            "t\nQ1 c b e npn\n",
            2,
            1,
            "unsupported element type 'Q1' (BJT)",
        ),
        row(
            "t\n  J1 d g s jmod\n",
            2,
            3,
            "unsupported element type 'J1' (JFET)",
        ),
        row(
            "t\nTline a 0 b 0 z0=50\n",
            2,
            1,
            "(lossless transmission line)",
        ),
        row("t\n1abc x y\n", 2, 1, "unknown element or statement '1abc'"),
        row("t\nY m1 a b mod\n", 2, 1, "missing device type after 'Y'"),
        row(
            "t\nE1 a b TABLE(1) c d 1 2\n",
            2,
            8,
            "TABLE controlled sources are not supported",
        ),
        row("t\nE1 a b POLY(9) c d 1 2\n", 2, 8, "POLY dimension"),
        // ---- missing nodes / values
        row("t\nR1 a\n", 2, 5, "missing node n-"),
        row("t\nR1 a b\n", 2, 7, "missing value"),
        row("t\nC1 a b ic=1\n", 2, 12, "missing value"),
        row("t\nV1\n", 2, 3, "missing node n+"),
        row("t\nE1 a b c d\n", 2, 11, "missing gain"),
        row("t\nE1 a b c\n", 2, 9, "missing node nc-"),
        row("t\nK1 L1 L2\n", 2, 9, "missing coupling coefficient"),
        row(
            "t\nF1 a b\n",
            2,
            7,
            "the name of the controlling voltage source at end of line",
        ),
        row("t\nD1 a k\n", 2, 7, "a diode model name"),
        row("t\nX1\n", 2, 3, "missing subcircuit name"),
        row(
            "t\nB1 a b x\n",
            2,
            8,
            "expected 'V=expression' or 'I=expression'",
        ),
        row("t\nB1 a b V=\n", 2, 10, "missing expression"),
        row("t\nR1 a b 1k 2k\n", 2, 11, "unexpected '2k'"),
        // ---- bad numbers and expressions
        row("t\nR1 a b 1.2.3\n", 2, 8, "invalid number '1.2.3'"),
        row("t\nC1 a b 1p2\n", 2, 8, "invalid number '1p2'"),
        row("t\nR1 a b {1+*2}\n", 2, 11, "expected a value"),
        row("t\nV1 a 0 SIN(0 1 {2*})\n", 2, 19, "expected a value"),
        row(&deep, 2, 73, "nested too deeply"),
        // ---- unbalanced parentheses, braces, quotes
        row("t\nR1 a b {(1+2}\n", 2, 9, "'(' is never closed"),
        row(
            "t\nR1 a b {1+2\n",
            2,
            8,
            "unbalanced braces: '{' is never closed",
        ),
        row(
            "t\nR1 a b 1k}\n",
            2,
            10,
            "unbalanced braces: unexpected '}'",
        ),
        row("t\nR1 a b '1+2\n", 2, 8, "unterminated quote"),
        row("t\nV1 a 0 SIN(0 1 1k\n", 2, 11, "'(' is never closed"),
        row("t\nV1 a 0 SIN 0 1 1k)\n", 2, 18, "unexpected ')'"),
        // ---- source functions
        row(
            "t\nV1 a 0 PULSE(0 1 2 3 4 5 6 7 8)\n",
            2,
            8,
            "PULSE takes 2 to 8 arguments",
        ),
        row("t\nV1 a 0 PWL(0 0 1n)\n", 2, 8, "odd number"),
        row(
            "t\nV1 a 0 SIN(0 1) SIN(0 2)\n",
            2,
            17,
            "more than one transient function",
        ),
        // `DC 1 DC 2`: the last value counts, as in ngspice (no error)
        // ---- subcircuits
        row(
            "t\n.subckt s a b\nR1 a b 1\n",
            2,
            1,
            "missing .ends for subcircuit 's'",
        ),
        row("t\n.ends\n", 2, 1, "'.ends' without a matching '.subckt'"),
        row(
            "t\n.subckt s a b\nR1 a b 1\n.ends q\n.ends s\n",
            4,
            7,
            "'.ends q' does not match the open subcircuit 's'",
        ),
        row(
            "t\n.subckt s a\n.tran 1n 10n\n.ends\n",
            3,
            1,
            "'.tran' is not allowed inside a subcircuit",
        ),
        // ---- includes and libraries
        row_in(
            "t\n.include rec_a.cir\n",
            "rec_b.cir",
            2,
            1,
            "recursive .include: t.cir -> rec_a.cir -> rec_b.cir -> rec_a.cir",
        ),
        row_in(
            "t\n.include self_inc.cir\n",
            "self_inc.cir",
            2,
            1,
            "recursive .include: t.cir -> self_inc.cir -> self_inc.cir",
        ),
        Row {
            src: Src::File("rec_a.cir"),
            file: "rec_b.cir",
            line: 2,
            col: 1,
            msg: "recursive .include: rec_a.cir -> rec_b.cir -> rec_a.cir",
        },
        row_in(
            "t\n.lib lib/rec.lib a\n",
            "lib/rec.lib",
            3,
            1,
            "recursive .lib: t.cir -> rec.lib[a] -> rec.lib[a]",
        ),
        row(
            "t\n.include \"nope.inc\"\n",
            2,
            11,
            "cannot read included file",
        ),
        row("t\n.inc nope.inc\n", 2, 6, "cannot read included file"),
        row("t\n.include sub\n", 2, 10, "cannot read included file"),
        row("t\n.include\n", 2, 9, "expected a file name after .include"),
        row(
            "t\n.lib lib/models.lib nosuch\n",
            2,
            21,
            "library section 'nosuch' not found",
        ),
        row("t\n.lib\n", 2, 5, "expected '.lib file section'"),
        row_in(
            "t\n.include bad.inc\n",
            "bad.inc",
            3,
            8,
            "invalid number '1.2.3'",
        ),
        row_in(
            "t\n.inc bad_cont.inc\n",
            "bad_cont.inc",
            3,
            6,
            "'(' is never closed",
        ),
        // ---- continuation lines
        row("t\nR1 a b\n+ {1+}\n", 3, 6, "expected a value"),
        row(
            "t\n+ R1 a b 1\n",
            2,
            1,
            "continuation line '+' with nothing before it",
        ),
        row(
            "t\n   + x\n",
            2,
            4,
            "continuation line '+' with nothing before it",
        ),
        // ---- analyses
        row("t\n.tran\n", 2, 6, "missing TSTEP"),
        row("t\n.tran 1n\n", 2, 9, "missing TSTOP"),
        row("t\n.tran 1n 10n 0 1p 5\n", 2, 19, "unexpected '5'"),
        row("t\n.tran 1n 10n uic 5\n", 2, 18, "unexpected '5'"),
        row(
            "t\n.tran 1n foo=3\n",
            2,
            13,
            "expected a time value, found '='",
        ),
        row("t\n.ac foo 10 1 1k\n", 2, 5, "expected dec, oct or lin"),
        row("t\n.ac dec 10 1\n", 2, 13, "missing stop frequency"),
        row("t\n.ac dec 10 1 1k 5\n", 2, 17, "unexpected '5'"),
        row("t\n.dc v1 0 1\n", 2, 11, "missing .dc STEP value"),
        row(
            "t\n.step param x 1 2\n",
            2,
            18,
            "missing STEP (or points) value",
        ),
        row(
            "t\n.noise v(out) v1 dec 10 1 1k\n",
            2,
            1,
            "unsupported analysis '.noise'",
        ),
        // ---- .meas
        row(
            "t\n.meas tran x avg\n",
            2,
            17,
            "expected a signal at end of line",
        ),
        row(
            "t\n.meas tran x find v(a)\n",
            2,
            23,
            "expected AT= or WHEN after FIND signal",
        ),
        row(
            "t\n.meas tran x trig v(a) val=1 rise=0 targ v(b) val=1\n",
            2,
            35,
            "RISE= needs a whole number ≥ 1 or LAST",
        ),
        row(
            "t\n.meas op x avg v(a)\n",
            2,
            7,
            "expected tran, dc, ac, hb or hb_td after .meas",
        ),
        row(
            "t\n.meas tran x foo v(a)\n",
            2,
            14,
            "unknown .meas kind 'foo'",
        ),
        row(
            "t\n.meas tran x trig v(a) val=1\n",
            2,
            29,
            "expected TARG after the TRIG specification",
        ),
        row("t\n.meas tran x when v(a)\n", 2, 23, "'=' in WHEN"),
        row(
            "t\n.meas tran x trig v(a) rise=1 targ v(b) val=1\n",
            2,
            24,
            "expected VAL= after the TRIG signal",
        ),
        // ---- other dot commands
        row("t\n.foo 1\n", 2, 1, "unknown dot command '.foo'"),
        row(
            "t\n.param a 1\n",
            2,
            10,
            "expected '=' after parameter name 'a'",
        ),
        row("t\n.param\n", 2, 7, "'name=value' after .param"),
        row("t\n.ic a=1\n", 2, 5, "'v(node)=value'"),
        row("t\n.control\nrun\n", 2, 1, "missing .endc"),
        row("t\n.endc\n", 2, 1, "'.endc' without a matching '.control'"),
        row(
            "t\n.endl\n",
            2,
            1,
            "'.endl' without a matching '.lib section'",
        ),
        row(
            "t\n.func f {x}\n",
            2,
            9,
            "expected '(' with the argument list",
        ),
        row(
            "t\n.model m\n",
            2,
            9,
            "expected a model type at end of line",
        ),
        row(
            "t\n.model m d(is)\n",
            2,
            14,
            "expected '=' after parameter name 'is' at end of line",
        ),
        row("t\n.if (a)\n", 2, 1, "conditional netlist blocks"),
    ];
    assert!(rows.len() >= 30);
    let mut failures = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        let (res, sm) = run(&r.src);
        let (errs, warning) = match res {
            Ok((n, w)) if w.is_empty() => {
                failures.push(format!("row {k}: parsed without error ({n} statements)"));
                continue;
            }
            // a .meas or output line: the same message, as a warning
            Ok((_, w)) => (w, true),
            Err(e) => (e, false),
        };
        let first = &errs[0];
        let Some(span) = first.span else {
            failures.push(format!("row {k}: error without span: {}", first.message));
            continue;
        };
        let loc = sm.location(span);
        let want_path = if r.file == "t.cir" {
            PathBuf::from("t.cir")
        } else {
            fixtures().join(r.file)
        };
        let path_ok = loc.path == want_path
            || std::fs::canonicalize(&loc.path).ok() == std::fs::canonicalize(&want_path).ok();
        if !path_ok || loc.line != r.line || loc.col != r.col || !first.message.contains(r.msg) {
            failures.push(format!(
                "row {k}: got {}\n        want {}:{}:{}: …{}…",
                first.short(&sm),
                want_path.display(),
                r.line,
                r.col,
                r.msg
            ));
        }
        assert!(first.is_error() != warning, "row {k}");
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every error renders with miette (excerpt) and leads with `file:line:col`.
#[test]
fn rendered_error_names_file_line_and_column() {
    let mut sm = SourceMap::new();
    let Err(e) = parse_str("t.cir", "t\nR1 a b 1.2.3\n", &fixtures(), &mut sm) else {
        panic!()
    };
    let r = e[0].render(&sm, false);
    assert!(
        r.starts_with("t.cir:2:8: error: invalid number '1.2.3'"),
        "{r}"
    );
    assert!(r.contains("R1 a b 1.2.3"), "{r}");
}

/// An error span covers the offending text, not just its first character.
#[test]
fn error_span_covers_the_offending_text() {
    let mut sm = SourceMap::new();
    let Err(e) = parse_str("t.cir", "t\nMfet d g s b nmos\n", &fixtures(), &mut sm) else {
        panic!()
    };
    assert_eq!(sm.text(e[0].span.unwrap()), "Mfet");
    let mut sm = SourceMap::new();
    let Err(e) = parse_str("t.cir", "t\nR1 a b {2*1.2.3}\n", &fixtures(), &mut sm) else {
        panic!()
    };
    assert_eq!(sm.text(e[0].span.unwrap()), "1.2.3");
}
