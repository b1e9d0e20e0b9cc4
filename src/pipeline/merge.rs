//! `kiln merge`: the shards of one pipeline (`kiln run --shard I/N`, on one machine or many) become
//! one complete run directory. The shards must come from the same pipeline as run and the same data,
//! and cover every candidate exactly once; the best candidate is then refitted here, so the merged
//! run equals a run of the whole grid on one machine.

use super::execute::{RunOptions, RunOutcome};
use super::finish::{finish_run, initial_summary};
use super::prepare::prepare_text;
use crate::error::{KilnError, Result};
use crate::runlog::{RunDir, Summary};
use crate::search::Trial;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Merges the shard runs found in `runs` into one run directory under `out` (default: the
/// pipeline's [output] dir); `command` is the command line, recorded in its summary.json.
pub fn merge(
    runs: &[PathBuf],
    out: Option<&Path>,
    quiet: bool,
    command: Vec<String>,
) -> Result<RunOutcome> {
    let started = Instant::now();
    let mut shards: Vec<ShardRun> = Vec::new();
    for r in runs {
        for run in RunDir::find(r)? {
            shards.push(ShardRun::read(run)?);
        }
    }
    let first = shards
        .first()
        .ok_or_else(|| KilnError::Config("no shard runs given".into()))?;
    let count = first
        .summary
        .shard
        .ok_or_else(|| not_a_shard(&first.dir))?
        .count;
    let text = pipeline_text(&first.dir)?;
    let mut seen = vec![None::<PathBuf>; count];
    for s in &shards {
        let shard = s.summary.shard.ok_or_else(|| not_a_shard(&s.dir))?;
        if shard.count != count {
            return Err(KilnError::Config(format!(
                "{} is shard {}/{}, but {} is one of {count}: shards of different splits",
                s.dir.display(),
                shard.index,
                shard.count,
                first.dir.display()
            )));
        }
        if let Some(other) = &seen[shard.index - 1] {
            return Err(KilnError::Config(format!(
                "shard {}/{count} is given twice: {} and {}",
                shard.index,
                other.display(),
                s.dir.display()
            )));
        }
        seen[shard.index - 1] = Some(s.dir.clone());
        if pipeline_text(&s.dir)? != text {
            return Err(KilnError::Config(format!(
                "{} and {} ran different pipelines (compare their pipeline.toml)",
                first.dir.display(),
                s.dir.display()
            )));
        }
        if s.summary.data.hash != first.summary.data.hash {
            return Err(KilnError::Config(format!(
                "{} and {} read different data (hash {} and {})",
                first.dir.display(),
                s.dir.display(),
                first.summary.data.hash,
                s.summary.data.hash
            )));
        }
        if s.summary.status != "complete" {
            return Err(KilnError::Config(format!(
                "{} is {}: complete it with `kiln run PIPELINE --resume {}` first",
                s.dir.display(),
                s.summary.status,
                s.dir.display()
            )));
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(KilnError::Config(format!(
            "missing shards: {}",
            missing.join(", ")
        )));
    }
    let pipeline_file = PathBuf::from(&first.summary.pipeline_file);
    let prepared = prepare_text(&pipeline_file, text.clone(), &[])?;
    if prepared.data_hash != first.summary.data.hash {
        return Err(KilnError::Config(format!(
            "the data changed since the shards ran (hash {} then, {} now)",
            first.summary.data.hash, prepared.data_hash
        )));
    }
    let mut trials: Vec<_> = shards
        .iter()
        .flat_map(|s| s.trials.iter().cloned())
        .collect();
    trials.sort_by_key(|t| t.candidate);
    let n = prepared.loaded.candidates.len();
    if trials.len() != n || trials.iter().enumerate().any(|(i, t)| t.candidate != i) {
        return Err(KilnError::Config(format!(
            "the shards hold {} trials for the {n} candidates of the pipeline",
            trials.len()
        )));
    }
    let output = out.map_or_else(|| prepared.base().output_dir.clone(), Path::to_path_buf);
    let mut dir = RunDir::create(&output, &prepared.base().name, &text, "")?;
    for t in &trials {
        dir.append_trial(t)?;
    }
    let opts = RunOptions {
        command,
        quiet,
        ..Default::default()
    };
    let mut summary = initial_summary(
        &prepared,
        &dir,
        &opts,
        rayon::current_num_threads(),
        None,
        &pipeline_file,
    );
    summary.merged_from = shards.iter().map(|s| s.summary.run_id.clone()).collect();
    summary.merged_from.sort();
    finish_run(&prepared, &mut dir, summary, &trials, quiet, started)
}

/// A shard's run directory, read.
struct ShardRun {
    dir: PathBuf,
    summary: Summary,
    trials: Vec<Trial>,
}

impl ShardRun {
    fn read(run: RunDir) -> Result<ShardRun> {
        let summary = run.summary().map_err(|e| e.into_error(run.path()))?;
        Ok(ShardRun {
            trials: run.trials()?,
            summary,
            dir: run.path().to_path_buf(),
        })
    }
}

fn not_a_shard(dir: &Path) -> KilnError {
    KilnError::Config(format!(
        "{} is not a shard run (made by `kiln run --shard I/N`)",
        dir.display()
    ))
}

fn pipeline_text(dir: &Path) -> Result<String> {
    RunDir::at(dir)
        .pipeline_text()
        .map_err(|e| KilnError::Data(format!("{}/pipeline.toml: {e}", dir.display())))
}
