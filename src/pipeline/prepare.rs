//! Everything a run needs before its first fit: the pipeline loaded and checked, the data read, the
//! positive class, the holdout and the cross-validation folds; and the plan, as `kiln validate` and
//! `--dry-run` print it.

use crate::config::{self, LoadedPipeline, Override, Pipeline};
use crate::data::{self, ColumnData, Dataset, TargetData};
use crate::error::{KilnError, Result};
use crate::search::{self, Split};
use std::path::Path;

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
    /// The candidates the strategy made; `loaded.candidates` holds fewer when max_fits cut them.
    pub made: usize,
    /// strategy = "halving": its plan, fixed from the data.
    pub halving: Option<super::halving::Halving>,
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
        let fits = match &self.halving {
            Some(h) => h.plan.fits(self.splits.len()),
            None => self.loaded.candidates.len() * self.splits.len(),
        };
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
        s.push_str(&self.folds_text());
        s.push_str(&self.search_text());
        match &self.halving {
            Some(h) => s.push_str(&format!(
                "plan: {} candidates in {} rungs = {} fits, then 1 refit\n",
                self.loaded.candidates.len(),
                h.plan.rungs.len(),
                fits
            )),
            None => s.push_str(&format!(
                "plan: {} candidates x {} folds = {} fits, then 1 refit\n",
                self.loaded.candidates.len(),
                self.splits.len(),
                fits
            )),
        }
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

impl Prepared {
    /// Time-series folds are windows whose sizes differ: the plan says each one's.
    fn folds_text(&self) -> String {
        let cv = &self.base().cv;
        if cv.method != config::CvMethod::TimeSeries {
            return String::new();
        }
        let mut s = format!(
            "cv: time_series, {} folds in {} (gap {}, max_train_size {})\n",
            self.splits.len(),
            cv.order_by
                .as_ref()
                .map_or("file order".to_string(), |c| format!("the order of `{c}`")),
            cv.gap,
            cv.max_train_size
                .map_or("none".to_string(), |m| m.to_string()),
        );
        for split in &self.splits {
            s.push_str(&format!(
                "  fold {}: {} training rows, {} validation rows\n",
                split.fold,
                split.train.len(),
                split.valid.len()
            ));
        }
        s
    }

    /// The search's lines of the plan: the strategy and every cut, said before any fit.
    pub fn search_text(&self) -> String {
        let b = self.base();
        let drawn = format!(
            "{} candidates drawn from seed {} (search.n_candidates = {})",
            self.made, b.seed, b.search.n_candidates
        );
        let made = match b.search.strategy {
            config::Strategy::Random => drawn,
            config::Strategy::Halving if self.made != self.grid_size() => drawn,
            _ => format!("{} candidates", self.made),
        };
        let mut s = format!("search: {}, {made}\n", b.search.strategy.name());
        if let Some(h) = &self.halving {
            s.push_str(&h.plan_text(self.splits.len()));
        }
        if let Some(line) = self.cut_line() {
            s.push_str(&line);
            s.push('\n');
        }
        match b.search.threshold {
            Some(config::Threshold::Tune) => s.push_str(&format!(
                "threshold: tuned per candidate, the probability cut that maximises {} over its \
                 folds' validation rows ({} thresholds)\n",
                b.metric.name(),
                crate::metrics::threshold::N_THRESHOLDS
            )),
            Some(config::Threshold::Fixed(t)) => s.push_str(&format!(
                "threshold: a row is the positive class when its probability is at least {t}\n"
            )),
            None => {}
        }
        if !b.search.stop_when.is_empty() {
            let checks: Vec<String> = b
                .search
                .stop_when
                .iter()
                .map(|e| format!("{} {}", e.key(), e.bound.text()))
                .collect();
            s.push_str(&format!(
                "stop_when {}: the search ends at the first candidate, in candidate order, that meets it; \
                 later ones are not run\n",
                checks.join(" and ")
            ));
        }
        if let Some(secs) = b.search.max_seconds {
            s.push_str(&format!(
                "max_seconds {secs}: no candidate starts after {secs} s of search; which candidates \
                 finish depends on the machine\n"
            ));
        }
        s
    }

    /// The candidates a grid strategy would make (for telling a halving search's draws apart).
    fn grid_size(&self) -> usize {
        if self
            .loaded
            .document
            .get("search")
            .and_then(|s| s.get("n_candidates"))
            .is_some()
        {
            usize::MAX
        } else {
            self.made
        }
    }

    /// "max_fits 20: ..." when max_fits cut the plan.
    pub fn cut_line(&self) -> Option<String> {
        let max = self.base().search.max_fits?;
        let kept = self.loaded.candidates.len();
        if let (Some(h), true) = (&self.halving, kept < self.made) {
            return Some(format!(
                "max_fits {max}: the first {kept} of {} candidates in candidate order, whose \
                 halving plan takes {} fits",
                self.made,
                h.plan.fits(self.splits.len())
            ));
        }
        (kept < self.made).then(|| {
            format!(
                "max_fits {max}: the first {kept} of {} candidates in candidate order \
                 ({max} // {} folds = {kept} whole candidates)",
                self.made,
                self.splits.len()
            )
        })
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

fn prepare_loaded(mut loaded: LoadedPipeline) -> Result<Prepared> {
    let base = loaded.base().clone();
    let spill = super::spill::spill_above(&loaded)?;
    let dataset = data::load_spilling(&base, Some(&loaded.source), spill)?;
    let data_hash = dataset.content_hash.clone();
    let positive = positive_class(&base, &dataset, &loaded)?;
    binary_for_threshold(&base, &dataset, &loaded)?;
    models_take_weights(&base, &loaded)?;
    class_weights_name_classes(&dataset, &loaded)?;
    let (train_rows, test_rows) = search::holdout(&base, &dataset);
    let (splits, mut warnings) = search::cv_splits(&base, &dataset, &train_rows)?;
    weighted_rows_in_every_fold(&base, &dataset, &splits, &test_rows)?;
    let made = loaded.candidates.len();
    if let Some(max) = base.search.max_fits {
        let folds = splits.len().max(1);
        if max < folds {
            return Err(KilnError::Config(loaded.source.error_at(
                &["search".into(), "max_fits".into()],
                &format!(
                    "`search.max_fits` = {max} is less than one candidate's fits ({folds}, one per fold): \
                     give at least {folds}"
                ),
            )));
        }
        // Whole candidates in candidate order, so the cut is the same on every machine and shard
        // (a halving search's: as many as its whole plan fits, see `plan_halving`).
        if base.search.halving.is_none() {
            loaded.candidates.truncate(max / folds);
        }
    }
    let halving = super::halving::plan_halving(
        &base,
        &loaded.source,
        &dataset,
        &train_rows,
        &splits,
        loaded.candidates.len(),
    )?;
    if let Some(h) = &halving {
        loaded.candidates.truncate(h.plan.rungs[0].candidates);
        // Every rung's value of a parameter resource is checked now, not when its rung starts.
        for rung in 0..h.plan.rungs.len() {
            h.candidates_at_checked(&loaded, rung)?;
        }
    }
    let mut all = dataset.warnings.clone();
    all.append(&mut warnings);
    all.extend(crate::data::profile::id_warnings(&dataset.features));
    Ok(Prepared {
        loaded,
        dataset,
        data_hash,
        train_rows,
        test_rows,
        splits,
        positive,
        warnings: all,
        made,
        halving,
    })
}

/// A `class_weight` table names classes of the target: a label it does not have is a typo.
fn class_weights_name_classes(ds: &Dataset, loaded: &LoadedPipeline) -> Result<()> {
    let Some(TargetData::Classes { classes, .. }) = &ds.target else {
        return Ok(());
    };
    for c in &loaded.candidates {
        let Some(cw) = c.pipeline.model.class_weight() else {
            continue;
        };
        if let Some(label) = cw.unknown_labels(classes).first() {
            return Err(KilnError::Config(loaded.source.error_at(
                &["model".into(), "class_weight".into()],
                &format!(
                    "`model.class_weight` names class `{label}` (candidate {}), which `{}` does not \
                     have{}; its classes: {}",
                    c.index,
                    c.pipeline.data.target.as_deref().unwrap_or(""),
                    crate::error::did_you_mean(label, classes.iter().map(String::as_str)),
                    classes.join(", ")
                ),
            )));
        }
    }
    Ok(())
}

/// `data.weight` needs every candidate's model to weight its fit.
fn models_take_weights(p: &Pipeline, loaded: &LoadedPipeline) -> Result<()> {
    if p.data.weight.is_none() {
        return Ok(());
    }
    let Some(c) = loaded
        .candidates
        .iter()
        .find(|c| !c.pipeline.model.takes_weights())
    else {
        return Ok(());
    };
    let name = c.pipeline.model.name();
    let why = if name == "knn" {
        "cannot weight rows: a neighbour vote has no per-row weight to give (scikit-learn's \
         KNeighbors models take no sample_weight either)"
            .to_string()
    } else {
        format!(
            "does not weight rows; the models that do: {}",
            crate::models::ModelSpec::weighted_model_names().join(", ")
        )
    };
    Err(KilnError::Config(loaded.source.error_at(
        &["data".into(), "weight".into()],
        &format!(
            "`data.weight` is set, but model `{name}` (candidate {}) {why}",
            c.index
        ),
    )))
}

/// Every fold's training rows and validation rows (and the holdout) need some weight: a fit on
/// rows that all weigh 0 learns nothing, and a weighted mean over them is 0 / 0.
fn weighted_rows_in_every_fold(
    p: &Pipeline,
    ds: &Dataset,
    splits: &[Split],
    test_rows: &[usize],
) -> Result<()> {
    let (Some(w), Some(column)) = (&ds.weights, &p.data.weight) else {
        return Ok(());
    };
    let weightless = |rows: &[usize]| !rows.is_empty() && rows.iter().all(|&r| w[r] == 0.0);
    let mut sides: Vec<(String, &[usize])> = Vec::new();
    for s in splits {
        sides.push((format!("fold {}: its training rows", s.fold), &s.train));
        sides.push((format!("fold {}: its validation rows", s.fold), &s.valid));
    }
    sides.push(("the holdout".to_string(), test_rows));
    match sides.into_iter().find(|(_, rows)| weightless(rows)) {
        Some((which, rows)) => Err(KilnError::Data(format!(
            "{which} ({} rows) all have weight 0 in `{column}` (`data.weight`): nothing to fit or \
             score there; check the weights, or change the folds",
            rows.len()
        ))),
        None => Ok(()),
    }
}

/// `search.threshold` needs two classes: one probability to cut.
fn binary_for_threshold(p: &Pipeline, ds: &Dataset, loaded: &LoadedPipeline) -> Result<()> {
    match (&ds.target, p.search.threshold) {
        (Some(TargetData::Classes { classes, .. }), Some(_)) if classes.len() != 2 => {
            Err(KilnError::Config(loaded.source.error_at(
                &["search".into(), "threshold".into()],
                &format!(
                    "`search.threshold` cuts a binary classifier's probability of the positive \
                     class, but `{}` has {} classes ({})",
                    p.data.target.as_deref().unwrap_or(""),
                    classes.len(),
                    classes.join(", ")
                ),
            )))
        }
        _ => Ok(()),
    }
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
