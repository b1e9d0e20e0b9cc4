//! Splitting rows: the holdout (test_size) and the cross-validation folds. Every split is expressed as
//! sorted dataset row indices and derives its randomness from the pipeline seed alone.

use crate::config::{CvMethod, Pipeline};
use crate::data::{Dataset, TargetData};
use crate::error::{KilnError, Result};
use crate::models::Task;
use crate::rng::{rng_for, shuffle, Purpose};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// One fold: which rows train and which validate, and the fold's name in logs.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub fold: i64,
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

/// The class of each row, when the pipeline classifies.
fn classes_of(ds: &Dataset) -> Option<&[usize]> {
    match &ds.target {
        Some(TargetData::Classes { labels, .. }) => Some(labels),
        _ => None,
    }
}

/// Splits off the holdout: (training rows, test rows), each sorted. Stratified for classification.
pub fn holdout(p: &Pipeline, ds: &Dataset) -> (Vec<usize>, Vec<usize>) {
    let n = ds.n_rows();
    let Some(test_size) = p.data.test_size else {
        return ((0..n).collect(), Vec::new());
    };
    let n_test = ((test_size * n as f64).ceil() as usize).clamp(1, n.saturating_sub(1));
    if p.cv.method == CvMethod::TimeSeries {
        // As train_test_split(shuffle=False) on rows in time order: the test rows are the last.
        let order = time_order(ds, (0..n).collect());
        let (mut train, mut test) = (order[..n - n_test].to_vec(), order[n - n_test..].to_vec());
        train.sort_unstable();
        test.sort_unstable();
        return (train, test);
    }
    let mut rng = rng_for(p.seed, Purpose::Holdout, &[]);
    let mut test = Vec::with_capacity(n_test);
    match (p.task, classes_of(ds)) {
        (Task::Classification, Some(labels)) => {
            let by_class = rows_by_class(labels, (0..n).collect());
            // Largest remainder: each class gives its share of n_test.
            let mut quotas: Vec<(usize, f64)> = by_class
                .iter()
                .map(|rows| {
                    let exact = n_test as f64 * rows.len() as f64 / n as f64;
                    (exact.floor() as usize, exact - exact.floor())
                })
                .collect();
            let mut left = n_test - quotas.iter().map(|q| q.0).sum::<usize>();
            let mut order: Vec<usize> = (0..quotas.len()).collect();
            order.sort_by(|a, b| quotas[*b].1.total_cmp(&quotas[*a].1).then(a.cmp(b)));
            for c in order {
                if left == 0 {
                    break;
                }
                if quotas[c].0 < by_class[c].len() {
                    quotas[c].0 += 1;
                    left -= 1;
                }
            }
            for (mut rows, (q, _)) in by_class.into_iter().zip(quotas) {
                shuffle(&mut rows, &mut rng);
                test.extend_from_slice(&rows[..q.min(rows.len())]);
            }
        }
        _ => {
            let mut rows: Vec<usize> = (0..n).collect();
            shuffle(&mut rows, &mut rng);
            test.extend_from_slice(&rows[..n_test]);
        }
    }
    test.sort_unstable();
    let mut is_test = vec![false; n];
    for &t in &test {
        is_test[t] = true;
    }
    ((0..n).filter(|i| !is_test[*i]).collect(), test)
}

fn rows_by_class(labels: &[usize], rows: Vec<usize>) -> Vec<Vec<usize>> {
    let n_classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class = vec![Vec::new(); n_classes];
    for r in rows {
        by_class[labels[r]].push(r);
    }
    by_class.retain(|c| !c.is_empty());
    by_class
}

/// `rows` in time order: by `cv.order_by`'s ranks, or as they are (file order) without it.
fn time_order(ds: &Dataset, mut rows: Vec<usize>) -> Vec<usize> {
    if let Some(ranks) = &ds.time_ranks {
        rows.sort_by_key(|&r| ranks[r]);
    }
    rows
}

/// scikit-learn's TimeSeriesSplit over `rows` in time order: `folds` validation blocks of
/// n // (folds + 1) rows each, the last ones in time; each fold trains on the rows before its
/// block less `gap`, the last `max_train_size` of them when that is set.
fn time_series_splits(p: &Pipeline, ds: &Dataset, rows: &[usize]) -> Result<Vec<Split>> {
    let order = time_order(ds, rows.to_vec());
    let (n, k, gap) = (order.len(), p.cv.folds, p.cv.gap);
    let block = n / (k + 1);
    if k + 1 > n || block == 0 || n <= gap + block * k {
        return Err(KilnError::Data(format!(
            "{n} rows cannot make {k} time-series folds with `cv.gap` = {gap}: each fold validates \
             on {n} // ({k} + 1) = {block} rows and needs training rows before them; lower \
             `cv.folds` or `cv.gap`"
        )));
    }
    Ok((0..k)
        .map(|f| {
            let start = n - block * (k - f);
            let end = start - gap;
            let first = p.cv.max_train_size.map_or(0, |m| end.saturating_sub(m));
            let mut train = order[first..end].to_vec();
            let mut valid = order[start..start + block].to_vec();
            train.sort_unstable();
            valid.sort_unstable();
            Split {
                fold: f as i64,
                train,
                valid,
            }
        })
        .collect())
}

/// The cross-validation splits of `rows`. Also returns warnings worth logging.
pub fn cv_splits(p: &Pipeline, ds: &Dataset, rows: &[usize]) -> Result<(Vec<Split>, Vec<String>)> {
    if p.cv.method == CvMethod::TimeSeries {
        return Ok((time_series_splits(p, ds, rows)?, Vec::new()));
    }
    let mut warnings = Vec::new();
    let assign: Vec<(usize, i64)> =
        if let (Some(ids), Some(col)) = (&ds.fold_ids, &p.cv.fold_column) {
            // At least two distinct values: some row's differs from the first row's.
            let first = rows.first().map(|&r| ids[r]);
            if !rows.iter().any(|&r| Some(ids[r]) != first) {
                return Err(KilnError::Data(format!(
                "fold column `{col}` holds {} distinct value(s); cross-validation needs at least 2",
                usize::from(first.is_some())
            )));
            }
            rows.iter().map(|&r| (r, ids[r])).collect()
        } else {
            let k = p.cv.folds;
            if rows.len() < k {
                return Err(KilnError::Data(format!(
                    "{} rows cannot be split into {k} folds; lower `cv.folds`",
                    rows.len()
                )));
            }
            let mut rng = rng_for(p.seed, Purpose::Folds, &[]);
            if let (Some(groups), Some(col)) = (&ds.groups, &p.cv.group_column) {
                group_folds(groups, col, rows, k)?
            } else if let (Task::Classification, true, Some(labels)) =
                (p.task, p.cv.stratify, classes_of(ds))
            {
                let mut by_class = rows_by_class(labels, rows.to_vec());
                for members in by_class.iter_mut() {
                    if members.len() < k {
                        // Empty classes were dropped: the class is that of its first row.
                        let name = match (&ds.target, members.first()) {
                            (Some(TargetData::Classes { classes, .. }), Some(&r)) => {
                                classes.get(labels[r]).map_or("", String::as_str)
                            }
                            _ => "",
                        };
                        warnings.push(format!(
                        "class `{name}` of the target has only {} rows, fewer than the {k} folds: \
                         some folds will not see it",
                        members.len()
                    ));
                    }
                    if p.cv.shuffle {
                        shuffle(members, &mut rng);
                    }
                }
                // Dealing the rows of each class round the folds keeps every fold's class shares even.
                by_class
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(pos, r)| (r, (pos % k) as i64))
                    .collect()
            } else {
                let mut order = rows.to_vec();
                if p.cv.shuffle {
                    shuffle(&mut order, &mut rng);
                }
                // As scikit-learn's KFold: contiguous blocks, the first n % k one row larger.
                let (base, extra) = (order.len() / k, order.len() % k);
                let mut out = Vec::with_capacity(order.len());
                let mut start = 0;
                for f in 0..k {
                    let size = base + usize::from(f < extra);
                    out.extend(order[start..start + size].iter().map(|&r| (r, f as i64)));
                    start += size;
                }
                out
            }
        };
    let mut by_fold: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (r, f) in &assign {
        by_fold.entry(*f).or_default().push(*r);
    }
    // Each fold's rows on their own, in parallel, kept in fold order.
    let by_fold: Vec<(i64, Vec<usize>)> = by_fold.into_iter().collect();
    let splits = by_fold
        .par_iter()
        .map(|(fold, valid)| {
            let fold = *fold;
            let mut valid = valid.clone();
            valid.sort_unstable();
            let mut train: Vec<usize> = assign
                .iter()
                .filter(|(_, f)| *f != fold)
                .map(|(r, _)| *r)
                .collect();
            train.sort_unstable();
            Split { fold, train, valid }
        })
        .collect();
    Ok((splits, warnings))
}

/// scikit-learn's GroupKFold: groups from largest to smallest, each to the fold with fewest rows.
fn group_folds(
    groups: &[String],
    col: &str,
    rows: &[usize],
    k: usize,
) -> Result<Vec<(usize, i64)>> {
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for &r in rows {
        *sizes.entry(groups[r].as_str()).or_default() += 1;
    }
    if sizes.len() < k {
        return Err(KilnError::Data(format!(
            "group column `{col}` has {} groups, fewer than the {k} folds; lower `cv.folds`",
            sizes.len()
        )));
    }
    let mut order: Vec<(&str, usize)> = sizes.into_iter().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut load = vec![0usize; k];
    let mut fold_of: BTreeMap<&str, i64> = BTreeMap::new();
    for (g, size) in order {
        let f = (0..k).min_by_key(|f| (load[*f], *f)).unwrap_or(0);
        load[f] += size;
        fold_of.insert(g, f as i64);
    }
    Ok(rows
        .iter()
        .map(|&r| (r, fold_of[groups[r].as_str()]))
        .collect())
}
