//! SPICE numbers: `1.5`, `1e-3`, engineering suffixes `f p n u m k meg g t mil`
//! (case-insensitive, also `µ`), trailing unit letters ignored (`10pF`, `1kHz`).
//!
//! The rules are ngspice's (`INPevaluate`), checked letter by letter against
//! ngspice-39 (`I1 0 1 1<suffix>` into 1 Ω, `.op`):
//!
//! | text | value | note |
//! |---|---|---|
//! | `1T` `1G` `1K` | 1e12, 1e9, 1e3 | |
//! | `1MEG` `1Mega` | 1e6 | `meg` prefix |
//! | `1MIL` `1Milli` | 25.4e-6 | `mil` prefix wins over `m` (ngspice too) |
//! | `1M` `1MA` `1meter` | 1e-3 | any other `m…` is milli |
//! | `1U` `1µ` | 1e-6 | |
//! | `1N` `1P` `1F` | 1e-9, 1e-12, 1e-15 | `1F` is femto, not farad |
//! | `1A` `1amp` `1V` `1Ohm` `1Hz` `1s` `1X` `1d` | 1 | not a suffix: a unit, ignored |
//!
//! `A` is **not** atto (HSPICE's `a`): `1A` is one ampere in ngspice and Xyce.
//! `X` is not HSPICE's mega either. One difference with ngspice remains on
//! purpose: inside `{…}` ngspice's expression parser reads `1mil` as milli
//! (1e-3) while its plain values read 25.4e-6; here `mil` is 25.4e-6 in both.
//!
//! Grammar (case-insensitive):
//!
//! ```text
//! number   = [+-] mantissa [exponent] [suffix] {letter}
//! mantissa = digits ["." [digits]] | "." digits
//! exponent = ("e") [+-] digits          (only when a digit follows)
//! suffix   = "t" | "g" | "meg" | "k" | "mil" | "m" | "u" | "µ" | "n" | "p" | "f"
//! ```
//!
//! Letters after the suffix are units and ignored (`5ns`, `1kHz`, `10pF`). As in
//! SPICE the *first* letter decides: `1F` is one femto, `1M` is one milli and
//! `1MEG` is a million; a letter that is not a suffix starts a unit (`5V`, `2ohm`).
//!
//! The value is computed with a single correct rounding: the suffix is folded
//! into the decimal exponent before the text is converted (`1.5e0k` is
//! converted as `1.5e3`), so `format!("{v:e}")` followed by a suffix round-trips.

/// Scale of an engineering suffix: a power of ten, or `mil` (25.4e-6).
#[derive(Clone, Copy)]
enum Scale {
    Pow10(i64),
    Mil,
}

/// Recognise the suffix at the start of `s` (already known to start with a
/// letter or `µ`). Returns the scale and the suffix length in bytes.
fn suffix(s: &str) -> Option<(Scale, usize)> {
    let b = s.as_bytes();
    let lower3: Option<[u8; 3]> = if b.len() >= 3 {
        Some([
            b[0].to_ascii_lowercase(),
            b[1].to_ascii_lowercase(),
            b[2].to_ascii_lowercase(),
        ])
    } else {
        None
    };
    if let Some(l3) = lower3 {
        if &l3 == b"meg" {
            return Some((Scale::Pow10(6), 3));
        }
        if &l3 == b"mil" {
            return Some((Scale::Mil, 3));
        }
    }
    if s.starts_with('µ') {
        return Some((Scale::Pow10(-6), 'µ'.len_utf8()));
    }
    let c = b.first()?.to_ascii_lowercase();
    let p = match c {
        b't' => 12,
        b'g' => 9,
        b'k' => 3,
        b'm' => -3,
        b'u' => -6,
        b'n' => -9,
        b'p' => -12,
        b'f' => -15,
        _ => return None,
    };
    Some((Scale::Pow10(p), 1))
}

fn count_digits(b: &[u8], from: usize) -> usize {
    b.get(from..)
        .map(|r| r.iter().take_while(|c| c.is_ascii_digit()).count())
        .unwrap_or(0)
}

/// Parse a number at the start of `s`; returns the value and the number of
/// bytes consumed (digits, exponent, suffix and trailing unit letters).
///
/// An optional leading sign is accepted. Returns `None` when `s` does not start
/// with a number. The value may be infinite when the exponent is out of range
/// (`1e999`); callers decide whether that is an error.
pub fn parse_number(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let int_start = i;
    let n_int = count_digits(b, i);
    i += n_int;
    let int_digits = &s[int_start..i];
    let mut frac_digits = "";
    if b.get(i) == Some(&b'.') {
        let n_frac = count_digits(b, i + 1);
        if n_int == 0 && n_frac == 0 {
            return None;
        }
        frac_digits = &s[i + 1..i + 1 + n_frac];
        i += 1 + n_frac;
    } else if n_int == 0 {
        return None;
    }
    // Exponent: only if `e` [sign] digit follows; otherwise `e` is a unit letter.
    let mut exp: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        let mut neg_exp = false;
        if let Some(&c) = b.get(j) {
            if c == b'+' || c == b'-' {
                neg_exp = c == b'-';
                j += 1;
            }
        }
        let n_exp = count_digits(b, j);
        if n_exp > 0 {
            let mut e: i64 = 0;
            for &d in &b[j..j + n_exp] {
                // Saturate: anything beyond ±10^9 is inf/0 anyway.
                e = (e * 10 + i64::from(d - b'0')).min(1_000_000_000);
            }
            exp = if neg_exp { -e } else { e };
            i = j + n_exp;
        }
    }
    // Suffix, then unit letters.
    let mut scale = Scale::Pow10(0);
    if let Some(rest) = s.get(i..) {
        if let Some((sc, len)) = suffix(rest) {
            scale = sc;
            i += len;
        }
    }
    i += b
        .get(i..)
        .map(|r| r.iter().take_while(|c| c.is_ascii_alphabetic()).count())
        .unwrap_or(0);

    let pow = match scale {
        Scale::Pow10(p) => p,
        Scale::Mil => 0,
    };
    let int_digits = if int_digits.is_empty() {
        "0"
    } else {
        int_digits
    };
    let text = format!(
        "{int_digits}.{}e{}",
        if frac_digits.is_empty() {
            "0"
        } else {
            frac_digits
        },
        exp.saturating_add(pow)
    );
    let mut v: f64 = text.parse().ok()?;
    if let Scale::Mil = scale {
        // 1 mil = 25.4 µm = 254 / 1e7 m (1e7 is exact in binary).
        v = v * 254.0 / 1e7;
    }
    Some((if negative { -v } else { v }, i))
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    fn num(s: &str) -> f64 {
        match parse_number(s) {
            Some((v, n)) if n == s.len() => v,
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn plain_numbers() {
        assert_eq!(num("1"), 1.0);
        assert_eq!(num("1.5"), 1.5);
        assert_eq!(num(".5"), 0.5);
        assert_eq!(num("5."), 5.0);
        assert_eq!(num("1e-3"), 1e-3);
        assert_eq!(num("1E+3"), 1e3);
        assert_eq!(num("-2.5e2"), -250.0);
        assert_eq!(num("+7"), 7.0);
    }

    #[test]
    fn suffixes() {
        assert_eq!(num("1MEG"), 1e6);
        assert_eq!(num("1meg"), 1e6);
        assert_eq!(num("1M"), 1e-3);
        assert_eq!(num("1m"), 1e-3);
        assert_eq!(num("2.5mil"), 63.5e-6);
        assert_eq!(num("10pF"), 1e-11);
        assert_eq!(num("1kHz"), 1e3);
        assert_eq!(num("5ns"), 5e-9);
        assert_eq!(num("3u"), 3e-6);
        assert_eq!(num("3µ"), 3e-6);
        assert_eq!(num("3µF"), 3e-6);
        // ngspice-39 and Xyce: `A` is a unit (ampere), not atto.
        assert_eq!(num("4a"), 4.0);
        assert_eq!(num("1A"), 1.0);
        assert_eq!(num("1amp"), 1.0);
        assert_eq!(num("1uA"), 1e-6);
        assert_eq!(num("1.5ka"), 1.5e3);
        assert_eq!(num("1X"), 1.0);
        assert_eq!(num("1Mega"), 1e6);
        assert_eq!(num("1MA"), 1e-3);
        assert_eq!(num("1meter"), 1e-3);
        assert_eq!(num("1Milli"), 25.4e-6);
        assert_eq!(num("1F"), 1e-15);
        assert_eq!(num("1g"), 1e9);
        assert_eq!(num("1T"), 1e12);
        assert_eq!(num("2n"), 2e-9);
        assert_eq!(num("1.5e0k"), 1.5e3);
        assert_eq!(num("1e3k"), 1e6);
        assert_eq!(num("5V"), 5.0);
        assert_eq!(num("2ohm"), 2.0);
        assert_eq!(num("1megohm"), 1e6);
    }

    #[test]
    fn partial_and_invalid() {
        assert_eq!(parse_number("1k*2"), Some((1e3, 2)));
        assert_eq!(parse_number("2e"), Some((2.0, 2)));
        assert_eq!(parse_number("2e+"), Some((2.0, 2)));
        assert_eq!(parse_number("1.2.3"), Some((1.2, 3)));
        assert_eq!(parse_number("."), None);
        assert_eq!(parse_number("-"), None);
        assert_eq!(parse_number("k"), None);
        assert_eq!(parse_number(""), None);
        assert!(parse_number("1e999").is_some_and(|(v, _)| v.is_infinite()));
        assert_eq!(parse_number("1e-999"), Some((0.0, 6)));
        assert_eq!(
            parse_number("1e99999999999999999999"),
            Some((f64::INFINITY, 22))
        );
    }
}
