//! `kiln merge RUN... [--out DIR] [--quiet]`: the shards of one pipeline become one complete run.

use super::{CommandResult, ExitStatus};
use crate::pipeline::merge::merge;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' run directories, or folders holding them.
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    /// Where the merged run directory goes (default: the pipeline's [output] dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No leaderboard; only the run directory.
    #[arg(long)]
    pub quiet: bool,
}

/// `command`: the command line, recorded in the merged run's summary.json.
pub fn command(a: MergeArgs, command: Vec<String>) -> CommandResult {
    let outcome = merge(&a.runs, a.out.as_deref(), a.quiet, command)?;
    Ok(ExitStatus::expectations(outcome.expect_failed))
}
