//! The best candidate, refitted: its preprocessing and model fitted on every training row, its holdout
//! scores, and the artifact (model.json) that `kiln predict` and `kiln serve` load.

use super::prepare::Prepared;
use crate::artifact::{Artifact, DriftReference, InputColumn, FORMAT, VERSION};
use crate::config;
use crate::data::{ColumnData, TargetData};
use crate::metrics::Metric;
use crate::models::{FitCache, FittedModel, Task};
use crate::preprocess::FittedPreprocessor;
use crate::rng::{rng_for, Purpose};
use crate::search::{FoldData, Split, Trial};
use crate::util::clock::{now_secs, utc_iso};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The best successful trial: best mean of the metric, the lower candidate index on ties. Of a
/// halving search, of its last rung (as scikit-learn's best_index_): earlier rungs scored the
/// candidates on less resource.
pub fn best_trial(trials: &[Trial], metric: Metric) -> Option<&Trial> {
    let last_rung = trials.iter().filter_map(|t| t.rung).max();
    let mut best: Option<&Trial> = None;
    for t in trials.iter().filter(|t| t.is_ok() && t.rung == last_rung) {
        let Some(v) = t.mean.get(metric.name()) else {
            continue;
        };
        if best.is_none_or(|b| metric.better(*v, b.mean[metric.name()])) {
            best = Some(t);
        }
    }
    best
}

/// The candidate's preprocessing and model fitted on `split.train` (the targets of both sides of
/// `split` returned for scoring), with `rng`: the refit's, or a fold's as the search seeded it.
pub(crate) fn fit_on(
    prepared: &Prepared,
    cand: &config::Candidate,
    split: &Split,
    rng: &mut crate::rng::Rng,
) -> std::result::Result<(FittedPreprocessor, FittedModel, FoldData), String> {
    let p = &cand.pipeline;
    let ds = &prepared.dataset;
    let rows = &split.train;
    let pre = FittedPreprocessor::fit(&ds.features, rows, &p.impute, &p.encode, &p.scale);
    let fd = FoldData::new(
        ds.target.as_ref(),
        split,
        prepared.positive,
        ds.weights.as_deref(),
    );
    let cache = FitCache::default();
    // As in the search: a model that reads its design a column at a time is given it so.
    let columns = pre.columns_of(&ds.features, rows)?;
    let whole = || {
        pre.transform_design(&ds.features, Some(rows))
            .map(std::borrow::Cow::Owned)
    };
    let fit = p.model.fit_either(
        &columns,
        whole,
        (
            fd.train_targets(),
            fd.fit_weights(p.model.fit_class_weight(), ds).as_deref(),
        ),
        rng,
        p.seed,
        &cache,
    )?;
    drop(columns);
    Ok((pre, fit.model, fd))
}

/// Fits the candidate's preprocessing and model on every training row, and scores the holdout.
pub(crate) fn refit(
    prepared: &Prepared,
    cand: &config::Candidate,
    best: &Trial,
) -> std::result::Result<Artifact, String> {
    let p = &cand.pipeline;
    let ds = &prepared.dataset;
    let rows = &prepared.train_rows;
    let all = Split {
        fold: -1,
        train: rows.clone(),
        valid: prepared.test_rows.clone(),
    };
    let mut rng = rng_for(p.seed, Purpose::Refit, &[cand.index as u64]);
    let (pre, model, fd) = fit_on(prepared, cand, &all, &mut rng)?;
    let fd = fd.at_threshold(best.threshold);
    let mut test = BTreeMap::new();
    if !prepared.test_rows.is_empty() {
        let xt = pre.transform(&ds.features, Some(&prepared.test_rows))?;
        let out = model.predict(&xt);
        for m in &p.metrics {
            let score = m.score_weighted(fd.valid_truth(&xt), &out, fd.valid_weights())?;
            test.insert(m.name().to_string(), score);
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
        created_at: utc_iso(now_secs()),
        target: p.data.target.clone(),
        classes,
        positive_class,
        threshold: best.threshold,
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
        model,
        params: best.params.clone(),
        metric: p.metric.name().into(),
        cv: best.mean.clone(),
        test,
        data_hash: prepared.data_hash.clone(),
        training_rows: rows.len(),
        // Each column's reference is its own: made in parallel, kept in column order.
        drift: ds
            .features
            .par_iter()
            .map(|c| DriftReference::fit(c, rows))
            .collect(),
    })
}
