//! Drawing with plotters (no system font or graphics library: the bitmap
//! and SVG backends only, and the embedded DejaVu Sans font).

use super::units::{label, scale_for, tick};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/DejaVuSans-LICENSE.txt).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn register_font() -> Result<(), String> {
    static ONCE: Once = Once::new();
    let mut res = Ok(());
    ONCE.call_once(|| {
        res = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font cannot be read".to_string());
    });
    res
}

/// A named curve.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// Curves over a common x axis.
#[derive(Debug, Clone)]
pub struct LinePlot {
    pub title: String,
    pub x_name: String,
    pub x_unit: String,
    pub y_name: String,
    pub y_unit: String,
    pub series: Vec<Series>,
    /// Draw a marker at each point (sweep results); else lines only.
    pub markers: bool,
}

/// A value per cell of a grid over two parameters.
#[derive(Debug, Clone)]
pub struct MapPlot {
    pub title: String,
    pub x_name: String,
    pub x_unit: String,
    pub x: Vec<f64>,
    pub y_name: String,
    pub y_unit: String,
    pub y: Vec<f64>,
    /// `z[iy * x.len() + ix]`; NaN = no value (drawn grey).
    pub z: Vec<f64>,
    pub z_name: String,
    pub z_unit: String,
}

const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Viridis colour map, 0 → dark blue, 1 → yellow.
pub fn viridis(t: f64) -> RGBColor {
    const C: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let s = t * (C.len() - 1) as f64;
    let i = (s.floor() as usize).min(C.len() - 2);
    let f = s - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
    RGBColor(
        mix(C[i].0, C[i + 1].0),
        mix(C[i].1, C[i + 1].1),
        mix(C[i].2, C[i + 1].2),
    )
}

fn e2s<E: std::fmt::Display>(e: E) -> String {
    format!("cannot draw: {e}")
}

/// Finite range with a margin; a flat range is widened.
fn range(vals: impl Iterator<Item = f64>, margin: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return None;
    }
    if hi - lo <= 1e-12 * hi.abs().max(lo.abs()).max(1e-300) {
        let d = if hi == 0.0 { 1.0 } else { 0.05 * hi.abs() };
        return Some((lo - d, hi + d));
    }
    let d = margin * (hi - lo);
    Some((lo - d, hi + d))
}

/// Chooses the backend from the extension of `out`.
fn with_backend(
    out: &Path,
    size: (u32, u32),
    draw_png: impl FnOnce(DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
    draw_svg: impl FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<(), String> {
    register_font()?;
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => draw_png(BitMapBackend::new(out, size).into_drawing_area()),
        "svg" => draw_svg(SVGBackend::new(out, size).into_drawing_area()),
        _ => Err(format!(
            "cannot tell the image format of '{}': use .png or .svg",
            out.display()
        )),
    }
}

/// Draws curves into a PNG or SVG file (by extension).
pub fn render_lines(p: &LinePlot, out: &Path, size: (u32, u32)) -> Result<(), String> {
    with_backend(out, size, |r| draw_lines(r, p), |r| draw_lines(r, p))?;
    check_written(out)
}

/// Draws a heat map into a PNG or SVG file (by extension).
pub fn render_map(p: &MapPlot, out: &Path, size: (u32, u32)) -> Result<(), String> {
    with_backend(out, size, |r| draw_map(r, p), |r| draw_map(r, p))?;
    check_written(out)
}

fn check_written(out: &Path) -> Result<(), String> {
    match std::fs::metadata(out) {
        Ok(m) if m.len() > 0 => Ok(()),
        _ => Err(format!("could not write '{}'", out.display())),
    }
}

/// Runs of finite points (a NaN breaks a curve).
fn segments(x: &[f64], y: &[f64], xf: f64, yf: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            if let Some(last) = out.last_mut() {
                last.push((a * xf, b * yf));
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn draw_lines<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    p: &LinePlot,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(e2s)?;
    let xs = || p.series.iter().flat_map(|s| s.x.iter().copied());
    let ys = || p.series.iter().flat_map(|s| s.y.iter().copied());
    let (x0, x1) = range(xs(), 0.0).ok_or("nothing to draw: no finite x values")?;
    let (y0, y1) = range(ys(), 0.05).ok_or("nothing to draw: no finite values")?;
    let (xf, xu) = scale_for(&p.x_unit, x0.abs().max(x1.abs()));
    let (yf, yu) = scale_for(&p.y_unit, y0.abs().max(y1.abs()));
    let mut chart = ChartBuilder::on(&root)
        .caption(&p.title, (FAMILY, 20))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(80)
        .build_cartesian_2d(x0 * xf..x1 * xf, y0 * yf..y1 * yf)
        .map_err(e2s)?;
    let fmt = |v: &f64| tick(*v);
    chart
        .configure_mesh()
        .x_desc(label(&p.x_name, &xu))
        .y_desc(label(&p.y_name, &yu))
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(e2s)?;
    for (i, s) in p.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let style = color.stroke_width(2);
        for (j, seg) in segments(&s.x, &s.y, xf, yf).into_iter().enumerate() {
            let ann = chart
                .draw_series(LineSeries::new(seg.clone(), style))
                .map_err(e2s)?;
            if j == 0 {
                ann.label(s.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
            if p.markers {
                chart
                    .draw_series(seg.iter().map(|&pt| Circle::new(pt, 3, color.filled())))
                    .map_err(e2s)?;
            }
        }
    }
    if p.series.len() > 1 || p.series.first().is_some_and(|s| !s.label.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FAMILY, 14))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(e2s)?;
    }
    root.present().map_err(e2s)
}

/// Cell edges around grid values: midpoints, and half a step outside.
fn edges(v: &[f64]) -> Vec<f64> {
    match v.len() {
        0 => vec![0.0, 1.0],
        1 => {
            let d = if v[0] == 0.0 { 0.5 } else { 0.05 * v[0].abs() };
            vec![v[0] - d, v[0] + d]
        }
        n => {
            let mut e = Vec::with_capacity(n + 1);
            e.push(v[0] - 0.5 * (v[1] - v[0]));
            for w in v.windows(2) {
                e.push(0.5 * (w[0] + w[1]));
            }
            e.push(v[n - 1] + 0.5 * (v[n - 1] - v[n - 2]));
            e
        }
    }
}

fn draw_map<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, p: &MapPlot) -> Result<(), String> {
    let (nx, ny) = (p.x.len(), p.y.len());
    if nx == 0 || ny == 0 || p.z.len() != nx * ny {
        return Err("map: the values do not fill the grid".into());
    }
    root.fill(&WHITE).map_err(e2s)?;
    let (w, _) = root.dim_in_pixel();
    let (main, bar) = root.split_horizontally(w.saturating_sub(130).max(100));
    let (zlo, zhi) = range(p.z.iter().copied(), 0.0).ok_or("map: no finite values")?;
    let ex = edges(&p.x);
    let ey = edges(&p.y);
    let (xf, xu) = scale_for(&p.x_unit, ex[0].abs().max(ex[nx].abs()));
    let (yf, yu) = scale_for(&p.y_unit, ey[0].abs().max(ey[ny].abs()));
    let (zf, zu) = scale_for(&p.z_unit, zlo.abs().max(zhi.abs()));
    let (xa, xb) = (ex[0].min(ex[nx]) * xf, ex[0].max(ex[nx]) * xf);
    let (ya, yb) = (ey[0].min(ey[ny]) * yf, ey[0].max(ey[ny]) * yf);
    let mut chart = ChartBuilder::on(&main)
        .caption(&p.title, (FAMILY, 20))
        .margin(16)
        .x_label_area_size(52)
        .y_label_area_size(80)
        .build_cartesian_2d(xa..xb, ya..yb)
        .map_err(e2s)?;
    let fmt = |v: &f64| tick(*v);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(label(&p.x_name, &xu))
        .y_desc(label(&p.y_name, &yu))
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 16))
        .draw()
        .map_err(e2s)?;
    let span = zhi - zlo;
    let cells = (0..ny).flat_map(|iy| (0..nx).map(move |ix| (ix, iy)));
    chart
        .draw_series(cells.map(|(ix, iy)| {
            let z = p.z[iy * nx + ix];
            let color = if z.is_finite() {
                viridis((z - zlo) / span)
            } else {
                RGBColor(200, 200, 200)
            };
            Rectangle::new(
                [
                    (ex[ix] * xf, ey[iy] * yf),
                    (ex[ix + 1] * xf, ey[iy + 1] * yf),
                ],
                color.filled(),
            )
        }))
        .map_err(e2s)?;
    // Colour bar.
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(52)
        .margin_bottom(68)
        .margin_right(8)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, zlo * zf..zhi * zf)
        .map_err(e2s)?;
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(label(&p.z_name, &zu))
        .y_label_formatter(&fmt)
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 15))
        .draw()
        .map_err(e2s)?;
    let steps = 128;
    cb.draw_series((0..steps).map(|k| {
        let a = zlo + span * k as f64 / steps as f64;
        let b = zlo + span * (k + 1) as f64 / steps as f64;
        Rectangle::new(
            [(0.0, a * zf), (1.0, b * zf)],
            viridis((k as f64 + 0.5) / steps as f64).filled(),
        )
    }))
    .map_err(e2s)?;
    root.present().map_err(e2s)
}
