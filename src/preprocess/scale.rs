//! Scaling numeric columns, as scikit-learn's scalers: x' = (x - center) / scale, statistics from the
//! (imputed) training rows. A column with zero spread keeps scale 1, as scikit-learn does.

use super::impute::quantile;
use crate::config::ScaleMethod;

/// (center, scale) for one column.
pub fn fit(method: ScaleMethod, values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (0.0, 1.0);
    }
    let (center, spread) = match method {
        ScaleMethod::None => return (0.0, 1.0),
        ScaleMethod::Standard => {
            let mean = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            (mean, var.sqrt())
        }
        ScaleMethod::Minmax => {
            let min = values.iter().copied().fold(f64::INFINITY, f64::min);
            let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (min, max - min)
        }
        ScaleMethod::Robust => {
            let mut v = values.to_vec();
            let median = quantile(&mut v, 0.5);
            let iqr = quantile(&mut v, 0.75) - quantile(&mut v, 0.25);
            (median, iqr)
        }
    };
    // scikit-learn's _handle_zeros_in_scale: a spread at rounding level counts as zero.
    let scale = if spread < 10.0 * f64::EPSILON * center.abs().max(1.0) {
        1.0
    } else {
        spread
    };
    (center, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalers_follow_scikit_learn() {
        assert_eq!(fit(ScaleMethod::Standard, &[1.0, 3.0]), (2.0, 1.0));
        assert_eq!(fit(ScaleMethod::Minmax, &[1.0, 3.0, 5.0]), (1.0, 4.0));
        assert_eq!(
            fit(ScaleMethod::Robust, &[1.0, 2.0, 3.0, 4.0, 5.0]),
            (3.0, 2.0)
        );
        assert_eq!(fit(ScaleMethod::Standard, &[7.0, 7.0]), (7.0, 1.0));
        assert_eq!(fit(ScaleMethod::None, &[7.0, 9.0]), (0.0, 1.0));
    }
}
