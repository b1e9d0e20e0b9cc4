//! Gradient boosting (scikit-learn's `GradientBoostingRegressor` / `GradientBoostingClassifier`).

use super::class_weight::{self, ClassWeight, CLASS_WEIGHT_DOC};
use super::link::{sigmoid, softmax};
use super::params::{at_least, non_negative, positive, within, ParamDoc, ParamError, ParamKind};
use super::tree_builder::{
    grow, normalised, response_of, rows_to_matrix, GrowConfig, Node, Response, SplitRule, Tree,
};
use super::{fit_dense, FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::design::{Design, RowValues};
use crate::matrix::Matrix;
use crate::rng::Rng;
use rand::Rng as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Gradient boosting.
///
/// Stage-wise additive model, as scikit-learn's `GradientBoostingRegressor` /
/// `GradientBoostingClassifier`: F_0 is the best constant (the mean for regression; the log-odds of
/// the class prior for two classes; the log priors for more), and each stage fits a regression tree
/// of depth `max_depth` to the negative gradient of the loss at F, then adds `learning_rate` times
/// the tree. Regression minimises squared error (leaves predict the mean residual). Two classes:
/// log-loss with one tree per stage, each leaf replaced by a Newton step Σ r / Σ p(1 - p).
/// More classes: softmax cross-entropy with one tree per class per stage, leaves
/// (K - 1)/K · Σ r / Σ p(1 - p). With `subsample` < 1 each stage fits on a random
/// floor(subsample · n) rows drawn without replacement (stochastic gradient boosting).
///
/// The trees use the squared-error criterion, as scikit-learn >= 1.9 does whatever its deprecated
/// `criterion` says: for one output, Friedman's improvement wL·wR·(mean_L - mean_R)² / w equals the
/// squared-error decrease, so "friedman_mse" chose the same splits.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GradientBoostingParams {
    pub n_estimators: usize,
    pub learning_rate: f64,
    pub max_depth: usize,
    pub subsample: f64,
    pub min_samples_leaf: usize,
    /// Applied by the search to the fit's row weights ([`super::class_weight`]); scikit-learn's
    /// GradientBoostingClassifier has none, so this is its `sample_weight=compute_sample_weight(
    /// class_weight, y)` recipe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeight>,
}

impl Default for GradientBoostingParams {
    fn default() -> Self {
        GradientBoostingParams {
            n_estimators: 100,
            learning_rate: 0.1,
            max_depth: 3,
            subsample: 1.0,
            min_samples_leaf: 1,
            class_weight: None,
        }
    }
}

impl GradientBoostingParams {
    pub fn check(&self) -> Result<(), ParamError> {
        at_least("n_estimators", self.n_estimators, 1)?;
        non_negative("learning_rate", self.learning_rate)?;
        at_least("max_depth", self.max_depth, 1)?;
        positive("subsample", self.subsample)?;
        within("subsample", self.subsample, 0.0, 1.0)?;
        at_least("min_samples_leaf", self.min_samples_leaf, 1)
    }
}

pub const GRADIENT_BOOSTING_INFO: ModelInfo = ModelInfo {
    name: "gradient_boosting",
    tasks: &[Task::Regression, Task::Classification],
    objective: "squared error (regression) or log-loss (classification), minimised stage-wise by \
                regression trees fitted to the negative gradient",
    params: &[
        ParamDoc {
            name: "n_estimators",
            kind: ParamKind::Int,
            doc: "boosting stages, >= 1 (one tree per stage, one per class for > 2 classes)",
        },
        ParamDoc {
            name: "learning_rate",
            kind: ParamKind::Float,
            doc: "shrinkage applied to each tree, >= 0",
        },
        ParamDoc {
            name: "max_depth",
            kind: ParamKind::Int,
            doc: "depth of each tree, >= 1",
        },
        ParamDoc {
            name: "subsample",
            kind: ParamKind::Float,
            doc: "fraction of the rows drawn (without replacement) for each stage, in (0, 1]",
        },
        ParamDoc {
            name: "min_samples_leaf",
            kind: ParamKind::Int,
            doc: "rows each child of a split must keep, >= 1",
        },
        CLASS_WEIGHT_DOC,
    ],
};

/// A fitted gradient boosting model: raw score F_k(x) = init[k] + Σ_stages learning_rate ·
/// trees[stage][k](x); regression predicts F_0, two classes p(class 1) = sigmoid(F_0), more classes
/// softmax(F).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientBoostingModel {
    pub init: Vec<f64>,
    pub learning_rate: f64,
    /// One entry per stage, one tree per raw score (1, or the class count for > 2 classes).
    pub trees: Vec<Vec<Tree>>,
    /// Number of classes for classification; None for regression.
    pub n_classes: Option<usize>,
    /// Normalised impurity-based importance of each column.
    pub importances: Vec<f64>,
}

/// Below this the Newton step's denominator counts as zero (scikit-learn's `_safe_divide`).
const TINY_HESSIAN: f64 = 1e-150;

/// Raw scores of a boosted model, row-major (n rows x one per output): each row starts from `init`
/// and `add_stages(row index, row)` adds every stage's trees to it, stage by stage, so each sum runs
/// in the same order on any number of threads. Both boostings predict through it.
pub(crate) fn raw_scores_of(
    init: &[f64],
    n_rows: usize,
    add_stages: impl Fn(usize, &mut [f64]) + Sync,
) -> Vec<f64> {
    let k = init.len();
    let mut out = vec![0.0; n_rows * k];
    if k == 0 {
        return out;
    }
    out.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
        row.copy_from_slice(init);
        add_stages(i, row);
    });
    out
}

/// What raw scores (row-major, one or one per class) predict: the scores themselves for
/// regression, sigmoid probabilities for two classes, softmax for more. Shared by both boostings.
pub(crate) fn output_of_raw_scores(
    raw: Vec<f64>,
    n_rows: usize,
    n_classes: Option<usize>,
) -> Output {
    match n_classes {
        None => Output::Values(raw),
        Some(2) => Output::Proba(rows_to_matrix(n_rows, 2, |i, out| {
            let p1 = sigmoid(raw[i]);
            out[0] = 1.0 - p1;
            out[1] = p1;
        })),
        Some(k) => Output::Proba(rows_to_matrix(n_rows, k, |i, out| {
            softmax(&raw[i * k..(i + 1) * k], out)
        })),
    }
}

pub fn fit_gradient_boosting(
    p: &GradientBoostingParams,
    x: &Matrix,
    targets: Targets,
    rng: &mut Rng,
) -> Result<(GradientBoostingModel, Vec<String>), String> {
    fit_dense(p, x, targets, rng)
}

impl Model for GradientBoostingParams {
    const INFO: ModelInfo = GRADIENT_BOOSTING_INFO;
    type Fitted = GradientBoostingModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, task: Task) -> Result<(), ParamError> {
        self.check()?;
        class_weight::check_task(self.class_weight.as_ref(), task)
    }

    fn reads_slots(&self, _task: Task) -> bool {
        true
    }

    /// Fits on a design whose columns the cache sorts once for a grid's fits
    /// ([`crate::models::FitCache::presort`]).
    fn fit(&self, on: FitOn) -> Result<(GradientBoostingModel, Vec<String>), String> {
        let p = self;
        let FitOn {
            design: x,
            targets,
            weights,
            rng,
            cache,
            ..
        } = on;
        let presort = cache.presort(x);
        p.check().map_err(|e| format!("{}: {}", e.key, e.message))?;
        let (response, _) = response_of(x, targets, "gradient_boosting")?;
        let n = x.n_rows();
        // Each row's weight: exactly 1 without weights, so the weighted sums below give the
        // unweighted bits (Σ 1·yᵢ = Σ yᵢ, Σ 1 = n).
        let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
        let total_weight: f64 = (0..n).map(weight).sum();
        // The loss, as what the raw scores are compared with: y itself, or one-hot class indicators.
        // F_0 is the weighted mean, or the weighted class priors (scikit-learn's DummyRegressor and
        // DummyClassifier given sample_weight).
        let (n_outputs, init, indicator): (usize, Vec<f64>, Vec<Vec<f64>>) = match response {
            Response::Values(y) => {
                let sum: f64 = y.iter().enumerate().map(|(i, y)| weight(i) * y).sum();
                (1, vec![sum / total_weight], vec![y.to_vec()])
            }
            Response::Classes { labels, n_classes } => {
                if n_classes < 2 {
                    return Err(format!(
                    "gradient_boosting classification needs at least 2 classes, got {n_classes}"
                ));
                }
                let eps = f64::EPSILON;
                let prior = |k: usize| {
                    let in_k = (0..n).filter(|&i| labels[i] == k);
                    let c = in_k.map(weight).sum::<f64>() / total_weight;
                    c.clamp(eps, 1.0 - eps)
                };
                let ind = |k: usize| -> Vec<f64> {
                    labels
                        .iter()
                        .map(|&l| if l == k { 1.0 } else { 0.0 })
                        .collect()
                };
                if n_classes == 2 {
                    let p1 = prior(1);
                    (1, vec![(p1 / (1.0 - p1)).ln()], vec![ind(1)])
                } else {
                    // scikit-learn's symmetric multinomial link: log priors, centred.
                    let logs: Vec<f64> = (0..n_classes).map(|k| prior(k).ln()).collect();
                    let mean = logs.iter().sum::<f64>() / n_classes as f64;
                    (
                        n_classes,
                        logs.iter().map(|l| l - mean).collect(),
                        (0..n_classes).map(ind).collect(),
                    )
                }
            }
        };
        let n_classes = response.n_classes();
        let cfg = GrowConfig {
            rule: SplitRule::SquaredError,
            max_depth: Some(p.max_depth),
            min_samples_split: 2,
            min_samples_leaf: p.min_samples_leaf,
            max_features: x.n_cols(),
        };
        let n_inbag = ((p.subsample * n as f64).floor() as usize).max(1);
        // raw[k][i]: the current score of row i for output k.
        let mut raw: Vec<Vec<f64>> = init.iter().map(|&v| vec![v; n]).collect();
        let mut stages: Vec<Vec<Tree>> = Vec::with_capacity(p.n_estimators);
        let mut raw_importances = vec![0.0; x.n_cols()];
        let mut n_split_trees = 0usize;
        let mut proba_row = vec![0.0; n_outputs];
        let mut raw_row = vec![0.0; n_outputs];

        for stage in 0..p.n_estimators {
            // The stage's row weights: the subsample's (in or out) times the rows' own, as
            // scikit-learn multiplies sample_weight by the sample mask.
            let mask: Option<Vec<f64>> = match (n_inbag < n, weights) {
                (false, w) => w.map(<[f64]>::to_vec),
                (true, w) => {
                    let mut idx: Vec<usize> = (0..n).collect();
                    let mut m = vec![0.0; n];
                    for i in 0..n_inbag {
                        let j = rng.gen_range(i..n);
                        idx.swap(i, j);
                        m[idx[i]] = w.map_or(1.0, |w| w[idx[i]]);
                    }
                    Some(m)
                }
            };
            // Negative gradients, one vector per output, from the scores at the start of the stage.
            let residuals: Vec<Vec<f64>> = match n_classes {
                None => vec![indicator[0]
                    .iter()
                    .zip(&raw[0])
                    .map(|(y, f)| y - f)
                    .collect()],
                Some(2) => vec![indicator[0]
                    .iter()
                    .zip(&raw[0])
                    .map(|(y, f)| y - sigmoid(*f))
                    .collect()],
                Some(k) => {
                    let mut r = vec![vec![0.0; n]; k];
                    for i in 0..n {
                        for (c, v) in raw_row.iter_mut().enumerate() {
                            *v = raw[c][i];
                        }
                        softmax(&raw_row, &mut proba_row);
                        for c in 0..k {
                            r[c][i] = indicator[c][i] - proba_row[c];
                        }
                    }
                    r
                }
            };
            // The trees of one stage (one per class for > 2 classes) are independent: grown in
            // parallel, collected in class order.
            let grown: Vec<(Tree, Vec<f64>, Vec<usize>)> = residuals
                .par_iter()
                .enumerate()
                .map(|(k, r)| {
                    let (mut tree, imp) =
                        grow(x, presort, Response::Values(r), mask.as_deref(), &cfg, None);
                    let leaf_of: Vec<usize> = (0..n).map(|i| tree.leaf_index(x, i)).collect();
                    if n_classes.is_some() {
                        newton_leaves(
                            &mut tree,
                            &leaf_of,
                            &indicator[k],
                            r,
                            mask.as_deref(),
                            n_outputs,
                        );
                    }
                    (tree, imp, leaf_of)
                })
                .collect();
            let mut stage_trees = Vec::with_capacity(n_outputs);
            for (k, (tree, imp, leaf_of)) in grown.into_iter().enumerate() {
                let leaf_value: Vec<f64> = tree
                    .nodes
                    .iter()
                    .map(|node| match node {
                        Node::Leaf { value } => value[0],
                        Node::Split { .. } => 0.0,
                    })
                    .collect();
                for (f, &leaf) in raw[k].iter_mut().zip(&leaf_of) {
                    *f += p.learning_rate * leaf_value[leaf];
                }
                if tree.nodes.len() > 1 {
                    n_split_trees += 1;
                    for (acc, v) in raw_importances.iter_mut().zip(imp) {
                        *acc += v;
                    }
                }
                stage_trees.push(tree);
            }
            stages.push(stage_trees);
            if raw.iter().any(|r| r.iter().any(|f| !f.is_finite())) {
                return Err(format!(
                    "gradient boosting diverged at stage {}: the scores became infinite or NaN; \
                 lower `learning_rate` (now {})",
                    stage + 1,
                    p.learning_rate
                ));
            }
        }

        let mut warnings = Vec::new();
        if n_split_trees == 0 {
            warnings.push(format!(
                "every tree is a single leaf: the gradients could not be split leaving \
             min_samples_leaf={} rows on each side",
                p.min_samples_leaf
            ));
        }
        // scikit-learn: the mean of the trees' unnormalised importances (single leaves left out),
        // normalised.
        let importances = normalised(raw_importances);
        Ok((
            GradientBoostingModel {
                init,
                learning_rate: p.learning_rate,
                trees: stages,
                n_classes,
                importances,
            },
            warnings,
        ))
    }
}

/// Replaces each leaf value by scikit-learn's one-step Newton estimate over the in-bag rows in it,
/// weighted by the stage's row weights `mask` (the subsample's times the rows' own):
/// Σ w r / Σ w p(1 - p) with p = y - r, times (K - 1)/K for K > 2 classes; 0 where the
/// denominator is ~ 0.
fn newton_leaves(
    tree: &mut Tree,
    leaf_of: &[usize],
    y: &[f64],
    residual: &[f64],
    mask: Option<&[f64]>,
    n_outputs: usize,
) {
    let mut num = vec![0.0; tree.nodes.len()];
    let mut den = vec![0.0; tree.nodes.len()];
    for (i, &leaf) in leaf_of.iter().enumerate() {
        let w = mask.map_or(1.0, |m| m[i]);
        if w == 0.0 {
            continue;
        }
        let prob = y[i] - residual[i];
        // w is exactly 1 without weights: the same bits as the unweighted sums.
        num[leaf] += w * residual[i];
        den[leaf] += w * (prob * (1.0 - prob));
    }
    let scale = if n_outputs > 1 {
        (n_outputs as f64 - 1.0) / n_outputs as f64
    } else {
        1.0
    };
    for (k, node) in tree.nodes.iter_mut().enumerate() {
        if let Node::Leaf { value } = node {
            value[0] = if den[k].abs() < TINY_HESSIAN {
                0.0
            } else {
                scale * num[k] / den[k]
            };
        }
    }
}

impl GradientBoostingModel {
    /// Raw scores, row-major n x outputs, summed in stage order.
    fn raw_scores<X: RowValues>(&self, x: &X) -> Vec<f64> {
        raw_scores_of(&self.init, x.n_rows(), |i, row| {
            for stage in &self.trees {
                for (f, t) in row.iter_mut().zip(stage) {
                    *f += self.learning_rate * t.value(x, i)[0];
                }
            }
        })
    }

    pub fn predict<X: RowValues>(&self, x: &X) -> Output {
        output_of_raw_scores(self.raw_scores(x), x.n_rows(), self.n_classes)
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        Some(("importance", self.importances.clone()))
    }
}

impl Predictor for GradientBoostingModel {
    const READS_SLOTS: bool = true;

    fn predict(&self, x: &Matrix) -> Output {
        GradientBoostingModel::predict(self, x)
    }

    fn predict_slots(&self, x: &Design) -> Option<Output> {
        Some(GradientBoostingModel::predict(self, x))
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        GradientBoostingModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng(seed: u64) -> Rng {
        Rng::seed_from_u64(seed)
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

    fn proba(out: Output) -> Matrix {
        match out {
            Output::Proba(p) => p,
            other => panic!("expected probabilities, got {other:?}"),
        }
    }

    fn stumps(n_estimators: usize, learning_rate: f64) -> GradientBoostingParams {
        GradientBoostingParams {
            n_estimators,
            learning_rate,
            max_depth: 1,
            ..Default::default()
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn regression_stage_by_hand() {
        // Init 3; residuals ∓2 split at 3.5; leaves -2, +2 shrunk by the learning rate.
        let x = column(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let y = [1.0, 1.0, 1.0, 5.0, 5.0, 5.0];
        let (m, _) =
            fit_gradient_boosting(&stumps(1, 1.0), &x, Targets::Values(&y), &mut rng(0)).unwrap();
        assert_eq!(m.init, vec![3.0]);
        assert_eq!(values(m.predict(&x)), y.to_vec());
        let (m, _) =
            fit_gradient_boosting(&stumps(2, 0.5), &x, Targets::Values(&y), &mut rng(0)).unwrap();
        // Stage 1: 3 ∓ 1; stage 2 fits residuals ∓1: 3 ∓ 1.5.
        assert_eq!(values(m.predict(&x)), vec![1.5, 1.5, 1.5, 4.5, 4.5, 4.5]);
        assert_eq!(m.feature_weights().unwrap().1, vec![1.0]);
    }

    #[test]
    fn binary_newton_step_by_hand() {
        // Prior 1/2 -> init 0; p = 1/2, residuals ∓1/2; leaf = Σr / Σp(1-p) = ∓1 / 0.5 = ∓2.
        let x = column(&[0.0, 1.0, 2.0, 3.0]);
        let t = Targets::Classes {
            labels: &[0, 0, 1, 1],
            n_classes: 2,
        };
        let (m, _) = fit_gradient_boosting(&stumps(1, 1.0), &x, t, &mut rng(0)).unwrap();
        assert_eq!(m.init, vec![0.0]);
        let pr = proba(m.predict(&x));
        let p2 = 1.0 / (1.0 + (-2.0f64).exp());
        assert!(close(pr.get(0, 1), 1.0 - p2) && close(pr.get(3, 1), p2));
        assert!(close(pr.get(0, 0) + pr.get(0, 1), 1.0));
        // An unbalanced prior: log-odds of 3/4.
        let t = Targets::Classes {
            labels: &[0, 1, 1, 1],
            n_classes: 2,
        };
        let (m, _) = fit_gradient_boosting(&stumps(1, 0.1), &x, t, &mut rng(0)).unwrap();
        assert!(close(m.init[0], 3.0f64.ln()));
    }

    #[test]
    fn multiclass_stage_by_hand() {
        // Priors 1/3 -> centred init 0; p = 1/3. Class 0's residuals (2/3, -1/3, -1/3) give leaves
        // (K-1)/K Σr / Σp(1-p): 2/3 · (2/3) / (2/9) = 2 and 2/3 · (-2/3) / (4/9) = -1.
        let x = column(&[0.0, 1.0, 2.0]);
        let t = Targets::Classes {
            labels: &[0, 1, 2],
            n_classes: 3,
        };
        let p = GradientBoostingParams {
            n_estimators: 1,
            learning_rate: 1.0,
            max_depth: 2,
            ..Default::default()
        };
        let (m, _) = fit_gradient_boosting(&p, &x, t, &mut rng(0)).unwrap();
        assert!(m.init.iter().all(|v| v.abs() < 1e-15));
        assert_eq!(m.trees[0].len(), 3);
        let pr = proba(m.predict(&x));
        // Row 0's scores are (2, -1, -1): softmax.
        let e = (3.0f64).exp();
        assert!(close(pr.get(0, 0), e / (e + 2.0)), "{:?}", pr.row(0));
        assert!(close(pr.get(0, 1), 1.0 / (e + 2.0)));
        assert_eq!(m.predict(&x).classes().unwrap(), vec![0, 1, 2]);
        // Uneven priors: the centred log priors.
        let t = Targets::Classes {
            labels: &[0, 0, 1, 2],
            n_classes: 3,
        };
        let (m, _) =
            fit_gradient_boosting(&p, &column(&[0.0, 1.0, 2.0, 3.0]), t, &mut rng(0)).unwrap();
        let logs = [0.5f64.ln(), 0.25f64.ln(), 0.25f64.ln()];
        let mean = logs.iter().sum::<f64>() / 3.0;
        assert!(m.init.iter().zip(logs).all(|(a, l)| close(*a, l - mean)));
    }

    fn synthetic(n: usize, seed: u64) -> (Matrix, Vec<f64>, Vec<usize>) {
        let mut r = rng(seed);
        let cols: Vec<Vec<f64>> = (0..3)
            .map(|_| (0..n).map(|_| r.gen::<f64>()).collect())
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| (6.0 * cols[0][i]).sin() + cols[1][i] + 0.1 * r.gen::<f64>())
            .collect();
        let labels = y
            .iter()
            .map(|v| {
                if *v < 0.0 {
                    0
                } else if *v < 1.0 {
                    1
                } else {
                    2
                }
            })
            .collect();
        (Matrix::from_columns(n, cols), y, labels)
    }

    /// A fit weighted by `w`, on the design of x.
    fn fit_weighted(
        p: &GradientBoostingParams,
        x: &Matrix,
        targets: Targets,
        w: Option<&[f64]>,
    ) -> GradientBoostingModel {
        let design = Design::from_dense(x.clone());
        let on = FitOn {
            design: &design,
            targets,
            weights: w,
            rng: &mut rng(0),
            seed: 0,
            cache: &super::super::FitCache::default(),
        };
        p.fit(on).unwrap().0
    }

    #[test]
    fn a_row_of_weight_two_counts_as_two_rows_and_weight_zero_as_none() {
        let (x, y, labels) = synthetic(60, 5);
        // Rows 0..60 weighted: row 0 twice, rows 1 and 2 not at all; against the rows repeated
        // and dropped so.
        let mut w = vec![1.0; 60];
        w[0] = 2.0;
        w[1] = 0.0;
        w[2] = 0.0;
        let keep: Vec<usize> = std::iter::once(0)
            .chain(0..60)
            .filter(|&i| i != 1 && i != 2)
            .collect();
        let xs = Matrix::from_columns(
            keep.len(),
            (0..3)
                .map(|j| keep.iter().map(|&i| x.get(i, j)).collect())
                .collect(),
        );
        let p = GradientBoostingParams {
            n_estimators: 20,
            max_depth: 2,
            ..Default::default()
        };
        let ys: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
        let weighted = values(fit_weighted(&p, &x, Targets::Values(&y), Some(&w)).predict(&x));
        let repeated = values(fit_weighted(&p, &xs, Targets::Values(&ys), None).predict(&x));
        for (a, b) in weighted.iter().zip(&repeated) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        let ls: Vec<usize> = keep.iter().map(|&i| labels[i]).collect();
        let classes = |l| Targets::Classes {
            labels: l,
            n_classes: 3,
        };
        let weighted = proba(fit_weighted(&p, &x, classes(&labels), Some(&w)).predict(&x));
        let repeated = proba(fit_weighted(&p, &xs, classes(&ls), None).predict(&x));
        for (a, b) in weighted.data.iter().zip(&repeated.data) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn boosting_reduces_training_error_and_subsample_is_seeded() {
        let (x, y, labels) = synthetic(300, 1);
        let mse = |m: &GradientBoostingModel| {
            let p = values(m.predict(&x));
            p.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / y.len() as f64
        };
        let fit = |p: &GradientBoostingParams, seed| {
            fit_gradient_boosting(p, &x, Targets::Values(&y), &mut rng(seed))
                .unwrap()
                .0
        };
        let d = GradientBoostingParams::default;
        let short = fit(
            &GradientBoostingParams {
                n_estimators: 10,
                ..d()
            },
            0,
        );
        let long = fit(&d(), 0);
        assert!(mse(&long) < 0.5 * mse(&short));
        let sub = GradientBoostingParams {
            subsample: 0.5,
            ..d()
        };
        let (a, b, c) = (fit(&sub, 0), fit(&sub, 0), fit(&sub, 1));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, long);
        assert!(mse(&a) < mse(&short));

        for (k, labels) in [
            (3, labels.clone()),
            (2, labels.iter().map(|l| l.min(&1)).copied().collect()),
        ] {
            let t = Targets::Classes {
                labels: &labels,
                n_classes: k,
            };
            let (m, _) = fit_gradient_boosting(&sub, &x, t, &mut rng(0)).unwrap();
            let pr = proba(m.predict(&x));
            assert_eq!(pr.n_cols, k);
            assert!((0..pr.n_rows).all(|i| (pr.row(i).iter().sum::<f64>() - 1.0).abs() < 1e-12));
            let pred = m.predict(&x).classes().unwrap();
            let acc = pred.iter().zip(&labels).filter(|(a, b)| a == b).count() as f64 / 300.0;
            assert!(acc > 0.9, "{k} classes: training accuracy {acc}");
        }
    }

    #[test]
    fn thread_independent_and_serde_exact() {
        let (x, y, labels) = synthetic(400, 2);
        let p = GradientBoostingParams {
            n_estimators: 20,
            subsample: 0.8,
            ..Default::default()
        };
        let fit = || {
            let r = fit_gradient_boosting(&p, &x, Targets::Values(&y), &mut rng(5))
                .unwrap()
                .0;
            let t = Targets::Classes {
                labels: &labels,
                n_classes: 3,
            };
            let c = fit_gradient_boosting(&p, &x, t, &mut rng(5)).unwrap().0;
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
        for m in [&one.0, &one.1] {
            let back: GradientBoostingModel =
                serde_json::from_str(&serde_json::to_string(m).unwrap()).unwrap();
            assert_eq!(&back, m);
            assert_eq!(back.predict(&x), m.predict(&x));
        }
    }

    #[test]
    fn params_parse_check_and_bad_targets() {
        let p: GradientBoostingParams =
            serde_json::from_str(r#"{"n_estimators": 50, "subsample": 0.5}"#).unwrap();
        assert_eq!((p.n_estimators, p.subsample, p.max_depth), (50, 0.5, 3));
        assert!(
            serde_json::from_str::<GradientBoostingParams>(r#"{"criterion": "friedman_mse"}"#)
                .is_err()
        );
        let d = GradientBoostingParams::default;
        assert!(d().check().is_ok());
        let bad = |p: GradientBoostingParams| p.check().unwrap_err().key;
        assert_eq!(
            bad(GradientBoostingParams {
                n_estimators: 0,
                ..d()
            }),
            "n_estimators"
        );
        assert_eq!(
            bad(GradientBoostingParams {
                learning_rate: -0.1,
                ..d()
            }),
            "learning_rate"
        );
        assert_eq!(
            bad(GradientBoostingParams {
                max_depth: 0,
                ..d()
            }),
            "max_depth"
        );
        assert_eq!(
            bad(GradientBoostingParams {
                subsample: 0.0,
                ..d()
            }),
            "subsample"
        );
        assert_eq!(
            bad(GradientBoostingParams {
                subsample: 1.5,
                ..d()
            }),
            "subsample"
        );
        assert_eq!(
            bad(GradientBoostingParams {
                min_samples_leaf: 0,
                ..d()
            }),
            "min_samples_leaf"
        );
        // Every parameter but class_weight, unset by default and then left out, is written out.
        let names: Vec<&str> = GRADIENT_BOOSTING_INFO
            .params
            .iter()
            .map(|p| p.name)
            .filter(|&n| n != "class_weight")
            .collect();
        let json = serde_json::to_value(d()).unwrap();
        assert_eq!(names.len(), json.as_object().unwrap().len());
        assert!(names.iter().all(|n| json.get(n).is_some()));

        let x = column(&[0.0, 1.0]);
        let one_class = Targets::Classes {
            labels: &[0, 0],
            n_classes: 1,
        };
        assert!(fit_gradient_boosting(&d(), &x, one_class, &mut rng(0))
            .unwrap_err()
            .contains("2 classes"));
        assert!(fit_gradient_boosting(&d(), &x, Targets::Unsupervised, &mut rng(0)).is_err());
        let (m, warnings) =
            fit_gradient_boosting(&d(), &x, Targets::Values(&[2.0, 2.0]), &mut rng(0)).unwrap();
        assert_eq!(values(m.predict(&x)), vec![2.0, 2.0]);
        assert!(warnings[0].contains("single leaf"), "{warnings:?}");
        assert_eq!(m.importances, vec![0.0]);
    }
}
