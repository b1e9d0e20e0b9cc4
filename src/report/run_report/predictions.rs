//! The report's section on the best model: model.json predicts the rows the run scored (the holdout,
//! or every training row without one), and the charts of those predictions (predicted against
//! actual and residuals; confusion matrix and ROC curves; cluster sizes).

use super::curves::{calibration_curve, precision_recall_curve, roc_curve};
use super::loss_curve::loss_curve_chart;
use super::permutation::permutation_section;
use super::weights::weights_chart;
use super::{value_text, ReportData, RunFiles};
use crate::artifact::Artifact;
use crate::config::Pipeline;
use crate::data::number_text::{num, pct};
use crate::data::profile::Histogram;
use crate::data::{self, Dataset, TargetData};
use crate::models::{Output, Task};
use crate::report::fmt::clip;
use crate::report::html::Page;
use crate::report::svg::{self, Bar, HeatColors, Reference, Series};
use crate::search;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Rows predicted per batch: bounds the memory of the design matrix on large data.
const BATCH: usize = 8192;
/// Points drawn in a scatter plot at most (evenly spaced through the rows).
const SCATTER_POINTS: usize = 2000;

/// What the best model said about the rows it was checked on.
enum Predicted {
    Regression {
        actual: Vec<f64>,
        predicted: Vec<f64>,
    },
    Classification {
        classes: Vec<String>,
        /// [actual][predicted] counts.
        confusion: Vec<Vec<usize>>,
        /// For each class, each row's (probability of the class, whether it is the class).
        scores: Vec<Vec<(f64, bool)>>,
        positive: Option<usize>,
    },
    Clustering {
        sizes: Vec<usize>,
    },
}

/// Predicts the holdout rows (or every row when there was none) with the saved model, in batches.
fn predict_rows(
    pipeline: &Pipeline,
    ds: &Dataset,
    artifact: &Artifact,
) -> std::result::Result<(Predicted, String), String> {
    let (_, test) = search::holdout(pipeline, ds);
    let n = ds.n_rows();
    let (rows, label) = if test.is_empty() {
        (
            (0..n).collect::<Vec<usize>>(),
            format!("{n} training rows (no holdout)"),
        )
    } else {
        let label = format!("{} holdout rows", test.len());
        (test, label)
    };
    // Batches in parallel, in order; each read through its one-hot slots by a model that can
    // (the dense form of a one-hot design is mostly zeros to write and read back).
    let outputs = rows
        .par_chunks(BATCH)
        .map(|batch| {
            let dense = std::cell::OnceCell::new();
            let x = artifact
                .preprocessor
                .transform_design(&ds.features, Some(batch))?;
            let out = artifact
                .model
                .predict_design(&x, || dense.get_or_init(|| x.to_dense()));
            Ok((batch, out))
        })
        .collect::<std::result::Result<Vec<_>, String>>()?;
    let predicted = match (&ds.target, artifact.task) {
        (Some(TargetData::Values(y)), Task::Regression) => {
            let mut actual = Vec::with_capacity(rows.len());
            let mut predicted = Vec::with_capacity(rows.len());
            for (batch, out) in &outputs {
                let Output::Values(v) = out else {
                    return Err("the model did not predict values".into());
                };
                actual.extend(batch.iter().map(|&r| y[r]));
                predicted.extend_from_slice(v);
            }
            Predicted::Regression { actual, predicted }
        }
        (Some(TargetData::Classes { labels, classes }), Task::Classification) => {
            let k = artifact.classes.len();
            // The data's class order and the model's agree on the same data; map by label anyway.
            let to_model: Vec<Option<usize>> = classes
                .iter()
                .map(|c| artifact.classes.iter().position(|m| m == c))
                .collect();
            let mut confusion = vec![vec![0usize; k]; k];
            let mut scores = vec![Vec::with_capacity(rows.len()); k];
            // The class binary metrics and a decision threshold are about: `positive_class`, or
            // the greater label.
            let positive_index = artifact.positive_index().unwrap_or(k.saturating_sub(1));
            for (batch, out) in &outputs {
                let Output::Proba(proba) = out else {
                    return Err("the model did not predict class probabilities".into());
                };
                // The confusion matrix counts the model's decisions: at its threshold, if it has one.
                let predicted =
                    crate::metrics::threshold::labels_at(proba, positive_index, artifact.threshold);
                for (i, &r) in batch.iter().enumerate() {
                    let Some(actual) = to_model.get(labels[r]).copied().flatten() else {
                        continue;
                    };
                    if let Some(&p) = predicted.get(i) {
                        if p < k {
                            confusion[actual][p] += 1;
                        }
                    }
                    for (c, s) in scores.iter_mut().enumerate().take(proba.n_cols.min(k)) {
                        s.push((proba.get(i, c), c == actual));
                    }
                }
            }
            let positive = (k == 2).then_some(positive_index);
            Predicted::Classification {
                classes: artifact.classes.clone(),
                confusion,
                scores,
                positive,
            }
        }
        (None, Task::Clustering) => {
            let mut sizes: Vec<usize> = Vec::new();
            for (_, out) in &outputs {
                let Output::Clusters { labels, .. } = out else {
                    return Err("the model did not assign clusters".into());
                };
                for &l in labels {
                    if l >= sizes.len() {
                        sizes.resize(l + 1, 0);
                    }
                    sizes[l] += 1;
                }
            }
            Predicted::Clustering { sizes }
        }
        _ => return Err("the data's target does not match the model's task".into()),
    };
    Ok((predicted, label))
}

/// Evenly spaced indices, at most `max` of `n`.
fn sample(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step)
}

pub(super) fn model_section(page: &mut Page, files: &RunFiles, data: ReportData) {
    page.h2("The best model");
    let artifact = match &files.artifact {
        Ok(a) => a,
        Err(e) => {
            page.p(&format!("No model to show: {e}{}.", no_model_reason(files)));
            return;
        }
    };
    page.p(&format!(
        "{} refitted on {} training rows; parameters: {}",
        model_name(files),
        artifact.training_rows,
        search::trial::params_text(&artifact.params)
    ));
    let read;
    let source = match data {
        ReportData::Loaded(ds) => files
            .pipeline
            .as_ref()
            .map(|p| (p, ds))
            .map_err(|e| format!("pipeline.toml no longer loads: {e}")),
        ReportData::File(path) => match prediction_source(files, path) {
            Err(why) => Err(why),
            Ok((p, path)) => {
                let mut at = p.clone();
                at.data_path = path;
                match data::load(&at, None) {
                    Ok(ds) => {
                        read = ds;
                        Ok((p, &read))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        },
    };
    match source.and_then(|(pipeline, ds)| predict_rows(pipeline, ds, artifact)) {
        Err(why) => page.note(&format!("Predictions not shown: {why}")),
        Ok((predicted, label)) => prediction_charts(page, &predicted, &label, artifact),
    }
    weights_chart(page, artifact);
    permutation_section(page, files);
    loss_curve_chart(page, artifact);
}

/// Why a run wrote no model.json, when its summary says.
fn no_model_reason(files: &RunFiles) -> String {
    let Some(s) = &files.summary else {
        return String::new();
    };
    if let Some(shard) = s.shard {
        return format!(
            ": this is shard {}/{}, which refits nothing (`kiln merge` the shards for the model)",
            shard.index, shard.count
        );
    }
    match s.status.as_str() {
        "interrupted" => format!(
            ": the run was interrupted before the refit (complete it with `kiln run {} --resume {}`)",
            s.pipeline_file,
            files.dir.display()
        ),
        "running" => ": the run has not finished (or was killed)".into(),
        "failed" => ": the run failed".into(),
        _ => String::new(),
    }
}

fn model_name(files: &RunFiles) -> String {
    let from_params = files
        .artifact
        .as_ref()
        .ok()
        .and_then(|a| a.params.get("model.type"))
        .map(value_text);
    from_params
        .or_else(|| {
            files
                .pipeline
                .as_ref()
                .ok()
                .map(|p| p.model.name().to_string())
        })
        .unwrap_or_else(|| "the model".into())
}

/// The pipeline and the data file to predict with; Err says why there are no predictions.
fn prediction_source<'a>(
    files: &'a RunFiles,
    data: Option<&Path>,
) -> std::result::Result<(&'a Pipeline, PathBuf), String> {
    let pipeline = files
        .pipeline
        .as_ref()
        .map_err(|e| format!("pipeline.toml no longer loads: {e}"))?;
    let recorded = files.summary.as_ref().map(|s| PathBuf::from(&s.data.path));
    let path = match (data, recorded) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(r)) => r,
        (None, None) => {
            return Err("no summary.json names the data file; pass --data FILE".into());
        }
    };
    if !path.is_file() {
        return Err(format!(
            "the data file {} is not there; pass --data FILE",
            path.display()
        ));
    }
    if let Some(s) = &files.summary {
        let hash = data::file_hash(&path).map_err(|e| e.to_string())?;
        if hash != s.data.hash {
            return Err(format!(
                "{} has changed since the run (hash {hash}, the run saw {})",
                path.display(),
                s.data.hash
            ));
        }
    }
    Ok((pipeline, path))
}

fn prediction_charts(page: &mut Page, predicted: &Predicted, label: &str, artifact: &Artifact) {
    let target = artifact.target.clone().unwrap_or_else(|| "target".into());
    match predicted {
        Predicted::Regression { actual, predicted } => {
            let n = actual.len();
            let residuals: Vec<f64> = actual.iter().zip(predicted).map(|(a, p)| a - p).collect();
            let rmse = (residuals.iter().map(|r| r * r).sum::<f64>() / n.max(1) as f64).sqrt();
            let mae = residuals.iter().map(|r| r.abs()).sum::<f64>() / n.max(1) as f64;
            let shown = n.min(SCATTER_POINTS);
            let note = format!(
                "{label}{}; rmse {}, mae {}",
                if shown < n {
                    format!(", {shown} drawn")
                } else {
                    String::new()
                },
                num(rmse),
                num(mae)
            );
            page.h3(&format!("Predictions on {label}"));
            let pairs: Vec<(f64, f64)> = sample(n, SCATTER_POINTS)
                .map(|i| (actual[i], predicted[i]))
                .collect();
            let resid_pairs: Vec<(f64, f64)> = sample(n, SCATTER_POINTS)
                .map(|i| (predicted[i], residuals[i]))
                .collect();
            let mut sorted = residuals.clone();
            sorted.sort_by(f64::total_cmp);
            let (lo, hi) = (
                crate::data::profile::quantile_sorted(&sorted, 0.005),
                crate::data::profile::quantile_sorted(&sorted, 0.995),
            );
            let (lo, hi) = if hi > lo {
                (lo, hi)
            } else {
                (lo - 1.0, hi + 1.0)
            };
            let bins = ((n as f64).sqrt().round() as usize).clamp(8, 40);
            let mut hist = Histogram::of(&residuals, lo, hi, bins);
            let outside = n - hist.counts.iter().sum::<usize>();
            if outside > 0 {
                hist.note = Some(format!(
                    "{outside} residuals beyond the 0.5% tails not drawn"
                ));
            }
            page.charts(&[
                svg::scatter(
                    &format!("Predicted against actual {target}"),
                    &format!("actual {target}"),
                    &format!("predicted {target}"),
                    &pairs,
                    Reference::Diagonal,
                    Some(&note),
                ),
                svg::scatter(
                    "Residuals against predictions",
                    &format!("predicted {target}"),
                    "residual (actual - predicted)",
                    &resid_pairs,
                    Reference::Zero,
                    None,
                ),
                svg::histogram("Residuals", "residual (actual - predicted)", &hist),
            ]);
        }
        Predicted::Classification {
            classes,
            confusion,
            scores,
            positive,
        } => {
            let total: usize = confusion.iter().flatten().sum();
            let right: usize = (0..classes.len()).map(|i| confusion[i][i]).sum();
            page.h3(&format!("Predictions on {label}"));
            page.p(&format!(
                "accuracy {} ({right} of {total} rows)",
                pct(right as f64 / total.max(1) as f64)
            ));
            let max = confusion.iter().flatten().copied().max().unwrap_or(0) as f64;
            let cells: Vec<Vec<Option<f64>>> = confusion
                .iter()
                .map(|r| r.iter().map(|c| Some(*c as f64)).collect())
                .collect();
            let text: Vec<Vec<String>> = confusion
                .iter()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            let mut charts = vec![svg::heatmap(
                "Confusion matrix (rows: actual, columns: predicted)",
                classes,
                classes,
                &cells,
                Some(&text),
                HeatColors::Sequential { max },
                &format!("predicted {target}"),
                &format!("actual {target}"),
            )];
            let curves: Vec<Series> = match positive {
                Some(p) => roc_curve(&scores[*p])
                    .map(|(points, auc)| Series {
                        name: format!("{} (AUC {:.3})", classes[*p], auc),
                        points,
                    })
                    .into_iter()
                    .collect(),
                None => classes
                    .iter()
                    .zip(scores)
                    .filter_map(|(c, s)| {
                        roc_curve(s).map(|(points, auc)| Series {
                            name: format!("{} vs rest (AUC {:.3})", clip(c, 20), auc),
                            points,
                        })
                    })
                    .collect(),
            };
            if !curves.is_empty() {
                charts.push(svg::lines(
                    "ROC curve",
                    "false positive rate",
                    "true positive rate",
                    &curves,
                    true,
                    &[],
                ));
            }
            charts.extend(precision_and_calibration(classes, scores, *positive));
            page.charts(&charts);
        }
        Predicted::Clustering { sizes } => {
            page.h3(&format!("Clusters of {label}"));
            let total: usize = sizes.iter().sum();
            let bars: Vec<Bar> = sizes
                .iter()
                .enumerate()
                .map(|(i, s)| Bar {
                    label: format!("cluster {i}"),
                    value: *s as f64,
                    text: format!("{s} ({})", pct(*s as f64 / total.max(1) as f64)),
                })
                .collect();
            page.charts(&[svg::hbar("Cluster sizes", "rows", &bars)]);
        }
    }
}

/// Reliability-curve bins, scikit-learn's default n_bins.
const CALIBRATION_BINS: usize = 10;

/// The precision-recall curve (of the positive class, or of each class against the rest) and, for
/// two classes, the reliability curve of the positive class's probability.
fn precision_and_calibration(
    classes: &[String],
    scores: &[Vec<(f64, bool)>],
    positive: Option<usize>,
) -> Vec<String> {
    let of = |c: usize, name: String| {
        precision_recall_curve(&scores[c]).map(|(points, ap)| Series {
            name: format!("{name} (AP {ap:.3})"),
            points,
        })
    };
    let curves: Vec<Series> = match positive {
        Some(p) => of(p, classes[p].clone()).into_iter().collect(),
        None => (0..classes.len().min(scores.len()))
            .filter_map(|c| of(c, format!("{} vs rest", clip(&classes[c], 20))))
            .collect(),
    };
    let mut charts = Vec::new();
    if !curves.is_empty() {
        charts.push(svg::lines(
            "Precision-recall curve",
            "recall",
            "precision",
            &curves,
            false,
            &[],
        ));
    }
    if let Some(p) = positive {
        let points = calibration_curve(&scores[p], CALIBRATION_BINS);
        if points.len() > 1 {
            charts.push(svg::lines(
                &format!("Reliability curve ({CALIBRATION_BINS} bins)"),
                &format!("mean predicted probability of {}", clip(&classes[p], 20)),
                "share of rows that are it",
                &[Series {
                    name: clip(&classes[p], 20),
                    points,
                }],
                true,
                &[],
            ));
        }
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_keeps_at_most_the_asked_number() {
        assert_eq!(sample(10, 3).collect::<Vec<_>>(), [0, 4, 8]);
        assert_eq!(sample(3, 10).count(), 3);
    }
}
