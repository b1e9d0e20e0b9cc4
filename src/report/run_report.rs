//! report.html in a run directory: the leaderboard, a halving search's score against resource, the cross-validation score against each grid
//! parameter with its spread over folds, the best model's predictions (predicted against actual and
//! residuals; confusion matrix and ROC curves; cluster sizes), its coefficients or importances, a
//! boosting model's validation loss per iteration when it stopped early, and the pipeline as run.
//!
//! Everything comes from the run directory's files, plus the data for the predictions: the best
//! model (model.json) predicts the same holdout rows the run scored (the split is recomputed from the
//! pipeline's seed), or every training row when there was no holdout.

mod curves;
mod cv;
mod elbow;
mod halving;
mod loss_curve;
mod permutation;
mod predictions;
mod weights;

use super::html::{Cell, Page};
use crate::artifact::Artifact;
use crate::config::{self, Pipeline};
use crate::data::number_text::num;
use crate::data::Dataset;
use crate::error::{KilnError, Result};
use crate::runlog::{RunDir, Summary, SummaryError};
use crate::search::{self, Trial};
pub use curves::roc_curve;
use cv::{cv_section, leaderboard_section};
use halving::halving_section;
use predictions::model_section;
use std::path::{Path, PathBuf};

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
    crate::util::atomic::atomic_write(&path, html.as_bytes())?;
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
    let run = RunDir::at(run_dir);
    let toml_path = run_dir.join("pipeline.toml");
    let pipeline_text = run.pipeline_text().map_err(|e| {
        KilnError::Data(format!(
            "{} is not a run directory: cannot read pipeline.toml: {e}",
            run_dir.display()
        ))
    })?;
    let pipeline = config::load_str(&toml_path, pipeline_text.clone(), &[])
        .map(|l| l.base().clone())
        .map_err(|e| e.to_string());
    let summary = match run.summary() {
        Ok(s) => Some(s),
        Err(SummaryError::Unreadable(_)) => None,
        Err(SummaryError::Damaged(e)) => {
            return Err(KilnError::Data(format!(
                "{}: not a kiln summary: {e}",
                run_dir.join("summary.json").display()
            )))
        }
    };
    let artifact = match run.model() {
        Some(model) => model.map_err(|e| e.to_string()),
        None => Err("the run wrote no model.json".into()),
    };
    Ok(RunFiles {
        dir: run_dir.to_path_buf(),
        pipeline_text,
        pipeline,
        summary,
        trials: run.trials()?,
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
        let ok = trials.iter().filter(|t| t.is_ok());
        crate::runlog::ranking::ranked(ok, &self.metric, self.greater_is_better)
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
    halving_section(&mut page, &files, &ranking);
    cv_section(&mut page, &files, &ranking, &ranked);
    elbow::elbow_section(&mut page, &files);
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
                let bound = e.bound_text();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_that_cannot_be_written_is_only_a_warning() {
        let nowhere = Path::new("/nonexistent/kiln/run");
        let empty = Dataset {
            features: Vec::new(),
            target: None,
            fold_ids: None,
            groups: None,
            time_ranks: None,
            weights: None,
            file_rows: 0,
            file_columns: 0,
            dropped_missing_target: 0,
            dropped_missing_features: 0,
            warnings: Vec::new(),
            content_hash: String::new(),
        };
        write_after_run(nowhere, &empty, None);
        assert!(!nowhere.join("report.html").exists());
    }
}
