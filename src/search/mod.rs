//! The grid search: cross-validation of every candidate, in parallel.

pub mod cut;
pub mod executor;
pub mod fold_data;
pub mod folds;
pub mod halving;
pub mod progress;
pub mod trial;
pub mod tuned;

pub use executor::{search, FoldData, SearchLog, SearchOutcome, SearchPlan};
pub use folds::{cv_splits, holdout, Split};
pub use trial::{FitRecord, FoldScore, Trial, TrialStatus};
