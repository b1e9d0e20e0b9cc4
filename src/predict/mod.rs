//! Using a trained model on new rows: the one path `kiln predict` and `kiln serve` share.
//!
//! rows (a polars frame or JSON objects) -> the model's input columns (`input`) -> checks the fitted
//! preprocessing would otherwise fail on, with the row of the whole input -> `transform` -> `predict`.
//! Because both commands and the tests go through `Predictor`, the same rows give the same
//! predictions bit for bit whichever way they arrive.

pub mod file;
pub mod input;
pub mod json_rows;
pub mod write;

use crate::artifact::Artifact;
use crate::config::UnknownCategory;
use crate::data::{Column, ColumnData, MISSING_CODE};
use crate::matrix::Matrix;
use crate::metrics::threshold::labels_at;
use crate::models::{Output, Task};
use polars::prelude::DataFrame;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub use input::InputError;

/// What the model says about a batch of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Regression: one value per row.
    Values(Vec<f64>),
    /// Classification: the predicted class (an index into `Artifact::classes`) and the n_rows x
    /// n_classes probabilities.
    Classes { labels: Vec<usize>, proba: Matrix },
    /// Clustering: the index of each row's cluster.
    Clusters(Vec<usize>),
}

impl Predictions {
    pub fn len(&self) -> usize {
        match self {
            Predictions::Values(v) => v.len(),
            Predictions::Classes { labels, .. } => labels.len(),
            Predictions::Clusters(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A loaded model, ready to predict.
#[derive(Debug)]
pub struct Predictor {
    pub artifact: Artifact,
    /// Per categorical step: every category the encoder accepts (its own and the rare ones), when
    /// `encode.unknown = "error"` makes an unseen one an error.
    known: Vec<Option<HashSet<String>>>,
    /// The class a decision threshold cuts for (see [`Artifact::positive_index`]).
    positive: usize,
}

impl Predictor {
    pub fn new(artifact: Artifact) -> Self {
        let pre = &artifact.preprocessor;
        let known = pre
            .categorical
            .iter()
            .map(|step| {
                (pre.unknown == UnknownCategory::Error).then(|| {
                    step.categories
                        .iter()
                        .chain(&step.rare)
                        .cloned()
                        .collect::<HashSet<String>>()
                })
            })
            .collect();
        // A loaded artifact was checked (`check_consistent`); one made in memory is consistent.
        let positive = artifact.positive_index().unwrap_or(0);
        Predictor {
            artifact,
            known,
            positive,
        }
    }

    /// Reads the model's input columns from a frame whose first row is row `first_row + 1` of the input.
    pub fn columns_from_frame(
        &self,
        df: &DataFrame,
        first_row: usize,
    ) -> Result<Vec<Column>, InputError> {
        input::columns_from_frame(&self.artifact.inputs, df, first_row)
    }

    pub fn columns_from_json(&self, rows: &[Value]) -> Result<Vec<Column>, InputError> {
        input::columns_from_json(&self.artifact.inputs, rows)
    }

    /// Predicts rows already read as columns; `first_row` numbers them in errors.
    pub fn predict(&self, columns: &[Column], first_row: usize) -> Result<Predictions, InputError> {
        self.check(columns, first_row)?;
        let pre = &self.artifact.preprocessor;
        let x = pre
            .transform_design(columns, None)
            .map_err(InputError::general)?;
        if let Some((i, j)) = x.first_infinite_cell() {
            let row = first_row + i + 1;
            let name = pre.output_names.get(j).map_or("?", String::as_str);
            return Err(InputError::at(
                name,
                row,
                format!(
                    "column `{name}` at row {row}: the value is too large for the model: centred \
                     and scaled as in training it is not a finite number"
                ),
            ));
        }
        let dense = std::cell::OnceCell::new();
        let output =
            (self.artifact.model).predict_design(&x, || dense.get_or_init(|| x.to_dense()));
        if let Some((i, v)) = output.first_non_finite_row() {
            let row = first_row + i + 1;
            return Err(InputError {
                column: None,
                row: Some(row),
                message: format!(
                    "row {row}: the model's prediction is {v}, not a finite number (are its values \
                     far outside the training range?)"
                ),
            });
        }
        Ok(match output {
            Output::Values(v) => Predictions::Values(v),
            Output::Proba(p) => Predictions::Classes {
                labels: labels_at(&p, self.positive, self.artifact.threshold),
                proba: p,
            },
            Output::Clusters { labels, .. } => Predictions::Clusters(labels),
        })
    }

    pub fn predict_frame(
        &self,
        df: &DataFrame,
        first_row: usize,
    ) -> Result<Predictions, InputError> {
        let columns = self.columns_from_frame(df, first_row)?;
        self.predict(&columns, first_row)
    }

    pub fn predict_json(&self, rows: &[Value]) -> Result<Predictions, InputError> {
        let columns = self.columns_from_json(rows)?;
        self.predict(&columns, 0)
    }

    pub fn task(&self) -> Task {
        self.artifact.task
    }

    /// Finds, with its row in the whole input, what the fitted preprocessing cannot handle: a gap
    /// where training left no fill value (impute drop/error), or a category never seen in training
    /// under `encode.unknown = "error"`. Checked here because `transform` only knows rows of a chunk.
    fn check(&self, columns: &[Column], first_row: usize) -> Result<(), InputError> {
        let pre = &self.artifact.preprocessor;
        // Hashed once: a search per step would be quadratic in the number of inputs.
        let by_name: HashMap<&str, &Column> =
            columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let find = |name: &str| {
            by_name
                .get(name)
                .copied()
                .ok_or_else(|| input::missing_column(name))
        };
        let gap = |name: &str, i: usize, what: &str| {
            let row = first_row + i + 1;
            InputError::at(
                name,
                row,
                format!(
                    "column `{name}` is missing a value at row {row}; the model was trained with \
                     impute.{what} = \"drop\" or \"error\" and has no value to fill it with"
                ),
            )
        };
        for step in &pre.numeric {
            let col = find(&step.name)?;
            let ColumnData::Numeric(v) = &col.data else {
                return Err(InputError::column(
                    &step.name,
                    format!("column `{}` must be numeric", step.name),
                ));
            };
            if step.fill.is_none() && !step.keep_missing {
                if let Some(i) = v.iter().position(|x| x.is_nan()) {
                    return Err(gap(&step.name, i, "numeric"));
                }
            }
        }
        for (step, known) in pre.categorical.iter().zip(&self.known) {
            let col = find(&step.name)?;
            let ColumnData::Categorical { codes, dictionary } = &col.data else {
                return Err(InputError::column(
                    &step.name,
                    format!("column `{}` must be categorical", step.name),
                ));
            };
            if step.fill.is_none() {
                if let Some(i) = codes.iter().position(|c| *c == MISSING_CODE) {
                    return Err(gap(&step.name, i, "categorical"));
                }
            }
            let Some(known) = known else { continue };
            let unseen: Vec<bool> = dictionary.iter().map(|d| !known.contains(d)).collect();
            if let Some(i) = codes
                .iter()
                .position(|c| *c != MISSING_CODE && unseen[*c as usize])
            {
                let row = first_row + i + 1;
                let value = &dictionary[codes[i] as usize];
                return Err(InputError::at(
                    &step.name,
                    row,
                    format!(
                        "column `{}` has category \"{value}\" at row {row} that training never saw \
                         (encode.unknown = \"error\")",
                        step.name
                    ),
                ));
            }
        }
        Ok(())
    }
}
