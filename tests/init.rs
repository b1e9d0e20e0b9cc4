//! `kiln init DATA --target COL -o FILE`: on every shipped dataset the written pipeline runs as it is
//! (exit 0, a model.json), with the task inferred from the target and ID-like and leaking columns left
//! out; and the command refuses to overwrite what it should not.

mod common;

use common::{json, root, run, run_dir, scratch};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A written pipeline and the run of it.
struct Started {
    file: PathBuf,
    pipeline: toml::Table,
    text: String,
    run_dir: PathBuf,
}

impl Started {
    fn get(&self, section: &str, key: &str) -> &toml::Value {
        self.pipeline[section]
            .get(key)
            .unwrap_or_else(|| panic!("no {section}.{key} in\n{}", self.text))
    }

    fn task(&self) -> &str {
        self.get("pipeline", "task").as_str().unwrap()
    }

    /// data.drop, or nothing.
    fn dropped(&self) -> Vec<String> {
        self.pipeline["data"]
            .get("drop")
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    /// The columns the model was fitted on (model.json's inputs).
    fn inputs(&self) -> Vec<String> {
        json(&self.run_dir.join("model.json"))["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    }
}

/// `kiln init DATA --target TARGET -o <scratch>/pipeline.toml`, then `kiln run` of it; both must exit 0
/// and the run must leave a model and its report.
fn init_and_run(data: &Path, target: &str, name: &str) -> Started {
    let dir = scratch(name);
    let file = dir.join("pipeline.toml");
    let t0 = Instant::now();
    let (code, stdout, err) = run(&[
        "init",
        data.to_str().unwrap(),
        "--target",
        target,
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "init {}: {err}", data.display());
    assert!(stdout.contains("next: kiln run"), "{stdout}");
    let init_seconds = t0.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&file).unwrap();
    let t1 = Instant::now();
    let out = dir.join("runs");
    let (code, _, err) = run(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        code,
        0,
        "the pipeline init wrote for {} does not run: {err}\n{text}",
        data.display()
    );
    eprintln!(
        "{}: init {init_seconds:.2} s, run {:.2} s",
        data.display(),
        t1.elapsed().as_secs_f64()
    );
    let run_dir = run_dir(&out);
    assert!(run_dir.join("model.json").is_file(), "no model.json");
    assert!(run_dir.join("report.html").is_file(), "no report.html");
    assert_eq!(json(&run_dir.join("summary.json"))["status"], "complete");
    Started {
        file,
        pipeline: toml::from_str(&text).expect("init writes TOML"),
        text,
        run_dir,
    }
}

fn shipped(file: &str) -> PathBuf {
    root().join("data").join(file)
}

#[test]
fn ames_price_is_a_regression_without_its_two_ids() {
    let s = init_and_run(&shipped("ames.csv"), "price", "init-ames");
    assert_eq!(s.task(), "regression");
    assert_eq!(s.get("model", "type").as_str(), Some("ridge"));
    assert_eq!(s.get("search", "metric").as_str(), Some("r2"));
    let dropped = s.dropped();
    for id in ["Order", "PID"] {
        assert!(dropped.iter().any(|d| d == id), "{id} is kept: {dropped:?}");
    }
    assert!(s
        .text
        .contains("ID-like: 2930 distinct values in 2930 rows"));
    let inputs = s.inputs();
    assert!(!inputs.iter().any(|i| i == "Order" || i == "PID"));
    for kept in ["area", "Neighborhood", "Bedroom.AbvGr", "Overall.Qual"] {
        assert!(inputs.iter().any(|i| i == kept), "{kept} is left out");
    }
    assert!(
        s.pipeline["search"]["metrics"]
            .as_array()
            .unwrap()
            .contains(&"rmse".into()),
        "{}",
        s.text
    );
}

#[test]
fn penguins_species_is_a_three_class_classification() {
    let s = init_and_run(&shipped("penguins.csv"), "species", "init-penguins");
    assert_eq!(s.task(), "classification");
    assert!(
        s.text.contains("`species` is text with 3 classes"),
        "{}",
        s.text
    );
    assert_eq!(s.get("model", "type").as_str(), Some("logistic_regression"));
    assert!(s.dropped().is_empty(), "{:?}", s.dropped());
    let inputs = s.inputs();
    assert_eq!(inputs.len(), 7, "every other column is kept: {inputs:?}");
    // roc_auc is for two classes only in the starter metrics (one-vs-rest needs no extra care, but
    // the starter keeps to the metrics every classification supports).
    let metrics = s.pipeline["search"]["metrics"].as_array().unwrap();
    assert!(!metrics.contains(&"roc_auc".into()), "{metrics:?}");
}

#[test]
fn iris_and_wine_are_classifications_of_every_column() {
    for (file, columns) in [("iris.csv", 4), ("wine.csv", 13)] {
        let s = init_and_run(&shipped(file), "target", &format!("init-{file}"));
        assert_eq!(s.task(), "classification", "{file}");
        assert!(s.dropped().is_empty(), "{file}: {:?}", s.dropped());
        assert_eq!(s.inputs().len(), columns, "{file}");
        let summary = json(&s.run_dir.join("summary.json"));
        assert!(
            summary["test"]["accuracy"].as_f64().unwrap() > 0.8,
            "{summary}"
        );
    }
}

#[test]
fn breast_cancer_is_a_binary_classification_scored_by_roc_auc_too() {
    let s = init_and_run(
        &shipped("breast_cancer.csv"),
        "target",
        "init-breast-cancer",
    );
    assert_eq!(s.task(), "classification");
    assert!(s.text.contains("with 2 classes"), "{}", s.text);
    let metrics = s.pipeline["search"]["metrics"].as_array().unwrap();
    assert!(metrics.contains(&"roc_auc".into()), "{metrics:?}");
    let summary = json(&s.run_dir.join("summary.json"));
    assert!(
        summary["test"]["roc_auc"].as_f64().unwrap() > 0.9,
        "{summary}"
    );
}

#[test]
fn diabetes_target_is_a_regression() {
    let s = init_and_run(&shipped("diabetes.csv"), "target", "init-diabetes");
    assert_eq!(s.task(), "regression");
    assert!(
        s.text
            .contains("`target` is numeric with 214 distinct values"),
        "{}",
        s.text
    );
    assert_eq!(s.inputs().len(), 10);
}

#[test]
fn flights_runs_in_seconds_without_its_constant_and_its_time_stamps() {
    let started = Instant::now();
    let s = init_and_run(&shipped("flights.parquet"), "arr_delay", "init-flights");
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(s.task(), "regression");
    let dropped = s.dropped();
    assert_eq!(dropped, ["year", "time_hour"], "{}", s.text);
    assert!(
        s.text.contains("9430 rows have no `arr_delay`"),
        "{}",
        s.text
    );
    assert_eq!(
        s.get("cv", "folds").as_integer(),
        Some(3),
        "3 folds on 327k rows"
    );
    assert!(s.get("encode", "max_categories").is_integer());
    let summary = json(&s.run_dir.join("summary.json"));
    assert_eq!(summary["data"]["rows_used"], 327_346);
    // A debug build on two cores takes about 7 s; the bound catches a starter grid grown tenfold.
    assert!(seconds < 60.0, "init and run took {seconds:.1} s");
}

/// A small table with an ID, a date written as text and a 0/1 target.
fn write_churn(path: &Path) {
    let mut csv = String::from("customer_id,signup,plan,usage,churn\n");
    for i in 0..80 {
        let churn = i % 2;
        let usage = 10.0 + 5.0 * churn as f64 + (i * 7 % 11) as f64 * 0.3;
        let plan = ["basic", "pro", "team"][i % 3];
        csv.push_str(&format!(
            "{},2024-{:02}-{:02},{plan},{usage},{churn}\n",
            1000 + i * 3,
            i % 12 + 1,
            i % 28 + 1
        ));
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn ids_and_dates_are_left_out_and_a_few_whole_numbers_are_classes() {
    let dir = scratch("init-churn-data");
    let data = dir.join("churn.csv");
    write_churn(&data);
    let s = init_and_run(&data, "churn", "init-churn");
    assert_eq!(s.task(), "classification", "{}", s.text);
    assert!(
        s.text.contains("`churn` holds 2 distinct whole numbers"),
        "{}",
        s.text
    );
    assert_eq!(s.dropped(), ["customer_id", "signup"], "{}", s.text);
    assert_eq!(s.inputs(), ["plan", "usage"]);
}

/// Houses whose price is noisy in their area and rooms, and a `price_k` column that is the price in
/// thousands: the target in disguise (r = 1).
fn write_houses(path: &Path) {
    let mut csv = String::from("area,rooms,price_k,price\n");
    for i in 0..200u64 {
        let area = 50 + (i * 37) % 150;
        let rooms = 1 + i % 5;
        let noise = ((i * 7919) % 101) as f64 / 101.0;
        let price = 1000.0 * area as f64 + 5000.0 * rooms as f64 + 200_000.0 * noise;
        csv.push_str(&format!("{area},{rooms},{},{price}\n", price / 1000.0));
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn a_column_that_leaks_the_target_is_left_out_with_the_reason() {
    let dir = scratch("init-leak-data");
    let data = dir.join("houses.csv");
    write_houses(&data);
    let s = init_and_run(&data, "price", "init-leak");
    assert_eq!(s.dropped(), ["price_k"], "{}", s.text);
    let reason = s
        .text
        .lines()
        .find(|l| l.contains("\"price_k\","))
        .unwrap_or_else(|| panic!("no drop line for price_k in\n{}", s.text));
    assert!(reason.contains("leakage?"), "{reason}");
    assert!(reason.contains("r = 1"), "{reason}");
    assert_eq!(s.inputs(), ["area", "rooms"]);
    // Without the leak, the test score is an honest one, not the 0.99999 the leak gave.
    let summary = json(&s.run_dir.join("summary.json"));
    let r2 = summary["test"]["r2"].as_f64().unwrap();
    assert!(r2 < 0.99, "{summary}");
}

#[test]
fn data_path_is_relative_to_the_pipeline_and_absolute_across_the_root() {
    let dir = scratch("init-paths");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::copy(shipped("iris.csv"), dir.join("data/iris.csv")).unwrap();
    let file = dir.join("pipelines/iris.toml");
    let (code, _, err) = run(&[
        "init",
        dir.join("data/iris.csv").to_str().unwrap(),
        "--target",
        "target",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: toml::Table = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["data"]["path"].as_str(), Some("../data/iris.csv"));
    // From a scratch folder to the repository's data: absolute when the two share no folder but
    // the root (/tmp and /work), relative otherwise; either way it finds the data.
    let s = init_and_run(&shipped("iris.csv"), "target", "init-absolute");
    let path = Path::new(s.get("data", "path").as_str().unwrap());
    let iris = shipped("iris.csv").canonicalize().unwrap();
    let folder = s.file.parent().unwrap().canonicalize().unwrap();
    assert_eq!(folder.join(path).canonicalize().unwrap(), iris);
    let shared = folder
        .components()
        .zip(iris.components())
        .take_while(|(a, b)| a == b)
        .count();
    assert_eq!(path.is_absolute(), shared == 1, "{}", path.display());
    // Printed to stdout, the path is as given, and stdout holds the pipeline only.
    let (code, stdout, err) = run(&["init", "data/wine.csv", "--target", "target"]);
    assert_eq!(code, 0, "{err}");
    let doc: toml::Table = toml::from_str(&stdout).expect("stdout is the pipeline");
    assert_eq!(doc["data"]["path"].as_str(), Some("data/wine.csv"));
}

#[test]
fn an_existing_file_is_kept_unless_forced_and_the_data_never_overwritten() {
    let dir = scratch("init-overwrite");
    let file = dir.join("pipeline.toml");
    std::fs::write(&file, "keep me\n").unwrap();
    let iris = shipped("iris.csv");
    let args = |force: bool| {
        let mut a = vec![
            "init".to_string(),
            iris.display().to_string(),
            "--target".into(),
            "target".into(),
            "-o".into(),
            file.display().to_string(),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let call = |a: Vec<String>| run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (code, _, err) = call(args(false));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me\n");
    let (code, _, err) = call(args(true));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("[pipeline]"));

    // -o the data file itself: refused, even with --force.
    let data = dir.join("iris.csv");
    std::fs::copy(&iris, &data).unwrap();
    let before = std::fs::read(&data).unwrap();
    let d = data.to_str().unwrap();
    let (code, _, err) = run(&["init", d, "--target", "target", "-o", d, "--force"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("data file"), "{err}");
    assert_eq!(
        std::fs::read(&data).unwrap(),
        before,
        "the data is untouched"
    );

    // -o a folder: refused, with the file name to use.
    let (code, _, err) = run(&[
        "init",
        d,
        "--target",
        "target",
        "-o",
        dir.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a folder"), "{err}");
}

#[test]
fn a_missing_target_or_data_file_is_exit_2_with_a_suggestion() {
    let dir = scratch("init-missing");
    let file = dir.join("p.toml");
    let f = file.to_str().unwrap();
    let (code, stdout, err) = run(&["init", "data/iris.csv", "--target", "targte", "-o", f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no column `targte`"), "{err}");
    assert!(err.contains("did you mean `target`?"), "{err}");
    assert!(
        err.contains("sepal length (cm)"),
        "the columns are listed: {err}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    assert!(!file.exists(), "nothing is written");
    let (code, _, err) = run(&["init", "data/irs.csv", "--target", "target"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("data/irs.csv"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
