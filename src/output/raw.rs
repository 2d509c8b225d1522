//! ngspice binary rawfile writer (read by ngspice `load`, KiCad, gaw).
//!
//! # Format
//!
//! One *plot* per analysis (and per step point), concatenated in one file. Each
//! plot is the header ngspice 39 writes with `ngspice -b -r`, byte for byte:
//!
//! ```text
//! Title: <title>
//! Date: Sun Nov 22 12:47:58  2026
//! Plotname: Transient Analysis
//! Flags: real
//! No. Variables: 4
//! No. Points: 62
//! Variables:
//! \t0\ttime\ttime
//! \t1\tv(a)\tvoltage
//! \t2\tv(b)\tvoltage
//! \t3\ti(v1)\tcurrent
//! Binary:
//! ```
//!
//! followed by the points: one row per point, every variable as a little-endian
//! `f64` (complex plots, `Flags: complex`: a `re, im` pair per variable, the
//! frequency included with `im = 0`).
//!
//! - Plot names: `Operating Point`, `DC transfer characteristic`,
//!   `AC Analysis`, `Transient Analysis`.
//! - Variable 0 is the sweep (`time`, `frequency`, the `.dc` source); an
//!   operating point has no sweep variable, as in ngspice.
//! - Variable types come from the unit: `s` → `time`, `Hz` → `frequency`,
//!   `V` → `voltage`, `A` → `current`, `W` → `power`, `Ohm` → `impedance`,
//!   `S` → `admittance`, `F` → `capacitance`, `dB` → `decibel`, anything else
//!   (magnetization components, …) → `notype`.
//! - Whitespace in a name (which would break the header) is written as `_`.
//! - `No. Points:` is an 8-character field, written `0` when the plot starts and
//!   patched in place as blocks of points are flushed (about every MiB) and at
//!   `end_analysis`, so a file cut short by a crash still describes the points it
//!   holds. A plot of more than 99 999 999 points does not fit the field and is
//!   refused.
//! - In a `.step` run the title of each plot names the point:
//!   `<title> (step 3: r1=1e3, c1=1e-12)`.
//! - The `Date:` line is in UTC (ngspice uses local time) and ngspice's
//!   `grid=3` hint for logarithmic AC sweeps is not written (the sweep kind is
//!   not known to the writer); both are cosmetic.
//! - Measures have no place in a rawfile and are not written.
//! - Completeness: as for CSV, the sidecar `OUT.raw.incomplete` exists from
//!   the start of the run until every analysis has finished; the file is
//!   locked for the whole run, so a second run on it is refused.
use super::common::{
    check_point, civil_from_days, claim_with_marker, misuse, with_path, IncompleteMarker,
};
use super::*;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Bytes of point data buffered before they are written and `No. Points` patched.
const BLOCK_BYTES: usize = 1 << 20;
/// Width of the `No. Points:` field (ngspice reserves 8 characters).
const COUNT_WIDTH: usize = 8;

/// Streams results into an ngspice binary rawfile.
pub struct RawSink {
    path: PathBuf,
    file: File,
    /// End of the data written to `file`.
    end: u64,
    buf: Vec<u8>,
    title: String,
    date: String,
    steps: Option<StepInfo>,
    point: Option<usize>,
    plot: Option<Plot>,
    finished: bool,
    marker: IncompleteMarker,
}

struct Plot {
    info: AnalysisInfo,
    /// File offset of the `No. Points:` value.
    count_at: u64,
    /// Points handed to `point` (buffered or written).
    points: u64,
    /// Points whose bytes are in the file.
    written: u64,
    /// Points in `buf`.
    buffered: u64,
    with_sweep: bool,
}

/// The rawfile variable type of a unit.
fn var_type(unit: &str) -> &'static str {
    match unit {
        "s" => "time",
        "Hz" => "frequency",
        "V" => "voltage",
        "A" => "current",
        "W" => "power",
        "Ohm" | "ohm" | "Ω" => "impedance",
        "S" => "admittance",
        "F" => "capacitance",
        "dB" => "decibel",
        _ => "notype",
    }
}

fn plot_name(kind: AnalysisKind) -> &'static str {
    match kind {
        AnalysisKind::Op => "Operating Point",
        AnalysisKind::Dc => "DC transfer characteristic",
        AnalysisKind::Ac => "AC Analysis",
        AnalysisKind::Tran => "Transient Analysis",
        AnalysisKind::Hb => "Harmonic Balance Spectrum",
        AnalysisKind::HbTd => "Harmonic Balance Waveform",
    }
}

/// A name safe for the tab-separated `Variables:` lines.
fn var_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect()
}

/// A one-line title (header lines end at the newline).
fn one_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim_end().to_string()
}

/// `Sun Nov 22 12:47:58  2026`: ngspice's `datestring()` (asctime with the
/// year separated by two spaces), in UTC.
pub(crate) fn ngspice_date(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02}  {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        y
    )
}

impl RawSink {
    /// Claims (locks, then truncates) the rawfile and writes the
    /// incompleteness marker.
    pub fn create(path: &Path) -> io::Result<RawSink> {
        let (file, marker) = claim_with_marker(path)?;
        Ok(RawSink {
            path: path.to_path_buf(),
            file,
            end: 0,
            buf: Vec::with_capacity(BLOCK_BYTES + 4096),
            title: String::new(),
            date: ngspice_date(SystemTime::now()),
            steps: None,
            point: None,
            plot: None,
            finished: false,
            marker,
        })
    }

    fn check_open(&self) -> io::Result<()> {
        if self.finished {
            return Err(misuse(&self.path, "rawfile already finished"));
        }
        Ok(())
    }

    fn write_at_end(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file
            .seek(SeekFrom::Start(self.end))
            .and_then(|_| self.file.write_all(bytes))
            .map_err(|e| with_path(&self.path, "write failed", e))?;
        self.end += bytes.len() as u64;
        Ok(())
    }

    /// Writes the buffered points, then patches `No. Points` to count them.
    fn flush_block(&mut self) -> io::Result<()> {
        let Some(plot) = &self.plot else {
            return Ok(());
        };
        if plot.buffered == 0 && plot.written > 0 {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let res = self.write_at_end(&buf);
        self.buf = buf;
        self.buf.clear();
        res?;
        let Some(plot) = &mut self.plot else {
            return Ok(());
        };
        plot.written += plot.buffered;
        plot.buffered = 0;
        let count = plot.written.to_string();
        if count.len() > COUNT_WIDTH {
            return Err(misuse(
                &self.path,
                format!(
                    "plot '{}' has more than 99999999 points, which the rawfile's 'No. Points' field cannot hold",
                    plot_name(plot.info.kind)
                ),
            ));
        }
        let at = plot.count_at;
        self.file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.write_all(count.as_bytes()))
            .map_err(|e| with_path(&self.path, "cannot update 'No. Points'", e))
    }

    fn close_plot(&mut self) -> io::Result<()> {
        let res = self.flush_block();
        self.plot = None;
        res
    }
}

impl Sink for RawSink {
    fn begin_run(
        &mut self,
        title: &str,
        _netlist: &str,
        steps: Option<&StepInfo>,
    ) -> io::Result<()> {
        self.check_open()?;
        self.title = one_line(title);
        self.steps = steps.cloned();
        Ok(())
    }

    fn begin_point(&mut self, index: usize) -> io::Result<()> {
        self.check_open()?;
        self.point = Some(index);
        Ok(())
    }

    fn begin_analysis(&mut self, info: &AnalysisInfo) -> io::Result<()> {
        self.check_open()?;
        if self.plot.is_some() {
            return Err(misuse(
                &self.path,
                format!(
                    "begin_analysis({}) while another analysis is open",
                    info.kind.name()
                ),
            ));
        }
        let with_sweep = info.kind != AnalysisKind::Op;
        let mut title = self.title.clone();
        if let (Some(steps), Some(k)) = (&self.steps, self.point) {
            let vals = steps.values.get(k).map(Vec::as_slice).unwrap_or(&[]);
            let desc: Vec<String> = steps
                .params
                .iter()
                .zip(vals)
                .map(|(p, v)| format!("{}={v:e}", one_line(p)))
                .collect();
            title = format!("{title} (step {k}: {})", desc.join(", "));
        }
        let nvars = info.signals.len() + usize::from(with_sweep);
        let mut head = format!(
            "Title: {title}\nDate: {}\nPlotname: {}\nFlags: {}\nNo. Variables: {nvars}\nNo. Points: ",
            self.date,
            plot_name(info.kind),
            if info.complex { "complex" } else { "real" },
        );
        let count_at = self.end + head.len() as u64;
        head.push_str(&format!("{:<COUNT_WIDTH$}\nVariables:\n", 0));
        let mut index = 0;
        if with_sweep {
            head.push_str(&format!(
                "\t0\t{}\t{}\n",
                var_name(&info.sweep.name),
                var_type(&info.sweep.unit)
            ));
            index = 1;
        }
        for s in &info.signals {
            head.push_str(&format!(
                "\t{index}\t{}\t{}\n",
                var_name(&s.name),
                var_type(&s.unit)
            ));
            index += 1;
        }
        head.push_str("Binary:\n");
        self.write_at_end(head.as_bytes())?;
        self.plot = Some(Plot {
            info: info.clone(),
            count_at,
            points: 0,
            written: 0,
            buffered: 0,
            with_sweep,
        });
        Ok(())
    }

    fn point(&mut self, sweep: f64, values: &[f64], imag: Option<&[f64]>) -> io::Result<()> {
        let Some(plot) = &mut self.plot else {
            return Err(misuse(&self.path, "point() outside an analysis"));
        };
        check_point(&self.path, &plot.info, values, imag)?;
        let buf = &mut self.buf;
        match imag {
            Some(im) if plot.info.complex => {
                if plot.with_sweep {
                    buf.extend_from_slice(&sweep.to_le_bytes());
                    buf.extend_from_slice(&0f64.to_le_bytes());
                }
                for (re, im) in values.iter().zip(im) {
                    buf.extend_from_slice(&re.to_le_bytes());
                    buf.extend_from_slice(&im.to_le_bytes());
                }
            }
            _ => {
                if plot.with_sweep {
                    buf.extend_from_slice(&sweep.to_le_bytes());
                }
                for v in values {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        plot.points += 1;
        plot.buffered += 1;
        if self.buf.len() >= BLOCK_BYTES {
            self.flush_block()?;
        }
        Ok(())
    }

    fn end_analysis(&mut self) -> io::Result<()> {
        if self.plot.is_none() {
            return Err(misuse(
                &self.path,
                "end_analysis() without begin_analysis()",
            ));
        }
        self.close_plot()
    }

    fn measures(&mut self, _values: &[MeasureValue]) -> io::Result<()> {
        self.check_open()
    }

    fn end_point(&mut self, _index: usize, _status: &PointStatus) -> io::Result<()> {
        self.check_open()?;
        if self.plot.is_some() {
            self.close_plot()?;
        }
        self.point = None;
        Ok(())
    }

    fn finish(&mut self, complete: bool) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.close_plot()?;
        self.file
            .sync_all()
            .map_err(|e| with_path(&self.path, "cannot sync", e))?;
        self.marker.finish(complete, &self.path)
    }
}

impl Drop for RawSink {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: keep the points of an analysis cut short.
            let _ = self.close_plot();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn date_like_ngspice() {
        // 2026-11-22 12:47:58 UTC, a Sunday.
        let t = UNIX_EPOCH + Duration::from_secs(1_795_351_678);
        assert_eq!(ngspice_date(t), "Sun Nov 22 12:47:58  2026");
        // Single-digit days are space-padded as asctime does.
        let t = UNIX_EPOCH + Duration::from_secs(86_400 + 3661);
        assert_eq!(ngspice_date(t), "Fri Jan  2 01:01:01  1970");
    }

    #[test]
    fn types_from_units() {
        assert_eq!(var_type("V"), "voltage");
        assert_eq!(var_type("A"), "current");
        assert_eq!(var_type("s"), "time");
        assert_eq!(var_type("Hz"), "frequency");
        assert_eq!(var_type(""), "notype");
        assert_eq!(var_name("a b\tc"), "a_b_c");
    }
}
