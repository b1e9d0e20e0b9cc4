//! Charts as inline SVG, written by hand: histograms, bar charts, scatter plots, line charts, heatmaps
//! and dot-and-whisker plots, each with a title, labelled axes and round-number ticks.
//!
//! Hand-made rather than plotters: these few chart kinds are a few hundred lines, need no new
//! dependency (nor fonts: the browser draws the text), and give small, readable SVG where every mark
//! carries a `<title>` tooltip, visible without JavaScript. Output is well-formed XML.

use super::fmt::{clip, esc, num, tick_labels, ticks, ticks_at_least};

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

/// A histogram's bins: equal widths over [lo, hi].
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    pub counts: Vec<usize>,
    /// Shown under the title, e.g. how many values fall outside the range drawn.
    pub note: Option<String>,
    /// One bin per whole number: ticks only at whole numbers.
    pub whole: bool,
}

impl Histogram {
    /// Bins `values` (NaN ignored) into `bins` equal bins over [lo, hi]; values outside are not
    /// counted.
    pub fn of(values: &[f64], lo: f64, hi: f64, bins: usize) -> Histogram {
        let bins = bins.max(1);
        let mut counts = vec![0usize; bins];
        let width = (hi - lo) / bins as f64;
        for &v in values {
            if v.is_nan() || v < lo || v > hi {
                continue;
            }
            let b = if width > 0.0 {
                (((v - lo) / width) as usize).min(bins - 1)
            } else {
                0
            };
            counts[b] += 1;
        }
        Histogram {
            lo,
            hi,
            counts,
            note: None,
            whole: false,
        }
    }
}

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

/// Lines through points, with a legend; `unit` fixes both axes to [0, 1] and draws the diagonal
/// (an ROC chart).
pub fn lines(title: &str, x_label: &str, y_label: &str, series: &[Series], unit: bool) -> String {
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
    // Legend, bottom right inside the plot (where ROC curves never go).
    let shown = series.len().min(10);
    let legend_w = series
        .iter()
        .take(shown)
        .map(|s| clip(&s.name, 34).chars().count())
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
    for (k, s) in series.iter().take(shown).enumerate() {
        let y = ly + 16.0 * k as f64 + 8.0;
        c.line(lx, y, lx + 22.0, y, PALETTE[k % PALETTE.len()], 2.5, false);
        c.text(lx + 28.0, y + 4.0, &clip(&s.name, 34), "start", "");
    }
    c.finish(title)
}

fn lerp_color(a: (u8, u8, u8), b: (u8, u8, u8), t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let m = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

const WHITE: (u8, u8, u8) = (255, 255, 255);
const BLUE: (u8, u8, u8) = (33, 102, 172);
const RED: (u8, u8, u8) = (178, 24, 43);

fn heat_color(colors: HeatColors, v: f64) -> (String, bool) {
    match colors {
        HeatColors::Diverging { limit } => {
            let t = if limit > 0.0 { v / limit } else { 0.0 };
            let dark = t.abs() > 0.6;
            if t < 0.0 {
                (lerp_color(WHITE, BLUE, -t), dark)
            } else {
                (lerp_color(WHITE, RED, t), dark)
            }
        }
        HeatColors::Sequential { max } => {
            let t = if max > 0.0 { v / max } else { 0.0 };
            (lerp_color(WHITE, BLUE, t), t > 0.55)
        }
    }
}

/// A grid of coloured cells (correlations, a confusion matrix), with a colour key. `cells[r][c]` is
/// None where there is no value; `text[r][c]`, when given, is printed in cells large enough.
#[allow(clippy::too_many_arguments)]
pub fn heatmap(
    title: &str,
    rows: &[String],
    cols: &[String],
    cells: &[Vec<Option<f64>>],
    text: Option<&[Vec<String>]>,
    colors: HeatColors,
    x_label: &str,
    y_label: &str,
) -> String {
    let n = rows.len().max(cols.len()).max(1);
    let cell = (420.0 / n as f64).clamp(12.0, 56.0);
    let row_chars = rows
        .iter()
        .map(|r| clip(r, 22).chars().count())
        .max()
        .unwrap_or(1);
    let col_chars = cols
        .iter()
        .map(|r| clip(r, 22).chars().count())
        .max()
        .unwrap_or(1);
    let left = 34.0 + CHAR_W * row_chars as f64;
    let top = 36.0;
    let grid_w = cell * cols.len() as f64;
    let grid_h = cell * rows.len() as f64;
    // Column labels are turned 45 degrees: they need about 0.7 of their length below the grid.
    let below = 14.0 + CHAR_W * col_chars as f64 * 0.72 + 24.0;
    let key_w = 70.0;
    // Wide enough for the title (13px bold, about 8px a character).
    let title_w = 8.0 * clip(title, 80).chars().count() as f64 + 20.0;
    let w = (left + grid_w + key_w + 10.0).max(300.0).max(title_w);
    let h = top + grid_h + below;
    let mut c = Canvas::new(w, h);
    c.title(title, None);
    let font = if cell < 16.0 { 9.0 } else { 11.0 };
    for (r, row) in rows.iter().enumerate() {
        let y = top + r as f64 * cell;
        c.text(
            left - 5.0,
            y + cell / 2.0 + 4.0,
            &clip(row, 22),
            "end",
            &format!("font-size=\"{font}\""),
        );
        for (k, col) in cols.iter().enumerate() {
            let x = left + k as f64 * cell;
            let value = cells.get(r).and_then(|cr| cr.get(k)).copied().flatten();
            let (fill, dark) = match value {
                Some(v) => heat_color(colors, v),
                None => ("#f2f2f2".to_string(), false),
            };
            let label = text
                .and_then(|t| t.get(r))
                .and_then(|tr| tr.get(k))
                .cloned()
                .unwrap_or_else(|| value.map(num).unwrap_or_else(|| "-".into()));
            let tip = format!("{row} / {col}: {label}");
            c.rect(x, y, cell - 1.0, cell - 1.0, &fill, Some(&tip));
            if cell >= 24.0 && label.chars().count() as f64 * 6.0 < cell {
                c.text(
                    x + cell / 2.0,
                    y + cell / 2.0 + 4.0,
                    &label,
                    "middle",
                    if dark { "fill=\"#ffffff\"" } else { "" },
                );
            }
        }
    }
    for (k, col) in cols.iter().enumerate() {
        let x = left + k as f64 * cell + cell / 2.0;
        let y = top + grid_h + 10.0;
        c.text(
            x,
            y,
            &clip(col, 22),
            "end",
            &format!(
                "font-size=\"{font}\" transform=\"rotate(-45 {} {})\"",
                f(x),
                f(y)
            ),
        );
    }
    if !x_label.is_empty() {
        c.text(
            left + grid_w / 2.0,
            h - 8.0,
            &clip(x_label, 60),
            "middle",
            "font-size=\"12\"",
        );
    }
    if !y_label.is_empty() {
        let (cx, cy) = (12.0, top + grid_h / 2.0);
        c.text(
            cx,
            cy,
            &clip(y_label, 40),
            "middle",
            &format!(
                "font-size=\"12\" transform=\"rotate(-90 {} {})\"",
                f(cx),
                f(cy)
            ),
        );
    }
    // Colour key: a column of steps from the top value down to the bottom one.
    let (lo, hi) = match colors {
        HeatColors::Diverging { limit } => (-limit, limit),
        HeatColors::Sequential { max } => (0.0, max),
    };
    let kx = left + grid_w + 16.0;
    let kh = grid_h.clamp(60.0, 200.0);
    let steps = 20;
    for i in 0..steps {
        let v = hi - (hi - lo) * (i as f64 + 0.5) / steps as f64;
        let (fill, _) = heat_color(colors, v);
        c.rect(
            kx,
            top + kh * i as f64 / steps as f64,
            12.0,
            kh / steps as f64 + 0.5,
            &fill,
            None,
        );
    }
    c.text(kx + 16.0, top + 9.0, &num(hi), "start", "font-size=\"10\"");
    c.text(kx + 16.0, top + kh, &num(lo), "start", "font-size=\"10\"");
    c.finish(title)
}

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

    #[test]
    fn heat_colours_run_from_blue_to_red() {
        let d = HeatColors::Diverging { limit: 1.0 };
        assert_eq!(heat_color(d, 0.0).0, "#ffffff");
        assert_eq!(heat_color(d, 1.0).0, "#b2182b");
        assert_eq!(heat_color(d, -1.0).0, "#2166ac");
    }
}
