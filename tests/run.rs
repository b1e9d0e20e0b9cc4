//! `kiln run` and `kiln validate` through the real binary: every example pipeline, every data format,
//! determinism across thread counts, the plan, and expectations.

mod common;
use common::*;
use polars::prelude::*;
use std::path::Path;

fn run_ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "kiln {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// Runs a pipeline into a fresh folder and returns its run directory.
fn run_pipeline(pipeline: &str, tag: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = scratch(tag);
    let mut args = vec!["run", pipeline, "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    run_ok(&args);
    run_dir(&out)
}

fn assert_complete_run(dir: &Path) {
    for f in [
        "pipeline.toml",
        "trials.jsonl",
        "summary.json",
        "model.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing in {}", dir.display());
    }
    let summary = json(&dir.join("summary.json"));
    assert_eq!(summary["status"], "complete");
    assert!(summary["best"]["mean"].is_object());
    let model = json(&dir.join("model.json"));
    assert_eq!(model["format"], "kiln-model");
}

#[test]
fn house_prices_runs_and_its_expectation_holds() {
    let dir = run_pipeline("pipelines/house_prices.toml", "house", &[]);
    assert_complete_run(&dir);
    let trials = trials(&dir);
    assert_eq!(trials.len(), 10);
    let summary = json(&dir.join("summary.json"));
    // The exact solver wins; gradient descent with few epochs and a small step does not get there.
    assert_eq!(summary["best"]["params"]["model.solver"], "normal");
    assert!(summary["test"]["r2"].as_f64().unwrap() > 0.6);
    assert_eq!(summary["expect"][0]["passed"], true);
    assert_eq!(summary["data"]["test_rows"], 586);
}

#[test]
fn ames_ridge_uses_every_column() {
    let dir = run_pipeline("pipelines/ames_ridge.toml", "ames", &[]);
    assert_complete_run(&dir);
    let model = json(&dir.join("model.json"));
    assert!(
        model["preprocessor"]["output_names"]
            .as_array()
            .unwrap()
            .len()
            > 250
    );
    assert!(
        json(&dir.join("summary.json"))["best"]["mean"]["r2"]
            .as_f64()
            .unwrap()
            > 0.8
    );
}

#[test]
fn classification_and_clustering_examples_run() {
    let dir = run_pipeline("pipelines/penguins_species.toml", "penguins", &[]);
    assert_complete_run(&dir);
    let trials = trials(&dir);
    let models: std::collections::BTreeSet<String> = trials
        .iter()
        .map(|t| t["params"]["model.type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(models.len(), 6, "{models:?}");
    assert!(trials.iter().all(|t| t["status"] == "ok"), "{trials:?}");
    let model = json(&dir.join("model.json"));
    assert_eq!(
        model["classes"],
        serde_json::json!(["Adelie", "Chinstrap", "Gentoo"])
    );

    let dir = run_pipeline("pipelines/breast_cancer.toml", "cancer", &[]);
    assert_complete_run(&dir);
    let summary = json(&dir.join("summary.json"));
    assert_eq!(summary["metric"], "roc_auc");
    assert!(
        summary["expect"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["passed"] == true),
        "{summary}"
    );

    let dir = run_pipeline("pipelines/iris_clusters.toml", "iris", &[]);
    assert_complete_run(&dir);
    let summary = json(&dir.join("summary.json"));
    assert_eq!(summary["metric"], "silhouette");
    assert_eq!(summary["best"]["params"]["model.n_clusters"], 2);
}

/// flights.parquet has 336,776 rows; the test runs the pipeline on the first 30,000.
#[test]
fn flights_pipeline_runs_on_a_sample_and_counts_missing_targets() {
    let out = scratch("flights-sample");
    let sample = out.join("flights_sample.parquet");
    let mut df =
        ParquetReader::new(std::fs::File::open(root().join("data/flights.parquet")).unwrap())
            .finish()
            .unwrap()
            .slice(0, 30_000);
    ParquetWriter::new(std::fs::File::create(&sample).unwrap())
        .finish(&mut df)
        .unwrap();
    let set = format!("data.path={}", sample.display());
    let dir = run_pipeline("pipelines/flights_delay.toml", "flights", &["--set", &set]);
    assert_complete_run(&dir);
    let summary = json(&dir.join("summary.json"));
    let dropped = summary["data"]["dropped_missing_target"].as_u64().unwrap();
    assert!(dropped > 0, "cancelled flights have no arrival delay");
    assert_eq!(
        summary["data"]["rows_used"].as_u64().unwrap() + dropped,
        30_000
    );
    assert_eq!(summary["metric"], "rmse");
    // Derived column and max_categories made it into the design matrix.
    let names = json(&dir.join("model.json"))["preprocessor"]["output_names"].clone();
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(names.contains(&"evening"));
    assert!(names.contains(&"dest=__other"));
    assert!(names.contains(&"month=1"), "month is categorical");
}

#[test]
fn results_are_identical_for_one_and_four_threads() {
    for pipeline in [
        "pipelines/penguins_species.toml",
        "tests/reference/ames_ridge.toml",
    ] {
        let one = run_pipeline(pipeline, "det-1", &["--jobs", "1"]);
        let four = run_pipeline(pipeline, "det-4", &["--jobs", "4"]);
        assert_eq!(
            trials_without_times(&one),
            trials_without_times(&four),
            "{pipeline}"
        );
        let model = |d: &Path| {
            let mut m = json(&d.join("model.json"));
            m.as_object_mut().unwrap().remove("created_at");
            m
        };
        assert_eq!(model(&one), model(&four), "{pipeline}: model.json differs");
    }
}

#[test]
fn every_data_format_reads_the_same_rows() {
    let out = scratch("formats");
    let mut df = CsvReadOptions::default()
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(root().join("data/penguins.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let write = |name: &str, df: &mut DataFrame| {
        let path = out.join(name);
        let mut f = std::fs::File::create(&path).unwrap();
        match name.rsplit('.').next().unwrap() {
            "csv" => CsvWriter::new(&mut f).finish(df).unwrap(),
            "tsv" => CsvWriter::new(&mut f)
                .with_separator(b'\t')
                .finish(df)
                .unwrap(),
            "parquet" => {
                ParquetWriter::new(&mut f).finish(df).unwrap();
            }
            "json" => JsonWriter::new(&mut f)
                .with_json_format(JsonFormat::Json)
                .finish(df)
                .unwrap(),
            "ndjson" | "jsonl" => JsonWriter::new(&mut f)
                .with_json_format(JsonFormat::JsonLines)
                .finish(df)
                .unwrap(),
            "arrow" | "ipc" => IpcWriter::new(&mut f).finish(df).unwrap(),
            other => panic!("{other}"),
        }
        path
    };
    for name in [
        "p.csv",
        "p.tsv",
        "p.parquet",
        "p.json",
        "p.ndjson",
        "p.jsonl",
        "p.arrow",
        "p.ipc",
    ] {
        let path = write(name, &mut df);
        let pipeline = out.join(format!("{name}.toml"));
        std::fs::write(
            &pipeline,
            format!(
                "[pipeline]\ntask = \"classification\"\n[data]\npath = \"{}\"\ntarget = \"species\"\n[model]\ntype = \"naive_bayes\"\n",
                path.file_name().unwrap().to_string_lossy()
            ),
        )
        .unwrap();
        let stdout = run_ok(&["validate", pipeline.to_str().unwrap()]);
        assert!(
            stdout.contains(
                "344 rows x 8 columns; 344 rows used, 7 features: 5 numeric, 2 categorical"
            ),
            "{name}: {stdout}"
        );
    }
}

#[test]
fn validate_and_dry_run_print_the_plan_and_fit_nothing() {
    let out = scratch("plan");
    let stdout = run_ok(&["validate", "pipelines/house_prices.toml"]);
    assert!(
        stdout.contains("plan: 10 candidates x 5 folds = 50 fits"),
        "{stdout}"
    );
    assert!(
        stdout.contains("candidate 9: linear_regression model.solver=normal scale.method=standard"),
        "{stdout}"
    );
    let stdout = run_ok(&[
        "run",
        "pipelines/ames_ridge.toml",
        "--dry-run",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("plan: 5 candidates x 5 folds = 25 fits"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "a dry run writes nothing"
    );
}

#[test]
fn set_overrides_apply_and_are_recorded() {
    let dir = run_pipeline(
        "pipelines/ames_ridge.toml",
        "set",
        &["--set", "grid.model.alpha=[5.0]", "--set", "cv.folds=3"],
    );
    let trials = trials(&dir);
    assert_eq!(trials.len(), 1);
    assert_eq!(trials[0]["folds"].as_array().unwrap().len(), 3);
    let as_run = std::fs::read_to_string(dir.join("pipeline.toml")).unwrap();
    assert!(as_run.contains("folds = 3"), "{as_run}");
    let summary = json(&dir.join("summary.json"));
    assert!(summary["command"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "cv.folds=3"));
}

#[test]
fn a_failed_expectation_exits_1_and_still_writes_the_run() {
    let out = scratch("expect");
    let (code, stdout, _) = run(&[
        "run",
        "pipelines/house_prices.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--set",
        "expect.cv.r2={ min = 0.99 }",
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("expect cv.r2 >= 0.99") && stdout.contains("FAILED"),
        "{stdout}"
    );
    let summary = json(&run_dir(&out).join("summary.json"));
    assert_eq!(summary["expect"][0]["passed"], false);
}
