//! Engineering units for axes and labels: values are scaled by a power of
//! 1000 so that the numbers on an axis are between 1 and 1000 and the unit
//! carries the SI prefix (`ns`, `GHz`, `mV`).

/// Units that take SI prefixes. Others (`dBm`, `dB`, `degC`, unitless) are
/// drawn as they are.
const PREFIXABLE: &[&str] = &["s", "Hz", "V", "A", "W", "Ohm", "F", "H", "T", "m"];

const PREFIXES: &[(i32, &str)] = &[
    (-15, "f"),
    (-12, "p"),
    (-9, "n"),
    (-6, "µ"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
];

/// Scale factor and prefixed unit for values up to `max_abs` in `unit`:
/// multiply the values by the factor and label the axis with the unit.
pub fn scale_for(unit: &str, max_abs: f64) -> (f64, String) {
    if !(PREFIXABLE.contains(&unit) && max_abs.is_finite() && max_abs > 0.0) {
        return (1.0, unit.to_string());
    }
    let e3 = ((max_abs.log10() + 1e-9) / 3.0).floor() as i32 * 3;
    let e3 = e3.clamp(-15, 12);
    let prefix = PREFIXES
        .iter()
        .find(|(e, _)| *e == e3)
        .map(|(_, p)| *p)
        .unwrap_or("");
    (10f64.powi(-e3), format!("{prefix}{unit}"))
}

/// `2.4e9, "Hz"` → `"2.4 GHz"`; `-10, "dBm"` → `"-10 dBm"`.
pub fn eng(v: f64, unit: &str) -> String {
    let (f, u) = scale_for(unit, v.abs());
    let s = tick(v * f);
    if u.is_empty() {
        s
    } else {
        format!("{s} {u}")
    }
}

/// A tick label: at most 4 significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() < 1e-12 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&mag) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// `name [unit]`, or `name` when unitless.
pub fn label(name: &str, unit: &str) -> String {
    if unit.is_empty() {
        name.to_string()
    } else {
        format!("{name} [{unit}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(scale_for("s", 20e-9), (1e9, "ns".to_string()));
        let (f, u) = scale_for("Hz", 5e9);
        assert_eq!(u, "GHz");
        assert!((f * 5e9 - 5.0).abs() < 1e-12);
        assert_eq!(scale_for("V", 0.0123).1, "mV");
        assert_eq!(scale_for("V", 1.0).1, "V");
        assert_eq!(scale_for("V", 999.0).1, "V");
        assert_eq!(scale_for("dBm", 1e-3), (1.0, "dBm".to_string()));
        assert_eq!(scale_for("", 1e-3), (1.0, String::new()));
    }

    #[test]
    fn labels() {
        assert_eq!(eng(2.4e9, "Hz"), "2.4 GHz");
        assert_eq!(eng(-10.0, "dBm"), "-10 dBm");
        assert_eq!(eng(1.5e-3, "V"), "1.5 mV");
        assert_eq!(tick(0.30000000000000004), "0.3");
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(1234.0), "1234");
        assert_eq!(label("time", "ns"), "time [ns]");
    }
}
