//! The netCDF/xarray side of the HDF5 writer: the coordinate variables
//! (dimension scales) of the step and sweep arrays, and which scale goes on
//! which dataset. The attachments themselves are written by
//! [`crate::output::dimscale::write`] once the file is closed.
//!
//! Every group that holds arrays over an axis also holds that axis'
//! coordinate, a dimension scale named like the axis, so that
//! `xarray.open_dataset(f, group=…)` of that one group has its coordinates:
//!
//! ```text
//!   <analysis group>     the sweep dataset (time, frequency, …) is the scale
//!                        of every signal of the group
//!   /steps/point         int64 [N] 0…N−1: scale of /steps/<param>, status, error
//!   /measures/point      the same, for the per-point measures of a .step run
//!   /sweep/<axis>        copies of /sweep/axes/<axis>: scales of point, status
//!   /sweep/measures/<axis>  the same, for /sweep/measures/<name>
//!   /sweep/axes/<axis>   each the scale of its own dimension
//! ```
//!
//! Where a name is taken (a measure called like an axis, an axis called
//! `status` …) the copy is left out and the arrays use the next scale up
//! (`/sweep/<axis>`, then `/sweep/axes/<axis>`). A parameter or a measure
//! called `point` leaves `/steps` or `/measures` without a point scale.
use super::*;
use crate::output::cf;
use crate::output::dimscale::join;
use crate::output::dimscale::DimPlan;
use hdf5_pure::{DatasetBuilder, GroupBuilder, StagedGroup};

/// Names in `/sweep` that are not axis coordinates.
pub(super) const SWEEP_TAKEN: [&str; 4] = ["axes", "measures", "point", "status"];
/// Name of the step-point dimension.
const POINT: &str = "point";

fn point_scale(b: &mut DatasetBuilder, n: usize) {
    let idx: Vec<i64> = (0..n as i64).collect();
    b.with_i64_data(&idx);
    cf::point_attrs(b);
}

/// `/steps/point` (0…n−1), the scale of every array of `/steps`, unless a
/// swept parameter is called `point`.
pub(super) fn steps_point(g: &mut GroupBuilder, dims: &mut DimPlan, params: &[String], n: usize) {
    if params.iter().any(|p| dataset_name(p) == POINT) {
        return;
    }
    point_scale(g.create_dataset(POINT), n);
    let scale = [join("steps", POINT)];
    let names = params.iter().map(|p| dataset_name(p));
    for d in names.chain(["status".to_string(), "error".to_string()]) {
        dims.attach(&join("steps", &d), &scale);
    }
}

/// A copy of each sweep axis in `g`, as its coordinate, except the names in
/// `taken`.
pub(super) fn sweep_coords(g: &mut StagedGroup<'_>, info: &SweepInfo, taken: &[&str]) {
    for a in &info.grid.axes {
        let name = dataset_name(&a.name);
        if taken.contains(&name.as_str()) {
            continue;
        }
        g.create_dataset(&name, |b| {
            b.with_f64_data(&a.values);
            cf::axis_attrs(b, &a.name, &a.unit);
        });
    }
}

/// The scale of axis `name` for the arrays of `group` (`sweep` or
/// `sweep/measures`): its own copy if it has one, else the next one up.
fn sweep_scale(group: &str, name: &str, taken_in_group: bool) -> String {
    if !taken_in_group {
        return join(group, name);
    }
    if group != "sweep" && !SWEEP_TAKEN.contains(&name) {
        return join("sweep", name);
    }
    join("sweep/axes", name)
}

impl Hdf5Sink {
    /// At the end of a `.step` run, once every measure is known: stages
    /// `/measures/point` and records which scale goes on each array of
    /// `/measures` and `/sweep`.
    pub(super) fn plan_tables(&mut self) -> io::Result<()> {
        let Some(steps) = &self.steps else {
            return Ok(());
        };
        let n = steps.count;
        let path = self.path.clone();
        // /measures over the points
        let created: Vec<&str> = self
            .measures
            .iter()
            .filter(|m| m.created)
            .map(|m| m.name.as_str())
            .collect();
        if !created.is_empty() && !created.contains(&POINT) {
            let names: Vec<String> = created.iter().map(|m| join("measures", m)).collect();
            self.session()?
                .root()
                .create_dataset(&join("measures", POINT), |b| point_scale(b, n))
                .map_err(|e| h5err(&path, "cannot create /measures/point", e))?;
            self.pending = true;
            let scale = [join("measures", POINT)];
            for m in names {
                self.dims.attach(&m, &scale);
            }
        }
        // /sweep
        if let Some(info) = &self.sweep {
            let axes: Vec<String> = info
                .grid
                .axes
                .iter()
                .map(|a| dataset_name(&a.name))
                .collect();
            for a in &axes {
                self.dims.scale(&join("sweep/axes", a));
            }
            let top: Vec<String> = axes
                .iter()
                .map(|a| sweep_scale("sweep", a, SWEEP_TAKEN.contains(&a.as_str())))
                .collect();
            for d in ["point", "status"] {
                self.dims.attach(&join("sweep", d), &top);
            }
            let names: Vec<String> = info.measures.iter().map(|m| dataset_name(m)).collect();
            let inner: Vec<String> = axes
                .iter()
                .map(|a| sweep_scale("sweep/measures", a, names.contains(a)))
                .collect();
            for m in &names {
                self.dims.attach(&join("sweep/measures", m), &inner);
            }
        }
        Ok(())
    }
}
