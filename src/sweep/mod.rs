//! Sweeps: `.step` lines and `--step` options make a grid of points
//! ([`grid`]); the points run in parallel ([`exec`]) and reach the sink in
//! point order; shard files of a cluster run are combined by [`merge`].
//!
//! What can be swept: any top-level `.param` (source frequency, amplitude,
//! power in dBm through `dbm2v(p, r)` …), `temp`, and the value of an
//! independent source or resistor by its name. A `--param NAME=V` pins a
//! name: a `.step` of that name is dropped. A `--step NAME …` replaces the
//! `.step` of the same name (keeping its place in the grid) or adds an axis
//! after the netlist's.
//!
//! Two more kinds of axis: `.step data=TABLE` (the rows of a `.data` table,
//! [`data`]) and `.step mc N` (Monte Carlo samples 1…N: each point
//! elaborates with its own draws of `agauss` & co., keyed by the run's seed
//! and the sample number, see [`crate::elab::McSample`]). A `--step` of the
//! same name replaces the rows or samples run (`--step "mc list 3 7"`).

pub mod data;
pub mod exec;
pub mod grid;
pub mod merge;

use crate::analysis::run::{RunConfig, RunSummary};
use crate::diag::Diagnostic;
use crate::elab::{Circuit, McSample, StepKind};
use crate::netlist::ast::{Netlist, Stmt};
use crate::output::{PointStatus, Sink, StepInfo, SweepInfo};
use exec::{execute, PointJob, PointRecord};
use grid::{Axis, CliStep, Grid, Shard};
use std::collections::HashSet;
use std::sync::Arc;

/// What an axis changes in each point.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A `.param` (or `temp`): an elaboration override.
    Param,
    /// A device's value (`set_sweep_value`).
    Device,
    /// `.step mc N`: the sample number; `seed` from `.options seed=` or
    /// drawn for this run (`drawn`).
    Mc { seed: u64, drawn: bool },
    /// `.step data=TABLE`: the row number; the row's values go to the
    /// columns (`device[c]`: column `c` is a device value, else a `.param`).
    Data(Arc<DataAxis>),
}

/// A table swept by `.step data=TABLE`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataAxis {
    pub table: data::Table,
    pub device: Vec<bool>,
}

fn is_param(nl: &Netlist, name: &str) -> bool {
    nl.statements.iter().any(|st| match st {
        Stmt::Param(list, _) => list.iter().any(|p| p.name.name == name),
        _ => false,
    })
}

/// The unit written in `.step … unit=U`, if any.
fn step_unit(nl: &Netlist, name: &str) -> Option<String> {
    nl.statements.iter().rev().find_map(|st| match st {
        Stmt::Step(s) if s.var.name == name => s.unit.as_ref().map(|u| u.name.clone()),
        _ => None,
    })
}

fn device_unit(name: &str) -> &'static str {
    match name.chars().next() {
        Some('v') => "V",
        Some('i') => "A",
        Some('r') => "Ohm",
        _ => "",
    }
}

/// The grid of a run: the netlist's `.step`s (minus names pinned by
/// `--param`, values replaced by a `--step` of the same name), then the other
/// `--step`s. Empty grid = no sweep.
fn plan(
    nl: &Netlist,
    base: &Circuit,
    overrides: &[(String, f64)],
    cli: &[CliStep],
) -> Result<(Grid, Vec<Target>), Vec<Diagnostic>> {
    let mut axes: Vec<(Axis, Option<crate::diag::Span>)> = Vec::new();
    let mut preset: Vec<Option<Target>> = Vec::new();
    let pinned = |n: &str| overrides.iter().any(|(o, _)| o == n);
    for s in &base.steps {
        if pinned(&s.name) || axes.iter().any(|(a, _)| a.name == s.name) {
            continue;
        }
        let (values, unit, target) = match s.kind {
            StepKind::Values => (
                s.values.clone(),
                step_unit(nl, &s.name).unwrap_or_default(),
                None,
            ),
            StepKind::Mc => (s.values.clone(), String::new(), Some(mc_target(base))),
            StepKind::Data => {
                let d = data_axis(nl, base, &s.name, overrides).map_err(|mut e| {
                    e.span = e.span.or(Some(s.span));
                    vec![e]
                })?;
                let rows = d.table.rows.iter().map(|&r| r as f64).collect();
                (rows, "row".to_string(), Some(Target::Data(Arc::new(d))))
            }
        };
        axes.push((
            Axis {
                name: s.name.clone(),
                values,
                unit,
            },
            Some(s.span),
        ));
        preset.push(target);
    }
    for c in cli {
        if pinned(&c.name) {
            return Err(vec![Diagnostic::plain(format!(
                "'{}' is given both by --param and by --step",
                c.name
            ))]);
        }
        match axes.iter_mut().find(|(a, _)| a.name == c.name) {
            Some((a, _)) => {
                a.values = c.values.clone();
                if let Some(u) = &c.unit {
                    a.unit = u.clone();
                }
            }
            None => {
                axes.push((
                    Axis {
                        name: c.name.clone(),
                        values: c.values.clone(),
                        unit: c.unit.clone().unwrap_or_default(),
                    },
                    None,
                ));
                let mc = c.name == "mc" && !is_param(nl, "mc");
                preset.push(mc.then(|| mc_target(base)));
            }
        }
    }
    let mut targets = Vec::new();
    for ((a, span), pre) in axes.iter_mut().zip(preset) {
        if let Some(t) = pre {
            check_special_axis(a, &t)?;
            targets.push(t);
            continue;
        }
        let target = if a.name == "temp" {
            if a.unit.is_empty() {
                a.unit = "degC".into();
            }
            Target::Param
        } else if is_param(nl, &a.name) {
            Target::Param
        } else if base.devices.iter().any(|d| d.name() == a.name) {
            if a.unit.is_empty() {
                a.unit = device_unit(&a.name).into();
            }
            Target::Device
        } else {
            let msg = format!(
                "cannot sweep '{}': no .param, source or resistor of that name",
                a.name
            );
            return Err(vec![match span {
                Some(sp) => Diagnostic::error(*sp, msg),
                None => Diagnostic::plain(format!("--step {}", msg)),
            }]);
        };
        if a.values.is_empty() {
            return Err(vec![Diagnostic::plain(format!(
                "the sweep of '{}' has no values",
                a.name
            ))]);
        }
        targets.push(target);
    }
    let total: f64 = axes.iter().map(|(a, _)| a.values.len() as f64).product();
    let lim = crate::limits::get().sweep;
    if total > lim {
        let msg = format!(
            "the sweep has {total:.3e} points ({}); {}",
            axes.iter()
                .map(|(a, _)| format!("{} × {}", a.name, a.values.len()))
                .collect::<Vec<_>>()
                .join(", "),
            crate::limits::lift("sweep", lim)
        );
        return Err(vec![match axes.iter().find_map(|(_, sp)| *sp) {
            Some(sp) => Diagnostic::error(sp, msg),
            None => Diagnostic::plain(msg),
        }]);
    }
    Ok((
        Grid {
            axes: axes.into_iter().map(|(a, _)| a).collect(),
        },
        targets,
    ))
}

/// Notes about Monte Carlo functions for the user: they took their nominal
/// values (no `mc` axis), or the seed was drawn for this run.
pub fn mc_notes(base: &Circuit, targets: Option<&[Target]>) -> Vec<Diagnostic> {
    let mc = targets.and_then(|ts| {
        ts.iter().find_map(|t| match t {
            Target::Mc { seed, drawn } => Some((*seed, *drawn)),
            _ => None,
        })
    });
    let mut out = Vec::new();
    match (base.random_site, mc) {
        (Some(site), None) => out.push(Diagnostic::warning(
            site,
            "agauss/gauss/aunif/unif take their nominal values: this run is not a Monte Carlo sweep (.step mc N)",
        )),
        (_, Some((seed, true))) => {
            let mut d = Diagnostic::plain(format!(
                "Monte Carlo seed {seed} was drawn for this run; '.options seed={seed}' repeats it"
            ));
            d.severity = crate::diag::Severity::Warning;
            out.push(d);
        }
        _ => {}
    }
    out
}

/// The target of an `mc` axis: the netlist's seed, or one drawn for this run.
fn mc_target(base: &Circuit) -> Target {
    match base.seed {
        Some(seed) => Target::Mc { seed, drawn: false },
        None => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            let h = crate::expr::random::mix(t ^ ((std::process::id() as u64) << 32));
            // below 2^53, so that `.options seed=N` writes it exactly
            Target::Mc {
                seed: h >> 11,
                drawn: true,
            }
        }
    }
}

/// Reads the table `name` and checks its columns against the circuit.
fn data_axis(
    nl: &Netlist,
    base: &Circuit,
    name: &str,
    overrides: &[(String, f64)],
) -> Result<DataAxis, Diagnostic> {
    let Some(d) = nl.statements.iter().find_map(|st| match st {
        Stmt::Data(d) if d.name.name == name => Some(d),
        _ => None,
    }) else {
        return Err(Diagnostic::plain(format!("no '.data {name}' table")));
    };
    let table = data::load(d)?;
    let params: HashSet<&str> = nl
        .statements
        .iter()
        .filter_map(|st| match st {
            Stmt::Param(list, _) => Some(list.iter().map(|p| p.name.name.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    let mut device = Vec::with_capacity(table.columns.len());
    for c in &table.columns {
        if overrides.iter().any(|(o, _)| o == c) {
            return Err(Diagnostic::error(
                d.span,
                format!("'{c}' is given both by --param and by table '{name}'"),
            ));
        }
        if c == "temp" || params.contains(c.as_str()) {
            device.push(false);
        } else if base.devices.iter().any(|dv| dv.name() == c) {
            device.push(true);
        } else {
            return Err(Diagnostic::error(
                d.span,
                format!(
                    "column '{c}' of table '{name}': no .param, source or resistor of that name"
                ),
            )
            .with_help(
                "each column of a .data table sets the .param (or source/resistor value) it names",
            ));
        }
    }
    Ok(DataAxis { table, device })
}

/// Values of an `mc` or data axis (possibly replaced by `--step`): sample
/// numbers ≥ 1, rows of the table.
fn check_special_axis(a: &Axis, t: &Target) -> Result<(), Vec<Diagnostic>> {
    let bad = |msg: String| Err(vec![Diagnostic::plain(msg)]);
    for &v in &a.values {
        let whole = v >= 0.0 && v.fract() == 0.0 && v < 9.007_199_254_740_992e15;
        match t {
            Target::Mc { .. } if !(whole && v >= 1.0) => {
                return bad(format!(
                    "Monte Carlo samples are numbered 1, 2, …: '{v}' is not one"
                ))
            }
            Target::Data(d) if !(whole && d.table.row(v as usize).is_some()) => {
                return bad(format!(
                    "row {v} is not in table '{}' (rows {}…{})",
                    d.table.name,
                    d.table.rows.first().copied().unwrap_or(0),
                    d.table.rows.last().copied().unwrap_or(0)
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The grid of the run, None when it is not a sweep.
pub fn sweep_grid(
    nl: &Netlist,
    base: &Circuit,
    overrides: &[(String, f64)],
    steps: &[CliStep],
    shard: Option<Shard>,
) -> Result<Option<(Grid, Vec<Target>)>, Vec<Diagnostic>> {
    let (g, t) = plan(nl, base, overrides, steps)?;
    let drawn = t
        .iter()
        .any(|t| matches!(t, Target::Mc { drawn: true, .. }));
    if drawn && shard.is_some() {
        return Err(vec![Diagnostic::plain(
            "a Monte Carlo run in shards needs '.options seed=N': each shard would draw its own seed",
        )]);
    }
    Ok((!g.axes.is_empty()).then_some((g, t)))
}

fn io_diag(e: std::io::Error) -> Vec<Diagnostic> {
    vec![Diagnostic::plain(format!(
        "cannot write the output file: {e}"
    ))]
}

/// Runs a sweep: every point of the grid (or of the shard), in parallel,
/// written in point order.
pub fn run_sweep(
    nl: &Netlist,
    text: &str,
    cfg: &mut RunConfig,
    grid: Grid,
    targets: Vec<Target>,
    measures: Vec<(String, String, crate::output::AnalysisKind)>,
    sink: &mut dyn Sink,
) -> Result<RunSummary, Vec<Diagnostic>> {
    let total = grid.len();
    let values: Vec<Vec<f64>> = (0..total).map(|k| grid.values_at(k)).collect();
    let info = StepInfo {
        params: grid.axes.iter().map(|a| a.name.clone()).collect(),
        values: values.clone(),
    };
    let shard = cfg.sweep.shard;
    let points: Vec<usize> = match shard {
        Some(s) => s.points(total),
        None => (0..total).collect(),
    };
    // A drawn seed is kept with the netlist text (HDF5 @netlist).
    let drawn = targets.iter().find_map(|t| match t {
        Target::Mc { seed, drawn: true } => Some(*seed),
        _ => None,
    });
    let noted = drawn.map(|seed| {
        format!("{text}\n* spinspice: the Monte Carlo seed of this run was drawn: {seed} (.options seed={seed} repeats it)\n")
    });
    sink.begin_run(&nl.title, noted.as_deref().unwrap_or(text), Some(&info))
        .map_err(io_diag)?;
    sink.sweep(&SweepInfo {
        grid: grid.clone(),
        shard,
        measures: measures.iter().map(|m| m.0.clone()).collect(),
        measure_units: measures.iter().map(|m| m.1.clone()).collect(),
        measure_analyses: measures.iter().map(|m| m.2).collect(),
    })
    .map_err(io_diag)?;
    let mut summary = RunSummary {
        points: points.len(),
        sweep: true,
        ..Default::default()
    };
    let overrides = cfg.overrides.clone();
    let (acct, print_op, save) = (cfg.acct, cfg.print_op, cfg.sweep.save);
    let cancel = cfg.sweep.cancel.clone();
    let grid_ref = &grid;
    let make_job = |k: usize| {
        let row = &values[k];
        let mut ov = overrides.clone();
        let mut dv = Vec::new();
        let mut mc = None;
        for ((a, t), v) in grid_ref.axes.iter().zip(&targets).zip(row) {
            match t {
                Target::Device => dv.push((a.name.clone(), *v)),
                Target::Param => ov.push((a.name.clone(), *v)),
                Target::Mc { seed, .. } => {
                    mc = Some(McSample {
                        seed: *seed,
                        sample: *v as u64,
                    })
                }
                Target::Data(d) => {
                    let vals = d.table.row(*v as usize).unwrap_or(&[]);
                    for ((c, dev), x) in d.table.columns.iter().zip(&d.device).zip(vals) {
                        if *dev {
                            dv.push((c.clone(), *x));
                        } else {
                            ov.push((c.clone(), *x));
                        }
                    }
                }
            }
        }
        let label = format!(
            "step {}/{}: {}",
            k + 1,
            total,
            grid_ref
                .axes
                .iter()
                .zip(row)
                .map(|(a, v)| format!("{}={v:e}", a.name))
                .collect::<Vec<_>>()
                .join(" ")
        );
        (
            PointJob {
                netlist: nl,
                overrides: ov,
                device_values: dv,
                mc,
                acct,
                print_op,
                save,
                cancel: cancel.as_deref(),
            },
            label,
        )
    };
    let workers = cfg.sweep.workers();
    let report = &mut *cfg.report;
    let mut on_written = |k: usize, rec: PointRecord| -> std::io::Result<()> {
        exec::replay(sink, k, &rec)?;
        let _ = report.write_all(&rec.report);
        summary.measures = rec.measures;
        summary.stats = rec.stats;
        summary.acct = rec.acct;
        summary.warnings.extend(rec.warnings);
        if let Some(PointStatus::Failed(_)) = rec.status {
            let d = rec
                .failure
                .unwrap_or_else(|| Diagnostic::plain("point failed"));
            summary.failures.push((k, d));
        }
        Ok(())
    };
    let res = execute(
        &points,
        workers,
        save,
        &make_job,
        &mut on_written,
        &mut *cfg.sweep_progress,
        cancel.as_deref(),
    );
    match res {
        Ok(st) => summary.sweep_stats = Some(st),
        Err(e) => {
            let _ = sink.finish(false);
            return Err(io_diag(e));
        }
    }
    sink.finish(summary.failures.is_empty()).map_err(io_diag)?;
    Ok(summary)
}
