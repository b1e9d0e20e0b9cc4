//! `kiln export MODEL --onnx OUT`: a model.json as one ONNX graph that a runtime nobody here wrote
//! (onnxruntime) evaluates to kiln predict's numbers: one input per raw column, the fitted
//! preprocessing, the model, and kiln's outputs.
//!
//! The graph computes in doubles from input to output, with ai.onnx.ml's LabelEncoder for the
//! categories and its TreeEnsemble (opset 5, double thresholds and leaves) for the trees; what
//! ai.onnx.ml has only in float32 (Imputer, Scaler, LinearRegressor, LinearClassifier) is written
//! in core operators instead, so the exported graph agrees with kiln to rounding rather than to
//! float32's seven digits. Whatever cannot be written exactly is refused, naming it.

mod distance;
mod graph;
mod linear;
mod preprocess;
pub mod proto;
mod trees;

use crate::artifact::Artifact;
use crate::error::{KilnError, Result};
use crate::models::{FittedModel, Task};
use graph::{Attr, Graph, ML};
use prost::Message;
use std::path::Path;

/// The operator sets the graph uses: ai.onnx 21 and ai.onnx.ml 5 (TreeEnsemble's first), which
/// came with IR version 10 (ONNX 1.16).
pub const OPSET: i64 = 21;
pub const ML_OPSET: i64 = 5;
const IR_VERSION: i64 = 10;

pub use preprocess::MISSING_TEXT;

/// What a model's part of the graph gives.
pub enum Scores {
    /// Regression: [N, 1].
    Values(String),
    /// Classification: the probabilities [N, classes.len()] of `classes` (indices into the
    /// artifact's classes; a model gives the others probability 0).
    Proba { seen: String, classes: Vec<usize> },
    /// Clustering: each row's cluster, int64 [N].
    Clusters(String),
}

/// Reads `model`, builds its graph and writes it to `out` atomically. Errors name the model file
/// and what cannot be exported.
pub fn export_onnx(model: &Path, out: &Path) -> Result<usize> {
    let artifact = Artifact::load(model)?;
    let bytes = to_onnx(&artifact)
        .map_err(|e| {
            KilnError::Artifact(format!("cannot export {} to ONNX: {e}", model.display()))
        })?
        .encode_to_vec();
    crate::util::atomic::atomic_write(out, &bytes)?;
    Ok(bytes.len())
}

/// The ONNX model of a kiln model, or why it cannot be written exactly.
pub fn to_onnx(a: &Artifact) -> std::result::Result<proto::ModelProto, String> {
    let mut g = Graph::default();
    let x = preprocess::design(&mut g, a)?;
    let scores = model_scores(&mut g, &x, &a.model)?;
    outputs(&mut g, a, scores)?;
    let opset = |domain: &str, version| proto::OperatorSetIdProto {
        domain: domain.into(),
        version,
    };
    let meta = |key: &str, value: &str| proto::StringStringEntryProto {
        key: key.into(),
        value: value.into(),
    };
    Ok(proto::ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![opset("", OPSET), opset(ML, ML_OPSET)],
        producer_name: "kiln".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        doc_string: format!(
            "kiln pipeline `{}` ({}, model {}); a missing categorical value is the empty string, a \
             missing number NaN",
            a.pipeline,
            a.task.name(),
            model_name(&a.model)
        ),
        graph: Some(proto::GraphProto {
            node: g.nodes,
            name: a.pipeline.clone(),
            initializer: g.initializers,
            input: g.inputs,
            output: g.outputs,
            ..Default::default()
        }),
        metadata_props: vec![
            meta("pipeline", &a.pipeline),
            meta("task", a.task.name()),
            meta("data_hash", &a.data_hash),
        ],
    })
}

/// The `kind` model.json gives the model.
fn model_name(m: &FittedModel) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
        .unwrap_or_default()
}

fn model_scores(g: &mut Graph, x: &str, m: &FittedModel) -> std::result::Result<Scores, String> {
    Ok(match m {
        FittedModel::Linear(m) => linear::regression(g, x, &m.coef, m.intercept),
        FittedModel::ElasticNet(m) => linear::regression(g, x, &m.coef, m.intercept),
        FittedModel::LogisticRegression(m) => {
            let binary = m.coef.len() == 1 && m.classes.len() == 2;
            if !binary && m.coef.len() != m.classes.len() {
                return Err(format!(
                    "logistic_regression has {} rows of coefficients for {} classes",
                    m.coef.len(),
                    m.classes.len()
                ));
            }
            linear::logistic(g, x, m)
        }
        FittedModel::DecisionTree(m) => {
            trees::forest(g, x, std::slice::from_ref(&m.tree), m.n_classes)
        }
        FittedModel::RandomForest(m) => trees::forest(g, x, &m.trees, m.n_classes),
        FittedModel::GradientBoosting(m) => {
            trees::boosting(g, x, &m.init, m.learning_rate, &m.trees, m.n_classes)
        }
        FittedModel::HistGradientBoosting(m) => trees::hist_boosting(g, x, m),
        FittedModel::Knn(m) => distance::knn(g, x, m),
        FittedModel::NaiveBayes(m) => distance::naive_bayes(g, x, m),
        FittedModel::Kmeans(m) => distance::kmeans(g, x, m),
    })
}

/// The graph's outputs: `prediction` [N, 1] (regression); `label` [N] (the class labels, as
/// strings, as kiln predict writes them) and `probabilities` [N, classes] (classification); `label`
/// [N] int64 (clustering: the cluster).
fn outputs(g: &mut Graph, a: &Artifact, scores: Scores) -> std::result::Result<(), String> {
    match (a.task, scores) {
        (Task::Regression, Scores::Values(v)) => {
            g.rename(&v, "prediction");
            g.output("prediction", proto::DOUBLE, &[None, Some(1)]);
        }
        (Task::Classification, Scores::Proba { seen, classes }) => {
            let n = a.classes.len();
            if let Some(c) = classes.iter().find(|&&c| c >= n) {
                return Err(format!(
                    "the model has a class {c}, but the file lists {n} classes"
                ));
            }
            let proba = if classes.iter().copied().eq(0..n) {
                seen
            } else {
                // Each seen class's column to its place among every class (a 0/1 matrix: the
                // product adds exact zeros).
                let mut spread = vec![0.0; classes.len() * n];
                for (i, &c) in classes.iter().enumerate() {
                    spread[i * n + c] = 1.0;
                }
                let spread = g.doubles(&[classes.len(), n], &spread);
                g.op("MatMul", &[&seen, &spread], vec![])
            };
            let index = class_index(g, a, &proba)?;
            let labels = g.strings(&[n], &a.classes);
            let label = g.op("Gather", &[&labels, &index], vec![("axis", Attr::Int(0))]);
            g.rename(&label, "label");
            g.rename(&proba, "probabilities");
            g.output("label", proto::STRING, &[None]);
            g.output("probabilities", proto::DOUBLE, &[None, Some(n)]);
        }
        (Task::Clustering, Scores::Clusters(c)) => {
            g.rename(&c, "label");
            g.output("label", proto::INT64, &[None]);
        }
        (task, _) => {
            return Err(format!(
                "model {} does not predict for a {} task",
                model_name(&a.model),
                task.name()
            ))
        }
    }
    Ok(())
}

/// Each row's class index, int64 [N]: the most probable class (the first on ties), or with a
/// decision threshold the positive class when its probability is at least the threshold.
fn class_index(g: &mut Graph, a: &Artifact, proba: &str) -> std::result::Result<String, String> {
    let argmax = |g: &mut Graph| {
        g.op(
            "ArgMax",
            &[proba],
            vec![
                ("axis", Attr::Int(1)),
                ("keepdims", Attr::Int(0)),
                ("select_last_index", Attr::Int(0)),
            ],
        )
    };
    let Some(t) = a.threshold.filter(|_| a.classes.len() == 2) else {
        return Ok(argmax(g));
    };
    let positive = a.positive_index()?;
    let column = g.ints(&[1], &[positive as i64]);
    let p = g.op("Gather", &[proba, &column], vec![("axis", Attr::Int(1))]);
    let shape = g.ints(&[1], &[-1]);
    let p = g.op("Reshape", &[&p, &shape], vec![]);
    let t = g.doubles(&[1], &[t]);
    let at_least = g.op("GreaterOrEqual", &[&p, &t], vec![]);
    let pos = g.ints(&[1], &[positive as i64]);
    let neg = g.ints(&[1], &[1 - positive as i64]);
    Ok(g.op("Where", &[&at_least, &pos, &neg], vec![]))
}
