//! `search.threshold = "tune"` in the search: each fit keeps, per label metric, its fold's curve
//! over thresholds; once a candidate's folds are all in, its threshold is the one the search
//! metric's mean curve peaks at (`metrics::threshold`), and every label metric's fold score is
//! read off its curve there, as scikit-learn's `best_score_` is. Those scores are measured on the
//! rows the threshold was picked on, so they lean optimistic; the holdout's are not.

use super::trial::FoldScore;
use crate::metrics::threshold::{self, Curve};
use crate::metrics::{Metric, Truth};
use crate::models::Output;
use std::collections::BTreeMap;

/// The curves of every label metric on one fold's validation rows.
pub fn fold_curves(
    metrics: &[Metric],
    truth: Truth,
    output: &Output,
    weights: Option<&[f64]>,
) -> Result<BTreeMap<String, Curve>, String> {
    let mut curves = BTreeMap::new();
    for &m in metrics.iter().filter(|m| m.scores_labels()) {
        let Some(curve) = threshold::fold_curve(m, truth, output, weights)? else {
            return Err(
                "every validation row has the same probability of the positive class: there is \
                 no threshold to tune (scikit-learn refuses a constant predictor too)"
                    .into(),
            );
        };
        curves.insert(m.name().to_string(), curve);
    }
    Ok(curves)
}

/// Picks the candidate's threshold on `metric`'s curves and rescores every label metric of every
/// fold at it; None when a fold has no curve (none of its metrics scores labels).
pub fn tune(folds: &mut [FoldScore], metric: Metric) -> Option<f64> {
    let curves: Vec<&Curve> = folds
        .iter()
        .filter_map(|f| f.curves.get(metric.name()))
        .collect();
    if curves.len() != folds.len() || curves.is_empty() {
        return None;
    }
    let t = threshold::tune(&curves, metric.greater_is_better()).threshold;
    for fold in folds.iter_mut() {
        for (name, curve) in &fold.curves {
            let score = threshold::interp(t, &curve.thresholds, &curve.scores);
            fold.scores.insert(name.clone(), score);
        }
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::Matrix;

    #[test]
    fn every_fold_is_rescored_at_the_threshold_of_the_mean_curve() {
        let fold = |labels: &[usize], p1: Vec<f64>| {
            let proba = Matrix::from_columns(
                p1.len(),
                vec![p1.iter().map(|p| 1.0 - p).collect(), p1.clone()],
            );
            let truth = Truth::Classes {
                labels,
                n_classes: 2,
                positive: 1,
                threshold: None,
            };
            let output = Output::Proba(proba);
            let curves = fold_curves(&[Metric::F1, Metric::LogLoss], truth, &output, None).unwrap();
            FoldScore {
                fold: 0,
                scores: [("f1".to_string(), 0.0), ("log_loss".to_string(), 9.0)].into(),
                fit_seconds: 0.0,
                curves,
            }
        };
        // Positives are the rows above 0.3 in both folds: a cut there scores f1 = 1.
        let mut folds = vec![
            fold(&[0, 0, 1, 1], vec![0.1, 0.2, 0.35, 0.4]),
            fold(&[0, 1, 1, 0], vec![0.05, 0.45, 0.5, 0.3]),
        ];
        assert_eq!(folds[0].curves.keys().collect::<Vec<_>>(), ["f1"]);
        let t = tune(&mut folds, Metric::F1).unwrap();
        assert!(t > 0.3 && t <= 0.35, "{t}");
        for f in &folds {
            assert_eq!(f.scores["f1"], 1.0);
            assert_eq!(
                f.scores["log_loss"], 9.0,
                "a probability metric is left alone"
            );
        }
    }

    #[test]
    fn a_constant_predictor_cannot_be_tuned() {
        let proba = Matrix::from_columns(2, vec![vec![0.5, 0.5], vec![0.5, 0.5]]);
        let truth = Truth::Classes {
            labels: &[0, 1],
            n_classes: 2,
            positive: 1,
            threshold: None,
        };
        let e = fold_curves(&[Metric::Accuracy], truth, &Output::Proba(proba), None).unwrap_err();
        assert!(e.contains("same probability"), "{e}");
    }
}
