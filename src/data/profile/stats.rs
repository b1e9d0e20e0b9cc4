//! The statistics of one column's values: mean, spread, quartiles and a histogram of the numbers,
//! counts of the categories, and Pearson correlations between columns.

use super::{quantile_sorted, NumericStats};
use crate::data::number_text::num;
use crate::data::MISSING_CODE;
use rayon::prelude::*;

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

pub(super) fn numeric_stats(values: &[f64]) -> (Option<NumericStats>, usize, usize) {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let m = sorted.len();
    if m == 0 {
        return (None, 0, 0);
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let distinct = 1 + sorted.windows(2).filter(|w| w[0] != w[1]).count();
    let mean = sorted.iter().sum::<f64>() / m as f64;
    let var = if m > 1 {
        sorted.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (m - 1) as f64
    } else {
        f64::NAN
    };
    let (min, max) = (sorted[0], sorted[m - 1]);
    let integer = sorted.iter().all(|v| v.fract() == 0.0);
    let histogram = histogram_of(&sorted, integer, distinct);
    (
        Some(NumericStats {
            mean,
            std: var.sqrt(),
            min,
            q1: quantile_sorted(&sorted, 0.25),
            median: quantile_sorted(&sorted, 0.5),
            q3: quantile_sorted(&sorted, 0.75),
            max,
            integer,
            histogram,
        }),
        m,
        distinct,
    )
}

/// Bins for a histogram of sorted values: one per whole number when there are few, else about
/// sqrt(n) (8 to 40); long tails are cut at the 1st and 99th percentiles, and the note says how many
/// values were left outside.
fn histogram_of(sorted: &[f64], integer: bool, distinct: usize) -> Histogram {
    let m = sorted.len();
    let (min, max) = (sorted[0], sorted[m - 1]);
    if integer && distinct <= 40 && max - min <= 40.0 {
        let mut h = Histogram::of(sorted, min - 0.5, max + 0.5, (max - min) as usize + 1);
        h.whole = true;
        return h;
    }
    let bins = ((m as f64).sqrt().round() as usize).clamp(8, 40);
    let (p1, p99) = (quantile_sorted(sorted, 0.01), quantile_sorted(sorted, 0.99));
    if p99 > p1 && max - min > 4.0 * (p99 - p1) {
        let mut h = Histogram::of(sorted, p1, p99, bins);
        let outside = m - h.counts.iter().sum::<usize>();
        h.note = Some(format!(
            "1st to 99th percentile; {outside} values outside ({} to {})",
            num(min),
            num(max)
        ));
        return h;
    }
    Histogram::of(sorted, min, max, bins)
}

pub(super) fn category_counts(codes: &[u32], n_categories: usize) -> (Vec<usize>, usize) {
    let mut counts = vec![0usize; n_categories];
    let mut present = 0;
    for &c in codes {
        if c != MISSING_CODE {
            if let Some(slot) = counts.get_mut(c as usize) {
                *slot += 1;
                present += 1;
            }
        }
    }
    (counts, present)
}

/// Pearson correlation over the rows where both are present; None when either is constant there.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let (mut n, mut sx, mut sy) = (0usize, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        if !a.is_nan() && !b.is_nan() {
            n += 1;
            sx += a;
            sy += b;
        }
    }
    if n < 3 {
        return None;
    }
    let (mx, my) = (sx / n as f64, sy / n as f64);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        if !a.is_nan() && !b.is_nan() {
            let (dx, dy) = (a - mx, b - my);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Pearson correlations between columns (pairwise complete), computed in parallel.
pub fn correlation_matrix(columns: &[&[f64]]) -> Vec<Vec<Option<f64>>> {
    let k = columns.len();
    let pairs: Vec<(usize, usize)> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .collect();
    let values: Vec<Option<f64>> = pairs
        .par_iter()
        .map(|&(i, j)| pearson(columns[i], columns[j]))
        .collect();
    let mut m = vec![vec![None; k]; k];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = Some(1.0);
    }
    for ((i, j), v) in pairs.into_iter().zip(values) {
        m[i][j] = v;
        m[j][i] = v;
    }
    m
}
