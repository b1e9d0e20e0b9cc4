//! `kiln run` over one or more pipelines: each runs in turn, SIGINT/SIGTERM stop cleanly, a table
//! over the batch ends it, and `--junit` writes a report CI systems show. The exit code is the worst
//! of the runs (2 over 1 over 0), or 130 when interrupted.

use crate::cli::{overrides, report, RunArgs};
use crate::error::KilnError;
use crate::pipeline::execute::{run_pipeline, RunOptions, INTERRUPTED};
use crate::runlog::junit::{self, JunitCase, JunitSuite};
use crate::runlog::{Shard, Summary};
use crate::util::output::emit;
use crate::util::table::Table;
use std::sync::atomic::Ordering;
use std::time::Instant;

/// What one pipeline of a batch came to.
struct Entry {
    pipeline: String,
    code: u8,
    summary: Option<Summary>,
    error: Option<String>,
    seconds: f64,
}

pub fn command(a: RunArgs, command: Vec<String>) -> u8 {
    let parsed =
        overrides(&a.set).and_then(|o| Ok((o, a.shard.as_deref().map(Shard::parse).transpose()?)));
    let (overrides, shard) = match parsed {
        Ok(x) => x,
        Err(e) => {
            crate::say!("error: {e}");
            return 2;
        }
    };
    if a.resume.is_some() && a.pipelines.len() > 1 {
        crate::say!("error: --resume completes one run: give exactly one pipeline");
        return 2;
    }
    install_signal_handler();
    let opts = RunOptions {
        overrides,
        out: a.out,
        jobs: a.jobs.map(|j| j as usize),
        dry_run: a.dry_run,
        quiet: a.quiet,
        command,
        shard,
        resume: a.resume,
        memory_budget: a.memory_budget,
    };
    let mut entries = Vec::new();
    let mut interrupted = false;
    for path in &a.pipelines {
        let started = Instant::now();
        let (code, summary, error) = match run_pipeline(path, &opts) {
            Ok(outcome) => (u8::from(outcome.expect_failed), outcome.summary, None),
            Err(KilnError::Interrupted) => {
                crate::say!(
                    "interrupted: {} (finished fits are kept; complete it with --resume)",
                    path.display()
                );
                interrupted = true;
                (130, None, Some("interrupted".to_string()))
            }
            Err(e) => (report(path, &e), None, Some(e.to_string())),
        };
        entries.push(Entry {
            pipeline: path.display().to_string(),
            code,
            summary,
            error,
            seconds: started.elapsed().as_secs_f64(),
        });
        if interrupted {
            break;
        }
    }
    if entries.len() > 1 && !a.dry_run {
        emit(&batch_table(&entries));
    }
    if let Some(file) = &a.junit {
        if let Err(e) = junit::write(file, &suites(&entries)) {
            crate::say!("error: --junit {}: {e}", file.display());
            return 2;
        }
    }
    if interrupted {
        return 130;
    }
    entries.iter().map(|e| e.code).max().unwrap_or(0)
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
            std::process::exit(130);
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
        let status = match (e.code, &e.error) {
            (0, _) => "ok".to_string(),
            (1, _) => "expect failed".to_string(),
            (130, _) => "interrupted".to_string(),
            _ => "error".to_string(),
        };
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
