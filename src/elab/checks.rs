//! Topology checks on the flattened circuit: every node has a DC path to
//! ground; no loop made only of voltage sources and inductors (singular in DC).

use crate::devices::Device;
use crate::diag::{Diagnostic, Span};
use std::collections::VecDeque;

struct Dsu(Vec<usize>);

impl Dsu {
    fn find(&mut self, mut a: usize) -> usize {
        while self.0[a] != a {
            self.0[a] = self.0[self.0[a]];
            a = self.0[a];
        }
        a
    }
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        self.0[ra] = rb;
        true
    }
}

/// Errors (voltage-source/inductor loops) and, in `floating`, the nodes
/// with no DC path to ground (the caller joins them to ground by gmin).
pub fn topology(
    node_names: &[String],
    devices: &[Box<dyn Device>],
    device_spans: &[Span],
    floating: &mut Vec<usize>,
) -> Vec<Diagnostic> {
    let n = node_names.len();
    let mut errs = Vec::new();
    // DC paths: nodes are unknowns 0..n; devices may have internal unknowns
    // beyond n, which we ignore (they are device-local).
    let mut dsu = Dsu((0..n).collect());
    for d in devices {
        for (a, b) in d.dc_pairs() {
            if a < n && b < n {
                dsu.union(a, b);
            }
        }
    }
    let g = dsu.find(0);
    for i in 1..n {
        if dsu.find(i) != g {
            floating.push(i);
        }
    }
    // Voltage-source / inductor loops.
    let mut dsu = Dsu((0..n).collect());
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (k, d) in devices.iter().enumerate() {
        if let Some((a, b)) = d.voltage_pair() {
            if a >= n || b >= n {
                continue;
            }
            if !dsu.union(a, b) {
                // find the path a → b through earlier voltage branches
                let path = bfs(&adj, a, b);
                let mut names: Vec<&str> = path.iter().map(|&k| devices[k].name()).collect();
                names.push(d.name());
                errs.push(
                    Diagnostic::error(
                        device_spans[k],
                        format!("loop of voltage sources/inductors: {}", names.join(", ")),
                    )
                    .with_help("the loop's branch currents are undetermined; add a small series resistance"),
                );
                continue;
            }
            adj[a].push((b, k));
            adj[b].push((a, k));
        }
    }
    errs
}

fn bfs(adj: &[Vec<(usize, usize)>], from: usize, to: usize) -> Vec<usize> {
    let mut prev: Vec<Option<(usize, usize)>> = vec![None; adj.len()];
    let mut seen = vec![false; adj.len()];
    let mut q = VecDeque::new();
    seen[from] = true;
    q.push_back(from);
    while let Some(u) = q.pop_front() {
        if u == to {
            break;
        }
        for &(v, k) in &adj[u] {
            if !seen[v] {
                seen[v] = true;
                prev[v] = Some((u, k));
                q.push_back(v);
            }
        }
    }
    let mut path = Vec::new();
    let mut v = to;
    while let Some((u, k)) = prev[v] {
        path.push(k);
        v = u;
    }
    path.reverse();
    path
}
