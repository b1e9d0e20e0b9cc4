//! The experiment workflow through the real binary: batches and their exit codes, JUnit reports,
//! compare, interrupt and resume (SIGINT and kill -9), shards merged against the whole run, and
//! provenance in summary.json.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// trials.jsonl and model.json of a run, without what legitimately differs (times, ids).
fn fingerprint(dir: &Path) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut model = json(&dir.join("model.json"));
    model.as_object_mut().unwrap().remove("created_at");
    (trials_without_times(dir), model)
}

/// The run directories of one pipeline: `<out>/<pipeline name>/<run id>`.
fn runs_under(pipeline_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(pipeline_dir)
        .unwrap()
        .map(|r| r.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn a_batch_runs_every_pipeline_and_exits_with_the_worst_code() {
    let out = scratch("batch");
    let junit = out.join("report.xml");
    let (code, stdout, stderr) = run(&[
        "run",
        "pipelines/house_prices.toml",
        "tests/bad/negative_alpha.toml",
        "pipelines/iris_clusters.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--junit",
        junit.to_str().unwrap(),
        "--set",
        "pipeline.seed=5",
    ]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stdout.contains("batch of 3 pipelines"), "{stdout}");
    assert!(
        stdout.contains("house_prices.toml") && stdout.contains("error"),
        "{stdout}"
    );
    // Both good pipelines ran, with the override applied to each.
    let dirs =
        runs_under(&out.join("house-prices")).len() + runs_under(&out.join("iris-clusters")).len();
    assert_eq!(dirs, 2);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(
        xml.contains("tests=\"4\" failures=\"0\" errors=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("name=\"expect cv.r2 &gt;= 0.6\""), "{xml}");

    // An unmet expectation alone gives 1, listed in the JUnit report as a failure.
    let (code, _, _) = run(&[
        "run",
        "pipelines/house_prices.toml",
        "pipelines/iris_clusters.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--junit",
        junit.to_str().unwrap(),
        "--set",
        "expect.cv.r2={ max = 0.1 }",
    ]);
    assert_eq!(
        code, 2,
        "expect.cv.r2 is not a clustering metric: the clustering pipeline is invalid"
    );
    let (code, _, _) = run(&[
        "run",
        "pipelines/house_prices.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--junit",
        junit.to_str().unwrap(),
        "--set",
        "expect.cv.r2={ max = 0.1 }",
    ]);
    assert_eq!(code, 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("failures=\"1\"") && xml.contains("<failure message=\"cv.r2 = "),
        "{xml}"
    );
}

#[test]
fn compare_shows_the_keys_that_differ_and_marks_the_best() {
    let out = scratch("compare");
    for alpha in ["0.1", "1000.0"] {
        let set = format!("grid.model.alpha=[{alpha}]");
        let (code, _, e) = run(&[
            "run",
            "pipelines/ames_ridge.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--set",
            &set,
        ]);
        assert_eq!(code, 0, "{e}");
    }
    let (code, stdout, e) = run(&["compare", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{e}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(
        lines[0].contains("grid.model.alpha") && !lines[0].contains("pipeline.seed"),
        "only differing keys: {stdout}"
    );
    assert!(stdout.contains(" *"), "{stdout}");
    let (_, all, _) = run(&["compare", out.to_str().unwrap(), "--all"]);
    assert!(all.lines().next().unwrap().contains("pipeline.seed"));
    let (_, json_out, _) = run(&[
        "compare",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--sort",
        "rmse",
    ]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json_out).unwrap();
    assert_eq!(
        rows[0]["grid.model.alpha"], "[0.1]",
        "lowest rmse first: {json_out}"
    );
    let (_, csv, _) = run(&["compare", out.to_str().unwrap(), "--format", "csv"]);
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("pipeline,run,date,data,status"));
    let (_, md, _) = run(&["compare", out.to_str().unwrap(), "--format", "md"]);
    assert!(md.lines().nth(1).unwrap().starts_with("|---|"));
    let run_dir = runs_under(&out.join("ames-ridge")).remove(0);
    let (code, trials, _) = run(&["compare", "--trials", run_dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        trials.starts_with("rank  candidate  status  params"),
        "{trials}"
    );
    let (code, _, err) = run(&["compare", out.join("nowhere").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("no such run directory"), "{err}");
    let (code, _, err) = run(&["compare", out.to_str().unwrap(), "--sort", "rsme"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `rmse`?"), "{err}");
}

#[test]
fn compare_output_into_a_closed_pipe_exits_quietly() {
    let out = scratch("pipe");
    let (code, _, _) = run(&[
        "run",
        "pipelines/iris_clusters.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0);
    let dir = runs_under(&out.join("iris-clusters")).remove(0);
    let mut child = kiln()
        .args(["compare", "--trials", dir.to_str().unwrap()])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away at once, as `| head -0` would
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}

/// A grid big enough to interrupt: 40 ridge alphas on ames, one at a time.
fn slow_args(out: &Path) -> Vec<String> {
    let alphas: Vec<String> = (0..40).map(|i| format!("{}.0", i + 1)).collect();
    vec![
        "run".into(),
        "tests/reference/ames_ridge.toml".into(),
        "--out".into(),
        out.display().to_string(),
        "--quiet".into(),
        "--jobs".into(),
        "1".into(),
        "--set".into(),
        format!("grid.model.alpha=[{}]", alphas.join(",")),
    ]
}

/// Starts the slow run, waits until it has logged `lines` trials, then sends `signal`.
fn interrupt_after(out: &Path, lines: usize, signal: &str) -> (i32, PathBuf) {
    signal_after_trials(&slow_args(out), &out.join("ames_ridge"), lines, signal)
}

/// The slow run, uninterrupted, into scratch folder `tag`: its run directory.
fn whole_slow_run(tag: &str) -> PathBuf {
    let out = scratch(tag);
    let (code, _, e) = run(&slow_args(&out)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    run_dir(&out)
}

#[test]
fn sigint_stops_cleanly_and_resume_completes_the_same_run() {
    let whole = whole_slow_run("whole");

    let out = scratch("sigint");
    let (code, dir) = interrupt_after(&out, 2, "-INT");
    assert_eq!(code, 130);
    let summary = json(&dir.join("summary.json"));
    assert_eq!(summary["status"], "interrupted");
    let kept = trials(&dir).len();
    assert!((2..40).contains(&kept), "{kept} trials kept");
    assert!(!dir.join("model.json").exists());
    // compare reads an interrupted run.
    let (code, stdout, _) = run(&["compare", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(stdout.contains("interrupted"), "{stdout}");

    let mut args = slow_args(&out);
    args.extend(["--resume".into(), dir.display().to_string()]);
    let (code, _, e) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    assert_eq!(json(&dir.join("summary.json"))["status"], "complete");
    assert_eq!(
        fingerprint(&dir),
        fingerprint(&whole),
        "a resumed run equals an uninterrupted one"
    );
}

#[test]
fn after_kill_9_compare_reads_the_run_and_resume_completes_it() {
    let out = scratch("kill9");
    let (_, dir) = interrupt_after(&out, 3, "-KILL");
    // Simulate the worst moment: a torn last line.
    let mut t = std::fs::read_to_string(dir.join("trials.jsonl")).unwrap();
    t.push_str("{\"candidate\": 39, \"par");
    std::fs::write(dir.join("trials.jsonl"), t).unwrap();
    assert_eq!(json(&dir.join("summary.json"))["status"], "running");
    let (code, stdout, e) = run(&["compare", "--trials", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{e}");
    assert!(stdout.lines().count() >= 4, "{stdout}");
    let mut args = slow_args(&out);
    args.extend(["--resume".into(), dir.display().to_string()]);
    let (code, _, e) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    let trials = trials(&dir);
    assert_eq!(trials.len(), 40);
    assert!(trials.iter().enumerate().all(|(i, t)| t["candidate"] == i));
}

#[test]
fn resume_refuses_another_pipeline_or_changed_data() {
    let out = scratch("resume-check");
    let (code, _, _) = run(&[
        "run",
        "pipelines/iris_clusters.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0);
    let dir = runs_under(&out.join("iris-clusters")).remove(0);
    let (code, _, err) = run(&[
        "run",
        "pipelines/iris_clusters.toml",
        "--resume",
        dir.to_str().unwrap(),
        "--set",
        "pipeline.seed=9",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the pipeline differs from the one that run used"),
        "{err}"
    );
}

#[test]
fn shards_merged_equal_the_whole_run() {
    let out = scratch("shards");
    let (code, _, e) = run(&[
        "run",
        "pipelines/penguins_species.toml",
        "--out",
        out.join("whole").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{e}");
    let whole = run_dir(&out.join("whole"));
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let (code, _, e) = run(&[
            "run",
            "pipelines/penguins_species.toml",
            "--shard",
            &shard,
            "--out",
            out.join("shards").to_str().unwrap(),
            "--quiet",
        ]);
        assert_eq!(code, 0, "{e}");
    }
    let shard_dirs = runs_under(&out.join("shards").join("penguins-species"));
    assert_eq!(shard_dirs.len(), 3);
    for d in &shard_dirs {
        let s = json(&d.join("summary.json"));
        assert_eq!(s["shard"]["count"], 3);
        assert!(!d.join("model.json").exists(), "a shard refits nothing");
        for t in trials(d) {
            assert_eq!(
                t["candidate"].as_u64().unwrap() % 3 + 1,
                s["shard"]["index"].as_u64().unwrap()
            );
        }
    }
    // Two shards are not enough.
    let (code, _, err) = run(&[
        "merge",
        shard_dirs[0].to_str().unwrap(),
        shard_dirs[1].to_str().unwrap(),
        "--out",
        out.join("x").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("missing shards:"), "{err}");
    let (code, _, e) = run(&[
        "merge",
        out.join("shards").to_str().unwrap(),
        "--out",
        out.join("merged").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{e}");
    let merged = run_dir(&out.join("merged"));
    assert_eq!(
        fingerprint(&merged),
        fingerprint(&whole),
        "merged shards equal the whole run"
    );
    assert_eq!(
        json(&merged.join("summary.json"))["merged_from"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A run is not a shard.
    let (code, _, err) = run(&["merge", whole.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a shard run"), "{err}");
}

#[test]
fn repeated_runs_are_identical_and_provenance_is_recorded() {
    let out = scratch("repeat");
    let mut dirs = Vec::new();
    for _ in 0..2 {
        let (code, _, e) = run(&[
            "run",
            "pipelines/breast_cancer.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--jobs",
            "2",
        ]);
        assert_eq!(code, 0, "{e}");
    }
    dirs.extend(runs_under(&out.join("breast-cancer")));
    assert_eq!(dirs.len(), 2);
    assert_eq!(fingerprint(&dirs[0]), fingerprint(&dirs[1]));
    let s = json(&dirs[0].join("summary.json"));
    assert_eq!(s["kiln_version"], env!("CARGO_PKG_VERSION"));
    assert!(s["command"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "--jobs"));
    assert_eq!(s["threads"], 2);
    assert_eq!(s["data"]["hash"].as_str().unwrap().len(), 16);
    assert_eq!(s["data"]["rows"], 569);
    assert_eq!(s["data"]["columns"], 31);
}

/// Every (candidate, fold) of a run's fits.jsonl, checking that none is there twice.
fn logged_fits(dir: &Path) -> std::collections::BTreeSet<(u64, i64)> {
    let text = std::fs::read_to_string(dir.join("fits.jsonl")).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        let fit: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            fit["candidate"].as_u64().unwrap(),
            fit["fold"].as_i64().unwrap(),
        );
        assert!(
            seen.insert(key),
            "fit {key:?} logged twice in {}",
            dir.display()
        );
    }
    seen
}

#[test]
fn a_kill_keeps_every_finished_fit_and_resume_runs_only_the_rest() {
    let whole = whole_slow_run("fits-whole");
    assert_eq!(logged_fits(&whole).len(), 40 * 5, "one line per fit");

    // Killed in the middle of the second candidate: the first is whole, two fits of the second too.
    let out = scratch("fits-kill");
    let (mut child, dir) =
        start_until_logged(&slow_args(&out), &out.join("ames_ridge"), "fits.jsonl", 7);
    assert_eq!(signal_and_wait(&mut child, "-KILL"), -1);
    let kept = logged_fits(&dir);
    assert!(kept.len() >= 7, "{} fits kept", kept.len());
    // Candidates finish one after the other: every fit but the last few belongs to a whole trial.
    let whole_trials = trials(&dir).len();
    assert!(
        whole_trials >= 1 && whole_trials * 5 + 5 >= kept.len(),
        "{whole_trials} trials, {} fits",
        kept.len()
    );
    let lock = dir.join("kiln.lock");
    assert_eq!(
        std::fs::read_to_string(&lock).unwrap().trim(),
        child.id().to_string(),
        "the killed process's lock is left behind"
    );

    // The resume, on another thread count, takes the dead process's lock over, runs only the fits
    // not logged, and ends with the uninterrupted run's trials and model.
    let mut args = slow_args(&out);
    let jobs = args.iter().position(|a| a == "--jobs").unwrap();
    args[jobs + 1] = "3".into();
    args.extend(["--resume".into(), dir.display().to_string()]);
    let (code, _, e) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{e}");
    assert_eq!(json(&dir.join("summary.json"))["status"], "complete");
    assert_eq!(
        logged_fits(&dir),
        logged_fits(&whole),
        "each fit once, the kept ones not rerun"
    );
    assert_eq!(fingerprint(&dir), fingerprint(&whole));
    assert!(!lock.exists(), "the lock is released at the end");
}

#[test]
fn resume_refuses_a_run_that_is_still_going() {
    let out = scratch("lock");
    let (mut child, dir) =
        start_until_logged(&slow_args(&out), &out.join("ames_ridge"), "fits.jsonl", 1);
    let mut args = slow_args(&out);
    args.extend(["--resume".into(), dir.display().to_string()]);
    let (code, _, err) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let pid = child.id();
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("another kiln process (pid {pid})")),
        "{err}"
    );
    // The running process was not disturbed: stopped now, it writes a whole interrupted run.
    assert_eq!(signal_and_wait(&mut child, "-INT"), 130);
    assert_eq!(json(&dir.join("summary.json"))["status"], "interrupted");
    let t = trials(&dir);
    assert!(
        t.iter().enumerate().all(|(i, t)| t["candidate"] == i),
        "{t:?}"
    );
    assert!(!dir.join("kiln.lock").exists());
}
