//! `kiln serve MODEL [--addr HOST:PORT] ...`: the flags of the server, resolved into `ServeOptions`.

use super::{threads, CommandResult, ExitStatus};
use crate::serve::{
    parse_body_limit, parse_timeout, ServeOptions, MAX_CONNECTIONS, MAX_DRIFT_WINDOW, MAX_THREADS,
};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// `kiln serve` on the command line.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A model.json written by `kiln run`, or the run directory that holds it.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Rows in the sliding window the drift scores are computed over (1 to 1000000).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_DRIFT_WINDOW))]
    pub drift_window: u64,
    /// Largest request body accepted, in bytes (or with k, m, g: KiB, MiB, GiB; at most 1g); larger
    /// ones get 413.
    #[arg(long, value_name = "BYTES", default_value = "2m", value_parser = parse_body_limit)]
    pub max_body: usize,
    /// No log line per request.
    #[arg(long)]
    pub quiet: bool,
    /// Worker threads answering requests (default: twice the cores; at most 1024).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS as i64))]
    pub threads: Option<u32>,
    /// Connections served at once (1 to 100000); more wait until one closes. Keep it under the
    /// open-files limit (`ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=MAX_CONNECTIONS as i64))]
    pub max_connections: u32,
    /// Time a client has to send a request's head (request line and headers), from the accept or,
    /// on a kept-alive connection, from its first byte: as 500ms, 10s, 2m (at most 24h).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_timeout)]
    pub header_timeout: Duration,
    /// Time a client has to send a request's body once its head is in; past it, 408.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request before it is closed.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_timeout)]
    pub idle_timeout: Duration,
}

/// Serves until SIGINT or SIGTERM.
pub fn command(a: ServeArgs) -> CommandResult {
    let options = ServeOptions {
        model: a.model,
        addr: a.addr,
        drift_window: a.drift_window as usize,
        max_body: a.max_body,
        quiet: a.quiet,
        threads: threads::serve(a.threads),
        max_connections: a.max_connections as usize,
        header_timeout: a.header_timeout,
        body_timeout: a.body_timeout,
        idle_timeout: a.idle_timeout,
    };
    crate::serve::run(&options)?;
    Ok(ExitStatus::Success)
}
