//! A fold's targets (and row weights) split into its training and validation rows: what a fit
//! learns from and what its scores compare with.

use super::folds::Split;
use crate::data::{Dataset, TargetData};
use crate::matrix::Matrix;
use crate::metrics::Truth;
use crate::models::class_weight::{BalancedBy, ClassWeight};
use crate::models::Targets;

/// The targets of one fold, split into training and validation rows.
#[derive(Debug, Clone)]
pub enum FoldData {
    Values {
        train: Vec<f64>,
        valid: Vec<f64>,
        weights: Option<FoldWeights>,
    },
    Classes {
        train: Vec<usize>,
        valid: Vec<usize>,
        n_classes: usize,
        positive: usize,
        /// The decision threshold the validation rows are scored at (`search.threshold`).
        threshold: Option<f64>,
        weights: Option<FoldWeights>,
    },
    Unsupervised {
        weights: Option<FoldWeights>,
    },
}

/// `data.weight` on a fold's two sides.
#[derive(Debug, Clone)]
pub struct FoldWeights {
    pub train: Vec<f64>,
    pub valid: Vec<f64>,
}

impl FoldData {
    pub fn new(
        target: Option<&TargetData>,
        split: &Split,
        positive: usize,
        weights: Option<&[f64]>,
    ) -> Self {
        let pick = |v: &[f64], rows: &[usize]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
        let weights = weights.map(|w| FoldWeights {
            train: pick(w, &split.train),
            valid: pick(w, &split.valid),
        });
        match target {
            Some(TargetData::Values(v)) => FoldData::Values {
                train: pick(v, &split.train),
                valid: pick(v, &split.valid),
                weights,
            },
            Some(TargetData::Classes { labels, classes }) => FoldData::Classes {
                train: split.train.iter().map(|&r| labels[r]).collect(),
                valid: split.valid.iter().map(|&r| labels[r]).collect(),
                n_classes: classes.len(),
                positive,
                threshold: None,
                weights,
            },
            None => FoldData::Unsupervised { weights },
        }
    }

    fn weights(&self) -> Option<&FoldWeights> {
        match self {
            FoldData::Values { weights, .. }
            | FoldData::Classes { weights, .. }
            | FoldData::Unsupervised { weights } => weights.as_ref(),
        }
    }

    /// The training rows' weights (`data.weight`), for the fit.
    pub fn train_weights(&self) -> Option<&[f64]> {
        self.weights().map(|w| &w.train[..])
    }

    /// The weights a fit on the training rows takes: the row weights, times the class weights of
    /// the model's `class_weight` (computed from these training rows), given the target's labels.
    pub fn fit_weights(
        &self,
        class_weight: Option<(&ClassWeight, BalancedBy)>,
        dataset: &Dataset,
    ) -> Option<std::borrow::Cow<'_, [f64]>> {
        let rows = self.train_weights();
        match (self, class_weight, &dataset.target) {
            (
                FoldData::Classes { train, .. },
                Some((cw, by)),
                Some(TargetData::Classes { classes, .. }),
            ) => Some(std::borrow::Cow::Owned(
                cw.row_weights(train, classes, rows, by),
            )),
            _ => rows.map(std::borrow::Cow::Borrowed),
        }
    }

    /// The validation rows' weights, for the scores.
    pub fn valid_weights(&self) -> Option<&[f64]> {
        self.weights().map(|w| &w.valid[..])
    }

    /// The same targets, scored with a binary classifier's decision threshold.
    pub fn at_threshold(mut self, t: Option<f64>) -> Self {
        if let FoldData::Classes { threshold, .. } = &mut self {
            *threshold = t;
        }
        self
    }

    pub fn train_targets(&self) -> Targets<'_> {
        match self {
            FoldData::Values { train, .. } => Targets::Values(train),
            FoldData::Classes {
                train, n_classes, ..
            } => Targets::Classes {
                labels: train,
                n_classes: *n_classes,
            },
            FoldData::Unsupervised { .. } => Targets::Unsupervised,
        }
    }

    pub fn valid_truth<'a>(&'a self, x_valid: &'a Matrix) -> Truth<'a> {
        truth(self, true, x_valid)
    }
}

fn truth<'a>(fd: &'a FoldData, valid: bool, x: &'a Matrix) -> Truth<'a> {
    let _ = x;
    match fd {
        FoldData::Values {
            train, valid: v, ..
        } => Truth::Values(if valid { v } else { train }),
        FoldData::Classes {
            train,
            valid: v,
            n_classes,
            positive,
            threshold,
            ..
        } => Truth::Classes {
            labels: if valid { v } else { train },
            n_classes: *n_classes,
            positive: *positive,
            threshold: *threshold,
        },
        FoldData::Unsupervised { .. } => Truth::Rows(x),
    }
}
