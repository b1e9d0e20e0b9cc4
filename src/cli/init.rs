//! `kiln init DATA --target COL [-o FILE] [--force]`: writes a starter pipeline to FILE, or prints it.

use super::failure::WithContext;
use super::{CommandResult, ExitStatus};
use crate::init::{check_output, pipeline_text};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The data file to write a pipeline for.
    #[arg(value_name = "DATA")]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long, value_name = "COL")]
    pub target: String,
    /// Write the pipeline to FILE (its data.path is then relative to FILE's folder); default: stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite FILE when it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn command(a: InitArgs) -> CommandResult {
    if let Some(out) = &a.output {
        check_output(out, &a.data, a.force)?;
    }
    // Most messages name the data file already.
    let text = pipeline_text(&a.data, &a.target, a.output.as_deref()).about(&a.data)?;
    match &a.output {
        None => crate::util::output::emit(&text)?,
        Some(out) => {
            crate::util::atomic::atomic_write(out, text.as_bytes())?;
            crate::util::output::emit(&format!(
                "wrote {}\nnext: kiln run {}\n",
                out.display(),
                out.display()
            ))?;
        }
    }
    Ok(ExitStatus::Success)
}
