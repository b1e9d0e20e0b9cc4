//! `kiln run --resume RUN_DIR`: reopen an interrupted (or killed) run, check that it ran the same
//! pipeline on the same data, and take up its finished trials and fits.

use super::prepare::Prepared;
use crate::error::{KilnError, Result};
use crate::runlog::{RunDir, RunLog, Shard, SummaryError};
use crate::search::{FitRecord, Trial};
use std::path::Path;

/// A run reopened by `--resume`, locked by this process.
pub(crate) struct Resumed {
    pub(crate) run: RunLog,
    /// The candidates finished before (trials.jsonl).
    pub(crate) trials: Vec<Trial>,
    /// The fits finished before (fits.jsonl): the unfinished candidates go on from them.
    pub(crate) fits: Vec<FitRecord>,
    pub(crate) shard: Option<Shard>,
}

/// Reopens an interrupted (or killed) run: the pipeline as run and the data must be the same, and
/// no other process may be writing it.
pub(crate) fn open_for_resume(dir: &Path, prepared: &Prepared) -> Result<Resumed> {
    let shown = dir.display();
    let run = RunDir::at(dir);
    let as_run = run.pipeline_text().map_err(|e| {
        KilnError::Config(format!(
            "--resume {shown}: not a run directory (pipeline.toml: {e})"
        ))
    })?;
    // Before anything is read: the logs of a run still going are not ours to rewrite.
    let lock = run.lock().map_err(|e| match e {
        KilnError::Config(m) => KilnError::Config(format!("--resume: {m}")),
        other => other,
    })?;
    if as_run != prepared.loaded.document_text() {
        return Err(KilnError::Config(format!(
            "--resume {shown}: the pipeline differs from the one that run used (compare {shown}/pipeline.toml); \
             resume with the same pipeline and --set overrides"
        )));
    }
    let summary = run.summary().map_err(|e| {
        KilnError::Config(match e {
            SummaryError::Unreadable(e) => format!("--resume {shown}: summary.json: {e}"),
            SummaryError::Damaged(e) => format!("--resume {shown}: summary.json is damaged: {e}"),
        })
    })?;
    if summary.data.hash != prepared.data_hash {
        return Err(KilnError::Config(format!(
            "--resume {shown}: the data changed since that run (hash {} then, {} now)",
            summary.data.hash, prepared.data_hash
        )));
    }
    // A missing log (killed before the first line, or a run of an older kiln without fits.jsonl)
    // is an empty one; a damaged one is an error, not a reason to start over and overwrite it.
    let trials = run.trials()?;
    let fits = run.fits()?;
    // A torn last line is dropped on read; rewrite the logs so new lines follow whole ones.
    run.rewrite_logs(&trials, &fits)?;
    Ok(Resumed {
        run: run.open(lock)?,
        trials,
        fits,
        shard: summary.shard,
    })
}
