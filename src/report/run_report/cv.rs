//! The report's leaderboard and cross-validation charts: every candidate's score with its spread
//! over folds, and the score against each grid parameter.

use super::{value_text, Ranking, RunFiles};
use crate::data::number_text::num;
use crate::report::html::{Cell, Page};
use crate::report::svg::{self, Dot, DotChart, DotSeries};
use crate::search::Trial;
use std::collections::BTreeMap;

/// Candidates drawn in the per-candidate chart at most (the best ones).
const CANDIDATES_SHOWN: usize = 40;

pub(super) fn leaderboard_section(
    page: &mut Page,
    files: &RunFiles,
    ranking: &Ranking,
    ranked: &[&Trial],
) {
    page.h2("Leaderboard");
    if files.trials.is_empty() {
        page.p("No candidate finished (trials.jsonl is empty).");
        return;
    }
    let others: Vec<String> = ranked
        .first()
        .map(|t| {
            t.mean
                .keys()
                .filter(|k| **k != ranking.metric)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let metric_head = format!("{} (mean ± std)", ranking.metric);
    let halving = files.trials.iter().any(|t| t.rung.is_some());
    let mut header: Vec<&str> = vec!["rank", "candidate"];
    if halving {
        header.extend(["rung", "resource"]);
    }
    header.extend(["params", metric_head.as_str()]);
    header.extend(others.iter().map(String::as_str));
    header.push("fit seconds");
    let rows: Vec<Vec<Cell>> = ranked
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut row = vec![
                Cell::num((i + 1).to_string()),
                Cell::num(t.candidate.to_string()),
            ];
            if halving {
                let text = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
                row.push(Cell::num(text(t.rung.map(|r| r as u64))));
                row.push(Cell::num(text(t.resource)));
            }
            row.extend([
                Cell::text(t.params_text()),
                Cell::num(format!(
                    "{} ± {}",
                    num(t.mean[&ranking.metric]),
                    num(t.std.get(&ranking.metric).copied().unwrap_or(f64::NAN))
                )),
            ]);
            row.extend(
                others
                    .iter()
                    .map(|m| Cell::num(t.mean.get(m).map_or("-".into(), |v| num(*v)))),
            );
            let fit: f64 = t.folds.iter().map(|f| f.fit_seconds).sum();
            row.push(Cell::num(format!("{fit:.3}")));
            row
        })
        .collect();
    page.table(&header, &rows, (!rows.is_empty()).then_some(0));
    let failed: Vec<String> = files
        .trials
        .iter()
        .filter(|t| !t.is_ok())
        .map(|t| {
            format!(
                "candidate {} ({}) failed: {}",
                t.candidate,
                t.params_text(),
                t.error.as_deref().unwrap_or("")
            )
        })
        .collect();
    page.warnings(&failed);
}

fn fold_values(t: &Trial, metric: &str) -> Vec<f64> {
    t.folds
        .iter()
        .filter_map(|f| f.scores.get(metric).copied())
        .collect()
}

fn dot_of(t: &Trial, metric: &str, category: usize, best: bool, series: usize) -> Dot {
    let mean = t.mean[metric];
    let std = t.std.get(metric).copied().unwrap_or(0.0);
    Dot {
        category,
        mean,
        std,
        folds: fold_values(t, metric),
        best,
        label: format!(
            "candidate {} ({}): {} ± {}",
            t.candidate,
            t.params_text(),
            num(mean),
            num(std)
        ),
        series,
    }
}

/// The model type a trial fitted: its `model.type` parameter, else the pipeline's model.
fn model_type_of(t: &Trial, files: &RunFiles) -> String {
    t.params
        .get("model.type")
        .map(value_text)
        .unwrap_or_else(|| {
            files
                .pipeline
                .as_ref()
                .map_or("model".into(), |p| p.model.name().to_string())
        })
}

/// The model types of a chart's trials, in candidate order: its series.
struct ModelTypes(Vec<String>);

impl ModelTypes {
    fn of(trials: &[&Trial], files: &RunFiles) -> ModelTypes {
        let mut by_candidate = trials.to_vec();
        by_candidate.sort_by_key(|t| t.candidate);
        let mut types: Vec<String> = Vec::new();
        for t in by_candidate {
            let m = model_type_of(t, files);
            if !types.contains(&m) {
                types.push(m);
            }
        }
        ModelTypes(types)
    }

    /// The series of a trial.
    fn index(&self, t: &Trial, files: &RunFiles) -> usize {
        let m = model_type_of(t, files);
        self.0.iter().position(|x| *x == m).unwrap_or(0)
    }
}

/// The values a metric can take, for the chart's axis; unbounded when the name is not a metric.
fn metric_range(metric: &str) -> (f64, f64) {
    crate::metrics::Metric::from_name(metric)
        .map_or((f64::NEG_INFINITY, f64::INFINITY), |m| m.range())
}

pub(super) fn cv_section(page: &mut Page, files: &RunFiles, ranking: &Ranking, ranked: &[&Trial]) {
    if ranked.is_empty() {
        return;
    }
    let metric = ranking.metric.as_str();
    let range = metric_range(metric);
    let best = ranked[0].candidate;
    page.h2(&format!("Cross-validation {metric}"));
    page.note(
        "Dots: a candidate's mean over folds, whiskers: ± one standard deviation (cut at the \
         metric's bounds), grey dots: each fold's score; one colour per model type. The best \
         candidate is orange. Lines join a model type's best candidate at each value of a numeric \
         parameter.",
    );
    let mut charts = Vec::new();
    let shown: Vec<&Trial> = ranked.iter().take(CANDIDATES_SHOWN).copied().collect();
    let types = ModelTypes::of(&shown, files);
    let categories: Vec<String> = shown.iter().map(|t| format!("#{}", t.candidate)).collect();
    let dots: Vec<Dot> = shown
        .iter()
        .enumerate()
        .map(|(i, t)| dot_of(t, metric, i, t.candidate == best, types.index(t, files)))
        .collect();
    let title = if ranked.len() > shown.len() {
        format!(
            "cv {metric} of the best {} of {} candidates",
            shown.len(),
            ranked.len()
        )
    } else {
        format!("cv {metric} per candidate, best first")
    };
    let series: Vec<DotSeries> = types
        .0
        .iter()
        .map(|name| DotSeries {
            name: name.clone(),
            trend: Vec::new(),
        })
        .collect();
    charts.push(svg::dots(&DotChart {
        title: &title,
        x_label: "candidate (ranked)",
        y_label: metric,
        categories: &categories,
        dots: &dots,
        series: &series,
        range,
    }));
    // One chart per grid key that takes two values or more.
    let mut keys: Vec<String> = Vec::new();
    for t in &files.trials {
        for k in t.params.keys() {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    for key in keys {
        if let Some(chart) = sweep_chart(files, ranking, ranked, &key, range) {
            charts.push(chart);
        }
    }
    page.charts(&charts);
}

/// The cv score against one grid key, one series per model type that has the key; None when the
/// key takes fewer than two values. Numeric values are an ordered sweep: a line joins each model
/// type's best candidate per value. Other values (a model type, a solver) are unordered: dots only.
fn sweep_chart(
    files: &RunFiles,
    ranking: &Ranking,
    ranked: &[&Trial],
    key: &str,
    range: (f64, f64),
) -> Option<String> {
    let metric = ranking.metric.as_str();
    let best = ranked.first()?.candidate;
    let mut values: Vec<serde_json::Value> = Vec::new();
    for t in ranked {
        if let Some(v) = t.params.get(key) {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
    }
    if values.len() < 2 {
        return None;
    }
    let numeric = values.iter().all(|v| v.is_number());
    if numeric {
        values.sort_by(|a, b| {
            a.as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b.as_f64().unwrap_or(0.0))
        });
    }
    let categories: Vec<String> = values.iter().map(value_text).collect();
    // Candidates in index order, so their places within a category follow the grid.
    let mut members: Vec<&Trial> = ranked
        .iter()
        .copied()
        .filter(|t| t.params.contains_key(key))
        .collect();
    members.sort_by_key(|t| t.candidate);
    let types = ModelTypes::of(&members, files);
    let mut dots = Vec::new();
    // Per series, the best mean at each category.
    let mut best_at: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); types.0.len()];
    for t in members {
        let Some(cat) = values.iter().position(|v| Some(v) == t.params.get(key)) else {
            continue;
        };
        let series = types.index(t, files);
        let d = dot_of(t, metric, cat, t.candidate == best, series);
        let slot = best_at[series].entry(cat).or_insert(d.mean);
        if ranking.better(d.mean, *slot) {
            *slot = d.mean;
        }
        dots.push(d);
    }
    let series: Vec<DotSeries> = types
        .0
        .into_iter()
        .zip(best_at)
        .map(|(name, at)| DotSeries {
            name,
            trend: if numeric {
                at.into_iter().collect()
            } else {
                Vec::new()
            },
        })
        .collect();
    Some(svg::dots(&DotChart {
        title: &format!("cv {metric} by {key}"),
        x_label: key,
        y_label: metric,
        categories: &categories,
        dots: &dots,
        series: &series,
        range,
    }))
}
