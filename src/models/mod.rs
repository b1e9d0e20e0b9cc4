//! The models: one file per algorithm, all implemented here from scratch.
//!
//! A model has three parts, as scikit-learn's estimators do:
//! - a parameter struct (`[model]` in the pipeline file), deserialised with scikit-learn's names and
//!   defaults, with a `check()` that rejects impossible values before any fit;
//! - a `fit` that learns from a design matrix and targets;
//! - a fitted state (serde, so model.json stores it as it is) with a `predict`.
//!
//! Each model implements the interface of [`model`]; `ModelSpec` and `FittedModel` are enums with one
//! variant per algorithm, made by the `registry!` below from one list, so model.json needs no trait
//! objects.

pub mod boosting;
pub mod class_weight;
pub mod coordinate_descent;
pub mod decision_tree;
pub mod forest;
pub mod hist_gb;
pub mod kmeans;
pub mod knn;
pub mod linear;
pub mod link;
pub mod logistic;
pub mod model;
pub mod naive_bayes;
pub mod params;
pub mod tree_builder;

use crate::design::{Design, DesignColumns};
use crate::linalg::NormalEquations;
use crate::matrix::Matrix;
use crate::rng::Rng;
pub use model::{fit_dense, FitOn, FitOnColumns, FitResult, Model, Predictor};
use params::{ParamDoc, ParamError};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// What a pipeline predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Regression,
    Classification,
    Clustering,
}

impl Task {
    pub const NAMES: &'static [&'static str] = &["regression", "classification", "clustering"];

    pub fn name(self) -> &'static str {
        match self {
            Task::Regression => "regression",
            Task::Classification => "classification",
            Task::Clustering => "clustering",
        }
    }
}

/// What a model learns from, beside the design matrix.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// Regression: one value per row.
    Values(&'a [f64]),
    /// Classification: one class index per row, in 0..n_classes (classes sorted).
    Classes {
        labels: &'a [usize],
        n_classes: usize,
    },
    /// Clustering: no target.
    Unsupervised,
}

/// What a fitted model says about rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Regression predictions.
    Values(Vec<f64>),
    /// Class probabilities: n_rows x n_classes, each row summing to 1. The predicted class is the
    /// column of the greatest probability (the first on ties, as numpy's argmax).
    Proba(Matrix),
    /// Cluster assignments, with each row's squared distance to its centre (for inertia).
    Clusters {
        labels: Vec<usize>,
        distances_sq: Vec<f64>,
    },
}

impl Output {
    /// The outputs of consecutive batches of rows as one (None: no batches, or batches of
    /// different kinds).
    pub fn concat(parts: Vec<Output>) -> Option<Output> {
        let mut parts = parts.into_iter();
        match parts.next()? {
            Output::Values(mut v) => {
                for p in parts {
                    let Output::Values(more) = p else { return None };
                    v.extend(more);
                }
                Some(Output::Values(v))
            }
            Output::Proba(m) => {
                let mut all = vec![m];
                for p in parts {
                    let Output::Proba(more) = p else { return None };
                    all.push(more);
                }
                let n_rows = all.iter().map(|m| m.n_rows).sum();
                let columns = (0..all[0].n_cols)
                    .map(|j| all.iter().flat_map(|m| m.col(j).iter().copied()).collect())
                    .collect();
                Some(Output::Proba(Matrix::from_columns(n_rows, columns)))
            }
            Output::Clusters {
                mut labels,
                mut distances_sq,
            } => {
                for p in parts {
                    let Output::Clusters {
                        labels: l,
                        distances_sq: d,
                    } = p
                    else {
                        return None;
                    };
                    labels.extend(l);
                    distances_sq.extend(d);
                }
                Some(Output::Clusters {
                    labels,
                    distances_sq,
                })
            }
        }
    }

    /// The first row whose prediction is not a finite number, with the value: a regression value, a
    /// class probability, or a cluster's distance (a row infinitely far from every centre has no
    /// nearest one).
    pub fn first_non_finite_row(&self) -> Option<(usize, f64)> {
        let first = |values: &[f64]| {
            (values.iter())
                .position(|v| !v.is_finite())
                .map(|i| (i, values[i]))
        };
        match self {
            Output::Values(v) => first(v),
            // Column-major: the earliest row over every class's column.
            Output::Proba(p) => (0..p.n_cols)
                .filter_map(|j| first(p.col(j)))
                .min_by_key(|(i, _)| *i),
            Output::Clusters { distances_sq, .. } => first(distances_sq),
        }
    }

    /// The predicted class of each row of a probability output.
    pub fn classes(&self) -> Option<Vec<usize>> {
        match self {
            Output::Proba(p) => Some(argmax_rows(p)),
            _ => None,
        }
    }
}

/// The column of the greatest value in each row (the first on ties).
pub fn argmax_rows(p: &Matrix) -> Vec<usize> {
    (0..p.n_rows)
        .map(|i| {
            let mut best = 0;
            for j in 1..p.n_cols {
                if p.get(i, j) > p.get(i, best) {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// A fitted model and anything worth telling the user about the fit (a convergence warning).
#[derive(Debug)]
pub struct Fit {
    pub model: FittedModel,
    pub warnings: Vec<String>,
}

impl Fit {
    pub fn new(model: FittedModel) -> Self {
        Fit {
            model,
            warnings: Vec::new(),
        }
    }
}

/// What the models of a grid can share on one training set, each computed once by the first fit that
/// asks: XᵀX and Xᵀy for every alpha (and every lasso / elastic net), the sorted columns for every
/// tree, forest and boosting candidate.
#[derive(Debug, Default)]
pub struct FitCache {
    centred: OnceLock<NormalEquations>,
    raw: OnceLock<NormalEquations>,
    presort: OnceLock<tree_builder::Presort>,
    dense: OnceLock<Matrix>,
    hist_bins: hist_gb::BinsCache,
}

impl FitCache {
    /// The normal equations of (x, y): of the centred data when `center` (fit_intercept).
    pub fn normal_equations(&self, x: &Design, y: &[f64], center: bool) -> &NormalEquations {
        let cell = if center { &self.centred } else { &self.raw };
        cell.get_or_init(|| NormalEquations::from_design(x, y, center))
    }

    /// As [`Self::normal_equations`], of rows weighted by `weights` when there are any (a fold's
    /// weights are the same for every candidate, so the cache holds the weighted ones).
    pub fn weighted_normal_equations(
        &self,
        x: &Design,
        y: &[f64],
        weights: Option<&[f64]>,
        center: bool,
    ) -> &NormalEquations {
        let Some(w) = weights else {
            return self.normal_equations(x, y, center);
        };
        let cell = if center { &self.centred } else { &self.raw };
        cell.get_or_init(|| NormalEquations::weighted(self.dense(x), y, w, center))
    }

    /// Every dense column of x sorted, for the tree models: sorted once, shared by every tree
    /// candidate.
    pub fn presort(&self, x: &Design) -> &tree_builder::Presort {
        self.presort.get_or_init(|| tree_builder::Presort::new(x))
    }

    /// The dense matrix of x, for the models that read every column: built once, by the first
    /// of them, and only when x has one-hot blocks (otherwise it is x's own dense part).
    pub fn dense<'a>(&'a self, x: &'a Design) -> &'a Matrix {
        if x.blocks.is_empty() {
            &x.dense
        } else {
            self.dense.get_or_init(|| x.to_dense())
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ModelInfo {
    pub name: &'static str,
    pub tasks: &'static [Task],
    /// The objective minimised, in scikit-learn's terms.
    pub objective: &'static str,
    pub params: &'static [ParamDoc],
}

impl ModelInfo {
    /// The default of parameter `param`, as TOML would write it ("" when it is unset by default),
    /// read from the model's `Default`.
    pub fn default_text(&self, param: &str) -> String {
        match default_params(self.name).get(param) {
            // Tolerances read as they are written: 1e-4, not 0.0001.
            Some(toml::Value::Float(v)) if *v != 0.0 && v.abs() < 1e-3 => format!("{v:e}"),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }
}

/// The registry: every model kiln knows, once, in the order of the contract's table (`[model]`'s
/// `type` is the variant in snake_case), then every kind of fitted model (model.json's `kind`).
/// A new model is its file (a [`Model`] and a [`Predictor`]) plus one line here (two when it
/// brings a new kind of fitted model).
macro_rules! registry {
    (
        specs { $($spec:ident($params:ty),)* }
        fitted { $($kind:ident($fitted:ty),)* }
    ) => {
        /// `[model]`: the algorithm and its parameters.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum ModelSpec {
            $($spec($params),)*
        }

        /// Every model kiln knows, in the order of the contract's table.
        pub const MODELS: &[ModelInfo] = &[$(<$params as Model>::INFO,)*];

        /// A model's `Default` parameters as TOML (an unset option is absent): the one place a
        /// default is written, read by the parameter tables, `kiln schema` and the checker.
        pub fn default_params(model: &str) -> toml::Table {
            $(if model == <$params as Model>::INFO.name {
                return toml::Table::try_from(<$params>::default()).expect("parameters serialise");
            })*
            toml::Table::new()
        }

        /// Every model's table and its `Default` parameters as TOML (an unset option is absent).
        #[cfg(test)]
        fn tables_and_defaults() -> Vec<(ModelInfo, toml::Table)> {
            vec![$((
                <$params as Model>::INFO,
                toml::Table::try_from(<$params>::default()).expect("parameters serialise"),
            ),)*]
        }

        impl ModelSpec {
            pub fn name(&self) -> &'static str {
                match self {
                    $(ModelSpec::$spec(_) => <$params as Model>::INFO.name,)*
                }
            }

            /// Whether the model's fit takes row weights (`data.weight`).
            pub fn takes_weights(&self) -> bool {
                match self {
                    $(ModelSpec::$spec(_) => <$params as Model>::TAKES_WEIGHTS,)*
                }
            }

            /// The names of the models whose fits take row weights.
            pub fn weighted_model_names() -> Vec<&'static str> {
                let mut names = Vec::new();
                $(if <$params as Model>::TAKES_WEIGHTS {
                    names.push(<$params as Model>::INFO.name);
                })*
                names
            }

            /// Rejects impossible parameter values (alpha < 0, ...) and parameters of another task (a
            /// gini criterion in a regression) before any fit.
            pub fn check(&self, task: Task) -> Result<(), ParamError> {
                match self {
                    $(ModelSpec::$spec(p) => p.check_for(task),)*
                }
            }

            /// Whether fitting reads a design's one-hot blocks as slots (the normal equations, the
            /// tree builder) rather than through the dense matrix: what a fold's design costs in
            /// memory.
            pub fn reads_slots(&self, task: Task) -> bool {
                match self {
                    $(ModelSpec::$spec(p) => p.reads_slots(task),)*
                }
            }

            /// Whether the model fits on its training design made a column at a time
            /// ([`Self::fit_columns`]): a fold then holds only its validation rows' design.
            pub fn reads_columns(&self) -> bool {
                match self {
                    $(ModelSpec::$spec(_) => <$params as Model>::READS_COLUMNS,)*
                }
            }

            /// Whether the model fits rows with missing values (NaN), as `impute.numeric = "none"`
            /// leaves them.
            pub fn handles_missing(&self) -> bool {
                match self {
                    $(ModelSpec::$spec(p) => p.handles_missing(),)*
                }
            }

            /// Fits on a design matrix, with a cache shared by every fit on the same (x, targets):
            /// the linear models take their normal equations from it, so a grid of alphas computes
            /// XᵀX once per fold. `rng` is this fit's own generator; `seed` is the pipeline's seed,
            /// which k-means uses as scikit-learn's `random_state` so that its k-means++ draws are
            /// numpy's.
            pub fn fit_shared(
                &self,
                design: &Design,
                targets: Targets,
                weights: Option<&[f64]>,
                rng: &mut Rng,
                seed: u64,
                cache: &FitCache,
            ) -> Result<Fit, String> {
                let on = FitOn { design, targets, weights, rng, seed, cache };
                match self {
                    $(ModelSpec::$spec(p) => p.fit(on).map(|(m, warnings)| Fit {
                        model: m.into(),
                        warnings,
                    }),)*
                }
            }

            /// Fits on a design made a column at a time, for the models that read it so
            /// ([`Model::fit_columns`]); `None` for the others, which need [`Self::fit_shared`].
            pub fn fit_columns(
                &self,
                columns: &dyn DesignColumns,
                targets: Targets,
                weights: Option<&[f64]>,
                rng: &mut Rng,
                seed: u64,
                cache: &FitCache,
            ) -> Option<Result<Fit, String>> {
                let on = FitOnColumns { columns, targets, weights, rng, seed, cache };
                match self {
                    $(ModelSpec::$spec(p) => p.fit_columns(on).map(|r| r.map(|(m, warnings)| Fit {
                        model: m.into(),
                        warnings,
                    })),)*
                }
            }
        }

        /// A fitted model, as model.json stores it.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum FittedModel {
            $($kind($fitted),)*
        }

        $(impl From<$fitted> for FittedModel {
            fn from(m: $fitted) -> Self {
                FittedModel::$kind(m)
            }
        })*

        impl FittedModel {
            pub fn predict(&self, x: &Matrix) -> Output {
                match self {
                    $(FittedModel::$kind(m) => Predictor::predict(m, x),)*
                }
            }

            /// Whether [`Self::predict_design`] reads the one-hot slots (rather than making the
            /// dense matrix).
            pub fn reads_slots(&self) -> bool {
                match self {
                    $(FittedModel::$kind(_) => <$fitted as Predictor>::READS_SLOTS,)*
                }
            }

            fn predict_slots(&self, x: &Design) -> Option<Output> {
                match self {
                    $(FittedModel::$kind(m) => Predictor::predict_slots(m, x),)*
                }
            }

            /// Per-feature coefficients or importances, for reports: (what they are, one value per
            /// column).
            pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
                match self {
                    $(FittedModel::$kind(m) => Predictor::feature_weights(m),)*
                }
            }
        }
    };
}

registry! {
    specs {
        LinearRegression(linear::LinearRegressionParams),
        Ridge(linear::RidgeParams),
        Lasso(coordinate_descent::LassoParams),
        ElasticNet(coordinate_descent::ElasticNetParams),
        LogisticRegression(logistic::LogisticRegressionParams),
        DecisionTree(decision_tree::DecisionTreeParams),
        RandomForest(forest::RandomForestParams),
        GradientBoosting(boosting::GradientBoostingParams),
        HistGradientBoosting(hist_gb::HistGradientBoostingParams),
        Knn(knn::KnnParams),
        NaiveBayes(naive_bayes::NaiveBayesParams),
        Kmeans(kmeans::KMeansParams),
    }
    fitted {
        Linear(linear::LinearModel),
        ElasticNet(coordinate_descent::ElasticNetModel),
        LogisticRegression(logistic::LogisticModel),
        DecisionTree(decision_tree::DecisionTreeModel),
        RandomForest(forest::RandomForestModel),
        GradientBoosting(boosting::GradientBoostingModel),
        HistGradientBoosting(hist_gb::HistGradientBoostingModel),
        Knn(knn::KnnModel),
        NaiveBayes(naive_bayes::NaiveBayesModel),
        Kmeans(kmeans::KMeansModel),
    }
}

pub fn model_info(name: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().find(|m| m.name == name)
}

impl ModelSpec {
    pub fn info(&self) -> &'static ModelInfo {
        model_info(self.name()).expect("every ModelSpec variant is in MODELS")
    }

    /// The model's `class_weight`, for the models that take one.
    pub fn class_weight(&self) -> Option<&class_weight::ClassWeight> {
        match self {
            ModelSpec::LogisticRegression(p) => p.class_weight.as_ref(),
            ModelSpec::DecisionTree(p) => p.class_weight.as_ref(),
            ModelSpec::RandomForest(p) => p.class_weight.as_ref(),
            ModelSpec::GradientBoosting(p) => p.class_weight.as_ref(),
            ModelSpec::HistGradientBoosting(p) => p.class_weight.as_ref(),
            _ => None,
        }
    }

    /// The class weights the search folds into a fit's row weights, and how "balanced" counts the
    /// classes (as the model's scikit-learn counterpart does). None for a forest balancing each
    /// bootstrap sample: the forest weighs those itself.
    pub fn fit_class_weight(
        &self,
    ) -> Option<(&class_weight::ClassWeight, class_weight::BalancedBy)> {
        use class_weight::BalancedBy;
        let by = match self {
            ModelSpec::LogisticRegression(_) => BalancedBy::RowWeights,
            ModelSpec::RandomForest(p) if p.balances_each_bootstrap() => return None,
            ModelSpec::RandomForest(_) => BalancedBy::RowWeights,
            _ => BalancedBy::Rows,
        };
        self.class_weight().map(|cw| (cw, by))
    }

    /// Fits on a dense matrix (tests, small inputs); [`Self::fit_shared`] takes a design.
    pub fn fit(
        &self,
        x: &Matrix,
        targets: Targets,
        rng: &mut Rng,
        seed: u64,
    ) -> Result<Fit, String> {
        let x = Design::from_dense(x.clone());
        self.fit_shared(&x, targets, None, rng, seed, &FitCache::default())
    }

    /// Fits on `columns` when the model reads its design a column at a time
    /// ([`Self::fit_columns`]), else on the whole design `whole` makes (only then is it made).
    pub fn fit_either<'d>(
        &self,
        columns: &dyn DesignColumns,
        whole: impl FnOnce() -> Result<std::borrow::Cow<'d, Design>, String>,
        (targets, weights): (Targets, Option<&[f64]>),
        rng: &mut Rng,
        seed: u64,
        cache: &FitCache,
    ) -> Result<Fit, String> {
        match self.fit_columns(columns, targets, weights, rng, seed, cache) {
            Some(fit) => fit,
            None => self.fit_shared(&*whole()?, targets, weights, rng, seed, cache),
        }
    }
}

impl FittedModel {
    /// The predictions for a design: the linear and tree models read the one-hot slots directly;
    /// the others predict on its dense form, which `dense` gives (called only for them, and only
    /// when the design has blocks). Both give the same bits as [`Self::predict`] on the dense
    /// matrix.
    pub fn predict_design<'d>(&self, x: &'d Design, dense: impl FnOnce() -> &'d Matrix) -> Output {
        if let Some(out) = self.predict_slots(x) {
            return out;
        }
        debug_assert!(!self.reads_slots());
        if x.blocks.is_empty() {
            self.predict(&x.dense)
        } else {
            self.predict(dense())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_of_outputs_concatenate_in_order() {
        let a = Output::Proba(Matrix::from_rows(&[vec![0.2, 0.8]]));
        let b = Output::Proba(Matrix::from_rows(&[vec![0.6, 0.4], vec![1.0, 0.0]]));
        let whole = Matrix::from_rows(&[vec![0.2, 0.8], vec![0.6, 0.4], vec![1.0, 0.0]]);
        assert_eq!(Output::concat(vec![a, b]), Some(Output::Proba(whole)));
        let v = Output::concat(vec![
            Output::Values(vec![1.0]),
            Output::Values(vec![2.0, 3.0]),
        ]);
        assert_eq!(v, Some(Output::Values(vec![1.0, 2.0, 3.0])));
        assert_eq!(Output::concat(vec![]), None);
        let mixed = vec![
            Output::Values(vec![1.0]),
            Output::Proba(Matrix::zeros(1, 2)),
        ];
        assert_eq!(Output::concat(mixed), None);
    }
    use rand::SeedableRng;

    /// A small, deterministic dataset: 60 rows, 3 features, a smooth target and 3 classes.
    fn data() -> (Matrix, Vec<f64>, Vec<usize>) {
        let rows: Vec<Vec<f64>> = (0..60)
            .map(|i| {
                let t = i as f64 / 10.0;
                vec![t.sin(), (1.7 * t).cos(), (i % 7) as f64 / 7.0]
            })
            .collect();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| 3.0 * r[0] - r[1] + 0.5 * r[2])
            .collect();
        let classes: Vec<usize> = y
            .iter()
            .map(|v| {
                if *v < -1.0 {
                    0
                } else if *v < 1.0 {
                    1
                } else {
                    2
                }
            })
            .collect();
        (Matrix::from_rows(&rows), y, classes)
    }

    fn spec(text: &str) -> ModelSpec {
        toml::from_str(text).unwrap()
    }

    /// A design with one-hot blocks and its dense matrix give the same fit and the same predictions,
    /// bit for bit, for every model that reads the slots (the others are fitted on the dense matrix).
    #[test]
    fn designs_with_one_hot_blocks_fit_and_predict_as_their_dense_matrix() {
        let (design, y, labels) = decision_tree::tests::design_with_blocks(400, 5);
        let dense = design.to_dense();
        let classes = Targets::Classes {
            labels: &labels,
            n_classes: 4,
        };
        let cases: Vec<(&str, Targets)> = vec![
            ("type = 'linear_regression'", Targets::Values(&y)),
            ("type = 'ridge'\nalpha = 0.5", Targets::Values(&y)),
            ("type = 'lasso'\nalpha = 0.01", Targets::Values(&y)),
            ("type = 'decision_tree'\nmax_depth = 6", Targets::Values(&y)),
            ("type = 'decision_tree'", classes),
            (
                "type = 'random_forest'\nn_estimators = 5",
                Targets::Values(&y),
            ),
            (
                "type = 'gradient_boosting'\nn_estimators = 10\nsubsample = 0.7",
                classes,
            ),
            ("type = 'knn'", classes),
            (
                "type = 'hist_gradient_boosting'\nmax_iter = 10\nmin_samples_leaf = 5",
                Targets::Values(&y),
            ),
            (
                "type = 'hist_gradient_boosting'\nmax_iter = 5\nmax_leaf_nodes = 8",
                classes,
            ),
        ];
        for (text, targets) in cases {
            let m = spec(text);
            let fit = |x: &Design| {
                let mut rng = Rng::seed_from_u64(11);
                m.fit_shared(x, targets, None, &mut rng, 11, &FitCache::default())
                    .unwrap()
                    .model
            };
            let (from_slots, from_dense) = (fit(&design), fit(&Design::from_dense(dense.clone())));
            let reads_slots = from_slots.reads_slots();
            assert_eq!(reads_slots, m.reads_slots(Task::Regression), "{text}");
            // Normal equations summed from slots differ from dense sums in the last bits only.
            let (ws, wd) = (
                from_slots.feature_weights().unwrap_or_default().1,
                from_dense.feature_weights().unwrap_or_default().1,
            );
            if matches!(
                m,
                ModelSpec::LinearRegression(_) | ModelSpec::Ridge(_) | ModelSpec::Lasso(_)
            ) {
                for (s, d) in ws.iter().zip(&wd) {
                    assert!(
                        (s - d).abs() <= 1e-8 * d.abs().max(1.0),
                        "{text}: {s} vs {d}"
                    );
                }
            } else if matches!(m, ModelSpec::HistGradientBoosting(_)) {
                // A one-hot column's bin 0 is its node's sums less bin 1 (the block is summed in
                // one pass): the same trees, leaf values equal to rounding.
                let flat = |o: Output| match o {
                    Output::Values(v) => v,
                    Output::Proba(p) => p.data,
                    Output::Clusters { .. } => unreachable!("a supervised model"),
                };
                let (s, d) = (
                    flat(from_slots.predict(&dense)),
                    flat(from_dense.predict(&dense)),
                );
                for (s, d) in s.iter().zip(&d) {
                    assert!(
                        (s - d).abs() <= 1e-9 * d.abs().max(1.0),
                        "{text}: {s} vs {d}"
                    );
                }
            } else {
                assert_eq!(from_slots, from_dense, "{text}");
            }
            let (a, b) = (
                from_slots.predict_design(&design, || &dense),
                from_slots.predict(&dense),
            );
            assert_eq!(
                a, b,
                "{text}: predictions from slots and from the dense matrix"
            );
        }
    }

    /// model.json stores every fitted model kind, and a model read back predicts bit for bit what the
    /// model in memory predicted.
    #[test]
    fn every_model_round_trips_through_json_bit_for_bit() {
        let (x, y, classes) = data();
        let cases: Vec<(&str, Targets)> = vec![
            ("type = 'linear_regression'", Targets::Values(&y)),
            (
                "type = 'linear_regression'\nsolver = 'gd'",
                Targets::Values(&y),
            ),
            ("type = 'ridge'", Targets::Values(&y)),
            ("type = 'lasso'\nalpha = 0.01", Targets::Values(&y)),
            ("type = 'elastic_net'\nalpha = 0.01", Targets::Values(&y)),
            (
                "type = 'logistic_regression'",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            ("type = 'decision_tree'", Targets::Values(&y)),
            (
                "type = 'decision_tree'",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            (
                "type = 'random_forest'\nn_estimators = 5",
                Targets::Values(&y),
            ),
            (
                "type = 'random_forest'\nn_estimators = 5",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            (
                "type = 'gradient_boosting'\nn_estimators = 10",
                Targets::Values(&y),
            ),
            (
                "type = 'gradient_boosting'\nn_estimators = 10",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            (
                "type = 'hist_gradient_boosting'\nmax_iter = 10\nmin_samples_leaf = 5",
                Targets::Values(&y),
            ),
            (
                "type = 'hist_gradient_boosting'\nmax_iter = 10\nmin_samples_leaf = 5",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            ("type = 'knn'", Targets::Values(&y)),
            (
                "type = 'knn'\nweights = 'distance'",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            (
                "type = 'naive_bayes'",
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3,
                },
            ),
            ("type = 'kmeans'\nn_clusters = 3", Targets::Unsupervised),
        ];
        let mut kinds = std::collections::BTreeSet::new();
        for (text, targets) in cases {
            let s = spec(text);
            let mut rng = crate::rng::Rng::seed_from_u64(5);
            let fit = s
                .fit(&x, targets, &mut rng, 0)
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            let json = serde_json::to_string(&fit.model).unwrap();
            let back: FittedModel = serde_json::from_str(&json).unwrap();
            assert_eq!(back, fit.model, "{text}");
            assert_eq!(back.predict(&x), fit.model.predict(&x), "{text}");
            kinds.insert(json.split('"').nth(3).unwrap_or_default().to_string());
        }
        assert_eq!(
            kinds.len(),
            10,
            "every FittedModel kind is covered: {kinds:?}"
        );
        assert_eq!(MODELS.len(), 12);
    }

    /// Each default is written in `impl Default` and in the parameter table that the checker,
    /// `kiln schema` and the README read: for every model they agree, and every field of the
    /// parameter struct has exactly one row (an option unset by default has the default "").
    #[test]
    fn every_parameter_table_agrees_with_its_default() {
        use crate::models::params::ParamKind;
        let defaults = tables_and_defaults();
        assert_eq!(defaults.len(), MODELS.len());
        for (info, default) in defaults {
            let name = info.name;
            for doc in info.params {
                assert_eq!(
                    info.params.iter().filter(|d| d.name == doc.name).count(),
                    1,
                    "{name}: one row for {}",
                    doc.name
                );
                // The default (read from `Default`) is a value of the row's kind.
                let Some(value) = default.get(doc.name) else {
                    continue;
                };
                let fits = match (doc.kind, value) {
                    (ParamKind::Float, toml::Value::Float(_)) => true,
                    (ParamKind::Int, toml::Value::Integer(_)) => true,
                    (ParamKind::Bool, toml::Value::Boolean(_)) => true,
                    (ParamKind::Choice(choices), toml::Value::String(s)) => {
                        choices.contains(&s.as_str())
                    }
                    (ParamKind::MaxFeatures, v) => v.is_str() || v.is_float() || v.is_integer(),
                    (ParamKind::AutoOrBool, toml::Value::String(s)) => s == "auto",
                    (ParamKind::AutoOrBool, toml::Value::Boolean(_)) => true,
                    _ => false,
                };
                assert!(
                    fits,
                    "{name}.{}: Default gives {value}, not a {:?}",
                    doc.name, doc.kind
                );
                let text = info.default_text(doc.name);
                let read: toml::Table = toml::from_str(&format!("v = {text}")).unwrap();
                assert_eq!(read["v"], *value, "{name}.{}: {text}", doc.name);
            }
            for key in default.keys() {
                assert!(
                    info.params.iter().any(|d| d.name == key),
                    "{name}: the field {key} has no row in the parameter table"
                );
            }
        }
    }

    #[test]
    fn each_model_rejects_a_task_it_does_not_do() {
        let (x, y, classes) = data();
        let mut rng = crate::rng::Rng::seed_from_u64(5);
        assert!(spec("type = 'ridge'")
            .fit(
                &x,
                Targets::Classes {
                    labels: &classes,
                    n_classes: 3
                },
                &mut rng,
                0
            )
            .is_err());
        assert!(spec("type = 'kmeans'")
            .fit(&x, Targets::Values(&y), &mut rng, 0)
            .is_err());
        assert!(spec("type = 'naive_bayes'")
            .fit(&x, Targets::Values(&y), &mut rng, 0)
            .is_err());
    }
}
