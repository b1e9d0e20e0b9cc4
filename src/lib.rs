//! kiln: a declarative machine-learning pipeline runner for tabular data.
//!
//! A pipeline file declares the data, the preprocessing, the model and a grid of hyperparameters;
//! `kiln run` cross-validates every candidate in parallel and writes an experiment log and the best
//! model. See README.md for the tour and PIPELINE.md for the contract.

pub mod config;
pub mod data;
pub mod design;
pub mod error;
pub mod linalg;
pub mod matrix;
pub mod metrics;
pub mod models;
pub mod preprocess;
pub mod rng;

pub use error::{KilnError, Result};
pub mod artifact;
pub mod cli;
pub mod export;
pub mod init;
pub mod pipeline;
pub mod predict;
pub mod report;
pub mod runlog;
pub mod schema_json;
pub mod search;
pub mod serve;
pub mod util;
