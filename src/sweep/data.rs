//! Data tables (`.data`): the rows of a table are the points of a sweep
//! axis (`.step data=NAME`, Xyce). Each column names a `.param` (or a
//! source or resistor, as `.step` does); point `k` of the axis sets every
//! column to its value in row `k`. The axis (named after the table) holds
//! the row numbers, so arrays over the sweep map back to the rows.
//!
//! Where the values come from:
//! - inline (Xyce): `.data NAME n1 n2 … v11 v12 … v21 …` (usually on `+`
//!   lines) and `.enddata`;
//! - a text file: `.data NAME file=PATH [rows=A:B]` — a header line of
//!   column names, then one row of numbers per line, separated by commas
//!   and/or white space (CSV or whitespace tables; SPICE suffixes allowed;
//!   lines starting with `#` or `*` and blank lines are skipped);
//! - an HDF5 dataset: `.data NAME file=PATH dataset=D param=P [rows=A:B]` —
//!   a 2-D dataset (rows × columns, any integer or float type) whose column
//!   `c` is the parameter `P<c>` (`P0`, `P1`, …), or a 1-D dataset, the one
//!   column `P`. Only the selected rows are read (hdf5-pure's row windows).
//!
//! `rows=A:B` keeps rows A … B−1 (0-based; `A:` to the end; `A` one row);
//! the axis values are then A … B−1. Relative paths are relative to the
//! directory of the netlist file that holds the `.data` line. The tables
//! are read once, when the sweep starts, on the calling thread.

use crate::diag::Diagnostic;
use crate::expr::number::parse_number;
use crate::netlist::ast::{DataFile, DataSource, DataStmt};
use std::path::Path;

/// A table ready for the sweep: the selected rows, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    /// Row numbers of the selected rows (the axis values).
    pub rows: Vec<usize>,
    /// `values[r * columns.len() + c]`.
    pub values: Vec<f64>,
}

impl Table {
    /// The values of row number `row` (None if the table does not hold it).
    pub fn row(&self, row: usize) -> Option<&[f64]> {
        let first = *self.rows.first()?;
        let i = row.checked_sub(first)?;
        (i < self.rows.len()).then(|| {
            let n = self.columns.len();
            &self.values[i * n..(i + 1) * n]
        })
    }
}

/// Reads the table of a `.data` statement. Errors name the `.data` line
/// (and the file and line of a text table).
pub fn load(d: &DataStmt) -> Result<Table, Diagnostic> {
    let (columns, first, values) = match &d.source {
        DataSource::Inline { names, values } => {
            let cols: Vec<String> = names.iter().map(|n| n.name.clone()).collect();
            let (a, b) = (0, values.len() / cols.len());
            (cols, a, values[..b * names.len()].to_vec())
        }
        DataSource::File(f) => {
            let path = f.base.join(&f.path);
            let at = |msg: String| Diagnostic::error(f.path_span, msg);
            if !path.is_file() {
                return Err(at(format!(
                    "cannot read '{}': no such file",
                    path.display()
                )));
            }
            match &f.dataset {
                Some(ds) => hdf5_table(&path, &ds.name, f).map_err(at)?,
                None => text_table(&path, f).map_err(at)?,
            }
        }
    };
    let n = columns.len();
    let count = values.len() / n;
    if count == 0 {
        return Err(Diagnostic::error(
            d.span,
            format!("table '{}' has no rows", d.name.name),
        ));
    }
    Ok(Table {
        name: d.name.name.clone(),
        columns,
        rows: (first..first + count).collect(),
        values,
    })
}

/// The selected row range of a table of `total` rows.
fn selection(f: &DataFile, total: usize) -> Result<(usize, usize), String> {
    let (a, b) = match f.rows {
        None => (0, total),
        Some((a, b, _)) => (a, b.unwrap_or(total)),
    };
    if b > total || a >= b {
        return Err(format!(
            "rows={a}:{b} is outside the table's {total} rows (0…{})",
            total.saturating_sub(1)
        ));
    }
    Ok((a, b))
}

/// A CSV/whitespace text table with a header row.
fn text_table(path: &Path, f: &DataFile) -> Result<(Vec<String>, usize, Vec<f64>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    let words = |l: &str| -> Vec<String> {
        l.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !(l.trim().is_empty() || l.trim_start().starts_with(['#', '*'])));
    let Some((hl, header)) = lines.next() else {
        return Err(format!("'{}' is empty", path.display()));
    };
    let columns: Vec<String> = words(header).iter().map(|w| w.to_lowercase()).collect();
    for c in &columns {
        if !crate::expr::parse::is_ident(c) {
            return Err(format!(
                "{}:{}: the header names the columns; '{c}' is not a parameter name",
                path.display(),
                hl + 1
            ));
        }
    }
    let mut values = Vec::new();
    for (ln, l) in lines {
        let w = words(l);
        if w.len() != columns.len() {
            return Err(format!(
                "{}:{}: {} values for {} columns",
                path.display(),
                ln + 1,
                w.len(),
                columns.len()
            ));
        }
        for x in &w {
            match parse_number(x) {
                Some((v, n)) if n == x.len() && v.is_finite() => values.push(v),
                _ => {
                    return Err(format!(
                        "{}:{}: '{x}' is not a number",
                        path.display(),
                        ln + 1
                    ))
                }
            }
        }
    }
    let total = values.len() / columns.len().max(1);
    let (a, b) = selection(f, total)?;
    let n = columns.len();
    Ok((columns, a, values[a * n..b * n].to_vec()))
}

/// A 1-D or 2-D numeric HDF5 dataset; only the selected rows are read.
fn hdf5_table(
    path: &Path,
    dataset: &str,
    f: &DataFile,
) -> Result<(Vec<String>, usize, Vec<f64>), String> {
    let e = |x: hdf5_pure::Error| format!("{}: {x}", path.display());
    let file = hdf5_pure::File::open(path).map_err(e)?;
    let ds = file
        .dataset(dataset)
        .map_err(|x| format!("{}: no dataset '{dataset}' ({x})", path.display()))?;
    let shape = ds.shape().map_err(e)?;
    let prefix = f.param.as_ref().map(|p| p.name.clone()).unwrap_or_default();
    let (total, columns) = match shape.as_slice() {
        [n] => (*n as usize, vec![prefix]),
        [n, m] => (
            *n as usize,
            (0..*m).map(|c| format!("{prefix}{c}")).collect::<Vec<_>>(),
        ),
        _ => {
            return Err(format!(
                "{}: dataset '{dataset}' has shape {shape:?}; a table is 1-D or 2-D",
                path.display()
            ))
        }
    };
    if columns.is_empty() {
        return Err(format!(
            "{}: dataset '{dataset}' has no columns",
            path.display()
        ));
    }
    let (a, b) = selection(f, total)?;
    let values = ds.read_f64_rows(a as u64, (b - a) as u64).map_err(|x| {
        format!(
            "{}: dataset '{dataset}': {x} (a table must be numeric)",
            path.display()
        )
    })?;
    if values.len() != (b - a) * columns.len() {
        return Err(format!(
            "{}: dataset '{dataset}': read {} values for {} rows × {} columns",
            path.display(),
            values.len(),
            b - a,
            columns.len()
        ));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "{}: dataset '{dataset}': row {}, column {} is not a finite number",
            path.display(),
            a + i / columns.len(),
            i % columns.len()
        ));
    }
    Ok((columns, a, values))
}
