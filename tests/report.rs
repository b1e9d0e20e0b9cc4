//! `kiln report RUN_DIR`: report.html of real runs of the shipped pipelines, for each kind of task.

mod common;
mod html_check;

use common::{json, run, run_dir, scratch};
use std::path::{Path, PathBuf};

/// Runs a shipped pipeline into a scratch folder and writes its report; returns the run directory
/// and the checked page.
fn run_and_report(pipeline: &str, name: &str) -> (PathBuf, html_check::CheckedPage) {
    let out = scratch(name);
    let (code, _, err) = run(&[
        "run",
        &format!("pipelines/{pipeline}.toml"),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(code == 0 || code == 1, "{pipeline}: {err}");
    let dir = run_dir(&out);
    let (code, stdout, err) = run(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("report.html"), "{stdout}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    (dir, html_check::check(&html))
}

/// The number after `key ` in `text`.
fn number_after(text: &str, key: &str) -> f64 {
    let at = text
        .find(key)
        .unwrap_or_else(|| panic!("no `{key}` in the page"));
    text[at + key.len()..]
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no number after `{key}`"))
}

fn candidates_ok(dir: &Path) -> usize {
    common::trials(dir)
        .iter()
        .filter(|t| t["status"] == "ok")
        .count()
}

#[test]
fn a_regression_report_has_the_leaderboard_cv_charts_predictions_and_coefficients() {
    let (dir, page) = run_and_report("house_prices", "report-regression");
    let summary = json(&dir.join("summary.json"));
    // Leaderboard: a header and one row per candidate, the best first.
    let board = page
        .tables
        .iter()
        .find(|t| t[0].first().map(String::as_str) == Some("rank"))
        .expect("a leaderboard");
    assert_eq!(board.len(), 1 + candidates_ok(&dir));
    assert_eq!(
        board[1][1],
        summary["best"]["candidate"].to_string(),
        "the best candidate ranks first"
    );
    for chart in [
        "cv r2 per candidate, best first",
        "cv r2 by model.learning_rate",
        "cv r2 by model.epochs",
        "cv r2 by scale.method",
        "cv r2 by model.solver",
        "Predicted against actual price",
        "Residuals against predictions",
        "Residuals",
        "The 25 largest coefficients of 29",
    ] {
        page.has_chart(chart);
    }
    // The holdout rows are the run's own: the report's rmse is the run's holdout rmse.
    let rmse = number_after(&page.text, "holdout rows; rmse ");
    let expected = summary["test"]["rmse"].as_f64().unwrap();
    assert!((rmse - expected).abs() / expected < 1e-3, "{rmse} vs {expected}");
    assert!(page.text.contains("586 holdout rows"));
    assert!(page.pre[0].contains("name = \"house-prices\""), "the pipeline as run");
}

#[test]
fn a_binary_classification_report_has_a_confusion_matrix_and_the_run_s_roc_auc() {
    let (dir, page) = run_and_report("breast_cancer", "report-binary");
    let summary = json(&dir.join("summary.json"));
    page.has_chart("Confusion matrix");
    page.has_chart("ROC curve");
    page.has_chart("cv roc_auc by model.C");
    let auc = number_after(&page.text, "malignant (AUC ");
    let expected = summary["test"]["roc_auc"].as_f64().unwrap();
    assert!((auc - expected).abs() < 6e-4, "{auc} vs {expected}");
    let accuracy = summary["test"]["accuracy"].as_f64().unwrap();
    let rows = summary["data"]["test_rows"].as_u64().unwrap();
    let right = (accuracy * rows as f64).round() as u64;
    assert!(
        page.text.contains(&format!("({right} of {rows} rows)")),
        "the confusion matrix counts the holdout: {}",
        page.text
    );
}

#[test]
fn a_multiclass_report_draws_one_roc_curve_per_class() {
    let (_, page) = run_and_report("penguins_species", "report-multiclass");
    page.has_chart("Confusion matrix");
    page.has_chart("ROC curve");
    page.has_chart("cv accuracy by model.type");
    for class in ["Adelie", "Chinstrap", "Gentoo"] {
        assert!(page.text.contains(&format!("{class} vs rest (AUC ")), "{class}");
    }
}

#[test]
fn a_clustering_report_shows_cluster_sizes_of_every_row() {
    let (dir, page) = run_and_report("iris_clusters", "report-clustering");
    page.has_chart("Cluster sizes");
    page.has_chart("cv silhouette by model.n_clusters");
    assert!(page.text.contains("150 training rows (no holdout)"));
    let summary = json(&dir.join("summary.json"));
    let k = summary["best"]["params"]["model.n_clusters"].as_u64().unwrap();
    for c in 0..k {
        assert!(page.text.contains(&format!("cluster {c}")), "cluster {c}");
    }
    assert!(page.text.contains("no per-feature coefficients"));
}

#[test]
fn a_missing_or_changed_data_file_leaves_predictions_out_with_a_reason() {
    let out = scratch("report-data");
    let (code, _, err) = run(&[
        "run",
        "pipelines/penguins_species.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let dir = run_dir(&out);
    let (code, _, err) = run(&["report", dir.to_str().unwrap(), "--data", "data/nope.csv"]);
    assert_eq!(code, 0, "{err}");
    let page = html_check::check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    assert!(page.text.contains("data/nope.csv is not there; pass --data FILE"));
    page.has_chart("cv accuracy per candidate");
    let (code, _, err) = run(&["report", dir.to_str().unwrap(), "--data", "data/iris.csv"]);
    assert_eq!(code, 0, "{err}");
    let page = html_check::check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    assert!(page.text.contains("has changed since the run"), "{}", page.text);
    assert!(!page.charts.iter().any(|c| c.starts_with("Confusion")));
}

#[test]
fn not_a_run_directory_is_exit_code_2() {
    let (code, _, err) = run(&["report", "data"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a run directory"), "{err}");
    let (code, _, err) = run(&["report", "no/such/run"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/run"), "{err}");
    let dir = scratch("report-corrupt");
    std::fs::write(dir.join("pipeline.toml"), "[pipeline]\n").unwrap();
    std::fs::write(dir.join("summary.json"), "{ not json").unwrap();
    let (code, _, err) = run(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("summary.json: not a kiln summary"), "{err}");
}
