//! Runs every (candidate, fold) fit on a rayon pool.
//!
//! Fits are scheduled candidate by candidate (every fold of a candidate before the next one), with
//! the candidates of one preprocessing together, and pulled one at a time by the workers. The
//! preprocessing of a (fold, preprocessing settings) pair is fitted once, by the first fit that needs
//! it, shared by every candidate with the same settings, and dropped when the last of them is done,
//! so the designs of one preprocessing's folds are in memory at once (and the next one's first folds
//! as it starts). Each fit is logged the moment it finishes (fits.jsonl, what a resume starts from);
//! results are collected by index, and trials are reported in schedule order, so the log does not
//! depend on the thread count.

use super::cut::{Cut, StopWhen};
pub use super::fold_data::FoldData;
use super::folds::Split;
use super::progress::Progress;
use super::trial::{toml_to_json, FitOutcome, FitRecord, FoldScore, Trial, TrialStatus};
use super::tuned;
use crate::config::{Candidate, OnError, Threshold};
use crate::data::{Column, Dataset};
use crate::design::Design;
use crate::matrix::Matrix;
use crate::metrics::Metric;
use crate::models::{FitCache, FittedModel, Output};
use crate::preprocess::FittedPreprocessor;
use crate::rng::{rng_for, Purpose};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// Everything a search needs.
pub struct SearchPlan<'a> {
    pub candidates: &'a [Candidate],
    pub dataset: &'a Dataset,
    pub splits: &'a [Split],
    /// The positive class of a binary target (see [`FoldData::new`]).
    pub positive: usize,
    pub metrics: &'a [Metric],
    pub seed: u64,
    pub on_error: OnError,
    /// Set by a signal handler: stop scheduling fits.
    pub interrupt: &'a AtomicBool,
    /// Fits already done (a resumed run's fits.jsonl): not run again; their logged results count
    /// as if they had just been computed.
    pub done_fits: &'a [FitRecord],
    /// search.stop_when: a finished candidate that meets it ends the search (see `cut`).
    pub stop_when: Option<StopWhen<'a>>,
    /// search.max_seconds: no candidate starts after this instant.
    pub deadline: Option<Instant>,
    /// A halving search's rung and its resource, written on every fit and trial of this search.
    pub rung: Option<(usize, u64)>,
}

impl SearchPlan<'_> {
    /// The fits this search will run: every (candidate, fold) not in `done_fits`.
    pub fn fits_to_run(&self) -> usize {
        let table = done_table(self);
        table.iter().flatten().filter(|d| d.is_none()).count()
    }
}

/// Where a search's results go as they come: every finished fit, then every finished candidate's
/// trial (in schedule order). An error stops the search at once: what finishes after it could not
/// be kept either.
pub trait SearchLog {
    fn fit_done(&mut self, fit: &FitRecord) -> crate::error::Result<()>;
    fn trial_done(&mut self, trial: &Trial) -> crate::error::Result<()>;
}

/// A fold's design matrices and targets, made once and shared (and, like the design, only while
/// the fold's fits run: at 10^7 rows each fold's targets are 80 MB).
struct FoldDesign {
    targets: FoldData,
    /// The preprocessing fitted on the fold's training rows: the training design is made from
    /// it a column at a time for the models that read it so (histogram boosting, whose bins are a
    /// tenth of the f64 design it would otherwise hold), and whole, once, for the others.
    pre: FittedPreprocessor,
    x_train: OnceLock<Result<Design, String>>,
    /// Made by the first fit to finish, so it is not held beside a fit's working memory while
    /// the fold's first fits run (at 10^7 rows a fold's validation design is 0.3 GB).
    x_valid: OnceLock<Result<Design, String>>,
    /// The dense form of x_valid, made once for the models that predict on it.
    x_valid_dense: OnceLock<Matrix>,
    /// XᵀX and Xᵀy, shared by the linear candidates of this (fold, preprocessing).
    cache: FitCache,
}

/// The design of one (preprocessing, fold): built by the first fit that needs it, dropped when the
/// last fit that needs it is done.
struct DesignSlot {
    cell: Mutex<Option<Arc<Result<FoldDesign, String>>>>,
    remaining: AtomicUsize,
}

/// What a search produced.
#[derive(Debug)]
pub struct SearchOutcome {
    /// The trials of the candidates that finished, in schedule order.
    pub trials: Vec<Trial>,
    /// The search stopped early because of `plan.interrupt`.
    pub interrupted: bool,
    /// With on_error = "fail": the first failed fit (candidate index, its message).
    pub first_failure: Option<(usize, String)>,
    /// The search stopped because the log could not be written.
    pub write_error: Option<crate::error::KilnError>,
    /// The candidate index that met search.stop_when first, in candidate order.
    pub stopped_at: Option<usize>,
    /// search.max_seconds passed before every candidate had started.
    pub timed_out: bool,
}

/// Runs the search. Each fit is passed to `log` as it finishes; each candidate's trial once the
/// candidate and every candidate scheduled before it are done, so the order of trials does not
/// depend on the thread count.
pub fn search<L: SearchLog + Send>(
    plan: &SearchPlan,
    progress: &mut Progress,
    log: &mut L,
) -> SearchOutcome {
    let search = Search::new(plan, progress, log);
    // Candidates whose every fit was done before (a resume) are reported before any fit runs.
    search.lock_reporter().report_ready(&search);
    on_every_thread(|| search.work());
    search.into_outcome()
}

/// Runs `work` once on every thread of the current pool. Not with `rayon::scope` and a `spawn` per
/// thread: a spawned worker loop not yet started can be taken by a thread that is waiting inside a
/// fit's own parallel loop, which then runs a second worker loop on top of the first; that one can
/// ask for the Gram matrix (or presort, or binning) the first is still computing further down the
/// same stack, and wait for it forever. A broadcast job runs only on the thread it was made for, so
/// a thread never holds two worker loops and only a fit's inner loop pieces move between threads.
fn on_every_thread(work: impl Fn() + Sync) {
    rayon::broadcast(|_| work());
}

/// The preprocessing group of each candidate: candidates with equal preprocessing share designs.
fn preprocessing_groups(candidates: &[Candidate]) -> Vec<usize> {
    let mut keys: Vec<String> = Vec::new();
    candidates
        .iter()
        .map(|c| {
            let k = c.pipeline.preprocessing_key();
            keys.iter().position(|x| *x == k).unwrap_or_else(|| {
                keys.push(k);
                keys.len() - 1
            })
        })
        .collect()
}

/// The order candidates run in: one preprocessing group after another (in order of first
/// appearance), candidates in grid order within a group, and every fold of a candidate before the
/// next candidate. A candidate finishes soon after it starts, so an interrupted run keeps whole
/// trials; and the designs of one group's folds are held at a time (with the next group's first
/// ones as it starts), where grid order, which often alternates the preprocessing, would hold every
/// group's.
fn schedule(group_of: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..group_of.len()).collect();
    order.sort_by_key(|&c| (group_of[c], c));
    order
}

/// The outcome of every (candidate position, fold position) already done before this search.
fn done_table(plan: &SearchPlan) -> Vec<Vec<Option<FitOutcome>>> {
    let mut table = vec![vec![None; plan.splits.len()]; plan.candidates.len()];
    let position: std::collections::HashMap<usize, usize> = plan
        .candidates
        .iter()
        .enumerate()
        .map(|(pos, c)| (c.index, pos))
        .collect();
    for fit in plan.done_fits {
        let c = position.get(&fit.candidate).copied();
        let f = plan.splits.iter().position(|s| s.fold == fit.fold);
        if let (Some(c), Some(f)) = (c, f) {
            table[c][f].get_or_insert_with(|| fit.outcome());
        }
    }
    table
}

/// The state the workers share.
struct Search<'a, 'p, L> {
    plan: &'a SearchPlan<'a>,
    /// Stops scheduling: an interrupt, a failure under on_error = "fail", or a failed write.
    stop: AtomicBool,
    first_failure: Mutex<Option<(usize, String)>>,
    group_of: Vec<usize>,
    slots: Vec<Vec<DesignSlot>>,
    /// (candidate position, fold position) of every fit to run, in schedule order.
    tasks: Vec<(usize, usize)>,
    next_task: AtomicUsize,
    /// Each candidate's fit outcomes, by fold position.
    outcomes: Vec<Mutex<Vec<Option<FitOutcome>>>>,
    folds_left: Vec<AtomicUsize>,
    cut: Cut<'a>,
    reporter: Mutex<Reporter<'p, L>>,
}

/// Passes results to the log and the progress display, in order, one thread at a time.
struct Reporter<'p, L> {
    /// Candidate positions in schedule order, and how many of them have been reported.
    order: Vec<usize>,
    reported: usize,
    /// Finished trials waiting for the candidates scheduled before them, by candidate position.
    ready: Vec<Option<Trial>>,
    trials: Vec<Trial>,
    /// The best score so far and its candidate index.
    best: Option<(f64, usize)>,
    log: &'p mut L,
    progress: &'p mut Progress,
    write_error: Option<crate::error::KilnError>,
}

impl<'a, 'p, L: SearchLog + Send> Search<'a, 'p, L> {
    fn new(plan: &'a SearchPlan<'a>, progress: &'p mut Progress, log: &'p mut L) -> Self {
        let n_folds = plan.splits.len();
        let group_of = preprocessing_groups(plan.candidates);
        let order = schedule(&group_of);
        let done = done_table(plan);
        let tasks: Vec<(usize, usize)> = order
            .iter()
            .flat_map(|&c| (0..n_folds).map(move |f| (c, f)))
            .filter(|&(c, f)| done[c][f].is_none())
            .collect();
        let n_groups = group_of.iter().max().map_or(0, |g| g + 1);
        let mut users = vec![vec![0; n_folds]; n_groups];
        for &(c, f) in &tasks {
            users[group_of[c]][f] += 1;
        }
        let slots = users
            .into_iter()
            .map(|fold_users| {
                fold_users
                    .into_iter()
                    .map(|n| DesignSlot {
                        cell: Mutex::new(None),
                        remaining: AtomicUsize::new(n),
                    })
                    .collect()
            })
            .collect();
        let folds_left = done
            .iter()
            .map(|d| AtomicUsize::new(d.iter().filter(|o| o.is_none()).count()))
            .collect();
        let cut = Cut::new(plan.candidates.len(), plan.stop_when, plan.deadline);
        let mut ready = vec![None; plan.candidates.len()];
        for (c, d) in done.iter().enumerate() {
            if d.iter().all(Option::is_some) {
                let trial = make_trial(plan, c, d.clone());
                cut.finished(c, &trial);
                ready[c] = Some(trial);
            }
        }
        let search = Search {
            plan,
            stop: AtomicBool::new(false),
            first_failure: Mutex::new(None),
            group_of,
            slots,
            tasks,
            next_task: AtomicUsize::new(0),
            outcomes: done.into_iter().map(Mutex::new).collect(),
            folds_left,
            cut,
            reporter: Mutex::new(Reporter {
                order,
                reported: 0,
                ready,
                trials: Vec::new(),
                best: None,
                log,
                progress,
                write_error: None,
            }),
        };
        search.note_logged_failures();
        search
    }

    /// Under on_error = "fail", a failed fit in the log of a resumed run fails it again, as the
    /// first run would have failed had it not been stopped.
    fn note_logged_failures(&self) {
        if self.plan.on_error != OnError::Fail {
            return;
        }
        let reporter = self.lock_reporter();
        for &c in &reporter.order {
            let outcomes = lock(&self.outcomes[c]);
            if let Some(f) = outcomes.iter().position(|o| matches!(o, Some(Err(_)))) {
                if let Some(Err(e)) = &outcomes[f] {
                    self.fail(c, f, e);
                }
                return;
            }
        }
    }

    fn lock_reporter(&self) -> std::sync::MutexGuard<'_, Reporter<'p, L>> {
        lock(&self.reporter)
    }

    fn stopping(&self) -> bool {
        if self.plan.interrupt.load(Ordering::SeqCst) {
            self.stop.store(true, Ordering::SeqCst);
        }
        self.stop.load(Ordering::SeqCst)
    }

    /// One worker: takes the next fit in schedule order until none is left or the search stops.
    fn work(&self) {
        while !self.stopping() {
            let t = self.next_task.fetch_add(1, Ordering::SeqCst);
            let Some(&(c, f)) = self.tasks.get(t) else {
                break;
            };
            if !self.cut.may_run(c) {
                // The candidates waiting behind a skipped one in schedule order can be reported.
                self.lock_reporter().report_ready(self);
                continue;
            }
            let outcome = self.fit(c, f);
            if let (Err(e), OnError::Fail) = (&outcome, self.plan.on_error) {
                self.fail(c, f, e);
            }
            self.finish_fit(c, f, outcome);
        }
    }

    /// Fits candidate position `c` on fold position `f`, on the shared design of its group.
    fn fit(&self, c: usize, f: usize) -> FitOutcome {
        let cand = &self.plan.candidates[c];
        let slot = &self.slots[self.group_of[c]][f];
        let design = {
            let mut cell = lock(&slot.cell);
            let built = cell.get_or_insert_with(|| {
                Arc::new(build_design(cand, self.plan, &self.plan.splits[f]))
            });
            Arc::clone(built)
        };
        let outcome = match design.as_ref() {
            Ok(d) => fit_one(self.plan, c, f, d),
            Err(e) => Err(e.clone()),
        };
        drop(design);
        if slot.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            *lock(&slot.cell) = None;
        }
        outcome
    }

    /// Records the first failure under on_error = "fail" and stops the search.
    fn fail(&self, c: usize, f: usize, error: &str) {
        let index = self.plan.candidates[c].index;
        let fold = self.plan.splits[f].fold;
        lock(&self.first_failure).get_or_insert_with(|| (index, format!("fold {fold}: {error}")));
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Logs a finished fit and, when it was its candidate's last, reports the trials now ready.
    fn finish_fit(&self, c: usize, f: usize, outcome: FitOutcome) {
        let mut record = FitRecord::new(
            self.plan.candidates[c].index,
            self.plan.splits[f].fold,
            &outcome,
        );
        record.rung = self.plan.rung.map(|(r, _)| r);
        lock(&self.outcomes[c])[f] = Some(outcome);
        let finished = self.folds_left[c].fetch_sub(1, Ordering::SeqCst) == 1;
        let mut reporter = self.lock_reporter();
        if reporter.write_error.is_some() {
            return;
        }
        if let Err(e) = reporter.log.fit_done(&record) {
            reporter.write_failed(e, &self.stop);
            return;
        }
        reporter.progress.fit_done();
        if finished {
            let results = std::mem::take(&mut *lock(&self.outcomes[c]));
            let trial = make_trial(self.plan, c, results);
            self.cut.finished(c, &trial);
            reporter.ready[c] = Some(trial);
            reporter.report_ready(self);
        }
    }

    fn into_outcome(self) -> SearchOutcome {
        let reporter = self
            .reporter
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        reporter.progress.finish();
        let first_failure = self
            .first_failure
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        SearchOutcome {
            trials: reporter.trials,
            interrupted: self.plan.interrupt.load(Ordering::SeqCst)
                && first_failure.is_none()
                && reporter.write_error.is_none(),
            first_failure,
            write_error: reporter.write_error,
            stopped_at: self.cut.met_at().map(|c| self.plan.candidates[c].index),
            timed_out: self.cut.timed_out(),
        }
    }
}

impl<L: SearchLog + Send> Reporter<'_, L> {
    /// A line could not be logged: nothing more is, and the search stops.
    fn write_failed(&mut self, e: crate::error::KilnError, stop: &AtomicBool) {
        self.write_error = Some(e);
        stop.store(true, Ordering::SeqCst);
    }

    /// Reports, in schedule order, every finished trial whose predecessors are all reported.
    fn report_ready(&mut self, search: &Search<'_, '_, L>) {
        let metric = search.plan.metrics[0];
        while self.write_error.is_none() {
            let Some(&c) = self.order.get(self.reported) else {
                break;
            };
            if search.cut.dropped(c) {
                self.reported += 1;
                continue;
            }
            let Some(trial) = self.ready[c].take() else {
                break;
            };
            if let Err(e) = self.log.trial_done(&trial) {
                self.write_failed(e, &search.stop);
                break;
            }
            if let (true, Some(m)) = (trial.is_ok(), trial.mean.get(metric.name())) {
                if self.best.is_none_or(|(b, _)| metric.better(*m, b)) {
                    self.best = Some((*m, trial.candidate));
                }
            }
            let best = self
                .best
                .map(|(b, bi)| format!("{} {b:.6} (candidate {bi})", metric.name()));
            self.progress
                .candidate_done(&progress_line(&trial, metric), best);
            self.trials.push(trial);
            self.reported += 1;
        }
    }
}

/// "candidate 3: r2 0.812345 ± 0.012345  model.alpha=1.0", or why it failed.
fn progress_line(trial: &Trial, metric: Metric) -> String {
    match trial.mean.get(metric.name()) {
        Some(m) if trial.is_ok() => format!(
            "candidate {}: {} {m:.6} ± {:.6}  {}",
            trial.candidate,
            metric.name(),
            trial.std.get(metric.name()).copied().unwrap_or(0.0),
            trial.params_text()
        ),
        _ => format!(
            "candidate {} failed: {}",
            trial.candidate,
            trial.error.as_deref().unwrap_or("")
        ),
    }
}

/// A poisoned lock still holds consistent data here (every update is a single assignment).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn build_design(cand: &Candidate, plan: &SearchPlan, split: &Split) -> Result<FoldDesign, String> {
    let p = &cand.pipeline;
    let ds = plan.dataset;
    let pre = FittedPreprocessor::fit(&ds.features, &split.train, &p.impute, &p.encode, &p.scale);
    Ok(FoldDesign {
        targets: FoldData::new(
            ds.target.as_ref(),
            split,
            plan.positive,
            ds.weights.as_deref(),
        )
        .at_threshold(Threshold::fixed(p.search.threshold)),
        pre,
        x_train: OnceLock::new(),
        x_valid: OnceLock::new(),
        x_valid_dense: OnceLock::new(),
        cache: FitCache::default(),
    })
}

/// Validation rows predicted per batch by a column-reading model.
const VALID_BATCH: usize = 1 << 16;

/// `model`'s output on data rows `rows`, each batch's design made, predicted and dropped in turn.
fn predict_in_batches(
    pre: &FittedPreprocessor,
    features: &[Column],
    rows: &[usize],
    model: &FittedModel,
) -> Result<Output, String> {
    let parts = rows
        .chunks(VALID_BATCH)
        .map(|batch| {
            let x = pre
                .transform_design(features, Some(batch))
                .map_err(|e| format!("preprocessing: {e}"))?;
            let dense = std::cell::OnceCell::new();
            Ok(model.predict_design(&x, || dense.get_or_init(|| x.to_dense())))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Output::concat(parts).ok_or_else(|| "no validation rows to score".to_string())
}

fn fit_one(plan: &SearchPlan, c: usize, f: usize, d: &FoldDesign) -> FitOutcome {
    let cand = &plan.candidates[c];
    let fd = &d.targets;
    let mut rng = rng_for(plan.seed, Purpose::Fit, &[cand.index as u64, f as u64]);
    let started = Instant::now();
    let model = &cand.pipeline.model;
    let train = &plan.splits[f].train;
    let features = &plan.dataset.features;
    let columns = d
        .pre
        .columns_of(features, train)
        .map_err(|e| format!("preprocessing: {e}"))?;
    let whole = || {
        d.x_train
            .get_or_init(|| {
                d.pre
                    .transform_design(features, Some(train))
                    .map_err(|e| format!("preprocessing: {e}"))
            })
            .as_ref()
            .map(std::borrow::Cow::Borrowed)
            .map_err(|e| e.clone())
    };
    let fit = model.fit_either(
        &columns,
        whole,
        (
            fd.train_targets(),
            fd.fit_weights(model.fit_class_weight(), plan.dataset)
                .as_deref(),
        ),
        &mut rng,
        plan.seed,
        &d.cache,
    )?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let valid = &plan.splits[f].valid;
    let x_valid = || {
        d.x_valid
            .get_or_init(|| {
                d.pre
                    .transform_design(features, Some(valid))
                    .map_err(|e| format!("preprocessing: {e}"))
            })
            .as_ref()
            .map_err(|e| e.clone())
    };
    let dense_valid = |x: &Design| d.x_valid_dense.get_or_init(|| x.to_dense());
    // Clustering metrics read the rows themselves; the others only the targets.
    let no_rows = Matrix::zeros(0, 0);
    let (output, truth) = match fd {
        FoldData::Unsupervised { .. } => {
            let x = x_valid()?;
            let dense = dense_valid(x);
            (fit.model.predict_design(x, || dense), fd.valid_truth(dense))
        }
        // A model that read its training design a column at a time predicts the validation rows
        // a batch at a time too, so the fold never holds their whole design either.
        _ if model.reads_columns() && !valid.is_empty() => (
            predict_in_batches(&d.pre, features, valid, &fit.model)?,
            fd.valid_truth(&no_rows),
        ),
        _ => {
            let x = x_valid()?;
            (
                fit.model.predict_design(x, || dense_valid(x)),
                fd.valid_truth(&no_rows),
            )
        }
    };
    let mut scores = std::collections::BTreeMap::new();
    for m in plan.metrics {
        let v = m.score_weighted(truth, &output, fd.valid_weights())?;
        if !v.is_finite() {
            return Err(format!(
                "the {} score is {v}: the model's predictions are not finite",
                m.name()
            ));
        }
        scores.insert(m.name().to_string(), v);
    }
    let curves = match cand.pipeline.search.threshold {
        Some(Threshold::Tune) => {
            tuned::fold_curves(plan.metrics, truth, &output, fd.valid_weights())?
        }
        _ => Default::default(),
    };
    Ok((
        FoldScore {
            fold: plan.splits[f].fold,
            scores,
            fit_seconds,
            curves,
        },
        fit.warnings,
    ))
}

fn make_trial(plan: &SearchPlan, c: usize, results: Vec<Option<FitOutcome>>) -> Trial {
    let (cand, splits) = (&plan.candidates[c], plan.splits);
    let params = cand
        .params
        .iter()
        .map(|(k, v)| (k.clone(), toml_to_json(v)))
        .collect();
    let mut folds = Vec::new();
    let mut warnings = Vec::new();
    let mut error = None;
    for (f, r) in results.into_iter().enumerate() {
        match r {
            Some(Ok((score, w))) => {
                folds.push(score);
                for w in w {
                    let w = format!("fold {}: {w}", splits[f].fold);
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                }
            }
            Some(Err(e)) => {
                error.get_or_insert_with(|| format!("fold {}: {e}", splits[f].fold));
            }
            None => {
                error.get_or_insert_with(|| "not run".to_string());
            }
        }
    }
    let threshold = match cand.pipeline.search.threshold {
        Some(Threshold::Tune) if error.is_none() => tuned::tune(&mut folds, plan.metrics[0]),
        Some(Threshold::Fixed(t)) => Some(t),
        _ => None,
    };
    folds.iter_mut().for_each(|f| f.curves.clear());
    let (mean, std) = if error.is_none() {
        Trial::summarise(&folds)
    } else {
        Default::default()
    };
    Trial {
        candidate: cand.index,
        params,
        folds,
        mean,
        std,
        status: if error.is_none() {
            TrialStatus::Ok
        } else {
            TrialStatus::Failed
        },
        error,
        warnings,
        strategy: Some(cand.pipeline.search.strategy)
            .filter(|s| *s != crate::config::Strategy::Grid)
            .map(|s| s.name().to_string()),
        rung: plan.rung.map(|(r, _)| r),
        resource: plan.rung.map(|(_, v)| v),
        threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_keeps_each_preprocessing_together_in_grid_order() {
        // Grid order often alternates the preprocessing (scale.method varying fastest).
        assert_eq!(schedule(&[0, 1, 0, 1, 2, 0]), [0, 2, 5, 1, 3, 4]);
    }

    #[test]
    fn every_thread_runs_one_worker_loop_even_while_others_wait_in_inner_loops() {
        use rayon::prelude::*;
        use std::cell::Cell;
        use std::time::Duration;
        thread_local!(static LOOPS_ON_THIS_THREAD: Cell<usize> = const { Cell::new(0) });
        let most = AtomicUsize::new(0);
        let runs = AtomicUsize::new(0);
        // More threads than cores, so some wake late while others already wait in inner loops.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .unwrap();
        for _ in 0..30 {
            pool.install(|| {
                on_every_thread(|| {
                    let depth = LOOPS_ON_THIS_THREAD.with(|d| {
                        d.set(d.get() + 1);
                        d.get()
                    });
                    most.fetch_max(depth, Ordering::SeqCst);
                    runs.fetch_add(1, Ordering::SeqCst);
                    // A fit's inner parallel loop, whose pieces other threads steal.
                    (0..32)
                        .into_par_iter()
                        .for_each(|_| std::thread::sleep(Duration::from_micros(300)));
                    LOOPS_ON_THIS_THREAD.with(|d| d.set(d.get() - 1));
                })
            });
        }
        assert_eq!(runs.load(Ordering::SeqCst), 30 * 8);
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "a thread ran a worker loop inside another"
        );
    }
}
