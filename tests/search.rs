//! `[search]` strategies and cuts through the real binary, on the shipped data: random search over
//! distributions, max_fits, stop_when and max_seconds; each the same for any --jobs, sharded and
//! merged, and killed and resumed; and the located errors of a malformed search.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A ridge pipeline on data/diabetes.csv in `dir`, with `search` as its [search] and `grid` as its
/// [grid] (both TOML lines).
fn pipeline(dir: &Path, name: &str, search: &str, grid: &str) -> PathBuf {
    let data = root().join("data/diabetes.csv");
    let text = format!(
        "[pipeline]\nname = \"{name}\"\ntask = \"regression\"\nseed = 3\n\n\
         [data]\npath = \"{}\"\ntarget = \"target\"\n\n\
         [model]\ntype = \"ridge\"\n\n[cv]\nfolds = 3\n\n\
         [search]\n{search}\n\n[grid]\n{grid}\n",
        data.display()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

const RANDOM: &str = "strategy = \"random\"\nn_candidates = 6";
const DISTS: &str =
    "model.alpha = { log_uniform = [1e-3, 1e3] }\nmodel.fit_intercept = [true, false]";

#[test]
fn random_search_draws_from_the_seed_alone_the_same_for_any_jobs() {
    let dir = scratch("random");
    let file = pipeline(&dir, "random", RANDOM, DISTS);
    let one = run_into(&file, &dir.join("one"), &["--jobs", "1"]);
    let two = run_into(&file, &dir.join("two"), &["--jobs", "2"]);
    let trials = trials_without_times(&one);
    assert_eq!(trials, trials_without_times(&two), "--jobs 1 and 2 agree");
    assert_eq!(trials.len(), 6);
    let mut alphas = Vec::new();
    for (i, t) in trials.iter().enumerate() {
        assert_eq!(t["candidate"], i);
        assert_eq!(t["strategy"], "random");
        let a = t["params"]["model.alpha"].as_f64().unwrap();
        assert!((1e-3..1e3).contains(&a), "{a}");
        alphas.push(a);
    }
    alphas.dedup();
    assert_eq!(alphas.len(), 6, "each candidate draws its own alpha");
    let s = json(&one.join("summary.json"));
    assert_eq!(s["search"]["strategy"], "random");
    assert_eq!(s["search"]["candidates_made"], 6);
    assert_eq!(s["search"]["stopped_by"], "complete");
    assert_eq!(s["search"]["depends_on_machine"], false);
    // Another seed draws other candidates.
    let other = run_into(&file, &dir.join("other"), &["--set", "pipeline.seed=4"]);
    assert_ne!(
        trials_without_times(&other)[0]["params"],
        trials[0]["params"]
    );
}

#[test]
fn a_grid_of_lists_under_random_search_is_drawn_without_replacement() {
    let dir = scratch("random-lists");
    let grid = "model.alpha = [0.01, 0.1, 1.0, 10.0]\nmodel.fit_intercept = [true, false]";
    let file = pipeline(
        &dir,
        "lists",
        "strategy = \"random\"\nn_candidates = 5",
        grid,
    );
    let (plan, _) = run_ok(&["validate", file.to_str().unwrap()]);
    assert!(
        plan.contains("search: random, 5 candidates drawn from seed 3 (search.n_candidates = 5)"),
        "{plan}"
    );
    let lines: Vec<&str> = plan
        .lines()
        .filter(|l| l.starts_with("  candidate"))
        .collect();
    assert_eq!(lines.len(), 5);
    let mut params: Vec<String> = lines
        .iter()
        .map(|l| l.split_once(": ").unwrap().1.to_string())
        .collect();
    params.sort();
    params.dedup();
    assert_eq!(params.len(), 5, "no candidate twice: {plan}");
    // At least the whole grid: every candidate once, in grid order.
    let file = pipeline(
        &dir,
        "all",
        "strategy = \"random\"\nn_candidates = 50",
        grid,
    );
    let (plan, _) = run_ok(&["validate", file.to_str().unwrap()]);
    assert!(plan.contains("8 candidates drawn"), "{plan}");
    let listed = |p: &str| -> Vec<String> {
        p.lines()
            .filter(|l| l.starts_with("  candidate"))
            .map(String::from)
            .collect()
    };
    let whole = pipeline(&dir, "whole", "", grid);
    let (grid_plan, _) = run_ok(&["validate", whole.to_str().unwrap()]);
    assert_eq!(listed(&plan), listed(&grid_plan));
}

#[test]
fn max_fits_cuts_whole_candidates_in_order_and_says_so_before_any_fit() {
    let dir = scratch("max-fits");
    let file = pipeline(&dir, "capped", &format!("{RANDOM}\nmax_fits = 8"), DISTS);
    let (plan, _) = run_ok(&["run", file.to_str().unwrap(), "--dry-run"]);
    assert!(
        plan.contains(
            "max_fits 8: the first 2 of 6 candidates in candidate order (8 // 3 folds = 2 whole candidates)"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("plan: 2 candidates x 3 folds = 6 fits"),
        "{plan}"
    );
    let (code, _, err) = run(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        dir.join("runs").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("max_fits 8: the first 2 of 6"), "{err}");
    let capped_dir = run_dir(&dir.join("runs"));
    let capped = trials_without_times(&capped_dir);
    assert_eq!(capped.len(), 2);
    let s = json(&capped_dir.join("summary.json"));
    assert_eq!(s["search"]["stopped_by"], "max_fits");
    assert_eq!(s["search"]["max_fits"], 8);
    // The kept candidates are the uncapped run's first two.
    let whole = run_into(
        &pipeline(&dir, "capped", RANDOM, DISTS),
        &dir.join("whole"),
        &[],
    );
    assert_eq!(capped[..], trials_without_times(&whole)[..2]);
    let (code, _, err) = run(&[
        "validate",
        file.to_str().unwrap(),
        "--set",
        "search.max_fits=2",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`search.max_fits` = 2 is less than one candidate's fits (3, one per fold)"),
        "{err}"
    );
}

#[test]
fn random_search_with_max_fits_sharded_and_merged_equals_the_whole_run() {
    let dir = scratch("random-shards");
    let file = pipeline(&dir, "sharded", &format!("{RANDOM}\nmax_fits = 15"), DISTS);
    let whole = run_into(&file, &dir.join("whole"), &[]);
    let merged = run_sharded_and_merged(&file, &dir, 2);
    assert_eq!(trials_without_times(&merged), trials_without_times(&whole));
    assert_eq!(trials(&merged).len(), 5);
    let mut a = json(&merged.join("model.json"));
    let mut b = json(&whole.join("model.json"));
    a.as_object_mut().unwrap().remove("created_at");
    b.as_object_mut().unwrap().remove("created_at");
    assert_eq!(a, b);
}

#[test]
fn a_killed_random_search_resumed_equals_the_uninterrupted_one() {
    let out = scratch("random-kill");
    let args = |out: &Path| -> Vec<String> {
        [
            "run",
            "tests/reference/ames_ridge.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--jobs",
            "1",
            "--set",
            "search.strategy=random",
            "--set",
            "search.n_candidates=30",
            "--set",
            "search.max_fits=125",
            "--set",
            "grid.model.alpha={ log_uniform = [0.1, 1000.0] }",
        ]
        .map(String::from)
        .to_vec()
    };
    let whole_out = scratch("random-kill-whole");
    let (code, _, e) = run(&args(&whole_out)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    let whole = run_dir(&whole_out);
    assert_eq!(trials(&whole).len(), 25, "max_fits 125 // 5 folds");

    let (mut child, dir) =
        start_until_logged(&args(&out), &out.join("ames_ridge"), "fits.jsonl", 7);
    assert_eq!(signal_and_wait(&mut child, "-KILL"), -1);
    let mut resume = args(&out);
    let jobs = resume.iter().position(|a| a == "--jobs").unwrap();
    resume[jobs + 1] = "2".into();
    resume.extend(["--resume".into(), dir.display().to_string()]);
    let (code, _, e) = run(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    assert_eq!(trials_without_times(&dir), trials_without_times(&whole));
}

/// Ridge alphas from large to small on diabetes: the cross-validated r2 rises along the grid.
const FALLING_ALPHAS: &str = "model.alpha = [3000.0, 1000.0, 300.0, 100.0, 30.0, 10.0, 1.0]";

#[test]
fn stop_when_ends_the_search_at_the_first_candidate_in_order_that_meets_it() {
    let dir = scratch("stop-when");
    let file = pipeline(
        &dir,
        "stops",
        "stop_when.cv.r2 = { min = 0.3 }",
        FALLING_ALPHAS,
    );
    let (plan, _) = run_ok(&["validate", file.to_str().unwrap()]);
    assert!(
        plan.contains("stop_when cv.r2 >= 0.3: the search ends at the first candidate"),
        "{plan}"
    );
    let one = run_into(&file, &dir.join("one"), &["--jobs", "1"]);
    let two = run_into(&file, &dir.join("two"), &["--jobs", "2"]);
    let t = trials_without_times(&one);
    assert_eq!(
        t,
        trials_without_times(&two),
        "the cut does not depend on --jobs"
    );
    let r2 = |t: &serde_json::Value| t["mean"]["r2"].as_f64().unwrap();
    let (last, before) = t.split_last().unwrap();
    assert!(r2(last) >= 0.3, "{t:?}");
    assert!(before.iter().all(|t| r2(t) < 0.3), "{t:?}");
    assert!(t.len() < 7, "later candidates are not run: {}", t.len());
    let s = json(&one.join("summary.json"));
    assert_eq!(s["search"]["stopped_by"], "stop_when");
    assert_eq!(s["search"]["stop_candidate"], last["candidate"]);
    // stop_when cannot be sharded: said with what to do.
    let (code, _, err) = run(&["run", file.to_str().unwrap(), "--shard", "1/2", "--dry-run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`search.stop_when` cuts the search") && err.contains("run without --shard"),
        "{err}"
    );
}

#[test]
fn max_seconds_keeps_every_finished_candidate_exact_and_says_the_cut_depends_on_the_machine() {
    let dir = scratch("max-seconds");
    let file = pipeline(&dir, "timed", "max_seconds = 1e-9", FALLING_ALPHAS);
    let timed = run_into(&file, &dir.join("timed"), &["--jobs", "1"]);
    let whole = run_into(
        &pipeline(&dir, "timed", "max_seconds = 1e6", FALLING_ALPHAS),
        &dir.join("whole"),
        &["--jobs", "1"],
    );
    let cut = trials_without_times(&timed);
    let all = trials_without_times(&whole);
    assert_eq!(all.len(), 7);
    assert!(!cut.is_empty() && cut.len() < 7, "{} candidates", cut.len());
    assert_eq!(cut[..], all[..cut.len()], "every finished candidate exact");
    let s = json(&timed.join("summary.json"));
    assert_eq!(s["search"]["stopped_by"], "max_seconds");
    assert_eq!(s["search"]["depends_on_machine"], true);
    let s = json(&whole.join("summary.json"));
    assert_eq!(s["search"]["stopped_by"], "complete");
    assert_eq!(s["search"]["depends_on_machine"], false);
}

/// `kiln validate` of a pipeline with these [search] and [grid] lines: (exit code, stderr).
fn validate(search: &str, grid: &str) -> (i32, String) {
    let dir = scratch("search-errors");
    let file = pipeline(&dir, "bad", search, grid);
    let (code, _, err) = run(&["validate", file.to_str().unwrap()]);
    (code, err)
}

#[test]
fn a_malformed_search_is_a_located_error_before_any_fit() {
    // [search] holds its line on line 17; the grid key is on line 20 (21 after RANDOM's two lines).
    let cases: &[(&str, &str, &str)] = &[
        ("", "model.alpha = { log_uniform = [1e-3, 1e3] }",
         "bad.toml:20:7: in the grid: `model.alpha` is a distribution (log_uniform [0.001, 1000]), which only a random search (or a halving one with search.n_candidates) draws from: set `[search] strategy = \"random\"`"),
        (RANDOM, "model.alpha = { uniform = [1, 1] }", "21:7: in the grid: `model.alpha`: `uniform` needs low < high, got [1, 1]"),
        (RANDOM, "model.alpha = { log_uniform = [0, 1] }", "`log_uniform` draws in log space, so low must be above 0, got 0"),
        (RANDOM, "model.alpha = { gauss = [0, 1] }", "unknown distribution `gauss`; distributions: log_uniform, uniform, int, log_int"),
        (RANDOM, "model.alpha = { int = [1, 2.5] }", "`int` bounds must be whole numbers, got 2.5"),
        (RANDOM, "model.alpha = { uniform = [-5, -1] }", "in the grid: `model.alpha` must be >= 0, got -"),
        ("strategy = \"bisect\"", "model.alpha = [1.0]", "17:1: `search.strategy`: `bisect` is not one of grid | random | halving"),
        ("n_candidates = 3", "model.alpha = [1.0]", "`search.n_candidates` is for random search (or halving over drawn candidates): set `[search] strategy = \"random\"` or `\"halving\"`"),
        ("stop_when.test.r2 = { min = 0.5 }", "model.alpha = [1.0]", "unknown key `test` in `search.stop_when`: use cv.<metric>"),
        ("stop_when.cv.accuracy = { min = 0.5 }", "model.alpha = [1.0]", "metric `accuracy` is for classification"),
        ("max_seconds = 0", "model.alpha = [1.0]", "`search.max_seconds` must be > 0, got 0"),
    ];
    for (search, grid, want) in cases {
        let (code, err) = validate(search, grid);
        assert_eq!(code, 2, "{search} / {grid}: {err}");
        assert!(
            err.contains(want),
            "{search} / {grid}:\n{err}\nwanted: {want}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let (_, err) = validate(RANDOM, "model.alpha = { uniform = [-5, -1] }");
    assert!(err.contains("(drawn from uniform [-5, -1])"), "{err}");
}

#[test]
fn kiln_schema_names_the_search_keys_and_the_distributions() {
    let (schema, _) = run_ok(&["schema"]);
    for name in [
        "\"strategy\"",
        "\"n_candidates\"",
        "\"max_fits\"",
        "\"max_seconds\"",
        "\"stop_when\"",
        "\"log_uniform\"",
        "\"uniform\"",
        "\"int\"",
        "\"log_int\"",
    ] {
        assert!(schema.contains(name), "{name} missing from kiln schema");
    }
}
