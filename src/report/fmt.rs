//! Numbers and text as reports show them: axis ticks that read well (numbers in messages are
//! `data::number_text`), and text escaped for HTML and SVG (which are written as XML, so any XML parser can read them).

use crate::data::number_text::trim_zeros;

/// Escapes text for an XML text node or a quoted attribute.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in XML at all.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Tick positions for an axis over [lo, hi]: about `target` ticks at 1, 2 or 5 times a power of ten.
/// Returns the step and the ticks inside [lo, hi].
pub fn ticks(lo: f64, hi: f64, target: usize) -> (f64, Vec<f64>) {
    let step = nice_step(lo, hi, target);
    if !lo.is_finite() || !hi.is_finite() {
        return (step, Vec::new());
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    if last.saturating_sub(first) > 1000 {
        return (step, Vec::new());
    }
    let ticks = (first..=last)
        .map(|k| {
            let t = k as f64 * step;
            // -0 and float dust (0.30000000000000004) would show in labels.
            if t.abs() < step * 1e-9 {
                0.0
            } else {
                t
            }
        })
        .collect();
    (step, ticks)
}

/// The step of `ticks`.
pub fn nice_step(lo: f64, hi: f64, target: usize) -> f64 {
    let range = (hi - lo).abs();
    let range = if range > 0.0 && range.is_finite() {
        range
    } else {
        1.0
    };
    let rough = range / target.max(1) as f64;
    let mag = 10f64.powf(rough.log10().floor());
    let norm = rough / mag;
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 3.0 {
        2.0
    } else if norm < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Ticks at least `min_step` apart (1 for whole numbers: no tick between two integers).
pub fn ticks_at_least(lo: f64, hi: f64, target: usize, min_step: f64) -> (f64, Vec<f64>) {
    let (step, ts) = ticks(lo, hi, target);
    if step >= min_step || !lo.is_finite() || !hi.is_finite() || hi - lo > 1000.0 * min_step {
        return (step, ts);
    }
    let first = (lo / min_step).ceil() as i64;
    let last = (hi / min_step).floor() as i64;
    (
        min_step,
        (first..=last).map(|k| k as f64 * min_step).collect(),
    )
}

/// Labels for an axis's ticks: as many decimals as the step needs; one unit for the whole axis,
/// thousands as k and millions as M when the largest tick is that big, so prices and counts stay
/// short and read alike.
pub fn tick_labels(ticks: &[f64], step: f64) -> Vec<String> {
    let largest = ticks.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    ticks
        .iter()
        .map(|&v| {
            if v == 0.0 {
                return "0".into();
            }
            if step < 1e-4 || largest >= 1e15 {
                return format!("{v:.1e}");
            }
            if largest >= 1e4 {
                let (div, suffix) = if largest >= 1e9 {
                    (1e9, "G")
                } else if largest >= 1e6 {
                    (1e6, "M")
                } else {
                    (1e3, "k")
                };
                let decimals = decimals_for(step / div);
                return format!(
                    "{}{suffix}",
                    trim_zeros(format!("{:.*}", decimals, v / div))
                );
            }
            trim_zeros(format!("{:.*}", decimals_for(step), v))
        })
        .collect()
}

/// The label of one tick on its own.
pub fn tick_label(v: f64, step: f64) -> String {
    tick_labels(&[v], step).remove(0)
}

fn decimals_for(step: f64) -> usize {
    if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize + 1
    }
}

/// Shortens text to `max` characters, ending with an ellipsis when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_inside_the_range() {
        let (step, t) = ticks(0.0, 1.0, 5);
        assert_eq!(step, 0.2);
        assert_eq!(t.len(), 6);
        assert_eq!(tick_label(t[3], step), "0.6");
        let (step, t) = ticks(12_789.0, 755_000.0, 3);
        assert_eq!(step, 200_000.0);
        assert_eq!(tick_labels(&t, step), ["200k", "400k", "600k"]);
        assert_eq!(
            tick_labels(&[0.0, 5000.0, 10_000.0, 15_000.0], 5000.0),
            ["0", "5k", "10k", "15k"]
        );
        let (step, t) = ticks_at_least(2012.5, 2013.5, 6, 1.0);
        assert_eq!((step, t), (1.0, vec![2013.0]));
        let (step, t) = ticks(-43.0, 1301.0, 6);
        assert_eq!(step, 200.0);
        assert_eq!(tick_label(t[0], step), "0");
        assert_eq!(tick_label(2.5e-6, 1e-6), "2.5e-6");
    }

    #[test]
    fn escaping_makes_text_safe_in_xml() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
