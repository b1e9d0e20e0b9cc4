//! Charts as inline SVG, written by hand: histograms, bar charts, scatter plots, line charts, heatmaps
//! and dot-and-whisker plots, each with a title, labelled axes and round-number ticks.
//!
//! Hand-made rather than plotters: these few chart kinds are a few hundred lines, need no new
//! dependency (nor fonts: the browser draws the text), and give small, readable SVG where every mark
//! carries a `<title>` tooltip, visible without JavaScript. Output is well-formed XML.

mod dot_chart;
mod heatmap;
mod plots;

use super::fmt::{clip, esc, tick_labels, ticks, ticks_at_least};
pub use dot_chart::{dots, DotChart, DotSeries};
pub use heatmap::heatmap;
pub use plots::{hbar, histogram, lines, scatter};

/// Series colours (Tableau 10): distinguishable, and readable for most colour-blind readers.
pub const PALETTE: [&str; 8] = [
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d",
];
const INK: &str = "#333333";
const GRID: &str = "#e6e6e6";
const BAR: &str = "#4c78a8";
const HIGHLIGHT: &str = "#f58518";
/// Average width of an 11px sans-serif character, for sizing margins to labels.
const CHAR_W: f64 = 7.0;

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as printed at the bar's end.
    pub text: String,
}

/// One line of a line chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A point of a line chart called out: a dashed vertical line at `x`, a dot at (x, y), a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

/// A reference line drawn behind a scatter plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reference {
    None,
    /// y = x (predicted against actual).
    Diagonal,
    /// y = 0 (residuals).
    Zero,
}

/// How heatmap cells are coloured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeatColors {
    /// Blue (negative) through white to red (positive), over [-limit, limit].
    Diverging { limit: f64 },
    /// White to blue over [0, max].
    Sequential { max: f64 },
}

/// One candidate in a dot-and-whisker chart: its mean at a category, ± std, and its fold scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub category: usize,
    pub mean: f64,
    pub std: f64,
    pub folds: Vec<f64>,
    pub best: bool,
    /// Tooltip text.
    pub label: String,
    /// The series (model type) it belongs to: an index into `DotChart::series`.
    pub series: usize,
}

struct Canvas {
    w: f64,
    h: f64,
    body: String,
}

fn f(v: f64) -> String {
    // One decimal is finer than a pixel; NaN cannot reach here (callers filter), but be safe in XML.
    if v.is_finite() {
        let s = format!("{v:.1}");
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    } else {
        "0".into()
    }
}

impl Canvas {
    fn new(w: f64, h: f64) -> Self {
        Canvas {
            w,
            h,
            body: String::new(),
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: Option<&str>) {
        let (x, w) = if w < 0.0 { (x + w, -w) } else { (x, w) };
        let (y, h) = if h < 0.0 { (y + h, -h) } else { (y, h) };
        match tip {
            Some(t) => self.body.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"><title>{}</title></rect>",
                f(x), f(y), f(w.max(0.0)), f(h.max(0.0)), esc(t)
            )),
            None => self.body.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>",
                f(x),
                f(y),
                f(w.max(0.0)),
                f(h.max(0.0))
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64, dashed: bool) {
        self.body.push_str(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{width}\"{}/>",
            f(x1),
            f(y1),
            f(x2),
            f(y2),
            if dashed { " stroke-dasharray=\"4 3\"" } else { "" }
        ));
    }

    fn text(&mut self, x: f64, y: f64, s: &str, anchor: &str, extra: &str) {
        self.body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\"{}{extra}>{}</text>",
            f(x),
            f(y),
            if extra.is_empty() { "" } else { " " },
            esc(s)
        ));
    }

    fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, extra: &str, tip: Option<&str>) {
        let open = format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"{r}\" fill=\"{fill}\"{}{extra}",
            f(cx),
            f(cy),
            if extra.is_empty() { "" } else { " " }
        );
        match tip {
            Some(t) => self
                .body
                .push_str(&format!("{open}><title>{}</title></circle>", esc(t))),
            None => self.body.push_str(&format!("{open}/>")),
        }
    }

    fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64) {
        if points.len() < 2 {
            return;
        }
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", f(*x), f(*y)))
            .collect();
        self.body.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\" stroke-linejoin=\"round\"/>",
            pts.join(" ")
        ));
    }

    fn title(&mut self, title: &str, note: Option<&str>) {
        self.text(
            self.w / 2.0,
            17.0,
            &clip(title, 80),
            "middle",
            "font-size=\"13\" font-weight=\"bold\"",
        );
        if let Some(n) = note {
            self.text(
                self.w / 2.0,
                31.0,
                &clip(n, 90),
                "middle",
                "font-size=\"10\" fill=\"#666666\"",
            );
        }
    }

    fn finish(self, title: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"sans-serif\" font-size=\"11\" fill=\"{INK}\" role=\"img\"><title>{}</title>\
             <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>{}</svg>",
            esc(title),
            self.body,
            w = f(self.w),
            h = f(self.h),
        )
    }
}

/// A linear map from data values to pixels.
#[derive(Debug, Clone, Copy)]
struct Scale {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl Scale {
    /// [lo, hi] widened to whole tick steps (`nice_domain`), mapped onto the pixels a..b.
    fn nice(lo: f64, hi: f64, ticks: usize, a: f64, b: f64) -> Scale {
        let (lo, hi) = nice_domain(lo, hi, ticks);
        Scale { lo, hi, a, b }
    }

    fn px(&self, v: f64) -> f64 {
        if self.hi == self.lo {
            return (self.a + self.b) / 2.0;
        }
        self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)
    }
}

/// A domain wide enough to draw: a single value gets room around it.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi > lo {
        return (lo, hi);
    }
    let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
    (lo - pad, hi + pad)
}

/// Extends [lo, hi] outwards to whole tick steps, so the axis starts and ends on a labelled tick.
fn nice_domain(lo: f64, hi: f64, target: usize) -> (f64, f64) {
    let (lo, hi) = padded(lo, hi);
    let (step, _) = ticks(lo, hi, target);
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

#[allow(clippy::too_many_arguments)]
fn x_axis(c: &mut Canvas, s: Scale, y0: f64, y_top: f64, label: &str, grid: bool, min_step: f64) {
    let (step, ts) = ticks_at_least(s.lo.min(s.hi), s.hi.max(s.lo), 6, min_step);
    for (t, text) in ts.iter().zip(tick_labels(&ts, step)) {
        let x = s.px(*t);
        if grid {
            c.line(x, y_top, x, y0, GRID, 1.0, false);
        }
        c.line(x, y0, x, y0 + 4.0, INK, 1.0, false);
        c.text(x, y0 + 15.0, &text, "middle", "");
    }
    c.line(s.a, y0, s.b, y0, INK, 1.0, false);
    c.text(
        (s.a + s.b) / 2.0,
        y0 + 32.0,
        &clip(label, 70),
        "middle",
        "font-size=\"12\"",
    );
}

fn y_axis(c: &mut Canvas, s: Scale, x0: f64, x_right: f64, label: &str) {
    c.body.push_str("<g class=\"y-axis\">");
    let (step, ts) = ticks(s.lo.min(s.hi), s.hi.max(s.lo), 5);
    for (t, text) in ts.iter().zip(tick_labels(&ts, step)) {
        let y = s.px(*t);
        c.line(x0, y, x_right, y, GRID, 1.0, false);
        c.line(x0 - 4.0, y, x0, y, INK, 1.0, false);
        c.text(x0 - 6.0, y + 4.0, &text, "end", "");
    }
    c.line(x0, s.a, x0, s.b, INK, 1.0, false);
    c.body.push_str("</g>");
    let (cx, cy) = (14.0, (s.a + s.b) / 2.0);
    c.text(
        cx,
        cy,
        &clip(label, 45),
        "middle",
        &format!(
            "font-size=\"12\" transform=\"rotate(-90 {} {})\"",
            f(cx),
            f(cy)
        ),
    );
}

/// The plot area of an x-y chart, in pixels.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    /// Maps the domains `x` and `y` (lo, hi) onto the frame, draws both axes with grid lines, ticks
    /// and labels, and returns the (x, y) scales.
    fn axes(
        self,
        c: &mut Canvas,
        x: (f64, f64),
        y: (f64, f64),
        x_label: &str,
        y_label: &str,
    ) -> (Scale, Scale) {
        let xs = Scale {
            lo: x.0,
            hi: x.1,
            a: self.left,
            b: self.right,
        };
        let ys = Scale {
            lo: y.0,
            hi: y.1,
            a: self.bottom,
            b: self.top,
        };
        y_axis(c, ys, self.left, self.right, y_label);
        x_axis(c, xs, self.bottom, self.top, x_label, true, 0.0);
        (xs, ys)
    }
}
