//! The order of a run's trials: best first by the mean of the run's metric, the lower candidate
//! index on ties; a halving search's later rungs before its earlier ones (its best is the best of
//! its last rung, scored on the most resource). The leaderboard `kiln run` prints, the run report and `kiln compare --trials` all
//! rank by it (it lives here, below the pipeline and the report, so that both may use it).

use crate::search::Trial;

/// The trials that have a mean of `metric`, best first (the lower candidate index on ties).
pub fn ranked<'a>(
    trials: impl IntoIterator<Item = &'a Trial>,
    metric: &str,
    greater_is_better: bool,
) -> Vec<&'a Trial> {
    let mut ranked: Vec<&Trial> = trials
        .into_iter()
        .filter(|t| t.mean.contains_key(metric))
        .collect();
    ranked.sort_by(|a, b| {
        let (x, y) = (a.mean[metric], b.mean[metric]);
        let ord = if greater_is_better {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        };
        b.rung
            .cmp(&a.rung)
            .then(ord)
            .then(a.candidate.cmp(&b.candidate))
    });
    ranked
}
