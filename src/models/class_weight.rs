//! `class_weight`: how much each class's rows count in a classifier's fit, as scikit-learn's
//! `class_weight`. "balanced" weighs class c by Σw / (k · Σ_{yᵢ=c} wᵢ) over the fit's own training
//! rows (k the classes present there, w the row weights, 1 without `data.weight`); a table names
//! a weight per class label, the classes it leaves out weighing 1. The fit then weighs row i by
//! wᵢ · class_weight[yᵢ], exactly as scikit-learn folds class weights into `sample_weight`; the
//! scores are weighted by the row weights alone.

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
    ) -> Vec<f64> {
        let row = |i: usize| rows.map_or(1.0, |w| w[i]);
        let per_class: Vec<f64> = match self {
            ClassWeight::Table(t) => classes
                .iter()
                .map(|c| t.get(c).copied().unwrap_or(1.0))
                .collect(),
            ClassWeight::Named(ClassWeightName::Balanced) => {
                let mut totals = vec![0.0; classes.len()];
                let mut present = vec![false; classes.len()];
                for (i, &l) in labels.iter().enumerate() {
                    totals[l] += row(i);
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
        );
        assert_eq!(w, vec![4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 2.0]);
        // With row weights, the classes' weighted counts: Σw = 6, class 0 has 3, class 1 has 3.
        let rows = [1.0, 1.0, 1.0, 3.0];
        let w = ClassWeight::Named(ClassWeightName::Balanced).row_weights(
            &[0, 0, 0, 1],
            &classes(),
            Some(&rows),
        );
        assert_eq!(w, vec![1.0, 1.0, 1.0, 3.0]);
    }

    #[test]
    fn a_table_weighs_the_classes_it_names_and_leaves_the_rest_at_one() {
        let t = ClassWeight::Table([("yes".to_string(), 5.0)].into());
        assert_eq!(
            t.row_weights(&[0, 1, 1], &classes(), Some(&[2.0, 1.0, 0.5])),
            vec![2.0, 5.0, 2.5]
        );
        assert_eq!(t.unknown_labels(&classes()), Vec::<&str>::new());
        let typo = ClassWeight::Table([("yess".to_string(), 5.0)].into());
        assert_eq!(typo.unknown_labels(&classes()), vec!["yess"]);
    }
}
