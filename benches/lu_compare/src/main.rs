//! Sparse LU choice, measured on spinspice's own matrices: the transient
//! Jacobian J = G + (2/h)·C of the RF detector chain (benches/detector_chain.py)
//! at its operating point, for N sections. Times per call (median of repeats):
//! KLU pivoting factor, KLU fixed-pivot refactor, KLU solve; faer sparse LU
//! numeric factorization (symbolic reused, buffers preallocated) and solve;
//! nalgebra dense LU for the small sizes.

use spinspice::analysis::newton::Newton;
use spinspice::analysis::op::operating_point;
use spinspice::diag::SourceMap;
use spinspice::elab::elaborate;
use spinspice::solver::Klu;
use spinspice::system::{Mode, System};
use std::time::Instant;

fn chain(n: usize) -> String {
    let mut s = format!("chain {n}\nV1 s1 0 DC 0.3\nV2 s2 s1 DC 0.3\nV3 s3 s2 DC 0.3\nRs s3 n0 50\n");
    s += ".model dsch D(IS=5e-6 N=1.05 RS=10 CJO=0.1p VJ=0.35 M=0.5 EG=0.69 XTI=2)\n";
    for k in 1..=n {
        s += &format!(
            "L{k} n{} m{k} 1n\nR{k} m{k} n{k} 0.5\nC{k} n{k} 0 0.4p\nD{k} n{k} d{k} dsch\nCd{k} d{k} 0 10p\nRd{k} d{k} 0 10k\n",
            k - 1
        );
    }
    s += &format!("Rterm n{n} 0 50\n.end\n");
    s
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time_it(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t0 = Instant::now();
        f();
        t.push(t0.elapsed().as_secs_f64());
    }
    median(t)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() { vec![10, 100, 1000, 10000] } else { sizes };
    println!("| N | unknowns | nnz | KLU pivoting factor [µs] | KLU refactor, fixed pivots [µs] | KLU solve [µs] | faer numeric LU [µs] | faer solve [µs] | dense LU (nalgebra) [µs] |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let text = chain(n);
        let mut sm = SourceMap::new();
        let parsed = spinspice::netlist::parse_str("chain", &text, std::path::Path::new("."), &mut sm).expect("parse");
        let c = elaborate(&parsed.netlist, &[]).expect("elaborate");
        let mut sys = System::build(&c.node_names, c.devices, &c.options).expect("build");
        let mut ws = sys.workspace();
        let mut nt = Newton::new(&sys).expect("newton");
        let mut x = vec![0.0; sys.n + 1];
        operating_point(&mut sys, &mut ws, &mut nt, &mut x, Mode::Dc, &[], &[]).expect("op");
        let nnz = sys.nnz();
        let a0 = 2.0 / 10e-12;
        let mut jac: Vec<f64> = (0..nnz).map(|k| ws.g[k] + a0 * ws.c[k]).collect();
        if let Ok(p) = std::env::var("JAC") {
            jac = std::fs::read_to_string(p).unwrap().lines().map(|l| l.parse().unwrap()).collect();
            let tiny = jac.iter().filter(|v| v.abs() < 1e-300 && **v != 0.0).count();
            eprintln!("loaded jac: {} values, {} subnormal, zeros {}", jac.len(), tiny, jac.iter().filter(|v| **v == 0.0).count());
        }
        let p = sys.pattern.clone();
        let dim = p.n;
        let rhs0: Vec<f64> = (0..dim).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let reps = if n >= 10000 { 21 } else { 101 };

        // KLU
        let mut lu = Klu::<f64>::new(p.clone()).expect("klu");
        let mut vals = jac.clone();
        let t_factor = time_it(reps, || {
            lu.invalidate();
            lu.factor(&mut vals).expect("factor");
        });
        // refactor: perturb a nonzero entry each time so the values really change
        lu.track_reuse = false;
        let nzk = jac.iter().position(|v| *v != 0.0).expect("nonzero");
        let mut k = 0u64;
        let t_refactor = time_it(reps, || {
            k += 1;
            vals[nzk] = jac[nzk] * (1.0 + 1e-9 * k as f64);
            lu.factor(&mut vals).expect("refactor");
        });
        assert!(lu.stats.refactor >= reps as u64, "refactors {:?}", lu.stats);
        eprintln!("N={n}: KLU (BTF blocks, nnz L, nnz U) = {:?}", lu.fill());
        let mut b = rhs0.clone();
        let t_solve = time_it(reps, || {
            b.copy_from_slice(&rhs0);
            lu.solve(&mut b).expect("solve");
        });

        // faer sparse LU
        use faer::dyn_stack::{MemBuffer, MemStack};
        use faer::sparse::linalg::lu::{factorize_symbolic_lu, NumericLu};
        use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
        let cp: Vec<usize> = p.col_ptr.iter().map(|&v| v as usize).collect();
        let ri: Vec<usize> = p.row_idx.iter().map(|&v| v as usize).collect();
        let sym = SymbolicSparseColMatRef::new_checked(dim, dim, &cp, None, &ri);
        let symb = factorize_symbolic_lu(sym, Default::default()).expect("faer symbolic");
        let mut num = NumericLu::<usize, f64>::new();
        let mut mem = MemBuffer::new(symb.factorize_numeric_lu_scratch::<f64>(faer::Par::Seq, Default::default()));
        let mut smem = MemBuffer::new(symb.solve_in_place_scratch::<f64>(1, faer::Par::Seq));
        let a = SparseColMatRef::new(sym, &jac);
        let t_faer = time_it(reps, || {
            symb.factorize_numeric_lu(&mut num, a, faer::Par::Seq, MemStack::new(&mut mem), Default::default())
                .expect("faer numeric");
        });
        let lu_f = symb
            .factorize_numeric_lu(&mut num, a, faer::Par::Seq, MemStack::new(&mut mem), Default::default())
            .expect("faer numeric");
        let mut bm = faer::Mat::<f64>::zeros(dim, 1);
        let t_faer_solve = time_it(reps, || {
            for i in 0..dim {
                bm[(i, 0)] = rhs0[i];
            }
            lu_f.solve_in_place_with_conj(faer::Conj::No, bm.as_mut(), faer::Par::Seq, MemStack::new(&mut smem));
        });
        // check both agree
        let mut xk = rhs0.clone();
        lu.solve(&mut xk).expect("solve");
        let err = (0..dim).map(|i| (xk[i] - bm[(i, 0)]).abs()).fold(0.0, f64::max)
            / xk.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-8, "KLU and faer disagree: {err}");

        // dense LU (only where it fits)
        let t_dense = if dim <= 2000 {
            let mut d = nalgebra::DMatrix::<f64>::zeros(dim, dim);
            for col in 0..dim {
                for kk in p.col_ptr[col] as usize..p.col_ptr[col + 1] as usize {
                    d[(p.row_idx[kk] as usize, col)] += jac[kk];
                }
            }
            let r = if dim > 500 { 5 } else { reps };
            format!("{:.1}", 1e6 * time_it(r, || {
                let lu = d.clone().lu();
                std::hint::black_box(&lu);
            }))
        } else {
            "—".into()
        };
        println!(
            "| {n} | {dim} | {nnz} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {t_dense} |",
            1e6 * t_factor,
            1e6 * t_refactor,
            1e6 * t_solve,
            1e6 * t_faer,
            1e6 * t_faer_solve
        );
    }
}
