//! `kiln compare` output that a program can read: `--format csv` and `--format json` give each score
//! as numbers (one field for the mean, one for the std, a true/false field for the best), and rank,
//! candidate and seconds as numbers; `table` keeps the decorated "mean ± std *". Real runs of a small
//! reference pipeline.

mod common;

use common::{json, run, scratch, trials};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Two runs of diabetes_ridge (two candidates each), one per ridge alpha, under one folder; returns
/// the folder and the run directories in the order they ran.
fn two_runs(name: &str) -> (PathBuf, Vec<PathBuf>) {
    let out = scratch(name);
    let mut dirs = Vec::new();
    for alpha in ["0.1", "100.0"] {
        let (code, _, err) = run(&[
            "run",
            "tests/reference/diabetes_ridge.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--set",
            &format!("grid.model.alpha=[{alpha}]"),
        ]);
        assert_eq!(code, 0, "{err}");
        let parent = out.join("diabetes_ridge");
        let new: Vec<PathBuf> = std::fs::read_dir(&parent)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !dirs.contains(p))
            .collect();
        assert_eq!(new.len(), 1, "one new run directory");
        dirs.extend(new);
    }
    (out, dirs)
}

fn compare(args: &[&str]) -> String {
    let (code, stdout, err) = run(&[&["compare"], args].concat());
    assert_eq!(code, 0, "{err}");
    stdout
}

/// A CSV without quoted commas (kiln quotes cells that hold one; these hold none) as header and
/// rows of cells.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines().map(|l| {
        assert!(!l.contains('"'), "an unexpected quoted cell: {l}");
        l.split(',').map(String::from).collect::<Vec<_>>()
    });
    let header = lines.next().expect("a header");
    let rows: Vec<Vec<String>> = lines.collect();
    for r in &rows {
        assert_eq!(r.len(), header.len(), "a ragged row: {r:?}");
    }
    (header, rows)
}

fn cell<'a>(header: &[String], row: &'a [String], field: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == field)
        .unwrap_or_else(|| panic!("no column {field} in {header:?}"));
    &row[i]
}

fn summary_of(dir: &Path) -> Value {
    json(&dir.join("summary.json"))
}

/// The summary whose run id is `id`.
fn summary_with_id<'a>(summaries: &'a [Value], id: &str) -> &'a Value {
    summaries
        .iter()
        .find(|s| s["run_id"] == id)
        .unwrap_or_else(|| panic!("no run {id}"))
}

#[test]
fn csv_gives_each_score_as_numbers_and_the_best_as_a_flag() {
    let (out, dirs) = two_runs("compare-csv");
    let summaries: Vec<Value> = dirs.iter().map(|d| summary_of(d)).collect();
    let (header, rows) = parse_csv(&compare(&[out.to_str().unwrap(), "--format", "csv"]));
    assert_eq!(rows.len(), 2);
    for field in [
        "cv_r2_mean",
        "cv_r2_std",
        "cv_r2_best",
        "cv_rmse_mean",
        "cv_rmse_std",
        "cv_rmse_best",
        "seconds",
    ] {
        assert!(header.contains(&field.to_string()), "{field}: {header:?}");
    }
    assert!(!header.contains(&"r2".to_string()), "no decorated column");
    for row in &rows {
        let s = summary_with_id(&summaries, cell(&header, row, "run"));
        for (field, expected) in [
            ("cv_r2_mean", &s["best"]["mean"]["r2"]),
            ("cv_r2_std", &s["best"]["std"]["r2"]),
            ("cv_rmse_mean", &s["best"]["mean"]["rmse"]),
            ("seconds", &s["duration_seconds"]),
        ] {
            let value: f64 = cell(&header, row, field)
                .parse()
                .unwrap_or_else(|e| panic!("{field} is not a number: {e}: {row:?}"));
            assert_eq!(value, expected.as_f64().unwrap(), "{field}: full precision");
        }
    }
    // The best flag: true on the row with the highest r2 and on the one with the lowest rmse.
    let number = |row: &Vec<String>, f: &str| cell(&header, row, f).parse::<f64>().unwrap();
    let best_r2 = if number(&rows[0], "cv_r2_mean") > number(&rows[1], "cv_r2_mean") {
        0
    } else {
        1
    };
    let best_rmse = if number(&rows[0], "cv_rmse_mean") < number(&rows[1], "cv_rmse_mean") {
        0
    } else {
        1
    };
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(cell(&header, row, "cv_r2_best"), (i == best_r2).to_string());
        assert_eq!(
            cell(&header, row, "cv_rmse_best"),
            (i == best_rmse).to_string()
        );
    }
    // The table keeps the decorated text: mean ± std, the best starred.
    let table = compare(&[out.to_str().unwrap()]);
    assert!(table.contains(" ± ") && table.contains(" *"), "{table}");
}

#[test]
fn json_gives_numbers_as_numbers_for_runs_and_for_a_leaderboard() {
    let (out, dirs) = two_runs("compare-json");
    let summaries: Vec<Value> = dirs.iter().map(|d| summary_of(d)).collect();
    let rows: Vec<Value> = serde_json::from_str(&compare(&[
        out.to_str().unwrap(),
        "--format",
        "json",
        "--sort",
        "rmse",
    ]))
    .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        let s = summary_with_id(&summaries, row["run"].as_str().unwrap());
        assert_eq!(row["cv_r2_mean"], s["best"]["mean"]["r2"]);
        assert_eq!(row["cv_r2_std"], s["best"]["std"]["r2"]);
        assert_eq!(row["cv_rmse_mean"], s["best"]["mean"]["rmse"]);
        assert_eq!(row["seconds"], s["duration_seconds"]);
        assert!(row["seconds"].is_number() && row["cv_r2_best"].is_boolean());
    }
    // --sort rmse: the lowest first, and it is the best.
    let rmse = |r: &Value| r["cv_rmse_mean"].as_f64().unwrap();
    assert!(rmse(&rows[0]) <= rmse(&rows[1]));
    assert_eq!(rows[0]["cv_rmse_best"], true);
    assert_eq!(rows[1]["cv_rmse_best"], false);

    // One run's leaderboard: rank and candidate are numbers, each metric a mean and a std.
    let dir = dirs[0].to_str().unwrap();
    let board: Vec<Value> =
        serde_json::from_str(&compare(&["--trials", dir, "--format", "json"])).unwrap();
    let logged = trials(&dirs[0]);
    assert_eq!(board.len(), logged.len());
    for (i, row) in board.iter().enumerate() {
        assert_eq!(row["rank"], i + 1);
        let trial = logged
            .iter()
            .find(|t| t["candidate"] == row["candidate"])
            .unwrap_or_else(|| panic!("candidate {} is a logged number", row["candidate"]));
        assert_eq!(row["cv_r2_mean"], trial["mean"]["r2"]);
        assert_eq!(row["cv_r2_std"], trial["std"]["r2"]);
        assert_eq!(row["cv_rmse_mean"], trial["mean"]["rmse"]);
        assert_eq!(row["cv_rmse_std"], trial["std"]["rmse"]);
    }
    let r2 = |r: &Value| r["cv_r2_mean"].as_f64().unwrap();
    assert!(r2(&board[0]) >= r2(&board[1]), "best r2 first");
    let (header, csv_rows) = parse_csv(&compare(&["--trials", dir, "--format", "csv"]));
    assert_eq!(&header[..4], ["rank", "candidate", "status", "params"]);
    assert_eq!(cell(&header, &csv_rows[0], "rank"), "1");
    let table = compare(&["--trials", dir]);
    assert!(table.contains("r2 (mean ± std)"), "{table}");
}

#[test]
fn an_unknown_sort_metric_suggests_the_one_meant() {
    // The metric is checked before any run is read: no runs needed.
    for (given, meant) in [("acc", "accuracy"), ("rsme", "rmse"), ("R2", "r2")] {
        let (code, stdout, err) = run(&["compare", "tests/reference", "--sort", given]);
        assert_eq!(code, 2, "{given}: {stdout}{err}");
        assert!(
            err.contains(&format!(
                "--sort {given}: unknown metric; did you mean `{meant}`?"
            )),
            "{given}: {err}"
        );
    }
}
