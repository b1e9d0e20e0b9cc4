//! The `[expect]` checks: which held for the best candidate, and their lines at the end of a run.

use crate::config::Pipeline;
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
                "cv" => best.mean.get(e.metric.name()).copied(),
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
