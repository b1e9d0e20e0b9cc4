//! The command line: clap definitions, and one function per subcommand that returns an exit code.

use crate::config::Override;
use crate::error::{KilnError, Result};
use crate::output::emit;
use crate::run::{self, RunOptions};
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
    /// Threads for the search (default: every core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Check everything and print the plan; fit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// No progress and no leaderboard; only the run directory and failed expectations.
    #[arg(long)]
    pub quiet: bool,
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
        Command::Run(a) => run_cmd(a, command),
        Command::Validate(a) => validate_cmd(a),
    }
}

fn report(pipeline: &std::path::Path, e: &KilnError) -> u8 {
    let message = e.to_string();
    let shown = pipeline.display().to_string();
    // Config errors already start with the pipeline's file:line; others get it as context.
    if message.contains(&shown) {
        eprintln!("error: {message}");
    } else {
        eprintln!("error: {shown}: {message}");
    }
    e.exit_code()
}

fn overrides(set: &[String]) -> Result<Vec<Override>> {
    set.iter().map(|s| Override::parse(s)).collect()
}

fn run_cmd(a: RunArgs, command: Vec<String>) -> u8 {
    let overrides = match overrides(&a.set) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let opts = RunOptions {
        overrides,
        out: a.out,
        jobs: a.jobs.map(|j| j as usize),
        dry_run: a.dry_run,
        quiet: a.quiet,
        command,
    };
    // A batch runs every pipeline; the exit code is the worst of them (2 over 1 over 0).
    let mut worst = 0u8;
    for path in &a.pipelines {
        let code = match run::run_pipeline(path, &opts) {
            Ok(outcome) => u8::from(outcome.expect_failed),
            Err(KilnError::Interrupted) => {
                eprintln!("interrupted: {}", path.display());
                return 130;
            }
            Err(e) => report(path, &e),
        };
        worst = worst.max(code);
    }
    worst
}

fn validate_cmd(a: ValidateArgs) -> u8 {
    let overrides = match overrides(&a.set) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut worst = 0;
    for path in &a.pipelines {
        match run::prepare(path, &overrides) {
            Ok(p) => emit(&format!("{}: ok\n{}", path.display(), p.plan_text())),
            Err(e) => worst = worst.max(report(path, &e)),
        }
    }
    worst
}
