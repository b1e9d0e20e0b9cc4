//! `[search] strategy = "halving"` in a run: the plan fixed from the data before any fit, then
//! one search per rung, each rung's best 1/factor going on to the next (see `search::halving`
//! for the rule). A rung's fits and trials carry the rung and its resource; a resumed run redoes
//! no finished fit, and picks the same survivors, because they follow from the logged scores.

use super::execute::{RungSearch, Searched};
use super::expect::stop_point;
use super::prepare::Prepared;
use crate::config::{
    Candidate, HalvingSettings, LoadedPipeline, MaxResources, MinResources, MinResourcesName,
    Pipeline, Resource,
};
use crate::data::{Dataset, TargetData};
use crate::error::{KilnError, Result};
use crate::models::Task;
use crate::rng::{rng_for, Purpose};
use crate::runlog::RungSummary;
use crate::search::halving::{best_k, plan, subsample, HalvingPlan};
use crate::search::{FitRecord, Split, Trial};

/// A halving search's settings and its plan, as `prepare` fixed them.
#[derive(Debug, Clone)]
pub struct Halving {
    pub settings: HalvingSettings,
    pub plan: HalvingPlan,
    /// The rows the search runs on (scikit-learn's n_samples): the resource "rows" is a share of it.
    pub search_rows: usize,
}

/// The located error of a `[search]` key.
fn key_error(prepared_source: &crate::config::source::Source, key: &str, msg: &str) -> KilnError {
    KilnError::Config(prepared_source.error_at(&["search".to_string(), key.to_string()], msg))
}

/// The plan for `n` candidates on these splits; and, under search.max_fits, the most candidates
/// (the first in candidate order) whose whole plan fits in it.
pub(crate) fn plan_halving(
    base: &Pipeline,
    source: &crate::config::source::Source,
    ds: &Dataset,
    train_rows: &[usize],
    splits: &[Split],
    n: usize,
) -> Result<Option<Halving>> {
    let Some(settings) = base.search.halving.clone() else {
        return Ok(None);
    };
    let search_rows = train_rows.len();
    let smallest = match settings.resource {
        // scikit-learn's "smallest": 2 rows per fold, times the classes for a classifier.
        Resource::Rows => {
            let classes = match (&ds.target, base.task) {
                (Some(TargetData::Classes { labels, .. }), Task::Classification) => {
                    let mut seen: Vec<usize> = train_rows.iter().map(|&r| labels[r]).collect();
                    seen.sort_unstable();
                    seen.dedup();
                    seen.len()
                }
                _ => 1,
            };
            (splits.len() * 2 * classes) as u64
        }
        Resource::Param(_) => 1,
    };
    let (min, exhaust) = match settings.min_resources {
        MinResources::Count(c) => (c, false),
        MinResources::Named(name) => (smallest, name == MinResourcesName::Exhaust),
    };
    let max = match settings.max_resources {
        MaxResources::Count(c) => c,
        MaxResources::Named(_) => search_rows as u64,
    };
    if settings.resource == Resource::Rows && max > search_rows as u64 {
        return Err(key_error(
            source,
            "max_resources",
            &format!(
                "`search.max_resources` = {max} is more than the {search_rows} rows the search runs on"
            ),
        ));
    }
    let made = |n: usize| {
        plan(
            n,
            settings.factor,
            min,
            exhaust,
            max,
            settings.aggressive_elimination,
        )
        .map_err(|e| key_error(source, "min_resources", &e))
    };
    let mut halving_plan = made(n)?;
    if let Some(max_fits) = base.search.max_fits {
        let folds = splits.len().max(1);
        let mut k = n;
        while k > 1 && halving_plan.fits(folds) > max_fits {
            k -= 1;
            halving_plan = made(k)?;
        }
    }
    if settings.resource == Resource::Rows {
        for (i, rung) in halving_plan.rungs.iter().enumerate() {
            let fraction = rung.resource as f64 / search_rows as f64;
            for s in splits {
                let (train, valid) = (
                    (fraction * s.train.len() as f64) as usize,
                    (fraction * s.valid.len() as f64) as usize,
                );
                if train < 2 || valid < 1 {
                    return Err(key_error(
                        source,
                        "min_resources",
                        &format!(
                            "halving rung {i} ({} rows of {search_rows}) leaves fold {} {train} \
                             training and {valid} validation rows: raise search.min_resources",
                            rung.resource, s.fold
                        ),
                    ));
                }
            }
        }
    }
    Ok(Some(Halving {
        settings,
        plan: halving_plan,
        search_rows,
    }))
}

impl Halving {
    /// The plan's lines, as `kiln validate` and `--dry-run` print them.
    pub fn plan_text(&self, folds: usize) -> String {
        let s = &self.settings;
        let unit = match &s.resource {
            Resource::Rows => " rows".to_string(),
            Resource::Param(name) => format!(" {name}"),
        };
        let mut text = format!(
            "halving: factor {}, resource {} from {} to {}{}, {} rungs ({} needed, {} possible)\n",
            s.factor,
            s.resource.text(),
            self.plan.min_resources,
            self.plan.max_resources,
            if s.aggressive_elimination {
                ", aggressive elimination"
            } else {
                ""
            },
            self.plan.rungs.len(),
            self.plan.required,
            self.plan.possible,
        );
        for (i, r) in self.plan.rungs.iter().enumerate() {
            text.push_str(&format!(
                "  rung {i}: {} candidates x {folds} folds = {} fits at {}{unit}\n",
                r.candidates,
                r.candidates * folds,
                r.resource
            ));
        }
        text
    }

    /// The summary's rungs as planned, before any fit.
    pub fn planned_rungs(&self) -> Vec<RungSummary> {
        self.plan
            .rungs
            .iter()
            .enumerate()
            .map(|(i, r)| RungSummary {
                rung: i,
                resource: r.resource,
                candidates: r.candidates,
                kept: Vec::new(),
            })
            .collect()
    }

    /// Rung `i`'s splits: with resource = "rows", each fold's training and validation rows
    /// subsampled to the rung's share (drawn from the seed, the same for every candidate).
    fn splits(&self, i: usize, splits: &[Split], seed: u64) -> Vec<Split> {
        let resource = self.plan.rungs[i].resource;
        if self.settings.resource != Resource::Rows || resource as usize == self.search_rows {
            return splits.to_vec();
        }
        let fraction = resource as f64 / self.search_rows as f64;
        splits
            .iter()
            .enumerate()
            .map(|(f, s)| {
                let mut rng = rng_for(seed, Purpose::Halving, &[i as u64, f as u64]);
                let train = subsample(&s.train, fraction, &mut rng);
                let valid = subsample(&s.valid, fraction, &mut rng);
                Split {
                    fold: s.fold,
                    train,
                    valid,
                }
            })
            .collect()
    }

    /// Rung `i`'s candidates: with a parameter resource, each with it set to the rung's value.
    pub fn candidates_at(
        &self,
        loaded: &LoadedPipeline,
        i: usize,
        cands: &[Candidate],
    ) -> Result<Vec<Candidate>> {
        match &self.settings.resource {
            Resource::Rows => Ok(cands.to_vec()),
            Resource::Param(name) => {
                let path = ["model".to_string(), name.clone()];
                let value = toml::Value::Integer(self.plan.rungs[i].resource as i64);
                cands
                    .iter()
                    .map(|c| loaded.with_param(c, &path, value.clone()))
                    .collect()
            }
        }
    }

    /// Rung `i`'s value of a parameter resource, checked on the first candidate before any fit
    /// (an error names search.resource).
    pub(crate) fn candidates_at_checked(&self, loaded: &LoadedPipeline, i: usize) -> Result<()> {
        self.candidates_at(loaded, i, &loaded.candidates[..1])
            .map(|_| ())
            .map_err(|e| key_error(&loaded.source, "resource", &e.to_string()))
    }
}

/// Runs the rungs in turn; stops at an interrupt, a failure under on_error = "fail", a failed
/// write, search.stop_when or search.max_seconds, as one search does. `previous` and `done_fits`
/// are a resumed run's logs. Returns every rung's trials, in (rung, candidate) order.
pub(crate) fn run_rungs(
    halving: &Halving,
    search: &mut RungSearch,
    previous: &[Trial],
    done_fits: &[FitRecord],
    rungs: &mut [RungSummary],
) -> Searched {
    let prepared = search.prepared;
    let base = prepared.base();
    let metric = base.metric;
    let mut all: Vec<Trial> = Vec::new();
    let mut going_on: Vec<Candidate> = prepared.loaded.candidates.clone();
    let mut last = Searched::default();
    for (i, rung) in halving.plan.rungs.iter().enumerate() {
        let cands = match halving.candidates_at(&prepared.loaded, i, &going_on) {
            Ok(c) => c,
            Err(e) => {
                last.error = Some(format!("halving rung {i}: {e}"));
                break;
            }
        };
        let splits = halving.splits(i, &prepared.splits, base.seed);
        let before: Vec<Trial> = previous
            .iter()
            .filter(|t| t.rung == Some(i))
            .cloned()
            .collect();
        let fits: Vec<FitRecord> = done_fits
            .iter()
            .filter(|f| f.rung == Some(i))
            .cloned()
            .collect();
        let done: std::collections::BTreeSet<usize> = before.iter().map(|t| t.candidate).collect();
        let met_before = stop_point(&base.search.stop_when, &before).unwrap_or(usize::MAX);
        let todo: Vec<Candidate> = cands
            .into_iter()
            .filter(|c| !done.contains(&c.index) && c.index < met_before)
            .collect();
        if !search.quiet {
            crate::say!(
                "halving rung {i}: {} candidates at resource {}",
                rung.candidates,
                rung.resource
            );
        }
        let searched = search.run(&todo, &splits, &fits, Some((i, rung.resource)), before);
        let rung_trials = searched.trials.clone();
        all.extend(rung_trials.iter().cloned());
        let ended = searched.ends_search();
        last = searched;
        if ended || i + 1 == halving.plan.rungs.len() {
            break;
        }
        let scored: Vec<(usize, Option<f64>)> = rung_trials
            .iter()
            .map(|t| {
                let score = t.mean.get(metric.name()).copied().filter(|_| t.is_ok());
                (t.candidate, score)
            })
            .collect();
        let keep = halving.plan.rungs[i + 1].candidates;
        let kept = best_k(&scored, keep, |a, b| metric.better(a, b));
        rungs[i].kept = kept.clone();
        going_on = prepared
            .loaded
            .candidates
            .iter()
            .filter(|c| kept.contains(&c.index))
            .cloned()
            .collect();
    }
    last.trials = all;
    last
}

/// The candidate a halving search's best trial refits: with a parameter resource, with the
/// parameter at the value of the best trial's rung (scikit-learn's best_params_ include it).
pub(crate) fn refit_candidate(prepared: &Prepared, best: &Trial) -> Result<Candidate> {
    let cand = &prepared.loaded.candidates[best.candidate];
    match (&prepared.halving, best.resource) {
        (Some(h), Some(value)) => match &h.settings.resource {
            Resource::Param(name) => prepared.loaded.with_param(
                cand,
                &["model".to_string(), name.clone()],
                toml::Value::Integer(value as i64),
            ),
            Resource::Rows => Ok(cand.clone()),
        },
        _ => Ok(cand.clone()),
    }
}
