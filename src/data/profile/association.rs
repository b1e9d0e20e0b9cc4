//! How strongly a column goes with the target (Pearson r, or the correlation ratio eta for classes),
//! and the leakage flag for a column that predicts the target too well on its own.

use super::stats::pearson;
use super::{Flag, Target, TargetView, LEAK_ACCURACY, LEAK_R2, MAX_CLASSES};
use crate::data::number_text::{num, pct};
use crate::data::{Column, ColumnData, MISSING_CODE};

/// The correlation ratio squared (share of `y`'s variance between groups) of numbers `y` grouped by
/// `groups` (MISSING_CODE skipped).
fn eta_squared(groups: &[u32], n_groups: usize, y: &[f64]) -> Option<f64> {
    let mut sum = vec![0.0; n_groups];
    let mut count = vec![0usize; n_groups];
    let (mut total, mut n) = (0.0, 0usize);
    for (&g, &v) in groups.iter().zip(y) {
        if g != MISSING_CODE && !v.is_nan() && (g as usize) < n_groups {
            sum[g as usize] += v;
            count[g as usize] += 1;
            total += v;
            n += 1;
        }
    }
    if n < 3 {
        return None;
    }
    let mean = total / n as f64;
    let mut ss_total = 0.0;
    for (&g, &v) in groups.iter().zip(y) {
        if g != MISSING_CODE && !v.is_nan() && (g as usize) < n_groups {
            ss_total += (v - mean) * (v - mean);
        }
    }
    if ss_total <= 0.0 {
        return None;
    }
    let ss_between: f64 = sum
        .iter()
        .zip(&count)
        .filter(|(_, c)| **c > 0)
        .map(|(s, c)| {
            let d = s / *c as f64 - mean;
            *c as f64 * d * d
        })
        .sum();
    Some((ss_between / ss_total).clamp(0.0, 1.0))
}

/// Share of rows classified right by the majority class of each group (MISSING_CODE skipped), and the
/// share of the most common class overall (the baseline).
fn group_accuracy(
    groups: &[u32],
    n_groups: usize,
    classes: &[u32],
    n_classes: usize,
) -> Option<(f64, f64)> {
    let mut table = vec![0usize; n_groups * n_classes];
    let mut overall = vec![0usize; n_classes];
    let mut n = 0usize;
    for (&g, &c) in groups.iter().zip(classes) {
        if g != MISSING_CODE
            && c != MISSING_CODE
            && (g as usize) < n_groups
            && (c as usize) < n_classes
        {
            table[g as usize * n_classes + c as usize] += 1;
            overall[c as usize] += 1;
            n += 1;
        }
    }
    if n == 0 {
        return None;
    }
    let right: usize = table
        .chunks(n_classes)
        .map(|row| row.iter().copied().max().unwrap_or(0))
        .sum();
    let baseline = overall.iter().copied().max().unwrap_or(0);
    Some((right as f64 / n as f64, baseline as f64 / n as f64))
}

/// Quantile bins of a numeric column (about 20, never splitting equal values) as group codes.
fn quantile_groups(values: &[f64]) -> (Vec<u32>, usize) {
    let mut order: Vec<usize> = (0..values.len()).filter(|&i| !values[i].is_nan()).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let per_bin = (order.len() / 20).max(1);
    let mut groups = vec![MISSING_CODE; values.len()];
    let (mut bin, mut in_bin) = (0u32, 0usize);
    for (k, &i) in order.iter().enumerate() {
        if in_bin >= per_bin && values[i] != values[order[k - 1]] {
            bin += 1;
            in_bin = 0;
        }
        groups[i] = bin;
        in_bin += 1;
    }
    let n_groups = if order.is_empty() {
        0
    } else {
        bin as usize + 1
    };
    (groups, n_groups)
}

/// A column's association with the target, and a leakage flag when it predicts it too well alone.
pub(super) fn target_association(
    column: &Column,
    distinct: usize,
    non_null: usize,
    target: &Target,
) -> (Option<f64>, Option<Flag>) {
    // Many small groups explain a target by chance: only judge text columns with few categories.
    let few_groups = distinct <= MAX_CLASSES.max(non_null / 20);
    match (&column.data, &target.view) {
        (ColumnData::Numeric(x), TargetView::Values(y)) => {
            let r = pearson(x, y);
            let flag = r
                .filter(|r| r * r >= LEAK_R2)
                .map(|r| Flag::Leakage(format!("r = {}", num(r))));
            (r, flag)
        }
        (ColumnData::Categorical { codes, dictionary }, TargetView::Values(y)) => {
            let eta2 = eta_squared(codes, dictionary.len(), y).filter(|_| few_groups);
            let flag = eta2
                .filter(|e| *e >= LEAK_R2)
                .map(|e| Flag::Leakage(format!("explains {} of its variance", pct(e))));
            (None, flag)
        }
        (ColumnData::Numeric(x), TargetView::Classes { codes, classes }) => {
            let assoc = if classes.len() == 2 {
                let y: Vec<f64> = codes
                    .iter()
                    .map(|&c| {
                        if c == MISSING_CODE {
                            f64::NAN
                        } else {
                            c as f64
                        }
                    })
                    .collect();
                pearson(x, &y)
            } else {
                eta_squared(codes, classes.len(), x).map(f64::sqrt)
            };
            let (groups, n_groups) = quantile_groups(x);
            let flag = leak_by_accuracy(&groups, n_groups, codes, classes.len());
            (assoc, flag)
        }
        (
            ColumnData::Categorical {
                codes: g,
                dictionary,
            },
            TargetView::Classes { codes, classes },
        ) => {
            let flag = if few_groups {
                leak_by_accuracy(g, dictionary.len(), codes, classes.len())
            } else {
                None
            };
            (None, flag)
        }
    }
}

fn leak_by_accuracy(
    groups: &[u32],
    n_groups: usize,
    classes: &[u32],
    n_classes: usize,
) -> Option<Flag> {
    let (acc, baseline) = group_accuracy(groups, n_groups, classes, n_classes)?;
    (acc >= LEAK_ACCURACY && baseline < LEAK_ACCURACY).then(|| {
        Flag::Leakage(format!(
            "alone it classifies {} of rows right, against {} for the most common class",
            pct(acc),
            pct(baseline)
        ))
    })
}
