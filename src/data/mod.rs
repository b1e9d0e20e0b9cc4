//! The data as the pipeline sees it: read with polars, derived columns added through polars SQL,
//! then split into column roles (features, target, folds, groups) and converted to the plain vectors
//! the numeric core works on: numbers as f64 (NaN = missing), categories as codes into a sorted
//! dictionary.

mod convert;
mod csv_types;
pub mod explore;
mod load;
pub mod number_text;
mod numbers;
mod order;
mod parquet;
pub mod profile;
pub mod read;
mod weight;

use crate::error::printable;
pub use convert::{encode_text, numeric_values, sort_labels, text_values};
pub use load::{derive_columns, load, load_spilling, MANY_CATEGORIES, MANY_NUMERIC_CLASSES};
pub use numbers::{Numbers, SpillFile};
pub use read::{file_hash, read_frame, TextOptions};
use serde::{Deserialize, Serialize};

/// Code of a missing category.
pub const MISSING_CODE: u32 = u32::MAX;

/// A feature column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// NaN marks a missing value.
    Numeric(Numbers),
    /// Codes into `dictionary` (sorted), `MISSING_CODE` for missing.
    Categorical {
        codes: Vec<u32>,
        dictionary: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
}

impl Column {
    pub fn kind(&self) -> ColumnKind {
        match self.data {
            ColumnData::Numeric(_) => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row i is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match &self.data {
            ColumnData::Numeric(v) => v[i].is_nan(),
            ColumnData::Categorical { codes, .. } => codes[i] == MISSING_CODE,
        }
    }

    fn keep_rows(&mut self, keep: &[bool]) {
        match &mut self.data {
            ColumnData::Numeric(v) => *v = filter(v, keep).into(),
            ColumnData::Categorical { codes, .. } => *codes = filter(codes, keep),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// The target, ready for models.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetData {
    Values(Vec<f64>),
    /// Class indices into `classes` (sorted: numerically when every label is a number).
    Classes {
        labels: Vec<usize>,
        classes: Vec<String>,
    },
}

/// A loaded dataset: features, target and the CV helper columns, all of one length.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub features: Vec<Column>,
    pub target: Option<TargetData>,
    pub fold_ids: Option<Vec<i64>>,
    pub groups: Option<Vec<String>>,
    /// `cv.order_by`: each row's rank in time order (ranks of dropped rows are skipped, so the
    /// kept rows keep their order).
    pub time_ranks: Option<Vec<usize>>,
    /// `data.weight`: each kept row's weight.
    pub weights: Option<Vec<f64>>,
    /// Rows and columns of the file as read (before derived columns and row drops).
    pub file_rows: usize,
    pub file_columns: usize,
    /// Rows left out because their target was missing.
    pub dropped_missing_target: usize,
    /// Rows left out by `impute.* = "drop"`.
    pub dropped_missing_features: usize,
    /// Things worth telling the user (all-null columns left out, ...).
    pub warnings: Vec<String>,
    /// The data file's [`file_hash`], from the bytes the frame was read from.
    pub content_hash: String,
}

impl Dataset {
    /// The bytes of the numeric feature columns held in the spill file (see [`Numbers`]).
    pub fn spilled_bytes(&self) -> u64 {
        self.features
            .iter()
            .filter_map(|c| match &c.data {
                ColumnData::Numeric(v) if v.is_spilled() => Some(v.len() as u64 * 8),
                _ => None,
            })
            .sum()
    }

    pub fn n_rows(&self) -> usize {
        self.features
            .first()
            .map(|c| c.len())
            .or(match &self.target {
                Some(TargetData::Values(v)) => Some(v.len()),
                Some(TargetData::Classes { labels, .. }) => Some(labels.len()),
                None => None,
            })
            .unwrap_or(0)
    }
}

fn filter<T: Copy>(v: &[T], keep: &[bool]) -> Vec<T> {
    v.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect()
}

/// The first dozen names, quoted, for an error message; the count when there are more.
pub(crate) fn preview<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 12;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{}`", printable(n.as_ref())))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(", ... ({} in all)", names.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_stable() {
        assert_eq!(read::content_hash(b"kiln"), read::content_hash(b"kiln"));
        assert_ne!(read::content_hash(b"kiln"), read::content_hash(b"kilm"));
    }
}
