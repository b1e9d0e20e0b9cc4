//! report.html in a run directory: the leaderboard, the cross-validation score against each grid
//! parameter with its spread over folds, the best model's predictions (predicted against actual and
//! residuals; confusion matrix and ROC curves; cluster sizes), its coefficients or importances, and the
//! pipeline as run.
//!
//! Everything comes from the run directory's files, plus the data for the predictions: the best
//! model (model.json) predicts the same holdout rows the run scored (the split is recomputed from the
//! pipeline's seed), or every training row when there was no holdout.

use super::fmt::{clip, num, pct};
use super::html::{Cell, Page};
use super::svg::{self, Bar, Dot, DotChart, DotSeries, HeatColors, Histogram, Reference, Series};
use crate::artifact::Artifact;
use crate::config::{self, Pipeline};
use crate::data::{self, Dataset, TargetData};
use crate::error::{KilnError, Result};
use crate::models::{FittedModel, Output, Task};
use crate::runlog::{writer, Summary};
use crate::search::{self, Trial};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rows predicted per batch: bounds the memory of the design matrix on large data.
const BATCH: usize = 8192;
/// Points drawn in a scatter plot at most (evenly spaced through the rows).
const SCATTER_POINTS: usize = 2000;
/// Candidates drawn in the per-candidate chart at most (the best ones).
const CANDIDATES_SHOWN: usize = 40;
/// Coefficients or importances shown at most (the largest in magnitude).
const WEIGHTS_SHOWN: usize = 25;

/// Writes RUN_DIR/report.html and returns its path. `data` overrides the data file recorded in
/// summary.json (pass the pipeline's resolved `data_path` when calling right after a run). A missing
/// or changed data file, or a run without a model, leaves those sections out with a note; only an
/// unreadable run directory is an error.
pub fn write_run_report(run_dir: &Path, data: Option<&Path>) -> Result<PathBuf> {
    write_report(run_dir, ReportData::File(data), None)
}

/// Where the rows the best model predicts come from.
#[derive(Clone, Copy)]
pub enum ReportData<'a> {
    /// Read this data file (None: summary.json's data.path), checked against the run's data hash.
    File(Option<&'a Path>),
    /// The data a run has just used, as it loaded it: nothing is read again.
    Loaded(&'a Dataset),
}

fn write_report(run_dir: &Path, data: ReportData, summary: Option<&Summary>) -> Result<PathBuf> {
    let html = run_report_html(run_dir, data, summary)?;
    let path = run_dir.join("report.html");
    writer::atomic_write(&path, html.as_bytes())?;
    Ok(path)
}

/// report.html at the end of `kiln run` (complete, a shard, or interrupted) and `kiln merge`, from the
/// files just written and the data the run has in memory (read once, not again). The run's own
/// files are written by then: a report that cannot be written, or a bug in the report, is a warning
/// on stderr and never fails the run (`kiln report RUN_DIR` writes it again). `summary` is the one
/// about to be written: the run writes its final status last, after the report.
pub fn write_after_run(run_dir: &Path, data: &Dataset, summary: Option<&Summary>) {
    let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        write_report(run_dir, ReportData::Loaded(data), summary)
    }));
    let why = match written {
        Ok(Ok(_)) => return,
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the report panicked (a bug in kiln)".to_string(),
    };
    crate::say!(
        "warning: {}: report.html not written: {why}; the run's other files are unaffected (try `kiln report {}`)",
        run_dir.display(),
        run_dir.display()
    );
}

/// What the run directory holds.
struct RunFiles {
    dir: PathBuf,
    pipeline_text: String,
    pipeline: std::result::Result<Pipeline, String>,
    summary: Option<Summary>,
    trials: Vec<Trial>,
    artifact: std::result::Result<Artifact, String>,
}

fn read_run(run_dir: &Path) -> Result<RunFiles> {
    if !run_dir.is_dir() {
        return Err(KilnError::Data(format!(
            "{} is not a run directory (runs/<pipeline>/<run id>)",
            run_dir.display()
        )));
    }
    let toml_path = run_dir.join("pipeline.toml");
    let pipeline_text = std::fs::read_to_string(&toml_path).map_err(|e| {
        KilnError::Data(format!(
            "{} is not a run directory: cannot read pipeline.toml: {e}",
            run_dir.display()
        ))
    })?;
    let pipeline = config::load_str(&toml_path, pipeline_text.clone(), &[])
        .map(|l| l.base().clone())
        .map_err(|e| e.to_string());
    let summary_path = run_dir.join("summary.json");
    let summary = match std::fs::read_to_string(&summary_path) {
        Ok(text) => Some(serde_json::from_str::<Summary>(&text).map_err(|e| {
            KilnError::Data(format!(
                "{}: not a kiln summary: {e}",
                summary_path.display()
            ))
        })?),
        Err(_) => None,
    };
    let trials_path = run_dir.join("trials.jsonl");
    let trials = if trials_path.exists() {
        writer::read_trials(&trials_path)?
    } else {
        Vec::new()
    };
    let model_path = run_dir.join("model.json");
    let artifact = if model_path.exists() {
        Artifact::load(&model_path).map_err(|e| e.to_string())
    } else {
        Err("the run wrote no model.json".into())
    };
    Ok(RunFiles {
        dir: run_dir.to_path_buf(),
        pipeline_text,
        pipeline,
        summary,
        trials,
        artifact,
    })
}

/// The metric that ranks candidates and its direction.
struct Ranking {
    metric: String,
    greater_is_better: bool,
}

impl Ranking {
    fn of(files: &RunFiles) -> Ranking {
        if let Some(s) = &files.summary {
            return Ranking {
                metric: s.metric.clone(),
                greater_is_better: s.greater_is_better,
            };
        }
        match &files.pipeline {
            Ok(p) => Ranking {
                metric: p.metric.name().into(),
                greater_is_better: p.metric.greater_is_better(),
            },
            Err(_) => Ranking {
                metric: files
                    .trials
                    .iter()
                    .find_map(|t| t.mean.keys().next().cloned())
                    .unwrap_or_default(),
                greater_is_better: true,
            },
        }
    }

    fn better(&self, a: f64, b: f64) -> bool {
        if self.greater_is_better {
            a > b
        } else {
            a < b
        }
    }

    /// Successful trials, best first (the lower candidate index on ties).
    fn ranked<'a>(&self, trials: &'a [Trial]) -> Vec<&'a Trial> {
        let mut ok: Vec<&Trial> = trials
            .iter()
            .filter(|t| t.is_ok() && t.mean.contains_key(&self.metric))
            .collect();
        ok.sort_by(|a, b| {
            let (x, y) = (a.mean[&self.metric], b.mean[&self.metric]);
            let ord = if self.greater_is_better {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            };
            ord.then(a.candidate.cmp(&b.candidate))
        });
        ok
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The whole page (`summary`: instead of the run directory's summary.json).
pub fn run_report_html(
    run_dir: &Path,
    data: ReportData,
    summary: Option<&Summary>,
) -> Result<String> {
    let mut files = read_run(run_dir)?;
    if let Some(s) = summary {
        files.summary = Some(s.clone());
    }
    let ranking = Ranking::of(&files);
    let ranked = ranking.ranked(&files.trials);
    let name = files
        .summary
        .as_ref()
        .map(|s| s.pipeline.clone())
        .or_else(|| files.pipeline.as_ref().ok().map(|p| p.name.clone()))
        .unwrap_or_else(|| run_dir.display().to_string());
    let mut page = Page::new(&format!("kiln run report: {name}"));
    page.h1(&format!("Run report: {name}"));
    summary_section(&mut page, &files, run_dir);
    leaderboard_section(&mut page, &files, &ranking, &ranked);
    cv_section(&mut page, &files, &ranking, &ranked);
    model_section(&mut page, &files, data);
    page.h2("The pipeline as run");
    page.pre(&files.pipeline_text);
    Ok(page.render())
}

fn summary_section(page: &mut Page, files: &RunFiles, run_dir: &Path) {
    let Some(s) = &files.summary else {
        page.meta(&format!(
            "{}: no summary.json (the run did not finish)",
            run_dir.display()
        ));
        return;
    };
    page.meta(&format!(
        "run {} ({}): {} with metric {}; {} candidates x {} folds; {} threads; started {}, took {:.1} s; kiln {}",
        s.run_id,
        s.status,
        s.task,
        s.metric,
        s.candidates,
        s.folds,
        s.threads,
        s.started_at,
        s.duration_seconds,
        s.kiln_version
    ));
    let d = &s.data;
    let mut data_line = format!(
        "data {}: {} rows x {} columns; {} rows used",
        d.path, d.rows, d.columns, d.rows_used
    );
    if d.dropped_missing_target > 0 {
        data_line.push_str(&format!(
            " ({} without a target left out)",
            d.dropped_missing_target
        ));
    }
    if d.test_rows > 0 {
        data_line.push_str(&format!(
            "; {} training rows, {} holdout rows",
            d.train_rows, d.test_rows
        ));
    }
    page.meta(&data_line);
    if let Some(b) = &s.best {
        let params = search::trial::params_text(&b.params);
        let mean = b.mean.get(&s.metric).copied().unwrap_or(f64::NAN);
        let std = b.std.get(&s.metric).copied().unwrap_or(f64::NAN);
        page.p(&format!(
            "Best: candidate {} ({params}): cv {} {} ± {}",
            b.candidate,
            s.metric,
            num(mean),
            num(std)
        ));
    }
    if !s.test.is_empty() {
        let scores: Vec<String> = s
            .test
            .iter()
            .map(|(k, v)| format!("{k} {}", num(*v)))
            .collect();
        page.p(&format!(
            "Holdout ({} rows): {}",
            d.test_rows,
            scores.join(", ")
        ));
    }
    if !s.expect.is_empty() {
        let rows: Vec<Vec<Cell>> = s
            .expect
            .iter()
            .map(|e| {
                let bound = match (e.min, e.max) {
                    (Some(a), Some(b)) => format!("in [{a}, {b}]"),
                    (Some(a), None) => format!(">= {a}"),
                    (None, Some(b)) => format!("<= {b}"),
                    (None, None) => String::new(),
                };
                vec![
                    Cell::text(e.key.clone()),
                    Cell::text(bound),
                    Cell::num(e.value.map_or("missing".into(), num)),
                    Cell::text(if e.passed { "ok" } else { "FAILED" }),
                ]
            })
            .collect();
        page.h3("Expectations");
        page.table(&["check", "bound", "value", "result"], &rows, None);
    }
    if let Some(err) = &s.error {
        page.warnings(&[format!("run error: {err}")]);
    }
    page.warnings(&s.warnings);
}

fn leaderboard_section(page: &mut Page, files: &RunFiles, ranking: &Ranking, ranked: &[&Trial]) {
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
    let mut header: Vec<&str> = vec!["rank", "candidate", "params", &metric_head];
    header.extend(others.iter().map(String::as_str));
    header.push("fit seconds");
    let rows: Vec<Vec<Cell>> = ranked
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut row = vec![
                Cell::num((i + 1).to_string()),
                Cell::num(t.candidate.to_string()),
                Cell::text(t.params_text()),
                Cell::num(format!(
                    "{} ± {}",
                    num(t.mean[&ranking.metric]),
                    num(t.std.get(&ranking.metric).copied().unwrap_or(f64::NAN))
                )),
            ];
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

fn cv_section(page: &mut Page, files: &RunFiles, ranking: &Ranking, ranked: &[&Trial]) {
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

/// What the best model said about the rows it was checked on.
enum Predicted {
    Regression {
        actual: Vec<f64>,
        predicted: Vec<f64>,
    },
    Classification {
        classes: Vec<String>,
        /// [actual][predicted] counts.
        confusion: Vec<Vec<usize>>,
        /// For each class, each row's (probability of the class, whether it is the class).
        scores: Vec<Vec<(f64, bool)>>,
        positive: Option<usize>,
    },
    Clustering {
        sizes: Vec<usize>,
    },
}

/// Predicts the holdout rows (or every row when there was none) with the saved model, in batches.
fn predict_rows(
    pipeline: &Pipeline,
    ds: &Dataset,
    artifact: &Artifact,
) -> std::result::Result<(Predicted, String), String> {
    let (_, test) = search::holdout(pipeline, ds);
    let n = ds.n_rows();
    let (rows, label) = if test.is_empty() {
        (
            (0..n).collect::<Vec<usize>>(),
            format!("{n} training rows (no holdout)"),
        )
    } else {
        let label = format!("{} holdout rows", test.len());
        (test, label)
    };
    let mut outputs = Vec::new();
    for batch in rows.chunks(BATCH) {
        let x = artifact.preprocessor.transform(&ds.features, Some(batch))?;
        outputs.push((batch, artifact.model.predict(&x)));
    }
    let predicted = match (&ds.target, artifact.task) {
        (Some(TargetData::Values(y)), Task::Regression) => {
            let mut actual = Vec::with_capacity(rows.len());
            let mut predicted = Vec::with_capacity(rows.len());
            for (batch, out) in &outputs {
                let Output::Values(v) = out else {
                    return Err("the model did not predict values".into());
                };
                actual.extend(batch.iter().map(|&r| y[r]));
                predicted.extend_from_slice(v);
            }
            Predicted::Regression { actual, predicted }
        }
        (Some(TargetData::Classes { labels, classes }), Task::Classification) => {
            let k = artifact.classes.len();
            // The data's class order and the model's agree on the same data; map by label anyway.
            let to_model: Vec<Option<usize>> = classes
                .iter()
                .map(|c| artifact.classes.iter().position(|m| m == c))
                .collect();
            let mut confusion = vec![vec![0usize; k]; k];
            let mut scores = vec![Vec::with_capacity(rows.len()); k];
            for (batch, out) in &outputs {
                let Output::Proba(proba) = out else {
                    return Err("the model did not predict class probabilities".into());
                };
                let predicted = out.classes().unwrap_or_default();
                for (i, &r) in batch.iter().enumerate() {
                    let Some(actual) = to_model.get(labels[r]).copied().flatten() else {
                        continue;
                    };
                    if let Some(&p) = predicted.get(i) {
                        if p < k {
                            confusion[actual][p] += 1;
                        }
                    }
                    for (c, s) in scores.iter_mut().enumerate().take(proba.n_cols.min(k)) {
                        s.push((proba.get(i, c), c == actual));
                    }
                }
            }
            let positive = (k == 2).then(|| {
                artifact
                    .positive_class
                    .as_ref()
                    .and_then(|pc| artifact.classes.iter().position(|c| c == pc))
                    .unwrap_or(1)
            });
            Predicted::Classification {
                classes: artifact.classes.clone(),
                confusion,
                scores,
                positive,
            }
        }
        (None, Task::Clustering) => {
            let mut sizes: Vec<usize> = Vec::new();
            for (_, out) in &outputs {
                let Output::Clusters { labels, .. } = out else {
                    return Err("the model did not assign clusters".into());
                };
                for &l in labels {
                    if l >= sizes.len() {
                        sizes.resize(l + 1, 0);
                    }
                    sizes[l] += 1;
                }
            }
            Predicted::Clustering { sizes }
        }
        _ => return Err("the data's target does not match the model's task".into()),
    };
    Ok((predicted, label))
}

/// An ROC curve (false positive rate, true positive rate) and its area; None without both kinds.
pub fn roc_curve(scores: &[(f64, bool)]) -> Option<(Vec<(f64, f64)>, f64)> {
    let positives = scores.iter().filter(|s| s.1).count();
    let negatives = scores.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = scores.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut points = vec![(0.0, 0.0)];
    let mut auc = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        // Rows with equal scores move the curve together (a diagonal step), as scikit-learn's.
        let threshold = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == threshold {
            if sorted[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let point = (fp as f64 / negatives as f64, tp as f64 / positives as f64);
        let last = points[points.len() - 1];
        auc += (point.0 - last.0) * (point.1 + last.1) / 2.0;
        points.push(point);
    }
    // Enough points to draw: every k-th, and always the last.
    if points.len() > 400 {
        let step = points.len().div_ceil(400);
        let last = points[points.len() - 1];
        points = points.into_iter().step_by(step).collect();
        if points.last() != Some(&last) {
            points.push(last);
        }
    }
    Some((points, auc))
}

/// Evenly spaced indices, at most `max` of `n`.
fn sample(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step)
}

fn model_section(page: &mut Page, files: &RunFiles, data: ReportData) {
    page.h2("The best model");
    let artifact = match &files.artifact {
        Ok(a) => a,
        Err(e) => {
            page.p(&format!("No model to show: {e}{}.", no_model_reason(files)));
            return;
        }
    };
    page.p(&format!(
        "{} refitted on {} training rows; parameters: {}",
        model_name(files),
        artifact.training_rows,
        search::trial::params_text(&artifact.params)
    ));
    let read;
    let source = match data {
        ReportData::Loaded(ds) => files
            .pipeline
            .as_ref()
            .map(|p| (p, ds))
            .map_err(|e| format!("pipeline.toml no longer loads: {e}")),
        ReportData::File(path) => match prediction_source(files, path) {
            Err(why) => Err(why),
            Ok((p, path)) => {
                let mut at = p.clone();
                at.data_path = path;
                match data::load(&at, None) {
                    Ok(ds) => {
                        read = ds;
                        Ok((p, &read))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        },
    };
    match source.and_then(|(pipeline, ds)| predict_rows(pipeline, ds, artifact)) {
        Err(why) => page.note(&format!("Predictions not shown: {why}")),
        Ok((predicted, label)) => prediction_charts(page, &predicted, &label, artifact),
    }
    weights_chart(page, artifact);
}

/// Why a run wrote no model.json, when its summary says.
fn no_model_reason(files: &RunFiles) -> String {
    let Some(s) = &files.summary else {
        return String::new();
    };
    if let Some(shard) = s.shard {
        return format!(
            ": this is shard {}/{}, which refits nothing (`kiln merge` the shards for the model)",
            shard.index, shard.count
        );
    }
    match s.status.as_str() {
        "interrupted" => format!(
            ": the run was interrupted before the refit (complete it with `kiln run {} --resume {}`)",
            s.pipeline_file,
            files.dir.display()
        ),
        "running" => ": the run has not finished (or was killed)".into(),
        "failed" => ": the run failed".into(),
        _ => String::new(),
    }
}

fn model_name(files: &RunFiles) -> String {
    let from_params = files
        .artifact
        .as_ref()
        .ok()
        .and_then(|a| a.params.get("model.type"))
        .map(value_text);
    from_params
        .or_else(|| {
            files
                .pipeline
                .as_ref()
                .ok()
                .map(|p| p.model.name().to_string())
        })
        .unwrap_or_else(|| "the model".into())
}

/// The pipeline and the data file to predict with; Err says why there are no predictions.
fn prediction_source<'a>(
    files: &'a RunFiles,
    data: Option<&Path>,
) -> std::result::Result<(&'a Pipeline, PathBuf), String> {
    let pipeline = files
        .pipeline
        .as_ref()
        .map_err(|e| format!("pipeline.toml no longer loads: {e}"))?;
    let recorded = files.summary.as_ref().map(|s| PathBuf::from(&s.data.path));
    let path = match (data, recorded) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(r)) => r,
        (None, None) => {
            return Err("no summary.json names the data file; pass --data FILE".into());
        }
    };
    if !path.is_file() {
        return Err(format!(
            "the data file {} is not there; pass --data FILE",
            path.display()
        ));
    }
    if let Some(s) = &files.summary {
        let hash = data::file_hash(&path).map_err(|e| e.to_string())?;
        if hash != s.data.hash {
            return Err(format!(
                "{} has changed since the run (hash {hash}, the run saw {})",
                path.display(),
                s.data.hash
            ));
        }
    }
    Ok((pipeline, path))
}

fn prediction_charts(page: &mut Page, predicted: &Predicted, label: &str, artifact: &Artifact) {
    let target = artifact.target.clone().unwrap_or_else(|| "target".into());
    match predicted {
        Predicted::Regression { actual, predicted } => {
            let n = actual.len();
            let residuals: Vec<f64> = actual.iter().zip(predicted).map(|(a, p)| a - p).collect();
            let rmse = (residuals.iter().map(|r| r * r).sum::<f64>() / n.max(1) as f64).sqrt();
            let mae = residuals.iter().map(|r| r.abs()).sum::<f64>() / n.max(1) as f64;
            let shown = n.min(SCATTER_POINTS);
            let note = format!(
                "{label}{}; rmse {}, mae {}",
                if shown < n {
                    format!(", {shown} drawn")
                } else {
                    String::new()
                },
                num(rmse),
                num(mae)
            );
            page.h3(&format!("Predictions on {label}"));
            let pairs: Vec<(f64, f64)> = sample(n, SCATTER_POINTS)
                .map(|i| (actual[i], predicted[i]))
                .collect();
            let resid_pairs: Vec<(f64, f64)> = sample(n, SCATTER_POINTS)
                .map(|i| (predicted[i], residuals[i]))
                .collect();
            let mut sorted = residuals.clone();
            sorted.sort_by(f64::total_cmp);
            let (lo, hi) = (
                super::profile::quantile_sorted(&sorted, 0.005),
                super::profile::quantile_sorted(&sorted, 0.995),
            );
            let (lo, hi) = if hi > lo {
                (lo, hi)
            } else {
                (lo - 1.0, hi + 1.0)
            };
            let bins = ((n as f64).sqrt().round() as usize).clamp(8, 40);
            let mut hist = Histogram::of(&residuals, lo, hi, bins);
            let outside = n - hist.counts.iter().sum::<usize>();
            if outside > 0 {
                hist.note = Some(format!(
                    "{outside} residuals beyond the 0.5% tails not drawn"
                ));
            }
            page.charts(&[
                svg::scatter(
                    &format!("Predicted against actual {target}"),
                    &format!("actual {target}"),
                    &format!("predicted {target}"),
                    &pairs,
                    Reference::Diagonal,
                    Some(&note),
                ),
                svg::scatter(
                    "Residuals against predictions",
                    &format!("predicted {target}"),
                    "residual (actual - predicted)",
                    &resid_pairs,
                    Reference::Zero,
                    None,
                ),
                svg::histogram("Residuals", "residual (actual - predicted)", &hist),
            ]);
        }
        Predicted::Classification {
            classes,
            confusion,
            scores,
            positive,
        } => {
            let total: usize = confusion.iter().flatten().sum();
            let right: usize = (0..classes.len()).map(|i| confusion[i][i]).sum();
            page.h3(&format!("Predictions on {label}"));
            page.p(&format!(
                "accuracy {} ({right} of {total} rows)",
                pct(right as f64 / total.max(1) as f64)
            ));
            let max = confusion.iter().flatten().copied().max().unwrap_or(0) as f64;
            let cells: Vec<Vec<Option<f64>>> = confusion
                .iter()
                .map(|r| r.iter().map(|c| Some(*c as f64)).collect())
                .collect();
            let text: Vec<Vec<String>> = confusion
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            let mut charts = vec![svg::heatmap(
                "Confusion matrix (rows: actual, columns: predicted)",
                classes,
                classes,
                &cells,
                Some(&text),
                HeatColors::Sequential { max },
                &format!("predicted {target}"),
                &format!("actual {target}"),
            )];
            let curves: Vec<Series> = match positive {
                Some(p) => roc_curve(&scores[*p])
                    .map(|(points, auc)| Series {
                        name: format!("{} (AUC {:.3})", classes[*p], auc),
                        points,
                    })
                    .into_iter()
                    .collect(),
                None => classes
                    .iter()
                    .zip(scores)
                    .filter_map(|(c, s)| {
                        roc_curve(s).map(|(points, auc)| Series {
                            name: format!("{} vs rest (AUC {:.3})", clip(c, 20), auc),
                            points,
                        })
                    })
                    .collect(),
            };
            if !curves.is_empty() {
                charts.push(svg::lines(
                    "ROC curve",
                    "false positive rate",
                    "true positive rate",
                    &curves,
                    true,
                ));
            }
            page.charts(&charts);
        }
        Predicted::Clustering { sizes } => {
            page.h3(&format!("Clusters of {label}"));
            let total: usize = sizes.iter().sum();
            let bars: Vec<Bar> = sizes
                .iter()
                .enumerate()
                .map(|(i, s)| Bar {
                    label: format!("cluster {i}"),
                    value: *s as f64,
                    text: format!("{s} ({})", pct(*s as f64 / total.max(1) as f64)),
                })
                .collect();
            page.charts(&[svg::hbar("Cluster sizes", "rows", &bars)]);
        }
    }
}

/// What a model's per-column weights are: a short name (the chart's axis, in the plural for its
/// title) and a sentence saying how they are computed.
struct WeightsMeaning {
    name: String,
    plural: String,
    how: String,
}

fn weights_meaning(artifact: &Artifact, kind: &str) -> WeightsMeaning {
    let named = |name: &str, plural: &str, how: &str| WeightsMeaning {
        name: name.into(),
        plural: plural.into(),
        how: how.into(),
    };
    match &artifact.model {
        FittedModel::LogisticRegression(m) if m.coef.len() > 1 => named(
            &format!("norm of the {} class coefficients", m.coef.len()),
            "coefficient norms",
            &format!(
                "Multinomial logistic regression has one coefficient per class and column: each \
                 bar is the Euclidean norm (root of the sum of squares) of a column's {} class \
                 coefficients, so it says how strongly the column moves the class scores, not in \
                 which direction.",
                m.coef.len()
            ),
        ),
        FittedModel::LogisticRegression(m) => {
            let class = m
                .classes
                .get(1)
                .and_then(|&c| artifact.classes.get(c))
                .map_or("the second class".into(), |c| format!("`{c}`"));
            named(
                &format!("coefficient (log-odds of {class})"),
                "coefficients",
                &format!("Each coefficient is the change in the log-odds of {class} per unit of the column."),
            )
        }
        FittedModel::Linear(_) | FittedModel::ElasticNet(_) => named(
            "coefficient",
            "coefficients",
            "Each coefficient is the change in the prediction per unit of the column.",
        ),
        FittedModel::DecisionTree(_) => named(
            "impurity importance",
            "importances",
            "Each importance is the column's impurity decrease over the tree's splits, weighted by \
             the rows they split and normalised to sum to 1 (scikit-learn's feature_importances_).",
        ),
        FittedModel::RandomForest(_) => named(
            "mean impurity importance",
            "importances",
            "Each importance is the column's impurity decrease in a tree (normalised to sum to 1 per \
             tree), averaged over the trees and normalised to sum to 1.",
        ),
        FittedModel::GradientBoosting(_) => named(
            "impurity importance",
            "importances",
            "Each importance is the column's squared-error decrease over the splits of every tree \
             (each fitted to the gradients), summed over the trees and normalised to sum to 1.",
        ),
        _ => named(kind, &format!("{kind}s"), ""),
    }
}

fn weights_chart(page: &mut Page, artifact: &Artifact) {
    let Some((kind, weights)) = artifact.model.feature_weights() else {
        page.note("This model has no per-feature coefficients or importances.");
        return;
    };
    let names = &artifact.preprocessor.output_names;
    if weights.len() != names.len() {
        return;
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        weights[*b]
            .abs()
            .total_cmp(&weights[*a].abs())
            .then(a.cmp(b))
    });
    let shown = order.len().min(WEIGHTS_SHOWN);
    let bars: Vec<Bar> = order
        .iter()
        .take(shown)
        .map(|&i| Bar {
            label: names[i].clone(),
            value: weights[i],
            text: num(weights[i]),
        })
        .collect();
    let meaning = weights_meaning(artifact, kind);
    let plural = &meaning.plural;
    let title = if shown < weights.len() {
        format!("The {shown} largest {plural} of {}", weights.len())
    } else {
        format!("Model {plural}")
    };
    page.h3(&format!("Feature {plural}"));
    page.note(&format!(
        "Per column of the design matrix (after imputing, encoding and scaling). {}",
        meaning.how
    ));
    page.charts(&[svg::hbar(&title, &meaning.name, &bars)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_of_a_perfect_and_a_useless_ranking() {
        let perfect = [(0.9, true), (0.8, true), (0.2, false), (0.1, false)];
        let (points, auc) = roc_curve(&perfect).unwrap();
        assert_eq!(auc, 1.0);
        assert_eq!(points.first(), Some(&(0.0, 0.0)));
        assert_eq!(points.last(), Some(&(1.0, 1.0)));
        let ties = [(0.5, true), (0.5, false), (0.5, true), (0.5, false)];
        assert_eq!(roc_curve(&ties).unwrap().1, 0.5);
        assert!(roc_curve(&[(0.3, true)]).is_none());
    }

    #[test]
    fn a_report_that_cannot_be_written_is_only_a_warning() {
        let nowhere = Path::new("/nonexistent/kiln/run");
        let empty = Dataset {
            features: Vec::new(),
            target: None,
            fold_ids: None,
            groups: None,
            file_rows: 0,
            file_columns: 0,
            dropped_missing_target: 0,
            dropped_missing_features: 0,
            warnings: Vec::new(),
        };
        write_after_run(nowhere, &empty, None);
        assert!(!nowhere.join("report.html").exists());
    }

    #[test]
    fn sampling_keeps_at_most_the_asked_number() {
        assert_eq!(sample(10, 3).collect::<Vec<_>>(), [0, 4, 8]);
        assert_eq!(sample(3, 10).count(), 3);
    }
}
