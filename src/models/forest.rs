//! Random forests (scikit-learn's `RandomForestRegressor` / `RandomForestClassifier`).

use super::class_weight::{
    self, balanced_on_sample, ClassWeight, ClassWeightName, BALANCED_OR_SUBSAMPLE,
};
use super::params::{at_least, ParamDoc, ParamError, ParamKind};
use super::tree_builder::{
    check_max_depth, grow, normalised, response_of, rows_to_matrix, GrowConfig, Response,
    SplitRule, Tree, MAX_DEPTH_DOC, MIN_SAMPLES_LEAF_DOC,
};
use super::{fit_dense, FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::design::{Design, RowValues};
use crate::matrix::Matrix;
use crate::rng::{derive_seed, Rng, WeightedDraw};
use rand::{Rng as _, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How many features each split of a forest's trees considers, as scikit-learn's `max_features`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMaxFeatures", into = "RawMaxFeatures")]
pub enum MaxFeatures {
    /// max(1, floor(sqrt(n_features))).
    Sqrt,
    /// max(1, floor(log2(n_features))).
    Log2,
    /// max(1, floor(fraction * n_features)), fraction in (0, 1].
    Fraction(f64),
    /// Exactly this many, >= 1 and at most the column count.
    Count(usize),
}

/// How `max_features` is written in TOML / JSON: a string, an integer (a count) or a float (a
/// fraction), as in scikit-learn.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum RawMaxFeatures {
    Count(u64),
    Negative(i64),
    Fraction(f64),
    Name(String),
}

const MAX_FEATURES_RULE: &str =
    "max_features must be \"sqrt\", \"log2\", a fraction in (0, 1] or a count >= 1";

impl TryFrom<RawMaxFeatures> for MaxFeatures {
    type Error = String;

    fn try_from(raw: RawMaxFeatures) -> Result<Self, String> {
        match raw {
            RawMaxFeatures::Count(n) => Ok(MaxFeatures::Count(n as usize)),
            RawMaxFeatures::Fraction(f) => Ok(MaxFeatures::Fraction(f)),
            RawMaxFeatures::Name(s) if s == "sqrt" => Ok(MaxFeatures::Sqrt),
            RawMaxFeatures::Name(s) if s == "log2" => Ok(MaxFeatures::Log2),
            RawMaxFeatures::Name(s) => Err(format!("{MAX_FEATURES_RULE}, got \"{s}\"")),
            RawMaxFeatures::Negative(n) => Err(format!("{MAX_FEATURES_RULE}, got {n}")),
        }
    }
}

impl From<MaxFeatures> for RawMaxFeatures {
    fn from(m: MaxFeatures) -> Self {
        match m {
            MaxFeatures::Sqrt => RawMaxFeatures::Name("sqrt".into()),
            MaxFeatures::Log2 => RawMaxFeatures::Name("log2".into()),
            MaxFeatures::Fraction(f) => RawMaxFeatures::Fraction(f),
            MaxFeatures::Count(n) => RawMaxFeatures::Count(n as u64),
        }
    }
}

impl MaxFeatures {
    pub fn check(&self) -> Result<(), ParamError> {
        match *self {
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => Err(ParamError::new(
                "max_features",
                format!("{MAX_FEATURES_RULE}, got {f}"),
            )),
            MaxFeatures::Count(0) => Err(ParamError::new(
                "max_features",
                format!("{MAX_FEATURES_RULE}, got 0"),
            )),
            _ => Ok(()),
        }
    }

    /// The number of features per split for a design matrix of `n_features` columns.
    pub fn resolve(&self, n_features: usize) -> Result<usize, String> {
        let nf = n_features as f64;
        let k = match *self {
            MaxFeatures::Sqrt => nf.sqrt().floor() as usize,
            MaxFeatures::Log2 => {
                if n_features == 0 {
                    0
                } else {
                    nf.log2().floor() as usize
                }
            }
            MaxFeatures::Fraction(f) => (f * nf).floor() as usize,
            MaxFeatures::Count(k) => {
                if k > n_features {
                    return Err(format!(
                        "max_features = {k} exceeds the {n_features} columns of the design \
                         matrix; lower it or give a fraction such as 0.5"
                    ));
                }
                k
            }
        };
        Ok(k.max(1))
    }
}

/// Random forest.
///
/// Averages `n_estimators` CART trees (see decision_tree), as scikit-learn's
/// `RandomForestRegressor` / `RandomForestClassifier`: each tree is grown without depth limit
/// (unless `max_depth`) on a bootstrap sample of the rows (n draws with replacement, expressed as
/// per-row counts) and considers a fresh random subset of `max_features` features at every split
/// (squared error for regression, Gini for classification). Predictions average the trees' values
/// (regression) or class probabilities (classification); importances average the trees' normalised
/// impurity importances. Each tree has its own generator, seeded from one draw of the fit's
/// generator and the tree's index, so results do not depend on the thread count (they differ from
/// scikit-learn's draw by draw, not in distribution).
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RandomForestParams {
    pub n_estimators: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub max_features: Option<MaxFeatures>,
    pub bootstrap: bool,
    /// Applied by the search to the fit's row weights, but for "balanced_subsample" with
    /// `bootstrap`, which each tree applies to its own sample ([`super::class_weight`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeight>,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        RandomForestParams {
            n_estimators: 100,
            max_depth: None,
            min_samples_leaf: 1,
            max_features: None,
            bootstrap: true,
            class_weight: None,
        }
    }
}

impl RandomForestParams {
    pub fn check(&self) -> Result<(), ParamError> {
        at_least("n_estimators", self.n_estimators, 1)?;
        check_max_depth(self.max_depth)?;
        at_least("min_samples_leaf", self.min_samples_leaf, 1)?;
        match &self.max_features {
            Some(m) => m.check(),
            None => Ok(()),
        }
    }

    /// Whether each tree balances the classes of its own bootstrap sample ("balanced_subsample"
    /// with `bootstrap`); the search then leaves the class weights to the forest.
    pub fn balances_each_bootstrap(&self) -> bool {
        self.bootstrap
            && self.class_weight == Some(ClassWeight::Named(ClassWeightName::BalancedSubsample))
    }

    /// The max_features in effect for `task`: the one given, or scikit-learn's default.
    pub fn max_features_for(&self, task: Task) -> MaxFeatures {
        self.max_features.unwrap_or(match task {
            Task::Classification => MaxFeatures::Sqrt,
            _ => MaxFeatures::Fraction(1.0),
        })
    }
}

pub const RANDOM_FOREST_INFO: ModelInfo = ModelInfo {
    name: "random_forest",
    tasks: &[Task::Regression, Task::Classification],
    objective: "average of CART trees (squared error; Gini for classification), each grown on a \
                bootstrap sample with a random feature subset per split",
    params: &[
        ParamDoc {
            name: "n_estimators",
            kind: ParamKind::Int,
            doc: "number of trees, >= 1",
        },
        MAX_DEPTH_DOC,
        MIN_SAMPLES_LEAF_DOC,
        ParamDoc {
            name: "max_features",
            kind: ParamKind::MaxFeatures,
            doc: "features considered per split: \"sqrt\", \"log2\", a fraction in (0, 1] or a \
                  count >= 1; unset = \"sqrt\" (classification), 1.0 = all (regression)",
        },
        ParamDoc {
            name: "bootstrap",
            kind: ParamKind::Bool,
            doc: "grow each tree on a bootstrap sample of the rows; otherwise on every row",
        },
        ParamDoc {
            name: "class_weight",
            kind: ParamKind::ClassWeight(BALANCED_OR_SUBSAMPLE),
            doc: "classification: balanced weighs each class n / (k * its weight) in the fit (from the fold's training rows); balanced_subsample does so on each tree's bootstrap sample; a table { label = weight } weighs the classes it names (the rest 1); unset: every class 1",
        },
    ],
};

/// A fitted random forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomForestModel {
    pub trees: Vec<Tree>,
    /// Number of classes for classification (leaves hold class frequencies); None for regression.
    pub n_classes: Option<usize>,
    /// Normalised impurity-based importance of each column.
    pub importances: Vec<f64>,
}

pub fn fit_random_forest(
    p: &RandomForestParams,
    x: &Matrix,
    targets: Targets,
    rng: &mut Rng,
) -> Result<(RandomForestModel, Vec<String>), String> {
    fit_dense(p, x, targets, rng)
}

impl Model for RandomForestParams {
    const INFO: ModelInfo = RANDOM_FOREST_INFO;
    type Fitted = RandomForestModel;
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
    fn fit(&self, on: FitOn) -> Result<(RandomForestModel, Vec<String>), String> {
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
        let (response, task) = response_of(x, targets, "random_forest")?;
        let cfg = GrowConfig {
            rule: match response {
                Response::Values(_) => SplitRule::SquaredError,
                Response::Classes { .. } => SplitRule::Gini,
            },
            max_depth: p.max_depth,
            min_samples_split: 2,
            min_samples_leaf: p.min_samples_leaf,
            max_features: p.max_features_for(task).resolve(x.n_cols())?,
        };
        let n = x.n_rows();
        let base: u64 = rng.gen();
        let per_tree_balance = match response {
            Response::Classes { labels, n_classes } if p.balances_each_bootstrap() => {
                Some((labels, n_classes))
            }
            _ => None,
        };
        // scikit-learn >= 1.9 draws a weighted forest's bootstrap with probabilities proportional
        // to the row weights, then grows each tree on the draw counts alone.
        let weighted_draw = weights.map(|w| WeightedDraw::new(w.iter().copied()));
        let grown: Vec<(Tree, Vec<f64>)> = (0..p.n_estimators)
            .into_par_iter()
            .map(|t| {
                let mut tree_rng = Rng::seed_from_u64(derive_seed(base, &[t as u64]));
                let tree_weights = if p.bootstrap {
                    let counts = bootstrap_counts(n, weighted_draw.as_ref(), &mut tree_rng);
                    Some(match per_tree_balance {
                        Some((labels, k)) => balanced_on_sample(labels, k, &counts),
                        None => counts,
                    })
                } else {
                    weights.map(<[f64]>::to_vec)
                };
                grow(
                    x,
                    presort,
                    response,
                    tree_weights.as_deref(),
                    &cfg,
                    Some(&mut tree_rng),
                )
            })
            .collect();

        // scikit-learn: the mean of the trees' normalised importances (single leaves left out), itself
        // normalised.
        let mut importances = vec![0.0; x.n_cols()];
        let mut n_split_trees = 0usize;
        for (tree, raw) in &grown {
            if tree.nodes.len() > 1 {
                n_split_trees += 1;
                for (acc, v) in importances.iter_mut().zip(normalised(raw.clone())) {
                    *acc += v;
                }
            }
        }
        let mut warnings = Vec::new();
        if n_split_trees == 0 {
            warnings.push(format!(
                "every tree is a single leaf: no split left min_samples_leaf={} rows on each side",
                p.min_samples_leaf
            ));
        }
        Ok((
            RandomForestModel {
                trees: grown.into_iter().map(|(t, _)| t).collect(),
                n_classes: response.n_classes(),
                importances: normalised(importances),
            },
            warnings,
        ))
    }
}

/// Per-row counts of n draws with replacement: uniform, or in proportion to the row weights, so
/// a row of weight 0 is never drawn.
fn bootstrap_counts(n: usize, weighted: Option<&WeightedDraw>, rng: &mut Rng) -> Vec<f64> {
    let mut counts = vec![0.0; n];
    for _ in 0..n {
        let i = match weighted {
            None => rng.gen_range(0..n),
            Some(w) => w.draw(rng),
        };
        counts[i] += 1.0;
    }
    counts
}

impl RandomForestModel {
    pub fn predict<X: RowValues>(&self, x: &X) -> Output {
        let n_trees = self.trees.len() as f64;
        match self.n_classes {
            None => Output::Values(
                (0..x.n_rows())
                    .into_par_iter()
                    .map(|i| self.trees.iter().map(|t| t.value(x, i)[0]).sum::<f64>() / n_trees)
                    .collect(),
            ),
            Some(k) => Output::Proba(rows_to_matrix(x.n_rows(), k, |i, out| {
                for t in &self.trees {
                    for (o, v) in out.iter_mut().zip(t.value(x, i)) {
                        *o += v;
                    }
                }
                out.iter_mut().for_each(|o| *o /= n_trees);
            })),
        }
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        Some(("importance", self.importances.clone()))
    }
}

impl Predictor for RandomForestModel {
    const READS_SLOTS: bool = true;

    fn predict(&self, x: &Matrix) -> Output {
        RandomForestModel::predict(self, x)
    }

    fn predict_slots(&self, x: &Design) -> Option<Output> {
        Some(RandomForestModel::predict(self, x))
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        RandomForestModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::decision_tree::{fit_decision_tree, DecisionTreeParams};

    fn rng(seed: u64) -> Rng {
        Rng::seed_from_u64(seed)
    }

    fn synthetic(n: usize, p: usize, seed: u64) -> (Matrix, Vec<f64>, Vec<usize>) {
        let mut r = rng(seed);
        let cols: Vec<Vec<f64>> = (0..p)
            .map(|_| (0..n).map(|_| r.gen::<f64>()).collect())
            .collect();
        let y: Vec<f64> = (0..n)
            .map(|i| 4.0 * cols[0][i] + cols[1][i] + 0.1 * r.gen::<f64>())
            .collect();
        let labels = y.iter().map(|v| (*v as usize).min(2)).collect();
        (Matrix::from_columns(n, cols), y, labels)
    }

    fn values(out: Output) -> Vec<f64> {
        match out {
            Output::Values(v) => v,
            other => panic!("expected values, got {other:?}"),
        }
    }

    #[test]
    fn max_features_parses_resolves_and_checks() {
        let parse = |s: &str| serde_json::from_str::<MaxFeatures>(s);
        assert_eq!(parse("\"sqrt\"").unwrap(), MaxFeatures::Sqrt);
        assert_eq!(parse("\"log2\"").unwrap(), MaxFeatures::Log2);
        assert_eq!(parse("0.5").unwrap(), MaxFeatures::Fraction(0.5));
        assert_eq!(parse("1.0").unwrap(), MaxFeatures::Fraction(1.0));
        assert_eq!(parse("3").unwrap(), MaxFeatures::Count(3));
        let err = parse("\"half\"").unwrap_err().to_string();
        assert!(
            err.contains("\"sqrt\", \"log2\"") && err.contains("half"),
            "{err}"
        );
        assert!(parse("-2").unwrap_err().to_string().contains("-2"));
        for m in [
            MaxFeatures::Sqrt,
            MaxFeatures::Fraction(1.0),
            MaxFeatures::Count(1),
        ] {
            assert_eq!(parse(&serde_json::to_string(&m).unwrap()).unwrap(), m);
        }

        assert_eq!(MaxFeatures::Sqrt.resolve(20), Ok(4));
        assert_eq!(MaxFeatures::Log2.resolve(20), Ok(4));
        assert_eq!(MaxFeatures::Fraction(0.5).resolve(20), Ok(10));
        assert_eq!(MaxFeatures::Fraction(0.01).resolve(20), Ok(1));
        assert_eq!(MaxFeatures::Fraction(1.0).resolve(20), Ok(20));
        assert_eq!(MaxFeatures::Count(20).resolve(20), Ok(20));
        assert!(MaxFeatures::Count(21)
            .resolve(20)
            .unwrap_err()
            .contains("exceeds"));
        assert_eq!(MaxFeatures::Sqrt.resolve(1), Ok(1));
        assert_eq!(MaxFeatures::Log2.resolve(1), Ok(1));

        for bad in [
            MaxFeatures::Fraction(0.0),
            MaxFeatures::Fraction(1.5),
            MaxFeatures::Count(0),
        ] {
            assert_eq!(bad.check().unwrap_err().key, "max_features");
        }
    }

    #[test]
    fn params_parse_and_check() {
        let p: RandomForestParams = serde_json::from_str(
            r#"{"n_estimators": 5, "max_features": "log2", "bootstrap": false}"#,
        )
        .unwrap();
        assert_eq!(
            (p.n_estimators, p.max_features, p.bootstrap),
            (5, Some(MaxFeatures::Log2), false)
        );
        assert!(serde_json::from_str::<RandomForestParams>(r#"{"trees": 5}"#).is_err());
        let d = RandomForestParams::default;
        assert!(d().check().is_ok());
        let bad = |p: RandomForestParams| p.check().unwrap_err().key;
        assert_eq!(
            bad(RandomForestParams {
                n_estimators: 0,
                ..d()
            }),
            "n_estimators"
        );
        assert_eq!(
            bad(RandomForestParams {
                max_depth: Some(0),
                ..d()
            }),
            "max_depth"
        );
        assert_eq!(
            bad(RandomForestParams {
                min_samples_leaf: 0,
                ..d()
            }),
            "min_samples_leaf"
        );
        assert_eq!(
            bad(RandomForestParams {
                max_features: Some(MaxFeatures::Fraction(2.0)),
                ..d()
            }),
            "max_features"
        );
        assert_eq!(
            d().max_features_for(Task::Classification),
            MaxFeatures::Sqrt
        );
        assert_eq!(
            d().max_features_for(Task::Regression),
            MaxFeatures::Fraction(1.0)
        );
        // Every parameter but class_weight, unset by default and then left out, is written out.
        let names: Vec<&str> = RANDOM_FOREST_INFO
            .params
            .iter()
            .map(|p| p.name)
            .filter(|&n| n != "class_weight")
            .collect();
        let json = serde_json::to_value(d()).unwrap();
        assert_eq!(names.len(), json.as_object().unwrap().len());
        assert!(names.iter().all(|n| json.get(n).is_some()));
        let (x, y, _) = synthetic(10, 2, 0);
        let p = RandomForestParams {
            max_features: Some(MaxFeatures::Count(3)),
            ..d()
        };
        assert!(fit_random_forest(&p, &x, Targets::Values(&y), &mut rng(0)).is_err());
    }

    #[test]
    fn weights_reach_every_tree_and_a_weighted_bootstrap_skips_weightless_rows() {
        let (x, y, _) = synthetic(150, 3, 1);
        let w: Vec<f64> = (0..150).map(|i| (i % 4) as f64).collect();
        let design = Design::from_dense(x.clone());
        let cache = crate::models::FitCache::default();
        let fit = |m: &dyn Fn(FitOn) -> Vec<Tree>| {
            m(FitOn {
                design: &design,
                targets: Targets::Values(&y),
                weights: Some(&w),
                rng: &mut rng(1),
                seed: 0,
                cache: &cache,
            })
        };
        let p = RandomForestParams {
            n_estimators: 2,
            bootstrap: false,
            max_depth: Some(4),
            ..Default::default()
        };
        let forest = fit(&|on| p.fit(on).unwrap().0.trees);
        let tp = DecisionTreeParams {
            max_depth: Some(4),
            ..Default::default()
        };
        let tree = fit(&|on| vec![tp.fit(on).unwrap().0.tree]);
        assert!(forest.iter().all(|t| *t == tree[0]));
        let unweighted = fit_decision_tree(&tp, &x, Targets::Values(&y), &mut rng(1)).unwrap();
        assert_ne!(unweighted.0.tree, tree[0]);
        // Draws in proportion to the weights: never a row of weight 0, about three times as many
        // of weight 3 as of weight 1.
        let draw = WeightedDraw::new(w.iter().copied());
        let counts = bootstrap_counts(150, Some(&draw), &mut rng(2));
        assert_eq!(counts.iter().sum::<f64>(), 150.0);
        let by_weight =
            |k: usize| -> f64 { (0..150).filter(|i| i % 4 == k).map(|i| counts[i]).sum() };
        assert_eq!(by_weight(0), 0.0);
        assert!(
            by_weight(3) > 2.0 * by_weight(1),
            "{} vs {}",
            by_weight(3),
            by_weight(1)
        );
    }

    #[test]
    fn without_bootstrap_or_feature_sampling_every_tree_is_the_decision_tree() {
        let (x, y, _) = synthetic(150, 3, 1);
        let p = RandomForestParams {
            n_estimators: 3,
            bootstrap: false,
            max_depth: Some(4),
            ..Default::default()
        };
        let (forest, _) = fit_random_forest(&p, &x, Targets::Values(&y), &mut rng(1)).unwrap();
        let tp = DecisionTreeParams {
            max_depth: Some(4),
            ..Default::default()
        };
        let (tree, _) = fit_decision_tree(&tp, &x, Targets::Values(&y), &mut rng(1)).unwrap();
        assert!(forest.trees.iter().all(|t| *t == tree.tree));
        // (v + v + v) / 3 may differ from v in the last bit.
        let (f, t) = (values(forest.predict(&x)), values(tree.predict(&x)));
        assert!(f
            .iter()
            .zip(&t)
            .all(|(a, b)| (a - b).abs() <= 1e-12 * b.abs()));
        assert_eq!(forest.importances, tree.importances);
    }

    #[test]
    fn forest_learns_averages_and_reports_importances() {
        let (x, y, labels) = synthetic(400, 4, 2);
        let p = RandomForestParams {
            n_estimators: 30,
            ..Default::default()
        };
        let (m, warnings) = fit_random_forest(&p, &x, Targets::Values(&y), &mut rng(2)).unwrap();
        assert!(warnings.is_empty());
        let pred = values(m.predict(&x));
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let ss_res: f64 = y.iter().zip(&pred).map(|(a, b)| (a - b).powi(2)).sum();
        let ss_tot: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
        assert!(1.0 - ss_res / ss_tot > 0.95);
        // Bootstrap samples differ, so the trees do.
        assert_ne!(m.trees[0], m.trees[1]);
        let imp = m.feature_weights().unwrap().1;
        assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(imp[0] > imp[1] && imp[1] > imp[2].max(imp[3]), "{imp:?}");

        let t = Targets::Classes {
            labels: &labels,
            n_classes: 3,
        };
        let (c, _) = fit_random_forest(&p, &x, t, &mut rng(2)).unwrap();
        let Output::Proba(pr) = c.predict(&x) else {
            panic!()
        };
        for i in 0..pr.n_rows {
            assert!((pr.row(i).iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        let acc = c
            .predict(&x)
            .classes()
            .unwrap()
            .iter()
            .zip(&labels)
            .filter(|(a, b)| a == b)
            .count();
        assert!(acc as f64 / labels.len() as f64 > 0.95);
    }

    #[test]
    fn seeded_thread_independent_and_serde_exact() {
        let (x, y, labels) = synthetic(300, 5, 3);
        let p = RandomForestParams {
            n_estimators: 8,
            ..Default::default()
        };
        let fit = || {
            let r = fit_random_forest(&p, &x, Targets::Values(&y), &mut rng(3))
                .unwrap()
                .0;
            let t = Targets::Classes {
                labels: &labels,
                n_classes: 3,
            };
            let c = fit_random_forest(&p, &x, t, &mut rng(3)).unwrap().0;
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
        let other = fit_random_forest(&p, &x, Targets::Values(&y), &mut rng(4))
            .unwrap()
            .0;
        assert_ne!(one.0, other);

        for m in [&one.0, &one.1] {
            let back: RandomForestModel =
                serde_json::from_str(&serde_json::to_string(m).unwrap()).unwrap();
            assert_eq!(&back, m);
            assert_eq!(back.predict(&x), m.predict(&x));
        }
    }
}
