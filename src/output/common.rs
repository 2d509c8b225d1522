//! Helpers shared by the three writers: error construction, group naming and the
//! bookkeeping of the `Sink` call order.

use super::{AnalysisInfo, AnalysisKind};
use std::fmt::Display;
use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::Path;

/// Opens the output `path` for reading and writing, without truncating it,
/// and takes an exclusive advisory lock on it (`flock`), held until the
/// returned file is dropped: the run *owns* the file. Only then is it
/// truncated. A file that another process holds locked (a spinspice run
/// writing it, an HDF5 reader with file locking on) is left untouched and
/// the error says so: a second writer is refused, it never damages the file
/// of the first. The lock is released by the kernel when the process ends,
/// however it ends (SIGKILL included), so no stale lock remains. On a file
/// system without locks (some network mounts) the file is used unlocked.
///
/// `before_truncate` runs once the lock is held and before the truncation
/// (the CSV and raw writers put their incompleteness marker there, so that
/// no moment exists where the data is cut and the marker absent).
pub(crate) fn claim_output(
    path: &Path,
    before_truncate: impl FnOnce() -> io::Result<()>,
) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| with_path(path, "cannot create", e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(io::Error::new(
                io::ErrorKind::ResourceBusy,
                format!(
                    "'{}' is in use by another process (another spinspice run writing it, or a \
                     program reading it with an HDF5 file lock); it was left untouched. Wait \
                     until that run ends or choose another output file (a sweep split over \
                     several jobs writes one file per job: `--shard K/N`, then `spinspice merge`)",
                    path.display()
                ),
            ))
        }
        // No locking on this file system: proceed without (nothing to protect with).
        Err(TryLockError::Error(_)) => {}
    }
    before_truncate()?;
    file.set_len(0)
        .map_err(|e| with_path(path, "cannot truncate", e))?;
    Ok(file)
}

/// [`claim_output`] with the incompleteness marker written before the
/// truncation (CSV, raw).
pub(crate) fn claim_with_marker(path: &Path) -> io::Result<(File, IncompleteMarker)> {
    let mut marker = None;
    let f = claim_output(path, || {
        marker = Some(IncompleteMarker::create(path)?);
        Ok(())
    })?;
    let marker = marker.ok_or_else(|| misuse(path, "no incompleteness marker"))?;
    Ok((f, marker))
}

/// The sidecar `OUT.incomplete` (the output's full name plus `.incomplete`)
/// of the formats that have no completeness flag of their own (CSV, raw):
/// it exists from the start of a run until the run has finished every
/// analysis, so a run that failed, was interrupted or was killed (even by
/// SIGKILL) leaves it beside its partial files. It holds one line saying why.
pub(crate) struct IncompleteMarker {
    path: std::path::PathBuf,
}

impl IncompleteMarker {
    pub(crate) fn path_for(out: &Path) -> std::path::PathBuf {
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(".incomplete");
        out.with_file_name(name)
    }

    /// Writes the marker ("run in progress, or killed").
    pub(crate) fn create(out: &Path) -> io::Result<IncompleteMarker> {
        let m = IncompleteMarker {
            path: Self::path_for(out),
        };
        m.say(&format!(
            "spinspice run (pid {}) in progress, or killed: '{}' may be incomplete\n",
            std::process::id(),
            out.display()
        ))?;
        Ok(m)
    }

    /// Replaces the marker's text.
    pub(crate) fn say(&self, text: &str) -> io::Result<()> {
        std::fs::write(&self.path, text).map_err(|e| with_path(&self.path, "cannot write", e))
    }

    /// At the end of the run: the marker goes if every analysis finished,
    /// else says so.
    pub(crate) fn finish(&self, complete: bool, out: &Path) -> io::Result<()> {
        if complete {
            self.remove()
        } else {
            self.say(&format!(
                "the run ended before every analysis finished: '{}' holds the results computed so far\n",
                out.display()
            ))
        }
    }

    /// The run finished every analysis: the marker goes.
    pub(crate) fn remove(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(with_path(&self.path, "cannot remove", e))
            }
            _ => Ok(()),
        }
    }
}

/// Adds the path (and what was being done) to an `io::Error`, keeping its kind.
pub(crate) fn with_path(path: &Path, doing: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {doing}: {e}", path.display()))
}

/// A call that breaks the `Sink` call order or hands inconsistent data.
pub(crate) fn misuse(path: &Path, what: impl Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: {what}", path.display()),
    )
}

/// Names the groups of one run point: the first analysis of a kind is
/// `tran`, the second `tran_2`, … Reset at each step point so that point `k`'s
/// second transient is `tran_2` in every point.
#[derive(Debug, Default)]
pub(crate) struct GroupNamer {
    counts: [usize; 6],
}

impl GroupNamer {
    pub(crate) fn reset(&mut self) {
        self.counts = [0; 6];
    }

    /// The group name of the next analysis of `kind`.
    pub(crate) fn next(&mut self, kind: AnalysisKind) -> String {
        let slot = kind.index();
        self.counts[slot] += 1;
        match self.counts[slot] {
            1 => kind.name().to_string(),
            n => format!("{}_{n}", kind.name()),
        }
    }
}

/// Checks the arguments of `Sink::point` against the analysis description.
pub(crate) fn check_point(
    path: &Path,
    info: &AnalysisInfo,
    values: &[f64],
    imag: Option<&[f64]>,
) -> io::Result<()> {
    if values.len() != info.signals.len() {
        return Err(misuse(
            path,
            format!(
                "{} point has {} values for {} signals",
                info.kind.name(),
                values.len(),
                info.signals.len()
            ),
        ));
    }
    if info.complex {
        match imag {
            Some(im) if im.len() == values.len() => {}
            Some(im) => {
                return Err(misuse(
                    path,
                    format!(
                        "{} point has {} imaginary parts for {} signals",
                        info.kind.name(),
                        im.len(),
                        values.len()
                    ),
                ))
            }
            None => {
                return Err(misuse(
                    path,
                    format!(
                        "{} analysis is complex but a point came without imaginary parts",
                        info.kind.name()
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_count_per_kind() {
        let mut n = GroupNamer::default();
        assert_eq!(n.next(AnalysisKind::Tran), "tran");
        assert_eq!(n.next(AnalysisKind::Ac), "ac");
        assert_eq!(n.next(AnalysisKind::Tran), "tran_2");
        n.reset();
        assert_eq!(n.next(AnalysisKind::Tran), "tran");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        // 2000-03-01 is day 11017; 2024-02-29 is day 19782.
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
