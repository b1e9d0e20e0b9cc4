//! `kiln export MODEL --onnx OUT`: a model.json as one ONNX graph.

use super::{CommandResult, ExitStatus};
use crate::export::export_onnx;
use clap::Args;
use std::path::PathBuf;

/// `kiln export` on the command line.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A model.json written by `kiln run`.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Where to write the ONNX model (written whole or not at all).
    #[arg(long = "onnx", value_name = "OUT")]
    pub onnx: PathBuf,
}

/// Runs `kiln export`: a model that cannot be written exactly fails it, naming what.
pub fn command(a: ExportArgs) -> CommandResult {
    let bytes = export_onnx(&a.model, &a.onnx)?;
    crate::say!(
        "exported {} -> {} ({bytes} bytes)",
        a.model.display(),
        a.onnx.display()
    );
    Ok(ExitStatus::Success)
}
