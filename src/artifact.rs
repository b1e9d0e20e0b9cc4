//! model.json: the best pipeline refitted on all training rows, with everything needed to use it on new
//! data: the input schema, the fitted preprocessing, the model, the classes, the scores, and per input
//! column the training distribution for drift checks. Versioned, and checked on load.

use crate::data::{Column, ColumnData, ColumnKind, MISSING_CODE};
use crate::error::{KilnError, Result};
use crate::models::{FittedModel, Task};
use crate::preprocess::impute::quantile;
use crate::preprocess::FittedPreprocessor;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub const FORMAT: &str = "kiln-model";
pub const VERSION: u32 = 1;

/// One input column the model expects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// The categories seen in training (categorical columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

/// A column's training distribution, the reference for drift scores (population stability index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftReference {
    /// `edges` are the inner bin edges (training deciles); `shares[i]` is the share of training rows
    /// in bin i (x <= edges[0], edges[0] < x <= edges[1], ..., x > last edge); `missing` the share
    /// of missing values.
    Numeric {
        name: String,
        edges: Vec<f64>,
        shares: Vec<f64>,
        missing: f64,
    },
    /// Shares of each training category, and of missing values.
    Categorical {
        name: String,
        categories: Vec<String>,
        shares: Vec<f64>,
        missing: f64,
    },
}

impl DriftReference {
    /// How far the shares of one table may sum past 1 (they are written as rounded fractions).
    const SHARE_SUM_SLACK: f64 = 1e-6;

    /// What is wrong with this table's own shape, if anything: per numeric column, finite strictly
    /// increasing edges and one share per bin (edges + 1); per categorical column, distinct
    /// categories and one share each; every share a fraction in [0, 1], summing to at most 1. A
    /// table that fails would index past its end, or bin nonsense, in the middle of a request.
    pub fn shape_error(&self) -> Option<String> {
        let (shares, missing) = match self {
            DriftReference::Numeric {
                edges,
                shares,
                missing,
                ..
            } => {
                if let Some(e) = edges.iter().find(|e| !e.is_finite()) {
                    return Some(format!("has an edge {e}; edges must be finite numbers"));
                }
                if let Some(w) = edges.windows(2).position(|w| w[0] >= w[1]) {
                    return Some(format!(
                        "has edges out of order ({} then {}); they must increase",
                        edges[w],
                        edges[w + 1]
                    ));
                }
                if shares.len() != edges.len() + 1 {
                    return Some(format!(
                        "has {} shares for {} edges; it needs {} (one per bin)",
                        shares.len(),
                        edges.len(),
                        edges.len() + 1
                    ));
                }
                (shares, *missing)
            }
            DriftReference::Categorical {
                categories,
                shares,
                missing,
                ..
            } => {
                if shares.len() != categories.len() {
                    return Some(format!(
                        "has {} shares for {} categories; it needs one per category",
                        shares.len(),
                        categories.len()
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(c) = categories.iter().find(|c| !seen.insert(c.as_str())) {
                    return Some(format!("lists the category `{c}` twice"));
                }
                (shares, *missing)
            }
        };
        if let Some(s) = shares
            .iter()
            .chain([&missing])
            .find(|s| !(0.0..=1.0).contains(*s))
        {
            return Some(format!("has a share {s}; shares are fractions in [0, 1]"));
        }
        let sum = shares.iter().sum::<f64>() + missing;
        if sum > 1.0 + Self::SHARE_SUM_SLACK {
            return Some(format!("has shares summing to {sum}, more than 1"));
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub format: String,
    pub version: u32,
    pub kiln_version: String,
    pub pipeline: String,
    pub task: Task,
    pub created_at: String,
    pub target: Option<String>,
    /// Classification: the sorted class labels; probabilities come in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<String>,
    pub inputs: Vec<InputColumn>,
    pub preprocessor: FittedPreprocessor,
    pub model: FittedModel,
    /// The grid values of the chosen candidate.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub metric: String,
    /// The chosen candidate's mean cross-validation scores.
    pub cv: BTreeMap<String, f64>,
    /// Holdout scores (when data.test_size was set).
    pub test: BTreeMap<String, f64>,
    pub data_hash: String,
    pub training_rows: usize,
    pub drift: Vec<DriftReference>,
}

/// Bins of the drift reference: deciles.
const DRIFT_BINS: usize = 10;

impl DriftReference {
    pub fn fit(col: &Column, rows: &[usize]) -> DriftReference {
        let n = rows.len().max(1) as f64;
        match &col.data {
            ColumnData::Numeric(v) => {
                let mut present: Vec<f64> =
                    rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
                let missing = (rows.len() - present.len()) as f64 / n;
                let mut edges: Vec<f64> = (1..DRIFT_BINS)
                    .map(|k| quantile(&mut present, k as f64 / DRIFT_BINS as f64))
                    .filter(|e| e.is_finite())
                    .collect();
                edges.dedup();
                let mut counts = vec![0usize; edges.len() + 1];
                for x in &present {
                    counts[numeric_bin(&edges, *x)] += 1;
                }
                DriftReference::Numeric {
                    name: col.name.clone(),
                    shares: counts.iter().map(|c| *c as f64 / n).collect(),
                    edges,
                    missing,
                }
            }
            ColumnData::Categorical { codes, dictionary } => {
                let mut counts = vec![0usize; dictionary.len()];
                let mut missing = 0usize;
                for &i in rows {
                    match codes[i] {
                        MISSING_CODE => missing += 1,
                        c => counts[c as usize] += 1,
                    }
                }
                let (categories, shares) = dictionary
                    .iter()
                    .zip(&counts)
                    .filter(|(_, c)| **c > 0)
                    .map(|(d, c)| (d.clone(), *c as f64 / n))
                    .unzip();
                DriftReference::Categorical {
                    name: col.name.clone(),
                    categories,
                    shares,
                    missing: missing as f64 / n,
                }
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            DriftReference::Numeric { name, .. } | DriftReference::Categorical { name, .. } => name,
        }
    }
}

/// The bin of x given inner edges: the first edge >= x, or past the last.
pub fn numeric_bin(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|e| *e < x)
}

impl Artifact {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads and checks a model file: its format, its version, and that it is whole.
    ///
    /// The text is parsed once, straight into the model (a `serde_json::Value` first, then the model
    /// from the text again, cost 23 times the file's size in memory); only a file that does not parse
    /// is read a second time, to say what is wrong with it in terms of its keys.
    pub fn load(path: &Path) -> Result<Artifact> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| KilnError::Artifact(format!("cannot read model file {shown}: {e}")))?;
        Artifact::from_text(&shown, &text)
    }

    /// As [`Self::load`], from the text of a file shown in messages as `shown`.
    pub fn from_text(shown: &str, text: &str) -> Result<Artifact> {
        let artifact: Artifact = match serde_json::from_str(text) {
            Ok(a) => a,
            Err(e) => return Err(KilnError::Artifact(explain_parse_error(shown, text, &e))),
        };
        check_header(
            shown,
            Some(&artifact.format),
            Some(u64::from(artifact.version)),
        )
        .map_err(KilnError::Artifact)?;
        artifact
            .check_consistent()
            .map_err(|e| KilnError::Artifact(format!("{shown} is a damaged kiln model: {e}")))?;
        Ok(artifact)
    }

    /// Checks that the parts of a model file fit together (an edited or damaged file could be well
    /// formed and still make predict index past the end of a table): every preprocessing step has its
    /// input, the design has as many columns as `output_names`, and the model reads that many columns
    /// and gives one probability per class.
    pub fn check_consistent(&self) -> std::result::Result<(), String> {
        use crate::config::EncodeMethod;
        use crate::models::knn::KnnTargets;
        let pre = &self.preprocessor;
        // Hashed once: matching every step and drift table to its input stays linear in the inputs.
        let kinds = self.input_kinds()?;
        let input = |name: &str, kind: ColumnKind| -> std::result::Result<(), String> {
            match kinds.get(name) {
                Some(k) if *k == kind => Ok(()),
                Some(k) => Err(format!(
                    "preprocessor column `{name}` is {kind:?} but input `{name}` is {k:?}"
                )),
                None => Err(format!(
                    "preprocessor column `{name}` is not among the model's \"inputs\""
                )),
            }
        };
        check_scales(pre)?;
        check_drift(&self.drift, &kinds)?;
        let mut width = 0usize;
        for step in &pre.numeric {
            input(&step.name, ColumnKind::Numeric)?;
            width += 1 + usize::from(step.indicator);
        }
        for step in &pre.categorical {
            input(&step.name, ColumnKind::Categorical)?;
            width += match pre.method {
                EncodeMethod::OneHot => step.categories.len() + usize::from(!step.rare.is_empty()),
                EncodeMethod::Ordinal => 1,
            };
        }
        if width != pre.output_names.len() {
            return Err(format!(
                "the preprocessor makes {width} columns but lists {} \"output_names\"",
                pre.output_names.len()
            ));
        }
        let model_width = |w: usize, what: &str| -> std::result::Result<(), String> {
            if w == width {
                Ok(())
            } else {
                Err(format!(
                    "the model's {what} has {w} columns, but the preprocessor makes {width}"
                ))
            }
        };
        if let Some((what, weights)) = self.model.feature_weights() {
            model_width(weights.len(), what)?;
        }
        let n_classes = self.classes.len();
        let classes = |n: usize| -> std::result::Result<(), String> {
            if self.task == Task::Classification && n != n_classes {
                Err(format!(
                    "the model predicts {n} classes but the file lists {n_classes} \"classes\""
                ))
            } else {
                Ok(())
            }
        };
        if self.task == Task::Classification && n_classes == 0 {
            return Err("a classification model without \"classes\"".into());
        }
        let classifies = match &self.model {
            FittedModel::LogisticRegression(_) | FittedModel::NaiveBayes(_) => Some(true),
            FittedModel::Linear(_) | FittedModel::ElasticNet(_) => Some(false),
            FittedModel::Knn(m) => Some(matches!(m.targets, KnnTargets::Classes { .. })),
            FittedModel::DecisionTree(m) => Some(m.n_classes.is_some()),
            FittedModel::RandomForest(m) => Some(m.n_classes.is_some()),
            FittedModel::GradientBoosting(m) => Some(m.n_classes.is_some()),
            FittedModel::HistGradientBoosting(m) => Some(m.n_classes.is_some()),
            FittedModel::Kmeans(_) => None,
        };
        let task_ok = match classifies {
            Some(c) => c == (self.task == Task::Classification),
            None => self.task == Task::Clustering,
        };
        if !task_ok {
            return Err(format!(
                "its model does not do the file's task ({})",
                self.task.name()
            ));
        }
        match &self.model {
            FittedModel::LogisticRegression(m) => {
                for w in &m.coef {
                    model_width(w.len(), "coefficient row")?;
                }
                if m.intercept.len() != m.coef.len() {
                    return Err("the model's intercepts do not match its coefficient rows".into());
                }
                classes(m.n_classes)?;
                if m.classes.iter().any(|c| *c >= m.n_classes) {
                    return Err("the model lists a class index past its classes".into());
                }
            }
            FittedModel::NaiveBayes(m) => {
                m.check()?;
                for row in m.theta.iter().chain(&m.var) {
                    model_width(row.len(), "mean or variance table")?;
                }
                classes(m.n_classes)?;
                if m.theta.len() != m.classes.len()
                    || m.var.len() != m.classes.len()
                    || m.log_prior.len() != m.classes.len()
                    || m.classes.iter().any(|c| *c >= m.n_classes)
                {
                    return Err("the model's per-class tables do not match its classes".into());
                }
            }
            FittedModel::Knn(m) => {
                model_width(m.train.n_cols, "training matrix")?;
                let rows = match &m.targets {
                    KnnTargets::Values(v) => v.len(),
                    KnnTargets::Classes { labels, n_classes } => {
                        classes(*n_classes)?;
                        if labels.iter().any(|l| l >= n_classes) {
                            return Err("the model lists a class index past its classes".into());
                        }
                        labels.len()
                    }
                };
                if Some(m.train.data.len()) != m.train.n_rows.checked_mul(m.train.n_cols)
                    || rows != m.train.n_rows
                {
                    return Err("the model's training rows do not fit together".into());
                }
                m.check()?;
            }
            FittedModel::Kmeans(m) => {
                if m.centers.is_empty() {
                    return Err("the model has no cluster centres".into());
                }
                for c in &m.centers {
                    model_width(c.len(), "cluster centre")?;
                }
            }
            FittedModel::DecisionTree(m) => {
                classes(m.n_classes.unwrap_or(n_classes))?;
                m.tree.check(width, m.n_classes.unwrap_or(1))?;
            }
            FittedModel::RandomForest(m) => {
                classes(m.n_classes.unwrap_or(n_classes))?;
                if m.trees.is_empty() {
                    return Err("the forest has no trees".into());
                }
                for t in &m.trees {
                    t.check(width, m.n_classes.unwrap_or(1))?;
                }
            }
            FittedModel::GradientBoosting(m) => {
                classes(m.n_classes.unwrap_or(n_classes))?;
                // One raw score per output: 1 for regression and two classes, else one per class.
                let outputs = match m.n_classes {
                    Some(k) if k > 2 => k,
                    _ => 1,
                };
                if m.init.len() != outputs || m.trees.iter().any(|stage| stage.len() != outputs) {
                    return Err(format!(
                        "the boosting model's stages do not each hold {outputs} tree(s) and score(s)"
                    ));
                }
                for t in m.trees.iter().flatten() {
                    t.check(width, 1)?;
                }
            }
            FittedModel::HistGradientBoosting(m) => {
                classes(m.n_classes.unwrap_or(n_classes))?;
                model_width(m.n_features, "tree table")?;
                m.check()?;
            }
            FittedModel::Linear(_) | FittedModel::ElasticNet(_) => {}
        }
        self.check_predicts_finite()
    }

    /// Each input's kind by name; an input listed twice is an error.
    fn input_kinds(&self) -> std::result::Result<HashMap<&str, ColumnKind>, String> {
        let mut kinds = HashMap::with_capacity(self.inputs.len());
        for (i, c) in self.inputs.iter().enumerate() {
            if kinds.insert(c.name.as_str(), c.kind).is_some() {
                return Err(format!(
                    "`inputs[{i}]`: column `{}` is listed twice",
                    c.name
                ));
            }
        }
        Ok(kinds)
    }

    /// A few rows of training-like values (every numeric input at its lowest, middle and highest
    /// training decile, and ten times as far out as the outer ones; every categorical one at a
    /// training category) must preprocess and predict to finite numbers. Every number of a file is finite (JSON has no infinities), but a coefficient of
    /// 1e308 or a tree leaf near f64::MAX is not a model kiln could have fitted: its predictions would
    /// be infinite or NaN. Checked on load, so that predict and serve refuse such a file up front.
    fn check_predicts_finite(&self) -> std::result::Result<(), String> {
        let columns = self.probe_columns();
        // A probe the preprocessing cannot take (no category to give a column) proves nothing
        // either way; predicting real rows reports that with their row.
        let Ok(x) = self.preprocessor.transform_design(&columns, None) else {
            return Ok(());
        };
        if let Some((_, j)) = crate::predict::infinite_design_cell(&x) {
            let name = self
                .preprocessor
                .output_names
                .get(j)
                .map_or("?", String::as_str);
            return Err(format!(
                "`preprocessor`: column `{name}` at its training deciles is not a finite number once \
                 centred and scaled; its `center` or `scale` is out of range"
            ));
        }
        let dense = std::cell::OnceCell::new();
        let output = self
            .model
            .predict_design(&x, || dense.get_or_init(|| x.to_dense()));
        if let Some((_, v)) = crate::predict::non_finite_output_row(&output) {
            return Err(format!(
                "`model`: for rows of training-like values (each input at its lowest, middle and \
                 highest training decile, and ten times as far out as the outer ones) the model \
                 predicts {v}: a number in `model` is out of range"
            ));
        }
        Ok(())
    }

    /// The rows `check_predicts_finite` predicts, one column per input.
    fn probe_columns(&self) -> Vec<Column> {
        const ROWS: usize = 5;
        // How far past its outermost training deciles the farthest probe puts an input: training
        // rows lie out there too, and no model kiln fits overflows on them.
        const FAR: f64 = 10.0;
        let drift: HashMap<&str, &DriftReference> =
            self.drift.iter().map(|d| (d.name(), d)).collect();
        let fills: HashMap<&str, f64> = self
            .preprocessor
            .numeric
            .iter()
            .map(|s| (s.name.as_str(), s.fill.unwrap_or(s.center)))
            .collect();
        // A category each categorical step encodes (or its fill), so that no probe row is unknown.
        let category: HashMap<&str, Option<&String>> = self
            .preprocessor
            .categorical
            .iter()
            .map(|s| (s.name.as_str(), s.categories.first().or(s.fill.as_ref())))
            .collect();
        self.inputs
            .iter()
            .map(|input| {
                let data = match input.kind {
                    ColumnKind::Numeric => {
                        let values = match drift.get(input.name.as_str()) {
                            Some(DriftReference::Numeric { edges, .. }) if !edges.is_empty() => {
                                let (lo, mid, hi) =
                                    (edges[0], edges[edges.len() / 2], edges[edges.len() - 1]);
                                let far = |edge: f64| mid + FAR * (edge - mid);
                                vec![far(lo), lo, mid, hi, far(hi)]
                            }
                            _ => vec![fills.get(input.name.as_str()).copied().unwrap_or(0.0); ROWS],
                        };
                        ColumnData::Numeric(values)
                    }
                    ColumnKind::Categorical => {
                        let label = category
                            .get(input.name.as_str())
                            .copied()
                            .flatten()
                            .or(input.categories.first())
                            .cloned();
                        let (codes, dictionary) = crate::data::encode_text(&vec![label; ROWS]);
                        ColumnData::Categorical { codes, dictionary }
                    }
                };
                Column {
                    name: input.name.clone(),
                    data,
                }
            })
            .collect()
    }
}

/// Every numeric step's `scale` divides its column: it must be a positive normal number (0 or a
/// denormal such as 1e-310 turns every value into an infinity).
fn check_scales(pre: &FittedPreprocessor) -> std::result::Result<(), String> {
    for (i, step) in pre.numeric.iter().enumerate() {
        if !(step.scale > 0.0 && step.scale.is_normal()) {
            return Err(format!(
                "`preprocessor.numeric[{i}].scale` (column `{}`) is {}: a scale must be a positive \
                 number of at least {:e}",
                step.name,
                step.scale,
                f64::MIN_POSITIVE
            ));
        }
    }
    Ok(())
}

/// The drift tables serve bins every request's rows with: each names an input of its kind, has one
/// share per bin (the edges, sorted, make one bin more than there are edges), and its shares are
/// fractions. A table that does not fit would index past its end in the middle of a request.
fn check_drift(
    drift: &[DriftReference],
    kinds: &HashMap<&str, ColumnKind>,
) -> std::result::Result<(), String> {
    for (i, reference) in drift.iter().enumerate() {
        let name = reference.name();
        if let Some(what) = reference.shape_error() {
            return Err(format!("`drift[{i}]` (column `{name}`) {what}"));
        }
        let kind = match reference {
            DriftReference::Numeric { .. } => ColumnKind::Numeric,
            DriftReference::Categorical { .. } => ColumnKind::Categorical,
        };
        match kinds.get(name) {
            Some(k) if *k == kind => {}
            Some(k) => {
                return Err(format!(
                    "`drift[{i}]` is a {kind:?} table, but input `{name}` is {k:?}"
                ))
            }
            None => {
                return Err(format!(
                    "`drift[{i}]` is the table of column `{name}`, which is not among the model's \"inputs\""
                ))
            }
        }
    }
    Ok(())
}

/// The file's `format` and `version` fields, checked before anything else is trusted.
fn check_header(
    shown: &str,
    format: Option<&str>,
    version: Option<u64>,
) -> std::result::Result<(), String> {
    match format {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(format!(
                "{shown} is a `{other}` file, not a kiln model (format \"{FORMAT}\")"
            ))
        }
        None => {
            return Err(format!(
                "{shown} is not a kiln model: it has no \"format\": \"{FORMAT}\" field (model.json is written by `kiln run`)"
            ))
        }
    }
    match version {
        Some(v) if v == u64::from(VERSION) => Ok(()),
        Some(v) if v > u64::from(VERSION) => Err(format!(
            "{shown} is model format version {v}, newer than this kiln reads ({VERSION}); upgrade kiln"
        )),
        other => Err(format!(
            "{shown}: unsupported model format version {}",
            other.map_or("(none)".to_string(), |v| v.to_string())
        )),
    }
}

/// Why a model file did not parse, in terms of the file: invalid JSON (with its line and column), a
/// file of another format or version, or which key holds what, e.g. "`model.kind` = \"foo\" is not
/// one kiln knows (known: ...)". serde's own words name Rust types ("internally tagged enum
/// FittedModel"); the key comes from the error's position in the text.
fn explain_parse_error(shown: &str, text: &str, e: &serde_json::Error) -> String {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            // The scan for the key needs no valid JSON before the error's position.
            let path = json_path_at(text, byte_offset(text, e.line(), e.column()));
            let key = if path.is_empty() {
                String::new()
            } else {
                format!(", at `{path}`")
            };
            return format!(
                "{shown} is not valid JSON (line {}, column {}{key}): {e}",
                e.line(),
                e.column()
            );
        }
    };
    let header = check_header(
        shown,
        value.get("format").and_then(|f| f.as_str()),
        value.get("version").and_then(|v| v.as_u64()),
    );
    if let Err(message) = header {
        return message;
    }
    let at = format!(" at line {} column {}", e.line(), e.column());
    let serde_words = e.to_string();
    let serde_words = serde_words.strip_suffix(&at).unwrap_or(&serde_words);
    let path = json_path_at(text, byte_offset(text, e.line(), e.column()));
    format!(
        "{shown} is a damaged kiln model: {} (line {}, column {})",
        in_user_terms(&path, serde_words),
        e.line(),
        e.column()
    )
}

/// The byte offset of a 1-based line and column (as serde_json counts them) in `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column).min(text.len())
}

/// The key path (`model.coef[3]`, `drift[2]`) of the JSON value still open at byte `at` of `text`:
/// a scan of brackets, keys and commas up to there. `text` need be valid JSON only up to there.
fn json_path_at(text: &str, at: usize) -> String {
    enum Open {
        /// An object, with the key being read (None between a comma and the next key).
        Object(Option<String>),
        /// An array, with the index of the element being read.
        Array(usize),
    }
    let bytes = &text.as_bytes()[..at.min(text.len())];
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Open::Object(key @ None)) = stack.last_mut() {
                    let end = i.min(bytes.len());
                    *key = Some(String::from_utf8_lossy(&bytes[start..end]).into_owned());
                }
            }
            b'{' => stack.push(Open::Object(None)),
            b'[' => stack.push(Open::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Open::Array(n)) => *n += 1,
                Some(Open::Object(key)) => *key = None,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for open in &stack {
        match open {
            Open::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Open::Object(None) => {}
            Open::Array(n) => path.push_str(&format!("[{n}]")),
        }
    }
    path
}

/// serde's message about the value at `path`, with the Rust type names it uses said as JSON.
fn in_user_terms(path: &str, serde_words: &str) -> String {
    let at = if path.is_empty() {
        "the file".to_string()
    } else {
        format!("`{path}`")
    };
    if let Some(rest) = serde_words.strip_prefix("unknown variant ") {
        // "unknown variant `foo`, expected one of `a`, `b`" (or "expected `a` or `b`")
        let (given, known) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let known = known.trim_start_matches("one of ").replace(" or ", ", ");
        let what = if path == "model.kind" {
            "a model"
        } else {
            "a value"
        };
        return format!(
            "{at} = \"{}\" is not {what} kiln knows (known: {known})",
            given.trim_matches('`')
        );
    }
    if let Some(field) = serde_words.strip_prefix("missing field ") {
        return format!("{at} has no field {field}");
    }
    // "invalid type: string \"x\", expected internally tagged enum FittedModel" and the like.
    let mut words = serde_words.to_string();
    for (rust, json) in [
        (
            "internally tagged enum FittedModel",
            "a model object with a \"kind\"",
        ),
        (
            "internally tagged enum DriftReference",
            "a drift object with a \"kind\"",
        ),
        ("internally tagged enum", "an object with a \"kind\""),
        ("struct variant", "an object"),
        ("tuple struct", "an array"),
        ("struct", "an object"),
        ("enum", "one of its names"),
    ] {
        if let Some(i) = words.find(&format!("expected {rust}")) {
            words.truncate(i);
            words.push_str(&format!("expected {json}"));
            break;
        }
    }
    format!("{at}: {words}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A well-formed ridge model of four numeric inputs (age, sex, bmi, bp), as a JSON tree.
    fn base() -> Value {
        let text = include_str!("../tests/bad/data/large_coefficient_model.json");
        let mut v: Value = serde_json::from_str(text).unwrap();
        v["model"]["coef"][0] = json!(1.0);
        v
    }

    /// The load error of `base()` edited by `edit`.
    fn damaged(edit: impl FnOnce(&mut Value)) -> String {
        let mut v = base();
        edit(&mut v);
        let text = serde_json::to_string_pretty(&v).unwrap();
        match Artifact::from_text("model.json", &text) {
            Ok(_) => panic!("loaded:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_base_model_loads() {
        let text = serde_json::to_string(&base()).unwrap();
        Artifact::from_text("model.json", &text).unwrap();
    }

    #[test]
    fn drift_tables_that_do_not_fit_are_refused_on_load() {
        let e = damaged(|v| v["drift"][0]["shares"] = json!([0.5, 0.5]));
        assert!(
            e.contains("`drift[0]` (column `age`) has 2 shares for 9 edges"),
            "{e}"
        );
        let e = damaged(|v| v["drift"][1]["edges"] = json!([0.1, 0.1]));
        assert!(
            e.contains("`drift[1]` (column `sex`) has edges out of order"),
            "{e}"
        );
        let e = damaged(|v| v["drift"][1]["name"] = json!("weight"));
        assert!(
            e.contains("column `weight`, which is not among the model's \"inputs\""),
            "{e}"
        );
        let e = damaged(|v| v["drift"][1]["missing"] = json!(-2.0));
        assert!(e.contains("has a share -2"), "{e}");
        let e = damaged(|v| {
            v["drift"][1] = json!({"kind": "categorical", "name": "sex", "categories": ["a", "b"],
                                   "shares": [1.0], "missing": 0.0})
        });
        assert!(
            e.contains("`drift[1]` (column `sex`) has 1 shares for 2 categories"),
            "{e}"
        );
        let e = damaged(|v| {
            v["drift"][1] = json!({"kind": "categorical", "name": "sex", "categories": ["a"],
                                   "shares": [1.0], "missing": 0.0})
        });
        assert!(
            e.contains("`drift[1]` is a Categorical table, but input `sex` is Numeric"),
            "{e}"
        );
    }

    #[test]
    fn non_finite_scales_and_coefficients_are_refused_on_load() {
        for scale in [0.0, 1e-310, -1.0] {
            let e = damaged(|v| v["preprocessor"]["numeric"][1]["scale"] = json!(scale));
            assert!(
                e.contains("`preprocessor.numeric[1].scale` (column `sex`) is "),
                "{scale}: {e}"
            );
        }
        let e = damaged(|v| v["model"]["coef"][3] = json!(1e308));
        assert!(e.contains("the model predicts -inf"), "{e}");
        let e = damaged(|v| v["preprocessor"]["numeric"][0]["center"] = json!(-1.7e308));
        assert!(
            e.contains("`preprocessor`: column `age` at its training deciles"),
            "{e}"
        );
        // JSON holds no infinity: a number past f64's range is refused by the parser, by its key.
        let mut v = base();
        v["model"]["coef"][3] = json!(7777.0);
        let text = serde_json::to_string_pretty(&v)
            .unwrap()
            .replace("7777.0", "1e400");
        let e = Artifact::from_text("model.json", &text)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "is not valid JSON (line 74, column 11, at `model.coef[3]`): number out of range"
            ),
            "{e}"
        );
    }

    #[test]
    fn damaged_files_are_explained_by_their_keys_not_rust_types() {
        let e = damaged(|v| v["model"]["kind"] = json!("foo"));
        assert!(
            e.contains(
                "`model.kind` = \"foo\" is not a model kiln knows (known: `linear`, `elastic_net`"
            ),
            "{e}"
        );
        let e = damaged(|v| v["model"] = json!(5));
        assert!(!e.contains("FittedModel"), "{e}");
        assert!(
            e.contains(
                "`model`: invalid type: integer `5`, expected a model object with a \"kind\""
            ),
            "{e}"
        );
        let e = damaged(|v| v["inputs"][2]["kind"] = json!("numerc"));
        assert!(
            e.contains("`inputs[2].kind` = \"numerc\" is not a value kiln knows (known: `numeric`, `categorical`)"),
            "{e}"
        );
        let e = damaged(|v| {
            v["model"].as_object_mut().unwrap().remove("coef");
        });
        assert!(e.contains("`model` has no field `coef`"), "{e}");
        let e = damaged(|v| {
            v.as_object_mut().unwrap().remove("inputs");
        });
        assert!(e.contains("the file has no field `inputs`"), "{e}");
        let e = damaged(|v| v["preprocessor"] = json!("x"));
        assert!(
            e.contains("`preprocessor`: invalid type: string \"x\", expected an object"),
            "{e}"
        );
        assert!(!e.contains("struct"), "{e}");
    }

    #[test]
    fn a_key_path_is_found_at_a_position() {
        let text = r#"{"a": {"b": [1, {"c": 2}, 3]}, "d": "x,{["}"#;
        let at = |s: &str| json_path_at(text, text.find(s).unwrap());
        assert_eq!(at("1,"), "a.b[0]");
        assert_eq!(at("2}"), "a.b[1].c");
        assert_eq!(at("3]"), "a.b[2]");
        assert_eq!(at("\"x"), "d");
        assert_eq!(json_path_at(text, text.len()), "");
    }

    #[test]
    fn drift_reference_bins_training_values() {
        let col = Column {
            name: "x".into(),
            data: ColumnData::Numeric((0..100).map(f64::from).collect()),
        };
        let rows: Vec<usize> = (0..100).collect();
        let DriftReference::Numeric {
            edges,
            shares,
            missing,
            ..
        } = DriftReference::fit(&col, &rows)
        else {
            panic!("numeric column")
        };
        assert_eq!(edges.len(), 9);
        assert_eq!(shares.len(), 10);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(missing, 0.0);
        assert_eq!(numeric_bin(&edges, -5.0), 0);
        assert_eq!(numeric_bin(&edges, 1000.0), 9);
    }
}
