//! The command line: every clap definition and every exit status. One file per subcommand turns its
//! flags into plain arguments, calls the library and returns a `CommandResult`; `failure::print` is
//! the one place an error is written. Nothing below this module knows about clap.

mod compare;
mod explore;
mod export;
mod failure;
mod init;
mod merge;
mod predict;
mod report;
mod run;
mod schema;
mod serve;
mod status;
mod threads;
mod validate;

pub use failure::{CommandResult, Failure};
pub use status::ExitStatus;

use crate::config::Override;
use crate::error::Result;
use clap::{Parser, Subcommand};
use std::ffi::OsString;

#[derive(Debug, Parser)]
#[command(
    name = "kiln",
    version,
    about = "A declarative machine-learning pipeline runner for tabular data"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cross-validate every candidate of one or more pipelines and write a run directory for each.
    Run(run::RunArgs),
    /// Parse and check pipelines and their data; print the plan (candidates x folds). Fits nothing.
    Validate(validate::ValidateArgs),
    /// Predict the rows of a data file with a model.json; csv on stdout, or -o FILE (csv, parquet, json).
    Predict(predict::PredictArgs),
    /// Write a model.json as one ONNX graph (--onnx OUT): preprocessing and model, for onnxruntime.
    Export(export::ExportArgs),
    /// Compare runs: a table of runs (a run directory, or a folder of them), or one run's leaderboard.
    Compare(compare::CompareArgs),
    /// Merge the shards of one pipeline (--shard I/N runs) into one complete run, refitting the best.
    Merge(merge::MergeArgs),
    /// Serve a model.json over HTTP: POST /predict, GET /health, /model, /metrics (with drift scores).
    Serve(serve::ServeArgs),
    /// Column statistics, warnings and charts of a data file, or of a pipeline's data as it sees it.
    Explore(explore::ExploreArgs),
    /// Write a commented starter pipeline for a data file and a target column.
    Init(init::InitArgs),
    /// Print the JSON Schema of pipeline files, for editors (taplo, Even Better TOML).
    Schema,
    /// (Re)write RUN_DIR/report.html: leaderboard, CV charts, the best model's predictions.
    Report(report::ReportArgs),
}

/// Parses the arguments and runs the subcommand; returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let status = if e.use_stderr() {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            };
            let _ = e.print();
            return status.code();
        }
    };
    // Recorded in summary.json, so a run says how it was started.
    let command: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let result = match cli.command {
        Command::Run(a) => run::command(a, command),
        Command::Validate(a) => validate::command(a),
        Command::Predict(a) => predict::command(a),
        Command::Export(a) => export::command(a),
        Command::Compare(a) => compare::command(a),
        Command::Merge(a) => merge::command(a, command),
        Command::Serve(a) => serve::command(a),
        Command::Explore(a) => explore::command(a),
        Command::Init(a) => init::command(a),
        Command::Schema => schema::command(),
        Command::Report(a) => report::command(a),
    };
    failure::finish(result).code()
}

/// The `--set KEY=VALUE` flags, parsed.
fn overrides(set: &[String]) -> Result<Vec<Override>> {
    set.iter().map(|s| Override::parse(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_entry(dir: &std::path::Path) -> std::path::PathBuf {
        std::fs::read_dir(dir)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
    }

    /// The one summary.json below `out` (out/<pipeline>/<run id>/summary.json).
    fn summary_below(out: &std::path::Path) -> serde_json::Value {
        let run = first_entry(&first_entry(out));
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
    }

    #[test]
    fn a_run_records_the_arguments_it_was_given_not_the_processs() {
        let out = std::env::temp_dir().join(format!("kiln-cli-args-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let args = [
            "kiln",
            "run",
            "tests/bad/data/model.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ];
        assert_eq!(main_with_args(args.map(OsString::from)), 0);
        assert_eq!(summary_below(&out)["command"], serde_json::json!(args));
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn usage_errors_exit_2_and_version_exits_0() {
        let bad = ["kiln", "run", "--jobs", "0", "x.toml"].map(OsString::from);
        assert_eq!(main_with_args(bad), ExitStatus::Failure.code());
        let help = ["kiln", "--version"].map(OsString::from);
        assert_eq!(main_with_args(help), ExitStatus::Success.code());
    }
}
