//! The run directory: `runs/<pipeline name>/<run id>/` with pipeline.toml, fits.jsonl, trials.jsonl,
//! summary.json and model.json, and kiln.lock while a process writes it. Every file but the two logs
//! is written atomically (temporary file, flush, rename); fits.jsonl and trials.jsonl are appended one
//! whole line at a time.
//!
//! `RunDir` (dir.rs) is the one way in: it creates a run directory or reopens one (giving its
//! writer, `RunLog` in writer.rs, which holds the lock), finds run directories, and reads every
//! file of one. summary.rs and shard.rs are summary.json's types, ranking.rs the order of a run's
//! trials. What reads run directories to show them (`kiln compare`, report.html, the JUnit report of
//! a batch) lives in `report`.

pub mod dir;
pub mod ranking;
pub mod shard;
pub mod summary;
pub mod writer;

pub use dir::{RunDir, SummaryError};
pub use shard::Shard;
pub use summary::{
    BestSummary, DataSummary, ExpectResult, HalvingSummary, RungSummary, SearchSummary, Summary,
};
pub use writer::{new_run_id, RunLock, RunLog};
