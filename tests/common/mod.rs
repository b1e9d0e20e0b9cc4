//! Helpers shared by the integration tests: run the real binary, find the run directory, read logs.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn kiln() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
}

/// A fresh, empty scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `kiln` with `args`; returns (exit code, stdout, stderr). A run still going after 10 minutes
/// (a deadlock) is killed and fails the test, rather than hanging the suite.
pub fn run(args: &[&str]) -> (i32, String, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = kiln()
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kiln binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = wait_at_most(&mut child, 10, &format!("kiln {}", args.join(" ")));
    (
        status.code().unwrap_or(-1),
        stdout.join().unwrap(),
        stderr.join().unwrap(),
    )
}

/// `kiln run PIPELINE --out OUT --quiet`, which must succeed; returns the model.json it wrote.
pub fn train(pipeline: &Path, out: &Path) -> PathBuf {
    let (code, stdout, stderr) = run(&[
        "run",
        pipeline.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(
        code,
        0,
        "kiln run {}:\n{stdout}\n{stderr}",
        pipeline.display()
    );
    run_dir(out).join("model.json")
}

/// The single run directory under `out` (out/<pipeline>/<run id>).
pub fn run_dir(out: &Path) -> PathBuf {
    let mut dirs = Vec::new();
    for p in std::fs::read_dir(out).unwrap() {
        let p = p.unwrap().path();
        for r in std::fs::read_dir(&p).unwrap() {
            dirs.push(r.unwrap().path());
        }
    }
    assert_eq!(
        dirs.len(),
        1,
        "expected one run directory under {}: {dirs:?}",
        out.display()
    );
    dirs.pop().unwrap()
}

pub fn trials(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// trials.jsonl without the times, for comparing runs.
pub fn trials_without_times(dir: &Path) -> Vec<serde_json::Value> {
    let mut t = trials(dir);
    for trial in &mut t {
        for fold in trial["folds"].as_array_mut().unwrap() {
            fold.as_object_mut().unwrap().remove("fit_seconds");
        }
    }
    t
}

/// Starts `kiln ARGS` (from the repository root), waits until the first run directory under
/// `runs_of` has logged `lines` trials, then sends `signal` (as `kill` takes it: "-INT", "-KILL").
/// Returns the exit code (-1 when killed by the signal) and the run directory.
pub fn signal_after_trials(
    args: &[String],
    runs_of: &Path,
    lines: usize,
    signal: &str,
) -> (i32, PathBuf) {
    let (mut child, dir) = start_until_logged(args, runs_of, "trials.jsonl", lines);
    (signal_and_wait(&mut child, signal), dir)
}

/// `kiln run PIPELINE --out <fresh scratch TAG> --quiet EXTRA`, which must succeed; returns the run
/// directory.
pub fn run_to_dir(pipeline: &str, tag: &str, extra: &[&str]) -> PathBuf {
    let out = scratch(tag);
    let mut args = vec!["run", pipeline, "--out", out.to_str().unwrap(), "--quiet"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "kiln run {pipeline} failed:\n{stdout}\n{stderr}");
    run_dir(&out)
}

/// The number of whole lines of a file (0 when it does not exist).
pub fn whole_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.matches('\n').count())
}

/// Starts `kiln ARGS` (from the repository root, stdout and stderr discarded) and waits until the
/// first run directory under `runs_of` holds `lines` whole lines in its file `log` (as "fits.jsonl").
/// Returns the running process and the run directory.
pub fn start_until_logged(
    args: &[String],
    runs_of: &Path,
    log: &str,
    lines: usize,
) -> (std::process::Child, PathBuf) {
    use std::time::{Duration, Instant};
    let mut child = kiln()
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let found = std::fs::read_dir(runs_of)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|d| d.ok())
            .map(|d| d.path());
        if let Some(dir) = found {
            if whole_lines(&dir.join(log)) >= lines {
                return (child, dir);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before {lines} lines of {log}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "fewer than {lines} lines of {log} after 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends `signal` (as `kill` takes it: "-INT", "-KILL") to a process and waits for it; returns its
/// exit code (-1 when killed by the signal).
pub fn signal_and_wait(child: &mut std::process::Child, signal: &str) -> i32 {
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap().code().unwrap_or(-1)
}

/// Waits for a process, at most `minutes`: a process still running then is killed and the test
/// fails with `what` (a guard against a hang, not a timing check).
pub fn wait_at_most(
    child: &mut std::process::Child,
    minutes: u64,
    what: &str,
) -> std::process::ExitStatus {
    use std::time::{Duration, Instant};
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > Duration::from_secs(60 * minutes) {
            let _ = child.kill();
            panic!("{what}: still running after {minutes} minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `kiln ARGS`, which must succeed: (stdout, stderr).
pub fn run_ok(args: &[&str]) -> (String, String) {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "kiln {}:\n{out}\n{err}", args.join(" "));
    (out, err)
}

/// `kiln run FILE --out OUT --quiet EXTRA`: the run directory.
pub fn run_into(file: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    run_ok(&args);
    run_dir(out)
}

/// `kiln run FILE --shard I/N` for every I into `dir/shards`, then `kiln merge` into `dir/merged`:
/// the merged run directory.
pub fn run_sharded_and_merged(file: &Path, dir: &Path, shards: usize) -> PathBuf {
    for i in 1..=shards {
        let shard = format!("{i}/{shards}");
        run_ok(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            dir.join("shards").to_str().unwrap(),
            "--quiet",
            "--shard",
            &shard,
        ]);
    }
    run_ok(&[
        "merge",
        dir.join("shards").to_str().unwrap(),
        "--out",
        dir.join("merged").to_str().unwrap(),
        "--quiet",
    ]);
    run_dir(&dir.join("merged"))
}

/// Runs FILE with --jobs 1, --jobs 2 and as two shards merged, and checks the three logged the same
/// trials; returns the --jobs 1 run directory.
pub fn same_trials_for_any_jobs_and_shards(file: &Path, dir: &Path) -> PathBuf {
    let one = run_into(file, &dir.join("one"), &["--jobs", "1"]);
    let two = run_into(file, &dir.join("two"), &["--jobs", "2"]);
    assert_eq!(trials_without_times(&one), trials_without_times(&two));
    let merged = run_sharded_and_merged(file, dir, 2);
    assert_eq!(trials_without_times(&merged), trials_without_times(&one));
    one
}
