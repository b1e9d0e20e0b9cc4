//! The drift reference of a model file: each input column's training distribution (deciles or
//! category shares), fitted at refit and checked for its own shape on load.

use crate::data::profile::quantile_sorted;
use crate::data::{Column, ColumnData, MISSING_CODE};
use serde::{Deserialize, Serialize};

/// A column's training distribution, the reference for drift scores (population stability index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DriftReference {
    /// `edges` are the inner bin edges (training deciles); `shares[i]` is the share of training rows
    /// in bin i (x <= edges[0], edges[0] < x <= edges[1], ..., x > last edge); `missing` the share
    /// of missing values.
    Numeric {
        name: String,
        edges: Vec<f64>,
        shares: Vec<f64>,
        missing: f64,
    },
    /// Shares of each training category, and of missing values.
    Categorical {
        name: String,
        categories: Vec<String>,
        shares: Vec<f64>,
        missing: f64,
    },
}

impl DriftReference {
    /// How far the shares of one table may sum past 1 (they are written as rounded fractions).
    const SHARE_SUM_SLACK: f64 = 1e-6;

    /// What is wrong with this table's own shape, if anything: per numeric column, finite strictly
    /// increasing edges and one share per bin (edges + 1); per categorical column, distinct
    /// categories and one share each; every share a fraction in [0, 1], summing to at most 1. A
    /// table that fails would index past its end, or bin nonsense, in the middle of a request.
    pub fn shape_error(&self) -> Option<String> {
        let (shares, missing) = match self {
            DriftReference::Numeric {
                edges,
                shares,
                missing,
                ..
            } => {
                if let Some(e) = edges.iter().find(|e| !e.is_finite()) {
                    return Some(format!("has an edge {e}; edges must be finite numbers"));
                }
                if let Some(w) = edges.windows(2).position(|w| w[0] >= w[1]) {
                    return Some(format!(
                        "has edges out of order ({} then {}); they must increase",
                        edges[w],
                        edges[w + 1]
                    ));
                }
                if shares.len() != edges.len() + 1 {
                    return Some(format!(
                        "has {} shares for {} edges; it needs {} (one per bin)",
                        shares.len(),
                        edges.len(),
                        edges.len() + 1
                    ));
                }
                (shares, *missing)
            }
            DriftReference::Categorical {
                categories,
                shares,
                missing,
                ..
            } => {
                if shares.len() != categories.len() {
                    return Some(format!(
                        "has {} shares for {} categories; it needs one per category",
                        shares.len(),
                        categories.len()
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(c) = categories.iter().find(|c| !seen.insert(c.as_str())) {
                    return Some(format!("lists the category `{c}` twice"));
                }
                (shares, *missing)
            }
        };
        if let Some(s) = shares
            .iter()
            .chain([&missing])
            .find(|s| !(0.0..=1.0).contains(*s))
        {
            return Some(format!("has a share {s}; shares are fractions in [0, 1]"));
        }
        let sum = shares.iter().sum::<f64>() + missing;
        if sum > 1.0 + Self::SHARE_SUM_SLACK {
            return Some(format!("has shares summing to {sum}, more than 1"));
        }
        None
    }
}

/// Bins of the drift reference: deciles.
const DRIFT_BINS: usize = 10;

impl DriftReference {
    pub fn fit(col: &Column, rows: &[usize]) -> DriftReference {
        let n = rows.len().max(1) as f64;
        match &col.data {
            ColumnData::Numeric(v) => {
                let mut present: Vec<f64> =
                    rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
                v.release();
                let missing = (rows.len() - present.len()) as f64 / n;
                // Sorted once for all nine deciles (the order statistics a selection per decile
                // would find, so the same edges).
                present.sort_unstable_by(f64::total_cmp);
                let mut edges: Vec<f64> = (1..DRIFT_BINS)
                    .map(|k| quantile_sorted(&present, k as f64 / DRIFT_BINS as f64))
                    .filter(|e| e.is_finite())
                    .collect();
                edges.dedup();
                let mut counts = vec![0usize; edges.len() + 1];
                for x in &present {
                    counts[numeric_bin(&edges, *x)] += 1;
                }
                DriftReference::Numeric {
                    name: col.name.clone(),
                    shares: counts.iter().map(|c| *c as f64 / n).collect(),
                    edges,
                    missing,
                }
            }
            ColumnData::Categorical { codes, dictionary } => {
                let mut counts = vec![0usize; dictionary.len()];
                let mut missing = 0usize;
                for &i in rows {
                    match codes[i] {
                        MISSING_CODE => missing += 1,
                        c => counts[c as usize] += 1,
                    }
                }
                let (categories, shares) = dictionary
                    .iter()
                    .zip(&counts)
                    .filter(|(_, c)| **c > 0)
                    .map(|(d, c)| (d.clone(), *c as f64 / n))
                    .unzip();
                DriftReference::Categorical {
                    name: col.name.clone(),
                    categories,
                    shares,
                    missing: missing as f64 / n,
                }
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            DriftReference::Numeric { name, .. } | DriftReference::Categorical { name, .. } => name,
        }
    }
}

/// The bin of x given inner edges: the first edge >= x, or past the last.
pub fn numeric_bin(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|e| *e < x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_reference_bins_training_values() {
        let col = Column {
            name: "x".into(),
            data: ColumnData::Numeric((0..100).map(f64::from).collect()),
        };
        let rows: Vec<usize> = (0..100).collect();
        let DriftReference::Numeric {
            edges,
            shares,
            missing,
            ..
        } = DriftReference::fit(&col, &rows)
        else {
            panic!("numeric column")
        };
        assert_eq!(edges.len(), 9);
        assert_eq!(shares.len(), 10);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(missing, 0.0);
        assert_eq!(numeric_bin(&edges, -5.0), 0);
        assert_eq!(numeric_bin(&edges, 1000.0), 9);
    }
}
