//! `kiln serve MODEL`: the model behind HTTP (axum routes, connections served by hyper on tokio).
//!
//! POST /predict reads `{"rows": [{column: value, ...}, ...]}` through the same `Predictor` as
//! `kiln predict`; GET /health, GET /model, GET /metrics (Prometheus text, with per-column drift
//! scores over a sliding window of recent rows). Bad input is answered with a 4xx and never touches
//! the state later requests see. Slow and idle clients are cut off by deadlines and a connection cap
//! (see `conn`); the request log goes through a thread of its own that drops lines rather than block
//! (see `log`). SIGINT or SIGTERM stops accepting connections, lets requests in flight finish (at
//! most `GRACE`), and exits 0.

pub mod api;
pub mod conn;
pub mod drift;
pub mod log;
pub mod mlflow;
pub mod oip;
pub mod prom;

use crate::artifact::Artifact;
use crate::error::{KilnError, Result};
use crate::predict::Predictor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long requests in flight may take to finish after a shutdown signal.
pub const GRACE: Duration = Duration::from_secs(10);
/// How long the last log lines may take to reach stderr at exit.
const LOG_FLUSH: Duration = Duration::from_secs(1);
/// The largest `--drift-window`: the window keeps 4 bytes per row and column.
pub const MAX_DRIFT_WINDOW: u64 = 1_000_000;
/// The largest `--max-body` (a body is read whole into memory before it is parsed).
pub const MAX_BODY: usize = 1 << 30;
/// The largest `--threads`.
pub const MAX_THREADS: u32 = 1024;
/// The largest `--max-connections` (each is an open file).
pub const MAX_CONNECTIONS: u32 = 100_000;
/// The longest of the `--*-timeout` flags.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// What `kiln serve` was asked for, resolved (the command line's flags, or a caller's).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A model.json, or the run directory that holds it.
    pub model: PathBuf,
    /// Address to listen on (port 0: any free port).
    pub addr: String,
    /// Rows in the sliding window the drift scores are computed over.
    pub drift_window: usize,
    /// Largest request body accepted, in bytes.
    pub max_body: usize,
    /// No log line per request.
    pub quiet: bool,
    /// Worker threads answering requests.
    pub threads: usize,
    /// Connections served at once.
    pub max_connections: usize,
    /// Time a client has to send a request's head.
    pub header_timeout: Duration,
    /// Time a client has to send a request's body once its head is in.
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
}

/// "1048576", "512k", "2m" -> bytes: the sizes `--memory-budget` takes (`util::sizes::parse_size`).
pub fn parse_size(s: &str) -> std::result::Result<usize, String> {
    let bytes = crate::util::sizes::parse_size(s)?;
    usize::try_from(bytes).map_err(|_| format!("`{s}` is more than this machine can address"))
}

/// `--max-body`: a size of at most `MAX_BODY`.
pub fn parse_body_limit(s: &str) -> std::result::Result<usize, String> {
    let bytes = parse_size(s)?;
    if bytes > MAX_BODY {
        return Err(format!(
            "`{s}` is more than the largest body kiln serve reads (1g); send fewer rows per request"
        ));
    }
    Ok(bytes)
}

/// "500ms", "10s", "2m", "1.5" (seconds) -> a duration from 1 ms to `MAX_TIMEOUT`.
pub fn parse_timeout(s: &str) -> std::result::Result<Duration, String> {
    let t = s.trim().to_ascii_lowercase();
    let (number, unit) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t.as_str(), 1.0)
    };
    let bad =
        || format!("`{s}` is not a duration: give seconds, or a number with ms, s, m or h, as 10s");
    let secs = number.trim().parse::<f64>().map_err(|_| bad())? * unit;
    if !secs.is_finite() {
        return Err(bad());
    }
    if secs < 1e-3 || secs > MAX_TIMEOUT.as_secs_f64() {
        return Err(format!(
            "`{s}` is out of range: a timeout is from 1ms to 24h"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The model file `kiln serve MODEL` loads: MODEL, or MODEL/model.json when MODEL is a run
/// directory.
pub fn model_file(model: &Path) -> Result<PathBuf> {
    if !model.is_dir() {
        return Ok(model.to_path_buf());
    }
    let file = model.join("model.json");
    if file.is_file() {
        Ok(file)
    } else {
        Err(KilnError::Artifact(format!(
            "{} is a directory without a model.json; give a model.json written by `kiln run`, or \
             the run directory that holds it",
            model.display()
        )))
    }
}

/// Loads the model, listens, and serves until SIGINT or SIGTERM.
pub fn run(a: &ServeOptions) -> Result<()> {
    let model = model_file(&a.model)?;
    let predictor = Predictor::new(Artifact::load(&model)?);
    let pipeline = predictor.artifact.pipeline.clone();
    let task = predictor.artifact.task.name();
    let log = Arc::new(log::Log::start());
    let state = api::AppState::new(
        predictor,
        a.drift_window,
        a.quiet,
        log.clone(),
        a.body_timeout,
    )
    .map_err(|e| KilnError::Artifact(format!("{}: {e}", model.display())))?;
    let state = Arc::new(state);
    let limits = conn::Limits {
        header: a.header_timeout,
        idle: a.idle_timeout,
        max_connections: a.max_connections,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()
        .map_err(|e| KilnError::Config(format!("cannot start the server's runtime: {e}")))?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.addr)
            .await
            .map_err(|e| KilnError::Config(format!("cannot listen on {}: {e}", a.addr)))?;
        let local = listener
            .local_addr()
            .map_err(|e| KilnError::Config(format!("cannot listen on {}: {e}", a.addr)))?;
        log.line(format!(
            "kiln serve: {pipeline} ({task}) from {} listening on http://{local}",
            model.display()
        ));
        let app = api::router(state.clone(), a.max_body);
        let signalled = log.clone();
        let shutdown = async move {
            let name = shutdown_signal().await;
            signalled.line(format!(
                "kiln serve: {name} received, finishing requests in flight"
            ));
        };
        if !conn::serve(listener, app, limits, log.clone(), shutdown, GRACE).await {
            log.line(format!(
                "kiln serve: requests still open after {} s; closing them",
                GRACE.as_secs()
            ));
        }
        Ok(())
    });
    // Requests cut off after the grace may still hold blocking threads; they are not waited for.
    runtime.shutdown_timeout(Duration::from_millis(100));
    served?;
    log.line(format!(
        "kiln serve: stopped after {} requests, {} rows predicted",
        state.metrics.requests(),
        state.metrics.rows()
    ));
    log.flush(LOG_FLUSH);
    Ok(())
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
    fn timeouts_parse_with_units_and_stay_in_range() {
        assert_eq!(parse_timeout("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("24h"), Ok(MAX_TIMEOUT));
        for bad in ["", "soon", "10x", "NaN", "inf"] {
            assert!(
                parse_timeout(bad).unwrap_err().contains("not a duration"),
                "{bad}"
            );
        }
        for out in ["0", "0.1ms", "-1s", "25h", "1e300"] {
            assert!(
                parse_timeout(out).unwrap_err().contains("out of range"),
                "{out}"
            );
        }
    }

    #[test]
    fn a_body_limit_past_1g_is_refused() {
        assert_eq!(parse_body_limit("1g"), Ok(MAX_BODY));
        assert!(parse_body_limit("2g").unwrap_err().contains("largest body"));
    }

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("2M"), Ok(2 * 1024 * 1024));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }
}
