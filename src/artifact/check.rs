//! The checks a model file passes on load beyond its format: that its parts fit together (inputs,
//! preprocessing, design width, model, classes, drift tables) and that it predicts finite numbers.

use super::{Artifact, DriftReference};
use crate::data::{Column, ColumnData, ColumnKind};
use crate::models::{FittedModel, Task};
use crate::preprocess::FittedPreprocessor;
use std::collections::HashMap;

impl Artifact {
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
        self.positive_index()?;
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
        if let Some((_, j)) = x.first_infinite_cell() {
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
        if let Some((_, v)) = output.first_non_finite_row() {
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
                        ColumnData::Numeric(values.into())
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
