//! The `[expect]` checks: which held for the best candidate, and their lines at the end of a run.

use crate::config::{Expectation, Pipeline};
use crate::runlog::{ExpectResult, Summary};
use crate::search::Trial;
use std::collections::BTreeMap;

/// The `[expect]` checks of a pipeline against the best candidate's cross-validation means ("cv")
/// and its holdout scores ("test"); a score that is missing fails its check.
pub(crate) fn check_expectations(
    p: &Pipeline,
    best: &Trial,
    test: &BTreeMap<String, f64>,
) -> Vec<ExpectResult> {
    p.expect
        .iter()
        .map(|e| {
            let value = match e.scope.as_str() {
                "cv" => cv_value(e, best),
                _ => test.get(e.metric.name()).copied(),
            };
            ExpectResult {
                key: e.key(),
                min: e.bound.min,
                max: e.bound.max,
                value,
                passed: value.is_some_and(|v| e.holds(v)),
            }
        })
        .collect()
}

/// A candidate's mean validation score for a "cv" check.
fn cv_value(e: &Expectation, trial: &Trial) -> Option<f64> {
    trial.mean.get(e.metric.name()).copied()
}

/// Whether a finished candidate meets every `search.stop_when` check (all "cv"), as `[expect]`
/// judges the best one: a missing score fails.
pub(crate) fn meets(checks: &[Expectation], trial: &Trial) -> bool {
    trial.is_ok()
        && checks
            .iter()
            .all(|e| cv_value(e, trial).is_some_and(|v| e.holds(v)))
}

/// The first candidate, in candidate order, that meets `checks`: the search keeps it and those
/// before it. `trials` in candidate order.
pub(crate) fn stop_point(checks: &[Expectation], trials: &[Trial]) -> Option<usize> {
    if checks.is_empty() {
        return None;
    }
    trials
        .iter()
        .find(|t| meets(checks, t))
        .map(|t| t.candidate)
}

/// One line per `[expect]` check (`only_failed`: the failed ones), as the leaderboard ends.
pub(crate) fn expectation_lines(summary: &Summary, only_failed: bool) -> String {
    let mut s = String::new();
    for e in summary.expect.iter().filter(|e| !(only_failed && e.passed)) {
        let bound = e.bound_text();
        let value = e.value.map_or("missing".to_string(), |v| format!("{v:.6}"));
        s.push_str(&format!(
            "expect {} {bound}: {value} {}\n",
            e.key,
            if e.passed { "ok" } else { "FAILED" }
        ));
    }
    s
}
