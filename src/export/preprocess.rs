//! The fitted preprocessing as graph nodes: one input per raw column, and the design matrix kiln's
//! models read, [N, p] in doubles, column for column as `FittedPreprocessor::transform_design`
//! makes it (numeric columns imputed, centred and scaled; missing indicators; one-hot blocks or
//! ordinal codes).
//!
//! Imputation and scaling are core operators in doubles (IsNaN, Where, Sub, Div), not ai.onnx.ml's
//! Imputer and Scaler: those two compute in float32 only, which moves a value across a tree's
//! threshold or a prediction in its seventh digit. Categories go through ai.onnx.ml's LabelEncoder
//! (string to int64, which folds rare categories into `__other` and gives unknown ones -1).

use super::graph::{Attr, Graph, ML};
use super::proto;
use crate::artifact::Artifact;
use crate::config::{EncodeMethod, UnknownCategory};
use crate::data::ColumnKind;
use crate::preprocess::{CategoricalStep, FittedPreprocessor};

/// The string a graph's categorical input holds for a missing value.
pub const MISSING_TEXT: &str = "";

/// The names an exported graph's outputs take, which no input column may have.
pub const OUTPUTS: [&str; 3] = ["prediction", "label", "probabilities"];

/// Adds the inputs and the preprocessing to `g`; returns the design matrix's name.
pub fn design(g: &mut Graph, a: &Artifact) -> Result<String, String> {
    let pre = &a.preprocessor;
    check(pre)?;
    for o in OUTPUTS {
        g.reserve(o);
    }
    for input in &a.inputs {
        if OUTPUTS.contains(&input.name.as_str()) {
            return Err(format!(
                "input column `{}` has the name of one of the graph's outputs ({})",
                input.name,
                OUTPUTS.join(", ")
            ));
        }
        g.reserve(&input.name);
        let elem = match input.kind {
            ColumnKind::Numeric => proto::DOUBLE,
            ColumnKind::Categorical => proto::STRING,
        };
        g.input(&input.name, elem);
    }
    let mut columns = Vec::new();
    for step in &pre.numeric {
        let x = step.name.as_str();
        let filled = match (step.keep_missing, step.fill) {
            (true, _) => x.to_string(),
            (false, Some(fill)) => {
                let missing = g.op("IsNaN", &[x], vec![]);
                let fill = g.doubles(&[1, 1], &[fill]);
                g.op("Where", &[&missing, &fill, x], vec![])
            }
            (false, None) => return Err(format!("numeric column `{x}` has no fill value")),
        };
        let center = g.doubles(&[1, 1], &[step.center]);
        let scale = g.doubles(&[1, 1], &[step.scale]);
        let centred = g.op("Sub", &[&filled, &center], vec![]);
        columns.push(g.op("Div", &[&centred, &scale], vec![]));
    }
    for step in pre.numeric.iter().filter(|s| s.indicator) {
        let missing = g.op("IsNaN", &[&step.name], vec![]);
        columns.push(cast_double(g, &missing));
    }
    for step in &pre.categorical {
        columns.push(categorical(g, pre, step));
    }
    let refs: Vec<&str> = columns.iter().map(String::as_str).collect();
    Ok(match refs.as_slice() {
        [one] => one.to_string(),
        _ => g.op("Concat", &refs, vec![("axis", Attr::Int(1))]),
    })
}

/// What an ONNX graph cannot do as kiln predict does: refuse a row. Each of these makes kiln predict
/// fail on some rows, where a graph would have to predict something.
fn check(pre: &FittedPreprocessor) -> Result<(), String> {
    if pre.unknown == UnknownCategory::Error {
        return Err(
            "encode.unknown = \"error\": kiln predict refuses a category training never saw, and an \
             ONNX graph cannot refuse a row; train with encode.unknown = \"ignore\" to export"
                .into(),
        );
    }
    if let Some(step) = pre
        .numeric
        .iter()
        .find(|s| s.fill.is_none() && !s.keep_missing)
    {
        return Err(format!(
            "numeric column `{}` has no fill value (impute.numeric = \"drop\" or \"error\"): kiln \
             predict refuses a row missing it, and an ONNX graph cannot refuse a row",
            step.name
        ));
    }
    for step in &pre.categorical {
        if step.fill.is_none() {
            return Err(format!(
                "categorical column `{}` has no fill value (impute.categorical = \"drop\" or \
                 \"error\"): kiln predict refuses a row missing it, and an ONNX graph cannot \
                 refuse a row",
                step.name
            ));
        }
        if step
            .categories
            .iter()
            .chain(&step.rare)
            .any(|c| c == MISSING_TEXT)
        {
            return Err(format!(
                "categorical column `{}` has the empty string as a category, which the graph's \
                 string input uses for a missing value",
                step.name
            ));
        }
    }
    Ok(())
}

/// One categorical input's design columns: its one-hot block [N, width], or its ordinal code [N, 1].
fn categorical(g: &mut Graph, pre: &FittedPreprocessor, step: &CategoricalStep) -> String {
    let other = step.categories.len() as i64;
    let mut keys: Vec<String> = step.categories.clone();
    let mut values: Vec<i64> = (0..other).collect();
    keys.extend(step.rare.iter().cloned());
    values.extend(step.rare.iter().map(|_| other));
    // A missing value is the fill, whose slot is its category's (or none, when the fill is a
    // constant training never saw).
    let fill = step.fill.as_deref().unwrap_or_default();
    let fill_slot = keys
        .iter()
        .position(|k| k == fill)
        .map_or(-1, |i| values[i]);
    keys.push(MISSING_TEXT.into());
    values.push(fill_slot);
    let code = g.op_in(
        ML,
        "LabelEncoder",
        &[&step.name],
        vec![
            ("keys_strings", Attr::Strs(keys)),
            ("values_int64s", Attr::Ints(values)),
            ("default_int64", Attr::Int(-1)),
        ],
        1,
    );
    match pre.method {
        EncodeMethod::Ordinal => cast_double(g, &code[0]),
        EncodeMethod::OneHot => {
            let width = step.categories.len() + usize::from(!step.rare.is_empty());
            let slots = g.ints(&[1, width], &(0..width as i64).collect::<Vec<_>>());
            let hot = g.op("Equal", &[&code[0], &slots], vec![]);
            cast_double(g, &hot)
        }
    }
}

pub fn cast_double(g: &mut Graph, x: &str) -> String {
    g.op("Cast", &[x], vec![("to", Attr::Int(proto::DOUBLE as i64))])
}
