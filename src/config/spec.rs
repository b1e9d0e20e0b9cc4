//! The typed sections of a pipeline file, with their defaults. These are deserialised only after the
//! schema check passed, so serde's own errors are a last line of defence, not the user's message.

use crate::models::{ModelSpec, Task};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub task: Task,
    #[serde(default)]
    pub seed: u64,
}

/// A class label as written in the file; compared as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Label {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Label {
    pub fn as_text(&self) -> String {
        match self {
            Label::Text(s) => s.clone(),
            Label::Int(i) => i.to_string(),
            Label::Float(f) => format_number(*f),
            Label::Bool(b) => b.to_string(),
        }
    }
}

/// Formats a number the way labels and categories are compared (a label the pipeline writes as a
/// number, and a class read from the data alike): integers without a decimal point.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    pub name: String,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    #[serde(default)]
    pub drop: Vec<String>,
    #[serde(default)]
    pub categorical: Vec<String>,
    #[serde(default = "default_null_values")]
    pub null_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub separator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_size: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<Label>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
    #[serde(default)]
    pub derive: Vec<Derive>,
}

fn default_null_values() -> Vec<String> {
    vec![String::new(), "NA".into()]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumericImpute {
    Mean,
    Median,
    Constant,
    Drop,
    Error,
    /// Keep missing values as NaN, for a model that handles them (hist_gradient_boosting).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoricalImpute {
    MostFrequent,
    Constant,
    Drop,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImputeSpec {
    pub numeric: NumericImpute,
    pub categorical: CategoricalImpute,
    pub fill_value: f64,
    pub fill_category: String,
    pub indicator: bool,
}

impl Default for ImputeSpec {
    fn default() -> Self {
        ImputeSpec {
            numeric: NumericImpute::Median,
            categorical: CategoricalImpute::MostFrequent,
            fill_value: 0.0,
            fill_category: "missing".into(),
            indicator: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncodeMethod {
    OneHot,
    Ordinal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownCategory {
    Ignore,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncodeSpec {
    pub method: EncodeMethod,
    pub unknown: UnknownCategory,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_categories: Option<usize>,
}

impl Default for EncodeSpec {
    fn default() -> Self {
        EncodeSpec {
            method: EncodeMethod::OneHot,
            unknown: UnknownCategory::Ignore,
            max_categories: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaleMethod {
    None,
    Standard,
    Minmax,
    Robust,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScaleSpec {
    pub method: ScaleMethod,
}

impl Default for ScaleSpec {
    fn default() -> Self {
        ScaleSpec {
            method: ScaleMethod::Standard,
        }
    }
}

/// How the folds are made: scikit-learn's KFold family (shuffled, stratified, grouped or
/// predefined), or TimeSeriesSplit's expanding windows over the rows in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CvMethod {
    #[default]
    Kfold,
    TimeSeries,
}

impl CvMethod {
    pub const NAMES: &'static [&'static str] = &["kfold", "time_series"];

    fn is_kfold(&self) -> bool {
        *self == CvMethod::Kfold
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CvSpec {
    #[serde(skip_serializing_if = "CvMethod::is_kfold")]
    pub method: CvMethod,
    pub folds: usize,
    pub shuffle: bool,
    pub stratify: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fold_column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_column: Option<String>,
    /// time_series: the column that orders the rows in time (file order without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
    /// time_series: rows left out between each training window and its validation rows.
    #[serde(skip_serializing_if = "is_zero")]
    pub gap: usize,
    /// time_series: the most recent rows a training window keeps (all of them without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_train_size: Option<usize>,
}

impl Default for CvSpec {
    fn default() -> Self {
        CvSpec {
            method: CvMethod::Kfold,
            folds: 5,
            shuffle: true,
            stratify: true,
            fold_column: None,
            group_column: None,
            order_by: None,
            gap: 0,
            max_train_size: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    Skip,
    Fail,
}

/// How the candidates are made from the grid: every combination, or a seeded draw. A new strategy
/// is a new variant here, its name in `NAMES`, and its candidates in `config::load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Grid,
    Random,
    /// Successive halving (scikit-learn's HalvingGridSearchCV, or HalvingRandomSearchCV with
    /// `n_candidates`): rungs of growing resource, the best 1/factor of each going on.
    Halving,
}

impl Strategy {
    pub const NAMES: &'static [&'static str] = &["grid", "random", "halving"];

    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Grid => "grid",
            Strategy::Random => "random",
            Strategy::Halving => "halving",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        match name {
            "grid" => Some(Strategy::Grid),
            "random" => Some(Strategy::Random),
            "halving" => Some(Strategy::Halving),
            _ => None,
        }
    }
}

/// scikit-learn's successive-halving defaults.
pub const DEFAULT_FACTOR: f64 = 3.0;

/// `search.min_resources`: "exhaust" (scikit-learn's default: the largest start whose last rung
/// still fits under max_resources), "smallest", or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MinResources {
    Named(MinResourcesName),
    Count(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinResourcesName {
    Exhaust,
    Smallest,
}

/// `search.max_resources`: "auto" (every search row; only with resource = "rows") or a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxResources {
    Named(MaxResourcesName),
    Count(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxResourcesName {
    Auto,
}

/// `search.threshold`: "tune", or a probability (a fixed cut on the positive class).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ThresholdSpec {
    Named(ThresholdName),
    Value(f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdName {
    Tune,
}

/// scikit-learn's RandomizedSearchCV n_iter default.
pub const DEFAULT_N_CANDIDATES: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    pub metrics: Vec<String>,
    pub on_error: OnError,
    pub strategy: Strategy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_candidates: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_seconds: Option<f64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stop_when: BTreeMap<String, BTreeMap<String, Bound>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_resources: Option<MinResources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_resources: Option<MaxResources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggressive_elimination: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdSpec>,
}

impl Default for SearchSpec {
    fn default() -> Self {
        SearchSpec {
            metric: None,
            metrics: Vec::new(),
            on_error: OnError::Skip,
            strategy: Strategy::Grid,
            n_candidates: None,
            max_fits: None,
            max_seconds: None,
            stop_when: BTreeMap::new(),
            factor: None,
            min_resources: None,
            max_resources: None,
            resource: None,
            aggressive_elimination: None,
            threshold: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputSpec {
    pub dir: String,
}

impl Default for OutputSpec {
    fn default() -> Self {
        OutputSpec { dir: "runs".into() }
    }
}

/// `[explain]`: what the run computes to explain its best model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExplainSpec {
    /// Permutation importance on the holdout: shuffles of each column (scikit-learn's
    /// `n_repeats`, default 5); 0 computes none.
    pub permutation_repeats: usize,
}

impl Default for ExplainSpec {
    fn default() -> Self {
        ExplainSpec {
            permutation_repeats: 5,
        }
    }
}

/// `{ min = .., max = .. }`
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Bound {
    /// "in [0.8, 1]", ">= 0.8", "<= 0.2": as the leaderboard, the reports and the plan show it.
    pub fn text(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("in [{a}, {b}]"),
            (Some(a), None) => format!(">= {a}"),
            (None, Some(b)) => format!("<= {b}"),
            (None, None) => String::new(),
        }
    }
}

/// The file as serde sees it. `grid` is expanded before this is built, so it is kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub pipeline: PipelineSection,
    pub data: DataSpec,
    #[serde(default)]
    pub impute: ImputeSpec,
    #[serde(default)]
    pub encode: EncodeSpec,
    #[serde(default)]
    pub scale: ScaleSpec,
    pub model: ModelSpec,
    #[serde(default)]
    pub cv: CvSpec,
    #[serde(default)]
    pub search: SearchSpec,
    #[serde(default, skip_serializing)]
    pub grid: Option<toml::Value>,
    #[serde(default)]
    pub output: OutputSpec,
    #[serde(default)]
    pub explain: ExplainSpec,
    #[serde(default)]
    pub expect: BTreeMap<String, BTreeMap<String, Bound>>,
}
