//! model.json: the best pipeline refitted on all training rows, with everything needed to use it on new
//! data: the input schema, the fitted preprocessing, the model, the classes, the scores, and per input
//! column the training distribution for drift checks. Versioned, and checked on load.

mod check;
mod drift;
mod parse_error;

use crate::data::ColumnKind;
use crate::error::{KilnError, Result};
use crate::models::{FittedModel, Task};
use crate::preprocess::FittedPreprocessor;
pub use drift::{numeric_bin, DriftReference};
use parse_error::explain_parse_error;
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
    /// A binary classifier's decision threshold (search.threshold): a row is `positive_class`
    /// when its probability of it is at least this; absent, the more probable class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
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

impl Artifact {
    /// The index in `classes` of the class a threshold cuts for: `positive_class`, or the last.
    /// An error when `threshold` is not a probability or the model is not a binary classifier.
    pub fn positive_index(&self) -> std::result::Result<usize, String> {
        let positive = match &self.positive_class {
            Some(label) => self
                .classes
                .iter()
                .position(|c| c == label)
                .ok_or_else(|| {
                    format!("\"positive_class\" {label:?} is not one of the \"classes\"")
                })?,
            None => self.classes.len().saturating_sub(1),
        };
        if let Some(t) = self.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(format!(
                    "\"threshold\" {t} is not a probability from 0 to 1"
                ));
            }
            if self.classes.len() != 2 {
                return Err(format!(
                    "\"threshold\" is for a binary classifier, but the model has {} classes",
                    self.classes.len()
                ));
            }
        }
        Ok(positive)
    }

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
}
