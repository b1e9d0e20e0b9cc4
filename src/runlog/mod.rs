//! The run directory: `runs/<pipeline name>/<run id>/` with pipeline.toml, trials.jsonl, summary.json
//! and model.json. Every file but trials.jsonl is written atomically (temporary file, flush, rename);
//! trials.jsonl is appended one whole line at a time.

pub mod compare;
pub mod junit;
pub mod merge;
pub mod summary;
pub mod writer;

pub use summary::{BestSummary, DataSummary, ExpectResult, Summary};
pub use writer::{atomic_write, new_run_id, RunDir};
