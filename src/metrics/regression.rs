//! Regression metrics, as scikit-learn defines them, with its `sample_weight` (`data.weight`):
//! every mean is a weighted mean, Σ wᵢ vᵢ / Σ wᵢ; without weights every row weighs 1.

use super::{mean_of, weight};

/// Coefficient of determination: 1 - SS_res / SS_tot (weighted sums about the weighted mean). As
/// scikit-learn (force_finite): a constant truth scores 1 when predicted exactly, else 0.
pub fn r2(y: &[f64], p: &[f64], w: Option<&[f64]>) -> f64 {
    let mean = mean_of(y.len(), w, |i| y[i]);
    let (mut ss_res, mut ss_tot) = (0.0, 0.0);
    for i in 0..y.len() {
        let wi = weight(w, i);
        ss_res += wi * (y[i] - p[i]) * (y[i] - p[i]);
        ss_tot += wi * (y[i] - mean) * (y[i] - mean);
    }
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

pub fn mse(y: &[f64], p: &[f64], w: Option<&[f64]>) -> f64 {
    mean_of(y.len(), w, |i| (y[i] - p[i]) * (y[i] - p[i]))
}

pub fn mae(y: &[f64], p: &[f64], w: Option<&[f64]>) -> f64 {
    mean_of(y.len(), w, |i| (y[i] - p[i]).abs())
}

/// Mean absolute percentage error as a fraction (scikit-learn: |y - p| / max(|y|, eps)).
pub fn mape(y: &[f64], p: &[f64], w: Option<&[f64]>) -> f64 {
    mean_of(y.len(), w, |i| {
        (y[i] - p[i]).abs() / y[i].abs().max(f64::EPSILON)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metric;

    #[test]
    fn regression_metrics_match_hand_computed_values() {
        let y = [3.0, -0.5, 2.0, 7.0];
        let p = [2.5, 0.0, 2.0, 8.0];
        // scikit-learn's documented example values.
        assert!((r2(&y, &p, None) - 0.9486081370449679).abs() < 1e-15);
        assert!((mse(&y, &p, None) - 0.375).abs() < 1e-15);
        assert!((mae(&y, &p, None) - 0.5).abs() < 1e-15);
        assert!((mape(&[1.0, 10.0], &[2.0, 5.0], None) - 0.75).abs() < 1e-15);
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 1.0], None), 1.0);
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 2.0], None), 0.0);
        assert!(Metric::Rmse.better(1.0, 2.0) && Metric::R2.better(0.9, 0.8));
    }

    #[test]
    fn weighted_metrics_match_scikit_learn() {
        // sklearn.metrics.*(y, p, sample_weight=w) on scikit-learn 1.9.1.
        let y = [3.0, -0.5, 2.0, 7.0];
        let p = [2.5, 0.0, 2.0, 8.0];
        let w = [1.0, 2.0, 0.5, 3.0];
        assert!((r2(&y, &p, Some(&w)) - 0.9463401210787011).abs() < 1e-14);
        assert!((mse(&y, &p, Some(&w)) - 0.5769230769230769).abs() < 1e-14);
        assert!((mae(&y, &p, Some(&w)) - 0.6923076923076923).abs() < 1e-14);
        assert!((mape(&y, &p, Some(&w)) - 0.39926739926739924).abs() < 1e-14);
    }
}
