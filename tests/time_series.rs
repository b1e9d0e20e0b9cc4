//! `cv.method = "time_series"` through the real binary: the same trials for any --jobs and for
//! shards merged, the plan that shows each window, file order without `order_by`, and the
//! defaults of `shuffle` and `stratify` not counted as written. Parity of the folds themselves with
//! scikit-learn's TimeSeriesSplit is tests/reference/flights_time (tests/reference.rs).

mod common;
use common::*;

const CASE: &str = "tests/reference/flights_time.toml";

fn without_created_at(mut model: serde_json::Value) -> serde_json::Value {
    model.as_object_mut().unwrap().remove("created_at");
    model
}

#[test]
fn time_series_trials_are_the_same_for_any_jobs_and_for_shards_merged() {
    let dir = scratch("time-series-shards");
    let one = run_into(CASE.as_ref(), &dir.join("one"), &["--jobs", "1"]);
    let two = run_into(CASE.as_ref(), &dir.join("two"), &["--jobs", "2"]);
    assert_eq!(trials_without_times(&one), trials_without_times(&two));
    let merged = run_sharded_and_merged(CASE.as_ref(), &dir, 2);
    assert_eq!(trials_without_times(&merged), trials_without_times(&one));
    assert_eq!(
        without_created_at(json(&merged.join("model.json"))),
        without_created_at(json(&one.join("model.json")))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn without_order_by_the_folds_follow_the_file_and_the_kfold_defaults_do_not_count() {
    // A classification pipeline: `stratify` and `shuffle` default to true, and are not written.
    let dir = scratch("time-series-file-order");
    let file = dir.join("p.toml");
    std::fs::write(
        &file,
        format!(
            "[pipeline]\ntask = \"classification\"\n\n[data]\npath = \"{}\"\ntarget = \"target\"\n\n\
             [model]\ntype = \"logistic_regression\"\n\n[cv]\nmethod = \"time_series\"\nfolds = 3\n\
             max_train_size = 200\n",
            root().join("data/breast_cancer.csv").display()
        ),
    )
    .unwrap();
    let (stdout, _) = run_ok(&["validate", file.to_str().unwrap()]);
    // 569 rows: 3 folds of 569 // 4 = 142, the first training on the 143 rows before them.
    for line in [
        "cv: time_series, 3 folds in file order (gap 0, max_train_size 200)",
        "fold 0: 143 training rows, 142 validation rows",
        "fold 1: 200 training rows, 142 validation rows",
        "fold 2: 200 training rows, 142 validation rows",
    ] {
        assert!(stdout.contains(line), "no `{line}` in:\n{stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn kiln_schema_names_the_time_series_keys() {
    let (stdout, _) = run_ok(&["schema"]);
    for key in ["time_series", "order_by", "max_train_size", "\"gap\""] {
        assert!(stdout.contains(key), "kiln schema lacks {key}");
    }
}
