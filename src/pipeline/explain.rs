//! Explaining the best candidate: permutation importance on the holdout (or out of fold), as
//! `sklearn.inspection.permutation_importance(model, X_test, y_test, scoring=metric,
//! n_repeats=permutation_repeats, random_state=seed)` computes it on the whole pipeline. Each input
//! column in turn has its holdout values shuffled among the holdout rows; the column's importance
//! is how much the metric gets worse. The shuffles are numpy's (`rng::numpy`), drawn as
//! scikit-learn draws them, so the two give the same numbers for the same seed and rows.

use super::prepare::Prepared;
use super::refit::fit_on;
use crate::artifact::Artifact;
use crate::config::Candidate;
use crate::data::{Column, ColumnData};
use crate::matrix::Matrix;
use crate::models::{FittedModel, Output, Task};
use crate::preprocess::FittedPreprocessor;
use crate::rng::numpy::RandomState;
use crate::rng::{rng_for, Purpose};
use crate::runlog::summary::{FeatureImportance, PermutationImportance};
use crate::search::executor::FoldData;
use crate::search::Split;
use rayon::prelude::*;

/// `rows` of `column`, in that order.
fn rows_of(column: &Column, rows: &[usize]) -> Column {
    let data = match &column.data {
        ColumnData::Numeric(v) => {
            let picked = rows.iter().map(|&r| v[r]).collect();
            v.release();
            ColumnData::Numeric(picked)
        }
        ColumnData::Categorical { codes, dictionary } => ColumnData::Categorical {
            codes: rows.iter().map(|&r| codes[r]).collect(),
            dictionary: dictionary.clone(),
        },
    };
    Column {
        name: column.name.clone(),
        data,
    }
}

/// The row orders of the `repeats` shuffles: scikit-learn draws one seed from
/// `RandomState(random_state)` and shuffles one index array `repeats` times in a row from
/// `RandomState(that seed)`, the same sequence for every column. Each repeat indexes the column
/// as the previous repeat left it (`X[:, j] = X[idx, j]` in place), so repeat r reads the
/// original rows through every index array so far, composed.
fn shuffles(seed: u64, n: usize, repeats: usize) -> Vec<Vec<usize>> {
    // numpy takes seeds below 2^32; a larger pipeline seed is taken modulo 2^32.
    let column_seed = RandomState::new(seed as u32).below_2_pow_31();
    let mut rs = RandomState::new(column_seed);
    let mut index: Vec<usize> = (0..n).collect();
    let mut composed: Vec<usize> = (0..n).collect();
    (0..repeats)
        .map(|_| {
            rs.shuffle(&mut index);
            composed = index.iter().map(|&i| composed[i]).collect();
            composed.clone()
        })
        .collect()
}

/// Rows predicted at once while scoring: bounds the memory of a design (the dense form some
/// models read is rows x every one-hot column), where a whole fold's validation rows at 10^7 rows
/// are 2 million.
const BATCH: usize = 1 << 14;

/// The model's output on `columns` (each a column of the rows scored), column `shuffled.0` read
/// through the row order `shuffled.1`, predicted a batch of rows at a time.
fn predict_batched(
    pre: &FittedPreprocessor,
    model: &FittedModel,
    columns: &[Column],
    shuffled: Option<(usize, &[usize])>,
) -> Result<Output, String> {
    let n = columns.first().map_or(0, Column::len);
    let parts = (0..n)
        .step_by(BATCH)
        .map(|start| {
            let at: Vec<usize> = (start..(start + BATCH).min(n)).collect();
            let batch: Vec<Column> = columns
                .iter()
                .enumerate()
                .map(|(k, c)| match shuffled {
                    Some((j, order)) if j == k => {
                        rows_of(c, &at.iter().map(|&i| order[i]).collect::<Vec<_>>())
                    }
                    _ => rows_of(c, &at),
                })
                .collect();
            let x = pre.transform_design(&batch, None)?;
            let dense = std::cell::OnceCell::new();
            Ok(model.predict_design(&x, || dense.get_or_init(|| x.to_dense())))
        })
        .collect::<Result<Vec<Output>, String>>()?;
    Ok(Output::concat(parts).unwrap_or(Output::Values(Vec::new())))
}

/// The importances of every input column on `rows` for one fitted model: (the metric on the
/// unshuffled rows, per column its importance per repeat).
fn importances_on(
    prepared: &Prepared,
    pre: &FittedPreprocessor,
    model: &FittedModel,
    truth: &FoldData,
    rows: &[usize],
) -> Result<(f64, Vec<Vec<f64>>), String> {
    let p = prepared.base();
    let repeats = p.explain.permutation_repeats;
    let metric = p.metric;
    let rows_only: Vec<Column> = prepared
        .dataset
        .features
        .iter()
        .map(|c| rows_of(c, rows))
        .collect();
    // The metrics scored here read the targets alone (clustering has no importance).
    let no_rows = Matrix::zeros(0, 0);
    let score = |shuffled: Option<(usize, &[usize])>| -> Result<f64, String> {
        let out = predict_batched(pre, model, &rows_only, shuffled)?;
        metric.score_weighted(truth.valid_truth(&no_rows), &out, truth.valid_weights())
    };
    let baseline = score(None)?;
    let orders = shuffles(p.seed, rows.len(), repeats);
    // Every (column, repeat) on its own, in parallel; collected in order, so the same for any --jobs.
    let tasks: Vec<(usize, usize)> = (0..rows_only.len())
        .flat_map(|j| (0..repeats).map(move |r| (j, r)))
        .collect();
    let scores: Vec<f64> = tasks
        .par_iter()
        .map(|&(j, r)| score(Some((j, &orders[r]))))
        .collect::<Result<_, String>>()?;
    let sign = if metric.greater_is_better() {
        1.0
    } else {
        -1.0
    };
    let per_column = scores
        .chunks(repeats)
        .map(|shuffled| shuffled.iter().map(|s| sign * (baseline - s)).collect())
        .collect();
    Ok((baseline, per_column))
}

/// On the holdout, with the refitted model; without one, out of fold: the candidate fitted on
/// each fold's training rows again (as the search fitted it) and its importances taken on that
/// fold's validation rows, then averaged over the folds, repeat by repeat. None for clustering or
/// with `explain.permutation_repeats = 0`.
pub(crate) fn permutation_importance(
    prepared: &Prepared,
    cand: &Candidate,
    artifact: &Artifact,
) -> Result<Option<PermutationImportance>, String> {
    let p = prepared.base();
    let repeats = p.explain.permutation_repeats;
    if repeats == 0 || p.task == Task::Clustering {
        return Ok(None);
    }
    let (on, baseline, per_column) = if !prepared.test_rows.is_empty() {
        let split = Split {
            fold: -1,
            train: Vec::new(),
            valid: prepared.test_rows.clone(),
        };
        let truth = FoldData::new(
            prepared.dataset.target.as_ref(),
            &split,
            prepared.positive,
            prepared.dataset.weights.as_deref(),
        )
        .at_threshold(artifact.threshold);
        let (b, per) = importances_on(
            prepared,
            &artifact.preprocessor,
            &artifact.model,
            &truth,
            &prepared.test_rows,
        )?;
        ("holdout", b, per)
    } else {
        let mut baselines = Vec::new();
        let mut sums: Vec<Vec<f64>> = Vec::new();
        for (f, split) in prepared.splits.iter().enumerate() {
            let mut rng = rng_for(p.seed, Purpose::Fit, &[cand.index as u64, f as u64]);
            let (pre, model, truth) = fit_on(prepared, cand, split, &mut rng)?;
            let truth = truth.at_threshold(artifact.threshold);
            let (b, per) = importances_on(prepared, &pre, &model, &truth, &split.valid)?;
            baselines.push(b);
            if sums.is_empty() {
                sums = per;
            } else {
                for (s, v) in sums.iter_mut().flatten().zip(per.into_iter().flatten()) {
                    *s += v;
                }
            }
        }
        let k = baselines.len().max(1) as f64;
        for v in sums.iter_mut().flatten() {
            *v /= k;
        }
        ("out_of_fold", baselines.iter().sum::<f64>() / k, sums)
    };
    let features = prepared
        .dataset
        .features
        .iter()
        .zip(per_column)
        .map(|(column, importances)| {
            let mean = importances.iter().sum::<f64>() / repeats as f64;
            let var = importances.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / repeats as f64;
            FeatureImportance {
                feature: column.name.clone(),
                mean,
                std: var.sqrt(),
                importances,
            }
        })
        .collect();
    Ok(Some(PermutationImportance {
        on: on.into(),
        metric: p.metric.name().into(),
        n_repeats: repeats,
        random_state: p.seed,
        baseline,
        features,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffles_are_numpys_repeat_after_repeat() {
        // numpy: s = RandomState(0).randint(2**31); rs = RandomState(s); x = idx = np.arange(6);
        // twice: rs.shuffle(idx); x = x[idx]; print(x).
        assert_eq!(
            shuffles(0, 6, 2),
            vec![vec![1, 5, 0, 2, 3, 4], vec![5, 3, 2, 0, 4, 1]]
        );
    }

    #[test]
    fn rows_of_keeps_the_dictionary() {
        let c = Column {
            name: "c".into(),
            data: ColumnData::Categorical {
                codes: vec![0, 1, 2],
                dictionary: vec!["a".into(), "b".into(), "c".into()],
            },
        };
        let picked = rows_of(&c, &[2, 0]);
        assert_eq!(
            picked.data,
            ColumnData::Categorical {
                codes: vec![2, 0],
                dictionary: vec!["a".into(), "b".into(), "c".into()],
            }
        );
    }
}
