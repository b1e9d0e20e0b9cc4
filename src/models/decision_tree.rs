//! Decision trees (CART, as scikit-learn's `DecisionTreeRegressor` / `DecisionTreeClassifier`): the
//! parameters, the fit (one tree from [`super::tree_builder`]) and the fitted model.

use super::class_weight::{self, ClassWeight, CLASS_WEIGHT_DOC};
use super::params::{at_least, ParamDoc, ParamError, ParamKind};
use super::tree_builder::{
    check_max_depth, grow, normalised, response_of, rows_to_matrix, GrowConfig, SplitRule, Tree,
    MAX_DEPTH_DOC, MIN_SAMPLES_LEAF_DOC,
};
use super::{fit_dense, FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::design::{Design, RowValues};
use crate::matrix::Matrix;
use crate::rng::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

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
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecisionTreeParams {
    pub max_depth: Option<usize>,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    pub criterion: Option<TreeCriterion>,
    /// Applied by the search to the fit's row weights ([`super::class_weight`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<ClassWeight>,
}

impl Default for DecisionTreeParams {
    fn default() -> Self {
        DecisionTreeParams {
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            criterion: None,
            class_weight: None,
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
        class_weight::check_task(self.class_weight.as_ref(), task)?;
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
            doc: "rows a node needs to be split, >= 2",
        },
        MIN_SAMPLES_LEAF_DOC,
        ParamDoc {
            name: "criterion",
            kind: ParamKind::Choice(&["squared_error", "gini", "entropy"]),
            doc: "split quality: \"squared_error\" for regression, \"gini\" or \"entropy\" for \
                  classification; unset = squared_error (regression), gini (classification)",
        },
        CLASS_WEIGHT_DOC,
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
    fit_dense(p, x, targets, rng)
}

impl Model for DecisionTreeParams {
    const INFO: ModelInfo = DECISION_TREE_INFO;
    type Fitted = DecisionTreeModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, task: Task) -> Result<(), ParamError> {
        self.check().and_then(|_| self.check_task(task))
    }

    fn reads_slots(&self, _task: Task) -> bool {
        true
    }

    /// Fits on a design whose columns the cache sorts once for a grid's fits
    /// ([`crate::models::FitCache::presort`]).
    fn fit(&self, on: FitOn) -> Result<(DecisionTreeModel, Vec<String>), String> {
        let p = self;
        let FitOn {
            design: x,
            targets,
            weights,
            cache,
            ..
        } = on;
        let presort = cache.presort(x);
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
        let (tree, raw) = grow(x, presort, response, weights, &cfg, None);
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

impl Predictor for DecisionTreeModel {
    const READS_SLOTS: bool = true;

    fn predict(&self, x: &Matrix) -> Output {
        DecisionTreeModel::predict(self, x)
    }

    fn predict_slots(&self, x: &Design) -> Option<Output> {
        Some(DecisionTreeModel::predict(self, x))
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        DecisionTreeModel::feature_weights(self)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::design::{OneHotBlock, NO_SLOT};
    use crate::models::tree_builder::{Node, Presort, Response, PARALLEL_ROWS};
    use rand::Rng as _;
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
        // Every parameter but class_weight, unset by default and then left out, is written out.
        let names: Vec<&str> = DECISION_TREE_INFO
            .params
            .iter()
            .map(|p| p.name)
            .filter(|&n| n != "class_weight")
            .collect();
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
