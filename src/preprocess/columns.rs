//! One output column of the fitted preprocessing at a time: the pieces [`FittedPreprocessor::
//! transform_design`] assembles into a whole design, and [`ColumnsOf`], which hands them out one by
//! one as a [`DesignColumns`] so that a model that reads its design column by column (histogram
//! boosting bins each column) never holds the fold's whole f64 design.

use super::{FittedPreprocessor, NumericStep};
use crate::data::Numbers;
use crate::design::{DesignColumns, NO_SLOT};

/// Each step's input column, in the fitted order.
pub(super) struct Inputs<'a> {
    pub numeric: Vec<&'a Numbers>,
    pub categorical: Vec<(&'a [u32], &'a [String])>,
}

/// Appends one numeric column at `rows`: imputed (or NaN kept for a model that handles it), then
/// centred and scaled. A gap with no fill is an error naming the column and the (1-based) row.
/// A spilled column's pages are handed back after the pass.
pub(super) fn push_numeric(
    step: &NumericStep,
    column: &Numbers,
    rows: &[usize],
    out: &mut Vec<f64>,
) -> Result<(), String> {
    let pushed = push_numeric_values(step, column, rows, out);
    column.release();
    pushed
}

fn push_numeric_values(
    step: &NumericStep,
    v: &[f64],
    rows: &[usize],
    out: &mut Vec<f64>,
) -> Result<(), String> {
    for &i in rows {
        let x = v[i];
        let x = if x.is_nan() && !step.keep_missing {
            step.fill.ok_or_else(|| {
                format!("column `{}` is missing a value at row {}", step.name, i + 1)
            })?
        } else {
            x
        };
        out.push((x - step.center) / step.scale);
    }
    Ok(())
}

/// Appends a missing-value indicator column at `rows`: 1 where the input is missing.
pub(super) fn push_indicator(v: &Numbers, rows: &[usize], out: &mut Vec<f64>) {
    out.extend(rows.iter().map(|&i| if v[i].is_nan() { 1.0 } else { 0.0 }));
    v.release();
}

/// An ordinal design value: the category's code, -1 for an unknown category.
pub(super) fn ordinal_code(slot: u32) -> f64 {
    if slot == NO_SLOT {
        -1.0
    } else {
        slot as f64
    }
}

/// The design of some rows of the data under a fitted preprocessing, made a column at a time.
pub struct ColumnsOf<'a> {
    pub(super) pre: &'a FittedPreprocessor,
    pub(super) inputs: Inputs<'a>,
    /// The data rows the design's rows stand for.
    pub(super) rows: &'a [usize],
}

impl ColumnsOf<'_> {
    /// The data rows of design positions `at`.
    fn data_rows(&self, at: &[usize]) -> Vec<usize> {
        at.iter().map(|&p| self.rows[p]).collect()
    }
}

impl DesignColumns for ColumnsOf<'_> {
    fn n_rows(&self) -> usize {
        self.rows.len()
    }

    fn n_dense(&self) -> usize {
        self.pre.n_dense()
    }

    fn ordinal_codes(&self) -> usize {
        self.pre.ordinal_codes()
    }

    fn block_widths(&self) -> Vec<usize> {
        self.pre.block_widths()
    }

    fn dense_values(&self, j: usize, at: &[usize]) -> Result<Vec<f64>, String> {
        let rows = self.data_rows(at);
        let pre = self.pre;
        let mut out = Vec::with_capacity(rows.len());
        let n_numeric = pre.numeric.len();
        let n_indicators = pre.indicated(&self.inputs).count();
        if j < n_numeric {
            push_numeric(&pre.numeric[j], self.inputs.numeric[j], &rows, &mut out)?;
        } else if j < n_numeric + n_indicators {
            let (_, v) = pre
                .indicated(&self.inputs)
                .nth(j - n_numeric)
                .expect("an indicator column");
            push_indicator(v, &rows, &mut out);
        } else {
            let k = j - n_numeric - n_indicators;
            let (codes, dictionary) = self.inputs.categorical[k];
            let slots = pre.category_slots(&pre.categorical[k], codes, dictionary, &rows)?;
            out.extend(slots.into_iter().map(ordinal_code));
        }
        Ok(out)
    }

    fn block_slots(&self, b: usize, at: &[usize]) -> Result<Vec<u32>, String> {
        let (codes, dictionary) = self.inputs.categorical[b];
        self.pre.category_slots(
            &self.pre.categorical[b],
            codes,
            dictionary,
            &self.data_rows(at),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{
        EncodeMethod, EncodeSpec, ImputeSpec, NumericImpute, ScaleMethod, ScaleSpec,
        UnknownCategory,
    };
    use crate::data::{encode_text, Column, ColumnData};
    use crate::design::DesignColumns;
    use crate::preprocess::FittedPreprocessor;

    fn data() -> Vec<Column> {
        vec![
            Column {
                name: "x".into(),
                data: ColumnData::Numeric(vec![1.0, f64::NAN, 3.0, 4.0, 10.0, -2.0].into()),
            },
            Column {
                name: "c".into(),
                data: {
                    let values = ["a", "b", "a", "c", "b", "d"].map(|v| Some(v.to_string()));
                    let (codes, dictionary) = encode_text(&values);
                    ColumnData::Categorical { codes, dictionary }
                },
            },
        ]
    }

    /// Every column made alone equals the same column of the whole design, for both encodings,
    /// with indicators, at any positions.
    #[test]
    fn each_column_alone_is_the_whole_designs_column() {
        let cols = data();
        let train = [0usize, 1, 2, 3, 4];
        let rows = [5usize, 4, 2, 1];
        for method in [EncodeMethod::OneHot, EncodeMethod::Ordinal] {
            let pre = FittedPreprocessor::fit(
                &cols,
                &train,
                &ImputeSpec {
                    indicator: true,
                    ..ImputeSpec::default()
                },
                &EncodeSpec {
                    method,
                    unknown: UnknownCategory::Ignore,
                    ..EncodeSpec::default()
                },
                &ScaleSpec {
                    method: ScaleMethod::Standard,
                },
            );
            let whole = pre.transform_design(&cols, Some(&rows)).unwrap();
            let lazy = pre.columns_of(&cols, &rows).unwrap();
            assert_eq!(lazy.n_rows(), whole.n_rows());
            assert_eq!(lazy.n_dense(), whole.dense.n_cols);
            assert_eq!(lazy.ordinal_codes(), whole.ordinal_codes);
            assert_eq!(
                lazy.block_widths(),
                whole.blocks.iter().map(|b| b.width).collect::<Vec<_>>()
            );
            let at = [3usize, 0, 2];
            for j in 0..whole.dense.n_cols {
                assert_eq!(
                    lazy.dense_values(j, &at).unwrap(),
                    whole.dense_values(j, &at).unwrap(),
                    "{method:?} column {j}"
                );
            }
            for b in 0..whole.blocks.len() {
                assert_eq!(
                    lazy.block_slots(b, &at).unwrap(),
                    whole.block_slots(b, &at).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_gap_with_no_fill_names_the_column_and_the_data_row() {
        let cols = data();
        let pre = FittedPreprocessor::fit(
            &cols,
            &[0, 2, 3],
            &ImputeSpec {
                numeric: NumericImpute::Error,
                ..ImputeSpec::default()
            },
            &EncodeSpec::default(),
            &ScaleSpec::default(),
        );
        let lazy = pre.columns_of(&cols, &[0, 1, 2]).unwrap();
        let e = lazy.dense_values(0, &[0, 1]).unwrap_err();
        assert!(e.contains("`x`") && e.contains("row 2"), "{e}");
    }
}
