//! The report's chart of the best model's permutation importance (summary.json's
//! `permutation_importance`): how much the metric gets worse when one column is shuffled.

use super::RunFiles;
use crate::data::number_text::num;
use crate::report::html::Page;
use crate::report::svg::{self, Bar};

/// Columns shown at most (the most important).
const SHOWN: usize = 25;

/// The permutation-importance section; nothing when the run computed none.
pub(super) fn permutation_section(page: &mut Page, files: &RunFiles) {
    let Some(p) = files
        .summary
        .as_ref()
        .and_then(|s| s.permutation_importance.as_ref())
    else {
        return;
    };
    let mut order: Vec<usize> = (0..p.features.len()).collect();
    order.sort_by(|a, b| {
        p.features[*b]
            .mean
            .total_cmp(&p.features[*a].mean)
            .then(a.cmp(b))
    });
    let bars: Vec<Bar> = order
        .iter()
        .take(SHOWN)
        .map(|&i| {
            let f = &p.features[i];
            Bar {
                label: f.feature.clone(),
                value: f.mean,
                text: format!("{} ± {}", num(f.mean), num(f.std)),
            }
        })
        .collect();
    let out_of_fold = p.on == "out_of_fold";
    page.h3(if out_of_fold {
        "Permutation importance (out of fold)"
    } else {
        "Permutation importance (holdout)"
    });
    let rows = if out_of_fold {
        "each fold's validation rows (the candidate fitted on the fold's training rows, as the \
         search fitted it; averaged over the folds)"
    } else {
        "the holdout rows"
    };
    page.note(&format!(
        "Each bar is how much the {metric} gets worse (from {base}) when one input column's \
         values are shuffled among {rows}, the mean of {n} shuffles ± their standard deviation, \
         as scikit-learn's permutation_importance with random_state = {seed}, which gives the \
         same numbers on the same rows. A column near 0 adds little the model cannot get \
         elsewhere; columns that carry the same information share it, so each may look less \
         important than it is.{more}",
        metric = p.metric,
        base = num(p.baseline),
        n = p.n_repeats,
        seed = p.random_state,
        more = if p.features.len() > SHOWN {
            format!(
                " The {SHOWN} most important of {} columns.",
                p.features.len()
            )
        } else {
            String::new()
        }
    ));
    page.charts(&[svg::hbar(
        &format!("permutation importance ({})", p.metric),
        &format!("drop in {}", p.metric),
        &bars,
    )]);
}
