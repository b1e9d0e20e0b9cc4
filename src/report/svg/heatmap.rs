//! Heatmaps: a grid of coloured cells with optional text (correlations, a confusion matrix).

use super::{f, Canvas, HeatColors, CHAR_W};
use crate::data::number_text::num;
use crate::report::fmt::clip;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colours_run_from_blue_to_red() {
        let d = HeatColors::Diverging { limit: 1.0 };
        assert_eq!(heat_color(d, 0.0).0, "#ffffff");
        assert_eq!(heat_color(d, 1.0).0, "#b2182b");
        assert_eq!(heat_color(d, -1.0).0, "#2166ac");
    }
}
