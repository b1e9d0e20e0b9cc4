//! Regression metrics, as scikit-learn defines them.

/// Coefficient of determination: 1 - SS_res / SS_tot. As scikit-learn (force_finite): a constant
/// truth scores 1 when predicted exactly, else 0.
pub fn r2(y: &[f64], p: &[f64]) -> f64 {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let ss_res: f64 = y.iter().zip(p).map(|(t, q)| (t - q) * (t - q)).sum();
    let ss_tot: f64 = y.iter().map(|t| (t - mean) * (t - mean)).sum();
    if ss_tot == 0.0 {
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

pub fn mse(y: &[f64], p: &[f64]) -> f64 {
    y.iter().zip(p).map(|(t, q)| (t - q) * (t - q)).sum::<f64>() / y.len() as f64
}

pub fn mae(y: &[f64], p: &[f64]) -> f64 {
    y.iter().zip(p).map(|(t, q)| (t - q).abs()).sum::<f64>() / y.len() as f64
}

/// Mean absolute percentage error as a fraction (scikit-learn: |y - p| / max(|y|, eps)).
pub fn mape(y: &[f64], p: &[f64]) -> f64 {
    y.iter()
        .zip(p)
        .map(|(t, q)| (t - q).abs() / t.abs().max(f64::EPSILON))
        .sum::<f64>()
        / y.len() as f64
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
        assert!((r2(&y, &p) - 0.9486081370449679).abs() < 1e-15);
        assert!((mse(&y, &p) - 0.375).abs() < 1e-15);
        assert!((mae(&y, &p) - 0.5).abs() < 1e-15);
        assert!((mape(&[1.0, 10.0], &[2.0, 5.0]) - 0.75).abs() < 1e-15);
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 1.0]), 1.0);
        assert_eq!(r2(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
        assert!(Metric::Rmse.better(1.0, 2.0) && Metric::R2.better(0.9, 0.8));
    }
}
