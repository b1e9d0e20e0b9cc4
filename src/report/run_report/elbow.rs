//! The report's elbow chart of a clustering search over `model.n_clusters`: the mean validation
//! inertia against the number of clusters, where the curve stops falling steeply being the usual
//! pick for k.

use super::RunFiles;
use crate::report::html::Page;
use crate::report::svg::{self, Series};
use std::collections::BTreeMap;

const KEY: &str = "model.n_clusters";

/// (k, the lowest mean inertia among the candidates with that k), in order of k; None unless
/// two values of k or more logged an inertia.
fn inertia_by_k(files: &RunFiles) -> Option<Vec<(f64, f64)>> {
    let mut best: BTreeMap<u64, f64> = BTreeMap::new();
    for t in files.trials.iter().filter(|t| t.is_ok()) {
        let (Some(k), Some(&inertia)) = (
            t.params.get(KEY).and_then(|v| v.as_u64()),
            t.mean.get("inertia"),
        ) else {
            continue;
        };
        let slot = best.entry(k).or_insert(inertia);
        *slot = slot.min(inertia);
    }
    (best.len() >= 2).then(|| best.into_iter().map(|(k, v)| (k as f64, v)).collect())
}

/// The elbow section; nothing for a run without inertia at two values of k.
pub(super) fn elbow_section(page: &mut Page, files: &RunFiles) {
    let Some(points) = inertia_by_k(files) else {
        return;
    };
    page.h3("Inertia against the number of clusters");
    page.note(
        "Each point is the lowest mean validation inertia (the sum of the validation rows' squared \
         distances to their nearest centre, averaged over folds) among the candidates with that \
         many clusters. Inertia always falls as k grows; where it stops falling steeply (the \
         elbow) is the usual choice of k.",
    );
    page.charts(&[svg::lines(
        &format!("inertia by {KEY}"),
        "n_clusters",
        "mean validation inertia",
        &[Series {
            name: "inertia".into(),
            points,
        }],
        false,
        &[],
    )]);
}
