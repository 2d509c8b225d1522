//! CSV writer.
//!
//! # Files
//!
//! For an output path `OUT.csv`:
//!
//! | file | content |
//! |---|---|
//! | `OUT.csv` | the first analysis of the run (for example `tran`) |
//! | `OUT.<group>.csv` | every further analysis, by group name: `OUT.ac.csv`, `OUT.tran_2.csv`, … (group names as in the HDF5 layout) |
//! | `OUT.meas.csv` | measures: `name,value,error` (value `NaN` and the message in `error` when a measure failed) |
//! | `OUT.steps.csv` | only for `.step` runs: `index,<params…>,status,error` with status 0 ok, 1 failed, -1 not run |
//! | `OUT.sweep.csv` | only for sweeps: the measures table, one row per point that ran, in point order: `index,<swept params…>,status,<measures…>,error` (a measure that failed or was not computed is `NaN`; `error` is the point's error, else the first failed measure's `name: message`) |
//!
//! Each analysis file starts with a header row: the sweep name first
//! (`time`, `frequency`, the swept source for `.dc`), then one column per
//! signal (`time,v(a),i(v1)`). Complex (AC) signals take two columns,
//! `re(v(out)),im(v(out))`. In a `.step` run every file gets one leading column
//! per swept parameter and all step points' rows go into the same files.
//!
//! Numbers are written with Rust's `{:e}` formatting: the shortest decimal that
//! parses back to the identical `f64` (`1e-9`, `2.5e0`, `NaN`, `inf`). Names
//! containing `,`, `"` or line breaks are quoted RFC 4180 style.
//!
//! Rows are streamed through buffered writers (nothing is held per point);
//! each file is flushed at the end of every analysis and step point.
//!
//! **Completeness.** CSV has no place for a flag that readers would tolerate,
//! so the marker is a sidecar: `OUT.csv.incomplete` is written before any
//! data file is touched and removed only when the run has finished every
//! analysis. A run that failed, was interrupted or was killed (SIGKILL
//! included) leaves it beside the rows written so far; it holds one line
//! saying why.
//!
//! **Ownership.** `OUT.csv` is locked for the whole run ([`super::common::claim_output`]):
//! a second run on the same output is refused and touches none of the files.
use super::common::{
    check_point, claim_with_marker, misuse, with_path, GroupNamer, IncompleteMarker,
};
use super::*;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Streams results into CSV files (see the module documentation for the files).
pub struct CsvSink {
    path: PathBuf,
    /// `OUT.csv`, created by [`CsvSink::create`] and handed to the first group.
    first: Option<BufWriter<File>>,
    groups: HashMap<String, GroupFile>,
    steps: Option<StepInfo>,
    point: Option<usize>,
    namer: GroupNamer,
    current: Option<Current>,
    meas: Option<OutFile>,
    steps_file: Option<OutFile>,
    /// Step points whose status row has been written.
    ended: Vec<bool>,
    finished: bool,
    /// Scratch buffer for one row.
    line: String,
    /// The measures table of a sweep (`OUT.sweep.csv`).
    table: Option<Table>,
    /// `OUT.csv.incomplete`, removed by `finish(true)`.
    marker: IncompleteMarker,
}

struct Table {
    out: OutFile,
    measures: Vec<String>,
    /// Measures of the current point.
    values: Vec<f64>,
    errors: Vec<String>,
}

struct OutFile {
    w: BufWriter<File>,
    path: PathBuf,
}

impl OutFile {
    fn create(path: PathBuf) -> io::Result<OutFile> {
        let f = File::create(&path).map_err(|e| with_path(&path, "cannot create", e))?;
        Ok(OutFile {
            w: BufWriter::with_capacity(1 << 16, f),
            path,
        })
    }

    fn write(&mut self, s: &str) -> io::Result<()> {
        self.w
            .write_all(s.as_bytes())
            .map_err(|e| with_path(&self.path, "write failed", e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w
            .flush()
            .map_err(|e| with_path(&self.path, "write failed", e))
    }
}

struct GroupFile {
    out: OutFile,
    /// The header row, to check that later step points write the same columns.
    header: String,
}

struct Current {
    group: String,
    info: AnalysisInfo,
}

/// Appends `s` to `line`, quoted if it contains a separator, quote or line break.
fn push_field(line: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        line.push('"');
        line.push_str(&s.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(s);
    }
}

fn push_num(line: &mut String, v: f64) {
    // Writing into a String cannot fail.
    let _ = write!(line, "{v:e}");
}

impl CsvSink {
    /// Claims (locks, then truncates) `path` and writes the incompleteness
    /// marker; the other files are created when needed.
    pub fn create(path: &Path) -> io::Result<CsvSink> {
        let (f, marker) = claim_with_marker(path)?;
        Ok(CsvSink {
            path: path.to_path_buf(),
            first: Some(BufWriter::with_capacity(1 << 16, f)),
            groups: HashMap::new(),
            steps: None,
            point: None,
            namer: GroupNamer::default(),
            current: None,
            meas: None,
            steps_file: None,
            ended: Vec::new(),
            finished: false,
            line: String::new(),
            table: None,
            marker,
        })
    }

    /// `OUT.<what>.csv` next to `OUT.csv`.
    fn sibling(&self, what: &str) -> PathBuf {
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = self
            .path
            .extension()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "csv".to_string());
        self.path.with_file_name(format!("{stem}.{what}.{ext}"))
    }

    fn check_open(&self) -> io::Result<()> {
        if self.finished {
            return Err(misuse(&self.path, "CSV output already finished"));
        }
        Ok(())
    }

    /// The step parameters' values of the current point, as leading fields.
    fn push_step_values(&self, line: &mut String) {
        if let (Some(steps), Some(k)) = (&self.steps, self.point) {
            if let Some(vals) = steps.values.get(k) {
                for v in vals {
                    push_num(line, *v);
                    line.push(',');
                }
            }
        }
    }

    fn push_step_names(&self, line: &mut String) {
        if let Some(steps) = &self.steps {
            for p in &steps.params {
                push_field(line, p);
                line.push(',');
            }
        }
    }

    fn write_status(&mut self, index: usize, status: i32, error: &str) -> io::Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let _ = write!(line, "{index},");
        if let Some(vals) = self.steps.as_ref().and_then(|s| s.values.get(index)) {
            for v in vals {
                push_num(&mut line, *v);
                line.push(',');
            }
        }
        let _ = write!(line, "{status},");
        push_field(&mut line, error);
        line.push('\n');
        let res = match &mut self.steps_file {
            Some(f) => f.write(&line),
            None => Ok(()),
        };
        self.line = line;
        if let Some(e) = self.ended.get_mut(index) {
            *e = true;
        }
        res
    }

    /// The row of point `index` in `OUT.sweep.csv`; resets the measures.
    fn write_table_row(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        let Some(mut t) = self.table.take() else {
            return Ok(());
        };
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let _ = write!(line, "{index},");
        if let Some(vals) = self.steps.as_ref().and_then(|s| s.values.get(index)) {
            for v in vals {
                push_num(&mut line, *v);
                line.push(',');
            }
        }
        let (code, mut error) = match status {
            PointStatus::Ok => (0, String::new()),
            PointStatus::Failed(m) => (1, m.clone()),
        };
        let _ = write!(line, "{code}");
        for (j, v) in t.values.iter().enumerate() {
            line.push(',');
            push_num(&mut line, *v);
            if error.is_empty() && !t.errors[j].is_empty() {
                error = format!("{}: {}", t.measures[j], t.errors[j]);
            }
        }
        line.push(',');
        push_field(&mut line, &error);
        line.push('\n');
        let res = t.out.write(&line);
        t.values.iter_mut().for_each(|v| *v = f64::NAN);
        t.errors.iter_mut().for_each(String::clear);
        self.line = line;
        self.table = Some(t);
        res
    }

    fn flush_all(&mut self) -> io::Result<()> {
        for g in self.groups.values_mut() {
            g.out.flush()?;
        }
        if let Some(m) = &mut self.meas {
            m.flush()?;
        }
        if let Some(s) = &mut self.steps_file {
            s.flush()?;
        }
        if let Some(t) = &mut self.table {
            t.out.flush()?;
        }
        if let Some(f) = &mut self.first {
            f.flush()
                .map_err(|e| with_path(&self.path, "write failed", e))?;
        }
        Ok(())
    }
}

impl Sink for CsvSink {
    fn begin_run(
        &mut self,
        _title: &str,
        _netlist: &str,
        steps: Option<&StepInfo>,
    ) -> io::Result<()> {
        self.check_open()?;
        self.steps = steps.cloned();
        if let Some(steps) = steps {
            let mut out = OutFile::create(self.sibling("steps"))?;
            let mut line = String::from("index,");
            self.push_step_names(&mut line);
            line.push_str("status,error\n");
            out.write(&line)?;
            self.steps_file = Some(out);
            self.ended = vec![false; steps.values.len()];
        }
        Ok(())
    }

    fn sweep(&mut self, info: &SweepInfo) -> io::Result<()> {
        self.check_open()?;
        if self.steps.is_none() {
            return Err(misuse(&self.path, "sweep() in a run without .step"));
        }
        let mut out = OutFile::create(self.sibling("sweep"))?;
        let mut line = String::from("index,");
        self.push_step_names(&mut line);
        line.push_str("status");
        for m in &info.measures {
            line.push(',');
            push_field(&mut line, m);
        }
        line.push_str(",error\n");
        out.write(&line)?;
        let n = info.measures.len();
        self.table = Some(Table {
            out,
            measures: info.measures.clone(),
            values: vec![f64::NAN; n],
            errors: vec![String::new(); n],
        });
        Ok(())
    }

    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        self.check_open()?;
        if let Some(steps) = &self.steps {
            if index >= steps.values.len() {
                return Err(misuse(
                    &self.path,
                    format!(
                        "step point {index} out of range ({} points)",
                        steps.values.len()
                    ),
                ));
            }
        }
        self.point = Some(index);
        self.namer.reset();
        Ok(())
    }

    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        self.check_open()?;
        if let Some(cur) = &self.current {
            return Err(misuse(
                &self.path,
                format!(
                    "begin_analysis({}) while '{}' is still open",
                    info.kind.name(),
                    cur.group
                ),
            ));
        }
        let group = self.namer.next(info.kind);
        let mut header = String::new();
        self.push_step_names(&mut header);
        push_field(&mut header, &info.sweep.name);
        for s in &info.signals {
            header.push(',');
            if info.complex {
                push_field(&mut header, &format!("re({})", s.name));
                header.push(',');
                push_field(&mut header, &format!("im({})", s.name));
            } else {
                push_field(&mut header, &s.name);
            }
        }
        header.push('\n');
        match self.groups.get(&group) {
            Some(g) if g.header != header => {
                return Err(misuse(
                    &g.out.path,
                    format!("analysis '{group}' changed its columns between step points"),
                ));
            }
            Some(_) => {}
            None => {
                let mut out = match self.first.take() {
                    Some(w) => OutFile {
                        w,
                        path: self.path.clone(),
                    },
                    None => OutFile::create(self.sibling(&group))?,
                };
                out.write(&header)?;
                self.groups.insert(group.clone(), GroupFile { out, header });
            }
        }
        self.current = Some(Current {
            group,
            info: info.clone(),
        });
        Ok(())
    }

    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        let Some(cur) = &self.current else {
            return Err(misuse(&self.path, "point() outside an analysis"));
        };
        check_point(&self.path, &cur.info, values, imag)?;
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        self.push_step_values(&mut line);
        push_num(&mut line, sweep);
        match imag {
            Some(im) if cur.info.complex => {
                for (re, im) in values.iter().zip(im) {
                    line.push(',');
                    push_num(&mut line, *re);
                    line.push(',');
                    push_num(&mut line, *im);
                }
            }
            _ => {
                for v in values {
                    line.push(',');
                    push_num(&mut line, *v);
                }
            }
        }
        line.push('\n');
        let res = match self.groups.get_mut(&cur.group) {
            Some(g) => g.out.write(&line),
            None => Err(misuse(&self.path, "analysis file missing")),
        };
        self.line = line;
        res
    }

    fn end_analysis(&mut self) -> io::Result<()> {
        let Some(cur) = self.current.take() else {
            return Err(misuse(
                &self.path,
                "end_analysis() without begin_analysis()",
            ));
        };
        match self.groups.get_mut(&cur.group) {
            Some(g) => g.out.flush(),
            None => Ok(()),
        }
    }

    fn measures(&mut self, values: &[MeasureValue]) -> io::Result<()> {
        self.check_open()?;
        if values.is_empty() {
            return Ok(());
        }
        if let Some(t) = &mut self.table {
            for m in values {
                if let Some(j) = t.measures.iter().position(|n| *n == m.name) {
                    match &m.value {
                        Ok(v) => {
                            t.values[j] = *v;
                            t.errors[j].clear();
                        }
                        Err(e) => {
                            t.values[j] = f64::NAN;
                            t.errors[j] = e.clone();
                        }
                    }
                }
            }
        }
        if self.meas.is_none() {
            let mut out = OutFile::create(self.sibling("meas"))?;
            let mut line = String::new();
            self.push_step_names(&mut line);
            line.push_str("name,value,error\n");
            out.write(&line)?;
            self.meas = Some(out);
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for m in values {
            self.push_step_values(&mut line);
            push_field(&mut line, &m.name);
            line.push(',');
            match &m.value {
                Ok(v) => {
                    push_num(&mut line, *v);
                    line.push(',');
                }
                Err(msg) => {
                    push_num(&mut line, f64::NAN);
                    line.push(',');
                    push_field(&mut line, msg);
                }
            }
            line.push('\n');
        }
        let res = match &mut self.meas {
            Some(m) => m.write(&line).and_then(|_| m.flush()),
            None => Ok(()),
        };
        self.line = line;
        res
    }

    fn end_point(&mut self, index: usize, status: &PointStatus) -> io::Result<()> {
        self.check_open()?;
        if self.current.is_some() {
            // An analysis left open by a failure: its rows are complete lines.
            self.end_analysis()?;
        }
        if self.steps.is_some() {
            match status {
                PointStatus::Ok => self.write_status(index, 0, "")?,
                PointStatus::Failed(msg) => self.write_status(index, 1, msg)?,
            }
        }
        self.write_table_row(index, status)?;
        self.point = None;
        self.flush_all()
    }

    fn finish(&mut self, complete: bool) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        if self.current.is_some() {
            self.end_analysis()?;
        }
        if let Some(k) = self.point.take() {
            if self.ended.get(k) == Some(&false) {
                self.write_status(k, 1, "run interrupted")?;
            }
        }
        let not_run: Vec<usize> = (0..self.ended.len()).filter(|&k| !self.ended[k]).collect();
        for k in not_run {
            self.write_status(k, -1, "not run")?;
        }
        self.flush_all()?;
        self.finished = true;
        self.marker.finish(complete, &self.path)
    }
}
