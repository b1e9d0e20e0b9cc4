//! Classification metrics, as scikit-learn 1.9 defines them.
//!
//! Classes are indices 0..n_classes (the sorted labels); probabilities are an n_rows x n_classes
//! `Matrix` whose column c is P(class c). Two classes: precision, recall, F1 and ROC AUC are those of
//! the given positive class (scikit-learn's `average="binary"`, `pos_label`). Three or more: their
//! macro average (`average="macro"`; ROC AUC one-vs-rest, `multi_class="ovr"`). An undefined ratio
//! counts as 0 (scikit-learn's `zero_division` default), except ROC AUC, which is NaN when a class
//! it needs has no rows in `y` (scikit-learn warns and returns NaN too).

use super::{mean_of, weight};
use crate::matrix::Matrix;

/// Row weights (`data.weight`, scikit-learn's `sample_weight`): a row counts wᵢ times in every
/// count below; without weights every row counts once.
pub type Weights<'a> = Option<&'a [f64]>;

/// Share of rows predicted right.
pub fn accuracy(y: &[usize], pred: &[usize], w: Weights) -> f64 {
    mean_of(y.len(), w, |i| f64::from(u8::from(y[i] == pred[i])))
}

/// Mean recall over the classes present in `y` (scikit-learn's `balanced_accuracy_score`; a class
/// whose rows all weigh 0 is left out, as its recall is undefined).
pub fn balanced_accuracy(y: &[usize], pred: &[usize], n_classes: usize, w: Weights) -> f64 {
    let c = counts(y, pred, n_classes, w);
    let recalls: Vec<f64> = (0..n_classes)
        .filter(|k| c.support[*k] > 0.0)
        .map(|k| c.tp[k] / c.support[k])
        .collect();
    recalls.iter().sum::<f64>() / recalls.len() as f64
}

/// Precision: tp / (tp + fp) of `positive` (two classes) or its macro average over the classes
/// present in `y` or `pred` (three or more).
pub fn precision(
    y: &[usize],
    pred: &[usize],
    n_classes: usize,
    positive: usize,
    w: Weights,
) -> f64 {
    averaged(y, pred, (n_classes, positive), w, |tp, fp, _| {
        ratio(tp, tp + fp)
    })
}

/// Recall: tp / (tp + fn), averaged as `precision`.
pub fn recall(y: &[usize], pred: &[usize], n_classes: usize, positive: usize, w: Weights) -> f64 {
    averaged(y, pred, (n_classes, positive), w, |tp, _, fn_| {
        ratio(tp, tp + fn_)
    })
}

/// F1: 2 tp / (2 tp + fp + fn), averaged as `precision`.
pub fn f1(y: &[usize], pred: &[usize], n_classes: usize, positive: usize, w: Weights) -> f64 {
    averaged(y, pred, (n_classes, positive), w, |tp, fp, fn_| {
        ratio(2.0 * tp, 2.0 * tp + fp + fn_)
    })
}

/// Mean negative log-likelihood of the true classes, probabilities clipped to
/// [ε, 1 - ε] with ε = f64::EPSILON (scikit-learn 1.9: `finfo(dtype).eps`; rows are not renormalised).
pub fn log_loss(y: &[usize], proba: &Matrix, w: Weights) -> f64 {
    let eps = f64::EPSILON;
    mean_of(y.len(), w, |i| {
        -proba.get(i, y[i]).clamp(eps, 1.0 - eps).ln()
    })
}

/// Area under the ROC curve. Two columns: of `positive`'s probability, rows of class `positive`
/// being the positives. Three or more: the mean over classes of each class's one-vs-rest AUC
/// (scikit-learn's `roc_auc_score(multi_class="ovr", average="macro")`). Ties in the scores are one
/// threshold (the trapezoid rule over distinct thresholds). NaN when a class has no rows or all rows.
pub fn roc_auc(y: &[usize], proba: &Matrix, positive: usize, w: Weights) -> f64 {
    if proba.n_cols == 2 {
        binary_auc(y, proba.col(positive), positive, w)
    } else {
        let aucs: Vec<f64> = (0..proba.n_cols)
            .map(|c| binary_auc(y, proba.col(c), c, w))
            .collect();
        aucs.iter().sum::<f64>() / aucs.len() as f64
    }
}

/// AUC of `score` for the rows whose class is `positive` against the others.
fn binary_auc(y: &[usize], score: &[f64], positive: usize, w: Weights) -> f64 {
    let mut order: Vec<usize> = (0..y.len()).collect();
    // Descending score; a stable sort keeps ties together in row order (irrelevant to the area).
    order.sort_by(|a, b| score[*b].total_cmp(&score[*a]));
    let (mut tp, mut fp) = (0.0f64, 0.0f64);
    let (mut prev_tp, mut prev_fp) = (0.0f64, 0.0f64);
    let mut area = 0.0;
    let mut i = 0;
    while i < order.len() {
        let s = score[order[i]];
        while i < order.len() && score[order[i]] == s {
            if y[order[i]] == positive {
                tp += weight(w, order[i]);
            } else {
                fp += weight(w, order[i]);
            }
            i += 1;
        }
        area += (fp - prev_fp) * (tp + prev_tp) / 2.0;
        prev_tp = tp;
        prev_fp = fp;
    }
    if tp == 0.0 || fp == 0.0 {
        return f64::NAN;
    }
    area / (tp * fp)
}

struct Counts {
    tp: Vec<f64>,
    fp: Vec<f64>,
    fn_: Vec<f64>,
    /// The weight of each class's rows in y.
    support: Vec<f64>,
    /// Whether each class is in y or in pred (by rows, whatever their weight: scikit-learn's
    /// labels are those of the data).
    present: Vec<bool>,
}

fn counts(y: &[usize], pred: &[usize], n_classes: usize, w: Weights) -> Counts {
    let mut c = Counts {
        tp: vec![0.0; n_classes],
        fp: vec![0.0; n_classes],
        fn_: vec![0.0; n_classes],
        support: vec![0.0; n_classes],
        present: vec![false; n_classes],
    };
    for (i, (&t, &p)) in y.iter().zip(pred).enumerate() {
        let wi = weight(w, i);
        c.support[t] += wi;
        c.present[t] = true;
        c.present[p] = true;
        if t == p {
            c.tp[t] += wi;
        } else {
            c.fp[p] += wi;
            c.fn_[t] += wi;
        }
    }
    c
}

fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

fn averaged(
    y: &[usize],
    pred: &[usize],
    (n_classes, positive): (usize, usize),
    w: Weights,
    score: impl Fn(f64, f64, f64) -> f64,
) -> f64 {
    let c = counts(y, pred, n_classes, w);
    if n_classes == 2 {
        return score(c.tp[positive], c.fp[positive], c.fn_[positive]);
    }
    let per_class: Vec<f64> = (0..n_classes)
        .filter(|k| c.present[*k])
        .map(|k| score(c.tp[k], c.fp[k], c.fn_[k]))
        .collect();
    per_class.iter().sum::<f64>() / per_class.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values: scikit-learn 1.9.1 on the same arrays (see each test).

    const Y3: [usize; 10] = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1];
    const P3: [usize; 10] = [0, 2, 2, 1, 1, 0, 1, 2, 1, 0];

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }

    fn proba3() -> Matrix {
        Matrix::from_rows(&[
            vec![0.7, 0.2, 0.1],
            vec![0.1, 0.3, 0.6],
            vec![0.2, 0.2, 0.6],
            vec![0.1, 0.5, 0.4],
            vec![0.3, 0.4, 0.3],
            vec![0.5, 0.3, 0.2],
            vec![0.3, 0.4, 0.3],
            vec![0.0, 0.0, 1.0],
            vec![0.2, 0.7, 0.1],
            vec![0.4, 0.3, 0.3],
        ])
    }

    #[test]
    fn multiclass_label_metrics() {
        close(accuracy(&Y3, &P3, None), 0.6);
        close(balanced_accuracy(&Y3, &P3, 3, None), 0.611111111111111);
        close(precision(&Y3, &P3, 3, 0, None), 0.611111111111111);
        close(recall(&Y3, &P3, 3, 0, None), 0.611111111111111);
        close(f1(&Y3, &P3, 3, 0, None), 0.611111111111111);
        // A class in neither y nor pred (3 of 4) is left out of the macro average; one only
        // predicted (3 here) counts, with precision 0 (zero_division).
        let y = [0, 1, 1, 0, 2];
        let p = [0, 1, 3, 0, 3];
        close(precision(&y, &p, 5, 0, None), 0.5);
        close(recall(&y, &p, 5, 0, None), 0.375);
        close(f1(&y, &p, 5, 0, None), 0.41666666666666663);
        close(balanced_accuracy(&y, &p, 5, None), 0.5);
    }

    #[test]
    fn binary_label_metrics() {
        let y = [0, 1, 1, 0, 1, 0, 1, 1];
        let p = [0, 1, 0, 1, 1, 0, 1, 0];
        close(precision(&y, &p, 2, 1, None), 0.75);
        close(recall(&y, &p, 2, 1, None), 0.6);
        close(f1(&y, &p, 2, 1, None), 0.6666666666666666);
        close(precision(&y, &p, 2, 0, None), 0.5);
        close(recall(&y, &p, 2, 0, None), 0.6666666666666666);
        close(f1(&y, &p, 2, 0, None), 0.5714285714285714);
        close(balanced_accuracy(&y, &p, 2, None), 0.6333333333333333);
        // Nothing predicted positive: precision and F1 are 0 (zero_division).
        let none = [0; 8];
        close(precision(&y, &none, 2, 1, None), 0.0);
        close(f1(&y, &none, 2, 1, None), 0.0);
    }

    #[test]
    fn weighted_metrics_match_scikit_learn() {
        // sklearn.metrics.*(..., sample_weight=W) on scikit-learn 1.9.1.
        let w = [1.0, 2.0, 0.5, 3.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0];
        let w = Some(&w[..]);
        close(accuracy(&Y3, &P3, w), 0.38461538461538464);
        close(balanced_accuracy(&Y3, &P3, 3, w), 0.38888888888888884);
        close(precision(&Y3, &P3, 3, 0, w), 0.442002442002442);
        close(recall(&Y3, &P3, 3, 0, w), 0.38888888888888884);
        close(f1(&Y3, &P3, 3, 0, w), 0.40638528138528135);
        close(log_loss(&Y3, &proba3(), w), 0.8591230274982569);
        close(roc_auc(&Y3, &proba3(), 0, w), 0.7369281045751634);
        let y = [0, 1, 1, 0, 1, 0, 1, 1];
        let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2];
        let p = Matrix::from_columns(8, vec![s.iter().map(|v| 1.0 - v).collect(), s.to_vec()]);
        let w8 = [1.0, 2.0, 0.5, 3.0, 1.0, 1.0, 2.0, 1.0];
        close(roc_auc(&y, &p, 1, Some(&w8)), 0.49230769230769234);
        close(
            f1(&y, &[0, 1, 0, 1, 1, 0, 1, 0], 2, 1, Some(&w8)),
            0.6896551724137931,
        );
    }

    #[test]
    fn log_loss_clips() {
        close(log_loss(&Y3, &proba3(), None), 0.7361822568929519);
        // A zero probability on the true class is clipped to eps: -ln(eps) / 2.
        let p = Matrix::from_rows(&[vec![1.0, 0.0], vec![0.5, 0.5]]);
        close(log_loss(&[1, 1], &p, None), 18.36840028483855);
    }

    #[test]
    fn roc_auc_with_ties() {
        let y = [0, 1, 1, 0, 1, 0, 1, 1];
        let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.9, 0.2];
        let p = Matrix::from_columns(8, vec![s.iter().map(|v| 1.0 - v).collect(), s.to_vec()]);
        close(roc_auc(&y, &p, 1, None), 0.5333333333333334);
        close(roc_auc(&y, &p, 0, None), 0.5333333333333333);
        close(roc_auc(&Y3, &proba3(), 0, None), 0.8621031746031745);
        assert!(roc_auc(&[1, 1], &p.select_rows(&[0, 1]), 1, None).is_nan());
    }
}
