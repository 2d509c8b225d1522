//! Helpers shared by the three writers: error construction, group naming and the
//! bookkeeping of the `Sink` call order.

use super::{AnalysisInfo, AnalysisKind};
use std::fmt::Display;
use std::io;
use std::path::Path;

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
