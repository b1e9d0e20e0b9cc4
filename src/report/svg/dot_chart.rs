//! The dot-and-whisker chart of the run report: candidates' cross-validation means with their
//! spread over folds, grouped by a category, one colour per series.

use super::{f, nice_domain, y_axis, Canvas, Dot, Scale, CHAR_W, HIGHLIGHT, INK, PALETTE};
use crate::report::fmt::{clip, esc};

/// A dot-and-whisker chart: candidates' mean scores (dots) with ± one standard deviation over folds
/// (whiskers) and each fold's score (small grey dots), grouped by a category on the x axis, one
/// colour per series (a model type).
pub struct DotChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub categories: &'a [String],
    pub dots: &'a [Dot],
    /// One per model type (at least one); `Dot::series` indexes them (a dot outside is not drawn).
    /// A legend names them when there are two or more.
    pub series: &'a [DotSeries],
    /// The values the metric can take (an end may be infinite): the y axis and the whiskers stay
    /// inside, so an accuracy axis never passes 1.
    pub range: (f64, f64),
}

/// One series of a dot chart.
#[derive(Debug, Clone, PartialEq)]
pub struct DotSeries {
    pub name: String,
    /// (category, value) points joined by a line, in category order: the series' best dot of each
    /// category when the categories are a numeric sweep; empty when they are unordered (a line
    /// between unordered categories would suggest a trend that is not there).
    pub trend: Vec<(usize, f64)>,
}

/// Series colours of a dot chart: the palette without orange, which marks the best candidate.
fn series_color(k: usize) -> &'static str {
    const COLORS: [&str; 7] = [
        PALETTE[0], PALETTE[2], PALETTE[3], PALETTE[4], PALETTE[5], PALETTE[6], PALETTE[7],
    ];
    COLORS[k % COLORS.len()]
}

/// `v` moved into [lo, hi].
fn clamp_to(v: f64, (lo, hi): (f64, f64)) -> f64 {
    v.max(lo).min(hi)
}

/// The y domain of a dot chart: every mean ± std and fold score, widened to whole ticks, then cut to
/// the metric's range.
fn dot_domain(dots: &[Dot], range: (f64, f64)) -> (f64, f64) {
    let (lo, hi) = dots
        .iter()
        .flat_map(|d| {
            [d.mean - d.std, d.mean + d.std]
                .into_iter()
                .chain(d.folds.iter().copied())
        })
        .filter(|v| v.is_finite())
        .map(|v| clamp_to(v, range))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = nice_domain(lo, hi, 5);
    (lo.max(range.0), hi.min(range.1))
}

/// The legend of a dot chart: a dot and a name per series, in rows that fit `width`. Returns the
/// (x, row) of each entry and the number of rows.
fn legend_layout(series: &[DotSeries], width: f64) -> (Vec<(f64, usize)>, usize) {
    let mut places = Vec::new();
    let (mut x, mut row) = (0.0, 0usize);
    for s in series {
        let w = 22.0 + CHAR_W * clip(&s.name, 30).chars().count() as f64;
        if x > 0.0 && x + w > width {
            (x, row) = (0.0, row + 1);
        }
        places.push((x, row));
        x += w;
    }
    (places, if series.is_empty() { 0 } else { row + 1 })
}

pub fn dots(chart: &DotChart) -> String {
    let DotChart {
        title,
        x_label,
        y_label,
        categories,
        dots,
        series,
        range,
    } = *chart;
    let n = categories.len().max(1);
    let band = (400.0 / n as f64).clamp(28.0, 90.0);
    let rotate = categories
        .iter()
        .any(|c| c.chars().count() as f64 * CHAR_W > band - 4.0);
    let label_room = if rotate {
        categories
            .iter()
            .map(|c| clip(c, 18).chars().count())
            .max()
            .unwrap_or(1) as f64
            * CHAR_W
            * 0.72
            + 10.0
    } else {
        16.0
    };
    let (left, top) = (66.0, 32.0);
    let w = (left + band * n as f64 + 20.0).max(440.0);
    let plot_h = 240.0;
    let bottom = top + plot_h;
    let right = w - 16.0;
    let legend = if series.len() > 1 { series } else { &[] };
    let (places, legend_rows) = legend_layout(legend, right - left);
    let h = bottom + label_room + 34.0 + 18.0 * legend_rows as f64;
    let band = (right - left) / n as f64;
    let mut c = Canvas::new(w, h);
    c.title(title, None);
    let (lo, hi) = dot_domain(dots, range);
    let ys = Scale {
        lo,
        hi,
        a: bottom,
        b: top,
    };
    y_axis(&mut c, ys, left, right, y_label);
    c.line(left, bottom, right, bottom, INK, 1.0, false);
    for (k, cat) in categories.iter().enumerate() {
        let x = left + band * (k as f64 + 0.5);
        c.line(x, bottom, x, bottom + 4.0, INK, 1.0, false);
        let y = bottom + 15.0;
        if rotate {
            c.text(
                x,
                y - 4.0,
                &clip(cat, 18),
                "end",
                &format!("transform=\"rotate(-45 {} {})\"", f(x), f(y - 4.0)),
            );
        } else {
            c.text(x, y, cat, "middle", "");
        }
    }
    let label_y = bottom + label_room + 24.0;
    c.text(
        (left + right) / 2.0,
        label_y,
        &clip(x_label, 70),
        "middle",
        "font-size=\"12\"",
    );
    for (k, (s, (x, row))) in legend.iter().zip(&places).enumerate() {
        let (x, y) = (left + x, label_y + 18.0 * (*row as f64 + 1.0));
        c.circle(x + 6.0, y - 4.0, 4.0, series_color(k), "", None);
        c.text(x + 14.0, y, &clip(&s.name, 30), "start", "");
    }
    // Candidates sharing a category are spread across its band, in the order given.
    let mut per_cat = vec![0usize; n];
    for d in dots {
        if d.category < n {
            per_cat[d.category] += 1;
        }
    }
    let mut seen = vec![0usize; n];
    let x_of = |cat: usize, k: usize, m: usize| {
        let spread = (band * 0.7 / m.max(1) as f64).min(12.0);
        left + band * (cat as f64 + 0.5) + (k as f64 - (m as f64 - 1.0) / 2.0) * spread
    };
    let placed: Vec<(f64, &Dot)> = dots
        .iter()
        .filter(|d| d.category < n && d.mean.is_finite())
        .map(|d| {
            let k = seen[d.category];
            seen[d.category] += 1;
            (x_of(d.category, k, per_cat[d.category]), d)
        })
        .collect();
    // One group per series: its line, then its dots, so a reader (or a test) can tell them apart.
    for (k, s) in series.iter().enumerate() {
        let color = series_color(k);
        c.body.push_str(&format!(
            "<g class=\"series\" data-series=\"{}\">",
            esc(&s.name)
        ));
        let trend_px: Vec<(f64, f64)> = s
            .trend
            .iter()
            .filter(|(cat, v)| *cat < n && v.is_finite())
            .map(|(cat, v)| {
                (
                    left + band * (*cat as f64 + 0.5),
                    ys.px(clamp_to(*v, range)),
                )
            })
            .collect();
        c.polyline(&trend_px, color, 1.2);
        for (x, d) in placed.iter().filter(|(_, d)| d.series == k) {
            dot_mark(
                &mut c,
                *x,
                d,
                ys,
                range,
                if d.best { HIGHLIGHT } else { color },
            );
        }
        c.body.push_str("</g>");
    }
    c.finish(title)
}

/// One candidate: its fold scores, its whisker (mean ± std, cut to the metric's range) and its dot.
fn dot_mark(c: &mut Canvas, x: f64, d: &Dot, ys: Scale, range: (f64, f64), color: &str) {
    for v in d.folds.iter().filter(|v| v.is_finite()) {
        c.circle(x, ys.px(*v), 1.6, "#9a9a9a", "", None);
    }
    let low = ys.px(clamp_to(d.mean - d.std, range));
    let high = ys.px(clamp_to(d.mean + d.std, range));
    c.body.push_str("<g class=\"whisker\">");
    c.line(x, low, x, high, color, 1.5, false);
    c.line(x - 3.0, low, x + 3.0, low, color, 1.5, false);
    c.line(x - 3.0, high, x + 3.0, high, color, 1.5, false);
    c.body.push_str("</g>");
    let r = if d.best { 5.0 } else { 3.5 };
    c.circle(
        x,
        ys.px(d.mean),
        r,
        color,
        "stroke=\"#ffffff\" stroke-width=\"1\"",
        Some(&d.label),
    );
}
