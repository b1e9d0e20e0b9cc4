//! model.json: the best pipeline refitted on all training rows, with everything needed to use it on new
//! data: the input schema, the fitted preprocessing, the model, the classes, the scores, and per input
//! column the training distribution for drift checks. Versioned, and checked on load.

use crate::data::{Column, ColumnData, ColumnKind, MISSING_CODE};
use crate::error::{KilnError, Result};
use crate::models::{FittedModel, Task};
use crate::preprocess::impute::quantile;
use crate::preprocess::FittedPreprocessor;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    pub fn load(path: &Path) -> Result<Artifact> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| KilnError::Artifact(format!("cannot read model file {shown}: {e}")))?;
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            KilnError::Artifact(format!(
                "{shown} is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        })?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(KilnError::Artifact(format!("{shown} is a `{other}` file, not a kiln model (format \"{FORMAT}\")")))
            }
            None => {
                return Err(KilnError::Artifact(format!(
                    "{shown} is not a kiln model: it has no \"format\": \"{FORMAT}\" field (model.json is written by `kiln run`)"
                )))
            }
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v as u32 == VERSION => {}
            Some(v) if v as u32 > VERSION => {
                return Err(KilnError::Artifact(format!(
                    "{shown} is model format version {v}, newer than this kiln reads ({VERSION}); upgrade kiln"
                )))
            }
            other => {
                return Err(KilnError::Artifact(format!(
                    "{shown}: unsupported model format version {}",
                    other.map_or("(none)".to_string(), |v| v.to_string())
                )))
            }
        }
        // From the text, not the value: serde then names the line and column of what is wrong.
        let artifact: Artifact = serde_json::from_str(&text)
            .map_err(|e| KilnError::Artifact(format!("{shown} is a damaged kiln model: {e}")))?;
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
        let input = |name: &str, kind: ColumnKind| -> std::result::Result<(), String> {
            match self.inputs.iter().find(|c| c.name == name) {
                Some(c) if c.kind == kind => Ok(()),
                Some(c) => Err(format!(
                    "preprocessor column `{name}` is {kind:?} but input `{name}` is {:?}",
                    c.kind
                )),
                None => Err(format!(
                    "preprocessor column `{name}` is not among the model's \"inputs\""
                )),
            }
        };
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
                    || m.n_neighbors == 0
                {
                    return Err("the model's training rows do not fit together".into());
                }
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
