//! `kiln run --resume RUN_DIR`: reopen an interrupted (or killed) run, check that it ran the same
//! pipeline on the same data, and take up its finished trials and fits.

use super::prepare::Prepared;
use crate::error::{KilnError, Result};
use crate::runlog::writer::{self, RunLock};
use crate::runlog::{RunDir, Shard, Summary};
use crate::search::{FitRecord, Trial};
use std::path::Path;

/// A run reopened by `--resume`, locked by this process.
pub(crate) struct Resumed {
    pub(crate) run: RunDir,
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
    let as_run = std::fs::read_to_string(dir.join("pipeline.toml")).map_err(|e| {
        KilnError::Config(format!(
            "--resume {shown}: not a run directory (pipeline.toml: {e})"
        ))
    })?;
    // Before anything is read: the logs of a run still going are not ours to rewrite.
    let lock = RunLock::acquire(dir).map_err(|e| match e {
        KilnError::Config(m) => KilnError::Config(format!("--resume: {m}")),
        other => other,
    })?;
    if as_run != prepared.loaded.document_text() {
        return Err(KilnError::Config(format!(
            "--resume {shown}: the pipeline differs from the one that run used (compare {shown}/pipeline.toml); \
             resume with the same pipeline and --set overrides"
        )));
    }
    let summary: Summary = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json"))
            .map_err(|e| KilnError::Config(format!("--resume {shown}: summary.json: {e}")))?,
    )
    .map_err(|e| KilnError::Config(format!("--resume {shown}: summary.json is damaged: {e}")))?;
    if summary.data.hash != prepared.data_hash {
        return Err(KilnError::Config(format!(
            "--resume {shown}: the data changed since that run (hash {} then, {} now)",
            summary.data.hash, prepared.data_hash
        )));
    }
    // A missing log (killed before the first line, or a run of an older kiln without fits.jsonl)
    // is an empty one; a damaged one is an error, not a reason to start over and overwrite it.
    let read_log = |name: &str| dir.join(name).exists().then(|| dir.join(name));
    let trials = match read_log("trials.jsonl") {
        Some(log) => writer::read_trials(&log)?,
        None => Vec::new(),
    };
    let fits = match read_log("fits.jsonl") {
        Some(log) => writer::read_fits(&log)?,
        None => Vec::new(),
    };
    // A torn last line is dropped on read; rewrite the logs so new lines follow whole ones.
    writer::write_lines(&dir.join("trials.jsonl"), &trials)?;
    if read_log("fits.jsonl").is_some() {
        writer::write_lines(&dir.join("fits.jsonl"), &fits)?;
    }
    Ok(Resumed {
        run: RunDir::open(dir.to_path_buf(), lock)?,
        trials,
        fits,
        shard: summary.shard,
    })
}
