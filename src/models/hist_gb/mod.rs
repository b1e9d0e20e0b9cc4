//! Histogram gradient boosting (scikit-learn's `HistGradientBoostingRegressor` /
//! `HistGradientBoostingClassifier`), in small parts: [`binning`] maps each column to u8 bins,
//! [`histogram`] sums gradients per bin, [`splitter`] finds a node's best split from them,
//! [`grower`] grows one tree leaf-wise, [`loss`] gives the gradients, [`tree`] walks a fitted tree.

pub mod binning;
pub mod grower;
pub mod histogram;
pub mod loss;
pub mod splitter;
pub mod tree;

use super::boosting::output_of_raw_scores;
use super::class_weight::{self, ClassWeight, CLASS_WEIGHT_DOC};
use super::params::{at_least, non_negative, positive, within, ParamDoc, ParamError, ParamKind};
use super::tree_builder::normalised;
use super::{FitOn, FitOnColumns, FitResult, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::design::{Design, DesignColumns, RowValues};
use crate::matrix::Matrix;
use crate::rng::{derive_seed, Rng};
use binning::{BinMapper, Binned, BinnedValues};
use grower::{grow, GrowLimits};
use histogram::Gradients;
use loss::{Loss, Target};
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use splitter::SplitContext;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use tree::{check_tree, leaf_value, Node};

/// Histogram gradient boosting.
///
/// Objective: the half squared error (regression) or the log loss (two classes: one tree per
/// iteration; K classes: softmax, one tree per class per iteration), minimised by Newton steps:
/// starting from the best constant, each iteration fits a tree to the gradients g and hessians h
/// of the loss at the current raw scores. Columns are binned first (at most `max_bins` bins from
/// the midpoints of distinct values or quantiles, missing values in a bin of their own); a split's
/// gain is G_L²/(H_L + l2) + G_R²/(H_R + l2) - G²/(H + l2) (halved, from histogram sums), leaves
/// hold -G/(H + l2) · learning_rate, and the tree grows leaf-wise, best gain first. Each split
/// learns which side missing values go to. With `categorical = "native"`, ordinal-encoded columns
/// are split on subsets of categories (ordered by G/(H + 10)). With early stopping (on by "auto"
/// above 10,000 rows) a `validation_fraction` of the training rows (stratified by class for
/// classification), drawn from the pipeline seed, is held out and boosting stops when its loss has
/// not improved by more than `tol` in `n_iter_no_change` iterations; the model keeps every tree up
/// to there (scikit-learn's `n_iter_`, no roll-back to the best iteration) and records the held-out
/// loss per iteration in model.json (`validation_loss`, minus scikit-learn's `validation_score_`),
/// which report.html draws. The starting constant is scikit-learn's: the mean for regression, the
/// log-odds of the class prior for two classes, the centred log priors for more. Importances are
/// each column's loss reduction over all splits, normalised to sum to 1 (scikit-learn has none;
/// this is LightGBM's gain importance). Histograms are summed in a fixed order, so a fit is the
/// same bits for any `--jobs`.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HistGradientBoostingParams {
    pub learning_rate: f64,
    pub max_iter: usize,
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    pub max_features: f64,
    pub max_bins: usize,
    pub early_stopping: EarlyStopping,
    pub validation_fraction: f64,
    pub n_iter_no_change: usize,
    pub tol: f64,
    pub categorical: CategoricalMode,
    /// Applied by the search to the fit's row weights ([`crate::models::class_weight`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeight>,
}

impl Default for HistGradientBoostingParams {
    fn default() -> Self {
        HistGradientBoostingParams {
            learning_rate: 0.1,
            max_iter: 100,
            max_leaf_nodes: 31,
            max_depth: None,
            min_samples_leaf: 20,
            l2_regularization: 0.0,
            max_features: 1.0,
            max_bins: 255,
            early_stopping: EarlyStopping::default(),
            validation_fraction: 0.1,
            n_iter_no_change: 10,
            tol: 1e-7,
            categorical: CategoricalMode::Native,
            class_weight: None,
        }
    }
}

/// `early_stopping`: "auto" or a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EarlyStopping {
    Flag(bool),
    Word(Auto),
}

/// The word "auto".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auto {
    Auto,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping::Word(Auto::Auto)
    }
}

impl EarlyStopping {
    /// scikit-learn's rule: "auto" stops early above 10,000 training rows.
    pub fn is_on(self, n_rows: usize) -> bool {
        match self {
            EarlyStopping::Flag(on) => on,
            EarlyStopping::Word(Auto::Auto) => n_rows > 10_000,
        }
    }
}

/// `categorical`: how ordinal-encoded columns are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoricalMode {
    Native,
    Ordinal,
}

impl HistGradientBoostingParams {
    pub fn check(&self) -> Result<(), ParamError> {
        positive("learning_rate", self.learning_rate)?;
        at_least("max_iter", self.max_iter, 1)?;
        at_least("max_leaf_nodes", self.max_leaf_nodes, 2)?;
        super::tree_builder::check_max_depth(self.max_depth)?;
        at_least("min_samples_leaf", self.min_samples_leaf, 1)?;
        non_negative("l2_regularization", self.l2_regularization)?;
        positive("max_features", self.max_features)?;
        within("max_features", self.max_features, 0.0, 1.0)?;
        at_least("max_bins", self.max_bins, 2)?;
        within("max_bins", self.max_bins as f64, 2.0, 255.0)?;
        positive("validation_fraction", self.validation_fraction)?;
        if self.validation_fraction >= 1.0 {
            return Err(ParamError::new(
                "validation_fraction",
                format!("must be < 1, got {}", self.validation_fraction),
            ));
        }
        at_least("n_iter_no_change", self.n_iter_no_change, 1)?;
        non_negative("tol", self.tol)
    }
}

pub const HIST_GRADIENT_BOOSTING_INFO: ModelInfo = ModelInfo {
    name: "hist_gradient_boosting",
    tasks: &[Task::Regression, Task::Classification],
    objective: "half squared error (regression) or log-loss (classification), minimised by \
                Newton steps of leaf-wise trees grown on binned columns",
    params: &[
        ParamDoc {
            name: "learning_rate",
            kind: ParamKind::Float,
            doc: "shrinkage of each leaf value, > 0",
        },
        ParamDoc {
            name: "max_iter",
            kind: ParamKind::Int,
            doc: "boosting iterations, >= 1 (one tree each, one per class for > 2 classes)",
        },
        ParamDoc {
            name: "max_leaf_nodes",
            kind: ParamKind::Int,
            doc: "leaves per tree, >= 2",
        },
        ParamDoc {
            name: "max_depth",
            kind: ParamKind::Int,
            doc: "depth of each tree, >= 1; unset = no limit",
        },
        ParamDoc {
            name: "min_samples_leaf",
            kind: ParamKind::Int,
            doc: "rows each leaf must keep, >= 1",
        },
        ParamDoc {
            name: "l2_regularization",
            kind: ParamKind::Float,
            doc: "l2 penalty on leaf values, >= 0",
        },
        ParamDoc {
            name: "max_features",
            kind: ParamKind::Float,
            doc: "share of the columns each split looks at (drawn per split), in (0, 1]",
        },
        ParamDoc {
            name: "max_bins",
            kind: ParamKind::Int,
            doc: "bins of non-missing values per column, 2..=255 (missing values get one more)",
        },
        ParamDoc {
            name: "early_stopping",
            kind: ParamKind::AutoOrBool,
            doc: "\"auto\" (on above 10,000 training rows), true or false",
        },
        ParamDoc {
            name: "validation_fraction",
            kind: ParamKind::Float,
            doc: "share of the training rows held out for early stopping, in (0, 1)",
        },
        ParamDoc {
            name: "n_iter_no_change",
            kind: ParamKind::Int,
            doc: "iterations without improvement of the validation loss before stopping, >= 1",
        },
        ParamDoc {
            name: "tol",
            kind: ParamKind::Float,
            doc: "improvement of the validation loss that counts, >= 0",
        },
        ParamDoc {
            name: "categorical",
            kind: ParamKind::Choice(&["native", "ordinal"]),
            doc: "ordinal-encoded columns: split on category subsets (\"native\") or as numbers \
                  (\"ordinal\")",
        },
        CLASS_WEIGHT_DOC,
    ],
};

/// A fitted model: raw score k of a row = baseline[k] + Σ_iterations trees[it][k](row) (leaf values
/// already shrunk); regression predicts it, two classes p(1) = sigmoid, more classes softmax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistGradientBoostingModel {
    pub baseline: Vec<f64>,
    pub trees: Vec<Vec<Vec<Node>>>,
    /// Number of classes for classification; None for regression.
    pub n_classes: Option<usize>,
    pub n_features: usize,
    /// Per column: the category codes seen in training when it is split natively, else empty.
    pub categories: Vec<Vec<u32>>,
    /// Normalised loss-reduction importance of each column.
    pub importances: Vec<f64>,
    /// With early stopping: the validation loss before the first iteration and after each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validation_loss: Vec<f64>,
}

impl HistGradientBoostingModel {
    /// Row-major raw scores. Rows go in chunks, and within a chunk tree after tree: one tree's
    /// nodes stay in cache for the whole chunk, where walking every tree for one row would read
    /// the whole model per row. Each row still adds its trees in iteration order, so the bits are
    /// those of a row-by-row walk.
    fn raw_scores<X: RowValues>(&self, x: &X) -> Vec<f64> {
        const CHUNK: usize = 1024;
        let k = self.baseline.len();
        let mut out = vec![0.0; x.n_rows() * k];
        if k == 0 {
            return out;
        }
        out.par_chunks_mut(CHUNK * k)
            .enumerate()
            .for_each(|(c, chunk)| {
                let first = c * CHUNK;
                chunk
                    .chunks_mut(k)
                    .for_each(|row| row.copy_from_slice(&self.baseline));
                for iteration in &self.trees {
                    for (class, nodes) in iteration.iter().enumerate() {
                        for (r, row) in chunk.chunks_mut(k).enumerate() {
                            row[class] += leaf_value(nodes, x, first + r, &self.categories);
                        }
                    }
                }
            });
        out
    }

    pub fn predict<X: RowValues>(&self, x: &X) -> Output {
        output_of_raw_scores(self.raw_scores(x), x.n_rows(), self.n_classes)
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        Some(("importance", self.importances.clone()))
    }

    /// Whether a model read from model.json can predict: shapes that agree and trees that walk.
    pub fn check(&self) -> Result<(), String> {
        let k = self.baseline.len();
        let expected = match self.n_classes {
            None | Some(2) => 1,
            Some(c) => c,
        };
        if k != expected {
            return Err(format!(
                "{k} baseline scores for {expected} raw scores per row"
            ));
        }
        if self.categories.len() != self.n_features || self.importances.len() != self.n_features {
            return Err(format!(
                "categories or importances do not have one entry per column ({})",
                self.n_features
            ));
        }
        for (it, iteration) in self.trees.iter().enumerate() {
            if iteration.len() != k {
                return Err(format!(
                    "iteration {it} has {} trees, not {k}",
                    iteration.len()
                ));
            }
            for nodes in iteration {
                check_tree(nodes, self.n_features).map_err(|e| format!("iteration {it}: {e}"))?;
            }
        }
        Ok(())
    }
}

/// The training rows binned and the held-out rows for early stopping: built once per
/// (design, binning settings) and shared by every candidate of a grid that bins the same way.
#[derive(Debug)]
pub struct TrainingBins {
    pub mapper: BinMapper,
    pub binned: Binned,
    /// The held-out rows binned by the same mapper (read through [`BinnedValues`]).
    pub validation_binned: Binned,
    /// Design rows the trees are fitted on, and the rows held out for early stopping (if any).
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

/// What fixes a binning: max_bins, the held-out share (None without early stopping), which columns
/// are native categories, and the row weights (thresholds are weighted quantiles; a grid over
/// class_weight weighs the rows differently per candidate), by a hash of their bits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BinKey {
    max_bins: usize,
    validation_fraction_bits: Option<u64>,
    native: bool,
    weights: Option<u64>,
}

/// One binning, computed by the first candidate that asks for it.
type BinsCell = Arc<OnceLock<Result<TrainingBins, String>>>;

/// Every binning asked of one design, each computed once (see [`TrainingBins`]).
#[derive(Debug, Default)]
pub struct BinsCache {
    cells: Mutex<HashMap<BinKey, BinsCell>>,
}

impl BinsCache {
    fn get(&self, key: BinKey) -> BinsCell {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.entry(key).or_default().clone()
    }
}

/// What the binning needs to know of the design: its values, a column at a time (one-hot blocks
/// read as their slots), which columns are ordinal codes, and the pipeline seed its random draws
/// come from.
#[derive(Clone, Copy)]
pub struct FitInput<'a> {
    pub x: &'a dyn DesignColumns,
    pub ordinal_columns: &'a [bool],
    pub seed: u64,
    /// Row weights by design row (`data.weight` times any class weights); None: every row 1.
    pub weights: Option<&'a [f64]>,
}

/// Seed parts of this model's own draws (binning subsample, validation split).
const SEED_BINNING: u64 = 0x4847_4201;
const SEED_VALIDATION: u64 = 0x4847_4202;

pub fn fit_hist_gradient_boosting(
    p: &HistGradientBoostingParams,
    input: FitInput,
    targets: Targets,
    rng: &mut Rng,
    cache: &BinsCache,
) -> Result<(HistGradientBoostingModel, Vec<String>), String> {
    p.check().map_err(|e| format!("{}: {}", e.key, e.message))?;
    let x = input.x;
    let n = x.n_rows();
    let (loss, target, n_classes) = match targets {
        Targets::Values(y) => (Loss::SquaredError, Target::Values(y), None),
        Targets::Classes { labels, n_classes } => {
            if n_classes < 2 {
                return Err(format!(
                    "hist_gradient_boosting classification needs at least 2 classes, got {n_classes}"
                ));
            }
            let loss = if n_classes == 2 {
                Loss::Binomial
            } else {
                Loss::Multinomial(n_classes)
            };
            (loss, Target::Labels(labels), Some(n_classes))
        }
        Targets::Unsupervised => {
            return Err(
                "hist_gradient_boosting needs a target: it does regression or \
                        classification, not clustering"
                    .into(),
            )
        }
    };
    let early = p.early_stopping.is_on(n);
    let native = p.categorical == CategoricalMode::Native && input.ordinal_columns.contains(&true);
    let key = BinKey {
        max_bins: p.max_bins,
        validation_fraction_bits: early.then(|| p.validation_fraction.to_bits()),
        native,
        weights: input.weights.map(|w| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.iter().for_each(|v| v.to_bits().hash(&mut h));
            h.finish()
        }),
    };
    let cell = cache.get(key);
    let bins = cell
        .get_or_init(|| bin_training_rows(p, input, target, early, native))
        .as_ref()
        .map_err(|e| e.clone())?;
    let model = boost(p, loss, (target, input.weights), n_classes, bins, rng);
    Ok((model, Vec::new()))
}

/// Splits off the validation rows (when early stopping), then bins the training rows.
fn bin_training_rows(
    p: &HistGradientBoostingParams,
    input: FitInput,
    target: Target,
    early: bool,
    native: bool,
) -> Result<TrainingBins, String> {
    let n = input.x.n_rows();
    let (train, validation) = if early {
        let mut rng = Rng::seed_from_u64(derive_seed(input.seed, &[SEED_VALIDATION]));
        validation_split(n, p.validation_fraction, target, &mut rng)
    } else {
        ((0..n).collect(), Vec::new())
    };
    let is_categorical: Vec<bool> = input.ordinal_columns.iter().map(|&o| o && native).collect();
    let mut rng = Rng::seed_from_u64(derive_seed(input.seed, &[SEED_BINNING]));
    let mapper = BinMapper::fit(
        input.x,
        &train,
        input.weights,
        p.max_bins,
        &is_categorical,
        &mut rng,
    )?;
    for (j, t) in mapper.thresholds.iter().enumerate() {
        if is_categorical[j] && t.last().is_some_and(|&c| c >= p.max_bins as f64) {
            return Err(format!(
                "column {j} has category codes up to {}: native categories need codes below \
                 max_bins ({}); set model.categorical = \"ordinal\" or raise max_bins",
                t[t.len() - 1],
                p.max_bins
            ));
        }
    }
    let binned = mapper.transform(input.x, &train)?;
    let validation_binned = mapper.transform(input.x, &validation)?;
    Ok(TrainingBins {
        mapper,
        binned,
        validation_binned,
        train,
        validation,
    })
}

/// Held-out rows: ceil(fraction · n) of them, drawn from `rng`; stratified by class (each class's
/// rows shuffled, each giving its share, the rounding remainder to the largest remainders).
fn validation_split(
    n: usize,
    fraction: f64,
    target: Target,
    rng: &mut Rng,
) -> (Vec<usize>, Vec<usize>) {
    let n_val = ((fraction * n as f64).ceil() as usize).clamp(1, n.saturating_sub(1).max(1));
    let groups: Vec<Vec<usize>> = match target {
        Target::Values(_) => vec![(0..n).collect()],
        Target::Labels(l) => {
            let k = l.iter().copied().max().map_or(0, |m| m + 1);
            let mut g = vec![Vec::new(); k];
            (0..n).for_each(|i| g[l[i]].push(i));
            g
        }
    };
    let exact: Vec<f64> = groups
        .iter()
        .map(|g| g.len() as f64 * n_val as f64 / n as f64)
        .collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let short = n_val - take.iter().sum::<usize>();
    order.iter().take(short).for_each(|&g| take[g] += 1);
    let mut is_val = vec![false; n];
    for (g, t) in groups.into_iter().zip(take) {
        let mut g = g;
        crate::rng::shuffle(&mut g, rng);
        g.iter().take(t).for_each(|&i| is_val[i] = true);
    }
    (0..n).partition(|&i| !is_val[i])
}

/// The boosting iterations on binned training rows, weighted by `weights` (by design row) if any.
fn boost(
    p: &HistGradientBoostingParams,
    loss: Loss,
    (target, weights): (Target, Option<&[f64]>),
    n_classes: Option<usize>,
    bins: &TrainingBins,
    rng: &mut Rng,
) -> HistGradientBoostingModel {
    let k = loss.n_trees();
    let n = bins.train.len();
    let baseline = loss.baseline(target, &bins.train, weights);
    let mut raw: Vec<Vec<f64>> = baseline.iter().map(|&b| vec![b; n]).collect();
    let mut raw_val: Vec<Vec<f64>> = baseline
        .iter()
        .map(|&b| vec![b; bins.validation.len()])
        .collect();
    let (mut grad, mut hess) = (vec![vec![0f32; n]; k], vec![vec![0f32; n]; k]);
    let has_missing = &bins.binned.has_missing;
    let ctx = SplitContext {
        mapper: &bins.mapper,
        has_missing,
        min_samples_leaf: p.min_samples_leaf,
        l2_regularization: p.l2_regularization,
        constant_hessian: loss.constant_hessian(weights),
    };
    let limits = GrowLimits {
        max_leaf_nodes: p.max_leaf_nodes,
        max_depth: p.max_depth,
        min_samples_leaf: p.min_samples_leaf,
        shrinkage: p.learning_rate,
        max_features: p.max_features,
    };
    let n_cols = bins.mapper.thresholds.len();
    let categories: Vec<Vec<u32>> = (0..n_cols)
        .map(|j| match bins.mapper.is_categorical[j] {
            true => bins.mapper.thresholds[j]
                .iter()
                .map(|&c| c as u32)
                .collect(),
            false => Vec::new(),
        })
        .collect();
    let early = !bins.validation.is_empty();
    let mut validation_loss = Vec::new();
    if early {
        validation_loss.push(loss.mean(target, &bins.validation, weights, &raw_val));
    }
    let mut reductions = vec![0.0; n_cols];
    let mut trees = Vec::with_capacity(p.max_iter);
    for _ in 0..p.max_iter {
        loss.gradients(target, &bins.train, weights, &raw, &mut grad, &mut hess);
        let mut iteration = Vec::with_capacity(k);
        for c in 0..k {
            let g = Gradients {
                gradients: &grad[c],
                hessians: (!loss.constant_hessian(weights)).then_some(&hess[c][..]),
            };
            let rows: Vec<u32> = (0..n as u32).collect();
            let grown = grow(ctx, &bins.binned, rows, g, limits, rng);
            for (value, rows) in &grown.leaf_rows {
                rows.iter().for_each(|&r| raw[c][r as usize] += value);
            }
            reductions
                .iter_mut()
                .zip(&grown.reductions)
                .for_each(|(t, r)| *t += r);
            iteration.push(grown.nodes);
        }
        if early {
            let held_out = BinnedValues {
                mapper: &bins.mapper,
                binned: &bins.validation_binned,
            };
            for (c, nodes) in iteration.iter().enumerate() {
                for (pos, r) in raw_val[c].iter_mut().enumerate() {
                    *r += leaf_value(nodes, &held_out, pos, &categories);
                }
            }
            validation_loss.push(loss.mean(target, &bins.validation, weights, &raw_val));
        }
        trees.push(iteration);
        if early && no_recent_improvement(&validation_loss, p.n_iter_no_change, p.tol) {
            break;
        }
    }
    HistGradientBoostingModel {
        baseline,
        trees,
        n_classes,
        n_features: n_cols,
        categories,
        importances: normalised(reductions),
        validation_loss,
    }
}

/// scikit-learn's stopping rule on scores (minus the losses): stop when none of the last
/// `n_iter_no_change` beats the one before them by more than `tol`.
fn no_recent_improvement(losses: &[f64], n_iter_no_change: usize, tol: f64) -> bool {
    let reference = n_iter_no_change + 1;
    if losses.len() < reference {
        return false;
    }
    let base = -losses[losses.len() - reference] + tol;
    !losses[losses.len() - n_iter_no_change..]
        .iter()
        .any(|l| -l > base)
}

impl Model for HistGradientBoostingParams {
    const INFO: ModelInfo = HIST_GRADIENT_BOOSTING_INFO;
    type Fitted = HistGradientBoostingModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, task: Task) -> Result<(), ParamError> {
        self.check()?;
        class_weight::check_task(self.class_weight.as_ref(), task)
    }

    fn reads_slots(&self, _task: Task) -> bool {
        true
    }

    fn handles_missing(&self) -> bool {
        true
    }

    const READS_COLUMNS: bool = true;

    fn fit(&self, on: FitOn) -> FitResult<HistGradientBoostingModel> {
        self.fit_on(FitOnColumns {
            columns: on.design,
            targets: on.targets,
            weights: on.weights,
            rng: on.rng,
            seed: on.seed,
            cache: on.cache,
        })
    }

    /// Binning reads each column once, so the design can be made a column at a time.
    fn fit_columns(&self, on: FitOnColumns) -> Option<FitResult<HistGradientBoostingModel>> {
        Some(self.fit_on(on))
    }
}

impl HistGradientBoostingParams {
    fn fit_on(&self, on: FitOnColumns) -> FitResult<HistGradientBoostingModel> {
        let x = on.columns;
        let dense = x.n_dense();
        let ordinal_columns: Vec<bool> = (0..x.n_cols())
            .map(|j| j < dense && j >= dense - x.ordinal_codes())
            .collect();
        let input = FitInput {
            x,
            ordinal_columns: &ordinal_columns,
            seed: on.seed,
            weights: on.weights,
        };
        fit_hist_gradient_boosting(self, input, on.targets, on.rng, &on.cache.hist_bins)
    }
}

impl Predictor for HistGradientBoostingModel {
    const READS_SLOTS: bool = true;

    fn predict(&self, x: &Matrix) -> Output {
        HistGradientBoostingModel::predict(self, x)
    }

    fn predict_slots(&self, x: &Design) -> Option<Output> {
        Some(HistGradientBoostingModel::predict(self, x))
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        HistGradientBoostingModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(
        p: &HistGradientBoostingParams,
        x: &Matrix,
        targets: Targets,
    ) -> HistGradientBoostingModel {
        let ordinal = vec![false; x.n_cols];
        let x = Design::from_dense(x.clone());
        let input = FitInput {
            x: &x,
            ordinal_columns: &ordinal,
            seed: 3,
            weights: None,
        };
        let mut rng = Rng::seed_from_u64(1);
        fit_hist_gradient_boosting(p, input, targets, &mut rng, &BinsCache::default())
            .unwrap()
            .0
    }

    fn data(n: usize) -> (Matrix, Vec<f64>) {
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let t = i as f64 / 17.0;
                vec![t.sin(), (i % 7) as f64, (t * 0.3).cos()]
            })
            .collect();
        let y = rows
            .iter()
            .map(|r| 3.0 * r[0] + r[1] * r[1] * 0.1 - r[2])
            .collect();
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn boosting_fits_a_smooth_target_and_stops_early_when_asked() {
        let (x, y) = data(400);
        let p = HistGradientBoostingParams::default();
        let m = fit(&p, &x, Targets::Values(&y));
        m.check().unwrap();
        let Output::Values(pred) = m.predict(&x) else {
            panic!()
        };
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let (sse, sst): (f64, f64) = pred.iter().zip(&y).fold((0.0, 0.0), |(a, b), (p, t)| {
            (a + (p - t).powi(2), b + (t - mean).powi(2))
        });
        assert!(sse / sst < 0.05, "r2 {}", 1.0 - sse / sst);
        assert_eq!(m.trees.len(), 100);
        let early = HistGradientBoostingParams {
            early_stopping: EarlyStopping::Flag(true),
            max_iter: 1000,
            ..p
        };
        let m = fit(&early, &x, Targets::Values(&y));
        assert!(m.trees.len() < 1000 && m.validation_loss.len() == m.trees.len() + 1);
    }

    /// Histograms and split searches run on rayon's threads; the model is the same bits for one
    /// thread or two.
    #[test]
    fn the_fit_is_identical_for_one_thread_or_two() {
        let (x, y) = data(300);
        let labels: Vec<usize> = y.iter().map(|v| (v.abs() * 1.5) as usize % 3).collect();
        let p = HistGradientBoostingParams {
            max_iter: 20,
            max_features: 0.7,
            ..Default::default()
        };
        let fit_on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                fit(
                    &p,
                    &x,
                    Targets::Classes {
                        labels: &labels,
                        n_classes: 3,
                    },
                )
            })
        };
        assert_eq!(fit_on(1), fit_on(2));
    }

    #[test]
    fn a_tree_that_jumps_backwards_is_refused() {
        let (x, y) = data(100);
        let mut m = fit(
            &HistGradientBoostingParams {
                max_iter: 2,
                ..Default::default()
            },
            &x,
            Targets::Values(&y),
        );
        assert!(m.check().is_ok());
        if let Node::Split { left, .. } = &mut m.trees[1][0][0] {
            *left = 0;
        }
        assert!(m.check().unwrap_err().contains("must come after it"));
    }
}
