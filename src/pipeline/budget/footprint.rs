//! What one candidate's fit allocates, model by model, as the products of its sizes: the memory
//! budget adds these to the design matrices (see the parent module for how they are held at once).
//!
//! Each figure follows the code that allocates it: `linalg::NormalEquations` (the p x p Gram matrix,
//! its partial sums and the sparse columns' sums), the linear solvers (ridge's penalised
//! copy and Cholesky factor, the eigendecomposition), `tree_builder::Presort` and the tree builder (the sorted
//! columns, each tree's copy of them, its nodes), the forest's trees and bootstrap counts, boosting's
//! per-row scores, gradients and leaf indices, kNN's copies of the training and query rows, k-means'
//! row-major copy, logistic regression's per-row vectors and Newton Hessian. Small allocations (a
//! vector of p coefficients) are left out: a few per fit, next to these.

use super::Product;
use crate::models::{boosting, forest, hist_gb, knn, linear, logistic, ModelSpec, Task};

/// Rows per block of the Gram pass (`linalg::GRAM_BLOCK_ROWS`)...
const GRAM_BLOCK_ROWS: u64 = 4096;
/// ...and its partial sums, of the dense columns and of the sparse ones, are kept per group of this
/// many blocks until all are added (`linalg::GRAM_GROUP_BLOCKS`).
const GRAM_GROUP_BLOCKS: u64 = 16;
/// Newton is used for logistic regression up to this many coefficients (`logistic::NEWTON_MAX_DIM`)...
const NEWTON_MAX_DIM: u64 = 1000;
/// ...and this much work, rows x coefficients² (`logistic::NEWTON_MAX_WORK`).
const NEWTON_MAX_WORK: f64 = 2e9;
/// A tree node: the enum (40 bytes) and a leaf's value vector (its allocation's header), before the
/// 8 bytes of each output.
const NODE_BYTES: u64 = 56;
/// Per row, a tree being grown holds: which side each row goes (1 byte), the scratch of the
/// partition and the active rows (4 + 4), the unit weights (8) and a column's partition buffer (4).
const TREE_ROW_BYTES: u64 = 21;
/// Distinct rows of a bootstrap sample of n rows: n (1 - 1/e), rounded up.
const BOOTSTRAP_SHARE: f64 = 0.633;

/// What a fit works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Training rows.
    pub n: u64,
    /// Rows predicted (a fold's validation rows, the refit's test rows).
    pub v: u64,
    /// Design columns stored densely (numeric, missing indicators, ordinal codes)...
    pub dense: u64,
    /// ...of which missing indicators (mostly zeros: sparse columns of the Gram pass).
    pub indicators: u64,
    /// One-hot encoded inputs (a slot a row each)...
    pub blocks: u64,
    /// ...and the columns they stand for.
    pub one_hot: u64,
    /// Classes of a classification, clusters of a clustering, else 1.
    pub classes: u64,
}

impl Shape {
    /// Every design column.
    pub fn columns(&self) -> u64 {
        self.dense + self.one_hot
    }

    /// The columns the Gram pass sums over their non-zero rows only.
    fn sparse(&self) -> u64 {
        self.one_hot + self.indicators
    }

    /// The columns of the tree builder's sorted runs: each dense column, and one in row order for
    /// the one-hot blocks.
    fn runs(&self) -> u64 {
        self.dense + u64::from(self.blocks > 0)
    }
}

/// One allocation: what it is, and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub what: String,
    pub each: Product,
}

fn part(what: &str, factors: &[(u64, &'static str)]) -> Part {
    Part {
        what: what.to_string(),
        each: Product::new(factors),
    }
}

/// A candidate's allocations, by how long they live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Shared by the candidates of one (fold, preprocessing) and kept as long as its design: the
    /// Gram matrix, the sorted columns.
    pub shared: Vec<Part>,
    /// Held by one fit while it runs.
    pub fit: Vec<Part>,
    /// Held by each parallel task of a fit (a tree being grown, a k-means run): at most one task
    /// per thread runs at once.
    pub task: Vec<Part>,
}

impl Footprint {
    fn add(mut self, other: Footprint) -> Footprint {
        self.shared.extend(other.shared);
        self.fit.extend(other.fit);
        self.task.extend(other.task);
        self
    }
}

/// What fitting `model` on `s` allocates, and predicting `s.v` rows with it.
pub fn footprint(model: &ModelSpec, task: Task, s: &Shape) -> Footprint {
    let (n, v, p) = (s.n, s.v, s.columns());
    match model {
        ModelSpec::LinearRegression(m) if m.solver == linear::LinearSolver::Gd => Footprint {
            fit: vec![part(
                "gradient descent's predictions and residuals",
                &[(2, "vectors"), (n, "rows"), (8, "bytes")],
            )],
            ..Footprint::default()
        },
        ModelSpec::LinearRegression(m) => normal_equations(s, m.fit_intercept).add(Footprint {
            fit: vec![part(
                "the eigendecomposition of XᵀX",
                &[(p, ""), (p, "columns"), (8, "bytes")],
            )],
            ..Footprint::default()
        }),
        ModelSpec::Ridge(m) => normal_equations(s, m.fit_intercept).add(Footprint {
            fit: vec![part(
                "ridge's XᵀX + alpha I and its Cholesky factor",
                &[(2, "matrices"), (p, ""), (p, "columns"), (8, "bytes")],
            )],
            ..Footprint::default()
        }),
        ModelSpec::Lasso(m) if task == Task::Regression => normal_equations(s, m.fit_intercept),
        ModelSpec::ElasticNet(m) if task == Task::Regression => {
            normal_equations(s, m.fit_intercept)
        }
        // Of another task: the fit stops at its targets, before it allocates anything.
        ModelSpec::Lasso(_) | ModelSpec::ElasticNet(_) => Footprint::default(),
        ModelSpec::LogisticRegression(m) => logistic_regression(m, s),
        ModelSpec::DecisionTree(m) => {
            let nodes = max_nodes(n, m.min_samples_leaf, m.max_depth);
            trees(s).add(Footprint {
                fit: vec![part(
                    "the tree",
                    &[(nodes, "nodes"), (node_bytes(s.classes), "bytes")],
                )],
                ..Footprint::default()
            })
        }
        ModelSpec::RandomForest(m) => random_forest(m, s),
        ModelSpec::GradientBoosting(m) => gradient_boosting(m, task, s),
        ModelSpec::HistGradientBoosting(m) => hist_gradient_boosting(m, task, s),
        ModelSpec::Knn(m) => knn_footprint(m, s),
        ModelSpec::NaiveBayes(_) => Footprint {
            fit: vec![part(
                "naive Bayes' per-row vectors",
                &[(3, "vectors"), (n.max(v), "rows"), (8, "bytes")],
            )],
            ..Footprint::default()
        },
        ModelSpec::Kmeans(m) => Footprint {
            fit: vec![
                part(
                    "k-means' row-major copy of the rows",
                    &[(n, "rows"), (p, "columns"), (8, "bytes")],
                ),
                part(
                    "the row-major copy of the rows it labels",
                    &[(v, "rows"), (p, "columns"), (8, "bytes")],
                ),
                part(
                    "each k-means run's labels",
                    &[(m.n_init as u64, "runs"), (n, "rows"), (8, "bytes")],
                ),
            ],
            task: vec![part(
                "a k-means run's labels and distances",
                &[(3, "vectors"), (n, "rows"), (8, "bytes")],
            )],
            ..Footprint::default()
        },
    }
}

/// `hist_gb`: the binned design (one byte a dense value, a 4-byte category code a row for each
/// one-hot block; shared by the candidates with the same binning), one histogram per node that may
/// still be split (at most `max_leaf_nodes` per tree) of (gradient, hessian, count) slots: at most
/// `max_bins` + 1 per dense column and 3 per one-hot column, and per row the f32 gradients and
/// hessians of each tree of a stage and the f64 raw scores of each output.
fn hist_gradient_boosting(
    m: &hist_gb::HistGradientBoostingParams,
    task: Task,
    s: &Shape,
) -> Footprint {
    let outputs = if task == Task::Classification && s.classes > 2 {
        s.classes
    } else {
        1
    };
    Footprint {
        shared: vec![
            part(
                "the binned design's dense columns",
                &[(s.n, "rows"), (s.dense, "columns"), (1, "byte")],
            ),
            part(
                "the binned design's one-hot codes",
                &[(s.n, "rows"), (s.blocks, "blocks"), (4, "bytes")],
            ),
        ],
        fit: vec![
            part(
                "the histograms of the nodes being split",
                &[
                    (m.max_leaf_nodes as u64, "nodes"),
                    (s.dense * (m.max_bins as u64 + 1) + s.one_hot * 3, "slots"),
                    (24, "bytes"),
                ],
            ),
            part(
                "gradients, hessians and raw scores",
                &[(outputs, "outputs"), (s.n.max(s.v), "rows"), (16, "bytes")],
            ),
        ],
        ..Footprint::default()
    }
}

/// `linalg::NormalEquations`: the p x p Gram matrix, kept for every candidate of the fold; while it
/// is computed, the dense columns' products and the sparse columns' per group of row blocks (all
/// kept until they are added in order), and the sparse columns' total.
fn normal_equations(s: &Shape, centred: bool) -> Footprint {
    let p = s.columns();
    let (sparse, dense) = (s.sparse(), s.columns() - s.sparse());
    let row_groups = s.n.div_ceil(GRAM_BLOCK_ROWS * GRAM_GROUP_BLOCKS).max(1);
    let what = if centred {
        "XᵀX, the Gram matrix of the centred columns"
    } else {
        "XᵀX, the Gram matrix"
    };
    let mut fit = vec![part(
        "the Gram pass's partial sums of the dense columns (and y)",
        &[
            (row_groups, "row groups"),
            (dense + 1, ""),
            (dense + 1, "columns"),
            (8, "bytes"),
        ],
    )];
    if sparse > 0 {
        fit.push(part(
            "the Gram pass's partial sums of the sparse (one-hot, indicator) columns",
            &[
                (row_groups, "row groups"),
                (sparse, ""),
                (sparse, "columns"),
                (8, "bytes"),
            ],
        ));
        fit.push(part(
            "the Gram pass's total of the sparse columns",
            &[(sparse, ""), (sparse, "columns"), (8, "bytes")],
        ));
    }
    Footprint {
        shared: vec![part(what, &[(p, ""), (p, "columns"), (8, "bytes")])],
        fit,
        task: Vec::new(),
    }
}

fn logistic_regression(m: &logistic::LogisticRegressionParams, s: &Shape) -> Footprint {
    let blocks = if s.classes <= 2 { 1 } else { s.classes };
    let dim = blocks * (s.columns() + u64::from(m.fit_intercept));
    let newton = dim <= NEWTON_MAX_DIM && s.n as f64 * (dim * dim) as f64 <= NEWTON_MAX_WORK;
    let solver = if newton {
        part(
            "Newton's Hessian and its factor",
            &[
                (2, "matrices"),
                (dim, ""),
                (dim, "coefficients"),
                (8, "bytes"),
            ],
        )
    } else {
        part(
            "L-BFGS's correction pairs",
            &[(22, "vectors"), (dim, "coefficients"), (8, "bytes")],
        )
    };
    Footprint {
        fit: vec![
            part(
                "logistic regression's scores, residuals and probabilities (twice in a line search)",
                &[(6, "vectors"), (blocks, "classes"), (s.n, "rows"), (8, "bytes")],
            ),
            solver,
        ],
        ..Footprint::default()
    }
}

/// What every tree model shares and each tree it grows holds: `tree_builder::Presort` (a sorted run of row
/// indices per column, kept for the fold) and, per tree, its copy of the runs and its row buffers.
fn trees(s: &Shape) -> Footprint {
    let runs = s.runs();
    Footprint {
        shared: vec![part(
            "the sorted columns of the tree models",
            &[(s.n, "rows"), (runs, "columns"), (4, "bytes")],
        )],
        fit: Vec::new(),
        task: vec![
            part(
                "a tree's copy of the sorted columns",
                &[(s.n, "rows"), (runs, "columns"), (4, "bytes")],
            ),
            part(
                "a tree's row buffers",
                &[(s.n, "rows"), (TREE_ROW_BYTES, "bytes")],
            ),
            part(
                "a tree's split importances",
                &[(s.columns(), "columns"), (8, "bytes")],
            ),
        ],
    }
}

fn random_forest(m: &forest::RandomForestParams, s: &Shape) -> Footprint {
    let drawn = if m.bootstrap {
        (s.n as f64 * BOOTSTRAP_SHARE).ceil() as u64
    } else {
        s.n
    };
    let nodes = max_nodes(drawn, m.min_samples_leaf, m.max_depth);
    let trees_grown = m.n_estimators as u64;
    let mut f = trees(s).add(Footprint {
        fit: vec![
            part(
                "the forest's trees",
                &[
                    (trees_grown, "trees"),
                    (nodes, "nodes"),
                    (node_bytes(s.classes), "bytes"),
                ],
            ),
            part(
                "the forest's per-tree importances",
                &[
                    (trees_grown, "trees"),
                    (s.columns(), "columns"),
                    (8, "bytes"),
                ],
            ),
        ],
        ..Footprint::default()
    });
    if m.bootstrap {
        f.task.push(part(
            "a tree's bootstrap counts",
            &[(s.n, "rows"), (8, "bytes")],
        ));
    }
    f
}

fn gradient_boosting(m: &boosting::GradientBoostingParams, task: Task, s: &Shape) -> Footprint {
    // One tree a stage, or one per class beyond two classes.
    let outputs = if task == Task::Classification && s.classes > 2 {
        s.classes
    } else {
        1
    };
    let nodes = max_nodes(s.n, m.min_samples_leaf, Some(m.max_depth));
    let mut fit = vec![
        part(
            "boosting's targets, scores, gradients and leaf indices",
            &[
                (4, "vectors"),
                (outputs, "outputs"),
                (s.n, "rows"),
                (8, "bytes"),
            ],
        ),
        part(
            "boosting's trees",
            &[
                (m.n_estimators as u64 * outputs, "trees"),
                (nodes, "nodes"),
                (node_bytes(1), "bytes"),
            ],
        ),
    ];
    if m.subsample < 1.0 {
        fit.push(part(
            "boosting's subsample mask and draw",
            &[(2, "vectors"), (s.n, "rows"), (8, "bytes")],
        ));
    }
    trees(s).add(Footprint {
        fit,
        ..Footprint::default()
    })
}

fn knn_footprint(m: &knn::KnnParams, s: &Shape) -> Footprint {
    let k = (m.n_neighbors as u64).min(s.n);
    Footprint {
        fit: vec![
            part(
                "kNN's copy of the training rows (the model)",
                &[(s.n, "rows"), (s.columns(), "columns"), (8, "bytes")],
            ),
            part(
                "kNN's row-major copy of the rows it predicts",
                &[(s.v, "rows"), (s.columns(), "columns"), (8, "bytes")],
            ),
            part(
                "kNN's neighbours of each predicted row, with their weights",
                &[(s.v, "rows"), (k, "neighbours"), (24, "bytes")],
            ),
        ],
        ..Footprint::default()
    }
}

/// A node's bytes with `outputs` values in its leaf.
fn node_bytes(outputs: u64) -> u64 {
    NODE_BYTES + 8 * outputs.max(1)
}

/// The most nodes a tree grown on `rows` rows can have: a binary tree of at most rows /
/// min_samples_leaf leaves, and at most 2^max_depth.
pub fn max_nodes(rows: u64, min_samples_leaf: usize, max_depth: Option<usize>) -> u64 {
    let mut leaves = (rows / (min_samples_leaf as u64).max(1)).max(1);
    if let Some(d) = max_depth.filter(|d| *d < 62) {
        leaves = leaves.min(1 << d);
    }
    2 * leaves - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dense: u64, one_hot: u64) -> Shape {
        Shape {
            n: 10_000,
            v: 2_500,
            dense,
            indicators: 0,
            blocks: u64::from(one_hot > 0),
            one_hot,
            classes: 1,
        }
    }

    fn total(parts: &[Part]) -> u64 {
        parts.iter().map(|p| p.each.bytes()).sum()
    }

    #[test]
    fn ridge_counts_its_gram_matrix_and_its_two_solver_copies() {
        let s = shape(1, 3000);
        let f = footprint(
            &ModelSpec::Ridge(linear::RidgeParams::default()),
            Task::Regression,
            &s,
        );
        let p = 3001u64;
        assert_eq!(f.shared.len(), 1);
        assert_eq!(f.shared[0].each.bytes(), p * p * 8);
        assert_eq!(f.shared[0].each.text(), "3001 x 3001 columns x 8 bytes");
        assert!(f.shared[0].what.contains("Gram"));
        // One row group of the dense column's (and y's) products and of the sparse columns'
        // (3000), the sparse total, and ridge's two p x p copies.
        let expected = 2 * 2 * 8 + 3000 * 3000 * 8 + 3000 * 3000 * 8 + 2 * p * p * 8;
        assert_eq!(total(&f.fit), expected);
        assert!(f.task.is_empty());
    }

    #[test]
    fn trees_count_the_sorted_columns_and_each_tree() {
        let s = shape(4, 10);
        let forest = forest::RandomForestParams {
            n_estimators: 10,
            max_depth: Some(3),
            ..Default::default()
        };
        let f = footprint(&ModelSpec::RandomForest(forest), Task::Regression, &s);
        // 4 dense columns and the blocks' row-order run.
        assert_eq!(f.shared[0].each.bytes(), 10_000 * 5 * 4);
        let trees = f
            .fit
            .iter()
            .find(|p| p.what == "the forest's trees")
            .unwrap();
        assert_eq!(trees.each.bytes(), 10 * 15 * (NODE_BYTES + 8));
        assert!(f.task.iter().any(|p| p.what.contains("bootstrap")));
        assert_eq!(max_nodes(100, 1, None), 199);
        assert_eq!(max_nodes(100, 10, None), 19);
        assert_eq!(max_nodes(100, 1, Some(2)), 7);
        assert_eq!(max_nodes(0, 1, None), 1);
    }
}
