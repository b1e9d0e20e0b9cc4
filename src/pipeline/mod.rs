//! The pipeline layer: one pipeline file to one run directory. `prepare` loads and checks it and
//! reads the data; `budget` refuses a run that would not fit in memory; `execute` runs the search
//! (`resume` takes up an interrupted run; `halving` runs a successive-halving search rung by rung); `finish` refits the best candidate (`refit`), checks the
//! expectations (`expect`), closes the run directory and prints the `leaderboard`; `merge` makes the
//! shards of a split run one run.

pub mod budget;
pub mod execute;
pub mod expect;
mod explain;
pub mod finish;
pub mod halving;
pub mod leaderboard;
pub mod merge;
pub mod prepare;
pub mod refit;
pub mod resume;
mod spill;
