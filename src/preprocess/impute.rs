//! Filling missing values, as scikit-learn's SimpleImputer: statistics from the training rows only.

use crate::config::{CategoricalImpute, NumericImpute};
use crate::data::sort_labels;

/// The value that fills a numeric column's gaps, or `None` when gaps are not filled (drop / error:
/// those rows were dealt with when the data was read, and a gap at predict time is an error;
/// none: gaps stay NaN for the model).
/// A column with no training values is filled with 0.
pub fn numeric_fill(strategy: NumericImpute, fill_value: f64, present: &mut [f64]) -> Option<f64> {
    match strategy {
        NumericImpute::Constant => Some(fill_value),
        NumericImpute::Drop | NumericImpute::Error | NumericImpute::None => None,
        _ if present.is_empty() => Some(0.0),
        NumericImpute::Mean => Some(present.iter().sum::<f64>() / present.len() as f64),
        NumericImpute::Median => Some(quantile(present, 0.5)),
    }
}

/// The q-quantile with linear interpolation between order statistics (numpy's default),
/// reordering `values` in place. Selection, not a sort: the two order statistics it needs are the
/// ones a sort would put there, found in linear time.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let (_, at_lo, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let at_lo = *at_lo;
    let at_hi = if hi == lo {
        at_lo
    } else {
        // Order statistic lo + 1: the smallest of the values above.
        above
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(at_lo)
    };
    at_lo + (at_hi - at_lo) * (pos - lo as f64)
}

/// The category that fills a categorical column's gaps. `most_frequent` breaks ties towards the
/// smallest value, as scikit-learn does; `counts[i]` is how often `dictionary[i]` occurs in training.
pub fn categorical_fill(
    strategy: CategoricalImpute,
    fill_category: &str,
    dictionary: &[String],
    counts: &[usize],
) -> Option<String> {
    match strategy {
        CategoricalImpute::Constant => Some(fill_category.to_string()),
        CategoricalImpute::Drop | CategoricalImpute::Error => None,
        CategoricalImpute::MostFrequent => {
            let best = counts.iter().copied().max().filter(|c| *c > 0);
            let Some(best) = best else {
                return Some(fill_category.to_string());
            };
            let mut tied: Vec<String> = dictionary
                .iter()
                .zip(counts)
                .filter(|(_, c)| **c == best)
                .map(|(d, _)| d.clone())
                .collect();
            sort_labels(&mut tied);
            tied.into_iter().next()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mean_as_numpy() {
        assert_eq!(
            numeric_fill(NumericImpute::Median, 0.0, &mut [3.0, 1.0, 2.0, 10.0]),
            Some(2.5)
        );
        assert_eq!(
            numeric_fill(NumericImpute::Mean, 0.0, &mut [1.0, 2.0]),
            Some(1.5)
        );
        assert_eq!(
            numeric_fill(NumericImpute::Constant, -1.0, &mut [1.0]),
            Some(-1.0)
        );
        assert_eq!(numeric_fill(NumericImpute::Drop, 0.0, &mut [1.0]), None);
        assert_eq!(quantile(&mut [1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0);
        assert_eq!(quantile(&mut [1.0, 2.0, 3.0, 4.0], 0.75), 3.25);
    }

    #[test]
    fn most_frequent_ties_go_to_the_smallest() {
        let dict = vec!["b".to_string(), "a".into(), "c".into()];
        assert_eq!(
            categorical_fill(CategoricalImpute::MostFrequent, "m", &dict, &[2, 2, 1]),
            Some("a".into())
        );
        assert_eq!(
            categorical_fill(CategoricalImpute::MostFrequent, "m", &dict, &[0, 0, 0]),
            Some("m".into())
        );
    }
}
