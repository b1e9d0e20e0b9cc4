//! The tree builder that `decision_tree`, `random_forest` and `gradient_boosting` share: CART trees
//! grown greedily, depth first, on a design matrix.
//!
//! The builder sorts every dense feature once per design ([`Presort`], shared through `FitCache`) and
//! keeps, for each, the rows of every open node as a contiguous run of that feature's sorted order; a
//! split partitions each run stably into its left and right halves, so no node ever sorts. One-hot
//! columns are not sorted or partitioned at all: a node counts its rows into each block's categories
//! in one pass (from one more run, the rows in row order), which gives every column of the block its
//! split at once. Bootstrap samples and subsamples are per-row weights (rows of weight 0 take no
//! part), so X is never copied.
//!
//! In parts: [`presort`] sorts the columns, [`criterion`] scores the splits of one feature, [`grow`]
//! grows a tree, [`node`] is the fitted tree. This file holds what the tree models share around them:
//! the targets as the builder sees them, the growth settings, the parameters every tree model takes.

mod criterion;
mod grow;
mod node;
mod presort;

pub(crate) use grow::grow;
pub use node::{Node, Tree};
pub use presort::Presort;

use super::params::{at_least, ParamDoc, ParamError, ParamKind};
use super::{Targets, Task};
use crate::design::Design;
use crate::matrix::Matrix;
use rayon::prelude::*;

/// Two neighbouring sorted values closer than this count as equal: no threshold is placed between
/// them (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;
/// A node whose impurity is at most this is pure and becomes a leaf (scikit-learn's `EPSILON`).
const PURE: f64 = f64::EPSILON;
/// Nodes with at least this many rows search and partition their features in parallel (the results
/// are reduced in feature order, so they do not depend on the thread count).
pub(crate) const PARALLEL_ROWS: usize = 16_384;

// ---------------------------------------------------------------------------------------------
// The parameters every tree model takes.
// ---------------------------------------------------------------------------------------------

/// `Err` unless an explicit max_depth is >= 1.
pub(crate) fn check_max_depth(max_depth: Option<usize>) -> Result<(), ParamError> {
    match max_depth {
        Some(d) => at_least("max_depth", d, 1),
        None => Ok(()),
    }
}

pub(crate) const MAX_DEPTH_DOC: ParamDoc = ParamDoc {
    name: "max_depth",
    kind: ParamKind::Int,
    doc: "maximum depth of a tree, >= 1; unset = grow until leaves are pure or too small to split",
};

pub(crate) const MIN_SAMPLES_LEAF_DOC: ParamDoc = ParamDoc {
    name: "min_samples_leaf",
    kind: ParamKind::Int,
    doc: "rows each child of a split must keep, >= 1",
};

// ---------------------------------------------------------------------------------------------
// Shared helpers for the tree models.
// ---------------------------------------------------------------------------------------------

/// The builder's view of the targets, after checking them against X (rows, finiteness, labels) and
/// the task they imply.
pub(crate) fn response_of<'a>(
    x: &Design,
    targets: Targets<'a>,
    model: &str,
) -> Result<(Response<'a>, Task), String> {
    let (response, task, n) = match targets {
        Targets::Values(y) => (Response::Values(y), Task::Regression, y.len()),
        Targets::Classes { labels, n_classes } => {
            if let Some(bad) = labels.iter().find(|&&l| l >= n_classes) {
                return Err(format!(
                    "class label {bad} is out of range for {n_classes} classes"
                ));
            }
            (
                Response::Classes { labels, n_classes },
                Task::Classification,
                labels.len(),
            )
        }
        Targets::Unsupervised => {
            return Err(format!(
                "{model} needs a target: it does regression or classification, not clustering"
            ))
        }
    };
    if n != x.n_rows() {
        return Err(format!(
            "the design matrix has {} rows but there are {n} targets",
            x.n_rows()
        ));
    }
    if n == 0 {
        return Err(format!("{model} cannot be fitted on zero rows"));
    }
    // One-hot blocks hold only 0 and 1.
    let dense = &x.dense;
    if let Some(j) = (0..dense.n_cols).find(|&j| dense.col(j).iter().any(|v| !v.is_finite())) {
        return Err(format!(
            "column {j} of the design matrix holds NaN or infinite values; impute or drop them"
        ));
    }
    if let Response::Values(y) = response {
        if y.iter().any(|v| !v.is_finite()) {
            return Err("the target holds NaN or infinite values".into());
        }
    }
    Ok((response, task))
}

/// `v / Σv`, or `v` unchanged when the sum is not positive (a single-leaf tree).
pub(crate) fn normalised(mut v: Vec<f64>) -> Vec<f64> {
    let s: f64 = v.iter().sum();
    if s > 0.0 {
        v.iter_mut().for_each(|x| *x /= s);
    }
    v
}

/// An n x k matrix whose row i is written by `fill(i, row)`, rows computed in parallel.
pub(crate) fn rows_to_matrix(
    n: usize,
    k: usize,
    fill: impl Fn(usize, &mut [f64]) + Sync,
) -> Matrix {
    let mut row_major = vec![0.0; n * k];
    if k > 0 {
        row_major
            .par_chunks_mut(k)
            .enumerate()
            .for_each(|(i, row)| fill(i, row));
    }
    let mut m = Matrix::zeros(n, k);
    for i in 0..n {
        for j in 0..k {
            m.set(i, j, row_major[i * k + j]);
        }
    }
    m
}

// ---------------------------------------------------------------------------------------------
// The builder.
// ---------------------------------------------------------------------------------------------

/// How a split's quality is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitRule {
    /// Maximise wL·mean_L² + wR·mean_R² (minimise the children's squared error; for one output
    /// this is also scikit-learn's friedman_mse, whose improvement is the same quantity).
    SquaredError,
    Gini,
    Entropy,
}

/// What the tree learns: a value per row (regression, boosting residuals) or a class per row.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Response<'a> {
    Values(&'a [f64]),
    Classes {
        labels: &'a [usize],
        n_classes: usize,
    },
}

impl Response<'_> {
    pub(crate) fn n_classes(&self) -> Option<usize> {
        match self {
            Response::Values(_) => None,
            Response::Classes { n_classes, .. } => Some(*n_classes),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct GrowConfig {
    pub rule: SplitRule,
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    /// Features drawn at random (without replacement) per split; >= the column count means all,
    /// in column order, with no randomness.
    pub max_features: usize,
}
