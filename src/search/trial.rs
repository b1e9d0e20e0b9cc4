//! A candidate's result, as one line of trials.jsonl, and one fit's result, as one line of
//! fits.jsonl (what `--resume` rebuilds unfinished candidates from).

use crate::metrics::threshold::Curve;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    Ok,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldScore {
    pub fold: i64,
    pub scores: BTreeMap<String, f64>,
    pub fit_seconds: f64,
    /// search.threshold = "tune": each label metric's curve over this fold's thresholds, until
    /// the candidate's threshold is picked (then its scores are read off them and they go).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub curves: BTreeMap<String, Curve>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    pub candidate: usize,
    /// The grid values that define the candidate, as flat dotted keys.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub folds: Vec<FoldScore>,
    pub mean: BTreeMap<String, f64>,
    /// Population standard deviation over folds (numpy's default, as scikit-learn's std_test_score).
    pub std: BTreeMap<String, f64>,
    pub status: TrialStatus,
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The search strategy that made the candidate, when it is not the grid ("random").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// A halving search's rung (0 first) and the resource its fits had (rows, or the resource
    /// parameter's value); a candidate has one trial per rung it ran in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rung: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<u64>,
    /// The decision threshold the label metrics were scored at (search.threshold): the tuned one,
    /// or the fixed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// One finished (candidate, fold) fit, logged the moment it finishes: with the pipeline as run, enough
/// to rebuild its candidate's trial bit for bit (serde_json writes floats that read back exactly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitRecord {
    pub candidate: usize,
    /// The fold's name, as `folds[].fold` in trials.jsonl.
    pub fold: i64,
    pub status: TrialStatus,
    #[serde(default)]
    pub scores: BTreeMap<String, f64>,
    #[serde(default)]
    pub fit_seconds: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Why the fit failed (status "failed").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A halving search's rung.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rung: Option<usize>,
    /// search.threshold = "tune": the fold's curves, so a resumed run tunes the same threshold.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub curves: BTreeMap<String, Curve>,
}

/// A fit's result in memory: its fold score and warnings, or why it failed.
pub type FitOutcome = Result<(FoldScore, Vec<String>), String>;

impl FitRecord {
    pub fn new(candidate: usize, fold: i64, outcome: &FitOutcome) -> FitRecord {
        let (status, scores, fit_seconds, warnings, error, curves) = match outcome {
            Ok((score, warnings)) => (
                TrialStatus::Ok,
                score.scores.clone(),
                score.fit_seconds,
                warnings.clone(),
                None,
                score.curves.clone(),
            ),
            Err(e) => (
                TrialStatus::Failed,
                BTreeMap::new(),
                0.0,
                Vec::new(),
                Some(e.clone()),
                BTreeMap::new(),
            ),
        };
        FitRecord {
            candidate,
            fold,
            status,
            scores,
            fit_seconds,
            warnings,
            error,
            rung: None,
            curves,
        }
    }

    /// The outcome this record was made from.
    pub fn outcome(&self) -> FitOutcome {
        match self.status {
            TrialStatus::Ok => Ok((
                FoldScore {
                    fold: self.fold,
                    scores: self.scores.clone(),
                    fit_seconds: self.fit_seconds,
                    curves: self.curves.clone(),
                },
                self.warnings.clone(),
            )),
            TrialStatus::Failed => Err(self.error.clone().unwrap_or_default()),
        }
    }
}

impl Trial {
    pub fn is_ok(&self) -> bool {
        self.status == TrialStatus::Ok
    }

    /// Mean and std over folds of every metric, from `folds`.
    pub fn summarise(folds: &[FoldScore]) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
        let mut mean = BTreeMap::new();
        let mut std = BTreeMap::new();
        let Some(first) = folds.first() else {
            return (mean, std);
        };
        for name in first.scores.keys() {
            let values: Vec<f64> = folds
                .iter()
                .filter_map(|f| f.scores.get(name).copied())
                .collect();
            let n = values.len() as f64;
            let m = values.iter().sum::<f64>() / n;
            let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
            mean.insert(name.clone(), m);
            std.insert(name.clone(), var.sqrt());
        }
        (mean, std)
    }

    /// "model.alpha=0.1 scale.method=minmax", for tables and progress lines.
    pub fn params_text(&self) -> String {
        params_text(&self.params)
    }
}

pub fn params_text(params: &serde_json::Map<String, serde_json::Value>) -> String {
    if params.is_empty() {
        return "(base pipeline)".into();
    }
    params
        .iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A TOML value as JSON, for logs.
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_population_std_over_folds() {
        let fold = |v: f64| FoldScore {
            fold: 0,
            scores: [("r2".to_string(), v)].into(),
            fit_seconds: 0.0,
            curves: BTreeMap::new(),
        };
        let (mean, std) = Trial::summarise(&[fold(1.0), fold(3.0)]);
        assert_eq!(mean["r2"], 2.0);
        assert_eq!(std["r2"], 1.0);
    }

    #[test]
    fn a_fit_record_reads_back_to_the_outcome_it_was_made_from() {
        let score = FoldScore {
            fold: 3,
            scores: [("r2".to_string(), 0.1 + 0.2), ("mae".to_string(), 1e-300)].into(),
            fit_seconds: 0.25,
            curves: [(
                "f1".to_string(),
                Curve {
                    thresholds: vec![0.1, 0.7],
                    scores: vec![0.5, 0.25],
                },
            )]
            .into(),
        };
        let outcomes: [FitOutcome; 2] = [
            Ok((score, vec!["did not converge".to_string()])),
            Err("singular matrix".to_string()),
        ];
        for outcome in outcomes {
            let line = serde_json::to_string(&FitRecord::new(7, 3, &outcome)).unwrap();
            let back: FitRecord = serde_json::from_str(&line).unwrap();
            assert_eq!((back.candidate, back.fold), (7, 3));
            assert_eq!(back.outcome(), outcome, "{line}");
        }
    }
}
