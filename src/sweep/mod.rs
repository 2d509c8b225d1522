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

pub mod exec;
pub mod grid;
pub mod merge;

use crate::analysis::run::{RunConfig, RunSummary};
use crate::diag::Diagnostic;
use crate::elab::Circuit;
use crate::netlist::ast::{Netlist, Stmt};
use crate::output::{PointStatus, Sink, StepInfo, SweepInfo};
use exec::{execute, PointJob, PointRecord};
use grid::{Axis, CliStep, Grid};

/// What an axis changes in each point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A `.param` (or `temp`): an elaboration override.
    Param,
    /// A device's value (`set_sweep_value`).
    Device,
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
    let pinned = |n: &str| overrides.iter().any(|(o, _)| o == n);
    for s in &base.steps {
        if pinned(&s.name) || axes.iter().any(|(a, _)| a.name == s.name) {
            continue;
        }
        axes.push((
            Axis {
                name: s.name.clone(),
                values: s.values.clone(),
                unit: step_unit(nl, &s.name).unwrap_or_default(),
            },
            Some(s.span),
        ));
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
            None => axes.push((
                Axis {
                    name: c.name.clone(),
                    values: c.values.clone(),
                    unit: c.unit.clone().unwrap_or_default(),
                },
                None,
            )),
        }
    }
    let mut targets = Vec::new();
    for (a, span) in &mut axes {
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
    let total = axes
        .iter()
        .try_fold(1usize, |n, (a, _)| n.checked_mul(a.values.len()));
    match total {
        Some(n) if n <= MAX_POINTS => {}
        _ => {
            return Err(vec![Diagnostic::plain(format!(
                "the sweep has more than {MAX_POINTS} points ({}): split it",
                axes.iter()
                    .map(|(a, _)| format!("{} × {}", a.name, a.values.len()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))])
        }
    }
    Ok((
        Grid {
            axes: axes.into_iter().map(|(a, _)| a).collect(),
        },
        targets,
    ))
}

/// Largest sweep (the per-point tables are held in memory: ~100 bytes a point).
pub const MAX_POINTS: usize = 10_000_000;

/// The grid of the run, None when it is not a sweep.
pub fn sweep_grid(
    nl: &Netlist,
    base: &Circuit,
    cfg: &RunConfig,
) -> Result<Option<(Grid, Vec<Target>)>, Vec<Diagnostic>> {
    let (g, t) = plan(nl, base, &cfg.overrides, &cfg.steps)?;
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
    measures: Vec<(String, String)>,
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
    sink.begin_run(&nl.title, text, Some(&info))
        .map_err(io_diag)?;
    sink.sweep(&SweepInfo {
        grid: grid.clone(),
        shard,
        measures: measures.iter().map(|m| m.0.clone()).collect(),
        measure_units: measures.iter().map(|m| m.1.clone()).collect(),
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
        for ((a, t), v) in grid_ref.axes.iter().zip(&targets).zip(row) {
            if *t == Target::Device {
                dv.push((a.name.clone(), *v));
            } else {
                ov.push((a.name.clone(), *v));
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
