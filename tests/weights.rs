//! `data.weight` and `class_weight` through the real binary: the same trials for any --jobs and
//! for shards merged, the weight column never a model input (predict does not ask for it), and
//! class weights that change the fit. Parity with scikit-learn's `sample_weight` and
//! `class_weight` is tests/reference/*_weighted* and breast_cancer_balanced (tests/reference.rs).

mod common;
use common::*;

const CASE: &str = "tests/reference/breast_cancer_weighted.toml";

#[test]
fn weighted_trials_are_the_same_for_any_jobs_and_for_shards_merged() {
    let dir = scratch("weights-shards");
    same_trials_for_any_jobs_and_shards(CASE.as_ref(), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The forests draw weighted bootstraps and balance each one ("balanced_subsample"), k-means draws
/// its weighted seeding: neither may depend on the thread count or the shard.
#[test]
fn weighted_forests_and_kmeans_are_the_same_for_any_jobs_and_for_shards_merged() {
    for case in ["wine_weighted_forest", "iris_weighted_kmeans"] {
        let dir = scratch(&format!("weights-shards-{case}"));
        let path = format!("tests/reference/{case}.toml");
        same_trials_for_any_jobs_and_shards(path.as_ref(), &dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_weight_column_is_not_an_input_and_predict_does_not_need_it() {
    let dir = scratch("weights-predict");
    let run = run_into(CASE.as_ref(), &dir.join("run"), &[]);
    let model = json(&run.join("model.json"));
    let inputs: Vec<&str> = model["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(!inputs.contains(&"weight"), "{inputs:?}");
    // The original rows, without any weight column.
    let (csv, _) = run_ok(&[
        "predict",
        run.join("model.json").to_str().unwrap(),
        "tests/reference/breast_cancer_logreg.csv",
    ]);
    assert_eq!(csv.lines().count(), 570, "a header and 569 predictions");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn weights_and_class_weights_change_the_fit() {
    let dir = scratch("weights-change");
    let weighted = run_into(
        CASE.as_ref(),
        &dir.join("weighted"),
        &["--set", "grid.model.C=[1.0]"],
    );
    // The same logistic regression without row weights, with and without class weights.
    let unweighted = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "--set",
            "grid.model.C=[1.0]",
            "--set",
            "search.metric=log_loss",
        ];
        args.extend_from_slice(extra);
        run_into(
            "tests/reference/breast_cancer_logreg.toml".as_ref(),
            &dir.join(name),
            &args,
        )
    };
    let plain = unweighted("plain", &[]);
    let coef = |d: &std::path::Path| json(&d.join("model.json"))["model"]["coef"].clone();
    assert_ne!(coef(&weighted), coef(&plain));
    let balanced = unweighted("balanced", &["--set", "model.class_weight=\"balanced\""]);
    assert_ne!(coef(&balanced), coef(&plain));
    let _ = std::fs::remove_dir_all(&dir);
}
