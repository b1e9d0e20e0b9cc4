//! Whether a run spills its numeric feature columns to a temporary file as it loads them (see
//! `data::Numbers`): when every candidate's model reads its design a column at a time (histogram
//! boosting), so that each column is needed only pass by pass, and the feature columns are large
//! enough for it to matter: 256 MiB as f64 by default (a 3.3 million row x 10 column table);
//! `KILN_SPILL_ABOVE=SIZE` sets the size, `0` spills any such run, `off` none. The results are the
//! same bits either way.

use crate::config::LoadedPipeline;
use crate::error::{KilnError, Result};
use crate::util::sizes::parse_size;

pub const ENV: &str = "KILN_SPILL_ABOVE";
const DEFAULT_ABOVE: u64 = 256 << 20;

/// The size of feature columns (as f64) from which the run's numeric columns are spilled; None:
/// they stay in memory.
pub fn spill_above(loaded: &LoadedPipeline) -> Result<Option<u64>> {
    let above = match std::env::var(ENV) {
        Err(_) => DEFAULT_ABOVE,
        Ok(text) if text.trim().eq_ignore_ascii_case("off") => return Ok(None),
        // A size must be at least one byte elsewhere (a budget of 0 means nothing); here 0 is the
        // documented "spill whenever the models allow it".
        Ok(text) if text.trim() == "0" => 0,
        Ok(text) => parse_size(&text).map_err(|e| {
            KilnError::Config(format!(
                "{ENV}: {e} (a size, as 256m or 2g; 0 spills every run that can, off none)"
            ))
        })?,
    };
    let columns_only = loaded
        .candidates
        .iter()
        .all(|c| c.pipeline.model.reads_columns());
    Ok(columns_only.then_some(above))
}
