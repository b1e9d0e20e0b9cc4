//! The curves of a classifier's scores against the truth, as scikit-learn defines them: the ROC
//! curve and its area, the precision-recall curve and its average precision, and the reliability
//! (calibration) curve. Each takes (score of the class, row is of the class) pairs.

/// Points kept for drawing at most: every k-th, and always the last.
const DRAWN: usize = 400;

fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= DRAWN {
        return points;
    }
    let step = points.len().div_ceil(DRAWN);
    let last = points[points.len() - 1];
    let mut kept: Vec<(f64, f64)> = points.into_iter().step_by(step).collect();
    if kept.last() != Some(&last) {
        kept.push(last);
    }
    kept
}

/// (true positives, false positives) after each distinct score, from the highest down: rows with
/// equal scores move together, as scikit-learn's curves treat a threshold.
fn cumulative_counts(scores: &[(f64, bool)]) -> Vec<(usize, usize)> {
    let mut sorted: Vec<(f64, bool)> = scores.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let threshold = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == threshold {
            if sorted[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        out.push((tp, fp));
    }
    out
}

/// An ROC curve (false positive rate, true positive rate) and its area; None without both kinds.
pub fn roc_curve(scores: &[(f64, bool)]) -> Option<(Vec<(f64, f64)>, f64)> {
    let positives = scores.iter().filter(|s| s.1).count();
    let negatives = scores.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut points = vec![(0.0, 0.0)];
    let mut auc = 0.0;
    for (tp, fp) in cumulative_counts(scores) {
        let point = (fp as f64 / negatives as f64, tp as f64 / positives as f64);
        let last = points[points.len() - 1];
        auc += (point.0 - last.0) * (point.1 + last.1) / 2.0;
        points.push(point);
    }
    Some((thin(points), auc))
}

/// The precision-recall curve (recall, precision), from recall 0 at precision 1, and the average
/// precision, scikit-learn's `average_precision_score`: the precision at each threshold weighted
/// by the recall it adds (no interpolation). None without a positive row.
pub fn precision_recall_curve(scores: &[(f64, bool)]) -> Option<(Vec<(f64, f64)>, f64)> {
    let positives = scores.iter().filter(|s| s.1).count();
    if positives == 0 {
        return None;
    }
    let mut points = vec![(0.0, 1.0)];
    let mut average = 0.0;
    let mut last_recall = 0.0;
    for (tp, fp) in cumulative_counts(scores) {
        let recall = tp as f64 / positives as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        average += (recall - last_recall) * precision;
        last_recall = recall;
        points.push((recall, precision));
    }
    Some((thin(points), average))
}

/// The reliability curve, scikit-learn's `calibration_curve(y, prob, n_bins, strategy="uniform")`:
/// the probabilities cut into `bins` equal-width bins of [0, 1] (each bin's upper edge in the
/// next bin, the last bin closed); for each bin with rows, (mean predicted probability, share
/// of the rows that are positive).
pub fn calibration_curve(scores: &[(f64, bool)], bins: usize) -> Vec<(f64, f64)> {
    let mut sum = vec![0.0; bins];
    let mut positive = vec![0usize; bins];
    let mut total = vec![0usize; bins];
    for &(p, is) in scores {
        // searchsorted(inner edges, p, side="left"): the edges below p, each edge as
        // np.linspace(0, 1, bins + 1) makes it (i x step).
        let step = 1.0 / bins as f64;
        let bin = (1..bins).filter(|&e| e as f64 * step < p).count();
        sum[bin] += p;
        total[bin] += 1;
        positive[bin] += usize::from(is);
    }
    (0..bins)
        .filter(|&b| total[b] > 0)
        .map(|b| {
            (
                sum[b] / total[b] as f64,
                positive[b] as f64 / total[b] as f64,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_of_a_perfect_and_a_useless_ranking() {
        let perfect = [(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        let (points, auc) = roc_curve(&perfect).unwrap();
        assert_eq!(auc, 1.0);
        assert_eq!(points.last(), Some(&(1.0, 1.0)));
        let ties = [(0.5, true), (0.5, false)];
        assert_eq!(roc_curve(&ties).unwrap().1, 0.5);
        assert!(roc_curve(&[(0.3, true)]).is_none());
    }

    // The expected values are scikit-learn's: y = [1, 0, 1, 1, 0, 0, 1],
    // p = [0.9, 0.8, 0.7, 0.7, 0.4, 0.2, 0.1].
    const ROWS: [(f64, bool); 7] = [
        (0.9, true),
        (0.8, false),
        (0.7, true),
        (0.7, true),
        (0.4, false),
        (0.2, false),
        (0.1, true),
    ];

    #[test]
    fn precision_recall_and_average_precision_as_scikit_learn() {
        let (points, ap) = precision_recall_curve(&ROWS).unwrap();
        // average_precision_score(y, p)
        assert!((ap - 0.767_857_142_857_142_8).abs() < 1e-12, "{ap}");
        // precision_recall_curve(y, p), read from the highest threshold down.
        let expected = [
            (0.0, 1.0),
            (0.25, 1.0),
            (0.25, 0.5),
            (0.75, 0.75),
            (0.75, 0.6),
            (0.75, 0.5),
            (1.0, 4.0 / 7.0),
        ];
        assert_eq!(points.len(), expected.len());
        for (got, want) in points.iter().zip(expected) {
            assert!(
                (got.0 - want.0).abs() < 1e-12 && (got.1 - want.1).abs() < 1e-12,
                "{points:?}"
            );
        }
        assert!(precision_recall_curve(&[(0.3, false)]).is_none());
    }

    #[test]
    fn calibration_bins_as_scikit_learn() {
        // calibration_curve(y, p, n_bins=5): prob_true, prob_pred
        let got = calibration_curve(&ROWS, 5);
        let expected = [
            (0.15, 0.5),
            (0.4, 0.0),
            (0.7333333333333334, 0.6666666666666666),
            (0.9, 1.0),
        ];
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for (g, e) in got.iter().zip(expected) {
            assert!(
                (g.0 - e.0).abs() < 1e-12 && (g.1 - e.1).abs() < 1e-12,
                "{got:?}"
            );
        }
    }
}
