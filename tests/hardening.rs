//! Hardening: numerical failures fail their own candidate and nothing else; a run killed with SIGKILL
//! leaves a run directory that `compare` reads and `--resume` completes; the memory budget refuses
//! a run before it builds its designs. (Bad inputs: tests/bad_inputs.rs.)

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Writes `name.csv` into `dir`: 60 rows of x, x_copy = 2x (collinear), const (zero variance), huge
/// (~1e200: its squares overflow), a smooth numeric target and a two-class label.
fn numeric_data(dir: &Path) -> PathBuf {
    let mut text = String::from("x,x_copy,const,huge,target,label\n");
    for i in 0..60 {
        // A fixed, irregular sequence in [0, 1).
        let x = ((i * 37 + 11) % 60) as f64 / 60.0;
        let noise = ((i * 13 + 5) % 7) as f64 / 70.0;
        text.push_str(&format!(
            "{x},{},5.0,{:e},{},{}\n",
            2.0 * x,
            (1.0 + x) * 1e200,
            3.0 * x + noise,
            if x > 0.5 { "a" } else { "b" }
        ));
    }
    let path = dir.join("numeric.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes a pipeline into `dir` with `[data] path` set to `data`; returns its path.
fn pipeline(dir: &Path, name: &str, data: &Path, body: &str) -> PathBuf {
    let text = body.replace("DATA", &data.display().to_string().replace('\\', "/"));
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn run_in(dir: &Path, pipeline: &Path, extra: &[&str]) -> (i32, String) {
    let out = dir.join("runs");
    let mut args = vec![
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&args);
    let text = format!("{stdout}{stderr}");
    assert!(!text.contains("panicked"), "a panic:\n{text}");
    (code, text)
}

/// The run directory of pipeline `name` under dir/runs.
fn only_run(dir: &Path, name: &str) -> PathBuf {
    let parent = dir.join("runs").join(name);
    let mut runs: Vec<PathBuf> = std::fs::read_dir(&parent)
        .unwrap_or_else(|e| panic!("{}: {e}", parent.display()))
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs.pop().unwrap()
}

/// (status, error) of every trial, by candidate.
fn statuses(dir: &Path) -> Vec<(String, Option<String>)> {
    trials(dir)
        .iter()
        .map(|t| {
            (
                t["status"].as_str().unwrap().to_string(),
                t["error"].as_str().map(String::from),
            )
        })
        .collect()
}

fn assert_failed_with(trial: &(String, Option<String>), reason: &str) {
    assert_eq!(trial.0, "failed", "{trial:?}");
    let error = trial.1.as_deref().unwrap_or("");
    assert!(error.contains(reason), "expected `{reason}` in `{error}`");
}

fn assert_ok(trial: &(String, Option<String>)) {
    assert_eq!(trial.0, "ok", "{trial:?}");
    assert!(trial.1.is_none(), "{trial:?}");
}

/// A run that went on past its failed candidates: exit 0, a model from a good one, and the summary
/// counting the failures.
fn assert_completed(run: &Path, failed: usize) {
    let summary = json(&run.join("summary.json"));
    assert_eq!(summary["status"], "complete");
    assert_eq!(summary["candidates_failed"], failed);
    assert!(run.join("model.json").exists());
}

#[test]
fn a_diverging_fit_fails_its_candidate_and_a_singular_system_is_solved() {
    let dir = scratch("hardening-diverge");
    let data = numeric_data(&dir);
    // x, x_copy = 2x (the same column once standardised) and a constant one: XᵀX is singular. scikit-learn's
    // LinearRegression (lstsq) and Ridge(alpha=0) give the minimum-norm solution; so does kiln. Gradient
    // descent with learning_rate 10 diverges: that candidate alone fails, with the reason.
    let p = pipeline(
        &dir,
        "singular",
        &data,
        r#"
[pipeline]
task = "regression"
[data]
path = "DATA"
target = "target"
features = ["x", "x_copy", "const"]
[scale]
method = "standard"
[model]
type = "linear_regression"
[[grid]]
model.type = "linear_regression"
model.solver = "normal"
[[grid]]
model.type = "linear_regression"
model.solver = "gd"
model.learning_rate = [0.05, 10.0]
[[grid]]
model.type = "ridge"
model.alpha = 0.0
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 0, "{text}");
    let run = only_run(&dir, "singular");
    let s = statuses(&run);
    assert_eq!(s.len(), 4);
    assert_ok(&s[0]);
    assert_ok(&s[1]);
    assert_failed_with(&s[2], "gradient descent diverged at epoch");
    assert_failed_with(&s[2], "lower `learning_rate` (now 10)");
    assert_ok(&s[3]);
    let t = trials(&run);
    let r2 = |i: usize| t[i]["mean"]["r2"].as_f64().unwrap();
    assert!(r2(0) > 0.95, "the singular system is solved: r2 {}", r2(0));
    assert!((r2(0) - r2(3)).abs() < 1e-9, "normal and ridge(0) agree");
    assert_completed(&run, 1);
}

#[test]
fn an_overflowing_system_fails_its_candidates_and_others_go_on() {
    let dir = scratch("hardening-overflow");
    let data = numeric_data(&dir);
    // `huge` squared overflows: the normal equations of ridge and linear_regression are not finite.
    // A tree only compares values and is unaffected.
    let p = pipeline(
        &dir,
        "overflow",
        &data,
        r#"
[pipeline]
task = "regression"
[data]
path = "DATA"
target = "target"
features = ["x", "huge"]
[scale]
method = "none"
[model]
type = "ridge"
[[grid]]
model.type = "ridge"
[[grid]]
model.type = "decision_tree"
[[grid]]
model.type = "linear_regression"
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 0, "{text}");
    let run = only_run(&dir, "overflow");
    let s = statuses(&run);
    assert_failed_with(&s[0], "the normal equations hold non-finite values");
    assert_ok(&s[1]);
    assert_failed_with(&s[2], "the normal equations hold non-finite values");
    assert_completed(&run, 2);
    let summary = json(&run.join("summary.json"));
    assert_eq!(summary["best"]["candidate"], 1);
}

#[test]
fn a_zero_variance_column_fails_the_candidate_that_cannot_smooth_it() {
    let dir = scratch("hardening-variance");
    let data = numeric_data(&dir);
    // Gaussian naive Bayes divides by each feature's variance within a class: `const` has none, and
    // var_smoothing = 0 adds none.
    let p = pipeline(
        &dir,
        "variance",
        &data,
        r#"
[pipeline]
task = "classification"
[data]
path = "DATA"
target = "label"
features = ["x", "const"]
[scale]
method = "none"
[model]
type = "naive_bayes"
[grid]
model.var_smoothing = [1e-9, 0.0]
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 0, "{text}");
    let run = only_run(&dir, "variance");
    let s = statuses(&run);
    assert_ok(&s[0]);
    assert_failed_with(&s[1], "has zero variance within class");
    assert_failed_with(&s[1], "raise var_smoothing or drop constant features");
    assert_completed(&run, 1);
}

#[test]
fn empty_clusters_warn_and_too_many_clusters_fail_their_candidate() {
    let dir = scratch("hardening-clusters");
    // 60 rows on 3 distinct points.
    let mut text = String::from("a,b\n");
    for i in 0..60 {
        let (a, b) = [(0, 0), (10, 10), (0, 10)][(i * 7 + i / 5) % 3];
        text.push_str(&format!("{a},{b}\n"));
    }
    let data = dir.join("points.csv");
    std::fs::write(&data, text).unwrap();
    let p = pipeline(
        &dir,
        "clusters",
        &data,
        r#"
[pipeline]
task = "clustering"
[data]
path = "DATA"
[model]
type = "kmeans"
[grid]
model.n_clusters = [2, 5, 100]
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 0, "{text}");
    let run = only_run(&dir, "clusters");
    let s = statuses(&run);
    assert_ok(&s[0]);
    // Five clusters on three distinct points: two stay empty. As scikit-learn, a warning, not a failure.
    assert_ok(&s[1]);
    let t = trials(&run);
    let warnings = t[1]["warnings"].to_string();
    assert!(
        warnings.contains("only 3 distinct clusters found for n_clusters = 5"),
        "{warnings}"
    );
    assert_failed_with(&s[2], "n_clusters = 100 is more than the 48 training rows");
    assert_completed(&run, 1);
}

#[test]
fn when_every_candidate_fails_the_run_exits_2_listing_each_error() {
    let dir = scratch("hardening-allfail");
    let data = numeric_data(&dir);
    let p = pipeline(
        &dir,
        "allfail",
        &data,
        r#"
[pipeline]
task = "regression"
[data]
path = "DATA"
target = "target"
features = ["x", "huge"]
[scale]
method = "none"
[model]
type = "ridge"
[[grid]]
model.type = "ridge"
model.alpha = [0.1, 1.0]
[[grid]]
model.type = "linear_regression"
model.solver = "gd"
model.learning_rate = 10.0
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("every candidate failed (3):"), "{text}");
    for line in [
        "candidate 0 (model.alpha=0.1 model.type=ridge): fold 0: the normal equations hold non-finite values",
        "candidate 1 (model.alpha=1.0 model.type=ridge): fold 0: the normal equations hold non-finite values",
        "candidate 2 (model.learning_rate=10.0 model.solver=gd model.type=linear_regression): fold 0: gradient descent diverged",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    let run = only_run(&dir, "allfail");
    assert!(
        !run.join("model.json").exists(),
        "no model from a failed run"
    );
    let summary = json(&run.join("summary.json"));
    assert_eq!(summary["status"], "failed");
    assert!(summary["error"]
        .as_str()
        .unwrap()
        .contains("every candidate failed"));
    assert_eq!(statuses(&run).len(), 3, "every failure is logged");
    // The report still shows what finished: each failed candidate with its error.
    let report = std::fs::read_to_string(run.join("report.html")).expect("report.html");
    assert!(report.contains("gradient descent diverged"), "{report}");
    assert!(!text.contains("report.html not written"), "{text}");
}

#[test]
fn on_error_fail_stops_at_a_numerical_failure() {
    let dir = scratch("hardening-onerror");
    let data = numeric_data(&dir);
    let p = pipeline(
        &dir,
        "onerror",
        &data,
        r#"
[pipeline]
task = "classification"
[data]
path = "DATA"
target = "label"
features = ["x", "const"]
[model]
type = "naive_bayes"
[scale]
method = "none"
[search]
on_error = "fail"
[grid]
model.var_smoothing = [1e-9, 0.0]
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains(
            "candidate 1 (model.var_smoothing=0.0) failed and search.on_error = \"fail\""
        ),
        "{text}"
    );
    assert!(text.contains("zero variance"), "{text}");
    let run = only_run(&dir, "onerror");
    assert!(!run.join("model.json").exists());
    assert_eq!(json(&run.join("summary.json"))["status"], "failed");
}

/// A grid slow enough to be killed halfway: 36 random forests of 600 trees, 2 folds.
const SLOW: &str = r#"
[pipeline]
name = "slow"
task = "classification"
seed = 5
[data]
path = "DATA"
target = "target"
[model]
type = "random_forest"
[cv]
folds = 2
[grid]
model.n_estimators = 600
model.max_depth = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
model.min_samples_leaf = [1, 2, 3]
"#;

#[test]
fn a_run_killed_with_sigkill_is_read_by_compare_and_completed_by_resume() {
    let dir = scratch("hardening-kill");
    let data = root().join("data/breast_cancer.csv");
    let p = pipeline(&dir, "slow", &data, SLOW);
    let killed_out = dir.join("killed");
    // SIGKILL after the first whole trial line: no handler runs, so whatever is on disk is what a
    // crash leaves.
    let args: Vec<String> = [
        "run",
        p.to_str().unwrap(),
        "--out",
        killed_out.to_str().unwrap(),
        "--quiet",
        "--jobs",
        "2",
    ]
    .map(String::from)
    .to_vec();
    let (code, run_path) = signal_after_trials(&args, &killed_out.join("slow"), 1, "-KILL");
    assert_eq!(code, -1, "killed by the signal");
    let done = std::fs::read_to_string(run_path.join("trials.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert!(
        done < 36,
        "the run finished before the kill ({done} trials)"
    );
    // Whole files only: the summary of a run in progress, no model, no temporary files.
    let summary = json(&run_path.join("summary.json"));
    assert_eq!(summary["status"], "running");
    assert!(!run_path.join("model.json").exists());
    for e in std::fs::read_dir(&run_path).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "a temporary file was left: {name}");
    }

    // compare reads the killed run_path.
    let (code, stdout, stderr) = run(&["compare", run_path.to_str().unwrap()]);
    assert_eq!(code, 0, "compare on a killed run:\n{stdout}{stderr}");
    let (code, stdout, stderr) = run(&["compare", run_path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.trim().is_empty());

    // --resume completes it: the finished trials are kept, the rest are run, and the result is the
    // uninterrupted run's.
    let (code, stdout, stderr) = run(&[
        "run",
        p.to_str().unwrap(),
        "--resume",
        run_path.to_str().unwrap(),
        "--quiet",
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 0, "resume:\n{stdout}{stderr}");
    let resumed = json(&run_path.join("summary.json"));
    assert_eq!(resumed["status"], "complete");
    assert!(run_path.join("model.json").exists());
    let resumed_trials = trials_without_times(&run_path);
    assert_eq!(resumed_trials.len(), 36);
    let candidates: Vec<u64> = resumed_trials
        .iter()
        .map(|t| t["candidate"].as_u64().unwrap())
        .collect();
    let mut sorted = candidates.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 36, "each candidate once: {candidates:?}");

    let whole_out = dir.join("whole");
    let (code, stdout, stderr) = run(&[
        "run",
        p.to_str().unwrap(),
        "--out",
        whole_out.to_str().unwrap(),
        "--quiet",
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let whole = run_dir(&whole_out);
    let uninterrupted = json(&whole.join("summary.json"));
    assert_eq!(resumed["best"], uninterrupted["best"]);
    let by_candidate = |mut t: Vec<Value>| {
        t.sort_by_key(|t| t["candidate"].as_u64());
        t
    };
    assert_eq!(
        by_candidate(resumed_trials),
        by_candidate(trials_without_times(&whole)),
        "the resumed run's trials are the uninterrupted run's"
    );
}

#[test]
fn the_memory_budget_refuses_a_run_before_it_starts_and_can_be_raised() {
    let dir = scratch("hardening-budget");
    let ames = root().join("pipelines/ames_ridge.toml");
    let out = dir.join("runs");
    let (code, stdout, stderr) = run(&[
        "run",
        ames.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--memory-budget",
        "1m",
    ]);
    let text = format!("{stdout}{stderr}");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("the design matrices would need about"),
        "{text}"
    );
    assert!(
        text.contains("over the memory budget of 1.0 MiB (--memory-budget)"),
        "{text}"
    );
    assert!(!out.exists(), "no run directory for a refused run");
    // The environment variable sets it too; the flag wins over it.
    let refused = kiln()
        .args(["run", ames.to_str().unwrap(), "--dry-run"])
        .env("KILN_MEMORY_BUDGET", "2m")
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(
        text.contains("memory budget of 2.0 MiB (KILN_MEMORY_BUDGET)"),
        "{text}"
    );
    let allowed = kiln()
        .args([
            "run",
            ames.to_str().unwrap(),
            "--dry-run",
            "--memory-budget",
            "1g",
        ])
        .env("KILN_MEMORY_BUDGET", "2m")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    let bad_env = kiln()
        .args(["run", ames.to_str().unwrap(), "--dry-run"])
        .env("KILN_MEMORY_BUDGET", "plenty")
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&bad_env.stderr);
    assert_eq!(bad_env.status.code(), Some(2), "{text}");
    assert!(
        text.contains("KILN_MEMORY_BUDGET: `plenty` is not a size"),
        "{text}"
    );
}

#[test]
fn a_torn_last_trial_line_is_dropped_and_a_damaged_log_is_not_overwritten() {
    let dir = scratch("hardening-torn");
    let data = root().join("data/diabetes.csv");
    let p = pipeline(
        &dir,
        "torn",
        &data,
        r#"
[pipeline]
task = "regression"
[data]
path = "DATA"
target = "target"
[model]
type = "ridge"
[grid]
model.alpha = [0.01, 0.1, 1.0, 10.0]
"#,
    );
    let (code, text) = run_in(&dir, &p, &[]);
    assert_eq!(code, 0, "{text}");
    let run_path = only_run(&dir, "torn");
    let whole = trials_without_times(&run_path);
    let log = run_path.join("trials.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    // What a kill in the middle of the last append leaves: half a line, no newline.
    let cut = text.trim_end().rfind('\n').unwrap() + 1 + 40;
    std::fs::write(&log, &text[..cut]).unwrap();
    std::fs::remove_file(run_path.join("model.json")).unwrap();
    let (code, stdout, stderr) = run(&["compare", run_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (code, stdout, stderr) = run(&[
        "run",
        p.to_str().unwrap(),
        "--resume",
        run_path.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(trials_without_times(&run_path), whole);
    assert!(run_path.join("model.json").exists());

    // A damaged line that is not the last is corruption: resume refuses, naming file and line, and
    // leaves the log as it was.
    let text = std::fs::read_to_string(&log).unwrap();
    let damaged = text.replacen("{\"candidate\":1", "{\"candidate\":1,,", 1);
    std::fs::write(&log, &damaged).unwrap();
    let (code, stdout, stderr) = run(&[
        "run",
        p.to_str().unwrap(),
        "--resume",
        run_path.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("trials.jsonl:2: not a trial line"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), damaged);
}

/// Ridge on diabetes over `alphas` alphas: many cheap fits (5 folds each), a line of progress each.
fn ridge_grid(dir: &Path, name: &str, alphas: usize, folds: usize) -> PathBuf {
    let data = root().join("data/diabetes.csv");
    let grid: Vec<String> = (1..=alphas).map(|i| format!("{}.0", i)).collect();
    pipeline(
        dir,
        name,
        &data,
        &format!(
            "[pipeline]\nname = \"{name}\"\ntask = \"regression\"\n[data]\npath = \"DATA\"\n\
             target = \"target\"\n[model]\ntype = \"ridge\"\n[cv]\nfolds = {folds}\n\
             [grid]\nmodel.alpha = [{}]\n",
            grid.join(", ")
        ),
    )
}

/// `kiln ARGS` under `ulimit -f BLOCKS` (512-byte blocks in dash, 1024 in bash): a write that would
/// take a file past that size fails (EFBIG), as a write to a full disk does, without needing one.
fn run_with_file_limit(blocks: u32, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -f {blocks} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_failed_log_write_stops_the_run_at_once_and_resume_completes_it() {
    let dir = scratch("hardening-full");
    let p = ridge_grid(&dir, "full", 60, 5);
    let (code, text) = run_in(&dir.join("whole"), &p, &[]);
    assert_eq!(code, 0, "{text}");
    let whole = only_run(&dir.join("whole"), "full");

    // fits.jsonl (about 130 bytes a fit, 300 fits) outgrows 8 KiB long before the end; the
    // summary (about 2 KiB) still fits.
    let out = dir.join("runs");
    let (code, _, stderr) = run_with_file_limit(
        16,
        &["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("fits.jsonl") && stderr.contains("--resume"),
        "{stderr}"
    );
    let run_path = only_run(&dir, "full");
    let summary = json(&run_path.join("summary.json"));
    assert_eq!(summary["status"], "failed");
    let error = summary["error"].as_str().unwrap();
    assert!(
        error.contains("fits.jsonl") && error.contains("--resume"),
        "{error}"
    );
    assert!(!run_path.join("model.json").exists());
    // Stopped at the failed write: no progress is reported past the last fit logged.
    let logged = whole_lines(&run_path.join("fits.jsonl"));
    assert!(logged < 300, "{logged} fits logged");
    let reported: Vec<usize> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix('[')?.split('/').next()?.parse().ok())
        .collect();
    assert!(
        reported.iter().all(|&n| n <= logged),
        "progress past the {logged} fits logged: {reported:?}"
    );

    // With room again, the run is completed from what it logged, into the uninterrupted result.
    let (code, stdout, stderr) = run(&[
        "run",
        p.to_str().unwrap(),
        "--resume",
        run_path.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(json(&run_path.join("summary.json"))["status"], "complete");
    assert_eq!(
        trials_without_times(&run_path),
        trials_without_times(&whole)
    );
}

#[test]
fn a_run_that_cannot_write_its_first_files_leaves_no_folder() {
    let dir = scratch("hardening-nospace");
    let p = ridge_grid(&dir, "nospace", 2, 5);
    let out = dir.join("runs");
    // Nothing can be written (the lock fails), then only pipeline.toml (summary.json fails):
    // either way the run cannot be resumed, and nothing of it is left.
    for (blocks, file) in [(0, "kiln.lock"), (1, "summary.json")] {
        let (code, _, stderr) = run_with_file_limit(
            blocks,
            &["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(file), "{stderr}");
        let left: Vec<_> =
            std::fs::read_dir(&out).map_or(Vec::new(), |d| d.map(|e| e.unwrap().path()).collect());
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

#[test]
fn with_stderr_closed_run_and_predict_finish() {
    let dir = scratch("hardening-closed-stderr");
    let p = ridge_grid(&dir, "closed", 30, 5);
    let out = dir.join("runs");
    let closed = |args: &[&str], what: &str| {
        let mut child = kiln()
            .args(args)
            .current_dir(root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take()); // nobody will read it: every write gets EPIPE
        wait_at_most(&mut child, 5, what).code()
    };
    assert_eq!(
        closed(
            &["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()],
            "run"
        ),
        Some(0)
    );
    let run_path = only_run(&dir, "closed");
    assert_eq!(json(&run_path.join("summary.json"))["status"], "complete");
    for f in ["model.json", "report.html", "trials.jsonl", "fits.jsonl"] {
        assert!(run_path.join(f).is_file(), "{f} missing");
    }
    let predicted = dir.join("predicted.csv");
    let model = run_path.join("model.json");
    let args = [
        "predict",
        model.to_str().unwrap(),
        "data/diabetes.csv",
        "-o",
        predicted.to_str().unwrap(),
    ];
    assert_eq!(closed(&args, "predict"), Some(0));
    let rows = std::fs::read_to_string(&predicted).unwrap().lines().count();
    assert_eq!(
        rows, 443,
        "a header and a prediction for each of the 442 rows"
    );
}

#[test]
fn a_stderr_nobody_reads_never_stalls_a_run() {
    let dir = scratch("hardening-unread-stderr");
    // 1,500 progress lines: about twice what a pipe holds before a writer blocks.
    let p = ridge_grid(&dir, "unread", 1500, 2);
    let out = dir.join("runs");
    let mut child = kiln()
        .args(["run", p.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let unread = child.stderr.take(); // held open, never read
    let status = wait_at_most(&mut child, 5, "kiln run with a stderr nobody reads");
    drop(unread);
    assert_eq!(status.code(), Some(0));
    let run_path = only_run(&dir, "unread");
    assert_eq!(json(&run_path.join("summary.json"))["status"], "complete");
    assert_eq!(trials(&run_path).len(), 1500);
}

#[test]
fn a_run_says_complete_only_once_its_report_is_written() {
    let out = scratch("hardening-status-last");
    let mut child = kiln()
        .args([
            "run",
            "pipelines/house_prices.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Watch the run directory while it finishes: whenever summary.json says complete, report.html
    // must be there (a kill at any moment leaves a complete run with its report, or a running one).
    let mut seen_complete = false;
    loop {
        let done = child.try_wait().unwrap().is_some();
        let dirs = std::fs::read_dir(out.join("house-prices"))
            .map_or(Vec::new(), |d| d.map(|e| e.unwrap().path()).collect());
        if let Some(run_path) = dirs.first() {
            let summary =
                std::fs::read_to_string(run_path.join("summary.json")).unwrap_or_default();
            if summary.contains("\"status\": \"complete\"") {
                seen_complete = true;
                assert!(
                    run_path.join("report.html").exists(),
                    "complete before report.html"
                );
            }
        }
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(seen_complete);
}
