//! The command line: clap definitions, and one function per subcommand that returns an exit code.

use crate::config::Override;
use crate::error::{KilnError, Result};
use crate::pipeline::prepare::prepare;
use crate::util::output::emit;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    Run(RunArgs),
    /// Parse and check pipelines and their data; print the plan (candidates x folds). Fits nothing.
    Validate(ValidateArgs),
    /// Predict the rows of a data file with a model.json; csv on stdout, or -o FILE (csv, parquet, json).
    Predict(crate::predict::file::PredictArgs),
    /// Compare runs: a table of runs (a run directory, or a folder of them), or one run's leaderboard.
    Compare(crate::runlog::compare::CompareArgs),
    /// Merge the shards of one pipeline (--shard I/N runs) into one complete run, refitting the best.
    Merge(crate::pipeline::merge::MergeArgs),
    /// Serve a model.json over HTTP: POST /predict, GET /health, /model, /metrics (with drift scores).
    Serve(crate::serve::ServeArgs),
    /// Column statistics, warnings and charts of a data file, or of a pipeline's data as it sees it.
    Explore(crate::report::explore::ExploreArgs),
    /// Write a commented starter pipeline for a data file and a target column.
    Init(crate::init::InitArgs),
    /// Print the JSON Schema of pipeline files, for editors (taplo, Even Better TOML).
    Schema,
    /// (Re)write RUN_DIR/report.html: leaderboard, CV charts, the best model's predictions.
    Report(crate::report::run_report::ReportArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline files, run in turn.
    #[arg(required = true, value_name = "PIPELINE")]
    pub pipelines: Vec<PathBuf>,
    /// Override a key before validation, e.g. --set model.alpha=0.5 (repeatable; applies to every pipeline).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Where run directories go (overrides [output] dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Threads for the search (default: every core; at most 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Check everything and print the plan; fit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress and no leaderboard; only the run directory and failed expectations.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard I of N: the candidates whose index mod N is I-1 (merge the shards with `kiln merge`).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Complete an interrupted run in RUN_DIR: finished candidates are kept, the rest are run.
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// Write a JUnit XML report: one test case per pipeline and per [expect] check.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Refuse a run whose design matrices would take more memory than SIZE (as 512m, 8g; default:
    /// $KILN_MEMORY_BUDGET, else 75% of the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = crate::util::sizes::parse_size)]
    pub memory_budget: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[arg(required = true, value_name = "PIPELINE")]
    pub pipelines: Vec<PathBuf>,
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// Parses the arguments and runs the subcommand; returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let command: Vec<String> = std::env::args().collect();
    match cli.command {
        Command::Run(a) => crate::batch::command(a, command),
        Command::Compare(a) => crate::runlog::compare::command(a),
        Command::Merge(a) => crate::pipeline::merge::command(a),
        Command::Validate(a) => validate_cmd(a),
        Command::Predict(a) => crate::predict::file::command(a),
        Command::Serve(a) => crate::serve::command(a),
        Command::Explore(a) => crate::report::explore::command(a),
        Command::Init(a) => crate::init::command(a),
        Command::Schema => crate::schema_json::command(),
        Command::Report(a) => crate::report::run_report::command(a),
    }
}

pub(crate) fn report(pipeline: &std::path::Path, e: &KilnError) -> u8 {
    // Messages quote the data; whatever slipped through unescaped must not reach the terminal raw.
    let message = e.to_string();
    let message = crate::error::printable_message(&message);
    let shown = pipeline.display().to_string();
    // Config errors already start with the pipeline's file:line; others get it as context.
    if message.contains(&shown) {
        crate::say!("error: {message}");
    } else {
        crate::say!("error: {shown}: {message}");
    }
    e.exit_code()
}

pub(crate) fn overrides(set: &[String]) -> Result<Vec<Override>> {
    set.iter().map(|s| Override::parse(s)).collect()
}

fn validate_cmd(a: ValidateArgs) -> u8 {
    let overrides = match overrides(&a.set) {
        Ok(o) => o,
        Err(e) => {
            crate::say!("error: {e}");
            return 2;
        }
    };
    let mut worst = 0;
    for path in &a.pipelines {
        match prepare(path, &overrides) {
            Ok(p) => emit(&format!("{}: ok\n{}", path.display(), p.plan_text())),
            Err(e) => worst = worst.max(report(path, &e)),
        }
    }
    worst
}
