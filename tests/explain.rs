//! `[explain]`: the best model's permutation importance on the holdout, in summary.json and
//! report.html, the same for any --jobs; its parity with scikit-learn is
//! tests/reference/flights_time (tests/reference.rs).

mod common;
use common::*;

const CASE: &str = "tests/reference/flights_time.toml";

fn permutation(dir: &std::path::Path) -> serde_json::Value {
    json(&dir.join("summary.json"))["permutation_importance"].clone()
}

#[test]
fn permutation_importance_is_in_the_summary_and_the_report_for_any_jobs() {
    let out = scratch("explain-jobs");
    let one = run_into(CASE.as_ref(), &out.join("one"), &["--jobs", "1"]);
    let two = run_into(CASE.as_ref(), &out.join("two"), &["--jobs", "2"]);
    let p = permutation(&one);
    assert_eq!(p, permutation(&two));
    assert_eq!(p["on"], "holdout");
    let features: Vec<&str> = p["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert_eq!(
        features,
        ["dep_delay", "distance", "hour", "carrier", "origin"]
    );
    // The departure delay is most of the arrival delay: shuffling it costs more than all the rest.
    let mean = |i: usize| p["features"][i]["mean"].as_f64().unwrap();
    assert!(mean(0) > 1.0 && (1..5).all(|i| mean(i) < 0.1), "{p}");
    let report = std::fs::read_to_string(one.join("report.html")).unwrap();
    assert!(report.contains("Permutation importance (holdout)"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_loss_metric_counts_a_worse_loss_as_importance_and_zero_repeats_compute_none() {
    let out = scratch("explain-loss");
    let data = root().join("data/breast_cancer.csv");
    let file = out.join("p.toml");
    std::fs::write(
        &file,
        format!(
            "[pipeline]\ntask = \"classification\"\n\n[data]\npath = \"{}\"\ntarget = \"target\"\n\
             test_size = 0.3\n\n[model]\ntype = \"logistic_regression\"\n\n[cv]\nfolds = 3\n\n\
             [search]\nmetric = \"log_loss\"\n",
            data.display()
        ),
    )
    .unwrap();
    let dir = run_into(&file, &out.join("runs"), &[]);
    let p = permutation(&dir);
    assert_eq!(p["metric"], "log_loss");
    assert_eq!(p["n_repeats"], 5);
    let best = p["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["mean"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert!(
        best > 0.0,
        "shuffling some column must raise the log loss: {p}"
    );
    let none = run_into(
        &file,
        &out.join("none"),
        &["--set", "explain.permutation_repeats=0"],
    );
    assert!(json(&none.join("summary.json"))
        .get("permutation_importance")
        .is_none());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn without_a_holdout_importance_is_out_of_fold_from_the_search_s_own_fold_fits() {
    let out = scratch("explain-oof");
    let dir = run_into("tests/reference/diabetes_ridge.toml".as_ref(), &out, &[]);
    let summary = json(&dir.join("summary.json"));
    let p = &summary["permutation_importance"];
    assert_eq!(p["on"], "out_of_fold");
    // Each fold's model is the search's own fit of the best candidate, so the unshuffled score
    // averaged over the folds is the best candidate's cross-validated mean.
    let mean = summary["best"]["mean"]["r2"].as_f64().unwrap();
    let baseline = p["baseline"].as_f64().unwrap();
    assert!((baseline - mean).abs() < 1e-12, "{baseline} vs {mean}");
    assert_eq!(p["features"].as_array().unwrap().len(), 10);
    let _ = std::fs::remove_dir_all(&out);
}
