//! `spinspice plot`: waveforms vs time, a measure vs one swept parameter
//! (one curve per value of a second), and heat maps over two swept
//! parameters, read from the HDF5 file of a run and drawn as PNG or SVG
//! (by the extension of the output) with engineering-unit axes.
//!
//! Nothing here needs a system library: plotters is built without its
//! default features (no fontconfig/freetype) and draws text with an
//! embedded DejaVu Sans ([`render`]).

pub mod render;
pub mod units;

use crate::output::hdf5::dataset_name;
use crate::output::AnalysisKind;
use crate::sweep::grid::Grid;
use crate::sweep::merge::{attr_string, read_analysis, read_header};
use hdf5_pure::File;
use render::{LinePlot, MapPlot, Series};
use std::path::Path;

/// Which point of a sweep file.
#[derive(Debug, Clone)]
pub enum Select {
    /// Point index k.
    Index(usize),
    /// Nearest value of each named axis (axes not named: their first value).
    At(Vec<(String, f64)>),
}

fn open(path: &Path) -> Result<File, String> {
    File::open(path).map_err(|e| format!("{}: cannot open: {e}", path.display()))
}

/// Index of the value of `axis` nearest to `v`.
fn nearest(values: &[f64], v: f64) -> usize {
    let mut best = 0;
    for (i, x) in values.iter().enumerate() {
        if (x - v).abs() < (values[best] - v).abs() {
            best = i;
        }
    }
    best
}

fn axis_index(grid: &Grid, name: &str) -> Result<usize, String> {
    let n = name.to_ascii_lowercase();
    grid.axes.iter().position(|a| a.name == n).ok_or_else(|| {
        format!(
            "'{name}' is not a swept parameter (the sweep has: {})",
            grid.axes
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// `name = value unit, …` of a point.
fn describe_point(grid: &Grid, k: usize) -> String {
    grid.index(k)
        .iter()
        .zip(&grid.axes)
        .map(|(&i, a)| format!("{} = {}", a.name, units::eng(a.values[i], &a.unit)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Draws signals of one analysis of a run (or of one point of a sweep).
pub fn waves_file(
    file: &Path,
    out: &Path,
    signals: &[String],
    analysis: Option<&str>,
    select: &Select,
    size: (u32, u32),
) -> Result<(), String> {
    let f = open(file)?;
    let title = f
        .root()
        .attrs()
        .ok()
        .and_then(|a| attr_string(a.get("title")))
        .unwrap_or_default();
    let (prefix, what) = match read_header(file, &f) {
        Ok(h) => {
            let n = h.grid.len();
            let k = match select {
                Select::Index(k) => *k,
                Select::At(at) => {
                    let mut idx: Vec<usize> = vec![0; h.grid.axes.len()];
                    for (name, v) in at {
                        let j = axis_index(&h.grid, name)?;
                        idx[j] = nearest(&h.grid.axes[j].values, *v);
                    }
                    let mut k = 0;
                    for j in (0..idx.len()).rev() {
                        k = k * h.grid.axes[j].values.len() + idx[j];
                    }
                    k
                }
            };
            if k >= n {
                return Err(format!("point {k} is outside the sweep ({n} points)"));
            }
            (
                format!("step_{k:05}/"),
                format!(" — point {k}: {}", describe_point(&h.grid, k)),
            )
        }
        Err(_) => (String::new(), String::new()),
    };
    let parent = if prefix.is_empty() {
        f.root()
    } else {
        f.group(prefix.trim_end_matches('/')).map_err(|_| {
            format!(
                "{}: the point has no waveforms (it failed, or the sweep ran with --save none)",
                file.display()
            )
        })?
    };
    let groups = parent
        .groups()
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let name = match analysis {
        Some(a) => a.to_ascii_lowercase(),
        None => {
            let candidates: Vec<&String> = groups
                .iter()
                .filter(|g| !matches!(g.as_str(), "steps" | "sweep" | "measures"))
                .filter(|g| !g.starts_with("step_"))
                .collect();
            match candidates.iter().find(|g| g.as_str() == "tran") {
                Some(g) => (*g).clone(),
                None => candidates
                    .first()
                    .map(|g| (*g).clone())
                    .ok_or_else(|| format!("{}: no analysis to draw", file.display()))?,
            }
        }
    };
    let gpath = format!("{prefix}{name}");
    let g = f.group(&gpath).map_err(|_| {
        format!(
            "{}: no analysis '{name}' (found: {})",
            file.display(),
            groups.join(", ")
        )
    })?;
    let a = read_analysis(file, &g, &gpath)?;
    let wanted: Vec<usize> = if signals.is_empty() {
        (0..a.info.signals.len().min(8)).collect()
    } else {
        signals
            .iter()
            .map(|s| {
                let s = s.to_ascii_lowercase();
                a.info
                    .signals
                    .iter()
                    .position(|x| x.name == s || dataset_name(&x.name) == s)
                    .ok_or_else(|| {
                        format!(
                            "no signal '{s}' in {gpath} (found: {})",
                            a.info
                                .signals
                                .iter()
                                .map(|x| x.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            })
            .collect::<Result<_, _>>()?
    };
    if wanted.is_empty() {
        return Err(format!("{gpath} has no signals"));
    }
    let units: Vec<&str> = wanted
        .iter()
        .map(|&j| a.info.signals[j].unit.as_str())
        .collect();
    let same_unit = units.iter().all(|u| *u == units[0]);
    let series = wanted
        .iter()
        .map(|&j| {
            let y = if a.info.complex {
                a.re[j]
                    .iter()
                    .zip(&a.im[j])
                    .map(|(r, i)| r.hypot(*i))
                    .collect()
            } else {
                a.re[j].clone()
            };
            let (x, y) = if a.info.kind == AnalysisKind::Hb {
                stems(&a.sweep, &y)
            } else {
                (a.sweep.clone(), y)
            };
            Series {
                label: a.info.signals[j].name.clone(),
                x,
                y,
            }
        })
        .collect();
    let y_name = if wanted.len() == 1 {
        let s = &a.info.signals[wanted[0]].name;
        if a.info.complex {
            format!("|{s}|")
        } else {
            s.clone()
        }
    } else if a.info.complex {
        "magnitude".into()
    } else {
        "value".into()
    };
    let plot = LinePlot {
        title: format!("{title}{what}"),
        x_name: a.info.sweep.name.clone(),
        x_unit: a.info.sweep.unit.clone(),
        y_name,
        y_unit: if same_unit {
            units[0].to_string()
        } else {
            String::new()
        },
        series,
        markers: false,
    };
    render::render_lines(&plot, out, size)
}

/// A harmonic-balance spectrum as stems: each line (f, |X|) is drawn as
/// a vertical segment from 0, joined along the axis (one polyline).
fn stems(f: &[f64], mag: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut x = Vec::with_capacity(3 * f.len());
    let mut y = Vec::with_capacity(3 * f.len());
    for (&fk, &m) in f.iter().zip(mag) {
        x.extend([fk, fk, fk]);
        y.extend([0.0, m, 0.0]);
    }
    (x, y)
}

/// A measure over the grid of a sweep file: its values in C order over
/// [`Grid::shape`], with the grid and the measure's unit (if recorded).
pub struct MeasureGrid {
    pub title: String,
    pub grid: Grid,
    pub values: Vec<f64>,
}

/// Reads `/sweep/measures/<name>`.
pub fn read_measure(file: &Path, measure: &str) -> Result<MeasureGrid, String> {
    let f = open(file)?;
    let h = read_header(file, &f)?;
    let m = measure.to_ascii_lowercase();
    let dpath = format!("sweep/measures/{}", dataset_name(&m));
    let ds = f.dataset(&dpath).map_err(|_| {
        format!(
            "{}: no measure '{measure}' over the sweep (measures: {})",
            file.display(),
            h.measures.join(", ")
        )
    })?;
    let values = ds
        .read_f64()
        .map_err(|e| format!("{}: /{dpath}: {e}", file.display()))?;
    if values.len() != h.grid.len() {
        return Err(format!(
            "{}: /{dpath} does not cover the grid",
            file.display()
        ));
    }
    Ok(MeasureGrid {
        title: h.title,
        grid: h.grid,
        values,
    })
}

/// Position in the C-order array of multi-index `idx`.
fn flat(grid: &Grid, idx: &[usize]) -> usize {
    let mut p = 0;
    for (j, a) in grid.axes.iter().enumerate() {
        p = p * a.values.len() + idx[j];
    }
    p
}

/// Fixed indices of the axes that are not drawn: from `--at`, or the only
/// value; an axis with several values must be fixed.
fn fixed_indices(grid: &Grid, drawn: &[usize], at: &[(String, f64)]) -> Result<Vec<usize>, String> {
    let mut idx = vec![0usize; grid.axes.len()];
    let mut set = vec![false; grid.axes.len()];
    for (name, v) in at {
        let j = axis_index(grid, name)?;
        if drawn.contains(&j) {
            return Err(format!(
                "'{name}' is drawn; it cannot also be fixed with --at"
            ));
        }
        idx[j] = nearest(&grid.axes[j].values, *v);
        set[j] = true;
    }
    for (j, a) in grid.axes.iter().enumerate() {
        if !drawn.contains(&j) && !set[j] && a.values.len() > 1 {
            return Err(format!(
                "the sweep also varies '{}': fix it with --at {}=VALUE",
                a.name, a.name
            ));
        }
    }
    Ok(idx)
}

/// The measure-vs-parameter plot of an in-memory measure grid.
pub fn measure_plot(
    mg: &MeasureGrid,
    measure: &str,
    unit: &str,
    x: Option<&str>,
    curves: Option<&str>,
    at: &[(String, f64)],
) -> Result<LinePlot, String> {
    let g = &mg.grid;
    let xi = match x {
        Some(n) => axis_index(g, n)?,
        None => 0,
    };
    let ci = match curves {
        Some(n) => Some(axis_index(g, n)?),
        None => {
            (0..g.axes.len()).find(|&j| j != xi && at.iter().all(|(n, _)| *n != g.axes[j].name))
        }
    };
    if ci == Some(xi) {
        return Err("the x axis and the curve parameter must differ".into());
    }
    let drawn: Vec<usize> = std::iter::once(xi).chain(ci).collect();
    let mut idx = fixed_indices(g, &drawn, at)?;
    let xa = &g.axes[xi];
    let ncurves = ci.map(|c| g.axes[c].values.len()).unwrap_or(1);
    let mut series = Vec::new();
    for c in 0..ncurves {
        if let Some(ci) = ci {
            idx[ci] = c;
        }
        let y = (0..xa.values.len())
            .map(|i| {
                idx[xi] = i;
                mg.values[flat(g, &idx)]
            })
            .collect();
        let label = match ci {
            Some(ci) => {
                let a = &g.axes[ci];
                format!("{} = {}", a.name, units::eng(a.values[c], &a.unit))
            }
            None => String::new(),
        };
        series.push(Series {
            label,
            x: xa.values.clone(),
            y,
        });
    }
    let fixed: Vec<String> = (0..g.axes.len())
        .filter(|j| !drawn.contains(j) && g.axes[*j].values.len() > 1)
        .map(|j| {
            let a = &g.axes[j];
            format!("{} = {}", a.name, units::eng(a.values[idx[j]], &a.unit))
        })
        .collect();
    let mut title = format!("{measure} vs {}", xa.name);
    if !fixed.is_empty() {
        title.push_str(&format!(" ({})", fixed.join(", ")));
    }
    Ok(LinePlot {
        title,
        x_name: xa.name.clone(),
        x_unit: xa.unit.clone(),
        y_name: measure.to_string(),
        y_unit: unit.to_string(),
        series,
        markers: true,
    })
}

/// The heat map of an in-memory measure grid.
pub fn map_plot(
    mg: &MeasureGrid,
    measure: &str,
    unit: &str,
    x: Option<&str>,
    y: Option<&str>,
    at: &[(String, f64)],
) -> Result<MapPlot, String> {
    let g = &mg.grid;
    if g.axes.len() < 2 {
        return Err("a map needs a sweep over two parameters".into());
    }
    let xi = match x {
        Some(n) => axis_index(g, n)?,
        None => 0,
    };
    let yi = match y {
        Some(n) => axis_index(g, n)?,
        None => (0..g.axes.len())
            .find(|&j| j != xi)
            .ok_or("a map needs two swept parameters")?,
    };
    if xi == yi {
        return Err("the x and y parameters must differ".into());
    }
    let mut idx = fixed_indices(g, &[xi, yi], at)?;
    let (xa, ya) = (&g.axes[xi], &g.axes[yi]);
    let mut z = Vec::with_capacity(xa.values.len() * ya.values.len());
    for iy in 0..ya.values.len() {
        for ix in 0..xa.values.len() {
            idx[xi] = ix;
            idx[yi] = iy;
            z.push(mg.values[flat(g, &idx)]);
        }
    }
    Ok(MapPlot {
        title: format!("{measure} over {} × {}", xa.name, ya.name),
        x_name: xa.name.clone(),
        x_unit: xa.unit.clone(),
        x: xa.values.clone(),
        y_name: ya.name.clone(),
        y_unit: ya.unit.clone(),
        y: ya.values.clone(),
        z,
        z_name: measure.to_string(),
        z_unit: unit.to_string(),
    })
}

/// Unit of a measure: not recorded by `.meas`; "V" for the rectified-DC and
/// tone-amplitude measures, "Hz" for tone frequencies, "dBm", "W".
fn measure_unit(file: &Path, measure: &str) -> String {
    let Ok(f) = open(file) else {
        return String::new();
    };
    let dpath = format!(
        "sweep/measures/{}",
        dataset_name(&measure.to_ascii_lowercase())
    );
    f.dataset(&dpath)
        .ok()
        .and_then(|d| d.attrs().ok())
        .and_then(|a| attr_string(a.get("unit")))
        .unwrap_or_default()
}

pub fn measure_file(
    file: &Path,
    measure: &str,
    out: &Path,
    x: Option<&str>,
    curves: Option<&str>,
    at: &[(String, f64)],
    size: (u32, u32),
) -> Result<(), String> {
    let mg = read_measure(file, measure)?;
    let unit = measure_unit(file, measure);
    let p = measure_plot(&mg, measure, &unit, x, curves, at)?;
    render::render_lines(&p, out, size)
}

pub fn map_file(
    file: &Path,
    measure: &str,
    out: &Path,
    x: Option<&str>,
    y: Option<&str>,
    at: &[(String, f64)],
    size: (u32, u32),
) -> Result<(), String> {
    let mg = read_measure(file, measure)?;
    let unit = measure_unit(file, measure);
    let p = map_plot(&mg, measure, &unit, x, y, at)?;
    render::render_map(&p, out, size)
}
