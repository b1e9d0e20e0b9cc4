//! `[search] strategy = "halving"` through the real binary, on the shipped data: the plan said
//! before any fit, rungs of growing resource with the best 1/factor going on, the same for any
//! --jobs and for a run killed and resumed, max_fits and stop_when, --shard refused with what to
//! do instead, and each misuse a located error. (Parity with scikit-learn's HalvingGridSearchCV
//! is tests/reference.rs's diabetes_halving and diabetes_halving_hgb.)

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A ridge pipeline on data/diabetes.csv in `dir` with a halving search: `search` adds lines to
/// [search], `grid` is the [grid].
fn pipeline(dir: &Path, name: &str, search: &str, grid: &str) -> PathBuf {
    let data = root().join("data/diabetes.csv");
    let text = format!(
        "[pipeline]\nname = \"{name}\"\ntask = \"regression\"\nseed = 3\n\n\
         [data]\npath = \"{}\"\ntarget = \"target\"\n\n\
         [model]\ntype = \"ridge\"\n\n[cv]\nfolds = 3\n\n\
         [search]\nstrategy = \"halving\"\n{search}\n\n[grid]\n{grid}\n",
        data.display()
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

const ALPHAS: &str = "model.alpha = [3000.0, 1000.0, 300.0, 100.0, 30.0, 10.0, 3.0, 1.0, 0.3]";

fn r2(t: &serde_json::Value) -> f64 {
    t["mean"]["r2"].as_f64().unwrap()
}

#[test]
fn rows_halving_keeps_the_best_third_each_rung_the_same_for_any_jobs() {
    let dir = scratch("halving-rows");
    let file = pipeline(&dir, "rows", "", ALPHAS);
    // The plan, before any fit: scikit-learn's rungs for 9 candidates, 3 folds and 442 rows
    // (min_resources "exhaust": 442 // 3^2 = 49).
    let (code, plan, err) = run(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    for line in [
        "search: halving, 9 candidates",
        "halving: factor 3, resource rows from 49 to 442, 3 rungs (3 needed, 3 possible)",
        "  rung 0: 9 candidates x 3 folds = 27 fits at 49 rows",
        "  rung 1: 3 candidates x 3 folds = 9 fits at 147 rows",
        "  rung 2: 1 candidates x 3 folds = 3 fits at 441 rows",
        "plan: 9 candidates in 3 rungs = 39 fits, then 1 refit",
    ] {
        assert!(plan.contains(line), "{line}\n{plan}");
    }
    let one = run_into(&file, &dir.join("one"), &["--jobs", "1"]);
    let two = run_into(&file, &dir.join("two"), &["--jobs", "2"]);
    let trials = trials_without_times(&one);
    assert_eq!(trials, trials_without_times(&two), "--jobs 1 and 2 agree");
    assert_eq!(trials.len(), 9 + 3 + 1);
    assert_eq!(whole_lines(&one.join("fits.jsonl")), 39);
    let rung =
        |r: u64| -> Vec<&serde_json::Value> { trials.iter().filter(|t| t["rung"] == r).collect() };
    let resources = [49, 147, 441];
    for (r, resource) in resources.iter().enumerate() {
        for t in rung(r as u64) {
            assert_eq!(t["resource"], *resource);
            assert_eq!(t["strategy"], "halving");
        }
    }
    // Each rung's candidates are the best third of the rung before.
    for r in 0..2u64 {
        let mut before = rung(r);
        before.sort_by(|a, b| r2(b).total_cmp(&r2(a)));
        let mut best: Vec<u64> = before[..rung(r + 1).len()]
            .iter()
            .map(|t| t["candidate"].as_u64().unwrap())
            .collect();
        best.sort_unstable();
        let next: Vec<u64> = rung(r + 1)
            .iter()
            .map(|t| t["candidate"].as_u64().unwrap())
            .collect();
        assert_eq!(best, next, "rung {}", r + 1);
    }
    let s = json(&one.join("summary.json"));
    let h = &s["search"]["halving"];
    assert_eq!(s["search"]["strategy"], "halving");
    assert_eq!(h["resource"], "rows");
    assert_eq!(
        (h["min_resources"].clone(), h["max_resources"].clone()),
        (49.into(), 442.into())
    );
    assert_eq!(h["rungs"][0]["kept"].as_array().unwrap().len(), 3);
    assert_eq!(
        h["rungs"][1]["kept"],
        serde_json::json!([rung(2)[0]["candidate"]])
    );
    // The best is the last rung's, refitted on every row.
    assert_eq!(s["best"]["candidate"], rung(2)[0]["candidate"]);
    assert!(one.join("model.json").exists());
    let report = std::fs::read_to_string(one.join("report.html")).unwrap();
    assert!(report.contains("Successive halving") && report.contains("against resource"));
    // compare --trials shows each trial's rung and resource.
    let (code, table, err) = run(&["compare", "--trials", one.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let header = table.lines().next().unwrap();
    assert!(
        header.contains("rung") && header.contains("resource"),
        "{table}"
    );
}

#[test]
fn a_parameter_resource_sets_it_per_rung_and_the_refit_uses_the_last() {
    let dir = scratch("halving-param");
    let data = root().join("data/diabetes.csv");
    let text = format!(
        "[pipeline]\nname = \"param\"\ntask = \"regression\"\n\n\
         [data]\npath = \"{}\"\ntarget = \"target\"\n\n\
         [model]\ntype = \"gradient_boosting\"\n\n[cv]\nfolds = 3\n\n\
         [search]\nstrategy = \"halving\"\nresource = \"model.n_estimators\"\nmax_resources = 40\n\
         factor = 2\n\n\
         [grid]\nmodel.learning_rate = [0.03, 0.1, 0.3]\nmodel.max_depth = [1, 2]\n",
        data.display()
    );
    let file = dir.join("param.toml");
    std::fs::write(&file, text).unwrap();
    let one = run_into(&file, &dir.join("one"), &["--jobs", "2"]);
    let t = trials(&one);
    // 6 candidates, factor 2: exhaust starts at 40 // 2^2 = 10; rungs of 6, 3 and 2 candidates.
    let counts: Vec<usize> = (0..3)
        .map(|r| t.iter().filter(|x| x["rung"] == r).count())
        .collect();
    assert_eq!(counts, [6, 3, 2]);
    for x in &t {
        assert_eq!(x["params"]["model.n_estimators"], x["resource"]);
    }
    let s = json(&one.join("summary.json"));
    assert_eq!(s["best"]["params"]["model.n_estimators"], 40);
    let model = std::fs::read_to_string(one.join("model.json")).unwrap();
    assert!(
        model.contains("\"model.n_estimators\": 40") || model.contains("\"model.n_estimators\":40")
    );
}

#[test]
fn a_killed_halving_search_resumed_equals_the_uninterrupted_one() {
    let text = format!(
        "[pipeline]\nname = \"ames_halving\"\ntask = \"regression\"\nseed = 1\n\n\
         [data]\npath = \"{}\"\ntarget = \"price\"\ndrop = [\"Order\", \"PID\"]\n\n\
         [model]\ntype = \"hist_gradient_boosting\"\n\n[cv]\nfolds = 5\n\n\
         [search]\nstrategy = \"halving\"\nresource = \"model.max_iter\"\nmax_resources = 100\n\n\
         [grid]\nmodel.learning_rate = [0.05, 0.1, 0.2]\nmodel.max_leaf_nodes = [7, 15, 31]\n\
         model.min_samples_leaf = [5, 20]\n",
        root().join("data/ames.csv").display()
    );
    let dir = scratch("halving-kill");
    let file = dir.join("ames_halving.toml");
    std::fs::write(&file, text).unwrap();
    let args = |out: &Path, jobs: &str| -> Vec<String> {
        [
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--jobs",
            jobs,
        ]
        .map(String::from)
        .to_vec()
    };
    let whole = run_into(&file, &dir.join("whole"), &["--jobs", "2"]);
    // Killed in rung 1 (rung 0 is 18 candidates x 5 folds = 90 fits).
    let out = dir.join("killed");
    let (mut child, killed) = start_until_logged(
        &args(&out, "1"),
        &out.join("ames_halving"),
        "fits.jsonl",
        93,
    );
    assert_eq!(signal_and_wait(&mut child, "-KILL"), -1);
    let mut resume = args(&out, "2");
    resume.extend(["--resume".into(), killed.display().to_string()]);
    let (code, _, e) = run(&resume.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    assert_eq!(trials_without_times(&killed), trials_without_times(&whole));
    let s = json(&killed.join("summary.json"));
    assert_eq!(
        s["search"]["halving"],
        json(&whole.join("summary.json"))["search"]["halving"]
    );
}

#[test]
fn max_fits_cuts_the_candidates_so_the_whole_plan_fits_and_stop_when_ends_it() {
    let dir = scratch("halving-cuts");
    let file = pipeline(&dir, "cut", "max_fits = 20", ALPHAS);
    let (code, plan, err) = run(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // 9 candidates need 39 fits; the first 5 (5 x 3 + 2 x 3 = 21 > 20) do not fit, the first 4
    // (4 x 3 + 2 x 3 = 18) do.
    assert!(
        plan.contains("max_fits 20: the first 4 of 9 candidates in candidate order, whose halving plan takes 18 fits"),
        "{plan}"
    );
    let one = run_into(&file, &dir.join("one"), &[]);
    assert_eq!(whole_lines(&one.join("fits.jsonl")), 18);
    let s = json(&one.join("summary.json"));
    assert_eq!(s["search"]["stopped_by"], "max_fits");
    // stop_when: the search ends in the rung where a candidate first meets it.
    let file = pipeline(&dir, "stop", "stop_when.cv.r2 = { min = 0.2 }", ALPHAS);
    let stopped = run_into(&file, &dir.join("stop"), &["--jobs", "2"]);
    let t = trials(&stopped);
    assert!(t.iter().all(|x| x["rung"] == 0), "no later rung runs");
    let last = t.last().unwrap();
    assert!(r2(last) >= 0.2 && t[..t.len() - 1].iter().all(|x| r2(x) < 0.2));
    assert_eq!(
        json(&stopped.join("summary.json"))["search"]["stopped_by"],
        "stop_when"
    );
}

#[test]
fn halving_over_drawn_candidates_and_shard_refused_with_what_to_do() {
    let dir = scratch("halving-random");
    let file = pipeline(
        &dir,
        "drawn",
        "n_candidates = 9",
        "model.alpha = { log_uniform = [1e-2, 1e4] }",
    );
    let one = run_into(&file, &dir.join("one"), &["--jobs", "1"]);
    let two = run_into(&file, &dir.join("two"), &["--jobs", "2"]);
    assert_eq!(trials_without_times(&one), trials_without_times(&two));
    assert_eq!(trials(&one).len(), 13);
    let (code, _, err) = run(&["run", file.to_str().unwrap(), "--shard", "1/2", "--dry-run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--shard 1/2: `search.strategy` = \"halving\" picks each rung's candidates")
            && err.contains("run it without --shard"),
        "{err}"
    );
}

#[test]
fn each_misuse_of_halving_is_a_located_error_before_any_fit() {
    let dir = scratch("halving-errors");
    let data = root().join("data/diabetes.csv");
    let cases: &[(&str, &str, &str)] = &[
        // Halving keys under another strategy.
        (
            "strategy = \"random\"\nfactor = 2",
            ALPHAS,
            "`search.factor` is for successive halving: set `[search] strategy = \"halving\"`",
        ),
        ("factor = 1", ALPHAS, "`search.factor` must be > 1"),
        (
            "resource = \"model.alpah\"",
            ALPHAS,
            "`search.resource` = \"model.alpah\"",
        ),
        (
            "resource = \"model.fit_intercept\"",
            ALPHAS,
            "the resource must be a whole-number parameter of the model",
        ),
        (
            "resource = \"columns\"",
            ALPHAS,
            "give \"rows\" or a model parameter",
        ),
        (
            "resource = \"model.max_iter\"",
            ALPHAS,
            "resource = \"model.max_iter\" needs `search.max_resources` (a whole number)",
        ),
        (
            "min_resources = 50\nmax_resources = 40",
            ALPHAS,
            "`search.min_resources` = 50 is greater than `search.max_resources` = 40",
        ),
        (
            "min_resources = \"least\"",
            ALPHAS,
            "expected a whole number or exhaust | smallest",
        ),
        (
            "max_resources = 1000",
            ALPHAS,
            "`search.max_resources` = 1000 is more than the 442 rows the search runs on",
        ),
        ("min_resources = 3", ALPHAS, "leaves fold"),
        (
            "resource = \"model.max_iter\"\nmax_resources = 50",
            "model.max_iter = [10, 20]",
            "is the halving search's resource (search.resource), which each rung sets",
        ),
        (
            "",
            "model.alpha = { uniform = [0, 1] }",
            "which only a random search (or a halving one with search.n_candidates) draws from",
        ),
    ];
    for (i, (search, grid, want)) in cases.iter().enumerate() {
        let strategy = if search.starts_with("strategy") {
            ""
        } else {
            "strategy = \"halving\"\n"
        };
        let text = format!(
            "[pipeline]\nname = \"bad\"\ntask = \"regression\"\n\n\
             [data]\npath = \"{}\"\ntarget = \"target\"\n\n\
             [model]\ntype = \"lasso\"\n\n[cv]\nfolds = 3\n\n\
             [search]\n{strategy}{search}\n\n[grid]\n{}\n",
            data.display(),
            grid
        );
        let file = dir.join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let (code, _, err) = run(&["validate", file.to_str().unwrap()]);
        assert_eq!(code, 2, "{search} / {grid}: {err}");
        assert!(
            err.contains(want),
            "{search} / {grid}:\n{err}\nwanted: {want}"
        );
        assert!(
            err.contains(&format!("bad{i}.toml")),
            "names the file: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
