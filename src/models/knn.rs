//! k-nearest neighbours, for regression and classification, by exact brute-force search.

use super::params::{at_least, at_most, ParamDoc, ParamError, ParamKind};
use super::{FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::matrix::Matrix;
use crate::rng::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Query rows handled together: one parallel task, and the block whose distances to a block of
/// training rows are computed while both are in cache.
const QUERY_BLOCK: usize = 64;
/// Training rows per distance block.
const TRAIN_BLOCK: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnWeights {
    /// Every neighbour counts the same.
    Uniform,
    /// A neighbour counts 1 / distance; neighbours at distance 0, if any, are the only ones counted.
    Distance,
}

/// k-nearest neighbours (scikit-learn's `KNeighborsClassifier` / `KNeighborsRegressor`).
///
/// No objective: a query row's prediction comes from its `n_neighbors` nearest training rows by
/// Euclidean distance, found exactly by brute force. Classification returns each class's share of
/// the (weighted) votes as its probability, the predicted class being the most voted (the first in
/// sorted order on ties, as scikit-learn); regression the (weighted) mean of the neighbours' targets.
/// With `weights = "distance"` a neighbour counts 1/d, and a query at distance 0 from some training
/// rows is predicted from those rows alone, equally weighted (scikit-learn's rule). Rows at equal
/// distance are taken in training-row order, as scikit-learn's brute-force search does (its tree
/// searches, chosen by `algorithm="auto"` for few features, may pick another of equally distant
/// rows). The fitted model keeps the training matrix and targets.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnParams {
    pub n_neighbors: usize,
    pub weights: KnnWeights,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            n_neighbors: 5,
            weights: KnnWeights::Uniform,
        }
    }
}

/// The most neighbours a pipeline may ask for: more training rows than this (4,294,967,295 rows
/// of even one column are 32 GiB) are not a data set kiln holds in memory, so a larger value is a
/// typo, refused with its line before any data is read rather than by every fit.
pub const MAX_NEIGHBORS: usize = u32::MAX as usize;

impl KnnParams {
    pub fn check(&self) -> Result<(), ParamError> {
        at_least("n_neighbors", self.n_neighbors, 1)?;
        at_most("n_neighbors", self.n_neighbors, MAX_NEIGHBORS)
    }
}

pub const KNN_INFO: ModelInfo = ModelInfo {
    name: "knn",
    tasks: &[Task::Regression, Task::Classification],
    objective: "none: (weighted) vote or mean of the n_neighbors nearest training rows \
                (exact Euclidean, brute force)",
    params: &[
        ParamDoc {
            name: "n_neighbors",
            kind: ParamKind::Int,
            doc: "neighbours consulted, >= 1 and at most the number of training rows",
        },
        ParamDoc {
            name: "weights",
            kind: ParamKind::Choice(&["uniform", "distance"]),
            doc: "uniform: equal votes; distance: votes weighted 1/distance (a training row at \
                  distance 0 outvotes all others)",
        },
    ],
};

/// What the neighbours vote with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnnTargets {
    Values(Vec<f64>),
    Classes {
        labels: Vec<usize>,
        n_classes: usize,
    },
}

/// A fitted k-nearest-neighbours model: the training rows themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnnModel {
    pub n_neighbors: usize,
    pub weights: KnnWeights,
    pub train: Matrix,
    pub targets: KnnTargets,
}

pub fn fit_knn(
    p: &KnnParams,
    x: &Matrix,
    targets: Targets,
    _rng: &mut Rng,
) -> Result<(KnnModel, Vec<String>), String> {
    let (targets, n) = match targets {
        Targets::Values(y) => (KnnTargets::Values(y.to_vec()), y.len()),
        Targets::Classes { labels, n_classes } => {
            if let Some(bad) = labels.iter().find(|&&l| l >= n_classes) {
                return Err(format!(
                    "class index {bad} is out of range for {n_classes} classes"
                ));
            }
            (
                KnnTargets::Classes {
                    labels: labels.to_vec(),
                    n_classes,
                },
                labels.len(),
            )
        }
        Targets::Unsupervised => {
            return Err(
                "knn needs a target: use task = \"regression\" or \"classification\"".into(),
            )
        }
    };
    if n != x.n_rows {
        return Err(format!("{n} targets for {} rows of features", x.n_rows));
    }
    if p.n_neighbors > x.n_rows {
        return Err(format!(
            "n_neighbors = {} is more than the {} training rows; lower n_neighbors to at most {}",
            p.n_neighbors, x.n_rows, x.n_rows
        ));
    }
    if x.data.iter().any(|v| !v.is_finite()) {
        return Err("the training features hold NaN or infinite values".into());
    }
    Ok((
        KnnModel {
            n_neighbors: p.n_neighbors,
            weights: p.weights,
            train: x.clone(),
            targets,
        },
        Vec::new(),
    ))
}

/// A candidate neighbour, ordered by (squared distance, training index): the heap's top is the worst
/// kept, and equally distant rows are kept in training order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate {
    dist_sq: f64,
    index: usize,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist_sq
            .total_cmp(&other.dist_sq)
            .then(self.index.cmp(&other.index))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl KnnModel {
    /// Each query row's neighbours as (training row, Euclidean distance), nearest first (ties in
    /// training-row order).
    pub fn kneighbors(&self, x: &Matrix) -> Vec<Vec<(usize, f64)>> {
        let p = self.train.n_cols;
        assert_eq!(
            x.n_cols, p,
            "knn: {} query columns for a model of {p}",
            x.n_cols
        );
        let k = self.n_neighbors.min(self.train.n_rows);
        let train = &self.train;
        let queries = x.to_row_major();
        let n_train = self.train.n_rows;
        let n_queries = x.n_rows;
        (0..n_queries.div_ceil(QUERY_BLOCK))
            .into_par_iter()
            .flat_map_iter(|b| {
                let q0 = b * QUERY_BLOCK;
                let n_q = QUERY_BLOCK.min(n_queries - q0);
                let block = &queries[q0 * p..(q0 + n_q) * p];
                let mut heaps: Vec<BinaryHeap<Candidate>> =
                    (0..n_q).map(|_| BinaryHeap::with_capacity(k + 1)).collect();
                let mut dist = vec![0.0; TRAIN_BLOCK];
                for t0 in (0..n_train).step_by(TRAIN_BLOCK) {
                    let t1 = (t0 + TRAIN_BLOCK).min(n_train);
                    let dist = &mut dist[..t1 - t0];
                    for (qi, heap) in heaps.iter_mut().enumerate() {
                        let q = &block[qi * p..(qi + 1) * p];
                        // Feature by feature over a block of training rows (contiguous in the
                        // column-major matrix), so the loop vectorises across rows while each
                        // distance is still summed over features in order.
                        dist.fill(0.0);
                        for (f, &qf) in q.iter().enumerate() {
                            for (d, v) in dist.iter_mut().zip(&train.col(f)[t0..t1]) {
                                let e = qf - v;
                                *d += e * e;
                            }
                        }
                        for (t, &d) in (t0..t1).zip(dist.iter()) {
                            let c = Candidate {
                                dist_sq: d,
                                index: t,
                            };
                            if heap.len() < k {
                                heap.push(c);
                            } else if c < *heap.peek().expect("k >= 1") {
                                heap.pop();
                                heap.push(c);
                            }
                        }
                    }
                }
                heaps.into_iter().map(|h| {
                    h.into_sorted_vec()
                        .into_iter()
                        .map(|c| (c.index, c.dist_sq.sqrt()))
                        .collect::<Vec<_>>()
                })
            })
            .collect()
    }

    /// Regression: the (weighted) mean of the neighbours' targets; classification: each class's
    /// share of the (weighted) votes.
    pub fn predict(&self, x: &Matrix) -> Output {
        let neighbours = self.kneighbors(x);
        let weights: Vec<Vec<f64>> = neighbours
            .iter()
            .map(|nb| vote_weights(nb, self.weights))
            .collect();
        match &self.targets {
            KnnTargets::Values(y) => Output::Values(
                neighbours
                    .iter()
                    .zip(&weights)
                    .map(|(nb, w)| {
                        let total: f64 = w.iter().sum();
                        nb.iter().zip(w).map(|((i, _), wi)| wi * y[*i]).sum::<f64>() / total
                    })
                    .collect(),
            ),
            KnnTargets::Classes { labels, n_classes } => {
                let mut proba = Matrix::zeros(x.n_rows, *n_classes);
                for (r, (nb, w)) in neighbours.iter().zip(&weights).enumerate() {
                    let mut votes = vec![0.0; *n_classes];
                    for ((i, _), wi) in nb.iter().zip(w) {
                        votes[labels[*i]] += wi;
                    }
                    let total: f64 = votes.iter().sum();
                    for (c, v) in votes.iter().enumerate() {
                        proba.set(r, c, v / total);
                    }
                }
                Output::Proba(proba)
            }
        }
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        None
    }

    /// A loaded model's own numbers: `fit_knn` takes between 1 and the training rows neighbours.
    pub fn check(&self) -> Result<(), String> {
        if (1..=self.train.n_rows).contains(&self.n_neighbors) {
            Ok(())
        } else {
            Err(format!(
                "`model.n_neighbors` = {} is not between 1 and the model's {} training rows",
                self.n_neighbors, self.train.n_rows
            ))
        }
    }
}

/// scikit-learn's `_get_weights`: 1/d, except that a query with neighbours at distance 0 counts
/// those alone (weight 1 each).
fn vote_weights(neighbours: &[(usize, f64)], weights: KnnWeights) -> Vec<f64> {
    match weights {
        KnnWeights::Uniform => vec![1.0; neighbours.len()],
        KnnWeights::Distance => {
            if neighbours.iter().any(|(_, d)| *d == 0.0) {
                neighbours
                    .iter()
                    .map(|(_, d)| if *d == 0.0 { 1.0 } else { 0.0 })
                    .collect()
            } else {
                neighbours.iter().map(|(_, d)| 1.0 / d).collect()
            }
        }
    }
}

impl Model for KnnParams {
    const INFO: ModelInfo = KNN_INFO;
    type Fitted = KnnModel;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, _task: Task) -> bool {
        false
    }

    fn fit(&self, on: FitOn) -> Result<(KnnModel, Vec<String>), String> {
        fit_knn(self, on.cache.dense(on.design), on.targets, on.rng)
    }
}

impl Predictor for KnnModel {
    fn predict(&self, x: &Matrix) -> Output {
        KnnModel::predict(self, x)
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        KnnModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{rng_for, Purpose};

    fn rng() -> Rng {
        rng_for(0, Purpose::Fit, &[])
    }

    fn column(v: &[f64]) -> Matrix {
        Matrix::from_columns(v.len(), vec![v.to_vec()])
    }

    fn values(o: Output) -> Vec<f64> {
        match o {
            Output::Values(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn regression_means_by_hand() {
        let x = column(&[0.0, 1.0, 2.0, 10.0]);
        let y = [0.0, 1.0, 2.0, 10.0];
        let q = column(&[0.4, 9.0]);
        let uniform = KnnParams {
            n_neighbors: 2,
            weights: KnnWeights::Uniform,
        };
        let (m, w) = fit_knn(&uniform, &x, Targets::Values(&y), &mut rng()).unwrap();
        assert!(w.is_empty());
        assert_eq!(values(m.predict(&q)), vec![0.5, 6.0]);
        let distance = KnnParams {
            n_neighbors: 2,
            weights: KnnWeights::Distance,
        };
        let (m, _) = fit_knn(&distance, &x, Targets::Values(&y), &mut rng()).unwrap();
        let p = values(m.predict(&q));
        // 0.4: weights 1/0.4 and 1/0.6; 9.0: neighbours 10 (d 1) and 2 (d 7).
        let e0 = (1.0 / 0.6) / (1.0 / 0.4 + 1.0 / 0.6);
        let e1 = (10.0 + 2.0 / 7.0) / (1.0 + 1.0 / 7.0);
        assert!(
            (p[0] - e0).abs() < 1e-14 && (p[1] - e1).abs() < 1e-14,
            "{p:?}"
        );
    }

    #[test]
    fn a_query_on_training_rows_uses_only_those_rows() {
        let x = column(&[1.0, 1.0, 2.0, 5.0]);
        let y = [4.0, 6.0, 100.0, 100.0];
        let p = KnnParams {
            n_neighbors: 3,
            weights: KnnWeights::Distance,
        };
        let (m, _) = fit_knn(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
        assert_eq!(values(m.predict(&column(&[1.0]))), vec![5.0]);
    }

    #[test]
    fn classification_votes_and_ties_go_to_the_lower_training_row() {
        // Every training row is at distance 1 from the query 0.
        let x = column(&[1.0, -1.0, 1.0, -1.0]);
        let labels = [0usize, 1, 1, 0];
        let t = Targets::Classes {
            labels: &labels,
            n_classes: 2,
        };
        let q = column(&[0.0]);
        let proba = |k: usize| {
            let (m, _) = fit_knn(
                &KnnParams {
                    n_neighbors: k,
                    weights: KnnWeights::Uniform,
                },
                &x,
                t,
                &mut rng(),
            )
            .unwrap();
            assert_eq!(
                m.kneighbors(&q)[0].iter().map(|n| n.0).collect::<Vec<_>>(),
                (0..k).collect::<Vec<_>>()
            );
            match m.predict(&q) {
                Output::Proba(p) => p.row(0),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(proba(1), vec![1.0, 0.0]);
        assert_eq!(proba(2), vec![0.5, 0.5]);
        assert_eq!(proba(3), vec![1.0 / 3.0, 2.0 / 3.0]);
        // Distance weights: 0.5 away from class 1 (weight 2), 1.5 and 2.5 away from class 0.
        let x = column(&[0.0, 2.0, 3.0]);
        let labels = [0usize, 1, 0];
        let t = Targets::Classes {
            labels: &labels,
            n_classes: 2,
        };
        let (m, _) = fit_knn(
            &KnnParams {
                n_neighbors: 3,
                weights: KnnWeights::Distance,
            },
            &x,
            t,
            &mut rng(),
        )
        .unwrap();
        let out = m.predict(&column(&[1.5]));
        let total = 1.0 / 1.5 + 2.0 + 1.0 / 1.5;
        match &out {
            Output::Proba(p) => assert!((p.get(0, 1) - 2.0 / total).abs() < 1e-15),
            other => panic!("{other:?}"),
        }
        assert_eq!(out.classes().unwrap(), vec![1]);
    }

    fn random_data(n: usize, d: usize, seed: u64) -> Matrix {
        use rand::Rng as _;
        let mut r = rng_for(seed, Purpose::Fit, &[]);
        // Coarse values so that many distances tie exactly.
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..d).map(|_| r.gen_range(0..4) as f64).collect())
            .collect();
        Matrix::from_rows(&rows)
    }

    #[test]
    fn blocked_parallel_search_equals_a_naive_sort_whatever_the_thread_count() {
        let train = random_data(700, 3, 1); // several training blocks
        let queries = random_data(150, 3, 2); // several query blocks
        let y: Vec<f64> = (0..700).map(|i| i as f64).collect();
        let p = KnnParams {
            n_neighbors: 7,
            weights: KnnWeights::Distance,
        };
        let (m, _) = fit_knn(&p, &train, Targets::Values(&y), &mut rng()).unwrap();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| (m.kneighbors(&queries), m.predict(&queries)))
        };
        let (nb1, p1) = run(1);
        let (nb4, p4) = run(4);
        assert_eq!(nb1, nb4);
        assert_eq!(p1, p4);
        for (qi, nb) in nb1.iter().enumerate() {
            let q = queries.row(qi);
            let mut all: Vec<(f64, usize)> = (0..700)
                .map(|t| {
                    (
                        train
                            .row(t)
                            .iter()
                            .zip(&q)
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum::<f64>(),
                        t,
                    )
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let expect: Vec<usize> = all[..7].iter().map(|a| a.1).collect();
            assert_eq!(nb.iter().map(|n| n.0).collect::<Vec<_>>(), expect);
        }
    }

    #[test]
    fn too_many_neighbours_and_wrong_targets_are_errors() {
        let x = column(&[0.0, 1.0]);
        let err = fit_knn(
            &KnnParams {
                n_neighbors: 3,
                ..Default::default()
            },
            &x,
            Targets::Values(&[0.0, 1.0]),
            &mut rng(),
        )
        .unwrap_err();
        assert!(
            err.contains("n_neighbors = 3") && err.contains("2 training rows"),
            "{err}"
        );
        assert!(fit_knn(&KnnParams::default(), &x, Targets::Unsupervised, &mut rng()).is_err());
        assert_eq!(
            KnnParams {
                n_neighbors: 0,
                ..Default::default()
            }
            .check()
            .unwrap_err()
            .key,
            "n_neighbors"
        );
        assert!(KnnParams::default().check().is_ok());
        let p: KnnParams = serde_json::from_str(r#"{"weights": "distance"}"#).unwrap();
        assert_eq!(
            p,
            KnnParams {
                n_neighbors: 5,
                weights: KnnWeights::Distance
            }
        );
        assert!(serde_json::from_str::<KnnParams>(r#"{"weights": "gaussian"}"#).is_err());
        let names: Vec<&str> = KNN_INFO.params.iter().map(|d| d.name).collect();
        assert_eq!(names, ["n_neighbors", "weights"]);
    }

    #[test]
    fn serde_round_trip_predicts_bit_identically() {
        let x = random_data(40, 2, 3);
        let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
        let p = KnnParams {
            n_neighbors: 4,
            weights: KnnWeights::Distance,
        };
        let (m, _) = fit_knn(
            &p,
            &x,
            Targets::Classes {
                labels: &labels,
                n_classes: 3,
            },
            &mut rng(),
        )
        .unwrap();
        let back: KnnModel = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        let q = random_data(10, 2, 4);
        assert_eq!(back.predict(&q), m.predict(&q));
        assert!(m.feature_weights().is_none());
    }
}
