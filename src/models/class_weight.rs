//! `class_weight`: how much each class's rows count in a classifier's fit, as scikit-learn's
//! `class_weight`. "balanced" weighs class c by Σw / (k · Σ_{yᵢ=c} wᵢ) over the fit's own training
//! rows (k the classes present there); w is the row weights (1 without `data.weight`) for the
//! models whose scikit-learn counterpart counts the classes weighted (logistic regression,
//! forests: `compute_class_weight(sample_weight=...)`), and 1 for those that count rows (trees and
//! the boostings: `compute_sample_weight(class_weight, y)`), see [`BalancedBy`]. A table names a
//! weight per class label, the classes it leaves out weighing 1. The fit then weighs row i by
//! wᵢ · class_weight[yᵢ], exactly as scikit-learn folds class weights into `sample_weight`; the
//! scores are weighted by the row weights alone. "balanced_subsample" (random_forest only) is
//! "balanced" computed on each tree's bootstrap sample, by the forest itself
//! ([`balanced_on_sample`]).

use super::params::{ParamDoc, ParamError, ParamKind};
use super::Task;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassWeight {
    Named(ClassWeightName),
    /// Class label (as text) -> weight.
    Table(BTreeMap<String, f64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeightName {
    Balanced,
    BalancedSubsample,
}

/// The named rules every model with a `class_weight` takes.
pub const BALANCED: &[&str] = &["balanced"];
/// And a forest's, which can balance each tree's bootstrap sample.
pub const BALANCED_OR_SUBSAMPLE: &[&str] = &["balanced", "balanced_subsample"];

/// The `class_weight` row of a tree model's or boosting's parameter table.
pub const CLASS_WEIGHT_DOC: ParamDoc = ParamDoc {
    name: "class_weight",
    kind: ParamKind::ClassWeight(BALANCED),
    doc: "classification: balanced weighs each class n / (k * its rows) in the fit (from the fold's training rows); a table { label = weight } weighs the classes it names (the rest 1); unset: every class 1",
};

/// A classifier's weights given to a regression: a mistake to name, not to ignore.
pub fn check_task(class_weight: Option<&ClassWeight>, task: Task) -> Result<(), ParamError> {
    match (class_weight, task) {
        (Some(_), Task::Regression | Task::Clustering) => Err(ParamError::new(
            "class_weight",
            "class_weight weighs the classes of a classification; this pipeline's task has none \
             (weigh rows with `data.weight` instead)",
        )),
        _ => Ok(()),
    }
}

/// What "balanced" counts a class's training rows with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalancedBy {
    /// Their row weights (scikit-learn's logistic regression and forests).
    RowWeights,
    /// One each (scikit-learn's trees and boostings).
    Rows,
}

/// scikit-learn's `compute_sample_weight("balanced", y, indices=sample)` for a bootstrap sample
/// given as per-row draw counts: class c weighs m / (k · m_c), m the draws, m_c those of class c,
/// k the classes drawn; each row's weight in the tree is its count times its class's weight.
pub fn balanced_on_sample(labels: &[usize], n_classes: usize, counts: &[f64]) -> Vec<f64> {
    let mut per_class = vec![0.0; n_classes];
    for (&l, &c) in labels.iter().zip(counts) {
        per_class[l] += c;
    }
    let drawn: f64 = per_class.iter().sum();
    let k = per_class.iter().filter(|&&c| c > 0.0).count() as f64;
    labels
        .iter()
        .zip(counts)
        .map(|(&l, &c)| {
            if c > 0.0 {
                c * drawn / (k * per_class[l])
            } else {
                0.0
            }
        })
        .collect()
}

impl ClassWeight {
    /// The table's labels that are not among `classes` (the target's labels).
    pub fn unknown_labels<'a>(&'a self, classes: &[String]) -> Vec<&'a str> {
        match self {
            ClassWeight::Table(t) => t
                .keys()
                .filter(|k| !classes.contains(k))
                .map(String::as_str)
                .collect(),
            ClassWeight::Named(_) => Vec::new(),
        }
    }

    /// Each training row's weight for the fit: its row weight (1 without) times its class's.
    pub fn row_weights(
        &self,
        labels: &[usize],
        classes: &[String],
        rows: Option<&[f64]>,
        by: BalancedBy,
    ) -> Vec<f64> {
        let row = |i: usize| rows.map_or(1.0, |w| w[i]);
        let count = |i: usize| match by {
            BalancedBy::RowWeights => row(i),
            BalancedBy::Rows => 1.0,
        };
        let per_class: Vec<f64> = match self {
            ClassWeight::Table(t) => classes
                .iter()
                .map(|c| t.get(c).copied().unwrap_or(1.0))
                .collect(),
            // Outside a bootstrap, "balanced_subsample" is "balanced" (as scikit-learn's).
            ClassWeight::Named(_) => {
                let mut totals = vec![0.0; classes.len()];
                let mut present = vec![false; classes.len()];
                for (i, &l) in labels.iter().enumerate() {
                    totals[l] += count(i);
                    present[l] = true;
                }
                let k = present.iter().filter(|p| **p).count() as f64;
                let all: f64 = totals.iter().sum();
                totals
                    .iter()
                    .map(|&t| if t > 0.0 { all / (k * t) } else { 0.0 })
                    .collect()
            }
        };
        labels
            .iter()
            .enumerate()
            .map(|(i, &l)| row(i) * per_class[l])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> Vec<String> {
        vec!["no".into(), "yes".into()]
    }

    #[test]
    fn balanced_weights_are_scikit_learns() {
        // compute_class_weight("balanced", classes=[0, 1], y=[0, 0, 0, 1]) = [2/3, 2].
        let w = ClassWeight::Named(ClassWeightName::Balanced).row_weights(
            &[0, 0, 0, 1],
            &classes(),
            None,
            BalancedBy::RowWeights,
        );
        assert_eq!(w, vec![4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 2.0]);
        // With row weights, the classes' weighted counts: Σw = 6, class 0 has 3, class 1 has 3.
        let rows = [1.0, 1.0, 1.0, 3.0];
        let w = ClassWeight::Named(ClassWeightName::Balanced).row_weights(
            &[0, 0, 0, 1],
            &classes(),
            Some(&rows),
            BalancedBy::RowWeights,
        );
        assert_eq!(w, vec![1.0, 1.0, 1.0, 3.0]);
        // Counted by rows (a tree's compute_sample_weight), then times the row weights.
        let w = ClassWeight::Named(ClassWeightName::Balanced).row_weights(
            &[0, 0, 0, 1],
            &classes(),
            Some(&rows),
            BalancedBy::Rows,
        );
        assert_eq!(w, vec![4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 6.0]);
    }

    #[test]
    fn a_table_weighs_the_classes_it_names_and_leaves_the_rest_at_one() {
        let t = ClassWeight::Table([("yes".to_string(), 5.0)].into());
        assert_eq!(
            t.row_weights(
                &[0, 1, 1],
                &classes(),
                Some(&[2.0, 1.0, 0.5]),
                BalancedBy::RowWeights
            ),
            vec![2.0, 5.0, 2.5]
        );
        assert_eq!(t.unknown_labels(&classes()), Vec::<&str>::new());
        let typo = ClassWeight::Table([("yess".to_string(), 5.0)].into());
        assert_eq!(typo.unknown_labels(&classes()), vec!["yess"]);
    }

    #[test]
    fn balanced_on_a_bootstrap_sample_counts_the_draws() {
        // compute_sample_weight("balanced", y=[0, 0, 1, 1], indices=[0, 0, 0, 2]): the sample has
        // 3 draws of class 0 and 1 of class 1, so 4 / (2 * 3) and 4 / (2 * 1); row 0 is drawn
        // three times, row 1 and row 3 never.
        let w = balanced_on_sample(&[0, 0, 1, 1], 2, &[3.0, 0.0, 1.0, 0.0]);
        assert_eq!(w, vec![3.0 * 4.0 / 6.0, 0.0, 2.0, 0.0]);
    }
}
