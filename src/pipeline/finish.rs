//! The end of a run or a merge: its summary from start to close, the best candidate refitted,
//! model.json, the expectations checked, the report and the leaderboard.

use super::execute::{RunOptions, RunOutcome};
use super::expect::{check_expectations, expectation_lines};
use super::leaderboard::leaderboard;
use super::prepare::Prepared;
use super::refit::{best_trial, refit};
use crate::data::Dataset;
use crate::error::{KilnError, Result};
use crate::runlog::{
    BestSummary, DataSummary, HalvingSummary, RunLog, SearchSummary, Shard, Summary,
};
use crate::search::Trial;
use crate::util::atomic::atomic_write;
use crate::util::clock::{now_secs, utc_iso};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

pub(crate) fn initial_summary(
    prepared: &Prepared,
    run: &RunLog,
    opts: &RunOptions,
    threads: usize,
    shard: Option<Shard>,
    pipeline_file: &Path,
) -> Summary {
    let base = prepared.base();
    let ds = &prepared.dataset;
    Summary {
        status: "running".into(),
        pipeline: base.name.clone(),
        pipeline_file: pipeline_file.display().to_string(),
        run_id: run
            .path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        kiln_version: env!("CARGO_PKG_VERSION").into(),
        command: opts.command.clone(),
        started_at: utc_iso(now_secs()),
        finished_at: String::new(),
        duration_seconds: 0.0,
        data: DataSummary {
            path: base.data_path.display().to_string(),
            hash: prepared.data_hash.clone(),
            rows: ds.file_rows,
            columns: ds.file_columns,
            rows_used: ds.n_rows(),
            dropped_missing_target: ds.dropped_missing_target,
            dropped_missing_features: ds.dropped_missing_features,
            train_rows: prepared.train_rows.len(),
            test_rows: prepared.test_rows.len(),
        },
        task: base.task.name().into(),
        seed: base.seed,
        threads,
        candidates: prepared.loaded.candidates.len(),
        candidates_failed: 0,
        folds: prepared.splits.len(),
        metric: base.metric.name().into(),
        greater_is_better: base.metric.greater_is_better(),
        shard,
        merged_from: Vec::new(),
        search: Some(SearchSummary {
            strategy: base.search.strategy.name().into(),
            candidates_made: prepared.made,
            max_fits: base.search.max_fits,
            stopped_by: if prepared.cut_line().is_some() {
                "max_fits"
            } else {
                "complete"
            }
            .into(),
            stop_candidate: None,
            depends_on_machine: false,
            halving: prepared.halving.as_ref().map(|h| HalvingSummary {
                factor: h.settings.factor,
                resource: h.settings.resource.text(),
                min_resources: h.plan.min_resources,
                max_resources: h.plan.max_resources,
                aggressive_elimination: h.settings.aggressive_elimination,
                required_rungs: h.plan.required,
                possible_rungs: h.plan.possible,
                rungs: h.planned_rungs(),
            }),
        }),
        best: None,
        test: BTreeMap::new(),
        permutation_importance: None,
        expect: Vec::new(),
        warnings: prepared.warnings.clone(),
        error: None,
    }
}

/// What closing a run needs besides its summary.
pub(crate) struct Closing<'a> {
    pub(crate) data: &'a Dataset,
    /// Every trial of the run, in candidate order.
    pub(crate) trials: &'a [Trial],
    pub(crate) started: Instant,
}

impl Closing<'_> {
    /// Ends a run on disk, whatever its outcome ("complete", "failed", "interrupted"): trials.jsonl
    /// in candidate order, report.html, then summary.json with the status and times. The status is
    /// written last, so a run that says it is complete has its report. Then the lock is released.
    pub(crate) fn close(
        &self,
        run: &mut RunLog,
        summary: &mut Summary,
        status: &str,
    ) -> Result<()> {
        self.stamp(summary, status);
        let written = run.rewrite_trials(self.trials).and_then(|_| {
            crate::report::write_after_run(&run.path, self.data, Some(summary));
            run.write_json("summary.json", summary)
        });
        if let Err(e) = written {
            return Err(self.write_failed(run, summary, e));
        }
        run.release();
        Ok(())
    }

    fn stamp(&self, summary: &mut Summary, status: &str) {
        summary.status = status.into();
        summary.finished_at = utc_iso(now_secs());
        summary.duration_seconds = self.started.elapsed().as_secs_f64();
    }

    /// A run that cannot produce a model: summary.json says why, no model.json is written, exit 2.
    /// The report still shows what finished (the failed candidates' errors among them).
    pub(crate) fn fail(
        &self,
        run: &mut RunLog,
        summary: &mut Summary,
        message: String,
    ) -> Result<RunOutcome> {
        summary.error = Some(message.clone());
        self.close(run, summary, "failed")?;
        Err(KilnError::AllCandidatesFailed(format!(
            "{message}\nrun directory: {}",
            run.path.display()
        )))
    }

    /// A write failed (a full disk): the run stops there. Its summary says so if it can still be
    /// written; what is logged stays, for `--resume` once there is room. Returns the error.
    pub(crate) fn write_failed(
        &self,
        run: &RunLog,
        summary: &mut Summary,
        e: KilnError,
    ) -> KilnError {
        self.stamp(summary, "failed");
        let message = format!(
            "{e}; the run stopped at this failed write and keeps what it logged: make room and \
             complete it with `kiln run {} --resume {}`",
            summary.pipeline_file,
            run.path.display()
        );
        summary.error = Some(message.clone());
        let _ = run.write_json("summary.json", summary);
        run.release();
        KilnError::Data(message)
    }
}

/// Picks the best trial, refits it on all training rows (not for a shard: `kiln merge` does that),
/// checks the expectations, writes model.json and summary.json, and prints the leaderboard.
pub fn finish_run(
    prepared: &Prepared,
    run: &mut RunLog,
    mut summary: Summary,
    trials: &[Trial],
    quiet: bool,
    started: Instant,
) -> Result<RunOutcome> {
    let base = prepared.base();
    let closing = Closing {
        data: &prepared.dataset,
        trials,
        started,
    };
    summary.candidates_failed = trials.iter().filter(|t| !t.is_ok()).count();
    let Some(best) = best_trial(trials, base.metric) else {
        let mut msg = format!("every candidate failed ({}):", trials.len());
        for t in trials {
            msg.push_str(&format!(
                "\n  candidate {} ({}): {}",
                t.candidate,
                t.params_text(),
                t.error.as_deref().unwrap_or("")
            ));
        }
        return closing.fail(run, &mut summary, msg);
    };
    summary.best = Some(BestSummary {
        candidate: best.candidate,
        params: best.params.clone(),
        mean: best.mean.clone(),
        std: best.std.clone(),
    });
    let mut expect_failed = false;
    if summary.shard.is_none() {
        let cand = match super::halving::refit_candidate(prepared, best) {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("refitting the best candidate {}: {e}", best.candidate);
                return closing.fail(run, &mut summary, msg);
            }
        };
        let artifact = match refit(prepared, &cand, best) {
            Ok(a) => a,
            Err(e) => {
                let msg = format!("refitting the best candidate {}: {e}", best.candidate);
                return closing.fail(run, &mut summary, msg);
            }
        };
        summary.test = artifact.test.clone();
        summary.permutation_importance =
            match super::explain::permutation_importance(prepared, &cand, &artifact) {
                Ok(p) => p,
                Err(e) => {
                    let msg = format!(
                        "permutation importance of the best candidate {}: {e}",
                        best.candidate
                    );
                    return closing.fail(run, &mut summary, msg);
                }
            };
        summary.expect = check_expectations(base, best, &artifact.test);
        expect_failed = summary.expect.iter().any(|e| !e.passed);
        let model = atomic_write(&run.path.join("model.json"), artifact.to_json().as_bytes());
        if let Err(e) = model {
            return Err(closing.write_failed(run, &mut summary, e));
        }
    }
    closing.close(run, &mut summary, "complete")?;
    if !quiet {
        crate::util::output::emit(&leaderboard(trials, base, &summary))?;
    } else if expect_failed {
        // --quiet: of the report, only what failed (issue 14, item 16).
        crate::util::output::emit(&expectation_lines(&summary, true))?;
    }
    crate::util::output::emit(&format!("run directory: {}\n", run.path.display()))?;
    Ok(RunOutcome {
        pipeline: base.name.clone(),
        dir: Some(run.path.clone()),
        summary: Some(summary),
        expect_failed,
    })
}
