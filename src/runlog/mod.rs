//! The run directory: `runs/<pipeline name>/<run id>/` with pipeline.toml, fits.jsonl, trials.jsonl,
//! summary.json and model.json, and kiln.lock while a process writes it. Every file but the two logs
//! is written atomically (temporary file, flush, rename); fits.jsonl and trials.jsonl are appended one
//! whole line at a time.

pub mod compare;
pub mod dir;
pub mod junit;
pub mod ranking;
pub mod shard;
pub mod summary;
pub mod writer;

pub use dir::{RunDir, SummaryError};
pub use shard::Shard;
pub use summary::{BestSummary, DataSummary, ExpectResult, Summary};
pub use writer::{new_run_id, RunLock, RunLog};
