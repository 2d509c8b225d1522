//! Property tests of the parser:
//! 1. parsing arbitrary text (and mutated valid netlists, and deeply nested
//!    input) never panics: it returns Ok or Err;
//! 2. round trip: random ASTs printed with `netlist::print` parse back to the
//!    same AST (spans ignored);
//! 3. numbers: `format!("{v:e}")` + an engineering suffix (+ unit letters)
//!    parses to the value Rust's own float parser gives for the shifted
//!    exponent.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use spinspice::diag::{SourceMap, Span};
use spinspice::expr::number::parse_number;
use spinspice::expr::parse::parse_expr;
use spinspice::expr::{BinOp, Expr, ExprKind, UnOp};
use spinspice::netlist::ast::*;
use spinspice::netlist::parse_str;
use spinspice::netlist::print::{expr_to_string, number_to_string, to_netlist};
use spinspice::netlist::spans::ClearSpans;

// ------------------------------------------------------------ AST builders

fn sp() -> Span {
    Span::default()
}
fn ident(s: &str) -> Ident {
    Ident {
        name: s.to_string(),
        span: sp(),
    }
}
fn ex(kind: ExprKind) -> Expr {
    Expr { kind, span: sp() }
}

/// Words with a meaning somewhere in the grammar: not used as generated names.
const RESERVED: &[&str] = &[
    "v",
    "vm",
    "vp",
    "vdb",
    "vr",
    "vi",
    "i",
    "im",
    "ip",
    "idb",
    "ir",
    "ii",
    "if",
    "dc",
    "ac",
    "sin",
    "pulse",
    "pwl",
    "exp",
    "sffm",
    "am",
    "off",
    "uic",
    "list",
    "param",
    "params",
    "lin",
    "dec",
    "oct",
    "all",
    "value",
    "vol",
    "cur",
    "poly",
    "table",
    "laplace",
    "freq",
    "chebyshev",
    "r",
    "c",
    "l",
    "td",
    "at",
    "val",
    "when",
    "rise",
    "fall",
    "cross",
    "from",
    "to",
    "targ",
    "trig",
    "last",
    "area",
    "par",
    "tran",
    "op",
];

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,5}".prop_filter("reserved word", |s| !RESERVED.contains(&s.as_str()))
}
fn node() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}",
        "[a-z][a-z0-9_]{0,4}",
        "x[0-9]\\.[a-z][a-z0-9]{0,2}",
    ]
}
fn num() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(1e-12),
        Just(2.5e6),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(f64::MAX),
        0.0f64..1e6,
        1e-15f64..1e-3,
        any::<u32>().prop_map(f64::from),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        num().prop_map(|v| ex(ExprKind::Num(v))),
        name().prop_map(|n| ex(ExprKind::Ident(n))),
        (
            prop_oneof![Just("v"), Just("vdb"), Just("vm"), Just("vp")],
            node(),
            option::of(node())
        )
            .prop_map(|(f, a, b)| {
                let mut args = vec![a];
                args.extend(b);
                ex(ExprKind::Probe {
                    func: f.to_string(),
                    args,
                })
            }),
        (prop_oneof![Just("i"), Just("ip")], name()).prop_map(|(f, d)| ex(ExprKind::Probe {
            func: f.to_string(),
            args: vec![format!("v{d}")]
        })),
        (node(), name()).prop_map(|(d, v)| ex(ExprKind::Probe {
            func: "@".to_string(),
            args: vec![d, v]
        })),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let unop = prop_oneof![Just(UnOp::Neg), Just(UnOp::Plus), Just(UnOp::Not)];
        let binop = prop_oneof![
            Just(BinOp::Add),
            Just(BinOp::Sub),
            Just(BinOp::Mul),
            Just(BinOp::Div),
            Just(BinOp::Pow),
            Just(BinOp::Lt),
            Just(BinOp::Le),
            Just(BinOp::Gt),
            Just(BinOp::Ge),
            Just(BinOp::Eq),
            Just(BinOp::Ne),
            Just(BinOp::And),
            Just(BinOp::Or),
        ];
        prop_oneof![
            (unop, inner.clone()).prop_map(|(o, a)| ex(ExprKind::Unary(o, Box::new(a)))),
            (binop, inner.clone(), inner.clone()).prop_map(|(o, a, b)| ex(ExprKind::Binary(
                o,
                Box::new(a),
                Box::new(b)
            ))),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| ex(ExprKind::Ternary(Box::new(c), Box::new(a), Box::new(b)))),
            (name(), vec(inner, 0..3)).prop_map(|(f, a)| ex(ExprKind::Call(f, a))),
        ]
    })
}

fn params() -> impl Strategy<Value = Vec<ParamAssign>> {
    vec(
        (name(), expr()).prop_map(|(n, v)| ParamAssign {
            name: ident(&n),
            value: v,
        }),
        0..3,
    )
}
fn nodes2() -> impl Strategy<Value = [Node; 2]> {
    (node(), node()).prop_map(|(a, b)| [ident(&a), ident(&b)])
}

fn tran_fn() -> impl Strategy<Value = TranFn> {
    prop_oneof![
        vec(expr(), 2..=6).prop_map(|a| TranFn::Sin(a, sp())),
        vec(expr(), 2..=8).prop_map(|a| TranFn::Pulse(a, sp())),
        vec(expr(), 2..=6).prop_map(|a| TranFn::Exp(a, sp())),
        vec(expr(), 2..=7).prop_map(|a| TranFn::Sffm(a, sp())),
        vec(expr(), 2..=7).prop_map(|a| TranFn::Am(a, sp())),
        (
            vec((expr(), expr()), 1..5),
            option::of(expr()),
            option::of(expr())
        )
            .prop_map(|(points, repeat, delay)| TranFn::Pwl {
                points,
                repeat,
                delay,
                span: sp()
            }),
    ]
}

fn source_spec() -> impl Strategy<Value = SourceSpec> {
    (
        option::of(expr()),
        option::of((expr(), option::of(expr()))),
        option::of(tran_fn()),
    )
        .prop_map(|(dc, ac, tran)| SourceSpec { dc, ac, tran })
}

fn element() -> impl Strategy<Value = Element> {
    let rcl = (
        prop_oneof![Just('r'), Just('c'), Just('l')],
        nodes2(),
        option::of(expr()),
        option::of(name()),
        params(),
    )
        .prop_map(|(k, nodes, value, model, params)| {
            let model = model.map(|m| ident(&m));
            let value = if value.is_none() && model.is_none() {
                Some(ex(ExprKind::Num(1.0)))
            } else {
                value
            };
            let kind = match k {
                'r' => ElementKind::Resistor {
                    nodes,
                    value,
                    model,
                    params,
                },
                'c' => ElementKind::Capacitor {
                    nodes,
                    value,
                    model,
                    params,
                },
                _ => ElementKind::Inductor {
                    nodes,
                    value,
                    model,
                    params,
                },
            };
            (k, kind)
        });
    let mutual = (name(), name(), expr()).prop_map(|(a, b, k)| {
        (
            'k',
            ElementKind::Mutual {
                inductors: [ident(&format!("l{a}")), ident(&format!("l{b}"))],
                coupling: k,
            },
        )
    });
    let src = (any::<bool>(), nodes2(), source_spec()).prop_map(|(v, nodes, spec)| {
        if v {
            (
                'v',
                ElementKind::VSource {
                    nodes,
                    spec: Box::new(spec),
                },
            )
        } else {
            (
                'i',
                ElementKind::ISource {
                    nodes,
                    spec: Box::new(spec),
                },
            )
        }
    });
    let lin =
        (0..4u8, nodes2(), nodes2(), name(), expr()).prop_map(
            |(k, nodes, ctrl, c, gain)| match k {
                0 => ('e', ElementKind::Vcvs { nodes, ctrl, gain }),
                1 => ('g', ElementKind::Vccs { nodes, ctrl, gain }),
                2 => (
                    'f',
                    ElementKind::Cccs {
                        nodes,
                        ctrl: ident(&format!("v{c}")),
                        gain,
                    },
                ),
                _ => (
                    'h',
                    ElementKind::Ccvs {
                        nodes,
                        ctrl: ident(&format!("v{c}")),
                        gain,
                    },
                ),
            },
        );
    let behav = (0..4u8, nodes2(), expr(), params()).prop_map(|(k, nodes, expr, params)| {
        let (letter, output) = match k {
            0 => ('b', BOutput::Voltage),
            1 => ('b', BOutput::Current),
            2 => ('e', BOutput::Voltage),
            _ => ('g', BOutput::Current),
        };
        (
            letter,
            ElementKind::Behavioural {
                nodes,
                output,
                expr,
                params,
            },
        )
    });
    let diode = (
        nodes2(),
        name(),
        option::of(expr()),
        any::<bool>(),
        params(),
    )
        .prop_map(|(nodes, model, area, off, params)| {
            (
                'd',
                ElementKind::Diode {
                    nodes,
                    model: ident(&model),
                    area,
                    off,
                    params,
                },
            )
        });
    let sub = (vec(node(), 0..4), name(), params()).prop_map(|(nodes, s, params)| {
        (
            'x',
            ElementKind::Subckt {
                nodes: nodes.iter().map(|n| ident(n)).collect(),
                subckt: ident(&s),
                params,
            },
        )
    });
    let general =
        (name(), vec(node(), 0..4), name(), params()).prop_map(|(ty, nodes, model, params)| {
            (
                'y',
                ElementKind::General {
                    dev_type: ident(&ty),
                    nodes: nodes.iter().map(|n| ident(n)).collect(),
                    model: ident(&model),
                    params,
                },
            )
        });
    (
        prop_oneof![rcl, mutual, src, lin, behav, diode, sub, general],
        "[a-z0-9_]{0,4}",
    )
        .prop_map(|((letter, kind), suffix)| {
            let name = if letter == 'y' {
                // The instance name of a Y device is a separate word.
                format!("u{suffix}")
            } else {
                format!("{letter}{suffix}")
            };
            Element {
                name: ident(&name),
                kind,
                span: sp(),
            }
        })
}

fn condition() -> impl Strategy<Value = Condition> {
    let count = prop_oneof![(1u32..100).prop_map(Count::Nth), Just(Count::Last)];
    let edge = (0..3u8, count).prop_map(|(k, n)| match k {
        0 => Edge::Rise(n),
        1 => Edge::Fall(n),
        _ => Edge::Cross(n),
    });
    (
        expr(),
        expr(),
        edge,
        option::of(expr()),
        option::of(expr()),
        option::of(expr()),
    )
        .prop_map(|(lhs, rhs, edge, td, from, to)| Condition {
            lhs,
            rhs,
            edge,
            td,
            from,
            to,
        })
}
fn trigger() -> impl Strategy<Value = Trigger> {
    prop_oneof![
        condition().prop_map(Trigger::Cross),
        expr().prop_map(Trigger::At)
    ]
}

fn measure() -> impl Strategy<Value = Measure> {
    let stat = prop_oneof![
        Just(StatFn::Avg),
        Just(StatFn::Rms),
        Just(StatFn::Pp),
        Just(StatFn::Min),
        Just(StatFn::Max),
        Just(StatFn::Integ)
    ];
    let kind = prop_oneof![
        (stat, expr(), option::of(expr()), option::of(expr())).prop_map(
            |(func, signal, from, to)| MeasKind::Stat {
                func,
                signal,
                from,
                to
            }
        ),
        (expr(), expr()).prop_map(|(signal, at)| MeasKind::FindAt { signal, at }),
        (expr(), condition()).prop_map(|(signal, when)| MeasKind::FindWhen { signal, when }),
        condition().prop_map(MeasKind::When),
        (trigger(), trigger()).prop_map(|(trig, targ)| MeasKind::TrigTarg { trig, targ }),
        expr().prop_map(MeasKind::Param),
        (
            any::<bool>(),
            expr(),
            option::of(expr()),
            option::of(expr()),
            option::of(expr()),
            option::of(expr())
        )
            .prop_map(
                |(ripple, signal, freq, settle, from, to)| MeasKind::DcMean {
                    ripple,
                    signal,
                    win: RfWindow {
                        freq,
                        settle,
                        from,
                        to
                    },
                }
            ),
        (
            prop_oneof![
                Just(ToneOut::Amp),
                Just(ToneOut::Freq),
                Just(ToneOut::Power),
                Just(ToneOut::Dbm)
            ],
            expr(),
            (option::of(expr()), option::of(expr())),
            (option::of(expr()), option::of(expr()), option::of(expr())),
            prop_oneof![Just(FftWindow::Hann), Just(FftWindow::Rect)]
        )
            .prop_map(|(out, signal, (fmin, fmax), (from, to, r), window)| {
                MeasKind::Tone {
                    out,
                    signal,
                    fmin,
                    fmax,
                    from,
                    to,
                    r,
                    window,
                }
            }),
    ];
    let an = prop_oneof![
        Just(MeasAnalysis::Tran),
        Just(MeasAnalysis::Dc),
        Just(MeasAnalysis::Ac)
    ];
    (an, name(), kind).prop_map(|(analysis, n, kind)| Measure {
        analysis,
        name: ident(&n),
        kind,
        span: sp(),
    })
}

fn analysis() -> impl Strategy<Value = Analysis> {
    let sweep = (name(), expr(), expr(), expr()).prop_map(|(v, start, stop, step)| DcSweep {
        var: ident(&v),
        start,
        stop,
        step,
    });
    let scale = prop_oneof![Just(AcScale::Dec), Just(AcScale::Oct), Just(AcScale::Lin)];
    prop_oneof![
        Just(Analysis::Op(sp())),
        vec(sweep, 1..=2).prop_map(|sweeps| Analysis::Dc { sweeps, span: sp() }),
        (scale, expr(), expr(), expr()).prop_map(|(scale, points, fstart, fstop)| {
            Analysis::Ac {
                scale,
                points,
                fstart,
                fstop,
                span: sp(),
            }
        }),
        (
            expr(),
            expr(),
            option::of((expr(), option::of(expr()))),
            any::<bool>()
        )
            .prop_map(|(tstep, tstop, st, uic)| {
                let (tstart, tmax) = match st {
                    Some((a, b)) => (Some(a), b),
                    None => (None, None),
                };
                Analysis::Tran {
                    tstep,
                    tstop,
                    tstart,
                    tmax,
                    uic,
                    span: sp(),
                }
            }),
    ]
}

/// Statements allowed anywhere (also inside a subcircuit).
fn local_stmt() -> impl Strategy<Value = Stmt> {
    prop_oneof![
        4 => element().prop_map(Stmt::Element),
        1 => vec((name(), expr()), 1..4).prop_map(|v| Stmt::Param(
            v.into_iter()
                .map(|(n, e)| ParamAssign { name: ident(&n), value: e })
                .collect(),
            sp()
        )),
        1 => (name(), name(), params()).prop_map(|(n, k, params)| Stmt::Model(ModelDef {
            name: ident(&n),
            kind: ident(&k),
            params,
            span: sp()
        })),
        1 => (name(), vec(name(), 0..3), expr()).prop_map(|(n, args, body)| Stmt::Func(FuncDef {
            name: ident(&n),
            args: args.iter().map(|a| ident(a)).collect(),
            body,
            span: sp()
        })),
        1 => (any::<bool>(), vec((node(), expr()), 1..3)).prop_map(|(ic, v)| {
            let v = v
                .into_iter()
                .map(|(n, e)| NodeValue { node: ident(&n), value: e })
                .collect();
            if ic {
                Stmt::Ic(v, sp())
            } else {
                Stmt::Nodeset(v, sp())
            }
        }),
    ]
}

fn top_stmt() -> impl Strategy<Value = Stmt> {
    let opt_item = (
        name(),
        prop_oneof![
            Just(None),
            name().prop_map(|w| Some(OptionValue::Word(ident(&w)))),
            expr().prop_map(|e| Some(OptionValue::Expr(e))),
        ],
    )
        .prop_map(|(n, value)| OptionItem {
            name: ident(&n),
            value,
        });
    let save_item = prop_oneof![
        Just(ex(ExprKind::Ident("all".into()))),
        node().prop_map(|n| ex(ExprKind::Probe {
            func: "v".into(),
            args: vec![n]
        })),
        expr(),
    ];
    let step = (
        name(),
        prop_oneof![
            vec(expr(), 1..4).prop_map(StepSweep::List),
            (expr(), expr(), expr()).prop_map(|(a, b, c)| StepSweep::Lin(a, b, c)),
            (expr(), expr(), expr()).prop_map(|(a, b, c)| StepSweep::Dec(a, b, c)),
            (expr(), expr(), expr()).prop_map(|(a, b, c)| StepSweep::Oct(a, b, c)),
        ],
        option::of(name()),
    )
        .prop_map(|(v, sweep, unit)| StepStmt {
            var: ident(&v),
            sweep,
            unit: unit.map(|u| ident(&u)),
            span: sp(),
        });
    let subckt = (name(), vec(node(), 0..4), params(), vec(local_stmt(), 0..4)).prop_map(
        |(n, ports, params, body)| {
            Stmt::Subckt(SubcktDef {
                name: ident(&n),
                ports: ports.iter().map(|p| ident(p)).collect(),
                params,
                body,
                span: sp(),
            })
        },
    );
    prop_oneof![
        6 => local_stmt(),
        1 => subckt,
        1 => vec(opt_item, 1..4).prop_map(|v| Stmt::Options(v, sp())),
        1 => vec(expr(), 1..3).prop_map(|v| Stmt::Temp(v, sp())),
        1 => vec(node(), 1..3).prop_map(|v| Stmt::Global(v.iter().map(|n| ident(n)).collect(), sp())),
        1 => (
            option::of(prop_oneof![Just("tran"), Just("ac"), Just("dc"), Just("op")]),
            vec(save_item, 1..4)
        )
            .prop_map(|(a, items)| Stmt::Save(SaveStmt {
                print: a.is_some(),
                analysis: a.map(ident),
                items,
                file: None,
                csv: false,
                span: sp()
            })),
        2 => analysis().prop_map(|a| Stmt::Analysis(Box::new(a))),
        2 => measure().prop_map(|m| Stmt::Meas(Box::new(m))),
        1 => step.prop_map(|s| Stmt::Step(Box::new(s))),
        // (`.control` blocks are read now: their commands become statements)
        1 => prop_oneof![Just(".probe"), Just(".backanno"), Just(".width")]
            .prop_map(|w| Stmt::Ignored { what: w.to_string(), span: sp() }),
    ]
}

fn netlist() -> impl Strategy<Value = Netlist> {
    ("[A-Za-z0-9 ,.=*+();$-]{0,30}", vec(top_stmt(), 0..8))
        .prop_map(|(title, statements)| Netlist { title, statements })
}

fn reparse(text: &str) -> Result<Netlist, String> {
    let mut sm = SourceMap::new();
    match parse_str(
        "rt.cir",
        text,
        std::path::Path::new("/nonexistent-dir"),
        &mut sm,
    ) {
        Ok(mut p) => {
            p.netlist.clear_spans();
            Ok(p.netlist)
        }
        Err(es) => Err(es
            .iter()
            .map(|d| d.short(&sm))
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

fn dummy_span(a: usize, b: usize) -> Span {
    Span::new(Default::default(), a, b)
}

// -------------------------------------------------------------- properties

/// Text made of netlist-like fragments (no '/', so no absolute include paths).
fn spiceish() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        "[RCLVIEGFHDBXYKMrclx][0-9a-z]{0,3}",
        "[a-z0-9_.]{1,6}",
        "[0-9.]{1,4}(e-?[0-9])?(meg|mil|[fpnumkgt])?",
        Just("(".to_string()),
        Just(")".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("=".to_string()),
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("\n+".to_string()),
        Just("\n*".to_string()),
        Just(";".to_string()),
        Just(" $ ".to_string()),
        Just("@d[x]".to_string()),
        "[-+*^!<>=&|?:]{1,2}",
        prop_oneof![
            Just(".param"),
            Just(".subckt"),
            Just(".ends"),
            Just(".model"),
            Just(".tran"),
            Just(".ac"),
            Just(".dc"),
            Just(".meas tran"),
            Just(".step"),
            Just(".control"),
            Just(".endc"),
            Just(".lib"),
            Just(".endl"),
            Just(".inc"),
            Just(".func"),
            Just(".ic"),
            Just(".options"),
            Just(".print"),
            Just(".end"),
            Just("sin"),
            Just("pwl"),
            Just("pulse"),
            Just("dc"),
            Just("ac"),
            Just("value"),
            Just("params:"),
            Just("v("),
            Just("i("),
            Just("trig"),
            Just("targ"),
            Just("when"),
            Just("rise"),
            Just("find"),
            Just("avg"),
        ]
        .prop_map(String::from),
    ];
    vec(frag, 0..40).prop_map(|v| v.join(" "))
}

proptest! {
    // 256 cases by default; set PROPTEST_CASES for longer runs.
    #![proptest_config(ProptestConfig::default())]

    /// (1) Arbitrary text never panics.
    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let mut sm = SourceMap::new();
        let _ = parse_str("fuzz.cir", &s, std::path::Path::new("/nonexistent-dir"), &mut sm);
        let _ = parse_expr(&s, &dummy_span);
    }

    /// (1) Arbitrary bytes (decoded lossily, as files are) never panic.
    #[test]
    fn arbitrary_bytes_never_panic(b in vec(any::<u8>(), 0..300)) {
        let s = String::from_utf8_lossy(&b);
        let mut sm = SourceMap::new();
        let _ = parse_str("fuzz.cir", &s, std::path::Path::new("/nonexistent-dir"), &mut sm);
    }

    /// (1) Netlist-like token soup never panics, and every error has a span
    /// inside the text.
    #[test]
    fn spiceish_text_never_panics(body in spiceish()) {
        let text = format!("title\n{body}\n");
        let mut sm = SourceMap::new();
        if let Err(es) = parse_str("fuzz.cir", &text, std::path::Path::new("/nonexistent-dir"), &mut sm) {
            prop_assert!(!es.is_empty());
            for d in es {
                let span = d.span.expect("parser errors carry a span");
                prop_assert!(span.start <= span.end);
                prop_assert!((span.end as usize) <= sm.file(span.file).text.len());
                let _ = d.render(&sm, false);
            }
        }
        let _ = parse_expr(&body, &dummy_span);
    }

    /// (1) Valid netlists with one byte deleted or inserted never panic.
    #[test]
    fn mutated_netlists_never_panic(
        n in netlist(),
        pos in any::<prop::sample::Index>(),
        c in prop::char::any(),
        delete in any::<bool>(),
    ) {
        let mut text = to_netlist(&n);
        let mut k = pos.index(text.len() + 1);
        while !text.is_char_boundary(k) {
            k -= 1;
        }
        if delete && k < text.len() {
            text.remove(k);
        } else {
            text.insert(k, c);
        }
        let mut sm = SourceMap::new();
        let _ = parse_str("mut.cir", &text, std::path::Path::new("/nonexistent-dir"), &mut sm);
    }

    /// (2) Expressions round-trip through the printer.
    #[test]
    fn expression_round_trip(e in expr()) {
        let text = expr_to_string(&e);
        let mut back = parse_expr(&text, &dummy_span)
            .map_err(|d| TestCaseError::fail(format!("{text}: {}", d.message)))?;
        back.clear_spans();
        prop_assert_eq!(back, e, "{}", text);
    }

    /// (2) Netlists round-trip through the printer.
    #[test]
    fn netlist_round_trip(n in netlist()) {
        let text = to_netlist(&n);
        let back = reparse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n---\n{text}")))?;
        prop_assert_eq!(&back.title, &n.title);
        prop_assert_eq!(&back.statements, &n.statements, "\n{}", text);
    }

    /// (3) `{v:e}` + suffix (+ unit letters) is v·10^k, as Rust parses the
    /// shifted literal.
    #[test]
    fn number_suffix_round_trip(
        v in prop_oneof![1e-20f64..1e20, 0.0f64..10.0, any::<u32>().prop_map(f64::from)],
        sfx in 0usize..14,
        upper in any::<bool>(),
        unit in prop_oneof![Just(""), Just("Hz"), Just("s"), Just("V"), Just("ohm")],
    ) {
        const SUFFIXES: [(&str, i32); 13] = [
            ("", 0), ("f", -15), ("p", -12), ("n", -9), ("u", -6), ("µ", -6), ("m", -3),
            // `a` is a unit (ampere), not atto: ngspice and Xyce
            ("k", 3), ("meg", 6), ("g", 9), ("t", 12), ("a", 0), ("mil", 0),
        ];
        let (s, pow) = SUFFIXES[sfx % SUFFIXES.len()];
        // (µ has no ASCII upper case.)
        let s = if upper && s != "µ" { s.to_uppercase() } else { s.to_string() };
        // A unit right after the number would be read as a suffix (`1F` is femto):
        // only append units after a suffix, or units that start with no suffix letter.
        let text = format!("{v:e}{s}{unit}");
        let (got, len) = parse_number(&text).expect("a number");
        prop_assert_eq!(len, text.len(), "{}", text);
        let sci = format!("{v:e}");
        let (mant, exp) = sci.split_once('e').expect("exponent form");
        let exp: i32 = exp.parse().expect("exponent");
        if s.eq_ignore_ascii_case("mil") {
            let want = v * 25.4e-6;
            prop_assert!((got - want).abs() <= want.abs() * 1e-15, "{} -> {} vs {}", text, got, want);
        } else {
            let want: f64 = format!("{mant}e{}", exp + pow).parse().expect("float");
            prop_assert_eq!(got, want, "{}", text);
        }
    }

    /// (3) The printer's number form parses back to the same f64, for any
    /// finite non-negative value.
    #[test]
    fn printed_numbers_are_exact(bits in any::<u64>()) {
        let v = f64::from_bits(bits).abs();
        prop_assume!(v.is_finite());
        let text = number_to_string(v);
        prop_assert_eq!(parse_number(&text), Some((v, text.len())), "{}", text);
    }
}

/// (1) Deep nesting: an error, never a stack overflow, wherever it appears.
#[test]
fn deep_nesting_in_every_position_is_an_error() {
    let open = "(".repeat(10_000);
    let close = ")".repeat(10_000);
    let cases = [
        format!("t\nR1 a b {{{open}1{close}}}\n"),
        format!("t\nB1 a b V={open}1{close}\n"),
        format!("t\n.param x={{{open}1{close}}}\n"),
        format!("t\nV1 a 0 SIN{open}0 1 1k{close}\n"),
        format!("t\n.model m d{open}is=1{close}\n"),
        format!("t\n.meas tran x avg par('{open}1{close}')\n"),
        format!("t\nR1 a b {{{}1}}\n", "-".repeat(100_000)),
        format!("t\nR1 a b {{1{}}}\n", "+1".repeat(100_000)),
        format!("t\nR1 a b {{{}1}}\n", "!".repeat(100_000)),
        format!(
            "t\nR1 a b {{{}x{}}}\n",
            "f(".repeat(10_000),
            ")".repeat(10_000)
        ),
    ];
    for text in &cases {
        let mut sm = SourceMap::new();
        let r = parse_str("deep.cir", text, std::path::Path::new("."), &mut sm);
        // a `.meas` that cannot be read is skipped with a warning
        let warned = r
            .as_ref()
            .is_ok_and(|p| !p.warnings.is_empty() && text.contains(".meas"));
        assert!(r.is_err() || warned, "{}", &text[..40]);
    }
    // Nested subcircuit definitions are capped too (the AST is recursive).
    let nested = |depth: usize| {
        let mut text = String::from("t\n");
        for k in 0..depth {
            text.push_str(&format!(".subckt s{k} a b\n"));
        }
        for _ in 0..depth {
            text.push_str(".ends\n");
        }
        let mut sm = SourceMap::new();
        parse_str("deep.cir", &text, std::path::Path::new("."), &mut sm)
            .map(|_| ())
            .map_err(|e| e[0].short(&sm))
    };
    assert_eq!(nested(100), Ok(()));
    let e = nested(10_000).unwrap_err();
    assert!(
        e.starts_with("deep.cir:102:1: error: subcircuit definitions nested too deeply"),
        "{e}"
    );
}
