//! Every metric, with scikit-learn's definition and its direction. Logs keep the natural sign
//! (rmse is positive); `greater_is_better` tells the search which way is up.

pub mod classification;
pub mod clustering;
pub mod regression;
pub mod threshold;

use crate::matrix::Matrix;
use crate::models::{Output, Task};
use regression::{mae, mape, mse, r2};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    R2,
    Mse,
    Rmse,
    Mae,
    Mape,
    Accuracy,
    BalancedAccuracy,
    Precision,
    Recall,
    F1,
    LogLoss,
    RocAuc,
    Silhouette,
    Inertia,
    DaviesBouldin,
}

/// The truth a metric compares predictions with.
#[derive(Debug, Clone, Copy)]
pub enum Truth<'a> {
    Values(&'a [f64]),
    /// Class indices, the number of classes, and the class that binary metrics score; with a
    /// threshold (binary only), a row is predicted positive when its probability of `positive` is
    /// at least the threshold, instead of when it is the more probable class.
    Classes {
        labels: &'a [usize],
        n_classes: usize,
        positive: usize,
        threshold: Option<f64>,
    },
    /// Clustering: the rows that were clustered (silhouette and Davies-Bouldin measure them).
    Rows(&'a Matrix),
}

impl Truth<'_> {
    /// The same truth, its predictions cut at `threshold` (classes only).
    pub fn at_threshold(self, threshold: Option<f64>) -> Self {
        match self {
            Truth::Classes {
                labels,
                n_classes,
                positive,
                ..
            } => Truth::Classes {
                labels,
                n_classes,
                positive,
                threshold,
            },
            other => other,
        }
    }
}

impl Metric {
    pub const ALL: &'static [Metric] = &[
        Metric::R2,
        Metric::Mse,
        Metric::Rmse,
        Metric::Mae,
        Metric::Mape,
        Metric::Accuracy,
        Metric::BalancedAccuracy,
        Metric::Precision,
        Metric::Recall,
        Metric::F1,
        Metric::LogLoss,
        Metric::RocAuc,
        Metric::Silhouette,
        Metric::Inertia,
        Metric::DaviesBouldin,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::R2 => "r2",
            Metric::Mse => "mse",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::Mape => "mape",
            Metric::Accuracy => "accuracy",
            Metric::BalancedAccuracy => "balanced_accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::LogLoss => "log_loss",
            Metric::RocAuc => "roc_auc",
            Metric::Silhouette => "silhouette",
            Metric::Inertia => "inertia",
            Metric::DaviesBouldin => "davies_bouldin",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    pub fn task(self) -> Task {
        match self {
            Metric::R2 | Metric::Mse | Metric::Rmse | Metric::Mae | Metric::Mape => {
                Task::Regression
            }
            Metric::Silhouette | Metric::Inertia | Metric::DaviesBouldin => Task::Clustering,
            _ => Task::Classification,
        }
    }

    pub fn greater_is_better(self) -> bool {
        !matches!(
            self,
            Metric::Mse
                | Metric::Rmse
                | Metric::Mae
                | Metric::Mape
                | Metric::LogLoss
                | Metric::Inertia
                | Metric::DaviesBouldin
        )
    }

    /// The values the metric can take, (lowest, highest); an end is infinite where there is no bound
    /// (r2 falls without limit below 0, an error grows without limit).
    pub fn range(self) -> (f64, f64) {
        match self {
            Metric::Accuracy
            | Metric::BalancedAccuracy
            | Metric::Precision
            | Metric::Recall
            | Metric::F1
            | Metric::RocAuc => (0.0, 1.0),
            Metric::R2 => (f64::NEG_INFINITY, 1.0),
            Metric::Silhouette => (-1.0, 1.0),
            // The rest are errors and losses (lower is better): none falls below 0.
            _ => (0.0, f64::INFINITY),
        }
    }

    /// Whether the metric scores predicted labels, and so changes with a decision threshold
    /// (log_loss and roc_auc score the probabilities themselves).
    pub fn scores_labels(self) -> bool {
        matches!(
            self,
            Metric::Accuracy
                | Metric::BalancedAccuracy
                | Metric::Precision
                | Metric::Recall
                | Metric::F1
        )
    }

    /// The metric that picks the best candidate when `[search] metric` is not set.
    pub fn default_for(task: Task) -> Option<Metric> {
        match task {
            Task::Regression => Some(Metric::R2),
            Task::Classification => Some(Metric::Accuracy),
            Task::Clustering => Some(Metric::Silhouette),
        }
    }

    pub fn names_for(task: Task) -> Vec<&'static str> {
        Metric::ALL
            .iter()
            .filter(|m| m.task() == task)
            .map(|m| m.name())
            .collect()
    }

    /// True when `a` is a better score than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        if self.greater_is_better() {
            a > b
        } else {
            a < b
        }
    }

    /// Scores predictions against the truth. `Err` when the output does not fit the metric.
    pub fn score(self, truth: Truth, output: &Output) -> Result<f64, String> {
        self.score_weighted(truth, output, None)
    }

    /// As [`Self::score`], each row weighted (`data.weight`, scikit-learn's `sample_weight=`).
    /// Of the clustering metrics only inertia is weighted (as `KMeans.score`); silhouette and
    /// Davies-Bouldin take no weights (scikit-learn's do not either).
    pub fn score_weighted(
        self,
        truth: Truth,
        output: &Output,
        w: Option<&[f64]>,
    ) -> Result<f64, String> {
        let score = match (truth, output) {
            (Truth::Values(y), Output::Values(p)) => regression_score(self, y, p, w),
            (
                Truth::Classes {
                    labels,
                    n_classes,
                    positive,
                    threshold,
                },
                Output::Proba(proba),
            ) => classification_score(self, labels, proba, (n_classes, positive), (threshold, w)),
            (
                Truth::Rows(x),
                Output::Clusters {
                    labels,
                    distances_sq,
                },
            ) => match self {
                Metric::Silhouette => Some(clustering::silhouette(x, labels)?),
                Metric::DaviesBouldin => Some(clustering::davies_bouldin(x, labels)?),
                Metric::Inertia => Some(clustering::inertia(distances_sq, w)),
                _ => None,
            },
            _ => None,
        };
        score.ok_or_else(|| {
            format!(
                "metric `{}` does not apply to this model's output",
                self.name()
            )
        })
    }
}

/// Row i's weight (`data.weight`, scikit-learn's `sample_weight`); 1 without weights.
fn weight(w: Option<&[f64]>, i: usize) -> f64 {
    w.map_or(1.0, |w| w[i])
}

/// The weighted mean Σ wᵢ f(i) / Σ wᵢ over `n` rows (the plain mean without weights).
fn mean_of(n: usize, w: Option<&[f64]>, f: impl Fn(usize) -> f64) -> f64 {
    let (sum, total) = (0..n).fold((0.0, 0.0), |(s, t), i| {
        let wi = weight(w, i);
        (s + wi * f(i), t + wi)
    });
    sum / total
}

fn regression_score(m: Metric, y: &[f64], p: &[f64], w: Option<&[f64]>) -> Option<f64> {
    Some(match m {
        Metric::R2 => r2(y, p, w),
        Metric::Mse => mse(y, p, w),
        Metric::Rmse => mse(y, p, w).sqrt(),
        Metric::Mae => mae(y, p, w),
        Metric::Mape => mape(y, p, w),
        _ => return None,
    })
}

fn classification_score(
    m: Metric,
    y: &[usize],
    proba: &Matrix,
    (n_classes, positive): (usize, usize),
    (threshold, w): (Option<f64>, Option<&[f64]>),
) -> Option<f64> {
    use classification::*;
    let pred = || threshold::labels_at(proba, positive, threshold);
    Some(match m {
        Metric::Accuracy => accuracy(y, &pred(), w),
        Metric::BalancedAccuracy => balanced_accuracy(y, &pred(), n_classes, w),
        Metric::Precision => precision(y, &pred(), n_classes, positive, w),
        Metric::Recall => recall(y, &pred(), n_classes, positive, w),
        Metric::F1 => f1(y, &pred(), n_classes, positive, w),
        Metric::LogLoss => log_loss(y, proba, w),
        Metric::RocAuc => roc_auc(y, proba, positive, w),
        _ => return None,
    })
}
