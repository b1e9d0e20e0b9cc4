//! The leaderboard `kiln run` prints at its end: the candidates ranked by the metric, the failed
//! ones, the holdout scores and the expectations.

use super::expect::expectation_lines;
use crate::config::Pipeline;
use crate::metrics::Metric;
use crate::runlog::ranking::ranked;
use crate::runlog::Summary;
use crate::search::Trial;
use crate::util::table::Table;

/// The leaderboard printed at the end of a run: candidates ranked by the metric.
pub fn leaderboard(trials: &[Trial], p: &Pipeline, summary: &Summary) -> String {
    let metric = p.metric;
    let ok = trials.iter().filter(|t| t.is_ok());
    let ranked = ranked(ok, metric.name(), metric.greater_is_better());
    let others: Vec<&Metric> = p.metrics.iter().skip(1).collect();
    // A halving search ranks its last rung first; each row says its rung and resource.
    let halving = trials.iter().any(|t| t.rung.is_some());
    let mut header = vec!["rank", "candidate"];
    if halving {
        header.extend(["rung", "resource"]);
    }
    header.push("params");
    // A tuned (or fixed) decision threshold: each candidate's, beside its scores at it.
    let thresholds = trials.iter().any(|t| t.threshold.is_some());
    if thresholds {
        header.push("threshold");
    }
    let metric_head = format!("{} (mean ± std)", metric.name());
    header.push(&metric_head);
    let other_names: Vec<String> = others.iter().map(|m| m.name().to_string()).collect();
    header.extend(other_names.iter().map(String::as_str));
    let mut table = Table::new(&header);
    for (rank, t) in ranked.iter().enumerate() {
        let mut row = vec![(rank + 1).to_string(), t.candidate.to_string()];
        if halving {
            let text = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
            row.push(text(t.rung.map(|r| r as u64)));
            row.push(text(t.resource));
        }
        row.push(t.params_text());
        if thresholds {
            row.push(t.threshold.map_or("-".to_string(), |v| format!("{v:.4}")));
        }
        row.push(format!(
            "{:.6} ± {:.6}",
            t.mean[metric.name()],
            t.std[metric.name()]
        ));
        row.extend(others.iter().map(|m| format!("{:.6}", t.mean[m.name()])));
        table.push(row);
    }
    let mut s = if halving {
        let candidates: std::collections::BTreeSet<usize> =
            trials.iter().map(|t| t.candidate).collect();
        let rungs = trials
            .iter()
            .filter_map(|t| t.rung)
            .max()
            .map_or(0, |r| r + 1);
        format!(
            "\n{} — {} candidates, {} trials in {rungs} halving rungs, {} folds\n",
            p.name,
            candidates.len(),
            trials.len(),
            summary.folds
        )
    } else {
        format!(
            "\n{} — {} candidates, {} folds\n",
            p.name,
            trials.len(),
            summary.folds
        )
    };
    s.push_str(&table.render());
    for t in trials.iter().filter(|t| !t.is_ok()) {
        s.push_str(&format!(
            "failed: candidate {} ({}): {}\n",
            t.candidate,
            t.params_text(),
            t.error.as_deref().unwrap_or("")
        ));
    }
    if !summary.test.is_empty() {
        let scores: Vec<String> = summary
            .test
            .iter()
            .map(|(k, v)| format!("{k} {v:.6}"))
            .collect();
        s.push_str(&format!(
            "holdout ({} rows): {}\n",
            summary.data.test_rows,
            scores.join(", ")
        ));
    }
    s.push_str(&expectation_lines(summary, false));
    s
}
