//! `kiln run`: one pipeline from file to run directory. Load and check the pipeline, read the data,
//! hold out the test rows, cross-validate every candidate in parallel, refit the best on all training
//! rows, score it on the holdout, and write the run directory.

use crate::artifact::{Artifact, DriftReference, InputColumn, FORMAT, VERSION};
use crate::config::{self, LoadedPipeline, Override, Pipeline};
use crate::data::{self, ColumnData, Dataset, TargetData};
use crate::error::{KilnError, Result};
use crate::metrics::Metric;
use crate::models::{FitCache, Task};
use crate::preprocess::FittedPreprocessor;
use crate::rng::{rng_for, Purpose};
use crate::runlog::writer::{self, RunLock};
use crate::runlog::{BestSummary, DataSummary, ExpectResult, RunDir, Summary};
use crate::search::{self, progress::Progress, FitRecord, FoldData, SearchPlan, Split, Trial};
use crate::table::Table;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
#[allow(unused_imports)]
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Set by SIGINT/SIGTERM: the search stops scheduling fits and the run is written as interrupted.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub overrides: Vec<Override>,
    /// Overrides `[output] dir`.
    pub out: Option<PathBuf>,
    /// Threads for the search (the command line resolves `--jobs`, else every core).
    pub threads: usize,
    pub dry_run: bool,
    pub quiet: bool,
    /// The command line, for provenance.
    pub command: Vec<String>,
    /// `--shard I/N`.
    pub shard: Option<Shard>,
    /// `--resume RUN_DIR`.
    pub resume: Option<PathBuf>,
    /// `--memory-budget`, in bytes (None: `KILN_MEMORY_BUDGET` or the default).
    pub memory_budget: Option<u64>,
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
    prepare_loaded(config::load(path, overrides)?)
}

/// As `prepare`, from a pipeline's text (a run directory's pipeline.toml); relative paths in it
/// resolve against `path`, the pipeline file it came from.
pub fn prepare_text(path: &Path, text: String, overrides: &[Override]) -> Result<Prepared> {
    prepare_loaded(config::load_str(path, text, overrides)?)
}

fn prepare_loaded(loaded: LoadedPipeline) -> Result<Prepared> {
    let base = loaded.base().clone();
    let dataset = data::load(&base, Some(&loaded.source))?;
    let data_hash = data::file_hash(&base.data_path)?;
    let positive = positive_class(&base, &dataset, &loaded)?;
    let (train_rows, test_rows) = search::holdout(&base, &dataset);
    let (splits, mut warnings) = search::cv_splits(&base, &dataset, &train_rows)?;
    let mut all = dataset.warnings.clone();
    all.append(&mut warnings);
    all.extend(crate::report::profile::id_warnings(&dataset.features));
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

/// `--shard I/N`: this process runs the candidates whose index mod N is I - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            KilnError::Config(format!(
                "--shard {text}: expected I/N with 1 <= I <= N, as --shard 2/4"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    pub fn owns(&self, candidate: usize) -> bool {
        candidate % self.count == self.index - 1
    }
}

/// Runs one pipeline file: a fresh run, a shard of one, or the rest of an interrupted one.
pub fn run_pipeline(path: &Path, opts: &RunOptions) -> Result<RunOutcome> {
    let started = Instant::now();
    let prepared = prepare(path, &opts.overrides)?;
    let base = prepared.base().clone();
    // Refused before any design matrix is built, and before a run directory is made.
    crate::budget::check_run(&prepared, opts.memory_budget, opts.threads)?;
    if opts.dry_run {
        let mut plan = prepared.plan_text();
        if let Some(s) = opts.shard {
            let mine = prepared
                .loaded
                .candidates
                .iter()
                .filter(|c| s.owns(c.index))
                .count();
            plan.push_str(&format!(
                "shard {}/{}: {mine} of the candidates\n",
                s.index, s.count
            ));
        }
        crate::output::emit(&plan);
        return Ok(RunOutcome {
            pipeline: base.name,
            dir: None,
            summary: None,
            expect_failed: false,
        });
    }
    let (mut run, previous, done_fits, shard) = match &opts.resume {
        Some(dir) => {
            let resumed = open_for_resume(dir, &prepared)?;
            if opts.shard.is_some() && opts.shard != resumed.shard {
                return Err(KilnError::Config(format!(
                    "--resume {}: that run is {}, not the --shard given",
                    dir.display(),
                    resumed.shard.map_or("not a shard".to_string(), |s| format!(
                        "shard {}/{}",
                        s.index, s.count
                    ))
                )));
            }
            (resumed.run, resumed.trials, resumed.fits, resumed.shard)
        }
        None => {
            let output = opts.out.clone().unwrap_or_else(|| base.output_dir.clone());
            // A shard's run id says which shard it is: 20261124T143501Z-3f9a2c-shard2of4.
            let suffix = opts
                .shard
                .map(|s| format!("-shard{}of{}", s.index, s.count))
                .unwrap_or_default();
            let run = RunDir::create(
                &output,
                &base.name,
                &prepared.loaded.document_text(),
                &suffix,
            )?;
            (run, Vec::new(), Vec::new(), opts.shard)
        }
    };
    let threads = opts.threads.max(1);
    let mut summary = initial_summary(&prepared, &run, opts, threads, shard, path);
    // Written at once, so even a killed run records what it was and which data it read. A new run
    // without it could not be resumed: it is removed.
    if let Err(e) = run.write_json("summary.json", &summary) {
        if opts.resume.is_none() {
            run.discard();
        }
        return Err(e);
    }
    if !opts.quiet {
        for w in &prepared.warnings {
            crate::say!("warning: {w}");
        }
    }
    let done: std::collections::BTreeSet<usize> = previous.iter().map(|t| t.candidate).collect();
    let todo: Vec<config::Candidate> = prepared
        .loaded
        .candidates
        .iter()
        .filter(|c| shard.is_none_or(|s| s.owns(c.index)) && !done.contains(&c.index))
        .cloned()
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| KilnError::Config(format!("cannot start {threads} threads: {e}")))?;
    let ds = &prepared.dataset;
    let fold_data: Vec<FoldData> = prepared
        .splits
        .iter()
        .map(|s| FoldData::new(ds.target.as_ref(), s, prepared.positive))
        .collect();
    let plan = SearchPlan {
        candidates: &todo,
        dataset: ds,
        splits: &prepared.splits,
        fold_data: &fold_data,
        metrics: &base.metrics,
        seed: base.seed,
        on_error: base.on_error,
        interrupt: &INTERRUPTED,
        done_fits: &done_fits,
    };
    let mut progress = Progress::new(plan.fits_to_run(), opts.quiet);
    let outcome = pool.install(|| search::search(&plan, &mut progress, &mut run));
    let mut trials = previous;
    trials.extend(outcome.trials);
    trials.sort_by_key(|t| t.candidate);
    summary.candidates_failed = trials.iter().filter(|t| !t.is_ok()).count();
    let closing = Closing {
        data: &prepared.dataset,
        trials: &trials,
        started,
    };
    if let Some(e) = outcome.write_error {
        return Err(closing.write_failed(&run, &mut summary, e));
    }
    if outcome.interrupted {
        closing.close(&mut run, &mut summary, "interrupted")?;
        return Err(KilnError::Interrupted);
    }
    if let Some((c, error)) = outcome.first_failure {
        let params = candidate_params(&prepared.loaded.candidates[c]);
        let msg = format!(
            "candidate {c} ({}) failed and search.on_error = \"fail\": {error}",
            search::trial::params_text(&params)
        );
        return closing.fail(&mut run, &mut summary, msg);
    }
    finish_run(&prepared, &mut run, summary, &trials, opts.quiet, started)
}

fn candidate_params(c: &config::Candidate) -> serde_json::Map<String, serde_json::Value> {
    c.params
        .iter()
        .map(|(k, v)| (k.clone(), search::trial::toml_to_json(v)))
        .collect()
}

/// A run reopened by `--resume`, locked by this process.
struct Resumed {
    run: RunDir,
    /// The candidates finished before (trials.jsonl).
    trials: Vec<Trial>,
    /// The fits finished before (fits.jsonl): the unfinished candidates go on from them.
    fits: Vec<FitRecord>,
    shard: Option<Shard>,
}

/// Reopens an interrupted (or killed) run: the pipeline as run and the data must be the same, and
/// no other process may be writing it.
fn open_for_resume(dir: &Path, prepared: &Prepared) -> Result<Resumed> {
    let shown = dir.display();
    let as_run = std::fs::read_to_string(dir.join("pipeline.toml")).map_err(|e| {
        KilnError::Config(format!(
            "--resume {shown}: not a run directory (pipeline.toml: {e})"
        ))
    })?;
    // Before anything is read: the logs of a run still going are not ours to rewrite.
    let lock = RunLock::acquire(dir).map_err(|e| match e {
        KilnError::Config(m) => KilnError::Config(format!("--resume: {m}")),
        other => other,
    })?;
    if as_run != prepared.loaded.document_text() {
        return Err(KilnError::Config(format!(
            "--resume {shown}: the pipeline differs from the one that run used (compare {shown}/pipeline.toml); \
             resume with the same pipeline and --set overrides"
        )));
    }
    let summary: Summary = serde_json::from_str(
        &std::fs::read_to_string(dir.join("summary.json"))
            .map_err(|e| KilnError::Config(format!("--resume {shown}: summary.json: {e}")))?,
    )
    .map_err(|e| KilnError::Config(format!("--resume {shown}: summary.json is damaged: {e}")))?;
    if summary.data.hash != prepared.data_hash {
        return Err(KilnError::Config(format!(
            "--resume {shown}: the data changed since that run (hash {} then, {} now)",
            summary.data.hash, prepared.data_hash
        )));
    }
    // A missing log (killed before the first line, or a run of an older kiln without fits.jsonl)
    // is an empty one; a damaged one is an error, not a reason to start over and overwrite it.
    let read_log = |name: &str| dir.join(name).exists().then(|| dir.join(name));
    let trials = match read_log("trials.jsonl") {
        Some(log) => writer::read_trials(&log)?,
        None => Vec::new(),
    };
    let fits = match read_log("fits.jsonl") {
        Some(log) => writer::read_fits(&log)?,
        None => Vec::new(),
    };
    // A torn last line is dropped on read; rewrite the logs so new lines follow whole ones.
    writer::write_lines(&dir.join("trials.jsonl"), &trials)?;
    if read_log("fits.jsonl").is_some() {
        writer::write_lines(&dir.join("fits.jsonl"), &fits)?;
    }
    Ok(Resumed {
        run: RunDir::open(dir.to_path_buf(), lock)?,
        trials,
        fits,
        shard: summary.shard,
    })
}

pub(crate) fn initial_summary(
    prepared: &Prepared,
    run: &RunDir,
    opts: &RunOptions,
    threads: usize,
    shard: Option<Shard>,
    pipeline_file: &Path,
) -> Summary {
    let base = prepared.base();
    let ds = &prepared.dataset;
    Summary {
        status: "running".into(),
        pipeline: base.name.clone(),
        pipeline_file: pipeline_file.display().to_string(),
        run_id: run
            .path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        kiln_version: env!("CARGO_PKG_VERSION").into(),
        command: opts.command.clone(),
        started_at: writer::utc_iso(writer::now_secs()),
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
        candidates_failed: 0,
        folds: prepared.splits.len(),
        metric: base.metric.name().into(),
        greater_is_better: base.metric.greater_is_better(),
        shard,
        merged_from: Vec::new(),
        best: None,
        test: BTreeMap::new(),
        expect: Vec::new(),
        warnings: prepared.warnings.clone(),
        error: None,
    }
}

/// What closing a run needs besides its summary.
struct Closing<'a> {
    data: &'a Dataset,
    /// Every trial of the run, in candidate order.
    trials: &'a [Trial],
    started: Instant,
}

impl Closing<'_> {
    /// Ends a run on disk, whatever its outcome ("complete", "failed", "interrupted"): trials.jsonl
    /// in candidate order, report.html, then summary.json with the status and times. The status is
    /// written last, so a run that says it is complete has its report. Then the lock is released.
    fn close(&self, run: &mut RunDir, summary: &mut Summary, status: &str) -> Result<()> {
        self.stamp(summary, status);
        let written = run.rewrite_trials(self.trials).and_then(|_| {
            crate::report::write_after_run(&run.path, self.data, Some(summary));
            run.write_json("summary.json", summary)
        });
        if let Err(e) = written {
            return Err(self.write_failed(run, summary, e));
        }
        run.release();
        Ok(())
    }

    fn stamp(&self, summary: &mut Summary, status: &str) {
        summary.status = status.into();
        summary.finished_at = writer::utc_iso(writer::now_secs());
        summary.duration_seconds = self.started.elapsed().as_secs_f64();
    }

    /// A run that cannot produce a model: summary.json says why, no model.json is written, exit 2.
    /// The report still shows what finished (the failed candidates' errors among them).
    fn fail(&self, run: &mut RunDir, summary: &mut Summary, message: String) -> Result<RunOutcome> {
        summary.error = Some(message.clone());
        self.close(run, summary, "failed")?;
        Err(KilnError::AllCandidatesFailed(format!(
            "{message}\nrun directory: {}",
            run.path.display()
        )))
    }

    /// A write failed (a full disk): the run stops there. Its summary says so if it can still be
    /// written; what is logged stays, for `--resume` once there is room. Returns the error.
    fn write_failed(&self, run: &RunDir, summary: &mut Summary, e: KilnError) -> KilnError {
        self.stamp(summary, "failed");
        let message = format!(
            "{e}; the run stopped at this failed write and keeps what it logged: make room and \
             complete it with `kiln run {} --resume {}`",
            summary.pipeline_file,
            run.path.display()
        );
        summary.error = Some(message.clone());
        let _ = run.write_json("summary.json", summary);
        run.release();
        KilnError::Data(message)
    }
}

/// Picks the best trial, refits it on all training rows (not for a shard: `kiln merge` does that),
/// checks the expectations, writes model.json and summary.json, and prints the leaderboard.
pub fn finish_run(
    prepared: &Prepared,
    run: &mut RunDir,
    mut summary: Summary,
    trials: &[Trial],
    quiet: bool,
    started: Instant,
) -> Result<RunOutcome> {
    let base = prepared.base();
    let closing = Closing {
        data: &prepared.dataset,
        trials,
        started,
    };
    summary.candidates_failed = trials.iter().filter(|t| !t.is_ok()).count();
    let Some(best) = best_trial(trials, base.metric) else {
        let mut msg = format!("every candidate failed ({}):", trials.len());
        for t in trials {
            msg.push_str(&format!(
                "\n  candidate {} ({}): {}",
                t.candidate,
                t.params_text(),
                t.error.as_deref().unwrap_or("")
            ));
        }
        return closing.fail(run, &mut summary, msg);
    };
    summary.best = Some(BestSummary {
        candidate: best.candidate,
        params: best.params.clone(),
        mean: best.mean.clone(),
        std: best.std.clone(),
    });
    let mut expect_failed = false;
    if summary.shard.is_none() {
        let cand = &prepared.loaded.candidates[best.candidate];
        let artifact = match refit(prepared, cand, best) {
            Ok(a) => a,
            Err(e) => {
                let msg = format!("refitting the best candidate {}: {e}", best.candidate);
                return closing.fail(run, &mut summary, msg);
            }
        };
        summary.test = artifact.test.clone();
        summary.expect = check_expectations(base, best, &artifact.test);
        expect_failed = summary.expect.iter().any(|e| !e.passed);
        let model =
            writer::atomic_write(&run.path.join("model.json"), artifact.to_json().as_bytes());
        if let Err(e) = model {
            return Err(closing.write_failed(run, &mut summary, e));
        }
    }
    closing.close(run, &mut summary, "complete")?;
    if !quiet {
        crate::output::emit(&leaderboard(trials, base, &summary));
    } else if expect_failed {
        // --quiet: of the report, only what failed (issue 14, item 16).
        crate::output::emit(&expectation_lines(&summary, true));
    }
    crate::output::emit(&format!("run directory: {}\n", run.path.display()));
    Ok(RunOutcome {
        pipeline: base.name.clone(),
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
    let x = pre.transform_design(&ds.features, Some(rows))?;
    let all = Split {
        fold: -1,
        train: rows.clone(),
        valid: prepared.test_rows.clone(),
    };
    let fd = FoldData::new(ds.target.as_ref(), &all, prepared.positive);
    let mut rng = rng_for(p.seed, Purpose::Refit, &[cand.index as u64]);
    let fit = p.model.fit_shared(
        &x,
        fd.train_targets(),
        &mut rng,
        p.seed,
        &FitCache::default(),
    )?;
    drop(x);
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
    s.push_str(&expectation_lines(summary, false));
    s
}

/// One line per `[expect]` check (`only_failed`: the failed ones), as the leaderboard ends.
fn expectation_lines(summary: &Summary, only_failed: bool) -> String {
    let mut s = String::new();
    for e in summary.expect.iter().filter(|e| !(only_failed && e.passed)) {
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
