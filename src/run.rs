//! `kiln run`: one pipeline from file to run directory. Load and check the pipeline, read the data,
//! hold out the test rows, cross-validate every candidate in parallel, refit the best on all training
//! rows, score it on the holdout, and write the run directory.

use crate::artifact::{Artifact, DriftReference, InputColumn, FORMAT, VERSION};
use crate::config::{self, LoadedPipeline, Override, Pipeline};
use crate::data::{self, ColumnData, Dataset, TargetData};
use crate::error::{KilnError, Result};
use crate::metrics::Metric;
use crate::models::Task;
use crate::preprocess::FittedPreprocessor;
use crate::rng::{rng_for, Purpose};
use crate::runlog::{writer, BestSummary, DataSummary, ExpectResult, RunDir, Summary};
use crate::search::{self, progress::Progress, FoldData, SearchPlan, Split, Trial};
use crate::table::Table;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Set by SIGINT/SIGTERM: the search stops scheduling fits and the run is written as interrupted.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub overrides: Vec<Override>,
    /// Overrides `[output] dir`.
    pub out: Option<PathBuf>,
    /// Threads; None: every core.
    pub jobs: Option<usize>,
    pub dry_run: bool,
    pub quiet: bool,
    /// The command line, for provenance.
    pub command: Vec<String>,
}

/// What a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub pipeline: String,
    pub dir: Option<PathBuf>,
    pub summary: Option<Summary>,
    /// Some `[expect]` check failed (exit 1).
    pub expect_failed: bool,
}

/// Everything prepared before any fit: the checked pipeline, the data and its splits.
pub struct Prepared {
    pub loaded: LoadedPipeline,
    pub dataset: Dataset,
    pub data_hash: String,
    pub train_rows: Vec<usize>,
    pub test_rows: Vec<usize>,
    pub splits: Vec<Split>,
    pub positive: usize,
    pub warnings: Vec<String>,
}

impl Prepared {
    pub fn base(&self) -> &Pipeline {
        self.loaded.base()
    }

    /// The plan, as `kiln validate` and `--dry-run` print it.
    pub fn plan_text(&self) -> String {
        let b = self.base();
        let ds = &self.dataset;
        let numeric = ds
            .features
            .iter()
            .filter(|c| matches!(c.data, ColumnData::Numeric(_)))
            .count();
        let fits = self.loaded.candidates.len() * self.splits.len();
        let mut s = format!(
            "pipeline {}: {} ({} model), metric {}\n\
             data: {} ({} rows x {} columns; {} rows used, {} features: {} numeric, {} categorical)\n",
            b.name,
            b.task.name(),
            b.model.name(),
            b.metric.name(),
            b.data_path.display(),
            ds.file_rows,
            ds.file_columns,
            ds.n_rows(),
            ds.features.len(),
            numeric,
            ds.features.len() - numeric,
        );
        if !self.test_rows.is_empty() {
            s.push_str(&format!(
                "holdout: {} test rows, {} training rows\n",
                self.test_rows.len(),
                self.train_rows.len()
            ));
        }
        s.push_str(&format!(
            "plan: {} candidates x {} folds = {} fits, then 1 refit\n",
            self.loaded.candidates.len(),
            self.splits.len(),
            fits
        ));
        for c in &self.loaded.candidates {
            let params: serde_json::Map<_, _> = c
                .params
                .iter()
                .map(|(k, v)| (k.clone(), search::trial::toml_to_json(v)))
                .collect();
            s.push_str(&format!(
                "  candidate {}: {} {}\n",
                c.index,
                c.pipeline.model.name(),
                search::trial::params_text(&params)
            ));
        }
        for w in &self.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s
    }
}

/// Loads and checks everything a run needs, without fitting anything.
pub fn prepare(path: &Path, overrides: &[Override]) -> Result<Prepared> {
    let loaded = config::load(path, overrides)?;
    let base = loaded.base().clone();
    let dataset = data::load(&base, Some(&loaded.source))?;
    let data_hash = data::file_hash(&base.data_path)?;
    let positive = positive_class(&base, &dataset, &loaded)?;
    let (train_rows, test_rows) = search::holdout(&base, &dataset);
    let (splits, mut warnings) = search::cv_splits(&base, &dataset, &train_rows)?;
    let mut all = dataset.warnings.clone();
    all.append(&mut warnings);
    Ok(Prepared {
        loaded,
        dataset,
        data_hash,
        train_rows,
        test_rows,
        splits,
        positive,
        warnings: all,
    })
}

/// The index of the class that binary metrics score: `data.positive_class`, or the greater label.
fn positive_class(p: &Pipeline, ds: &Dataset, loaded: &LoadedPipeline) -> Result<usize> {
    let Some(TargetData::Classes { classes, .. }) = &ds.target else {
        return Ok(0);
    };
    match &p.data.positive_class {
        None => Ok(classes.len() - 1),
        Some(label) => {
            let text = label.as_text();
            classes.iter().position(|c| *c == text).ok_or_else(|| {
                KilnError::Config(loaded.source.error_at(
                    &["data".into(), "positive_class".into()],
                    &format!(
                        "positive_class \"{text}\" is not a class of `{}`; its classes: {}",
                        p.data.target.as_deref().unwrap_or(""),
                        classes.join(", ")
                    ),
                ))
            })
        }
    }
}

/// Runs one pipeline file.
pub fn run_pipeline(path: &Path, opts: &RunOptions) -> Result<RunOutcome> {
    let started = Instant::now();
    let started_at = writer::now_secs();
    let prepared = prepare(path, &opts.overrides)?;
    let base = prepared.base().clone();
    if opts.dry_run {
        crate::output::emit(&prepared.plan_text());
        return Ok(RunOutcome {
            pipeline: base.name,
            dir: None,
            summary: None,
            expect_failed: false,
        });
    }
    let threads = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| KilnError::Config(format!("cannot start {threads} threads: {e}")))?;
    let output = opts.out.clone().unwrap_or_else(|| base.output_dir.clone());
    let mut run = RunDir::create(&output, &base.name, &prepared.loaded.document_text())?;
    let run_id = run
        .path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !opts.quiet {
        for w in &prepared.warnings {
            eprintln!("warning: {w}");
        }
    }

    let ds = &prepared.dataset;
    let fold_data: Vec<FoldData> = prepared
        .splits
        .iter()
        .map(|s| FoldData::new(ds.target.as_ref(), s, prepared.positive))
        .collect();
    let plan = SearchPlan {
        candidates: &prepared.loaded.candidates,
        dataset: ds,
        splits: &prepared.splits,
        fold_data: &fold_data,
        metrics: &base.metrics,
        seed: base.seed,
        on_error: base.on_error,
        interrupt: &INTERRUPTED,
    };
    let mut progress = Progress::new(
        prepared.loaded.candidates.len() * prepared.splits.len(),
        opts.quiet,
    );
    let mut write_error = None;
    let outcome = pool.install(|| {
        search::search(&plan, &mut progress, |t| {
            if let Err(e) = run.append_trial(t) {
                write_error.get_or_insert(e);
            }
        })
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    let trials = outcome.trials;
    let failed: Vec<&Trial> = trials.iter().filter(|t| !t.is_ok()).collect();
    let best = best_trial(&trials, base.metric);

    let mut summary = Summary {
        status: "complete".into(),
        pipeline: base.name.clone(),
        run_id,
        kiln_version: env!("CARGO_PKG_VERSION").into(),
        command: opts.command.clone(),
        started_at: writer::utc_iso(started_at),
        finished_at: String::new(),
        duration_seconds: 0.0,
        data: DataSummary {
            path: base.data_path.display().to_string(),
            hash: prepared.data_hash.clone(),
            rows: ds.file_rows,
            columns: ds.file_columns,
            rows_used: ds.n_rows(),
            dropped_missing_target: ds.dropped_missing_target,
            dropped_missing_features: ds.dropped_missing_features,
            train_rows: prepared.train_rows.len(),
            test_rows: prepared.test_rows.len(),
        },
        task: base.task.name().into(),
        seed: base.seed,
        threads,
        candidates: prepared.loaded.candidates.len(),
        candidates_failed: failed.len(),
        folds: prepared.splits.len(),
        metric: base.metric.name().into(),
        greater_is_better: base.metric.greater_is_better(),
        best: best.map(|t| BestSummary {
            candidate: t.candidate,
            params: t.params.clone(),
            mean: t.mean.clone(),
            std: t.std.clone(),
        }),
        test: BTreeMap::new(),
        expect: Vec::new(),
        warnings: prepared.warnings.clone(),
        error: None,
    };
    let finish = |summary: &mut Summary| {
        summary.finished_at = writer::utc_iso(writer::now_secs());
        summary.duration_seconds = started.elapsed().as_secs_f64();
    };

    if outcome.interrupted {
        summary.status = "interrupted".into();
        finish(&mut summary);
        run.write_json("summary.json", &summary)?;
        return Err(KilnError::Interrupted);
    }
    let stop_error = |summary: &mut Summary, message: String| -> Result<RunOutcome> {
        summary.status = "failed".into();
        summary.error = Some(message.clone());
        finish(summary);
        run.write_json("summary.json", summary)?;
        Err(KilnError::AllCandidatesFailed(format!(
            "{message}\nrun directory: {}",
            run.path.display()
        )))
    };
    if let Some((c, error)) = outcome.first_failure {
        let params: serde_json::Map<_, _> = prepared.loaded.candidates[c]
            .params
            .iter()
            .map(|(k, v)| (k.clone(), search::trial::toml_to_json(v)))
            .collect();
        let msg = format!(
            "candidate {c} ({}) failed and search.on_error = \"fail\": {error}",
            search::trial::params_text(&params)
        );
        return stop_error(&mut summary, msg);
    }
    let Some(best) = best else {
        let mut msg = format!("every candidate failed ({}):", trials.len());
        for t in &trials {
            msg.push_str(&format!(
                "\n  candidate {} ({}): {}",
                t.candidate,
                t.params_text(),
                t.error.as_deref().unwrap_or("")
            ));
        }
        return stop_error(&mut summary, msg);
    };

    // Refit the best candidate on every training row; score it on the holdout.
    let cand = &prepared.loaded.candidates[best.candidate];
    let artifact = match refit(&prepared, cand, best) {
        Ok(a) => a,
        Err(e) => {
            return stop_error(
                &mut summary,
                format!("refitting the best candidate {}: {e}", best.candidate),
            )
        }
    };
    summary.test = artifact.test.clone();
    summary.expect = check_expectations(&base, best, &artifact.test);
    let expect_failed = summary.expect.iter().any(|e| !e.passed);
    writer::atomic_write(&run.path.join("model.json"), artifact.to_json().as_bytes())?;
    finish(&mut summary);
    run.write_json("summary.json", &summary)?;
    if !opts.quiet || expect_failed {
        crate::output::emit(&leaderboard(&trials, &base, &summary));
    }
    crate::output::emit(&format!("run directory: {}\n", run.path.display()));
    Ok(RunOutcome {
        pipeline: base.name,
        dir: Some(run.path.clone()),
        summary: Some(summary),
        expect_failed,
    })
}

/// The best successful trial: best mean of the metric, the lower candidate index on ties.
pub fn best_trial(trials: &[Trial], metric: Metric) -> Option<&Trial> {
    let mut best: Option<&Trial> = None;
    for t in trials.iter().filter(|t| t.is_ok()) {
        let Some(v) = t.mean.get(metric.name()) else {
            continue;
        };
        if best.is_none_or(|b| metric.better(*v, b.mean[metric.name()])) {
            best = Some(t);
        }
    }
    best
}

/// Fits the candidate's preprocessing and model on every training row, and scores the holdout.
fn refit(
    prepared: &Prepared,
    cand: &config::Candidate,
    best: &Trial,
) -> std::result::Result<Artifact, String> {
    let p = &cand.pipeline;
    let ds = &prepared.dataset;
    let rows = &prepared.train_rows;
    let pre = FittedPreprocessor::fit(&ds.features, rows, &p.impute, &p.encode, &p.scale);
    let x = pre.transform(&ds.features, Some(rows))?;
    let all = Split {
        fold: -1,
        train: rows.clone(),
        valid: prepared.test_rows.clone(),
    };
    let fd = FoldData::new(ds.target.as_ref(), &all, prepared.positive);
    let mut rng = rng_for(p.seed, Purpose::Refit, &[cand.index as u64]);
    let fit = p.model.fit(&x, fd.train_targets(), &mut rng, p.seed)?;
    let mut test = BTreeMap::new();
    if !prepared.test_rows.is_empty() {
        let xt = pre.transform(&ds.features, Some(&prepared.test_rows))?;
        let out = fit.model.predict(&xt);
        for m in &p.metrics {
            test.insert(m.name().to_string(), m.score(fd.valid_truth(&xt), &out)?);
        }
    }
    let classes = match &ds.target {
        Some(TargetData::Classes { classes, .. }) => classes.clone(),
        _ => Vec::new(),
    };
    let positive_class = (p.task == Task::Classification && classes.len() == 2)
        .then(|| classes[prepared.positive].clone());
    Ok(Artifact {
        format: FORMAT.into(),
        version: VERSION,
        kiln_version: env!("CARGO_PKG_VERSION").into(),
        pipeline: p.name.clone(),
        task: p.task,
        created_at: writer::utc_iso(writer::now_secs()),
        target: p.data.target.clone(),
        classes,
        positive_class,
        inputs: ds
            .features
            .iter()
            .map(|c| InputColumn {
                name: c.name.clone(),
                kind: c.kind(),
                categories: match &c.data {
                    ColumnData::Categorical { dictionary, .. } => dictionary.clone(),
                    ColumnData::Numeric(_) => Vec::new(),
                },
            })
            .collect(),
        preprocessor: pre,
        model: fit.model,
        params: best.params.clone(),
        metric: p.metric.name().into(),
        cv: best.mean.clone(),
        test,
        data_hash: prepared.data_hash.clone(),
        training_rows: rows.len(),
        drift: ds
            .features
            .iter()
            .map(|c| DriftReference::fit(c, rows))
            .collect(),
    })
}

fn check_expectations(
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

/// The leaderboard printed at the end of a run: candidates ranked by the metric.
pub fn leaderboard(trials: &[Trial], p: &Pipeline, summary: &Summary) -> String {
    let metric = p.metric;
    let mut ranked: Vec<&Trial> = trials.iter().filter(|t| t.is_ok()).collect();
    ranked.sort_by(|a, b| {
        let (x, y) = (a.mean[metric.name()], b.mean[metric.name()]);
        let ord = if metric.greater_is_better() {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        };
        ord.then(a.candidate.cmp(&b.candidate))
    });
    let others: Vec<&Metric> = p.metrics.iter().skip(1).collect();
    let mut header = vec!["rank", "candidate", "params"];
    let metric_head = format!("{} (mean ± std)", metric.name());
    header.push(&metric_head);
    let other_names: Vec<String> = others.iter().map(|m| m.name().to_string()).collect();
    header.extend(other_names.iter().map(String::as_str));
    let mut table = Table::new(&header);
    for (rank, t) in ranked.iter().enumerate() {
        let mut row = vec![
            (rank + 1).to_string(),
            t.candidate.to_string(),
            t.params_text(),
            format!("{:.6} ± {:.6}", t.mean[metric.name()], t.std[metric.name()]),
        ];
        row.extend(others.iter().map(|m| format!("{:.6}", t.mean[m.name()])));
        table.push(row);
    }
    let mut s = format!(
        "\n{} — {} candidates, {} folds\n",
        p.name,
        trials.len(),
        summary.folds
    );
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
    for e in &summary.expect {
        let bound = match (e.min, e.max) {
            (Some(a), Some(b)) => format!("in [{a}, {b}]"),
            (Some(a), None) => format!(">= {a}"),
            (None, Some(b)) => format!("<= {b}"),
            (None, None) => String::new(),
        };
        let value = e.value.map_or("missing".to_string(), |v| format!("{v:.6}"));
        s.push_str(&format!(
            "expect {} {bound}: {value} {}\n",
            e.key,
            if e.passed { "ok" } else { "FAILED" }
        ));
    }
    s
}
