//! Decision trees (CART, as scikit-learn's `DecisionTreeRegressor` / `DecisionTreeClassifier`) and the
//! tree builder that `random_forest` and `gradient_boosting` share.
//!
//! The builder sorts every dense feature once per design ([`Presort`], shared through `FitCache`) and
//! keeps, for each, the rows of every open node as a contiguous run of that feature's sorted order; a
//! split partitions each run stably into its left and right halves, so no node ever sorts. One-hot
//! columns are not sorted or partitioned at all: a node counts its rows into each block's categories
//! in one pass (from one more run, the rows in row order), which gives every column of the block its
//! split at once. Bootstrap samples and subsamples are per-row weights (rows of weight 0 take no
//! part), so X is never copied.

use super::params::{at_least, ParamDoc, ParamError, ParamKind};
use super::{ModelInfo, Output, Targets, Task};
use crate::design::{Design, RowValues, RowsByColumn};
use crate::matrix::Matrix;
use crate::rng::Rng;
use rand::Rng as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Two neighbouring sorted values closer than this count as equal: no threshold is placed between
/// them (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f64 = 1e-7;
/// A node whose impurity is at most this is pure and becomes a leaf (scikit-learn's `EPSILON`).
const PURE: f64 = f64::EPSILON;
/// Nodes with at least this many rows search and partition their features in parallel (the results
/// are reduced in feature order, so they do not depend on the thread count).
const PARALLEL_ROWS: usize = 16_384;

// ---------------------------------------------------------------------------------------------
// The decision_tree model.
// ---------------------------------------------------------------------------------------------

/// The split-quality measure of a decision tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TreeCriterion {
    /// Regression: the weighted variance of the target in each child.
    SquaredError,
    /// Classification: Gini impurity 1 - Σ p_k².
    Gini,
    /// Classification: Shannon entropy -Σ p_k log2 p_k.
    Entropy,
}

impl TreeCriterion {
    pub fn name(self) -> &'static str {
        match self {
            TreeCriterion::SquaredError => "squared_error",
            TreeCriterion::Gini => "gini",
            TreeCriterion::Entropy => "entropy",
        }
    }

    fn rule(self) -> SplitRule {
        match self {
            TreeCriterion::SquaredError => SplitRule::SquaredError,
            TreeCriterion::Gini => SplitRule::Gini,
            TreeCriterion::Entropy => SplitRule::Entropy,
        }
    }
}

/// Decision tree (CART).
///
/// Grows one binary tree greedily, depth first, as scikit-learn's `DecisionTreeRegressor` /
/// `DecisionTreeClassifier` with `splitter="best"`: each node takes the split `x_j <= t` that most
/// reduces the weighted impurity of its children (squared error for regression; Gini or entropy for
/// classification), over every feature and every threshold halfway between two consecutive distinct
/// sorted values. A node becomes a leaf when it reaches `max_depth`, holds fewer than
/// `min_samples_split` rows (or fewer than 2 `min_samples_leaf`), is pure, or has no split leaving
/// `min_samples_leaf` rows on each side. Leaves predict the mean target (regression) or the class
/// frequencies (classification). Feature importances are the impurity decreases, weighted by node
/// size and normalised to sum to 1 (scikit-learn's `feature_importances_`).
///
/// Differences from scikit-learn: equally good splits are broken deterministically (the lowest
/// feature index, then the lowest threshold) where scikit-learn visits features in a random order;
/// features are compared in f64 where scikit-learn casts X to f32.
///
/// | parameter | default | meaning |
/// |---|---|---|
/// | max_depth | unset | maximum depth, >= 1; unset = grow until leaves are pure or too small |
/// | min_samples_split | 2 | rows a node needs to be split, >= 2 |
/// | min_samples_leaf | 1 | rows each child must keep, >= 1 |
/// | criterion | unset | "squared_error" (regression), "gini" or "entropy" (classification); unset = squared_error for regression, gini for classification |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeParams {
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub criterion: Option<TreeCriterion>,
}

impl Default for DecisionTreeParams {
    fn default() -> Self {
        DecisionTreeParams {
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            criterion: None,
        }
    }
}

impl DecisionTreeParams {
    pub fn check(&self) -> Result<(), ParamError> {
        check_max_depth(self.max_depth)?;
        at_least("min_samples_split", self.min_samples_split, 2)?;
        at_least("min_samples_leaf", self.min_samples_leaf, 1)
    }

    /// `Err` when `criterion` belongs to the other task (gini/entropy for regression, squared_error
    /// for classification). `check()` cannot see the task; the config checker calls this as well.
    pub fn check_task(&self, task: Task) -> Result<(), ParamError> {
        match (task, self.criterion) {
            (Task::Regression, Some(c @ (TreeCriterion::Gini | TreeCriterion::Entropy))) => {
                Err(ParamError::new(
                    "criterion",
                    format!(
                        "\"{}\" is a classification criterion; a regression tree takes \
                         \"squared_error\" (or leave criterion unset)",
                        c.name()
                    ),
                ))
            }
            (Task::Classification, Some(TreeCriterion::SquaredError)) => Err(ParamError::new(
                "criterion",
                "\"squared_error\" is a regression criterion; a classification tree takes \
                 \"gini\" or \"entropy\" (or leave criterion unset)",
            )),
            (Task::Clustering, _) => Err(ParamError::new(
                "criterion",
                "decision_tree does not do clustering",
            )),
            _ => Ok(()),
        }
    }

    /// The criterion in effect for `task`: the one given, or scikit-learn's default.
    pub fn criterion_for(&self, task: Task) -> TreeCriterion {
        self.criterion.unwrap_or(match task {
            Task::Classification => TreeCriterion::Gini,
            _ => TreeCriterion::SquaredError,
        })
    }
}

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
    default: "",
    doc: "maximum depth of a tree, >= 1; unset = grow until leaves are pure or too small to split",
};

pub(crate) const MIN_SAMPLES_LEAF_DOC: ParamDoc = ParamDoc {
    name: "min_samples_leaf",
    kind: ParamKind::Int,
    default: "1",
    doc: "rows each child of a split must keep, >= 1",
};

pub const DECISION_TREE_INFO: ModelInfo = ModelInfo {
    name: "decision_tree",
    tasks: &[Task::Regression, Task::Classification],
    objective: "greedy CART: each split minimises the weighted impurity of its children \
                (squared error; Gini or entropy for classification)",
    params: &[
        MAX_DEPTH_DOC,
        ParamDoc {
            name: "min_samples_split",
            kind: ParamKind::Int,
            default: "2",
            doc: "rows a node needs to be split, >= 2",
        },
        MIN_SAMPLES_LEAF_DOC,
        ParamDoc {
            name: "criterion",
            kind: ParamKind::Choice(&["squared_error", "gini", "entropy"]),
            default: "",
            doc: "split quality: \"squared_error\" for regression, \"gini\" or \"entropy\" for \
                  classification; unset = squared_error (regression), gini (classification)",
        },
    ],
};

/// A fitted decision tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeModel {
    pub tree: Tree,
    /// Number of classes for classification (leaves hold class frequencies); None for regression.
    pub n_classes: Option<usize>,
    /// Normalised impurity-based importance of each column (all zero when the tree is one leaf).
    pub importances: Vec<f64>,
}

pub fn fit_decision_tree(
    p: &DecisionTreeParams,
    x: &Matrix,
    targets: Targets,
    rng: &mut Rng,
) -> Result<(DecisionTreeModel, Vec<String>), String> {
    let _ = rng; // a tree considering every feature at every split is deterministic
    let x = Design::from_dense(x.clone());
    fit_decision_tree_presorted(p, &x, &Presort::new(&x), targets)
}

/// As [`fit_decision_tree`], with `x`'s columns already sorted: a grid of trees on one design sorts
/// them once ([`crate::models::FitCache::presort`]).
pub fn fit_decision_tree_presorted(
    p: &DecisionTreeParams,
    x: &Design,
    presort: &Presort,
    targets: Targets,
) -> Result<(DecisionTreeModel, Vec<String>), String> {
    p.check().map_err(|e| format!("{}: {}", e.key, e.message))?;
    let (response, task) = response_of(x, targets, "decision_tree")?;
    p.check_task(task)
        .map_err(|e| format!("{}: {}", e.key, e.message))?;
    let cfg = GrowConfig {
        rule: p.criterion_for(task).rule(),
        max_depth: p.max_depth,
        min_samples_split: p.min_samples_split,
        min_samples_leaf: p.min_samples_leaf,
        max_features: x.n_cols(),
    };
    let (tree, raw) = grow(x, presort, response, None, &cfg, None);
    let mut warnings = Vec::new();
    if tree.nodes.len() == 1 {
        warnings.push(format!(
            "the tree is a single leaf: no split of the {} training rows improved it while leaving \
             min_samples_leaf={} rows on each side",
            x.n_rows(),
            p.min_samples_leaf
        ));
    }
    Ok((
        DecisionTreeModel {
            importances: normalised(raw),
            n_classes: response.n_classes(),
            tree,
        },
        warnings,
    ))
}

impl DecisionTreeModel {
    pub fn predict<X: RowValues>(&self, x: &X) -> Output {
        match self.n_classes {
            None => Output::Values(
                (0..x.n_rows())
                    .into_par_iter()
                    .map(|i| self.tree.value(x, i)[0])
                    .collect(),
            ),
            Some(k) => Output::Proba(rows_to_matrix(x.n_rows(), k, |i, out| {
                out.copy_from_slice(self.tree.value(x, i))
            })),
        }
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        Some(("importance", self.importances.clone()))
    }
}

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
// The fitted tree.
// ---------------------------------------------------------------------------------------------

/// One node of a fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// Rows with `x[feature] <= threshold` go to `left`, the others to `right` (node indices).
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    /// The prediction: `[mean]` for regression, the class frequencies for classification.
    Leaf { value: Vec<f64> },
}

/// A fitted binary tree; node 0 is the root, nodes are numbered depth first, left before right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The index of the leaf that row i of x falls in.
    pub fn leaf_index<X: RowValues + ?Sized>(&self, x: &X, i: usize) -> usize {
        let mut k = 0;
        loop {
            match &self.nodes[k] {
                Node::Leaf { .. } => return k,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    k = if x.value(i, *feature) <= *threshold {
                        *left
                    } else {
                        *right
                    }
                }
            }
        }
    }

    /// The leaf value for row i of x.
    pub fn value<X: RowValues + ?Sized>(&self, x: &X, i: usize) -> &[f64] {
        match &self.nodes[self.leaf_index(x, i)] {
            Node::Leaf { value } => value,
            Node::Split { .. } => unreachable!("leaf_index returns a leaf"),
        }
    }

    /// Checks a tree read from a file before it predicts: every split on one of the design's
    /// `width` columns, every child numbered after its parent (depth first, as trees are grown, so
    /// a walk always ends) and inside the tree, every leaf holding `value_len` values.
    pub fn check(&self, width: usize, value_len: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        for (k, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Split {
                    feature,
                    left,
                    right,
                    ..
                } => {
                    if *feature >= width {
                        return Err(format!(
                            "node {k} splits on column {feature}, but the preprocessor makes {width}"
                        ));
                    }
                    let inside = |c: usize| c > k && c < self.nodes.len();
                    if !inside(*left) || !inside(*right) {
                        return Err(format!(
                            "node {k}'s children ({left}, {right}) are not later nodes of the tree"
                        ));
                    }
                }
                Node::Leaf { value } if value.len() != value_len => {
                    return Err(format!(
                        "leaf {k} holds {} values where {value_len} are expected",
                        value.len()
                    ));
                }
                Node::Leaf { .. } => {}
            }
        }
        Ok(())
    }

    /// Depth of the deepest leaf (0 for a single leaf).
    pub fn depth(&self) -> usize {
        fn walk(t: &Tree, k: usize) -> usize {
            match &t.nodes[k] {
                Node::Leaf { .. } => 0,
                Node::Split { left, right, .. } => 1 + walk(t, *left).max(walk(t, *right)),
            }
        }
        walk(self, 0)
    }

    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }
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

/// Every dense column's row order, sorted by value (ties by row index): computed once per design
/// and shared by every tree grown on the same X. Values are read from X through the order (4 bytes
/// a cell here and in each tree's working copy, not 12). A design with one-hot blocks has one more
/// run, the rows in row order, from which a node counts its categories.
#[derive(Debug)]
pub struct Presort {
    n_rows: usize,
    /// Run j occupies order[j * n_rows .. (j + 1) * n_rows].
    order: Vec<u32>,
}

impl Presort {
    pub(crate) fn new(x: &Design) -> Self {
        assert!(
            x.n_rows() <= u32::MAX as usize,
            "more rows than a tree can index"
        );
        let n = x.n_rows();
        let d = x.dense.n_cols;
        let runs = d + usize::from(!x.blocks.is_empty());
        let mut order = vec![0u32; n * runs];
        // Each column is sorted into its own slice of `order`: a two-valued column (indicator) in
        // one counting pass; others as (value, row) pairs, one column's at a time.
        if n > 0 {
            order
                .par_chunks_mut(n)
                .enumerate()
                .for_each(|(j, order_j)| {
                    if j == d {
                        order_j.iter_mut().zip(0u32..).for_each(|(o, i)| *o = i);
                        return;
                    }
                    let col = x.dense.col(j);
                    let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    if col.iter().all(|&v| v == lo || v == hi) {
                        let n_lo = col.iter().filter(|&&v| v == lo).count();
                        let (mut a, mut b) = (0, n_lo);
                        for (i, &v) in col.iter().enumerate() {
                            let slot = if v == lo { &mut a } else { &mut b };
                            order_j[*slot] = i as u32;
                            *slot += 1;
                        }
                        return;
                    }
                    let mut pairs: Vec<(f64, u32)> = col.iter().copied().zip(0u32..).collect();
                    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    for (o, (_, i)) in order_j.iter_mut().zip(pairs) {
                        *o = i;
                    }
                });
        }
        Presort { n_rows: n, order }
    }
}

/// Grows one tree on the rows of positive weight (`None` = every row, weight 1), as scikit-learn's
/// depth-first builder with `min_impurity_decrease = 0`. Returns the tree and its unnormalised
/// feature importances: Σ over splits of (w·impurity - wL·impurity_L - wR·impurity_R) / w_root.
/// `rng` is needed (and used) only when `max_features` is below the column count.
pub(crate) fn grow(
    x: &Design,
    presort: &Presort,
    response: Response,
    weights: Option<&[f64]>,
    cfg: &GrowConfig,
    rng: Option<&mut Rng>,
) -> (Tree, Vec<f64>) {
    debug_assert_eq!(presort.n_rows, x.n_rows());
    match response {
        Response::Values(y) => {
            debug_assert_eq!(cfg.rule, SplitRule::SquaredError);
            let c = RegressionCriterion { y };
            grow_with(&c, x, presort, weights, cfg, rng)
        }
        Response::Classes { labels, n_classes } => {
            let c = ClassCriterion {
                labels,
                n_classes,
                entropy: cfg.rule == SplitRule::Entropy,
            };
            grow_with(&c, x, presort, weights, cfg, rng)
        }
    }
}

/// The best split found on one feature: the proxy score (higher is better; comparable across
/// features of one node), the rows going left and the threshold.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    proxy: f64,
    n_left: usize,
    threshold: f64,
}

/// A split criterion: node statistics, impurity and the scan of one sorted feature.
trait Criterion: Sync {
    type Stats: Clone + Send + Sync;
    /// Statistics of the rows (each of positive weight).
    fn stats(&self, rows: &[u32], w: &[f64]) -> Self::Stats;
    fn weight(s: &Self::Stats) -> f64;
    fn impurity(&self, s: &Self::Stats) -> f64;
    fn leaf_value(s: &Self::Stats) -> Vec<f64>;
    /// The best threshold on one feature, walked as `walk` says, leaving at least `min_leaf` rows
    /// each side; None when none qualifies.
    fn scan(&self, walk: Walk, w: &[f64], s: &Self::Stats, min_leaf: usize) -> Option<Candidate>;
}

/// How the candidate positions of one feature on a node are walked.
#[derive(Clone, Copy)]
enum Walk<'a> {
    /// The node's rows sorted by the feature (`seg`), whose values by row are `col`.
    Sorted { col: &'a [f64], seg: &'a [u32] },
    /// A one-hot column, 0 on `n_zeros` of the node's rows and 1 on `n_ones`: `rows` are the ones
    /// when they are fewer, else the zeros, in row order. These are the rows the sorted walk would
    /// add, in its order, so both give the same bits.
    OneHot {
        n_zeros: usize,
        n_ones: usize,
        rows: &'a [u32],
    },
}

/// The threshold between two consecutive distinct values: their midpoint (as scikit-learn computes
/// it), or the lower value if rounding would put the midpoint on the upper one.
#[inline]
fn midpoint(lo: f64, hi: f64) -> f64 {
    let t = lo / 2.0 + hi / 2.0;
    if t >= hi {
        lo
    } else {
        t
    }
}

/// Walks the candidate positions of a sorted feature: `add(state, row)` for each row moved to the
/// left, then `score(state)` at every boundary between distinct values that leaves `min_leaf` rows
/// each side, keeping the best strictly greater score (so the lowest threshold wins ties).
///
/// Two shortcuts leave the candidates as they are and only skip rows: the walk stops at the last
/// boundary (the rows after it are all equal), and a feature with exactly two values on the node
/// (a one-hot column) whose upper run is the shorter adds that run's rows and turns the state into
/// the lower run's with `complement` (node totals minus the upper run), so a rare category costs
/// its own rows, not the node's.
#[inline]
fn scan_positions<S>(
    walk: Walk,
    min_leaf: usize,
    state: &mut S,
    add: impl Fn(&mut S, usize),
    complement: impl Fn(&mut S),
    score: impl Fn(&mut S) -> f64,
) -> Option<Candidate> {
    let (col, seg) = match walk {
        Walk::Sorted { col, seg } => (col, seg),
        Walk::OneHot {
            n_zeros,
            n_ones,
            rows,
        } => {
            if n_zeros < min_leaf || n_ones < min_leaf {
                return None;
            }
            for &r in rows {
                add(state, r as usize);
            }
            if n_ones < n_zeros {
                complement(state);
            }
            return Some(Candidate {
                proxy: score(state),
                n_left: n_zeros,
                threshold: midpoint(0.0, 1.0),
            });
        }
    };
    let len = seg.len();
    if len < 2 {
        return None;
    }
    let val = |k: usize| col[seg[k] as usize];
    let (lo, hi) = (val(0), val(len - 1));
    let n_low = seg.partition_point(|&r| col[r as usize] <= lo);
    if n_low < len && val(n_low) == hi && hi > lo + FEATURE_THRESHOLD && len - n_low < n_low {
        if n_low < min_leaf || len - n_low < min_leaf {
            return None;
        }
        for &r in &seg[n_low..] {
            add(state, r as usize);
        }
        complement(state);
        return Some(Candidate {
            proxy: score(state),
            n_left: n_low,
            threshold: midpoint(lo, hi),
        });
    }
    let mut best: Option<Candidate> = None;
    let mut cur = lo;
    for k in 0..len - 1 {
        add(state, seg[k] as usize);
        let next = val(k + 1);
        if next <= cur + FEATURE_THRESHOLD {
            cur = next;
            continue;
        }
        let n_left = k + 1;
        if len - n_left < min_leaf {
            break;
        }
        if n_left >= min_leaf {
            let proxy = score(state);
            if best.is_none_or(|b| proxy > b.proxy) {
                best = Some(Candidate {
                    proxy,
                    n_left,
                    threshold: midpoint(cur, next),
                });
            }
        }
        if next == hi {
            break; // every row from here on has the last value: no boundary is left
        }
        cur = next;
    }
    best
}

struct RegressionCriterion<'a> {
    y: &'a [f64],
}

#[derive(Debug, Clone)]
struct RegStats {
    w: f64,
    mean: f64,
    /// Σ w (y - mean): zero but for rounding; keeps the centred sums exact.
    centred_sum: f64,
    /// Weighted variance of y; exactly 0 when every y is equal.
    impurity: f64,
}

impl Criterion for RegressionCriterion<'_> {
    type Stats = RegStats;

    fn stats(&self, rows: &[u32], w: &[f64]) -> RegStats {
        let (mut sw, mut swy) = (0.0, 0.0);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &r in rows {
            let (wi, yi) = (w[r as usize], self.y[r as usize]);
            sw += wi;
            swy += wi * yi;
            lo = lo.min(yi);
            hi = hi.max(yi);
        }
        let mean = swy / sw;
        let (mut sc, mut ss) = (0.0, 0.0);
        for &r in rows {
            let d = self.y[r as usize] - mean;
            sc += w[r as usize] * d;
            ss += w[r as usize] * d * d;
        }
        let impurity = if lo == hi {
            0.0
        } else {
            ((ss - sc * sc / sw) / sw).max(0.0)
        };
        RegStats {
            w: sw,
            mean,
            centred_sum: sc,
            impurity,
        }
    }

    fn weight(s: &RegStats) -> f64 {
        s.w
    }

    fn impurity(&self, s: &RegStats) -> f64 {
        s.impurity
    }

    fn leaf_value(s: &RegStats) -> Vec<f64> {
        vec![s.mean]
    }

    fn scan(&self, walk: Walk, w: &[f64], s: &RegStats, min_leaf: usize) -> Option<Candidate> {
        // Running sums of w and w (y - mean): centring keeps the proxy well conditioned for
        // targets far from zero and changes it by a constant only.
        let (y, mean) = (self.y, s.mean);
        scan_positions(
            walk,
            min_leaf,
            &mut (0.0f64, 0.0f64),
            |(wl, sl), r| {
                *wl += w[r];
                *sl += w[r] * (y[r] - mean);
            },
            |(wl, sl)| {
                *wl = s.w - *wl;
                *sl = s.centred_sum - *sl;
            },
            |&mut (wl, sl)| {
                let (wr, sr) = (s.w - wl, s.centred_sum - sl);
                sl * sl / wl + sr * sr / wr
            },
        )
    }
}

struct ClassCriterion<'a> {
    labels: &'a [usize],
    n_classes: usize,
    entropy: bool,
}

#[derive(Debug, Clone)]
struct ClassStats {
    w: f64,
    counts: Vec<f64>,
    impurity: f64,
}

impl ClassCriterion<'_> {
    fn impurity_of(&self, counts: &[f64], w: f64) -> f64 {
        if self.entropy {
            -counts
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|&c| (c / w) * (c / w).log2())
                .sum::<f64>()
        } else {
            1.0 - counts.iter().map(|&c| (c / w) * (c / w)).sum::<f64>()
        }
    }

    /// -w·impurity up to a constant per node: Σ c²/w (Gini) or Σ c ln(c/w) (entropy).
    #[inline]
    fn proxy_part(&self, counts: &[f64], w: f64) -> f64 {
        if self.entropy {
            counts
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|&c| c * (c / w).ln())
                .sum()
        } else {
            counts.iter().map(|&c| c * c).sum::<f64>() / w
        }
    }
}

impl Criterion for ClassCriterion<'_> {
    type Stats = ClassStats;

    fn stats(&self, rows: &[u32], w: &[f64]) -> ClassStats {
        let mut counts = vec![0.0; self.n_classes];
        let mut sw = 0.0;
        for &r in rows {
            counts[self.labels[r as usize]] += w[r as usize];
            sw += w[r as usize];
        }
        let impurity = if counts.iter().filter(|&&c| c > 0.0).count() <= 1 {
            0.0
        } else {
            self.impurity_of(&counts, sw).max(0.0)
        };
        ClassStats {
            w: sw,
            counts,
            impurity,
        }
    }

    fn weight(s: &ClassStats) -> f64 {
        s.w
    }

    fn impurity(&self, s: &ClassStats) -> f64 {
        s.impurity
    }

    fn leaf_value(s: &ClassStats) -> Vec<f64> {
        s.counts.iter().map(|c| c / s.w).collect()
    }

    fn scan(&self, walk: Walk, w: &[f64], s: &ClassStats, min_leaf: usize) -> Option<Candidate> {
        // (left counts, left weight, right counts)
        let mut state = (vec![0.0; self.n_classes], 0.0f64, vec![0.0; self.n_classes]);
        scan_positions(
            walk,
            min_leaf,
            &mut state,
            |(lc, lw, _), r| {
                lc[self.labels[r]] += w[r];
                *lw += w[r];
            },
            |(lc, lw, _)| {
                for (l, t) in lc.iter_mut().zip(&s.counts) {
                    *l = t - *l;
                }
                *lw = s.w - *lw;
            },
            |(lc, lw, rc)| {
                for (r, (t, l)) in rc.iter_mut().zip(s.counts.iter().zip(lc.iter())) {
                    *r = t - l;
                }
                self.proxy_part(lc, *lw) + self.proxy_part(rc, s.w - *lw)
            },
        )
    }
}

/// A node waiting to be built: its rows are positions start..end of every feature's run.
struct Pending<S> {
    start: usize,
    end: usize,
    depth: usize,
    /// The parent's index and whether this is its left child.
    parent: Option<(usize, bool)>,
    stats: S,
    /// Features known to be constant on these rows (found so by an ancestor).
    constant: Vec<bool>,
}

fn grow_with<C: Criterion>(
    c: &C,
    x: &Design,
    presort: &Presort,
    weights: Option<&[f64]>,
    cfg: &GrowConfig,
    mut rng: Option<&mut Rng>,
) -> (Tree, Vec<f64>) {
    let (n, p) = (x.n_rows(), x.n_cols());
    let d = x.dense.n_cols;
    // Columns d.. are the blocks' columns: (block, column within it) of each.
    let one_hot: Vec<(usize, u32)> = x
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(b, block)| (0..block.width as u32).map(move |k| (b, k)))
        .collect();
    let ones;
    let w: &[f64] = match weights {
        Some(w) => w,
        None => {
            ones = vec![1.0; n];
            &ones
        }
    };
    // Rows of zero weight (out of the bootstrap sample or subsample) take no part.
    let active: Vec<u32> = (0..n as u32).filter(|&i| w[i as usize] > 0.0).collect();
    let m = active.len();
    let mut sorted = if m == n {
        presort.order.clone()
    } else {
        let mut s = Vec::with_capacity(m * p);
        s.extend(presort.order.iter().filter(|&&i| w[i as usize] > 0.0));
        s
    };

    let root = c.stats(&active, w);
    let root_weight = C::weight(&root);
    let mut importances = vec![0.0; p];
    let mut nodes: Vec<Node> = Vec::new();
    let mut go_left = vec![false; n];
    let mut scratch = vec![0u32; m];
    let mut stack = vec![Pending {
        start: 0,
        end: m,
        depth: 0,
        parent: None,
        stats: root,
        constant: vec![false; p],
    }];

    while let Some(node) = stack.pop() {
        let id = nodes.len();
        if let Some((parent, is_left)) = node.parent {
            if let Node::Split { left, right, .. } = &mut nodes[parent] {
                *(if is_left { left } else { right }) = id;
            }
        }
        let n_node = node.end - node.start;
        let impurity = c.impurity(&node.stats);
        let is_leaf = cfg.max_depth.is_some_and(|d| node.depth >= d)
            || n_node < cfg.min_samples_split
            || n_node < 2 * cfg.min_samples_leaf
            || impurity <= PURE;
        let split = if is_leaf {
            None
        } else {
            find_split(
                c,
                x,
                &one_hot,
                &sorted,
                m,
                &node,
                w,
                cfg,
                rng.as_deref_mut(),
            )
        };
        let Some((feature, best, constant)) = split else {
            nodes.push(Node::Leaf {
                value: C::leaf_value(&node.stats),
            });
            continue;
        };

        let (start, end) = (node.start, node.end);
        let mid = start + best.n_left;
        // The rows going left and right, each in the order of a sorted walk of the feature.
        let one_hot_split: (Vec<u32>, Vec<u32>);
        let (left, right): (&[u32], &[u32]) = if feature < d {
            sorted[feature * m + start..feature * m + end].split_at(best.n_left)
        } else {
            let (b, k) = one_hot[feature - d];
            let slot = &x.blocks[b].slot;
            one_hot_split = sorted[d * m + start..d * m + end]
                .iter()
                .partition(|&&r| slot[r as usize] != k);
            (&one_hot_split.0, &one_hot_split.1)
        };
        debug_assert_eq!(left.len(), best.n_left);
        let left_stats = c.stats(left, w);
        let right_stats = c.stats(right, w);
        importances[feature] += C::weight(&node.stats) * impurity
            - C::weight(&left_stats) * c.impurity(&left_stats)
            - C::weight(&right_stats) * c.impurity(&right_stats);
        for (rows, side) in [(left, true), (right, false)] {
            for &r in rows {
                go_left[r as usize] = side;
            }
        }
        // The dense features' runs (but the split feature's, already in order, and constant ones)
        // and the row-order run.
        partition(
            &mut sorted,
            m,
            start,
            end,
            |j| j == d || (j != feature && !constant[j]),
            &go_left,
            &mut scratch,
        );
        nodes.push(Node::Split {
            feature,
            threshold: best.threshold,
            left: 0,
            right: 0,
        });
        // Right pushed first so the left subtree is built (and numbered) first.
        stack.push(Pending {
            start: mid,
            end,
            depth: node.depth + 1,
            parent: Some((id, false)),
            stats: right_stats,
            constant: constant.clone(),
        });
        stack.push(Pending {
            start,
            end: mid,
            depth: node.depth + 1,
            parent: Some((id, true)),
            stats: left_stats,
            constant,
        });
    }
    if root_weight > 0.0 {
        importances.iter_mut().for_each(|v| *v /= root_weight);
    }
    (Tree { nodes }, importances)
}

/// The best split of a node, with the node's updated constant-feature flags; None when no feature
/// has a position leaving `min_samples_leaf` rows each side.
///
/// Features are visited as scikit-learn's best splitter does: all of them when `max_features`
/// covers every column (here in column order); otherwise drawn uniformly without replacement until
/// `max_features` have been drawn and at least one of them was not constant. Features constant on
/// the node (max - min <= 1e-7) are never scored and stay marked for the descendants.
#[allow(clippy::too_many_arguments)]
fn find_split<C: Criterion>(
    c: &C,
    x: &Design,
    one_hot: &[(usize, u32)],
    sorted: &[u32],
    m: usize,
    node: &Pending<C::Stats>,
    w: &[f64],
    cfg: &GrowConfig,
    rng: Option<&mut Rng>,
) -> Option<(usize, Candidate, Vec<bool>)> {
    let (start, end) = (node.start, node.end);
    let n_node = end - start;
    let d = x.dense.n_cols;
    let run = |j: usize| &sorted[j * m + start..j * m + end];
    let p = x.n_cols();
    // The node's rows of each one-hot column, sorted out of the row-order run (run d).
    let categories: Vec<RowsByColumn> = x.blocks.iter().map(|b| b.rows_by_column(run(d))).collect();
    let ones = |j: usize| {
        let (b, k) = one_hot[j - d];
        categories[b].column(k as usize)
    };
    let mut constant = node.constant.clone();
    let mut is_constant = |j: usize| {
        if constant[j] {
            return true;
        }
        let flat = if j < d {
            let (rows, col) = (run(j), x.dense.col(j));
            col[rows[rows.len() - 1] as usize] <= col[rows[0] as usize] + FEATURE_THRESHOLD
        } else {
            let n_ones = ones(j).len();
            n_ones == 0 || n_ones == n_node
        };
        constant[j] |= flat;
        flat
    };
    let mut visit = Vec::new();
    if cfg.max_features >= p {
        visit.extend((0..p).filter(|&j| !is_constant(j)));
    } else {
        let rng = rng.expect("a random feature subset needs a generator");
        let mut order: Vec<usize> = (0..p).collect();
        for (drawn, i) in (0..p).enumerate() {
            if drawn >= cfg.max_features && !visit.is_empty() {
                break;
            }
            let j = rng.gen_range(i..p);
            order.swap(i, j);
            if !is_constant(order[i]) {
                visit.push(order[i]);
            }
        }
    }
    let score = |&j: &usize| {
        let walk_scan = |walk| c.scan(walk, w, &node.stats, cfg.min_samples_leaf);
        let found = if j < d {
            walk_scan(Walk::Sorted {
                col: x.dense.col(j),
                seg: run(j),
            })
        } else {
            let ones = ones(j);
            let (n_ones, n_zeros) = (ones.len(), n_node - ones.len());
            if n_ones < n_zeros {
                walk_scan(Walk::OneHot {
                    n_zeros,
                    n_ones,
                    rows: ones,
                })
            } else {
                let (b, k) = one_hot[j - d];
                let slot = &x.blocks[b].slot;
                let zeros: Vec<u32> = run(d)
                    .iter()
                    .copied()
                    .filter(|&r| slot[r as usize] != k)
                    .collect();
                walk_scan(Walk::OneHot {
                    n_zeros,
                    n_ones,
                    rows: &zeros,
                })
            }
        };
        found.map(|cand| (j, cand))
    };
    let found: Vec<Option<(usize, Candidate)>> = if n_node >= PARALLEL_ROWS && visit.len() > 1 {
        visit.par_iter().map(score).collect()
    } else {
        visit.iter().map(score).collect()
    };
    // In visiting order, strictly better only: the first of equally good splits wins.
    let mut best: Option<(usize, Candidate)> = None;
    for (j, cand) in found.into_iter().flatten() {
        if best.is_none_or(|(_, b)| cand.proxy > b.proxy) {
            best = Some((j, cand));
        }
    }
    best.map(|(j, cand)| (j, cand, constant))
}

/// Stable partition of the start..end part of every run j with `todo(j)` into its left rows, then
/// its right rows (`go_left` by row).
fn partition(
    sorted: &mut [u32],
    m: usize,
    start: usize,
    end: usize,
    todo: impl Fn(usize) -> bool + Sync,
    go_left: &[bool],
    scratch: &mut [u32],
) {
    fn one(rows: &mut [u32], go_left: &[bool], scratch: &mut [u32]) {
        let (mut l, mut r) = (0, 0);
        for i in 0..rows.len() {
            let row = rows[i];
            if go_left[row as usize] {
                rows[l] = row;
                l += 1;
            } else {
                scratch[r] = row;
                r += 1;
            }
        }
        rows[l..].copy_from_slice(&scratch[..r]);
    }
    if m == 0 {
        return;
    }
    let len = end - start;
    if len >= PARALLEL_ROWS {
        sorted
            .par_chunks_mut(m)
            .enumerate()
            .filter(|(j, _)| todo(*j))
            .for_each(|(_, rows)| {
                let mut local = vec![0u32; len];
                one(&mut rows[start..end], go_left, &mut local);
            });
    } else {
        for (j, rows) in sorted.chunks_mut(m).enumerate() {
            if todo(j) {
                one(&mut rows[start..end], go_left, scratch);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::design::{OneHotBlock, NO_SLOT};
    use rand::SeedableRng;

    fn rng() -> Rng {
        Rng::seed_from_u64(7)
    }

    fn column(v: &[f64]) -> Matrix {
        Matrix::from_columns(v.len(), vec![v.to_vec()])
    }

    fn values(out: Output) -> Vec<f64> {
        match out {
            Output::Values(v) => v,
            other => panic!("expected values, got {other:?}"),
        }
    }

    fn fit_values(p: &DecisionTreeParams, x: &Matrix, y: &[f64]) -> DecisionTreeModel {
        fit_decision_tree(p, x, Targets::Values(y), &mut rng())
            .unwrap()
            .0
    }

    fn fit_classes(
        p: &DecisionTreeParams,
        x: &Matrix,
        labels: &[usize],
        k: usize,
    ) -> DecisionTreeModel {
        let t = Targets::Classes {
            labels,
            n_classes: k,
        };
        fit_decision_tree(p, x, t, &mut rng()).unwrap().0
    }

    /// Deterministic pseudo-random data: n rows, p columns (some with many ties), a noisy target.
    fn synthetic(n: usize, p: usize, seed: u64) -> (Matrix, Vec<f64>, Vec<usize>) {
        let mut r = Rng::seed_from_u64(seed);
        let cols: Vec<Vec<f64>> = (0..p)
            .map(|j| {
                (0..n)
                    .map(|_| {
                        let u: f64 = r.gen();
                        if j % 2 == 0 {
                            u
                        } else {
                            (u * 8.0).floor()
                        }
                    })
                    .collect()
            })
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 2.0 * cols[0][i] + cols[1 % p][i] + r.gen::<f64>())
            .collect();
        let labels = y.iter().map(|v| (*v as usize).min(3)).collect();
        (Matrix::from_columns(n, cols), y, labels)
    }

    #[test]
    fn one_split_by_hand_midpoint_threshold_and_leaf_means() {
        let x = column(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let y = [1.0, 1.0, 1.0, 5.0, 5.0, 5.0];
        let p = DecisionTreeParams {
            max_depth: Some(1),
            ..Default::default()
        };
        let m = fit_values(&p, &x, &y);
        assert_eq!(
            m.tree.nodes[0],
            Node::Split {
                feature: 0,
                threshold: 3.5,
                left: 1,
                right: 2
            }
        );
        assert_eq!(
            values(m.predict(&column(&[3.5, 3.6, -10.0]))),
            vec![1.0, 5.0, 1.0]
        );
        assert_eq!(m.importances, vec![1.0]);
    }

    #[test]
    fn importances_credit_the_informative_column_and_sum_to_one() {
        // Column 1 decides y; column 0 is noise that cannot separate it as well.
        let x = Matrix::from_rows(&[
            vec![0.0, 0.0],
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 1.0],
            vec![2.0, 1.0],
        ]);
        let y = [0.0, 0.0, 10.0, 10.0, 10.0];
        let m = fit_values(&DecisionTreeParams::default(), &x, &y);
        assert_eq!(m.importances, vec![0.0, 1.0]);
        assert_eq!(m.tree.nodes.len(), 3);
        let (x, y, _) = synthetic(300, 4, 1);
        let m = fit_values(&DecisionTreeParams::default(), &x, &y);
        assert!((m.importances.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(m.importances.iter().all(|v| *v >= 0.0));
    }

    #[test]
    fn gini_split_by_hand_with_ties_broken_towards_the_lowest_threshold() {
        // Splits after row 2 and after row 4 both give weighted Gini 0.25; the first one wins.
        let x = column(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let labels = [0, 0, 1, 0, 1, 1];
        let p = DecisionTreeParams {
            max_depth: Some(1),
            ..Default::default()
        };
        let m = fit_classes(&p, &x, &labels, 2);
        assert!(matches!(m.tree.nodes[0], Node::Split { threshold, .. } if threshold == 1.5));
        let Output::Proba(pr) = m.predict(&column(&[0.0, 5.0])) else {
            panic!()
        };
        assert_eq!(pr.row(0), vec![1.0, 0.0]);
        assert_eq!(pr.row(1), vec![0.25, 0.75]);
        // Entropy picks the same split here: H = 0 on the left, H(1/4) on the right either way.
        let e = fit_classes(
            &DecisionTreeParams {
                criterion: Some(TreeCriterion::Entropy),
                ..p
            },
            &x,
            &labels,
            2,
        );
        assert_eq!(e.tree.nodes[0], m.tree.nodes[0]);
    }

    #[test]
    fn impure_nodes_split_even_without_immediate_gain_as_scikit_learn() {
        // XOR: no single split lowers the Gini impurity, but depth 2 separates the classes.
        let x = Matrix::from_rows(&[
            vec![0.0, 0.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![1.0, 1.0],
        ]);
        let m = fit_classes(&DecisionTreeParams::default(), &x, &[0, 1, 1, 0], 2);
        assert_eq!(m.predict(&x).classes().unwrap(), vec![0, 1, 1, 0]);
        assert_eq!(m.tree.depth(), 2);
    }

    #[test]
    fn classes_absent_from_training_get_probability_zero() {
        let x = column(&[0.0, 1.0, 2.0, 3.0]);
        let m = fit_classes(&DecisionTreeParams::default(), &x, &[0, 0, 2, 2], 3);
        let Output::Proba(pr) = m.predict(&x) else {
            panic!()
        };
        assert_eq!((pr.n_rows, pr.n_cols), (4, 3));
        assert_eq!(pr.row(3), vec![0.0, 0.0, 1.0]);
        assert_eq!(m.predict(&x).classes().unwrap(), vec![0, 0, 2, 2]);
    }

    #[test]
    fn values_closer_than_the_feature_threshold_are_never_separated() {
        let x = column(&[1.0, 1.0 + 1e-9, 2.0]);
        let y = [0.0, 1.0, 1.0];
        let m = fit_values(&DecisionTreeParams::default(), &x, &y);
        assert_eq!(m.tree.nodes.len(), 3);
        assert!(
            matches!(m.tree.nodes[0], Node::Split { threshold, .. } if threshold == 1.5 + 0.5e-9)
        );
    }

    #[test]
    fn depth_and_leaf_size_limits_hold() {
        let (x, y, _) = synthetic(500, 3, 2);
        for (depth, leaf) in [(Some(3), 1), (None, 25), (Some(6), 10)] {
            let p = DecisionTreeParams {
                max_depth: depth,
                min_samples_leaf: leaf,
                ..Default::default()
            };
            let m = fit_values(&p, &x, &y);
            assert!(m.tree.depth() <= depth.unwrap_or(usize::MAX));
            let mut rows = vec![0usize; m.tree.nodes.len()];
            for i in 0..x.n_rows {
                rows[m.tree.leaf_index(&x, i)] += 1;
            }
            for (k, node) in m.tree.nodes.iter().enumerate() {
                if let Node::Leaf { .. } = node {
                    assert!(rows[k] >= leaf, "leaf {k} holds {} < {leaf} rows", rows[k]);
                }
            }
        }
        // min_samples_split: a node of 4 rows is not split when 5 are required.
        let x = column(&[0.0, 1.0, 2.0, 3.0]);
        let p = DecisionTreeParams {
            min_samples_split: 5,
            ..Default::default()
        };
        let (m, warnings) =
            fit_decision_tree(&p, &x, Targets::Values(&[0.0, 0.0, 1.0, 1.0]), &mut rng()).unwrap();
        assert_eq!(m.tree.nodes.len(), 1);
        assert_eq!(m.importances, vec![0.0]);
        assert!(warnings[0].contains("single leaf"), "{warnings:?}");
    }

    #[test]
    fn unlimited_tree_fits_distinct_rows_exactly_and_stops_at_pure_nodes() {
        let (x, y, _) = synthetic(200, 2, 3);
        let m = fit_values(&DecisionTreeParams::default(), &x, &y);
        // Column 0 is continuous, so every row can be isolated.
        assert_eq!(values(m.predict(&x)), y);
        let m = fit_values(&DecisionTreeParams::default(), &x, &vec![4.25; 200]);
        assert_eq!(m.tree.nodes, vec![Node::Leaf { value: vec![4.25] }]);
    }

    #[test]
    fn weights_act_as_row_counts() {
        // Weight 2 on a row = the row twice; weight 0 = the row absent.
        let (x, y, labels) = synthetic(120, 3, 4);
        let w: Vec<f64> = (0..120).map(|i| (i % 3) as f64).collect();
        let mut expanded = Vec::new();
        for (i, wi) in w.iter().enumerate() {
            for _ in 0..*wi as usize {
                expanded.push(i);
            }
        }
        let xe = x.select_rows(&expanded);
        let ye: Vec<f64> = expanded.iter().map(|&i| y[i]).collect();
        let le: Vec<usize> = expanded.iter().map(|&i| labels[i]).collect();
        let cfg = |rule| GrowConfig {
            rule,
            max_depth: Some(5),
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 3,
        };
        let (xd, xed) = (Design::from_dense(x.clone()), Design::from_dense(xe));
        let grown = grow(
            &xd,
            &Presort::new(&xd),
            Response::Values(&y),
            Some(&w),
            &cfg(SplitRule::SquaredError),
            None,
        );
        let plain = grow(
            &xed,
            &Presort::new(&xed),
            Response::Values(&ye),
            None,
            &cfg(SplitRule::SquaredError),
            None,
        );
        let same = |a: &Tree, b: &Tree| {
            assert_eq!(a.nodes.len(), b.nodes.len());
            for i in 0..x.n_rows {
                let (u, v) = (a.value(&x, i), b.value(&x, i));
                assert!(
                    u.iter().zip(v).all(|(p, q)| (p - q).abs() < 1e-12),
                    "row {i}: {u:?} {v:?}"
                );
            }
        };
        same(&grown.0, &plain.0);
        let resp = Response::Classes {
            labels: &labels,
            n_classes: 4,
        };
        let grown = grow(
            &xd,
            &Presort::new(&xd),
            resp,
            Some(&w),
            &cfg(SplitRule::Gini),
            None,
        );
        let resp = Response::Classes {
            labels: &le,
            n_classes: 4,
        };
        let plain = grow(
            &xed,
            &Presort::new(&xed),
            resp,
            None,
            &cfg(SplitRule::Gini),
            None,
        );
        same(&grown.0, &plain.0);
    }

    #[test]
    fn random_feature_subsets_are_seeded_and_respect_max_features() {
        let (x, y, _) = synthetic(400, 6, 5);
        let x = Design::from_dense(x);
        let cfg = GrowConfig {
            rule: SplitRule::SquaredError,
            max_depth: Some(1),
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: 1,
        };
        let ps = Presort::new(&x);
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let mut r = Rng::seed_from_u64(seed);
            let (t, _) = grow(&x, &ps, Response::Values(&y), None, &cfg, Some(&mut r));
            let mut r2 = Rng::seed_from_u64(seed);
            assert_eq!(
                t,
                grow(&x, &ps, Response::Values(&y), None, &cfg, Some(&mut r2)).0
            );
            if let Node::Split { feature, .. } = t.nodes[0] {
                seen.insert(feature);
            }
        }
        // With one feature per split, the root's feature follows the draw: all six appear.
        assert_eq!(seen.len(), 6, "{seen:?}");
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        // Large enough for the parallel search and partition paths.
        let (x, y, labels) = synthetic(2 * PARALLEL_ROWS, 4, 6);
        let fit = || {
            let p = DecisionTreeParams {
                max_depth: Some(6),
                ..Default::default()
            };
            let r = fit_values(&p, &x, &y);
            let c = fit_classes(&p, &x, &labels, 4);
            (r, c)
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(fit);
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(fit);
        assert_eq!(one, two);
        assert_eq!(one, fit());
    }

    #[test]
    fn serde_round_trip_predicts_bit_identically() {
        let (x, y, labels) = synthetic(300, 3, 8);
        let r = fit_values(&DecisionTreeParams::default(), &x, &y);
        let back: DecisionTreeModel =
            serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        let (a, b) = (values(r.predict(&x)), values(back.predict(&x)));
        assert!(a.iter().zip(&b).all(|(u, v)| u.to_bits() == v.to_bits()));
        let c = fit_classes(&DecisionTreeParams::default(), &x, &labels, 4);
        let back: DecisionTreeModel =
            serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(c.predict(&x), back.predict(&x));
    }

    #[test]
    fn params_parse_check_and_task_mismatch() {
        let p: DecisionTreeParams =
            serde_json::from_str(r#"{"max_depth": 4, "criterion": "entropy"}"#).unwrap();
        assert_eq!(p.max_depth, Some(4));
        assert_eq!(p.criterion, Some(TreeCriterion::Entropy));
        assert!(serde_json::from_str::<DecisionTreeParams>(r#"{"depth": 4}"#).is_err());
        assert!(serde_json::from_str::<DecisionTreeParams>(r#"{"criterion": "mse"}"#).is_err());
        assert!(DecisionTreeParams::default().check().is_ok());
        let bad = |p: DecisionTreeParams| p.check().unwrap_err().key;
        let d = DecisionTreeParams::default;
        assert_eq!(
            bad(DecisionTreeParams {
                max_depth: Some(0),
                ..d()
            }),
            "max_depth"
        );
        assert_eq!(
            bad(DecisionTreeParams {
                min_samples_split: 1,
                ..d()
            }),
            "min_samples_split"
        );
        assert_eq!(
            bad(DecisionTreeParams {
                min_samples_leaf: 0,
                ..d()
            }),
            "min_samples_leaf"
        );

        let gini = DecisionTreeParams {
            criterion: Some(TreeCriterion::Gini),
            ..d()
        };
        assert!(gini
            .check_task(Task::Regression)
            .unwrap_err()
            .message
            .contains("classification"));
        assert!(gini.check_task(Task::Classification).is_ok());
        let se = DecisionTreeParams {
            criterion: Some(TreeCriterion::SquaredError),
            ..d()
        };
        assert!(se.check_task(Task::Classification).is_err());
        assert_eq!(d().criterion_for(Task::Classification), TreeCriterion::Gini);
        assert_eq!(
            d().criterion_for(Task::Regression),
            TreeCriterion::SquaredError
        );

        let x = column(&[0.0, 1.0]);
        let err =
            fit_decision_tree(&gini, &x, Targets::Values(&[0.0, 1.0]), &mut rng()).unwrap_err();
        assert!(err.starts_with("criterion:"), "{err}");
        let t = Targets::Classes {
            labels: &[0, 1],
            n_classes: 2,
        };
        assert!(fit_decision_tree(&se, &x, t, &mut rng()).is_err());
        assert!(fit_decision_tree(&d(), &x, Targets::Unsupervised, &mut rng()).is_err());
        let err = fit_decision_tree(
            &d(),
            &column(&[0.0, f64::NAN]),
            Targets::Values(&[0.0, 1.0]),
            &mut rng(),
        )
        .unwrap_err();
        assert!(err.contains("NaN"), "{err}");
        // The parameter table names the serde fields.
        let names: Vec<&str> = DECISION_TREE_INFO.params.iter().map(|p| p.name).collect();
        let json = serde_json::to_value(DecisionTreeParams::default()).unwrap();
        assert_eq!(names.len(), json.as_object().unwrap().len());
        assert!(names.iter().all(|n| json.get(n).is_some()));
    }

    /// Three dense columns and two one-hot blocks: one of 5 categories with unknown rows, one of 3
    /// whose first category covers most rows (so some nodes walk its zeros, not its ones).
    pub(crate) fn design_with_blocks(n: usize, seed: u64) -> (Design, Vec<f64>, Vec<usize>) {
        let (dense, _, _) = synthetic(n, 3, seed);
        let mut r = Rng::seed_from_u64(seed + 100);
        let slot_a: Vec<u32> = (0..n)
            .map(|_| match r.gen_range(0..12) {
                0 => NO_SLOT,
                k => k % 5,
            })
            .collect();
        let slot_b: Vec<u32> = (0..n)
            .map(|_| {
                if r.gen_bool(0.7) {
                    0
                } else {
                    r.gen_range(1..3)
                }
            })
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| {
                dense.get(i, 0) * 2.0
                    + [0.0, 3.0, -1.0, 0.5, 2.0][slot_a[i].min(4) as usize]
                    + [1.0, -2.0, 0.0][slot_b[i] as usize]
            })
            .collect();
        let labels = y
            .iter()
            .map(|v| (v.clamp(-2.9, 4.9) + 3.0) as usize / 2)
            .collect();
        let design = Design {
            dense,
            blocks: vec![
                OneHotBlock {
                    width: 5,
                    slot: slot_a,
                },
                OneHotBlock {
                    width: 3,
                    slot: slot_b,
                },
            ],
            ordinal_codes: 0,
        };
        (design, y, labels)
    }

    #[test]
    fn a_tree_from_a_file_is_checked_before_it_walks() {
        let leaf = |v: f64| Node::Leaf { value: vec![v] };
        let split = |feature, left, right| Node::Split {
            feature,
            threshold: 0.5,
            left,
            right,
        };
        let good = Tree {
            nodes: vec![split(1, 1, 2), leaf(1.0), leaf(2.0)],
        };
        assert_eq!(good.check(2, 1), Ok(()));
        assert!(good.check(1, 1).unwrap_err().contains("column 1"));
        assert!(good.check(2, 3).unwrap_err().contains("3 are expected"));
        let cycle = Tree {
            nodes: vec![split(0, 1, 2), split(0, 0, 2), leaf(2.0)],
        };
        assert!(cycle.check(2, 1).unwrap_err().contains("node 1's children"));
        let outside = Tree {
            nodes: vec![split(0, 1, 7), leaf(1.0)],
        };
        assert!(outside.check(2, 1).is_err());
        assert!(Tree { nodes: vec![] }.check(2, 1).is_err());
    }

    #[test]
    fn one_hot_blocks_grow_the_same_trees_as_their_dense_columns() {
        let (xb, y, labels) = design_with_blocks(600, 9);
        let xd = Design::from_dense(xb.to_dense());
        let w: Vec<f64> = (0..600).map(|i| [1.0, 0.0, 2.0][i % 3]).collect();
        for (rule, max_features) in [
            (SplitRule::SquaredError, 11),
            (SplitRule::Gini, 11),
            (SplitRule::Entropy, 4),
            (SplitRule::SquaredError, 3),
        ] {
            for (weights, min_leaf) in [(None, 1), (Some(&w[..]), 3)] {
                let cfg = GrowConfig {
                    rule,
                    max_depth: Some(7),
                    min_samples_split: 2,
                    min_samples_leaf: min_leaf,
                    max_features,
                };
                let response = match rule {
                    SplitRule::SquaredError => Response::Values(&y),
                    _ => Response::Classes {
                        labels: &labels,
                        n_classes: 4,
                    },
                };
                let grow_on = |x: &Design| {
                    let mut r = Rng::seed_from_u64(3);
                    grow(x, &Presort::new(x), response, weights, &cfg, Some(&mut r))
                };
                let (blocks, dense) = (grow_on(&xb), grow_on(&xd));
                assert!(blocks.0.nodes.len() > 7, "{rule:?}: a tree worth comparing");
                assert!(
                    blocks.0.nodes.iter().any(|n| matches!(
                        n,
                        Node::Split { feature, .. } if *feature >= 3
                    )),
                    "{rule:?}: some split is on a one-hot column"
                );
                assert_eq!(blocks, dense, "{rule:?} max_features={max_features}");
                let (pb, pd) = (
                    (0..600)
                        .map(|i| blocks.0.value(&xb, i)[0])
                        .collect::<Vec<_>>(),
                    (0..600)
                        .map(|i| dense.0.value(&xd, i)[0])
                        .collect::<Vec<_>>(),
                );
                assert_eq!(pb, pd);
            }
        }
    }
}
