//! Numbers as kiln's messages and reports write them: a few significant digits without trailing
//! zeros, and shares as percentages. The column profiles' warnings and the report pages both use
//! them, so they sit in the lowest layer that needs them.

/// A number with about `digits` significant digits, without trailing zeros; exponent notation for
/// very large or very small magnitudes.
pub fn sig(v: f64, digits: usize) -> String {
    if v.is_nan() {
        return "-".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..15).contains(&mag) {
        return format!("{:.*e}", digits.saturating_sub(1), v);
    }
    let decimals = (digits as i32 - 1 - mag).max(0) as usize;
    trim_zeros(format!("{v:.decimals$}"))
}

/// The report's default: 4 significant digits.
pub fn num(v: f64) -> String {
    sig(v, 4)
}

/// A share as a percentage: "12.5%".
pub fn pct(share: f64) -> String {
    if share > 0.0 && share < 0.001 {
        return "<0.1%".into();
    }
    format!("{}%", trim_zeros(format!("{:.1}", share * 100.0)))
}

pub(crate) fn trim_zeros(s: String) -> String {
    if s.contains('.') && !s.contains('e') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            return "0".into();
        }
        return t.to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(1234.5678, 4), "1235");
        assert_eq!(sig(0.012345, 4), "0.01235");
        assert_eq!(sig(2.5, 4), "2.5");
        assert_eq!(sig(-0.0, 4), "0");
        assert_eq!(sig(1.5e20, 3), "1.50e20");
        assert_eq!(pct(0.125), "12.5%");
        assert_eq!(pct(0.0), "0%");
    }
}
