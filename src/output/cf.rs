//! CF-style metadata of the HDF5 datasets: `units` and `long_name` (the CF
//! conventions, which xarray and the netCDF tools read). The dimension
//! scales (`CLASS`, `NAME` and the references that attach them) are written
//! by [`super::dimscale`] at the end of the run.
//!
//! These attributes are written with each dataset, so a killed run's file
//! has them too. They come beside the older `unit` attribute, which stays.
use super::SignalInfo;
use hdf5_pure::{AttrValue, DatasetBuilder};

/// A fixed-length UTF-8 string attribute (h5py: `numpy.bytes_`, which
/// h5netcdf and xarray decode to `str`).
fn fixed(s: &str) -> AttrValue {
    AttrValue::String(s.to_string())
}

/// The CF spelling of one of our unit strings. `""` (unitless) is `"1"`;
/// udunits spells the ohm in lower case.
pub fn cf_units(unit: &str) -> String {
    match unit {
        "" => "1".to_string(),
        "Ohm" => "ohm".to_string(),
        u => u.to_string(),
    }
}

/// A human description of a signal or axis name.
pub fn long_name(name: &str) -> String {
    match name {
        "time" => return "time".into(),
        "frequency" => return "frequency".into(),
        "index" => return "operating point".into(),
        _ => {}
    }
    if let Some(rest) = name.strip_prefix("v(").and_then(|r| r.strip_suffix(')')) {
        return match rest.split_once(',') {
            Some((a, b)) => format!("voltage between {} and {}", a.trim(), b.trim()),
            None => format!("voltage at node {rest}"),
        };
    }
    if let Some(rest) = name.strip_prefix("i(").and_then(|r| r.strip_suffix(')')) {
        return format!("current through {rest}");
    }
    if let Some(rest) = name.strip_prefix('@') {
        if let Some((dev, var)) = rest.split_once('[') {
            return format!("{} of device {dev}", var.trim_end_matches(']'));
        }
    }
    name.to_string()
}

/// `units` and `long_name` of a signal or sweep dataset.
pub fn signal_attrs(b: &mut DatasetBuilder, sig: &SignalInfo) {
    b.set_attr("units", fixed(&cf_units(&sig.unit)));
    b.set_attr("long_name", fixed(&long_name(&sig.name)));
}

/// A swept parameter (unit `unit`, `""` when not known).
pub fn axis_attrs(b: &mut DatasetBuilder, name: &str, unit: &str) {
    if !unit.is_empty() {
        b.set_attr("units", fixed(unit));
    }
    b.set_attr("long_name", fixed(&format!("swept parameter {name}")));
}

/// The `long_name` of a measure.
pub fn measure_long_name(name: &str, analysis: &str) -> String {
    format!("measure {name} ({analysis})")
}

/// A measure over the points or the grid. Its unit follows from what it
/// measures (`""` = not known: no `units`).
pub fn measure_attrs(b: &mut DatasetBuilder, name: &str, analysis: &str, unit: &str) {
    if !unit.is_empty() {
        b.set_attr("units", fixed(&cf_units(unit)));
    }
    b.set_attr("long_name", fixed(&measure_long_name(name, analysis)));
}

/// The status array of the points (CF flags).
pub fn status_attrs(b: &mut DatasetBuilder) {
    b.set_attr("long_name", fixed("status of the point"));
    b.set_attr("flag_values", AttrValue::I32Array(vec![-1, 0, 1]));
    b.set_attr("flag_meanings", fixed("not_run ok failed"));
}

/// The point index of `/steps` and of the per-point `/measures`.
pub fn point_attrs(b: &mut DatasetBuilder) {
    b.set_attr("long_name", fixed("step point"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(long_name("v(out)"), "voltage at node out");
        assert_eq!(long_name("v(a, b)"), "voltage between a and b");
        assert_eq!(long_name("i(v1)"), "current through v1");
        assert_eq!(long_name("@m1[mx]"), "mx of device m1");
        assert_eq!(long_name("time"), "time");
        assert_eq!(long_name("r1"), "r1");
        assert_eq!(cf_units(""), "1");
        assert_eq!(cf_units("Ohm"), "ohm");
        assert_eq!(cf_units("V"), "V");
    }
}
