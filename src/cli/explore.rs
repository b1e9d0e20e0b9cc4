//! `kiln explore DATA|PIPELINE [--target COL] [--html FILE]`: prints the report of the data; writes
//! the HTML page when asked.

use super::failure::WithContext;
use super::{CommandResult, ExitStatus};
use crate::data::explore::explore;
use crate::report::explore::{html_report, text_report};
use crate::util::output::emit;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// A data file (.csv .tsv .parquet .json .ndjson .arrow), or a pipeline file (.toml) whose data is
    /// explored as the pipeline sees it.
    #[arg(value_name = "DATA|PIPELINE")]
    pub input: PathBuf,
    /// The column to predict, for a data file (a pipeline names its own in data.target).
    #[arg(long, value_name = "COL")]
    pub target: Option<String>,
    /// Also write a self-contained HTML page with charts to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn command(a: ExploreArgs) -> CommandResult {
    let e = explore(&a.input, a.target.as_deref()).context(a.input.display())?;
    emit(&text_report(&e))?;
    if let Some(path) = &a.html {
        crate::util::atomic::atomic_write(path, html_report(&e).as_bytes())
            .context("cannot write the HTML report")?;
        emit(&format!("html report: {}\n", path.display()))?;
    }
    Ok(ExitStatus::Success)
}
