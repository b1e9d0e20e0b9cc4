//! `kiln export MODEL --onnx OUT` through the real binary, on models `kiln run` trains here: every
//! model kind exports a graph that decodes, with one input per raw column, kiln's outputs and the
//! operators expected; what cannot be exported exactly is refused (exit 2, naming it) and leaves no
//! file. The numbers themselves are checked against onnxruntime by bench/onnx_check.py (Python).

mod common;
use common::*;

use kiln::export::proto::{self, type_proto, ModelProto};
use prost::Message;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Trains `model` (a `[model]` table's lines) on one of the shipped data sets and returns the run's
/// model.json. `extra` adds sections to the pipeline.
fn train(tag: &str, data: &str, model: &str, extra: &str) -> PathBuf {
    let (task, target) = match data {
        "penguins" => ("classification", "target = \"species\"\ndrop = [\"year\"]"),
        "diabetes" => ("regression", "target = \"target\""),
        _ => ("clustering", "drop = [\"target\"]"),
    };
    let dir = scratch(&format!("export-{tag}"));
    let pipeline = dir.join("p.toml");
    let text = format!(
        "[pipeline]\nname = \"{tag}\"\ntask = \"{task}\"\n[data]\npath = \"{}\"\n{target}\n\
         [model]\n{model}\n[cv]\nfolds = 2\n{extra}\n",
        root().join("data").join(format!("{data}.csv")).display()
    );
    std::fs::write(&pipeline, text).unwrap();
    common::train(&pipeline, &dir.join("runs"))
}

/// `kiln export MODEL --onnx OUT`: (exit code, stderr).
fn export(model: &Path, out: &Path) -> (i32, String) {
    let (code, _, stderr) = run(&[
        "export",
        model.to_str().unwrap(),
        "--onnx",
        out.to_str().unwrap(),
    ]);
    (code, stderr)
}

/// Exports `model` and decodes the file.
fn exported(model: &Path) -> ModelProto {
    let out = model.with_file_name("model.onnx");
    let (code, stderr) = export(model, &out);
    assert_eq!(code, 0, "kiln export {}: {stderr}", model.display());
    ModelProto::decode(&std::fs::read(&out).unwrap()[..]).expect("the file decodes")
}

/// (name, element type) of each graph input or output.
fn typed(values: &[proto::ValueInfoProto]) -> Vec<(String, i32)> {
    values
        .iter()
        .map(|v| {
            let Some(type_proto::Value::TensorType(t)) =
                v.r#type.as_ref().and_then(|t| t.value.clone())
            else {
                panic!("{} is not a tensor", v.name)
            };
            (v.name.clone(), t.elem_type)
        })
        .collect()
}

fn op_types(m: &ModelProto) -> BTreeSet<String> {
    let g = m.graph.as_ref().unwrap();
    g.node.iter().map(|n| n.op_type.clone()).collect()
}

fn owned(pairs: &[(&str, i32)]) -> Vec<(String, i32)> {
    pairs.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

#[test]
fn every_classifier_exports_labels_and_probabilities_from_the_raw_columns() {
    let inputs = owned(&[
        ("island", proto::STRING),
        ("bill_length_mm", proto::DOUBLE),
        ("bill_depth_mm", proto::DOUBLE),
        ("flipper_length_mm", proto::DOUBLE),
        ("body_mass_g", proto::DOUBLE),
        ("sex", proto::STRING),
    ]);
    let outputs = owned(&[("label", proto::STRING), ("probabilities", proto::DOUBLE)]);
    for (tag, model, op) in [
        ("logreg", "type = \"logistic_regression\"", "Softmax"),
        ("tree", "type = \"decision_tree\"", "TreeEnsemble"),
        (
            "forest",
            "type = \"random_forest\"\nn_estimators = 3",
            "TreeEnsemble",
        ),
        (
            "gbm",
            "type = \"gradient_boosting\"\nn_estimators = 4",
            "TreeEnsemble",
        ),
        (
            "hgb",
            "type = \"hist_gradient_boosting\"\nmax_iter = 4",
            "TreeEnsemble",
        ),
        ("knn", "type = \"knn\"", "TopK"),
        ("nb", "type = \"naive_bayes\"", "Softmax"),
    ] {
        let m = exported(&train(tag, "penguins", model, ""));
        let g = m.graph.as_ref().unwrap();
        let mut got_inputs = typed(&g.input);
        got_inputs.sort();
        let mut want = inputs.clone();
        want.sort();
        assert_eq!(got_inputs, want, "{tag}");
        assert_eq!(typed(&g.output), outputs, "{tag}");
        let ops = op_types(&m);
        for op in [op, "LabelEncoder", "ArgMax", "Gather"] {
            assert!(ops.contains(op), "{tag}: no {op} in {ops:?}");
        }
        let domains: BTreeSet<_> = m
            .opset_import
            .iter()
            .map(|o| (o.domain.clone(), o.version))
            .collect();
        assert!(
            domains.contains(&("ai.onnx.ml".to_string(), 5)),
            "{domains:?}"
        );
    }
}

#[test]
fn every_regressor_exports_one_prediction() {
    for (tag, model, op) in [
        ("ols", "type = \"linear_regression\"", "MatMul"),
        ("ridge", "type = \"ridge\"", "MatMul"),
        ("lasso", "type = \"lasso\"\nalpha = 0.1", "MatMul"),
        ("enet", "type = \"elastic_net\"\nalpha = 0.1", "MatMul"),
        (
            "rtree",
            "type = \"decision_tree\"\nmax_depth = 3",
            "TreeEnsemble",
        ),
        (
            "rforest",
            "type = \"random_forest\"\nn_estimators = 3",
            "TreeEnsemble",
        ),
        (
            "rgbm",
            "type = \"gradient_boosting\"\nn_estimators = 4",
            "TreeEnsemble",
        ),
        (
            "rhgb",
            "type = \"hist_gradient_boosting\"\nmax_iter = 4",
            "TreeEnsemble",
        ),
        ("rknn", "type = \"knn\"", "TopK"),
    ] {
        let m = exported(&train(tag, "diabetes", model, ""));
        let g = m.graph.as_ref().unwrap();
        assert_eq!(g.input.len(), 10, "{tag}");
        assert!(typed(&g.input).iter().all(|(_, t)| *t == proto::DOUBLE));
        assert_eq!(
            typed(&g.output),
            owned(&[("prediction", proto::DOUBLE)]),
            "{tag}"
        );
        assert!(op_types(&m).contains(op), "{tag}");
    }
}

#[test]
fn kmeans_exports_the_cluster_of_each_row() {
    let m = exported(&train(
        "kmeans",
        "iris",
        "type = \"kmeans\"\nn_clusters = 3",
        "",
    ));
    let g = m.graph.as_ref().unwrap();
    assert_eq!(typed(&g.output), owned(&[("label", proto::INT64)]));
    assert!(op_types(&m).contains("ArgMin"));
    assert_eq!(g.input[0].name, "sepal length (cm)");
}

#[test]
fn what_a_graph_cannot_do_is_refused_naming_it_and_writes_nothing() {
    for (tag, extra, says) in [
        (
            "unknown-error",
            "[encode]\nunknown = \"error\"",
            "encode.unknown = \"error\"",
        ),
        (
            "impute-drop",
            "[impute]\nnumeric = \"drop\"",
            "numeric column `bill_length_mm` has no fill value",
        ),
    ] {
        let model = train(tag, "penguins", "type = \"logistic_regression\"", extra);
        let out = model.with_file_name("model.onnx");
        let (code, stderr) = export(&model, &out);
        assert_eq!(code, 2, "{tag}: {stderr}");
        assert!(stderr.contains("cannot export"), "{tag}: {stderr}");
        assert!(stderr.contains(says), "{tag}: {stderr}");
        assert!(
            !out.exists(),
            "{tag}: a refused export wrote {}",
            out.display()
        );
    }
}

#[test]
fn a_model_file_that_is_not_there_or_not_a_model_is_exit_2() {
    let dir = scratch("export-bad");
    let out = dir.join("m.onnx");
    let (code, stderr) = export(&dir.join("nothing.json"), &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nothing.json"), "{stderr}");
    let (code, stderr) = export(&root().join("tests/bad/data/not_a_model.json"), &out);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not_a_model.json"), "{stderr}");
    assert!(!out.exists());
}
