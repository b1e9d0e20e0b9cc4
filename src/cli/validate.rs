//! `kiln validate PIPELINE... [--set KEY=VALUE]`: checks each pipeline and its data and prints the
//! plan; fits nothing. The status is the worst of the pipelines'.

use super::failure::{self, CommandResult, WithContext};
use super::{overrides, ExitStatus};
use crate::pipeline::prepare::prepare;
use crate::util::output::emit;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[arg(required = true, value_name = "PIPELINE")]
    pub pipelines: Vec<PathBuf>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

pub fn command(a: ValidateArgs) -> CommandResult {
    let overrides = overrides(&a.set)?;
    let mut worst = ExitStatus::Success;
    for path in &a.pipelines {
        match prepare(path, &overrides).about(path) {
            Ok(p) => emit(&format!("{}: ok\n{}", path.display(), p.plan_text()))?,
            Err(f) => worst = worst.max(failure::print(&f)),
        }
    }
    Ok(worst)
}
