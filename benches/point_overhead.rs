//! Per-point overhead of a sweep: what each point pays before its analysis
//! starts (the sweep shares the parsed netlist; every point elaborates it and
//! builds its own `System`, whose first factorization does the symbolic
//! analysis).
//!
//! ```text
//! cargo bench --bench point_overhead -- NETLIST [REPEATS]
//! ```
//!
//! Prints the minimum (least disturbed by other load) and median wall time of: parsing (once per run, not per point),
//! elaboration, `System::build` and the KLU symbolic analysis + first
//! pivoting factorization (`Newton::new` + one factorization at x = 0), and
//! the unknowns / nonzeros of the circuit.
use spinspice::analysis::newton::Newton;
use spinspice::diag::SourceMap;
use spinspice::elab::elaborate;
use spinspice::system::System;
use std::path::Path;
use std::time::Instant;

fn die(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

/// "min / median" in ms.
fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    format!("{:8.1} / {:8.1}", 1e3 * v[0], 1e3 * v[v.len() / 2])
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(path) = args.first() else {
        eprintln!("usage: cargo bench --bench point_overhead -- NETLIST [REPEATS]");
        std::process::exit(2);
    };
    let reps: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let (mut tp, mut te, mut tb, mut tf) = (vec![], vec![], vec![], vec![]);
    let mut size = (0, 0);
    for _ in 0..reps {
        let t0 = Instant::now();
        let mut sm = SourceMap::new();
        let parsed = spinspice::netlist::parse_file(Path::new(path), &mut sm)
            .unwrap_or_else(|e| die(&format!("{path}: {} parse errors", e.len())));
        tp.push(t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        let c = elaborate(&parsed.netlist, &[])
            .unwrap_or_else(|e| die(&format!("{path}: {} elaboration errors", e.len())));
        te.push(t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        let sys = System::build(&c.node_names, c.devices, &c.options)
            .unwrap_or_else(|e| die(&format!("{path}: {}", e.message)));
        tb.push(t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        if Newton::new(&sys).is_err() {
            die(&format!("{path}: KLU analysis failed"));
        }
        tf.push(t0.elapsed().as_secs_f64());
        size = (sys.n, sys.pattern.nnz());
    }
    println!(
        "{path}: {} unknowns, {} nonzeros; min / median of {reps} [ms]:",
        size.0, size.1
    );
    println!("  parse (once per run)      {}", stats(tp));
    println!("  elaborate (per point)     {}", stats(te));
    println!("  System::build (per point) {}", stats(tb));
    println!("  KLU analysis (per point)  {}", stats(tf));
}
