//! `kiln report RUN_DIR`: report.html of real runs of the shipped pipelines, for each kind of task.

mod common;
mod html_check;

use common::{json, run, run_dir, scratch, signal_after_trials};
use std::path::{Path, PathBuf};

/// Runs a shipped pipeline into a scratch folder (exit 0, or 1 for an unmet [expect]); returns the
/// run directory.
fn run_shipped(pipeline: &str, name: &str) -> PathBuf {
    let out = scratch(name);
    let (code, _, err) = run(&[
        "run",
        &format!("pipelines/{pipeline}.toml"),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(code == 0 || code == 1, "{pipeline}: {err}");
    assert!(!err.contains("report.html"), "no report warning: {err}");
    run_dir(&out)
}

/// Runs a shipped pipeline and writes its report with `kiln report`; returns the run directory and
/// the checked page.
fn run_and_report(pipeline: &str, name: &str) -> (PathBuf, html_check::CheckedPage) {
    let dir = run_shipped(pipeline, name);
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

/// The leaderboard table: a header, then one row per successful candidate, the best first.
fn leaderboard(page: &html_check::CheckedPage) -> &Vec<Vec<String>> {
    page.tables
        .iter()
        .find(|t| t[0].first().map(String::as_str) == Some("rank"))
        .expect("a leaderboard")
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
    let board = leaderboard(&page);
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
    assert!(
        (rmse - expected).abs() / expected < 1e-3,
        "{rmse} vs {expected}"
    );
    assert!(page.text.contains("586 holdout rows"));
    assert!(
        page.pre[0].contains("name = \"house-prices\""),
        "the pipeline as run"
    );
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
        assert!(
            page.text.contains(&format!("{class} vs rest (AUC ")),
            "{class}"
        );
    }
}

#[test]
fn a_clustering_report_shows_cluster_sizes_of_every_row() {
    let (dir, page) = run_and_report("iris_clusters", "report-clustering");
    page.has_chart("Cluster sizes");
    page.has_chart("cv silhouette by model.n_clusters");
    assert!(page.text.contains("150 training rows (no holdout)"));
    let summary = json(&dir.join("summary.json"));
    let k = summary["best"]["params"]["model.n_clusters"]
        .as_u64()
        .unwrap();
    for c in 0..k {
        assert!(page.text.contains(&format!("cluster {c}")), "cluster {c}");
    }
    assert!(page.text.contains("no per-feature coefficients"));
}

#[test]
fn a_missing_or_changed_data_file_leaves_predictions_out_with_a_reason() {
    let dir = run_shipped("penguins_species", "report-data");
    let (code, _, err) = run(&["report", dir.to_str().unwrap(), "--data", "data/nope.csv"]);
    assert_eq!(code, 0, "{err}");
    let page = html_check::check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    assert!(page
        .text
        .contains("data/nope.csv is not there; pass --data FILE"));
    page.has_chart("cv accuracy per candidate");
    let (code, _, err) = run(&["report", dir.to_str().unwrap(), "--data", "data/iris.csv"]);
    assert_eq!(code, 0, "{err}");
    let page = html_check::check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    assert!(
        page.text.contains("has changed since the run"),
        "{}",
        page.text
    );
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

fn page_of(dir: &Path) -> (String, html_check::CheckedPage) {
    let html = std::fs::read_to_string(dir.join("report.html"))
        .unwrap_or_else(|e| panic!("{}: no report.html: {e}", dir.display()));
    let page = html_check::check(&html);
    (html, page)
}

#[test]
fn a_plain_run_writes_report_html_into_its_run_directory() {
    let dir = run_shipped("breast_cancer", "report-by-run");
    let (html, page) = page_of(&dir);
    let board = leaderboard(&page);
    assert_eq!(board.len(), 1 + candidates_ok(&dir));
    for chart in [
        "cv roc_auc per candidate, best first",
        "cv roc_auc by model.C",
        "Confusion matrix",
        "ROC curve",
    ] {
        page.has_chart(chart);
    }
    assert!(
        page.charts
            .iter()
            .any(|c| c.contains("coefficients") || c.contains("importances")),
        "{:?}",
        page.charts
    );
    assert!(page.pre[0].contains("[pipeline]"), "the pipeline as run");
    assert!(page.text.contains("(complete)"), "{}", page.text);
    // The run's report is the one `kiln report` writes from the run directory: the same rows
    // predicted, the same data.
    let (code, _, err) = run(&["report", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(page_of(&dir).0, html, "kiln report rewrites the same page");
}

#[test]
fn shards_and_their_merge_each_get_a_report() {
    let out = scratch("report-shards");
    let shards = out.join("shards");
    for i in 1..=2 {
        let (code, _, err) = run(&[
            "run",
            "pipelines/iris_clusters.toml",
            "--shard",
            &format!("{i}/2"),
            "--out",
            shards.to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let mut shard_dirs = Vec::new();
    for p in std::fs::read_dir(&shards).unwrap() {
        for d in std::fs::read_dir(p.unwrap().path()).unwrap() {
            shard_dirs.push(d.unwrap().path());
        }
    }
    assert_eq!(shard_dirs.len(), 2);
    for d in &shard_dirs {
        let (_, page) = page_of(d);
        page.has_chart("cv silhouette per candidate");
        assert!(page.text.contains("which refits nothing"), "{}", page.text);
    }
    let merged = out.join("merged");
    let (code, _, err) = run(&[
        "merge",
        shards.to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    let dir = run_dir(&merged);
    let (_, page) = page_of(&dir);
    page.has_chart("cv silhouette by model.n_clusters");
    page.has_chart("Cluster sizes");
    assert!(page.text.contains("150 training rows (no holdout)"));
}

#[test]
fn an_interrupted_run_reports_what_finished() {
    let out = scratch("report-interrupted");
    // 40 ridge fits of ames, one at a time: long enough to stop after the first few.
    let alphas: Vec<String> = (1..=40).map(|i| format!("{i}.0")).collect();
    let args: Vec<String> = [
        "run",
        "tests/reference/ames_ridge.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--jobs",
        "1",
        "--set",
        &format!("grid.model.alpha=[{}]", alphas.join(",")),
    ]
    .map(String::from)
    .to_vec();
    let (code, dir) = signal_after_trials(&args, &out.join("ames_ridge"), 2, "-INT");
    assert_eq!(code, 130);
    let dir = dir.as_path();
    assert_eq!(json(&dir.join("summary.json"))["status"], "interrupted");
    let kept = candidates_ok(dir);
    assert!((2..40).contains(&kept), "{kept} trials kept");
    let (_, page) = page_of(dir);
    let board = leaderboard(&page);
    assert_eq!(board.len(), 1 + kept, "the finished candidates");
    page.has_chart("cv r2 per candidate");
    assert!(
        page.text.contains("interrupted before the refit"),
        "{}",
        page.text
    );
}
