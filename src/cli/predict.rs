//! `kiln predict MODEL INPUT [-o OUTPUT]`: the rows of a data file, predicted.

use super::{CommandResult, ExitStatus};
use crate::predict::file::predict_file;
use clap::Args;
use std::path::PathBuf;

/// `kiln predict` on the command line.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model.json written by `kiln run`.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Rows to predict: csv, tsv, parquet, json, ndjson/jsonl, arrow/ipc.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Where to write; the extension picks the format (csv, parquet, json, ndjson). Default: csv on stdout.
    #[arg(short = 'o', long = "output", value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
}

/// Runs `kiln predict` (any invalid model, input or output fails it).
pub fn command(a: PredictArgs) -> CommandResult {
    let report = predict_file(&a.model, &a.input, a.output.as_deref())?;
    if let (Some(o), false) = (&a.output, report.stdout_closed) {
        crate::say!("predicted {} rows -> {}", report.rows, o.display());
    }
    Ok(ExitStatus::Success)
}
