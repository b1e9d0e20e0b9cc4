//! `kiln report RUN_DIR`: report.html of real runs of the shipped pipelines, for each kind of task.

mod common;
mod html_check;

use common::{json, run, run_dir, scratch, signal_after_trials};
use std::path::{Path, PathBuf};

/// Runs a shipped pipeline into a scratch folder (exit 0, or 1 for an unmet [expect]); returns the
/// run directory.
fn run_shipped(pipeline: &str, name: &str) -> PathBuf {
    run_pipeline(&format!("pipelines/{pipeline}.toml"), &scratch(name))
}

/// Runs a pipeline file into `out` (exit 0, or 1 for an unmet [expect]); returns the run directory.
fn run_pipeline(pipeline: &str, out: &Path) -> PathBuf {
    let (code, _, err) = run(&["run", pipeline, "--out", out.to_str().unwrap(), "--quiet"]);
    assert!(code == 0 || code == 1, "{pipeline}: {err}");
    assert!(!err.contains("report.html"), "no report warning: {err}");
    run_dir(out)
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
    page.has_chart("Precision-recall curve");
    page.has_chart("Reliability curve (10 bins)");
    assert!(
        page.text.contains("malignant (AP "),
        "the average precision is named"
    );
    page.has_chart("permutation importance (roc_auc)");
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
    let (dir, page) = run_and_report("penguins_species", "report-multiclass");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let doc = parse(&html);
    // n_estimators is a parameter of two model types here (random forest 100, gradient boosting
    // 50): two series of one candidate each, not one line from 50 to 100.
    let sweep = chart(&doc, "cv accuracy by model.n_estimators");
    assert_eq!(
        series_names(sweep),
        ["random_forest", "gradient_boosting"],
        "one series per model type"
    );
    assert_eq!(
        polylines(sweep),
        0,
        "a single value per model type joins nothing"
    );
    // model.type is a category: dots, no line between model types.
    let types = chart(&doc, "cv accuracy by model.type");
    assert_eq!(series_names(types).len(), 6);
    assert_eq!(polylines(types), 0, "no line joins categorical values");
    for title in [
        "cv accuracy per candidate, best first",
        "cv accuracy by model.n_estimators",
        "cv accuracy by model.type",
        "cv accuracy by model.C",
    ] {
        assert_axis_and_whiskers_within(chart(&doc, title), 0.0, 1.0);
    }
    page.has_chart("Confusion matrix");
    page.has_chart("ROC curve");
    page.has_chart("cv accuracy by model.type");
    page.has_chart("Precision-recall curve");
    for class in ["Adelie", "Chinstrap", "Gentoo"] {
        assert!(
            page.text.contains(&format!("{class} vs rest (AUC ")),
            "{class}"
        );
        assert!(
            page.text.contains(&format!("{class} vs rest (AP ")),
            "{class}"
        );
    }
}

/// A pipeline sweeping one parameter, max_depth, over two model types: a tree and a small forest.
const TWO_MODEL_SWEEP: &str = r#"
[pipeline]
name = "two-model-sweep"
task = "classification"
seed = 1

[data]
path = "DATA"
target = "species"

[impute]
numeric = "median"
categorical = "most_frequent"

[encode]
method = "one_hot"

[model]
type = "decision_tree"

[search]
metric = "balanced_accuracy"

[[grid]]
model.type = "decision_tree"
model.max_depth = [1, 2, 4]

[[grid]]
model.type = "random_forest"
model.n_estimators = [10]
model.max_depth = [1, 2, 4]
"#;

#[test]
fn a_sweep_over_two_model_types_draws_one_line_per_model_type_within_the_metric_s_bounds() {
    let out = scratch("report-two-model-sweep");
    let pipeline = out.join("sweep.toml");
    let data = common::root().join("data/penguins.csv");
    std::fs::write(
        &pipeline,
        TWO_MODEL_SWEEP.replace("DATA", data.to_str().unwrap()),
    )
    .unwrap();
    let (html, page) = page_of(&run_pipeline(pipeline.to_str().unwrap(), &out.join("runs")));
    let doc = parse(&html);
    let sweep = chart(&doc, "cv balanced_accuracy by model.max_depth");
    assert_eq!(
        series_names(sweep),
        ["decision_tree", "random_forest"],
        "one series per model type"
    );
    for g in series_groups(sweep) {
        let lines: Vec<_> = g
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .collect();
        assert_eq!(lines.len(), 1, "one line per model type");
        let points = lines[0].attribute("points").unwrap().split(' ').count();
        assert_eq!(points, 3, "through its best candidate at each max_depth");
    }
    assert_eq!(
        polylines(chart(&doc, "cv balanced_accuracy by model.type")),
        0
    );
    for title in [
        "cv balanced_accuracy per candidate, best first",
        "cv balanced_accuracy by model.max_depth",
    ] {
        assert_axis_and_whiskers_within(chart(&doc, title), 0.0, 1.0);
    }
    // The best model is a tree or a forest: its importances say what they are.
    assert!(
        page.text.contains("impurity decrease"),
        "the importances are explained: {}",
        page.text
    );
}

#[test]
fn multinomial_logistic_importances_are_named_as_coefficient_norms() {
    let dir = run_pipeline(
        "tests/reference/penguins_logreg.toml",
        &scratch("report-multinomial"),
    );
    let (html, page) = page_of(&dir);
    page.has_chart("Model coefficient norms");
    let doc = parse(&html);
    let bars = chart(&doc, "Model coefficient norms");
    assert!(
        texts(bars).contains(&"norm of the 3 class coefficients".to_string()),
        "the axis says what a bar is: {:?}",
        texts(bars)
    );
    assert!(
        page.text.contains(
            "the Euclidean norm (root of the sum of squares) of a column's 3 class coefficients"
        ),
        "{}",
        page.text
    );
    assert!(!page.text.contains("Feature importances"));
}

#[test]
fn a_clustering_report_shows_cluster_sizes_of_every_row() {
    let (dir, page) = run_and_report("iris_clusters", "report-clustering");
    page.has_chart("Cluster sizes");
    page.has_chart("cv silhouette by model.n_clusters");
    page.has_chart("inertia by model.n_clusters");
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

fn parse(html: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, opts).unwrap()
}

/// The chart (an `<svg>`) whose title is `title`.
fn chart<'a, 'i>(doc: &'a roxmltree::Document<'i>, title: &str) -> roxmltree::Node<'a, 'i> {
    doc.descendants()
        .filter(|n| n.has_tag_name("svg"))
        .find(|svg| {
            svg.children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
                == Some(title)
        })
        .unwrap_or_else(|| panic!("no chart titled `{title}`"))
}

fn with_class<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    class: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.descendants()
        .filter(move |n| n.has_tag_name("g") && n.attribute("class") == Some(class))
}

fn series_groups<'a, 'i>(svg: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    with_class(svg, "series").collect()
}

fn series_names(svg: roxmltree::Node) -> Vec<String> {
    series_groups(svg)
        .iter()
        .map(|g| g.attribute("data-series").unwrap_or_default().to_string())
        .collect()
}

fn polylines(svg: roxmltree::Node) -> usize {
    svg.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .count()
}

fn texts(svg: roxmltree::Node) -> Vec<String> {
    svg.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|t| t.text().unwrap_or_default().to_string())
        .collect()
}

fn coordinate(n: roxmltree::Node, name: &str) -> f64 {
    n.attribute(name).unwrap().parse().unwrap()
}

/// The y axis of a dot chart and every whisker stay inside [lo, hi]: pixels are read back as values
/// through the axis' own ticks.
fn assert_axis_and_whiskers_within(svg: roxmltree::Node, lo: f64, hi: f64) {
    let axis = with_class(svg, "y-axis").next().expect("a y axis");
    // (value, pixel) of each tick; its label sits 4px below it.
    let ticks: Vec<(f64, f64)> = axis
        .children()
        .filter(|n| n.has_tag_name("text"))
        .map(|t| (t.text().unwrap().parse().unwrap(), coordinate(t, "y") - 4.0))
        .collect();
    assert!(ticks.len() >= 2, "{ticks:?}");
    let ((v1, y1), (v2, y2)) = (ticks[0], ticks[ticks.len() - 1]);
    let value_at = |y: f64| v1 + (y - y1) * (v2 - v1) / (y2 - y1);
    // Pixels carry one decimal: allow the value of a tenth of a pixel.
    let slack = ((v2 - v1) / (y2 - y1)).abs() * 0.11;
    let inside = |v: f64| v >= lo - slack && v <= hi + slack;
    let line = axis
        .children()
        .filter(|n| n.has_tag_name("line"))
        .find(|l| {
            coordinate(*l, "x1") == coordinate(*l, "x2")
                && coordinate(*l, "y1") != coordinate(*l, "y2")
        })
        .expect("the axis line");
    for end in ["y1", "y2"] {
        let v = value_at(coordinate(line, end));
        assert!(inside(v), "the axis reaches {v}, outside [{lo}, {hi}]");
    }
    let whiskers: Vec<f64> = with_class(svg, "whisker")
        .flat_map(|g| g.children().filter(|n| n.has_tag_name("line")))
        .flat_map(|l| [coordinate(l, "y1"), coordinate(l, "y2")])
        .collect();
    assert!(!whiskers.is_empty());
    for y in whiskers {
        let v = value_at(y);
        assert!(inside(v), "a whisker reaches {v}, outside [{lo}, {hi}]");
    }
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

/// Runs hist_gradient_boosting on the shipped breast cancer data, early stopping on or off; returns
/// the run directory, the page's text and its parsed checks.
fn hist_gb_run(early_stopping: bool, name: &str) -> (PathBuf, String, html_check::CheckedPage) {
    let out = scratch(name);
    let data = common::root().join("data/breast_cancer.csv");
    let pipeline = scratch(&format!("{name}-pipeline")).join("hgb.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\nname = \"hgb\"\ntask = \"classification\"\nseed = 3\n\n\
             [data]\npath = {:?}\ntarget = \"target\"\npositive_class = \"malignant\"\n\n\
             [model]\ntype = \"hist_gradient_boosting\"\nearly_stopping = {early_stopping}\n\
             validation_fraction = 0.2\nn_iter_no_change = 5\nmax_iter = 200\n\n\
             [search]\nmetric = \"log_loss\"\n\n[grid]\nmodel.learning_rate = [0.1, 0.3]\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let dir = run_pipeline(pipeline.to_str().unwrap(), &out);
    let (html, page) = page_of(&dir);
    (dir, html, page)
}

#[test]
fn a_hist_gb_report_with_early_stopping_draws_the_validation_loss_per_iteration() {
    let (dir, html, page) = hist_gb_run(true, "report-hgb-early");
    let model = json(&dir.join("model.json"));
    let hgb = &model["model"];
    assert_eq!(hgb["kind"], "hist_gradient_boosting");
    let losses: Vec<f64> = hgb["validation_loss"]
        .as_array()
        .unwrap_or_else(|| panic!("no validation_loss in {hgb}"))
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let iterations = hgb["trees"].as_array().unwrap().len();
    assert_eq!(
        losses.len(),
        iterations + 1,
        "the baseline, then one per iteration"
    );
    assert!(iterations < 200, "with 5 rounds of patience it stops early");
    let doc = parse(&html);
    let curve = chart(&doc, "Validation loss per iteration");
    let line = curve
        .descendants()
        .find(|n| n.has_tag_name("polyline"))
        .expect("the curve");
    let points = line.attribute("points").unwrap().split(' ').count();
    assert_eq!(
        points,
        losses.len(),
        "one point per entry of validation_loss"
    );
    let labels = texts(curve);
    for axis in ["iteration", "validation log loss"] {
        assert!(
            labels.iter().any(|t| t == axis),
            "axis `{axis}`: {labels:?}"
        );
    }
    let best = (0..losses.len()).fold(0, |b, i| if losses[i] < losses[b] { i } else { b });
    let marks: Vec<String> = with_class(curve, "mark")
        .flat_map(|g| g.children().filter(|n| n.has_tag_name("text")))
        .map(|t| t.text().unwrap_or_default().to_string())
        .collect();
    assert!(
        marks
            .iter()
            .any(|m| m.starts_with(&format!("stopped: iteration {iterations} "))),
        "{marks:?}"
    );
    assert!(
        marks
            .iter()
            .any(|m| m.starts_with(&format!("best: iteration {best} "))),
        "{marks:?}"
    );
    assert!(page.text.contains("validation_score_ is minus this loss"));
    // Importances show as for the other tree models.
    page.has_chart("The 25 largest importances of 30");
    assert!(page.text.contains("Feature importances"), "{}", page.text);
    assert!(page.text.contains("importance_type = \"gain\""));
}

#[test]
fn a_hist_gb_report_without_early_stopping_has_no_loss_curve() {
    let (dir, _, page) = hist_gb_run(false, "report-hgb-late");
    let model = json(&dir.join("model.json"));
    assert_eq!(model["model"]["kind"], "hist_gradient_boosting");
    assert!(model["model"]["validation_loss"].is_null());
    assert!(
        !page.charts.iter().any(|c| c.starts_with("Validation loss")),
        "{:?}",
        page.charts
    );
    assert!(!page.text.contains("Early stopping"));
    page.has_chart("The 25 largest importances of 30");
}
