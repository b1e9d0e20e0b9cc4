//! `kiln compare RUN... [--format F] [--sort METRIC] [--all] [--trials]`: runs side by side, or one
//! run's leaderboard.

use super::{CommandResult, ExitStatus};
use crate::report::compare::{compare, Format};
use crate::util::output::emit;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// `--format`: how the table is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Md,
    Csv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Md => Format::Md,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run directories, or folders of them (runs/, runs/<pipeline>/).
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,
    /// Order by this metric's best mean (best first); default: by start time.
    #[arg(long, value_name = "METRIC")]
    pub sort: Option<String>,
    /// Show every config key, not only those that differ between the runs.
    #[arg(long)]
    pub all: bool,
    /// Show one run's full leaderboard (every candidate) instead.
    #[arg(long)]
    pub trials: bool,
}

pub fn command(a: CompareArgs) -> CommandResult {
    let text = compare(&a.runs, a.format.into(), a.sort.as_deref(), a.all, a.trials)?;
    emit(&text)?;
    Ok(ExitStatus::Success)
}
