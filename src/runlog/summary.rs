//! summary.json: what a run was, what it found, and whether its expectations held.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    pub path: String,
    /// Content hash of the data file (FNV-1a 64, hex).
    pub hash: String,
    /// Rows and columns of the file as read.
    pub rows: usize,
    pub columns: usize,
    /// Rows used after leaving out missing targets (and impute = "drop").
    pub rows_used: usize,
    pub dropped_missing_target: usize,
    pub dropped_missing_features: usize,
    pub train_rows: usize,
    pub test_rows: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestSummary {
    pub candidate: usize,
    pub params: serde_json::Map<String, serde_json::Value>,
    pub mean: BTreeMap<String, f64>,
    pub std: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectResult {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub value: Option<f64>,
    pub passed: bool,
}

impl ExpectResult {
    /// The bound as the leaderboard, the run report and the JUnit report show it: "in [0.8, 1]",
    /// ">= 0.8", "<= 0.2".
    pub fn bound_text(&self) -> String {
        crate::config::Bound {
            min: self.min,
            max: self.max,
        }
        .text()
    }
}

/// How the search ran and why it ended (`[search]` strategy, max_fits, stop_when, max_seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSummary {
    /// "grid", "random" or "halving".
    pub strategy: String,
    /// The candidates the strategy made, before any cut.
    pub candidates_made: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fits: Option<usize>,
    /// Why the search ended: "complete" (every candidate made), "max_fits" (the plan was cut to
    /// whole candidates before any fit), "stop_when" (a candidate met it; later ones dropped) or
    /// "max_seconds" (candidates not started in time).
    pub stopped_by: String,
    /// stop_when: the first candidate, in candidate order, that met it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_candidate: Option<usize>,
    /// True when max_seconds cut the search: which candidates finished depends on the machine
    /// (each finished one's result does not).
    #[serde(default)]
    pub depends_on_machine: bool,
    /// strategy = "halving": its settings and rungs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halving: Option<HalvingSummary>,
}

/// A halving search as summary.json records it: scikit-learn's names (factor, resource,
/// min_resources_ and max_resources_ as used, n_required_iterations_, n_possible_iterations_).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HalvingSummary {
    pub factor: f64,
    /// "rows" or "model.<parameter>".
    pub resource: String,
    pub min_resources: u64,
    pub max_resources: u64,
    pub aggressive_elimination: bool,
    pub required_rungs: usize,
    pub possible_rungs: usize,
    pub rungs: Vec<RungSummary>,
}

/// One rung: its resource, how many candidates it ran (as planned) and which went on (candidate
/// indices; empty for the last rung, or a rung the search did not finish).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RungSummary {
    pub rung: usize,
    pub resource: u64,
    pub candidates: usize,
    #[serde(default)]
    pub kept: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// running | complete | interrupted | failed
    pub status: String,
    pub pipeline: String,
    /// The pipeline file as given on the command line (relative paths in it resolve against it).
    #[serde(default)]
    pub pipeline_file: String,
    pub run_id: String,
    pub kiln_version: String,
    pub command: Vec<String>,
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    pub data: DataSummary,
    pub task: String,
    pub seed: u64,
    pub threads: usize,
    pub candidates: usize,
    pub candidates_failed: usize,
    pub folds: usize,
    pub metric: String,
    pub greater_is_better: bool,
    /// Set on a shard's run directory (`--shard I/N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<super::Shard>,
    /// Set by `kiln merge`: the run ids of the shards merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// Absent in runs written before search strategies existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchSummary>,
    pub best: Option<BestSummary>,
    pub test: BTreeMap<String, f64>,
    /// The best model's permutation importance, on the holdout or out of fold (`[explain]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permutation_importance: Option<PermutationImportance>,
    pub expect: Vec<ExpectResult>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// scikit-learn's `permutation_importance` of the refitted model: for each input column, how much
/// the metric falls when that column's values are shuffled among the holdout rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    /// The rows scored: "holdout", or "out_of_fold" (each fold's validation rows) without one.
    pub on: String,
    pub metric: String,
    pub n_repeats: usize,
    /// scikit-learn's `random_state`: the pipeline seed.
    pub random_state: u64,
    /// The metric on the unshuffled rows.
    pub baseline: f64,
    /// In the data's column order.
    pub features: Vec<FeatureImportance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    pub feature: String,
    /// Mean and (population) standard deviation of `importances`, as scikit-learn's
    /// importances_mean and importances_std.
    pub mean: f64,
    pub std: f64,
    /// One per repeat: the baseline less the shuffled score (greater is better), or the shuffled
    /// loss less the baseline (for losses), so a larger value is a more important column.
    pub importances: Vec<f64>,
}
