//! `kiln serve MODEL`: the model behind HTTP (axum on tokio).
//!
//! POST /predict reads `{"rows": [{column: value, ...}, ...]}` through the same `Predictor` as
//! `kiln predict`; GET /health, GET /model, GET /metrics (Prometheus text, with per-column drift
//! scores over a sliding window of recent rows). Bad input is answered with a 4xx and never touches
//! the state later requests see. SIGINT or SIGTERM stops accepting connections, lets requests in
//! flight finish (at most `GRACE`), and exits 0.

pub mod api;
pub mod drift;
pub mod prom;

use crate::artifact::Artifact;
use crate::error::{KilnError, Result};
use crate::predict::Predictor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long requests in flight may take to finish after a shutdown signal.
pub const GRACE: Duration = Duration::from_secs(10);

/// `kiln serve` on the command line.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A model.json written by `kiln run`.
    #[arg(value_name = "MODEL")]
    pub model: PathBuf,
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Rows in the sliding window the drift scores are computed over.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub drift_window: u64,
    /// Largest request body accepted, in bytes (or with k, m, g: KiB, MiB, GiB); larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value = "2m", value_parser = parse_size)]
    pub max_body: usize,
    /// No log line per request.
    #[arg(long)]
    pub quiet: bool,
    /// Worker threads answering requests (default: twice the cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
}

/// "1048576", "512k", "2m" -> bytes: the sizes `--memory-budget` takes (`budget::parse_size`).
pub fn parse_size(s: &str) -> std::result::Result<usize, String> {
    let bytes = crate::budget::parse_size(s)?;
    usize::try_from(bytes).map_err(|_| format!("`{s}` is more than this machine can address"))
}

/// Worker threads of the server's runtime when `--threads` is not given: twice the cores. A
/// server shares its cores with other processes (a proxy, a sidecar, the load generator of a
/// benchmark); a worker the system preempts leaves its queued requests waiting, and spare workers
/// take them. Measured with wrk on the same 2 cores, 1-row requests: 2 workers 14,000-17,800
/// requests/s (two runs), 4 workers 21,400-22,100, p99 3.4 ms.
pub fn default_threads() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `kiln serve`; returns the exit code.
pub fn command(a: ServeArgs) -> u8 {
    match run(&a.model, &a) {
        Ok(()) => 0,
        Err(e) => {
            crate::say!("error: {e}");
            e.exit_code()
        }
    }
}

/// Loads the model, listens, and serves until SIGINT or SIGTERM.
pub fn run(model: &Path, a: &ServeArgs) -> Result<()> {
    let predictor = Predictor::new(Artifact::load(model)?);
    let pipeline = predictor.artifact.pipeline.clone();
    let task = predictor.artifact.task.name();
    let state = Arc::new(api::AppState::new(
        predictor,
        a.drift_window as usize,
        a.quiet,
    ));
    let threads = a.threads.map_or_else(default_threads, |n| n as usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| KilnError::Config(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.addr)
            .await
            .map_err(|e| KilnError::Config(format!("cannot listen on {}: {e}", a.addr)))?;
        let local = listener
            .local_addr()
            .map_err(|e| KilnError::Config(format!("cannot listen on {}: {e}", a.addr)))?;
        crate::say!(
            "kiln serve: {pipeline} ({task}) from {} listening on http://{local}",
            model.display()
        );
        let app = api::router(state.clone(), a.max_body);
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signalled = stopping.clone();
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let name = shutdown_signal().await;
            crate::say!("kiln serve: {name} received, finishing requests in flight");
            signalled.notify_one();
        });
        let grace = async {
            stopping.notified().await;
            tokio::time::sleep(GRACE).await;
        };
        tokio::select! {
            r = server => r.map_err(|e| KilnError::Config(format!("the server stopped: {e}")))?,
            _ = grace => crate::say!("kiln serve: requests still open after {} s; closing them", GRACE.as_secs()),
        }
        crate::say!(
            "kiln serve: stopped after {} requests, {} rows predicted",
            state.metrics.requests(),
            state.metrics.rows()
        );
        Ok(())
    })
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM; returns its name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).ok();
        let term_recv = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term_recv => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("2M"), Ok(2 * 1024 * 1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }
}
