//! The kiln binary: parse arguments, run the subcommand, exit with its code.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(kiln::cli::main_with_args(std::env::args_os()))
}
