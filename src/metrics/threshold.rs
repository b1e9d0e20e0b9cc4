//! The decision threshold of a binary classifier, tuned as scikit-learn's
//! `TunedThresholdClassifierCV(thresholds=100)` tunes it.
//!
//! Each fold's validation rows give a curve: the metric at 100 thresholds evenly spaced from the
//! least to the greatest predicted probability of the positive class (a row is positive when its
//! probability is at least the threshold). The folds' curves are read off, by linear
//! interpolation, at 100 thresholds spanning every fold's range; the threshold with the best mean
//! is the candidate's (the first on ties), and that mean is its score (scikit-learn's
//! `best_threshold_` and `best_score_`).

use super::{Metric, Truth};
use crate::matrix::Matrix;
use crate::models::Output;
use serde::{Deserialize, Serialize};

/// scikit-learn's default `thresholds`.
pub const N_THRESHOLDS: usize = 100;

/// One fold's metric at each of its thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub thresholds: Vec<f64>,
    pub scores: Vec<f64>,
}

/// A tuned threshold and the mean score at it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuned {
    pub threshold: f64,
    pub score: f64,
}

/// `numpy.linspace(start, stop, n)`: the same floats (i * step + start, the last exactly `stop`).
pub fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    let step = (stop - start) / (n - 1) as f64;
    let mut out: Vec<f64> = (0..n)
        .map(|i| {
            if step == 0.0 {
                i as f64 / (n - 1) as f64 * (stop - start) + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    out[n - 1] = stop;
    out
}

/// `numpy.interp(x, xp, fp)` for increasing `xp`: the ends held beyond the range.
pub fn interp(x: f64, xp: &[f64], fp: &[f64]) -> f64 {
    let last = xp.len() - 1;
    if x >= xp[last] {
        return fp[last];
    }
    if x < xp[0] {
        return fp[0];
    }
    // The last j with xp[j] <= x.
    let j = xp.partition_point(|&v| v <= x) - 1;
    if xp[j] == x {
        return fp[j];
    }
    let slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    let y = slope * (x - xp[j]) + fp[j];
    if y.is_nan() {
        let other = slope * (x - xp[j + 1]) + fp[j + 1];
        if other.is_nan() && fp[j] == fp[j + 1] {
            return fp[j];
        }
        return other;
    }
    y
}

/// The labels of a probability output cut at `threshold` on `positive`'s probability (binary), or
/// the most probable class (no threshold, or more than two classes).
pub fn labels_at(proba: &Matrix, positive: usize, threshold: Option<f64>) -> Vec<usize> {
    match threshold {
        Some(t) if proba.n_cols == 2 => proba
            .col(positive)
            .iter()
            .map(|&p| if p >= t { positive } else { 1 - positive })
            .collect(),
        _ => crate::models::argmax_rows(proba),
    }
}

/// The fold's curve of `metric` (one that scores labels), or None when every validation row has
/// the same probability (scikit-learn refuses a constant predictor: there is nothing to tune).
pub fn fold_curve(
    metric: Metric,
    truth: Truth,
    output: &Output,
    weights: Option<&[f64]>,
) -> Result<Option<Curve>, String> {
    let (Truth::Classes { positive, .. }, Output::Proba(proba)) = (truth, output) else {
        return Err("a tuned threshold needs a classifier's probabilities".into());
    };
    let scores_of = proba.col(positive);
    let lo = scores_of.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = scores_of.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        return Ok(None);
    }
    let thresholds = linspace(lo, hi, N_THRESHOLDS);
    let scores = thresholds
        .iter()
        .map(|&t| metric.score_weighted(truth.at_threshold(Some(t)), output, weights))
        .collect::<Result<Vec<f64>, String>>()?;
    Ok(Some(Curve { thresholds, scores }))
}

/// The threshold whose mean score over the folds' curves is best, and that mean.
pub fn tune(curves: &[&Curve], greater_is_better: bool) -> Tuned {
    let lo = curves
        .iter()
        .map(|c| c.thresholds[0])
        .fold(f64::INFINITY, f64::min);
    let hi = curves
        .iter()
        .map(|c| c.thresholds[c.thresholds.len() - 1])
        .fold(f64::NEG_INFINITY, f64::max);
    let mut best: Option<Tuned> = None;
    for t in linspace(lo, hi, N_THRESHOLDS) {
        let score = mean_at(curves, t);
        let better = match best {
            None => true,
            Some(b) if greater_is_better => score > b.score,
            Some(b) => score < b.score,
        };
        if better {
            best = Some(Tuned {
                threshold: t,
                score,
            });
        }
    }
    best.expect("linspace gives N_THRESHOLDS points")
}

/// The mean over the folds of each curve read at `t`.
pub fn mean_at(curves: &[&Curve], t: f64) -> f64 {
    let total: f64 = curves
        .iter()
        .map(|c| interp(t, &c.thresholds, &c.scores))
        .sum();
    total / curves.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linspace_is_numpys() {
        // numpy.linspace(0.1, 0.7, 4).tolist()
        assert_eq!(linspace(0.1, 0.7, 4), vec![0.1, 0.3, 0.5, 0.7]);
        assert_eq!(linspace(2.0, 2.0, 3), vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn interp_is_numpys() {
        let xp = [0.0, 1.0, 3.0];
        let fp = [1.0, 3.0, 0.0];
        // numpy.interp([-1, 0, 0.5, 1, 2, 3, 4], xp, fp)
        let got: Vec<f64> = [-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0]
            .iter()
            .map(|&x| interp(x, &xp, &fp))
            .collect();
        assert_eq!(got, vec![1.0, 1.0, 2.0, 3.0, 1.5, 0.0, 0.0]);
    }

    #[test]
    fn labels_cut_at_the_threshold_on_the_positive_class() {
        let proba = Matrix::from_columns(3, vec![vec![0.9, 0.6, 0.2], vec![0.1, 0.4, 0.8]]);
        assert_eq!(labels_at(&proba, 1, None), vec![0, 0, 1]);
        assert_eq!(labels_at(&proba, 1, Some(0.4)), vec![0, 1, 1]);
        assert_eq!(labels_at(&proba, 0, Some(0.95)), vec![1, 1, 1]);
    }

    #[test]
    fn the_tuned_threshold_maximises_the_mean_curve() {
        let a = Curve {
            thresholds: vec![0.0, 0.5, 1.0],
            scores: vec![0.2, 0.8, 0.4],
        };
        let b = Curve {
            thresholds: vec![0.0, 0.5, 1.0],
            scores: vec![0.4, 0.6, 0.2],
        };
        let t = tune(&[&a, &b], true);
        // numpy: the mean of the np.interp curves at np.linspace(0, 1, 100), its argmax.
        assert_eq!(t.threshold, linspace(0.0, 1.0, N_THRESHOLDS)[49]);
        assert!((t.score - 0.6959595959595961).abs() < 1e-12, "{t:?}");
    }
}
