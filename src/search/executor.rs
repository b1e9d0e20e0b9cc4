//! Runs every (candidate, fold) fit on a rayon pool.
//!
//! Fits are scheduled fold by fold, in candidate order within a fold, pulled one at a time by the
//! workers. The preprocessing of a (fold, preprocessing settings) pair is fitted once, by the first fit
//! that needs it, shared by every candidate with the same settings, and dropped when the last of them
//! is done, so at most a fold or two of design matrices are in memory at once. Results are collected by
//! index, and each candidate's trial is reported in candidate order, so the log does not depend on the
//! thread count.

use super::folds::Split;
use super::progress::Progress;
use super::trial::{toml_to_json, FoldScore, Trial, TrialStatus};
use crate::config::{Candidate, OnError};
use crate::data::{Dataset, TargetData};
use crate::design::Design;
use crate::matrix::Matrix;
use crate::metrics::{Metric, Truth};
use crate::models::{FitCache, Targets};
use crate::preprocess::FittedPreprocessor;
use crate::rng::{rng_for, Purpose};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// The targets of one fold, split into training and validation rows.
#[derive(Debug, Clone)]
pub enum FoldData {
    Values {
        train: Vec<f64>,
        valid: Vec<f64>,
    },
    Classes {
        train: Vec<usize>,
        valid: Vec<usize>,
        n_classes: usize,
        positive: usize,
    },
    Unsupervised,
}

impl FoldData {
    pub fn new(target: Option<&TargetData>, split: &Split, positive: usize) -> Self {
        let pick = |v: &[f64], rows: &[usize]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
        match target {
            Some(TargetData::Values(v)) => FoldData::Values {
                train: pick(v, &split.train),
                valid: pick(v, &split.valid),
            },
            Some(TargetData::Classes { labels, classes }) => FoldData::Classes {
                train: split.train.iter().map(|&r| labels[r]).collect(),
                valid: split.valid.iter().map(|&r| labels[r]).collect(),
                n_classes: classes.len(),
                positive,
            },
            None => FoldData::Unsupervised,
        }
    }

    pub fn train_targets(&self) -> Targets<'_> {
        match self {
            FoldData::Values { train, .. } => Targets::Values(train),
            FoldData::Classes {
                train, n_classes, ..
            } => Targets::Classes {
                labels: train,
                n_classes: *n_classes,
            },
            FoldData::Unsupervised => Targets::Unsupervised,
        }
    }

    pub fn valid_truth<'a>(&'a self, x_valid: &'a Matrix) -> Truth<'a> {
        truth(self, true, x_valid)
    }
}

fn truth<'a>(fd: &'a FoldData, valid: bool, x: &'a Matrix) -> Truth<'a> {
    let _ = x;
    match fd {
        FoldData::Values { train, valid: v } => Truth::Values(if valid { v } else { train }),
        FoldData::Classes {
            train,
            valid: v,
            n_classes,
            positive,
        } => Truth::Classes {
            labels: if valid { v } else { train },
            n_classes: *n_classes,
            positive: *positive,
        },
        FoldData::Unsupervised => Truth::Rows(x),
    }
}

/// Everything a search needs.
pub struct SearchPlan<'a> {
    pub candidates: &'a [Candidate],
    pub dataset: &'a Dataset,
    pub splits: &'a [Split],
    pub fold_data: &'a [FoldData],
    pub metrics: &'a [Metric],
    pub seed: u64,
    pub on_error: OnError,
    /// Set by a signal handler: stop scheduling fits.
    pub interrupt: &'a AtomicBool,
}

/// A fold's design matrices, fitted once and shared.
struct FoldDesign {
    x_train: Design,
    x_valid: Design,
    /// The dense form of x_valid, made once for the models that predict on it.
    x_valid_dense: OnceLock<Matrix>,
    /// XᵀX and Xᵀy, shared by the linear candidates of this (fold, preprocessing).
    cache: FitCache,
}

struct DesignSlot {
    cell: Mutex<Option<Arc<Result<FoldDesign, String>>>>,
    remaining: AtomicUsize,
}

/// The outcome of one fit.
type FitOutcome = Result<(FoldScore, Vec<String>), String>;

/// What a search produced.
#[derive(Debug)]
pub struct SearchOutcome {
    /// The trials of the candidates that finished, in candidate order.
    pub trials: Vec<Trial>,
    /// The search stopped early because of `plan.interrupt`.
    pub interrupted: bool,
    /// With on_error = "fail": the first failed fit (candidate index, its message).
    pub first_failure: Option<(usize, String)>,
}

/// Runs the search. `on_trial` is called once per candidate, in candidate order, as soon as the
/// candidate and every one before it are done.
pub fn search(
    plan: &SearchPlan,
    progress: &mut Progress,
    mut on_trial: impl FnMut(&Trial) + Send,
) -> SearchOutcome {
    // Stops scheduling: an interrupt, or a failure under on_error = "fail".
    let stop = AtomicBool::new(false);
    let first_failure: Mutex<Option<(usize, String)>> = Mutex::new(None);
    let n_cand = plan.candidates.len();
    let n_folds = plan.splits.len();
    // Preprocessing groups: candidates with equal preprocessing share designs.
    let mut keys: Vec<String> = Vec::new();
    let group_of: Vec<usize> = plan
        .candidates
        .iter()
        .map(|c| {
            let k = c.pipeline.preprocessing_key();
            keys.iter().position(|x| *x == k).unwrap_or_else(|| {
                keys.push(k);
                keys.len() - 1
            })
        })
        .collect();
    let slots: Vec<Vec<DesignSlot>> = (0..keys.len())
        .map(|g| {
            let users = group_of.iter().filter(|x| **x == g).count();
            (0..n_folds)
                .map(|_| DesignSlot {
                    cell: Mutex::new(None),
                    remaining: AtomicUsize::new(users),
                })
                .collect()
        })
        .collect();
    let tasks: Vec<(usize, usize)> = (0..n_folds)
        .flat_map(|f| (0..n_cand).map(move |c| (c, f)))
        .collect();
    let next = AtomicUsize::new(0);
    let outcomes: Vec<Mutex<Vec<Option<FitOutcome>>>> = (0..n_cand)
        .map(|_| Mutex::new(vec![None; n_folds]))
        .collect();
    let folds_left: Vec<AtomicUsize> = (0..n_cand).map(|_| AtomicUsize::new(n_folds)).collect();
    struct Emitter<'p, F> {
        next_emit: usize,
        done: Vec<Option<Trial>>,
        emitted: Vec<Trial>,
        best: Option<(f64, usize)>,
        on_trial: F,
        progress: &'p mut Progress,
    }
    let emitter = Mutex::new(Emitter {
        next_emit: 0,
        done: vec![None; n_cand],
        emitted: Vec::new(),
        best: None,
        on_trial: &mut on_trial,
        progress,
    });
    let threads = rayon::current_num_threads().max(1);
    let metric = plan.metrics[0];
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| loop {
                if stop.load(Ordering::SeqCst) || plan.interrupt.load(Ordering::SeqCst) {
                    stop.store(true, Ordering::SeqCst);
                    break;
                }
                let t = next.fetch_add(1, Ordering::SeqCst);
                let Some(&(c, f)) = tasks.get(t) else { break };
                let cand = &plan.candidates[c];
                let slot = &slots[group_of[c]][f];
                let design = {
                    let mut cell = slot.cell.lock().unwrap_or_else(|e| e.into_inner());
                    if cell.is_none() {
                        *cell = Some(Arc::new(build_design(cand, plan.dataset, &plan.splits[f])));
                    }
                    cell.as_ref().map(Arc::clone).expect("filled above")
                };
                let outcome = match design.as_ref() {
                    Ok(d) => fit_one(plan, c, f, d),
                    Err(e) => Err(e.clone()),
                };
                drop(design);
                if slot.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
                    *slot.cell.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
                if let (Err(e), OnError::Fail) = (&outcome, plan.on_error) {
                    let mut first = first_failure.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert_with(|| {
                        (cand.index, format!("fold {}: {e}", plan.splits[f].fold))
                    });
                    stop.store(true, Ordering::SeqCst);
                }
                outcomes[c].lock().unwrap_or_else(|e| e.into_inner())[f] = Some(outcome);
                let finished = folds_left[c].fetch_sub(1, Ordering::SeqCst) == 1;
                let mut em = emitter.lock().unwrap_or_else(|e| e.into_inner());
                em.progress.fit_done();
                if finished {
                    let results =
                        std::mem::take(&mut *outcomes[c].lock().unwrap_or_else(|e| e.into_inner()));
                    em.done[c] = Some(make_trial(cand, plan.splits, results));
                    while em.next_emit < n_cand {
                        let i = em.next_emit;
                        let Some(trial) = em.done[i].take() else {
                            break;
                        };
                        if let (true, Some(m)) = (trial.is_ok(), trial.mean.get(metric.name())) {
                            if em.best.is_none_or(|(b, _)| metric.better(*m, b)) {
                                em.best = Some((*m, i));
                            }
                        }
                        let line = match trial.mean.get(metric.name()) {
                            Some(m) if trial.is_ok() => format!(
                                "candidate {i}: {} {m:.6} ± {:.6}  {}",
                                metric.name(),
                                trial.std.get(metric.name()).copied().unwrap_or(0.0),
                                trial.params_text()
                            ),
                            _ => format!(
                                "candidate {i} failed: {}",
                                trial.error.as_deref().unwrap_or("")
                            ),
                        };
                        let best = em
                            .best
                            .map(|(b, bi)| format!("{} {b:.6} (candidate {bi})", metric.name()));
                        em.progress.candidate_done(&line, best);
                        (em.on_trial)(&trial);
                        em.emitted.push(trial);
                        em.next_emit += 1;
                    }
                }
            });
        }
    });
    let em = emitter.into_inner().unwrap_or_else(|e| e.into_inner());
    em.progress.finish();
    let first_failure = first_failure
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    SearchOutcome {
        trials: em.emitted,
        interrupted: plan.interrupt.load(Ordering::SeqCst) && first_failure.is_none(),
        first_failure,
    }
}

fn build_design(cand: &Candidate, ds: &Dataset, split: &Split) -> Result<FoldDesign, String> {
    let p = &cand.pipeline;
    let pre = FittedPreprocessor::fit(&ds.features, &split.train, &p.impute, &p.encode, &p.scale);
    let x_train = pre
        .transform_design(&ds.features, Some(&split.train))
        .map_err(|e| format!("preprocessing: {e}"))?;
    let x_valid = pre
        .transform_design(&ds.features, Some(&split.valid))
        .map_err(|e| format!("preprocessing: {e}"))?;
    Ok(FoldDesign {
        x_train,
        x_valid,
        x_valid_dense: OnceLock::new(),
        cache: FitCache::default(),
    })
}

fn fit_one(plan: &SearchPlan, c: usize, f: usize, d: &FoldDesign) -> FitOutcome {
    let cand = &plan.candidates[c];
    let fd = &plan.fold_data[f];
    let mut rng = rng_for(plan.seed, Purpose::Fit, &[cand.index as u64, f as u64]);
    let started = Instant::now();
    let fit = cand.pipeline.model.fit_shared(
        &d.x_train,
        fd.train_targets(),
        &mut rng,
        plan.seed,
        &d.cache,
    )?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let dense_valid = || d.x_valid_dense.get_or_init(|| d.x_valid.to_dense());
    let output = fit.model.predict_design(&d.x_valid, dense_valid);
    // Clustering metrics read the rows themselves; the others only the targets.
    let no_rows = Matrix::zeros(0, 0);
    let truth = fd.valid_truth(match fd {
        FoldData::Unsupervised => dense_valid(),
        _ => &no_rows,
    });
    let mut scores = std::collections::BTreeMap::new();
    for m in plan.metrics {
        let v = m.score(truth, &output)?;
        if !v.is_finite() {
            return Err(format!(
                "the {} score is {v}: the model's predictions are not finite",
                m.name()
            ));
        }
        scores.insert(m.name().to_string(), v);
    }
    Ok((
        FoldScore {
            fold: plan.splits[f].fold,
            scores,
            fit_seconds,
        },
        fit.warnings,
    ))
}

fn make_trial(cand: &Candidate, splits: &[Split], results: Vec<Option<FitOutcome>>) -> Trial {
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
    }
}
