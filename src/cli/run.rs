//! `kiln run` over one or more pipelines: each runs in turn, SIGINT/SIGTERM stop cleanly, a table
//! over the batch ends it, and `--junit` writes a report CI systems show. The status is the worst
//! of the runs (failure over expect failed over success), or interrupted.

use super::failure::{self, CommandResult, Failure, WithContext};
use super::{overrides, threads, ExitStatus};
use crate::error::KilnError;
use crate::pipeline::execute::{run_pipeline, RunOptions, INTERRUPTED};
use crate::report::junit::{self, JunitCase, JunitSuite};
use crate::runlog::{Shard, Summary};
use crate::util::output::emit;
use crate::util::table::Table;
use clap::Args;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline files, run in turn.
    #[arg(required = true, value_name = "PIPELINE")]
    pub pipelines: Vec<PathBuf>,
    /// Override a key before validation, e.g. --set model.alpha=0.5 (repeatable; applies to every pipeline).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Where run directories go (overrides [output] dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Threads for the search (default: every core; at most 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Check everything and print the plan; fit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress and no leaderboard; only the run directory and failed expectations.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard I of N: the candidates whose index mod N is I-1 (merge the shards with `kiln merge`).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Complete an interrupted run in RUN_DIR: finished candidates are kept, the rest are run.
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Write a JUnit XML report: one test case per pipeline and per [expect] check.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Refuse a run whose design matrices would take more memory than SIZE (as 512m, 8g; default:
    /// $KILN_MEMORY_BUDGET, else 75% of the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = crate::util::sizes::parse_size)]
    pub memory_budget: Option<u64>,
}

/// What one pipeline of a batch came to.
struct Entry {
    pipeline: String,
    status: ExitStatus,
    summary: Option<Summary>,
    error: Option<String>,
    seconds: f64,
}

/// `command`: the command line, recorded in each run's summary.json.
pub fn command(a: RunArgs, command: Vec<String>) -> CommandResult {
    let overrides = overrides(&a.set)?;
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    if a.resume.is_some() && a.pipelines.len() > 1 {
        return Err(KilnError::Config(
            "--resume completes one run: give exactly one pipeline".into(),
        )
        .into());
    }
    install_signal_handler();
    let opts = RunOptions {
        overrides,
        out: a.out,
        threads: threads::search(a.jobs),
        dry_run: a.dry_run,
        quiet: a.quiet,
        command,
        shard,
        resume: a.resume,
        memory_budget: a.memory_budget,
    };
    let mut entries = Vec::new();
    for path in &a.pipelines {
        let started = Instant::now();
        let (status, summary, error) = match run_pipeline(path, &opts) {
            Ok(outcome) => (
                ExitStatus::expectations(outcome.expect_failed),
                outcome.summary,
                None,
            ),
            Err(KilnError::Interrupted) => {
                crate::say!(
                    "interrupted: {} (finished fits are kept; complete it with --resume)",
                    path.display()
                );
                (
                    ExitStatus::Interrupted,
                    None,
                    Some("interrupted".to_string()),
                )
            }
            Err(e) => {
                let message = e.to_string();
                let status = failure::print(&Failure::from(e).about(path));
                (status, None, Some(message))
            }
        };
        entries.push(Entry {
            pipeline: path.display().to_string(),
            status,
            summary,
            error,
            seconds: started.elapsed().as_secs_f64(),
        });
        if status == ExitStatus::Interrupted {
            break;
        }
    }
    if entries.len() > 1 && !a.dry_run {
        emit(&batch_table(&entries))?;
    }
    if let Some(file) = &a.junit {
        junit::write(file, &suites(&entries)).context(format!("--junit {}", file.display()))?;
    }
    Ok(entries
        .iter()
        .map(|e| e.status)
        .max()
        .unwrap_or(ExitStatus::Success))
}

/// SIGINT or SIGTERM: stop scheduling fits and write the run as interrupted. A second one exits at
/// once (trials.jsonl still holds only whole lines). SIGXFSZ (a file grown past `ulimit -f`) is
/// ignored, so the write fails and the run records it, as on a full disk, instead of dying.
fn install_signal_handler() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(ExitStatus::Interrupted.code().into());
        }
        crate::say!("\nstopping: finishing the fits under way (again to quit at once)");
    });
}

fn batch_table(entries: &[Entry]) -> String {
    let mut t = Table::new(&[
        "pipeline",
        "status",
        "metric",
        "best (mean ± std)",
        "run directory",
    ]);
    for e in entries {
        let status = match e.status {
            ExitStatus::Success => "ok",
            ExitStatus::ExpectFailed => "expect failed",
            ExitStatus::Interrupted => "interrupted",
            ExitStatus::Failure => "error",
        }
        .to_string();
        let (metric, best, dir) = match &e.summary {
            Some(s) => (
                s.metric.clone(),
                s.best
                    .as_ref()
                    .and_then(|b| {
                        Some(format!(
                            "{:.6} ± {:.6}",
                            b.mean.get(&s.metric)?,
                            b.std.get(&s.metric)?
                        ))
                    })
                    .unwrap_or_default(),
                format!("{}/{}", s.pipeline, s.run_id),
            ),
            None => (
                String::new(),
                String::new(),
                e.error
                    .clone()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            ),
        };
        t.push(vec![e.pipeline.clone(), status, metric, best, dir]);
    }
    format!("\nbatch of {} pipelines\n{}", entries.len(), t.render())
}

fn suites(entries: &[Entry]) -> Vec<JunitSuite> {
    entries
        .iter()
        .map(|e| {
            let name = e
                .summary
                .as_ref()
                .map_or(e.pipeline.clone(), |s| s.pipeline.clone());
            let mut cases = vec![JunitCase {
                name: format!("run {}", e.pipeline),
                seconds: e.seconds,
                failure: None,
                error: e.error.clone(),
            }];
            if let Some(s) = &e.summary {
                for x in &s.expect {
                    let bound = x.bound_text();
                    let value = x.value.map_or("missing".to_string(), |v| format!("{v}"));
                    cases.push(JunitCase {
                        name: format!("expect {} {bound}", x.key),
                        seconds: 0.0,
                        failure: (!x.passed)
                            .then(|| format!("{} = {value}, expected {bound}", x.key)),
                        error: None,
                    });
                }
            }
            JunitSuite { name, cases }
        })
        .collect()
}
