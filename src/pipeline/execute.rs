//! `kiln run` of one pipeline file: prepare it, check its memory budget, create (or reopen) its run
//! directory, cross-validate the candidates to do in parallel, and hand the trials to `finish`.

use super::expect::{meets, stop_point};
use super::finish::{finish_run, initial_summary, Closing};
use super::halving::run_rungs;
use super::prepare::{prepare, Prepared};
use super::resume::open_for_resume;
use crate::config::{self, Override};
use crate::error::{KilnError, Result};
use crate::runlog::{RunDir, RunLog, Shard, Summary};
use crate::search::{self, progress::Progress, SearchPlan};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

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

/// Runs one pipeline file: a fresh run, a shard of one, or the rest of an interrupted one.
pub fn run_pipeline(path: &Path, opts: &RunOptions) -> Result<RunOutcome> {
    let started = Instant::now();
    let prepared = prepare(path, &opts.overrides)?;
    let base = prepared.base().clone();
    if let (Some(s), Some(key)) = (opts.shard, unshardable(&base.search)) {
        let why = if key == "strategy" {
            "`search.strategy` = \"halving\" picks each rung's candidates from the whole rung \
             before it, which one shard cannot see; run it without --shard (its fits run in \
             parallel with --jobs), or shard a strategy = \"random\" search"
                .to_string()
        } else {
            format!(
                "`search.{key}` cuts the search by what the candidates before a point did, which \
                 one shard cannot see; run without --shard, or remove `search.{key}` \
                 (search.max_fits can be sharded)"
            )
        };
        return Err(KilnError::Config(format!(
            "--shard {}/{}: {why}",
            s.index, s.count
        )));
    }
    // Refused before any design matrix is built, and before a run directory is made.
    super::budget::check_run(&prepared, opts.memory_budget, opts.threads)?;
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
        crate::util::output::emit(&plan)?;
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
        let spilled = prepared.dataset.spilled_bytes();
        if spilled > 0 {
            crate::say!(
                "note: the numeric columns ({}) are read from a temporary file pass by pass, as \
                 the models read their design a column at a time ({}=off keeps them in memory)",
                crate::util::sizes::show_bytes(spilled),
                super::spill::ENV
            );
        }
        if let Some(line) = prepared.cut_line() {
            crate::say!("{line}");
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| KilnError::Config(format!("cannot start {threads} threads: {e}")))?;
    let mut search = RungSearch {
        prepared: &prepared,
        pool,
        run: &mut run,
        quiet: opts.quiet,
        deadline: base
            .search
            .max_seconds
            .map(|s| Instant::now() + Duration::from_secs_f64(s)),
    };
    let searched = match &prepared.halving {
        Some(h) => {
            let mut rungs = h.planned_rungs();
            let searched = run_rungs(h, &mut search, &previous, &done_fits, &mut rungs);
            drop(search);
            if let Some(record) = summary.search.as_mut().and_then(|s| s.halving.as_mut()) {
                record.rungs = rungs;
            }
            searched
        }
        None => {
            let done: std::collections::BTreeSet<usize> =
                previous.iter().map(|t| t.candidate).collect();
            // A resumed run whose earlier part met stop_when runs nothing after that candidate.
            let met_before = stop_point(&base.search.stop_when, &previous).unwrap_or(usize::MAX);
            let todo: Vec<config::Candidate> = prepared
                .loaded
                .candidates
                .iter()
                .filter(|c| shard.is_none_or(|s| s.owns(c.index)) && !done.contains(&c.index))
                .filter(|c| c.index < met_before)
                .cloned()
                .collect();
            let searched = search.run(&todo, &prepared.splits, &done_fits, None, previous);
            drop(search);
            searched
        }
    };
    let trials = searched.trials;
    if let Some(record) = summary.search.as_mut() {
        if let Some(k) = searched.stopped_at {
            record.stopped_by = "stop_when".into();
            record.stop_candidate = Some(k);
        } else if searched.timed_out {
            record.stopped_by = "max_seconds".into();
            record.depends_on_machine = true;
        }
    }
    summary.candidates_failed = trials.iter().filter(|t| !t.is_ok()).count();
    let closing = Closing {
        data: &prepared.dataset,
        trials: &trials,
        started,
    };
    if let Some(e) = searched.write_error {
        return Err(closing.write_failed(&run, &mut summary, e));
    }
    if searched.interrupted {
        closing.close(&mut run, &mut summary, "interrupted")?;
        return Err(KilnError::Interrupted);
    }
    if let Some(error) = searched.error {
        return closing.fail(&mut run, &mut summary, error);
    }
    if let Some((c, error)) = searched.first_failure {
        let params = candidate_params(&prepared.loaded.candidates[c]);
        let msg = format!(
            "candidate {c} ({}) failed and search.on_error = \"fail\": {error}",
            search::trial::params_text(&params)
        );
        return closing.fail(&mut run, &mut summary, msg);
    }
    finish_run(&prepared, &mut run, summary, &trials, opts.quiet, started)
}

/// What a search (or one halving rung) left: its finished trials, in candidate order and cut at
/// search.stop_when, and why it stopped early, if it did.
#[derive(Default)]
pub(crate) struct Searched {
    pub(crate) trials: Vec<search::Trial>,
    pub(crate) interrupted: bool,
    pub(crate) first_failure: Option<(usize, String)>,
    pub(crate) write_error: Option<KilnError>,
    pub(crate) stopped_at: Option<usize>,
    pub(crate) timed_out: bool,
    /// The run cannot go on (a halving rung's candidates could not be made).
    pub(crate) error: Option<String>,
}

impl Searched {
    /// Whether nothing may run after this search (a halving search's next rung).
    pub(crate) fn ends_search(&self) -> bool {
        self.interrupted
            || self.first_failure.is_some()
            || self.write_error.is_some()
            || self.stopped_at.is_some()
            || self.timed_out
            || self.error.is_some()
    }
}

/// What every search of a run shares: the prepared pipeline, the thread pool, the run's logs.
pub(crate) struct RungSearch<'a> {
    pub(crate) prepared: &'a Prepared,
    pool: rayon::ThreadPool,
    run: &'a mut RunLog,
    pub(crate) quiet: bool,
    deadline: Option<Instant>,
}

impl RungSearch<'_> {
    /// Cross-validates `todo` on `splits`; `before` are the trials of this search finished by an
    /// earlier, interrupted run, and `done_fits` its finished fits.
    pub(crate) fn run(
        &mut self,
        todo: &[config::Candidate],
        splits: &[search::Split],
        done_fits: &[search::FitRecord],
        rung: Option<(usize, u64)>,
        before: Vec<search::Trial>,
    ) -> Searched {
        let base = self.prepared.base();
        let stop_when = &base.search.stop_when;
        let meets_checks = |t: &search::Trial| meets(stop_when, t);
        let plan = SearchPlan {
            candidates: todo,
            dataset: &self.prepared.dataset,
            splits,
            positive: self.prepared.positive,
            metrics: &base.metrics,
            seed: base.seed,
            on_error: base.on_error,
            interrupt: &INTERRUPTED,
            done_fits,
            stop_when: (!stop_when.is_empty())
                .then_some(&meets_checks as &(dyn Fn(&search::Trial) -> bool + Sync)),
            deadline: self.deadline,
            rung,
        };
        let mut progress = Progress::new(plan.fits_to_run(), self.quiet);
        let run = &mut *self.run;
        let outcome = self
            .pool
            .install(|| search::search(&plan, &mut progress, run));
        let mut trials = before;
        trials.extend(outcome.trials);
        trials.sort_by_key(|t| t.candidate);
        let stopped_at = stop_point(stop_when, &trials);
        if let Some(k) = stopped_at {
            // Candidates after the first that met it may have finished on other threads: dropped,
            // so the outcome is the same for every --jobs.
            trials.retain(|t| t.candidate <= k);
        }
        Searched {
            trials,
            interrupted: outcome.interrupted,
            first_failure: outcome.first_failure,
            write_error: outcome.write_error,
            stopped_at,
            timed_out: outcome.timed_out,
            error: None,
        }
    }
}

/// The `[search]` key that makes a search unfit for --shard, if any.
fn unshardable(s: &config::SearchSettings) -> Option<&'static str> {
    if s.halving.is_some() {
        Some("strategy")
    } else if !s.stop_when.is_empty() {
        Some("stop_when")
    } else if s.max_seconds.is_some() {
        Some("max_seconds")
    } else {
        None
    }
}

fn candidate_params(c: &config::Candidate) -> serde_json::Map<String, serde_json::Value> {
    c.params
        .iter()
        .map(|(k, v)| (k.clone(), search::trial::toml_to_json(v)))
        .collect()
}
