//! Unit tests of the netlist parser and the expression parser: one test per
//! construct, comparing the AST (spans cleared) or the relevant fields, and
//! checking spans where they matter.

use spinspice::diag::{SourceMap, Span};
use spinspice::expr::parse::parse_expr;
use spinspice::expr::{BinOp, Expr, ExprKind, UnOp};
use spinspice::netlist::ast::*;
use spinspice::netlist::spans::ClearSpans;
use spinspice::netlist::{parse_file, parse_str, Parsed};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ helpers

fn n(v: f64) -> Expr {
    Expr::num(v, Span::default())
}
fn id(s: &str) -> Expr {
    Expr {
        kind: ExprKind::Ident(s.into()),
        span: Span::default(),
    }
}
fn probe(f: &str, args: &[&str]) -> Expr {
    Expr {
        kind: ExprKind::Probe {
            func: f.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
        },
        span: Span::default(),
    }
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr {
        kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
        span: Span::default(),
    }
}
fn un(op: UnOp, a: Expr) -> Expr {
    Expr {
        kind: ExprKind::Unary(op, Box::new(a)),
        span: Span::default(),
    }
}
fn call(f: &str, args: Vec<Expr>) -> Expr {
    Expr {
        kind: ExprKind::Call(f.into(), args),
        span: Span::default(),
    }
}
fn tern(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr {
        kind: ExprKind::Ternary(Box::new(c), Box::new(a), Box::new(b)),
        span: Span::default(),
    }
}
fn ident(s: &str) -> Ident {
    Ident {
        name: s.into(),
        span: Span::default(),
    }
}
fn pa(name: &str, v: Expr) -> ParamAssign {
    ParamAssign {
        name: ident(name),
        value: v,
    }
}

/// Parse an expression (spans cleared).
fn ex(s: &str) -> Expr {
    let mut e = parse_expr(s, &|a, b| Span::new(Default::default(), a, b))
        .unwrap_or_else(|d| panic!("{s:?}: {}", d.message));
    e.clear_spans();
    e
}
/// Expression error: (byte offset, message).
fn ex_err(s: &str) -> (u32, String) {
    match parse_expr(s, &|a, b| Span::new(Default::default(), a, b)) {
        Ok(e) => panic!("{s:?} parsed as {e:?}"),
        Err(d) => (d.span.map_or(u32::MAX, |s| s.start), d.message),
    }
}

fn parse_full(text: &str) -> (Parsed, SourceMap) {
    let mut sm = SourceMap::new();
    match parse_str("t.cir", text, Path::new("."), &mut sm) {
        Ok(p) => (p, sm),
        Err(es) => {
            let msgs: Vec<String> = es.iter().map(|d| d.short(&sm)).collect();
            panic!("parse failed:\n{}", msgs.join("\n"))
        }
    }
}
/// Parse the statements of `body` (a title line is prepended), spans cleared.
fn stmts(body: &str) -> Vec<Stmt> {
    let (mut p, _) = parse_full(&format!("test title\n{body}"));
    p.netlist.clear_spans();
    p.netlist.statements
}
fn one(body: &str) -> Stmt {
    let mut v = stmts(body);
    assert_eq!(v.len(), 1, "{body:?} gave {v:?}");
    v.remove(0)
}
fn el(body: &str) -> ElementKind {
    match one(body) {
        Stmt::Element(e) => e.kind,
        s => panic!("not an element: {s:?}"),
    }
}
fn el_named(body: &str) -> Element {
    match one(body) {
        Stmt::Element(e) => e,
        s => panic!("not an element: {s:?}"),
    }
}
fn value_of(body: &str) -> f64 {
    match el(body) {
        ElementKind::Resistor { value: Some(v), .. }
        | ElementKind::Capacitor { value: Some(v), .. }
        | ElementKind::Inductor { value: Some(v), .. } => {
            v.as_num().unwrap_or_else(|| panic!("not a number: {v:?}"))
        }
        k => panic!("{k:?}"),
    }
}
fn errors(text: &str) -> Vec<String> {
    let mut sm = SourceMap::new();
    match parse_str("t.cir", text, Path::new("."), &mut sm) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(es) => es.iter().map(|d| d.short(&sm)).collect(),
    }
}
fn nodes2(a: &str, b: &str) -> [Node; 2] {
    [ident(a), ident(b)]
}
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netlists")
}

// -------------------------------------------------------------- expressions

#[test]
fn expr_precedence_and_associativity() {
    use BinOp::*;
    assert_eq!(ex("1+2*3"), bin(Add, n(1.0), bin(Mul, n(2.0), n(3.0))));
    assert_eq!(ex("(1+2)*3"), bin(Mul, bin(Add, n(1.0), n(2.0)), n(3.0)));
    assert_eq!(ex("1-2-3"), bin(Sub, bin(Sub, n(1.0), n(2.0)), n(3.0)));
    assert_eq!(ex("a/b*c"), bin(Mul, bin(Div, id("a"), id("b")), id("c")));
    // Power binds tighter than unary minus and is right-associative.
    assert_eq!(ex("-2^2"), un(UnOp::Neg, bin(Pow, n(2.0), n(2.0))));
    assert_eq!(ex("2^3^2"), bin(Pow, n(2.0), bin(Pow, n(3.0), n(2.0))));
    assert_eq!(ex("2**3**2"), bin(Pow, n(2.0), bin(Pow, n(3.0), n(2.0))));
    assert_eq!(ex("2**-1"), bin(Pow, n(2.0), un(UnOp::Neg, n(1.0))));
    assert_eq!(ex("a*b^2"), bin(Mul, id("a"), bin(Pow, id("b"), n(2.0))));
    assert_eq!(ex("a<b==c"), bin(Eq, bin(Lt, id("a"), id("b")), id("c")));
    assert_eq!(
        ex("a<=b != c>=d"),
        bin(Ne, bin(Le, id("a"), id("b")), bin(Ge, id("c"), id("d")))
    );
    assert_eq!(
        ex("a+1>b-1"),
        bin(Gt, bin(Add, id("a"), n(1.0)), bin(Sub, id("b"), n(1.0)))
    );
    assert_eq!(ex("a||b&&c"), bin(Or, id("a"), bin(And, id("b"), id("c"))));
    assert_eq!(ex("a&&b||c"), bin(Or, bin(And, id("a"), id("b")), id("c")));
    assert_eq!(ex("a==b&&c"), bin(And, bin(Eq, id("a"), id("b")), id("c")));
    assert_eq!(ex("!a&&b"), bin(And, un(UnOp::Not, id("a")), id("b")));
    assert_eq!(ex("+-a"), un(UnOp::Plus, un(UnOp::Neg, id("a"))));
    assert_eq!(
        ex("-a^-b^c"),
        un(
            UnOp::Neg,
            bin(Pow, id("a"), un(UnOp::Neg, bin(Pow, id("b"), id("c"))))
        )
    );
    assert_eq!(
        ex("!-2**3^4"),
        un(
            UnOp::Not,
            un(UnOp::Neg, bin(Pow, n(2.0), bin(Pow, n(3.0), n(4.0))))
        )
    );
    assert_eq!(ex("-a*b"), bin(Mul, un(UnOp::Neg, id("a")), id("b")));
}

#[test]
fn expr_ternary() {
    assert_eq!(ex("a ? b : c"), tern(id("a"), id("b"), id("c")));
    // Right-associative.
    assert_eq!(
        ex("a?b:c?d:e"),
        tern(id("a"), id("b"), tern(id("c"), id("d"), id("e")))
    );
    // Lowest precedence.
    assert_eq!(
        ex("x>1 || y ? 1+2 : 3"),
        tern(
            bin(BinOp::Or, bin(BinOp::Gt, id("x"), n(1.0)), id("y")),
            bin(BinOp::Add, n(1.0), n(2.0)),
            n(3.0)
        )
    );
    assert_eq!(
        ex("if(v(a) > 1, 2, 3)"),
        tern(bin(BinOp::Gt, probe("v", &["a"]), n(1.0)), n(2.0), n(3.0))
    );
    assert_eq!(ex("IF(a,b,c)"), tern(id("a"), id("b"), id("c")));
}

#[test]
fn expr_calls_idents_and_numbers() {
    assert_eq!(ex("MAX(a, 2k)"), call("max", vec![id("a"), n(2e3)]));
    assert_eq!(ex("f()"), call("f", vec![]));
    assert_eq!(
        ex("sin (2*pi*time)"),
        call(
            "sin",
            vec![bin(
                BinOp::Mul,
                bin(BinOp::Mul, n(2.0), id("pi")),
                id("time")
            )]
        )
    );
    assert_eq!(
        ex("limit(x, -1, 1)"),
        call("limit", vec![id("x"), un(UnOp::Neg, n(1.0)), n(1.0)])
    );
    assert_eq!(ex("TEMPER"), id("temper"));
    assert_eq!(ex("_a1"), id("_a1"));
    assert_eq!(ex(" 1MEG "), n(1e6));
    assert_eq!(ex("1M"), n(1e-3));
    assert_eq!(ex("2.5mil"), n(63.5e-6));
    assert_eq!(ex("10pF"), n(1e-11));
    assert_eq!(ex("1kHz*2"), bin(BinOp::Mul, n(1e3), n(2.0)));
    assert_eq!(ex(".5"), n(0.5));
    assert_eq!(ex("1e-3"), n(1e-3));
}

#[test]
fn expr_probes() {
    assert_eq!(ex("v(a)"), probe("v", &["a"]));
    assert_eq!(ex("V(A, B)"), probe("v", &["a", "b"]));
    assert_eq!(ex("i(V1)"), probe("i", &["v1"]));
    assert_eq!(ex("v(x1.n2)"), probe("v", &["x1.n2"]));
    assert_eq!(ex("v( out_1 , 0 )"), probe("v", &["out_1", "0"]));
    assert_eq!(ex("v(3)"), probe("v", &["3"]));
    for f in ["vm", "vp", "vdb", "vr", "vi"] {
        assert_eq!(ex(&format!("{f}(out,ref)")), probe(f, &["out", "ref"]));
    }
    for f in ["im", "ip", "idb", "ir", "ii"] {
        assert_eq!(ex(&format!("{}(Vs)", f.to_uppercase())), probe(f, &["vs"]));
    }
    assert_eq!(ex("@D1[Id]"), probe("@", &["d1", "id"]));
    assert_eq!(
        ex("@x1.m1[mz]*2"),
        bin(BinOp::Mul, probe("@", &["x1.m1", "mz"]), n(2.0))
    );
    assert_eq!(
        ex("v(a)-v(b)"),
        bin(BinOp::Sub, probe("v", &["a"]), probe("v", &["b"]))
    );
}

#[test]
fn expr_spans() {
    let text = "a + foo(v(x), 2)";
    let e = parse_expr(text, &|s, t| Span::new(Default::default(), s, t)).unwrap();
    assert_eq!((e.span.start, e.span.end), (0, 16));
    let ExprKind::Binary(_, l, r) = &e.kind else {
        panic!()
    };
    assert_eq!((l.span.start, l.span.end), (0, 1));
    assert_eq!((r.span.start, r.span.end), (4, 16));
    let ExprKind::Call(_, args) = &r.kind else {
        panic!()
    };
    assert_eq!((args[0].span.start, args[0].span.end), (8, 12));
    assert_eq!((args[1].span.start, args[1].span.end), (14, 15));
    let e = parse_expr("-x", &|s, t| Span::new(Default::default(), s, t)).unwrap();
    assert_eq!((e.span.start, e.span.end), (0, 2));
}

#[test]
fn expr_errors_point_at_the_text() {
    let cases: &[(&str, u32, &str)] = &[
        ("1+", 2, "expected a value"),
        ("(1+2", 0, "'(' is never closed"),
        ("1+2)", 3, "unexpected ')'"),
        ("1.2.3", 0, "invalid number '1.2.3'"),
        ("2*1k2", 2, "invalid number '1k2'"),
        ("1e999", 0, "number out of range"),
        ("v(a,b,c)", 0, "one or two node names"),
        ("i(a,b)", 0, "one device name"),
        ("if(1,2)", 0, "if() takes 3 arguments"),
        ("f(1 2)", 4, "expected ',' or ')'"),
        ("a ? b", 5, "expected ':'"),
        ("", 0, "empty expression"),
        ("   ", 0, "empty expression"),
        ("2 3", 2, "unexpected '3'"),
        ("@d1", 0, "@device[variable]"),
        ("a = b", 2, "unexpected '='"),
        ("max(1,", 3, "'(' is never closed"),
        ("v(a", 1, "'(' is never closed"),
        ("v()", 2, "expected a node or device name"),
        ("3 *", 3, "expected a value"),
        ("{a}", 0, "unexpected '{'"),
    ];
    for (text, pos, msg) in cases {
        let (p, m) = ex_err(text);
        assert!(m.contains(msg), "{text:?}: message {m:?} lacks {msg:?}");
        assert_eq!(p, *pos, "{text:?}: {m}");
    }
}

#[test]
fn expr_deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let (pos, msg) = ex_err(&deep);
    assert!(msg.contains("nested too deeply"), "{msg}");
    assert_eq!(pos, 64, "the 65th '(' is refused");
    // The cap is not reached by reasonable nesting.
    let ok = format!("{}1{}", "(".repeat(64), ")".repeat(64));
    assert_eq!(ex(&ok), n(1.0));
    let (_, msg) = ex_err(&format!("{}1", "-".repeat(10_000)));
    assert!(msg.contains("nested too deeply"), "{msg}");
    let (_, msg) = ex_err(&format!("2{}", "^2".repeat(10_000)));
    assert!(msg.contains("too deep"), "{msg}");
    let (_, msg) = ex_err(&format!(
        "f({}1{})",
        "g(".repeat(10_000),
        ")".repeat(10_000)
    ));
    assert!(msg.contains("nested too deeply"), "{msg}");
    let (_, msg) = ex_err(&format!("{}1", "1?1:".repeat(10_000)));
    assert!(msg.contains("too deep"), "{msg}");
    let (_, msg) = ex_err(&format!(
        "{}1{}",
        "1?(".repeat(10_000),
        "):1".repeat(10_000)
    ));
    assert!(msg.contains("nested too deeply"), "{msg}");
    // Long but reasonable chains parse (iteratively).
    assert!(matches!(
        ex(&format!("{}1", "x?1:".repeat(500))).kind,
        ExprKind::Ternary(..)
    ));
    assert!(matches!(
        ex(&format!("2{}", "^1".repeat(500))).kind,
        ExprKind::Binary(BinOp::Pow, ..)
    ));
    assert!(matches!(
        ex(&format!("{}1", "-".repeat(64))).kind,
        ExprKind::Unary(UnOp::Neg, _)
    ));
    // Long flat chains build deep trees: capped too.
    let (_, msg) = ex_err(&format!("1{}", "+1".repeat(10_000)));
    assert!(msg.contains("too deep"), "{msg}");
    let sum = format!("1{}", "+1".repeat(500));
    assert!(matches!(ex(&sum).kind, ExprKind::Binary(BinOp::Add, _, _)));
}

// ------------------------------------------------------------------- reader

#[test]
fn title_is_first_line_verbatim() {
    let (p, _) = parse_full("R1 a b 1k  \nR2 a b 2k\n");
    assert_eq!(p.netlist.title, "R1 a b 1k  ");
    assert_eq!(p.netlist.statements.len(), 1);
    let (p, _) = parse_full("My Circuit * with ; odd $ chars\r\n.op\r\n");
    assert_eq!(p.netlist.title, "My Circuit * with ; odd $ chars");
    assert_eq!(p.netlist.statements.len(), 1);
    let (p, _) = parse_full("");
    assert_eq!(p.netlist.title, "");
    assert!(p.netlist.statements.is_empty());
}

#[test]
fn dot_end_stops_reading() {
    let s = stmts("R1 a b 1\n.END\nthis is M1 garbage (((\n");
    assert_eq!(s.len(), 1);
    let s = stmts("R1 a b 1\n  .end  \n.tran 1 2\n");
    assert_eq!(s.len(), 1);
}

#[test]
fn names_are_lower_cased_spans_keep_original() {
    let (p, sm) = parse_full("t\nRLoad OUT Gnd 1K\n");
    let Stmt::Element(e) = &p.netlist.statements[0] else {
        panic!()
    };
    assert_eq!(e.name.name, "rload");
    assert_eq!(sm.text(e.name.span), "RLoad");
    let ElementKind::Resistor { nodes, value, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(nodes[0].name, "out");
    assert_eq!(sm.text(nodes[1].span), "Gnd");
    assert_eq!(sm.text(value.as_ref().unwrap().span), "1K");
    assert_eq!(sm.text(e.span), "RLoad OUT Gnd 1K");
}

#[test]
fn continuation_lines_and_comments() {
    let text = "title\n* comment\nR1 a ; inline comment\n\n* comment between\n   + b $ another\n// slashes\n+1k\n.op $\n";
    let (mut p, sm) = parse_full(text);
    let Stmt::Element(e) = &p.netlist.statements[0] else {
        panic!()
    };
    let ElementKind::Resistor { value, .. } = &e.kind else {
        panic!()
    };
    let v = value.as_ref().unwrap();
    assert_eq!(v.as_num(), Some(1e3));
    let loc = sm.location(v.span);
    assert_eq!((loc.line, loc.col), (8, 2));
    // The element span runs from R1 to the value, across the continuations.
    assert_eq!(sm.location(e.span).line, 3);
    p.netlist.clear_spans();
    assert_eq!(
        p.netlist.statements,
        vec![
            Stmt::Element(Element {
                name: ident("r1"),
                kind: ElementKind::Resistor {
                    nodes: nodes2("a", "b"),
                    value: Some(n(1e3)),
                    model: None,
                    params: vec![]
                },
                span: Span::default()
            }),
            an(Analysis::Op(Span::default()))
        ]
    );
}

#[test]
fn dollar_and_semicolon_comment_rules() {
    // `$` inside a word is not a comment; `;` always is.
    let s = stmts("R1 a$b c 1k\nR2 a b 2k;comment\nR3 a b 3k $ comment\n");
    let names: Vec<_> = s
        .iter()
        .map(|s| match s {
            Stmt::Element(e) => match &e.kind {
                ElementKind::Resistor { nodes, value, .. } => {
                    (nodes[0].name.clone(), value.as_ref().and_then(Expr::as_num))
                }
                _ => panic!(),
            },
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("a$b".to_string(), Some(1e3)),
            ("a".to_string(), Some(2e3)),
            ("a".to_string(), Some(3e3))
        ]
    );
}

#[test]
fn expression_straddling_a_continuation_maps_back_to_both_lines() {
    let text = "t\nB1 out 0 V = v(a) *\n+   2 + sin(time)\n";
    let (p, sm) = parse_full(text);
    let Stmt::Element(e) = &p.netlist.statements[0] else {
        panic!()
    };
    let ElementKind::Behavioural { expr, .. } = &e.kind else {
        panic!()
    };
    let start = sm.location(expr.span);
    assert_eq!((start.line, start.col), (2, 14));
    // The span covers the text of both physical lines.
    assert_eq!(sm.text(expr.span), "v(a) *\n+   2 + sin(time)");
    let ExprKind::Binary(BinOp::Add, l, r) = &expr.kind else {
        panic!()
    };
    let ExprKind::Binary(BinOp::Mul, _, two) = &l.kind else {
        panic!()
    };
    let loc = sm.location(two.span);
    assert_eq!((loc.line, loc.col), (3, 5));
    assert_eq!(sm.text(r.span), "sin(time)");
}

#[test]
fn separators_commas_equals_parentheses() {
    assert_eq!(el("V1 a,b SIN(0,1,1k)"), el("V1 a b SIN 0 1 1k"));
    assert_eq!(el("R1 a b r = 1k"), el("R1 a b 1k"));
    assert_eq!(
        one(".model m d(is=1e-14,n=1)"),
        one(".model m D ( IS = 1e-14 , N = 1 )")
    );
}

// ----------------------------------------------------------------- numbers

#[test]
fn element_values_with_suffixes() {
    let cases: &[(&str, f64)] = &[
        ("1MEG", 1e6),
        ("1meg", 1e6),
        ("1M", 1e-3),
        ("1m", 1e-3),
        ("2.5mil", 63.5e-6),
        ("10pF", 1e-11),
        ("1kHz", 1e3),
        ("5ns", 5e-9),
        ("4.7u", 4.7e-6),
        ("4.7µ", 4.7e-6),
        // `a` is a unit (ampere), not atto (ngspice, Xyce)
        ("3a", 3.0),
        ("2f", 2e-15),
        ("1.5G", 1.5e9),
        ("2T", 2e12),
        ("1e3", 1e3),
        ("1.5e-3k", 1.5),
        ("100", 100.0),
        ("1Kohm", 1e3),
        (".5n", 0.5e-9),
    ];
    for (txt, v) in cases {
        assert_eq!(value_of(&format!("R1 a b {txt}")), *v, "{txt}");
    }
}

// ---------------------------------------------------------------- elements

#[test]
fn resistor_forms() {
    assert_eq!(
        el("R1 a b 1k"),
        ElementKind::Resistor {
            nodes: nodes2("a", "b"),
            value: Some(n(1e3)),
            model: None,
            params: vec![]
        }
    );
    assert_eq!(
        el("R1 a b r=2k tc1=1e-3 m=2"),
        ElementKind::Resistor {
            nodes: nodes2("a", "b"),
            value: Some(n(2e3)),
            model: None,
            params: vec![pa("tc1", n(1e-3)), pa("m", n(2.0))]
        }
    );
    assert_eq!(
        el("R1 a b 1k RMOD tc1=0.1"),
        ElementKind::Resistor {
            nodes: nodes2("a", "b"),
            value: Some(n(1e3)),
            model: Some(ident("rmod")),
            params: vec![pa("tc1", n(0.1))]
        }
    );
    // A bare identifier is the model name; parameter values go in braces/quotes.
    assert_eq!(
        el("R1 a b rmod"),
        ElementKind::Resistor {
            nodes: nodes2("a", "b"),
            value: None,
            model: Some(ident("rmod")),
            params: vec![]
        }
    );
    assert_eq!(
        el("R1 a b {rval*2}"),
        ElementKind::Resistor {
            nodes: nodes2("a", "b"),
            value: Some(bin(BinOp::Mul, id("rval"), n(2.0))),
            model: None,
            params: vec![]
        }
    );
    assert_eq!(el("R1 a b 'rval*2'"), el("R1 a b {rval*2}"));
    // An unbraced expression that is not a plain name is a value.
    assert_eq!(el("R1 a b rval*2"), el("R1 a b {rval*2}"));
    assert_eq!(
        el("R1 a b r={rval}"),
        ElementKind::Resistor {
            nodes: nodes2("a", "b"),
            value: Some(id("rval")),
            model: None,
            params: vec![]
        }
    );
}

#[test]
fn capacitor_and_inductor() {
    assert_eq!(
        el("C1 a 0 10pF ic=1.5"),
        ElementKind::Capacitor {
            nodes: nodes2("a", "0"),
            value: Some(n(1e-11)),
            model: None,
            params: vec![pa("ic", n(1.5))]
        }
    );
    assert_eq!(
        el("C2 a 0 c={cval} m=4"),
        ElementKind::Capacitor {
            nodes: nodes2("a", "0"),
            value: Some(id("cval")),
            model: None,
            params: vec![pa("m", n(4.0))]
        }
    );
    assert_eq!(
        el("L1 a b 1uH ic=1m"),
        ElementKind::Inductor {
            nodes: nodes2("a", "b"),
            value: Some(n(1e-6)),
            model: None,
            params: vec![pa("ic", n(1e-3))]
        }
    );
    assert_eq!(
        el("L2 a b l=2n"),
        ElementKind::Inductor {
            nodes: nodes2("a", "b"),
            value: Some(n(2e-9)),
            model: None,
            params: vec![]
        }
    );
}

#[test]
fn mutual_inductance() {
    assert_eq!(
        el("K1 L1 L2 0.99"),
        ElementKind::Mutual {
            inductors: [ident("l1"), ident("l2")],
            coupling: n(0.99)
        }
    );
    assert_eq!(
        el("Kx La Lb {k}"),
        ElementKind::Mutual {
            inductors: [ident("la"), ident("lb")],
            coupling: id("k")
        }
    );
}

fn vspec(body: &str) -> SourceSpec {
    match el(body) {
        ElementKind::VSource { spec, .. } | ElementKind::ISource { spec, .. } => *spec,
        k => panic!("{k:?}"),
    }
}

#[test]
fn source_dc_and_ac_forms() {
    let five = SourceSpec {
        dc: Some(n(5.0)),
        ac: None,
        tran: None,
    };
    assert_eq!(vspec("V1 a b 5"), five);
    assert_eq!(vspec("V1 a b DC 5"), five);
    assert_eq!(vspec("V1 a b dc=5"), five);
    assert_eq!(vspec("V1 a b DC 5V"), five);
    assert_eq!(
        vspec("V1 a b"),
        SourceSpec {
            dc: None,
            ac: None,
            tran: None
        }
    );
    assert_eq!(
        vspec("V1 a b AC 1"),
        SourceSpec {
            dc: None,
            ac: Some((n(1.0), None)),
            tran: None
        }
    );
    assert_eq!(
        vspec("V1 a b AC 1 90 DC 2"),
        SourceSpec {
            dc: Some(n(2.0)),
            ac: Some((n(1.0), Some(n(90.0)))),
            tran: None
        }
    );
    assert_eq!(vspec("V1 a b ac=1 90 dc=2"), vspec("V1 a b AC 1 90 DC 2"));
    assert_eq!(
        vspec("I1 a b {ibias} AC 'amp'"),
        SourceSpec {
            dc: Some(id("ibias")),
            ac: Some((id("amp"), None)),
            tran: None
        }
    );
    assert_eq!(
        el("I1 a b 1m"),
        ElementKind::ISource {
            nodes: nodes2("a", "b"),
            spec: Box::new(five_milli())
        }
    );
}
fn five_milli() -> SourceSpec {
    SourceSpec {
        dc: Some(n(1e-3)),
        ac: None,
        tran: None,
    }
}

#[test]
fn source_transient_functions() {
    let sin = SourceSpec {
        dc: None,
        ac: None,
        tran: Some(TranFn::Sin(
            vec![n(0.0), n(1.0), n(1e3), n(1e-9), n(0.0), n(90.0)],
            Span::default(),
        )),
    };
    assert_eq!(vspec("V1 a 0 SIN(0 1 1k 1n 0 90)"), sin);
    assert_eq!(vspec("V1 a 0 sin (0 1 1k 1n 0 90)"), sin);
    assert_eq!(vspec("V1 a 0 SIN 0 1 1k 1n 0 90"), sin);
    assert_eq!(vspec("V1 a 0 SIN(0, 1, 1kHz, 1ns, 0, 90)"), sin);
    // Any order of DC / AC / transient; bare names and expressions as arguments.
    assert_eq!(
        vspec("V1 a 0 SIN(vo {va*2} freq) DC 1 AC 2"),
        SourceSpec {
            dc: Some(n(1.0)),
            ac: Some((n(2.0), None)),
            tran: Some(TranFn::Sin(
                vec![id("vo"), bin(BinOp::Mul, id("va"), n(2.0)), id("freq")],
                Span::default()
            )),
        }
    );
    assert_eq!(
        vspec("V1 a 0 DC 0 SIN 0 1 1k AC 1"),
        SourceSpec {
            dc: Some(n(0.0)),
            ac: Some((n(1.0), None)),
            tran: Some(TranFn::Sin(vec![n(0.0), n(1.0), n(1e3)], Span::default())),
        }
    );
    assert_eq!(
        vspec("V1 a 0 PULSE(0 1.8 1n 100p 100p 5n 10n 3)").tran,
        Some(TranFn::Pulse(
            vec![
                n(0.0),
                n(1.8),
                n(1e-9),
                n(1e-10),
                n(1e-10),
                n(5e-9),
                n(1e-8),
                n(3.0)
            ],
            Span::default()
        ))
    );
    assert_eq!(
        vspec("V1 a 0 EXP(0 1 1n 2n 5n 3n)").tran,
        Some(TranFn::Exp(
            vec![n(0.0), n(1.0), n(1e-9), n(2e-9), n(5e-9), n(3e-9)],
            Span::default()
        ))
    );
    assert_eq!(
        vspec("V1 a 0 SFFM(0 1 1g 5 10meg)").tran,
        Some(TranFn::Sffm(
            vec![n(0.0), n(1.0), n(1e9), n(5.0), n(1e7)],
            Span::default()
        ))
    );
    assert_eq!(
        vspec("I1 a 0 AM(1 0.5 1k 1meg 0)").tran,
        Some(TranFn::Am(
            vec![n(1.0), n(0.5), n(1e3), n(1e6), n(0.0)],
            Span::default()
        ))
    );
}

#[test]
fn source_pwl() {
    let pwl = |repeat: Option<Expr>, delay: Option<Expr>| {
        Some(TranFn::Pwl {
            points: vec![(n(0.0), n(0.0)), (n(1e-9), n(1.0)), (n(2e-9), id("vhi"))],
            repeat,
            delay,
            span: Span::default(),
        })
    };
    assert_eq!(vspec("V1 a 0 PWL(0 0 1n 1 2n vhi)").tran, pwl(None, None));
    assert_eq!(vspec("V1 a 0 PWL 0 0 1n 1 2n vhi").tran, pwl(None, None));
    assert_eq!(
        vspec("V1 a 0 PWL(0 0 1n 1 2n vhi) r=0 td=5n").tran,
        pwl(Some(n(0.0)), Some(n(5e-9)))
    );
    assert_eq!(
        vspec("V1 a 0 PWL(0,0, 1n,1, 2n,vhi, R=0, TD=5n)").tran,
        pwl(Some(n(0.0)), Some(n(5e-9)))
    );
    assert_eq!(
        vspec("V1 a 0 PWL(0 0 1n 1 2n vhi) td=5n DC 1").dc,
        Some(n(1.0))
    );
}

#[test]
fn span_of_transient_function() {
    let (p, sm) = parse_full("t\nV1 a 0 DC 1 PULSE (0 1 1n) AC 1\n");
    let Stmt::Element(e) = &p.netlist.statements[0] else {
        panic!()
    };
    let ElementKind::VSource { spec, .. } = &e.kind else {
        panic!()
    };
    let Some(TranFn::Pulse(args, span)) = &spec.tran else {
        panic!()
    };
    assert_eq!(sm.text(*span), "PULSE (0 1 1n)");
    assert_eq!(sm.text(args[2].span), "1n");
}

#[test]
fn controlled_sources_linear() {
    assert_eq!(
        el("E1 out 0 in 0 10"),
        ElementKind::Vcvs {
            nodes: nodes2("out", "0"),
            ctrl: nodes2("in", "0"),
            gain: n(10.0)
        }
    );
    assert_eq!(
        el("G1 out 0 in ref {gm}"),
        ElementKind::Vccs {
            nodes: nodes2("out", "0"),
            ctrl: nodes2("in", "ref"),
            gain: id("gm")
        }
    );
    assert_eq!(
        el("F1 out 0 Vsense 2"),
        ElementKind::Cccs {
            nodes: nodes2("out", "0"),
            ctrl: ident("vsense"),
            gain: n(2.0)
        }
    );
    assert_eq!(
        el("H1 out 0 Vsense 1k"),
        ElementKind::Ccvs {
            nodes: nodes2("out", "0"),
            ctrl: ident("vsense"),
            gain: n(1e3)
        }
    );
}

fn behav(output: BOutput, expr: Expr, params: Vec<ParamAssign>) -> ElementKind {
    ElementKind::Behavioural {
        nodes: nodes2("out", "0"),
        output,
        expr,
        params,
    }
}

#[test]
fn behavioural_sources() {
    let e2 = bin(BinOp::Mul, probe("v", &["a"]), n(2.0));
    for line in [
        "E1 out 0 VALUE={v(a)*2}",
        "E1 out 0 value = { v(a) * 2 }",
        "E1 out 0 VALUE='v(a)*2'",
        "E1 out 0 vol='v(a)*2'",
        "E1 out 0 VALUE=v(a)*2",
        "B1 out 0 V=v(a)*2",
        "B1 out 0 v = v(a) * 2",
        "B1 out 0 V={v(a)*2}",
    ] {
        assert_eq!(
            el(line),
            behav(BOutput::Voltage, e2.clone(), vec![]),
            "{line}"
        );
    }
    for line in [
        "G1 out 0 VALUE={v(a)*2}",
        "G1 out 0 cur='v(a)*2'",
        "B1 out 0 I = v(a) * 2",
    ] {
        assert_eq!(
            el(line),
            behav(BOutput::Current, e2.clone(), vec![]),
            "{line}"
        );
    }
    // Unbraced expression with spaces, then instance parameters.
    assert_eq!(
        el("B1 out 0 I = i(v1) * 2 + 1m tc1=0.01 m=2"),
        behav(
            BOutput::Current,
            bin(
                BinOp::Add,
                bin(BinOp::Mul, probe("i", &["v1"]), n(2.0)),
                n(1e-3)
            ),
            vec![pa("tc1", n(0.01)), pa("m", n(2.0))]
        )
    );
    // Comparisons are not taken for parameters.
    assert_eq!(
        el("B1 out 0 V = v(a) >= 1 ? 2 : x == 3"),
        behav(
            BOutput::Voltage,
            tern(
                bin(BinOp::Ge, probe("v", &["a"]), n(1.0)),
                n(2.0),
                bin(BinOp::Eq, id("x"), n(3.0))
            ),
            vec![]
        )
    );
    assert_eq!(
        el("B1 out 0 V = a != b"),
        behav(BOutput::Voltage, bin(BinOp::Ne, id("a"), id("b")), vec![])
    );
    assert_eq!(
        el("B1 out 0 V = a <= b"),
        behav(BOutput::Voltage, bin(BinOp::Le, id("a"), id("b")), vec![])
    );
    assert_eq!(
        el("B1 out 0 V = if(time > 1n, 1, 0)"),
        behav(
            BOutput::Voltage,
            tern(bin(BinOp::Gt, id("time"), n(1e-9)), n(1.0), n(0.0)),
            vec![]
        )
    );
}

#[test]
fn diode_forms() {
    assert_eq!(
        el("D1 a k dmod"),
        ElementKind::Diode {
            nodes: nodes2("a", "k"),
            model: ident("dmod"),
            area: None,
            off: false,
            params: vec![]
        }
    );
    assert_eq!(
        el("D1 a k DMOD 2.5 OFF ic=0.6 m=2"),
        ElementKind::Diode {
            nodes: nodes2("a", "k"),
            model: ident("dmod"),
            area: Some(n(2.5)),
            off: true,
            params: vec![pa("ic", n(0.6)), pa("m", n(2.0))]
        }
    );
    assert_eq!(
        el("D1 a k dmod area={ar} temp=50"),
        ElementKind::Diode {
            nodes: nodes2("a", "k"),
            model: ident("dmod"),
            area: Some(id("ar")),
            off: false,
            params: vec![pa("temp", n(50.0))]
        }
    );
}

#[test]
fn subcircuit_instances() {
    assert_eq!(
        el("X1 in out amp"),
        ElementKind::Subckt {
            nodes: vec![ident("in"), ident("out")],
            subckt: ident("amp"),
            params: vec![]
        }
    );
    let with = ElementKind::Subckt {
        nodes: vec![ident("in"), ident("out")],
        subckt: ident("amp"),
        params: vec![
            pa("gain", n(10.0)),
            pa("r", bin(BinOp::Mul, id("w"), n(2.0))),
        ],
    };
    assert_eq!(el("X1 in out amp params: gain=10 r={w*2}"), with);
    assert_eq!(el("X1 in out amp PARAMS:gain=10 r='w*2'"), with);
    assert_eq!(el("X1 in out amp gain=10 r={w*2}"), with);
    assert_eq!(
        el("Xtop noports"),
        ElementKind::Subckt {
            nodes: vec![],
            subckt: ident("noports"),
            params: vec![]
        }
    );
}

#[test]
fn general_y_devices() {
    let e = el_named("YMTJ m1 a b fl1 fl2 mazza alpha=0.02 Ms={ms}");
    assert_eq!(e.name, ident("m1"));
    assert_eq!(
        e.kind,
        ElementKind::General {
            dev_type: ident("mtj"),
            nodes: vec![ident("a"), ident("b"), ident("fl1"), ident("fl2")],
            model: ident("mazza"),
            params: vec![pa("alpha", n(0.02)), pa("ms", id("ms"))]
        }
    );
    let (p, sm) = parse_full("t\nYSTNO osc1 in out stnomod\n");
    let Stmt::Element(e) = &p.netlist.statements[0] else {
        panic!()
    };
    let ElementKind::General { dev_type, .. } = &e.kind else {
        panic!()
    };
    assert_eq!(dev_type.name, "stno");
    assert_eq!(sm.text(dev_type.span), "STNO");
    assert_eq!(sm.text(e.name.span), "osc1");
}

// ------------------------------------------------------------ dot commands

#[test]
fn param_statements() {
    assert_eq!(
        one(".param a=1 b={a*2} c='a+b' d=a e = 1k"),
        Stmt::Param(
            vec![
                pa("a", n(1.0)),
                pa("b", bin(BinOp::Mul, id("a"), n(2.0))),
                pa("c", bin(BinOp::Add, id("a"), id("b"))),
                pa("d", id("a")),
                pa("e", n(1e3)),
            ],
            Span::default()
        )
    );
}

#[test]
fn func_statements() {
    let f = Stmt::Func(FuncDef {
        name: ident("f"),
        args: vec![ident("x"), ident("y")],
        body: bin(BinOp::Mul, id("x"), bin(BinOp::Add, id("y"), n(1.0))),
        span: Span::default(),
    });
    assert_eq!(one(".func f(x,y) {x*(y+1)}"), f);
    assert_eq!(one(".func F(X, Y) = x * (y + 1)"), f);
    assert_eq!(one(".func f(x y) 'x*(y+1)'"), f);
    assert_eq!(one(".func f (x,y) = {x*(y+1)}"), f);
    assert_eq!(
        one(".func k() {2}"),
        Stmt::Func(FuncDef {
            name: ident("k"),
            args: vec![],
            body: n(2.0),
            span: Span::default()
        })
    );
}

#[test]
fn subckt_definitions_nest() {
    let s = stmts(
        ".subckt outer a b params: w=1\n\
         R1 a m {w}\n\
         .subckt inner x y l=2\n\
         C1 x y 1p\n\
         .ends inner\n\
         X1 m b inner\n\
         .ends\n\
         X2 1 2 outer w=3\n",
    );
    assert_eq!(s.len(), 2);
    let Stmt::Subckt(outer) = &s[0] else { panic!() };
    assert_eq!(outer.name, ident("outer"));
    assert_eq!(outer.ports, vec![ident("a"), ident("b")]);
    assert_eq!(outer.params, vec![pa("w", n(1.0))]);
    assert_eq!(outer.body.len(), 3);
    let Stmt::Subckt(inner) = &outer.body[1] else {
        panic!()
    };
    assert_eq!(inner.name, ident("inner"));
    assert_eq!(inner.params, vec![pa("l", n(2.0))]);
    assert_eq!(inner.body.len(), 1);
    assert!(matches!(&outer.body[2], Stmt::Element(e) if e.name.name == "x1"));
    assert!(matches!(&s[1], Stmt::Element(e) if e.name.name == "x2"));
}

#[test]
fn model_statements() {
    let m = Stmt::Model(ModelDef {
        name: ident("dfast"),
        kind: ident("d"),
        params: vec![pa("is", n(1e-14)), pa("n", n(1.05)), pa("rs", n(10.0))],
        span: Span::default(),
    });
    assert_eq!(one(".model dfast D(is=1e-14 n=1.05 rs=10)"), m);
    assert_eq!(one(".MODEL DFAST D (IS=1e-14, N=1.05, RS=10)"), m);
    assert_eq!(one(".model dfast d is=1e-14 n=1.05 rs=10"), m);
    assert_eq!(one(".model dfast d (is=1e-14\n+ n=1.05)\n+ rs=10"), m);
    assert_eq!(
        one(".model mz mtj"),
        Stmt::Model(ModelDef {
            name: ident("mz"),
            kind: ident("mtj"),
            params: vec![],
            span: Span::default()
        })
    );
}

#[test]
fn options_statement() {
    assert_eq!(
        one(".options reltol=1e-4 method=gear interp abstol={1p}"),
        Stmt::Options(
            vec![
                OptionItem {
                    name: ident("reltol"),
                    value: Some(OptionValue::Expr(n(1e-4)))
                },
                OptionItem {
                    name: ident("method"),
                    value: Some(OptionValue::Word(ident("gear")))
                },
                OptionItem {
                    name: ident("interp"),
                    value: None
                },
                OptionItem {
                    name: ident("abstol"),
                    value: Some(OptionValue::Expr(n(1e-12)))
                },
            ],
            Span::default()
        )
    );
    assert!(matches!(one(".option gmin=1e-12"), Stmt::Options(v, _) if v.len() == 1));
}

#[test]
fn ic_nodeset_temp_global() {
    let nv = vec![
        NodeValue {
            node: ident("a"),
            value: n(1.0),
        },
        NodeValue {
            node: ident("x1.n2"),
            value: id("vinit"),
        },
    ];
    assert_eq!(
        one(".ic v(a)=1 V(X1.N2)={vinit}"),
        Stmt::Ic(nv.clone(), Span::default())
    );
    assert_eq!(
        one(".nodeset v(a) = 1, v(x1.n2)=vinit"),
        Stmt::Nodeset(nv, Span::default())
    );
    assert_eq!(
        one(".temp 27 85"),
        Stmt::Temp(vec![n(27.0), n(85.0)], Span::default())
    );
    assert_eq!(
        one(".global vdd VSS"),
        Stmt::Global(vec![ident("vdd"), ident("vss")], Span::default())
    );
}

#[test]
fn save_and_print() {
    assert_eq!(
        one(".save v(a) v(a,b) i(V1) @d1[id] all out"),
        Stmt::Save(SaveStmt {
            analysis: None,
            items: vec![
                probe("v", &["a"]),
                probe("v", &["a", "b"]),
                probe("i", &["v1"]),
                probe("@", &["d1", "id"]),
                id("all"),
                probe("v", &["out"]),
            ],
            print: false,
            file: None,
            csv: false,
            span: Span::default()
        })
    );
    assert_eq!(
        one(".print tran V(out) vdb(x)"),
        Stmt::Save(SaveStmt {
            analysis: Some(ident("tran")),
            items: vec![probe("v", &["out"]), probe("vdb", &["x"])],
            print: true,
            file: None,
            csv: false,
            span: Span::default()
        })
    );
    assert!(matches!(one(".print v(a)"), Stmt::Save(s) if s.analysis.is_none()));
}

#[test]
fn analyses() {
    assert_eq!(one(".op"), an(Analysis::Op(Span::default())));
    assert_eq!(
        one(".dc V1 0 5 0.1 vcc 1 2 0.5"),
        an(Analysis::Dc {
            sweeps: vec![
                DcSweep {
                    var: ident("v1"),
                    start: n(0.0),
                    stop: n(5.0),
                    step: n(0.1)
                },
                DcSweep {
                    var: ident("vcc"),
                    start: n(1.0),
                    stop: n(2.0),
                    step: n(0.5)
                }
            ],
            span: Span::default()
        })
    );
    assert_eq!(
        one(".ac dec 10 1 1G"),
        an(Analysis::Ac {
            scale: AcScale::Dec,
            points: n(10.0),
            fstart: n(1.0),
            fstop: n(1e9),
            span: Span::default()
        })
    );
    assert!(matches!(
        ana(one(".ac OCT 5 1k 1meg")),
        Analysis::Ac {
            scale: AcScale::Oct,
            ..
        }
    ));
    assert!(matches!(
        ana(one(".ac lin 100 1 100")),
        Analysis::Ac {
            scale: AcScale::Lin,
            ..
        }
    ));
    assert_eq!(
        one(".tran 1n 100n"),
        an(Analysis::Tran {
            tstep: n(1e-9),
            tstop: n(1e-7),
            tstart: None,
            tmax: None,
            uic: false,
            span: Span::default()
        })
    );
    assert_eq!(
        one(".tran 1n 100n 10n 0.1n UIC"),
        an(Analysis::Tran {
            tstep: n(1e-9),
            tstop: n(1e-7),
            tstart: Some(n(1e-8)),
            tmax: Some(n(1e-10)),
            uic: true,
            span: Span::default()
        })
    );
    assert!(matches!(
        ana(one(".tran 1n {tstop} uic")),
        Analysis::Tran {
            uic: true,
            tstart: None,
            tstop: Expr {
                kind: ExprKind::Ident(_),
                ..
            },
            ..
        }
    ));
}

fn meas(body: &str) -> Measure {
    match one(body) {
        Stmt::Meas(m) => *m,
        s => panic!("{s:?}"),
    }
}

fn cond(lhs: Expr, rhs: Expr, edge: Edge) -> Condition {
    Condition {
        lhs,
        rhs,
        edge,
        td: None,
        from: None,
        to: None,
    }
}

#[test]
fn meas_statistics() {
    for (w, f) in [
        ("AVG", StatFn::Avg),
        ("rms", StatFn::Rms),
        ("PP", StatFn::Pp),
        ("min", StatFn::Min),
        ("MAX", StatFn::Max),
        ("integ", StatFn::Integ),
    ] {
        let m = meas(&format!(".meas tran res {w} v(out) from=1n TO=5n"));
        assert_eq!(m.analysis, MeasAnalysis::Tran);
        assert_eq!(m.name, ident("res"));
        assert_eq!(
            m.kind,
            MeasKind::Stat {
                func: f,
                signal: probe("v", &["out"]),
                from: Some(n(1e-9)),
                to: Some(n(5e-9))
            }
        );
    }
    let m = meas(".measure ac g max vdb(out)");
    assert_eq!(m.analysis, MeasAnalysis::Ac);
    assert_eq!(
        m.kind,
        MeasKind::Stat {
            func: StatFn::Max,
            signal: probe("vdb", &["out"]),
            from: None,
            to: None
        }
    );
    let m = meas(".meas dc p avg par('v(a)*i(v1)')");
    assert_eq!(m.analysis, MeasAnalysis::Dc);
    let MeasKind::Stat { signal, .. } = m.kind else {
        panic!()
    };
    assert_eq!(
        signal,
        bin(BinOp::Mul, probe("v", &["a"]), probe("i", &["v1"]))
    );
    let m = meas(".meas tran m avg {@m1[mz]} to=1u");
    assert!(
        matches!(m.kind, MeasKind::Stat { signal, from: None, to: Some(_), .. } if signal == probe("@", &["m1", "mz"]))
    );
}

#[test]
fn meas_find_and_when() {
    assert_eq!(
        meas(".meas tran v5 FIND v(out) AT=5n").kind,
        MeasKind::FindAt {
            signal: probe("v", &["out"]),
            at: n(5e-9)
        }
    );
    assert_eq!(
        meas(".meas tran vx find v(out) when v(in)=0.5 rise=2 td=1n").kind,
        MeasKind::FindWhen {
            signal: probe("v", &["out"]),
            when: Condition {
                td: Some(n(1e-9)),
                ..cond(probe("v", &["in"]), n(0.5), Edge::Rise(Count::Nth(2)))
            }
        }
    );
    assert_eq!(
        meas(".meas tran tc WHEN v(a)=v(b) CROSS=LAST").kind,
        MeasKind::When(cond(
            probe("v", &["a"]),
            probe("v", &["b"]),
            Edge::Cross(Count::Last)
        ))
    );
    assert_eq!(
        meas(".meas tran tc when v(a) = 'vdd/2' fall=1 from=1n to=2n").kind,
        MeasKind::When(Condition {
            from: Some(n(1e-9)),
            to: Some(n(2e-9)),
            ..cond(
                probe("v", &["a"]),
                bin(BinOp::Div, id("vdd"), n(2.0)),
                Edge::Fall(Count::Nth(1))
            )
        })
    );
    // No edge given: the first crossing.
    assert_eq!(
        meas(".meas tran tc when v(a)=1").kind,
        MeasKind::When(cond(probe("v", &["a"]), n(1.0), Edge::Cross(Count::Nth(1))))
    );
}

#[test]
fn meas_trig_targ_and_param() {
    assert_eq!(
        meas(".meas tran tdel TRIG v(in) VAL=0.5 RISE=1 TARG v(out) VAL=0.5 FALL=2 TD=1n").kind,
        MeasKind::TrigTarg {
            trig: Trigger::Cross(cond(probe("v", &["in"]), n(0.5), Edge::Rise(Count::Nth(1)))),
            targ: Trigger::Cross(Condition {
                td: Some(n(1e-9)),
                ..cond(probe("v", &["out"]), n(0.5), Edge::Fall(Count::Nth(2)))
            }),
        }
    );
    assert_eq!(
        meas(".meas tran t2 trig at=2n targ v(out) val={vdd/2} cross=3").kind,
        MeasKind::TrigTarg {
            trig: Trigger::At(n(2e-9)),
            targ: Trigger::Cross(cond(
                probe("v", &["out"]),
                bin(BinOp::Div, id("vdd"), n(2.0)),
                Edge::Cross(Count::Nth(3))
            )),
        }
    );
    assert_eq!(
        meas(".meas tran ratio PARAM='tdel/t2*100'").kind,
        MeasKind::Param(bin(
            BinOp::Mul,
            bin(BinOp::Div, id("tdel"), id("t2")),
            n(100.0)
        ))
    );
    assert_eq!(
        meas(".meas tran r param={a}").kind,
        MeasKind::Param(id("a"))
    );
}

#[test]
fn step_statements() {
    let st = |body: &str| match one(body) {
        Stmt::Step(s) => {
            let s = *s;
            (s.var.name, s.sweep)
        }
        s => panic!("{s:?}"),
    };
    assert_eq!(
        st(".step param rload 1k 10k 1k"),
        ("rload".into(), StepSweep::Lin(n(1e3), n(1e4), n(1e3)))
    );
    assert_eq!(
        st(".step lin param rload 1k 10k 1k"),
        ("rload".into(), StepSweep::Lin(n(1e3), n(1e4), n(1e3)))
    );
    assert_eq!(
        st(".step DEC param f 1k 1g 10"),
        ("f".into(), StepSweep::Dec(n(1e3), n(1e9), n(10.0)))
    );
    assert_eq!(
        st(".step oct V1 1 16 2"),
        ("v1".into(), StepSweep::Oct(n(1.0), n(16.0), n(2.0)))
    );
    assert_eq!(
        st(".step param w list 1 2 {x}"),
        ("w".into(), StepSweep::List(vec![n(1.0), n(2.0), id("x")]))
    );
    assert_eq!(
        st(".step temp list -40 27 125"),
        (
            "temp".into(),
            StepSweep::List(vec![un(UnOp::Neg, n(40.0)), n(27.0), n(125.0)])
        )
    );
}

#[test]
fn ignored_commands_warn() {
    let (p, sm) =
        parse_full("t\n.probe\n.control\nrun\nplot v(a)\n.endc\n.width out=80\nR1 a 0 1\n");
    let s = &p.netlist.statements;
    assert!(matches!(&s[0], Stmt::Ignored { what, .. } if what == ".probe"));
    assert!(matches!(&s[1], Stmt::Ignored { what, .. } if what == ".control"));
    assert!(matches!(&s[2], Stmt::Ignored { what, .. } if what == ".width"));
    assert!(matches!(&s[3], Stmt::Element(_)));
    let w: Vec<String> = p.warnings.iter().map(|d| d.short(&sm)).collect();
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w[0].starts_with("t.cir:2:1: warning:"), "{w:?}");
    assert!(
        w[1].starts_with("t.cir:3:1: warning:") && w[1].contains("not run: plot"),
        "{w:?}"
    );
    if let Stmt::Ignored { span, .. } = &s[1] {
        assert_eq!(sm.text(*span), ".control\nrun\nplot v(a)\n.endc");
    }
}

#[test]
fn title_command_replaces_title() {
    let (p, _) = parse_full("first line\n.title The Real Title\nR1 a 0 1\n");
    assert_eq!(p.netlist.title, "The Real Title");
    assert_eq!(p.netlist.statements.len(), 1);
}

// ----------------------------------------------------------------- includes

#[test]
fn include_and_lib_from_files() {
    let mut sm = SourceMap::new();
    let path = fixtures().join("inc_top.cir");
    let p = match parse_file(&path, &mut sm) {
        Ok(p) => p,
        Err(es) => panic!("{:?}", es.iter().map(|d| d.short(&sm)).collect::<Vec<_>>()),
    };
    assert_eq!(p.netlist.title, "include fixture: top");
    let names: Vec<(String, String)> = p
        .netlist
        .statements
        .iter()
        .map(|s| match s {
            Stmt::Element(e) => (e.name.name.clone(), sm.location(e.name.span).to_string()),
            Stmt::Model(m) => (m.name.name.clone(), sm.location(m.name.span).to_string()),
            s => panic!("{s:?}"),
        })
        .collect();
    let nl = fixtures();
    let loc = |f: &str, l: usize, c: usize| format!("{}:{l}:{c}", nl.join(f).display());
    assert_eq!(
        names,
        vec![
            (
                "r9".to_string(),
                format!("{}:2:1", nl.join("sub/child.inc").display())
            ),
            (
                "c9".to_string(),
                format!("{}:1:1", nl.join("sub/../leaf.inc").display())
            ),
            ("dfast".to_string(), loc("lib/models.lib", 3, 8)),
            ("r1".to_string(), loc("inc_top.cir", 4, 1)),
        ]
    );
    // The slow section was not included.
    assert!(p
        .netlist
        .statements
        .iter()
        .all(|s| !matches!(s, Stmt::Model(m) if m.name.name == "dslow")));
}

#[test]
fn include_resolves_against_base_dir_and_quotes_are_optional() {
    let dir = fixtures();
    for inc in [".include leaf.inc", ".INC \"leaf.inc\"", ".inc 'leaf.inc'"] {
        let mut sm = SourceMap::new();
        let p = parse_str("mem.cir", &format!("t\n{inc}\n"), &dir, &mut sm)
            .unwrap_or_else(|_| panic!("{inc}"));
        assert_eq!(p.netlist.statements.len(), 1, "{inc}");
    }
    // The slow section, with a continuation inside the library.
    let mut sm = SourceMap::new();
    let mut p = parse_str("mem.cir", "t\n.lib 'lib/models.lib' SLOW\n", &dir, &mut sm)
        .unwrap_or_else(|e| panic!("{:?}", e));
    p.netlist.clear_spans();
    assert_eq!(
        p.netlist.statements,
        vec![Stmt::Model(ModelDef {
            name: ident("dslow"),
            kind: ident("d"),
            params: vec![pa("is", n(1e-15)), pa("n", n(1.2))],
            span: Span::default()
        })]
    );
}

#[test]
fn same_file_included_twice_is_not_recursion() {
    let mut sm = SourceMap::new();
    let p = parse_str(
        "mem.cir",
        "t\n.include leaf.inc\n.include leaf.inc\n",
        &fixtures(),
        &mut sm,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(p.netlist.statements.len(), 2);
    // Loaded once.
    assert_eq!(sm.files().len(), 2);
}

#[test]
fn parse_file_reports_missing_top_file() {
    let mut sm = SourceMap::new();
    let Err(e) = parse_file(Path::new("/nonexistent/x.cir"), &mut sm) else {
        panic!()
    };
    assert_eq!(e.len(), 1);
    assert!(e[0]
        .message
        .contains("cannot read netlist '/nonexistent/x.cir'"));
}

#[test]
fn all_bad_lines_are_reported() {
    let e = errors("t\nM1 a b c d nmos\nR1 a b 1k\nR2 a\n.tran\n");
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with("t.cir:2:1:"));
    assert!(e[1].starts_with("t.cir:4:5:"));
    assert!(e[2].starts_with("t.cir:5:6:"));
}

/// Expressions at the nesting limit, in the shapes that use the most stack per
/// level (calls, parentheses, conditional branches, operator chains), parse on
/// a thread with a 2 MiB stack (the default for spawned threads and tests).
#[test]
fn nesting_at_the_limit_fits_a_2mib_stack() {
    let limit = spinspice::expr::parse::MAX_NESTING as usize;
    // Three nesting levels each: call, conditional branch, parenthesis.
    let third = limit / 3;
    let shapes = [
        format!("{}1{}", "(".repeat(limit), ")".repeat(limit)),
        format!("{}x{}", "f(1, ".repeat(limit), ")".repeat(limit)),
        format!(
            "{}1{}",
            "1||1&&1==1<1+1*-(".repeat(limit),
            ")".repeat(limit)
        ),
        format!("{}1{}", "g(1 ? 2^(".repeat(third), ") : 3)".repeat(third)),
        format!("{}1{}", "a ? ".repeat(limit), " : 0".repeat(limit)),
    ];
    let h = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            shapes
                .iter()
                .map(|s| parse_expr(s, &|a, b| Span::new(Default::default(), a, b)).map(|_| ()))
                .collect::<Vec<_>>()
        })
        .unwrap();
    for r in h.join().unwrap() {
        assert_eq!(r.map_err(|d| d.message), Ok(()));
    }
}

#[test]
fn bad_subckt_header_does_not_cascade() {
    let e = errors("t\n.subckt\nR1 a b 1\n.ends\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("t.cir:2:8: error: expected a subcircuit name"),
        "{e:?}"
    );
}

#[test]
fn crlf_line_endings_and_tabs() {
    let (mut p, sm) = parse_full("title\r\nR1\ta\tb\r\n+\t1k\r\n.tran 1n 10n\r\n");
    assert_eq!(p.netlist.title, "title");
    let Stmt::Element(e) = &p.netlist.statements[0] else {
        panic!()
    };
    assert_eq!(sm.text(e.span), "R1\ta\tb\r\n+\t1k");
    p.netlist.clear_spans();
    assert_eq!(
        p.netlist.statements[0],
        Stmt::Element(Element {
            name: ident("r1"),
            kind: ElementKind::Resistor {
                nodes: nodes2("a", "b"),
                value: Some(n(1e3)),
                model: None,
                params: vec![]
            },
            span: Span::default()
        })
    );
}

/// A realistic netlist mixing the dialect features, from a file.
#[test]
fn realistic_rf_synapse_netlist() {
    let mut sm = SourceMap::new();
    let p = match parse_file(&fixtures().join("rf_synapse.cir"), &mut sm) {
        Ok(p) => p,
        Err(es) => panic!("{:?}", es.iter().map(|d| d.short(&sm)).collect::<Vec<_>>()),
    };
    assert_eq!(
        p.netlist.title,
        "Two spin-diode synapses driven by an RF source, read through a bias tee"
    );
    let kinds: Vec<&str> = p
        .netlist
        .statements
        .iter()
        .map(|s| match s {
            Stmt::Element(_) => "el",
            Stmt::Param(..) => "param",
            Stmt::Func(_) => "func",
            Stmt::Options(..) => "options",
            Stmt::Model(_) => "model",
            Stmt::Subckt(_) => "subckt",
            Stmt::Ic(..) => "ic",
            Stmt::Analysis(_) => "analysis",
            Stmt::Meas(_) => "meas",
            Stmt::Step(_) => "step",
            Stmt::Save(_) => "save",
            Stmt::Ignored { .. } => "ignored",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "param", "param", "func", "options", "model", "model", "subckt", "el", "el", "el",
            "el", "el", "el", "el", "el", "ic", "analysis", "meas", "meas", "meas", "step", "save",
            "ignored"
        ]
    );
    assert_eq!(p.warnings.len(), 1);
    let mut nl = p.netlist.clone();
    nl.clear_spans();
    let st = &nl.statements;
    assert_eq!(
        st[0],
        Stmt::Param(
            vec![pa("f0", n(2.4e9)), pa("prf", un(UnOp::Neg, n(10.0)))],
            Span::default()
        )
    );
    let Stmt::Model(m) = &st[4] else { panic!() };
    assert_eq!(m.kind, ident("spindiode"));
    let names: Vec<&str> = m.params.iter().map(|p| p.name.name.as_str()).collect();
    assert_eq!(names, ["ms", "alpha", "hk", "rp", "rap"]);
    assert_eq!(m.params[4].value.as_num(), Some(2e3));
    let Stmt::Element(b) = &st[13] else { panic!() };
    assert_eq!(b.name, ident("bload"));
    let ElementKind::Behavioural { expr, .. } = &b.kind else {
        panic!()
    };
    assert_eq!(
        *expr,
        tern(
            bin(BinOp::Gt, probe("v", &["out"]), n(0.1)),
            bin(BinOp::Mul, probe("v", &["out"]), n(2.0)),
            n(0.0)
        )
    );
    // The expression's span starts on line 20 and ends on its continuation.
    let Stmt::Element(b) = &p.netlist.statements[13] else {
        panic!()
    };
    let ElementKind::Behavioural { expr, .. } = &b.kind else {
        panic!()
    };
    assert_eq!(sm.location(expr.span).line, 20);
    assert!(sm.text(expr.span).ends_with(": 0"));
    let Stmt::Element(y) = &st[11] else { panic!() };
    assert_eq!(
        y.kind,
        ElementKind::General {
            dev_type: ident("sd"),
            nodes: vec![ident("out"), ident("mid")],
            model: ident("sd1"),
            params: vec![pa("area", n(1.0))]
        }
    );
}

/// `Stmt::Analysis` of an analysis (boxed in the AST).
fn an(a: Analysis) -> Stmt {
    Stmt::Analysis(Box::new(a))
}

/// The analysis of a statement that must be one.
fn ana(s: Stmt) -> Analysis {
    match s {
        Stmt::Analysis(a) => *a,
        other => panic!("not an analysis: {other:?}"),
    }
}
