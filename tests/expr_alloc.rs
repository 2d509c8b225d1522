//! `Program::eval` allocates nothing (checked with a counting global
//! allocator; this file holds a single test so no other thread allocates
//! while it counts).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use spinspice::diag::{DResult, Diagnostic, Span};
use spinspice::expr::compile::Program;
use spinspice::expr::{BinOp, Expr, ExprKind};

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}
fn v(k: usize) -> Expr {
    e(ExprKind::Probe {
        func: "v".into(),
        args: vec![format!("x{k}")],
    })
}
fn num(x: f64) -> Expr {
    Expr::num(x, Span::default())
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    e(ExprKind::Binary(op, Box::new(a), Box::new(b)))
}
fn call(f: &str, args: Vec<Expr>) -> Expr {
    e(ExprKind::Call(f.into(), args))
}

#[test]
fn eval_allocates_nothing() {
    // if(v(x0) > 0, tanh(v(x0) - v(x1)) * limit(v(x2), -1, 1), pow(v(x1), 2))
    //   + min(v(x0), v(x_last), time) for 3, 4 and 6 variables.
    for nvars in [3, 4, 6] {
        let body = call(
            "if",
            vec![
                bin(BinOp::Gt, v(0), num(0.0)),
                bin(
                    BinOp::Mul,
                    call("tanh", vec![bin(BinOp::Sub, v(0), v(1))]),
                    call("limit", vec![v(2), num(-1.0), num(1.0)]),
                ),
                call("pow", vec![v(1), num(2.0)]),
            ],
        );
        let expr = bin(
            BinOp::Add,
            body,
            call(
                "min",
                vec![v(0), v(nvars - 1), e(ExprKind::Ident("time".into()))],
            ),
        );
        let mut resolve = |_: &str, args: &[String], span: Span| -> DResult<usize> {
            args[0][1..]
                .parse()
                .map_err(|_| Diagnostic::error(span, "bad probe"))
        };
        let p = Program::compile(&expr, nvars, &mut resolve).unwrap();
        let mut s = p.scratch();
        let mut grad = vec![0.0; nvars];
        let mut x = vec![0.3; nvars];
        let before = ALLOCS.load(Ordering::SeqCst);
        let mut acc = 0.0;
        for i in 0..1000 {
            x[0] = (i as f64 - 500.0) * 1e-3;
            acc += p.eval(&x, 1e-9 * i as f64, &mut grad, &mut s);
        }
        let after = ALLOCS.load(Ordering::SeqCst);
        assert!(acc.is_finite());
        assert_eq!(after - before, 0, "{nvars} variables: allocated");
    }
}
