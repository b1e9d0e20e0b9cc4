//! The report's chart of a successive-halving search: each candidate's mean score against the
//! resource of each rung it ran in, a line per candidate, so where the search dropped it shows.

use super::{Ranking, RunFiles};
use crate::report::html::Page;
use crate::report::svg::{self, Series};
use crate::search::Trial;
use std::collections::BTreeMap;

/// Candidates named in the legend at most: those that reached the last rung, best first.
const NAMED: usize = 8;

/// The halving section; nothing for a search of another strategy.
pub(super) fn halving_section(page: &mut Page, files: &RunFiles, ranking: &Ranking) {
    let Some(series) = score_by_resource(&files.trials, &ranking.metric) else {
        return;
    };
    let metric = &ranking.metric;
    page.h2("Successive halving");
    page.note(&format!(
        "Each line is one candidate: its mean cross-validated {metric} at the resource of each \
         rung it ran in. After each rung the best 1/factor of its candidates go on with factor \
         times the resource; a line ends where its candidate was dropped. The candidates of the \
         last rung are named (the best of them is the run's best)."
    ));
    page.charts(&[svg::lines(
        &format!("cv {metric} against resource"),
        "resource",
        metric,
        &series,
        false,
        &[],
    )]);
}

/// One series per candidate (in candidate order): (resource, mean score) per rung it finished.
/// The last rung's candidates are named, up to [`NAMED`] of them. None without halving trials.
fn score_by_resource(trials: &[Trial], metric: &str) -> Option<Vec<Series>> {
    let last = trials.iter().filter_map(|t| t.rung).max()?;
    let mut by_candidate: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    for t in trials.iter().filter(|t| t.is_ok()) {
        if let (Some(resource), Some(score)) = (t.resource, t.mean.get(metric)) {
            by_candidate
                .entry(t.candidate)
                .or_default()
                .push((resource as f64, *score));
        }
    }
    let finalists: Vec<usize> = trials
        .iter()
        .filter(|t| t.rung == Some(last))
        .map(|t| t.candidate)
        .take(NAMED)
        .collect();
    Some(
        by_candidate
            .into_iter()
            .map(|(c, mut points)| {
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                Series {
                    name: if finalists.contains(&c) {
                        format!("#{c}")
                    } else {
                        String::new()
                    },
                    points,
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(candidate: usize, rung: usize, resource: u64, r2: f64) -> Trial {
        Trial {
            candidate,
            params: Default::default(),
            folds: Vec::new(),
            mean: [("r2".to_string(), r2)].into(),
            std: Default::default(),
            status: crate::search::TrialStatus::Ok,
            error: None,
            warnings: Vec::new(),
            strategy: Some("halving".into()),
            rung: Some(rung),
            resource: Some(resource),
            threshold: None,
        }
    }

    #[test]
    fn each_candidate_is_a_line_over_its_rungs_and_the_finalists_are_named() {
        let trials = [
            trial(0, 0, 10, 0.1),
            trial(1, 0, 10, 0.5),
            trial(2, 0, 10, 0.4),
            trial(1, 1, 30, 0.6),
        ];
        let series = score_by_resource(&trials, "r2").unwrap();
        assert_eq!(series.len(), 3);
        assert_eq!(series[1].points, [(10.0, 0.5), (30.0, 0.6)]);
        assert_eq!(series[1].name, "#1");
        assert!(series[0].name.is_empty() && series[2].name.is_empty());
        let mut grid = trials[0].clone();
        grid.rung = None;
        assert!(score_by_resource(&[grid], "r2").is_none());
    }
}
