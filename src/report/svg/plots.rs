//! The plain charts: histograms, horizontal bar charts, scatter plots and line charts.

use super::{
    nice_domain, padded, x_axis, y_axis, Bar, Canvas, Frame, Mark, Reference, Scale, Series, BAR,
    CHAR_W, GRID, HIGHLIGHT, INK, PALETTE,
};
use crate::data::number_text::num;
use crate::data::profile::Histogram;
use crate::report::fmt::{clip, tick_labels, ticks};

/// Bars over equal-width bins: counts on the y axis.
pub fn histogram(title: &str, x_label: &str, h: &Histogram) -> String {
    let (w, ht) = (440.0, 270.0);
    let top = if h.note.is_some() { 42.0 } else { 32.0 };
    let (left, right, bottom) = (58.0, w - 16.0, ht - 44.0);
    let mut c = Canvas::new(w, ht);
    c.title(title, h.note.as_deref());
    let max = h.counts.iter().copied().max().unwrap_or(0) as f64;
    let ys = Scale::nice(0.0, max.max(1.0), 5, bottom, top);
    let (xlo, xhi) = padded(h.lo, h.hi);
    let xs = Scale {
        lo: xlo,
        hi: xhi,
        a: left,
        b: right,
    };
    y_axis(&mut c, ys, left, right, "count");
    let n = h.counts.len().max(1);
    let width = (xhi - xlo) / n as f64;
    for (i, &count) in h.counts.iter().enumerate() {
        let (a, b) = if h.hi > h.lo {
            (h.lo + i as f64 * width, h.lo + (i + 1) as f64 * width)
        } else {
            (xlo + (xhi - xlo) * 0.25, xlo + (xhi - xlo) * 0.75)
        };
        let (x0, x1) = (xs.px(a), xs.px(b));
        let tip = format!("{} to {}: {count}", num(a), num(b));
        c.rect(
            x0 + 0.5,
            ys.px(count as f64),
            (x1 - x0 - 1.0).max(0.5),
            bottom - ys.px(count as f64),
            BAR,
            Some(&tip),
        );
    }
    let min_step = if h.whole { 1.0 } else { 0.0 };
    x_axis(&mut c, xs, bottom, top, x_label, false, min_step);
    c.finish(title)
}

/// Horizontal bars, one per label, for counts, shares or signed weights.
pub fn hbar(title: &str, value_label: &str, bars: &[Bar]) -> String {
    let label_chars = bars
        .iter()
        .map(|b| clip(&b.label, 28).chars().count())
        .max()
        .unwrap_or(4);
    let left = 14.0 + CHAR_W * label_chars as f64;
    let w = (left + 330.0).max(440.0);
    let (top, row) = (34.0, 18.0);
    let bottom = top + row * bars.len().max(1) as f64;
    let h = bottom + 44.0;
    let right = w - 16.0;
    let mut c = Canvas::new(w, h);
    c.title(title, None);
    let min = bars.iter().map(|b| b.value).fold(0.0f64, f64::min);
    let max = bars.iter().map(|b| b.value).fold(0.0f64, f64::max);
    // Room for the value printed beyond each bar's end.
    let span = (max - min).max(f64::MIN_POSITIVE);
    let lo = if min < 0.0 { min - span * 0.18 } else { 0.0 };
    let hi = if max > 0.0 || min >= 0.0 {
        max + span * 0.18
    } else {
        0.0
    };
    let xs = Scale::nice(lo, hi, 5, left, right);
    let (step, ts) = ticks(xs.lo, xs.hi, 5);
    for (t, text) in ts.iter().zip(tick_labels(&ts, step)) {
        let x = xs.px(*t);
        c.line(x, top, x, bottom, GRID, 1.0, false);
        c.line(x, bottom, x, bottom + 4.0, INK, 1.0, false);
        c.text(x, bottom + 15.0, &text, "middle", "");
    }
    c.line(left, bottom, right, bottom, INK, 1.0, false);
    c.text(
        (left + right) / 2.0,
        bottom + 32.0,
        &clip(value_label, 70),
        "middle",
        "font-size=\"12\"",
    );
    let zero = xs.px(0.0);
    for (i, b) in bars.iter().enumerate() {
        let y = top + i as f64 * row;
        let end = xs.px(b.value);
        let fill = if b.value < 0.0 { PALETTE[3] } else { BAR };
        let tip = format!("{}: {}", b.label, b.text);
        c.rect(zero, y + 3.0, end - zero, row - 6.0, fill, Some(&tip));
        c.text(
            left - 6.0,
            y + row / 2.0 + 4.0,
            &clip(&b.label, 28),
            "end",
            "",
        );
        if b.value < 0.0 {
            c.text(
                end - 4.0,
                y + row / 2.0 + 4.0,
                &b.text,
                "end",
                "font-size=\"10\"",
            );
        } else {
            c.text(
                end + 4.0,
                y + row / 2.0 + 4.0,
                &b.text,
                "start",
                "font-size=\"10\"",
            );
        }
    }
    c.line(zero, top, zero, bottom, INK, 1.0, false);
    c.finish(title)
}

/// Points, with an optional reference line (y = x, or y = 0).
pub fn scatter(
    title: &str,
    x_label: &str,
    y_label: &str,
    points: &[(f64, f64)],
    reference: Reference,
    note: Option<&str>,
) -> String {
    let (w, h) = (440.0, 340.0);
    let frame = Frame {
        left: 62.0,
        right: w - 16.0,
        top: if note.is_some() { 42.0 } else { 32.0 },
        bottom: h - 44.0,
    };
    let mut c = Canvas::new(w, h);
    c.title(title, note);
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let range = |vals: &mut dyn Iterator<Item = f64>| {
        vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        })
    };
    let (mut xlo, mut xhi) = range(&mut finite.iter().map(|p| p.0));
    let (mut ylo, mut yhi) = range(&mut finite.iter().map(|p| p.1));
    if reference == Reference::Diagonal {
        let (lo, hi) = (xlo.min(ylo), xhi.max(yhi));
        (xlo, xhi, ylo, yhi) = (lo, hi, lo, hi);
    }
    if reference == Reference::Zero {
        ylo = ylo.min(0.0);
        yhi = yhi.max(0.0);
    }
    let (xlo, xhi) = nice_domain(xlo, xhi, 6);
    let (ylo, yhi) = nice_domain(ylo, yhi, 5);
    let (xs, ys) = frame.axes(&mut c, (xlo, xhi), (ylo, yhi), x_label, y_label);
    match reference {
        Reference::Diagonal => {
            let (lo, hi) = (xlo.max(ylo), xhi.min(yhi));
            c.line(
                xs.px(lo),
                ys.px(lo),
                xs.px(hi),
                ys.px(hi),
                PALETTE[3],
                1.2,
                true,
            );
        }
        Reference::Zero => c.line(
            frame.left,
            ys.px(0.0),
            frame.right,
            ys.px(0.0),
            PALETTE[3],
            1.2,
            true,
        ),
        Reference::None => {}
    }
    for (x, y) in &finite {
        c.circle(
            xs.px(*x),
            ys.px(*y),
            2.2,
            BAR,
            "fill-opacity=\"0.45\"",
            None,
        );
    }
    c.finish(title)
}

/// Lines through points, with a legend (of the series that have a name); `unit` fixes both axes to
/// [0, 1] and draws the diagonal (an ROC chart); each mark is a dashed vertical line with a dot and
/// a label (an iteration on a loss curve).
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    unit: bool,
    marks: &[Mark],
) -> String {
    let (w, h) = (440.0, 360.0);
    let frame = Frame {
        left: 62.0,
        right: w - 16.0,
        top: 32.0,
        bottom: h - 44.0,
    };
    let mut c = Canvas::new(w, h);
    c.title(title, None);
    let all = || series.iter().flat_map(|s| s.points.iter());
    let (xlo, xhi, ylo, yhi) = if unit {
        (0.0, 1.0, 0.0, 1.0)
    } else {
        let (a, b) = nice_domain(
            all().map(|p| p.0).fold(f64::INFINITY, f64::min),
            all().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
            6,
        );
        let (c2, d) = nice_domain(
            all().map(|p| p.1).fold(f64::INFINITY, f64::min),
            all().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max),
            5,
        );
        (a, b, c2, d)
    };
    let (xs, ys) = frame.axes(&mut c, (xlo, xhi), (ylo, yhi), x_label, y_label);
    if unit {
        c.line(
            xs.px(0.0),
            ys.px(0.0),
            xs.px(1.0),
            ys.px(1.0),
            "#999999",
            1.0,
            true,
        );
    }
    for (k, s) in series.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|(x, y)| (xs.px(*x), ys.px(*y)))
            .collect();
        c.polyline(&pts, PALETTE[k % PALETTE.len()], 2.0);
    }
    for (k, m) in marks.iter().enumerate() {
        let (x, y) = (xs.px(m.x), ys.px(m.y));
        c.body.push_str("<g class=\"mark\">");
        c.line(x, frame.top, x, frame.bottom, HIGHLIGHT, 1.2, true);
        c.circle(x, y, 4.0, HIGHLIGHT, "", Some(&m.label));
        // Labels stack downwards from the top, on the side of the line with more room.
        let anchor = if x > (frame.left + frame.right) / 2.0 {
            (x - 4.0, "end")
        } else {
            (x + 4.0, "start")
        };
        let ly = frame.top + 12.0 + 14.0 * k as f64;
        c.text(
            anchor.0,
            ly,
            &clip(&m.label, 40),
            anchor.1,
            "font-size=\"10\"",
        );
        c.body.push_str("</g>");
    }
    // Legend, bottom right inside the plot (where ROC curves never go). A series without a name (the
    // chart's only line, named by its title) gets no entry.
    let named: Vec<(usize, &Series)> = series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.name.is_empty())
        .collect();
    let shown = named.len().min(10);
    let legend_w = named
        .iter()
        .take(shown)
        .map(|(_, s)| clip(&s.name, 34).chars().count())
        .max()
        .unwrap_or(0) as f64
        * CHAR_W
        + 34.0;
    let lx = frame.right - legend_w - 6.0;
    let ly = frame.bottom - 8.0 - 16.0 * shown as f64;
    if shown > 0 {
        c.rect(
            lx - 4.0,
            ly - 4.0,
            legend_w + 6.0,
            16.0 * shown as f64 + 8.0,
            "#ffffff",
            None,
        );
    }
    for (row, (k, s)) in named.iter().take(shown).enumerate() {
        let y = ly + 16.0 * row as f64 + 8.0;
        c.line(lx, y, lx + 22.0, y, PALETTE[k % PALETTE.len()], 2.5, false);
        c.text(lx + 28.0, y + 4.0, &clip(&s.name, 34), "start", "");
    }
    c.finish(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_cover_the_range() {
        let h = Histogram::of(&[0.0, 0.5, 1.0, f64::NAN, 2.0], 0.0, 1.0, 2);
        assert_eq!(h.counts, [1, 2]);
        let svg = histogram("x", "value", &h);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(
            svg.matches("<rect").count(),
            1 + 2,
            "background and two bars"
        );
        assert!(svg.contains(">count</text>") && svg.contains(">value</text>"));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = hbar(
            "a < b",
            "n",
            &[Bar {
                label: "x&y".into(),
                value: -2.0,
                text: "-2".into(),
            }],
        );
        assert!(svg.contains("a &lt; b") && svg.contains("x&amp;y"));
        assert!(!svg.contains("NaN"));
    }
}
