//! `kiln report RUN_DIR [--data FILE]`: (re)writes RUN_DIR/report.html.

use super::failure::WithContext;
use super::{CommandResult, ExitStatus};
use crate::report::run_report::write_run_report;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory (runs/<pipeline>/<run id>).
    #[arg(value_name = "RUN_DIR")]
    pub run_dir: PathBuf,
    /// The data file, when it is no longer where the run read it (summary.json's data.path).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

pub fn command(a: ReportArgs) -> CommandResult {
    let path = write_run_report(&a.run_dir, a.data.as_deref()).context(a.run_dir.display())?;
    crate::util::output::emit(&format!("report: {}\n", path.display()))?;
    Ok(ExitStatus::Success)
}
