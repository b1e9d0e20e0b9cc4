//! Preprocessing: impute -> encode -> scale, fitted on a fold's training rows and applied to any rows.
//! The fitted state is plain data (serde): exactly what model.json stores, so predict and serve
//! transform new rows the same way the search did.
//!
//! Output columns: the numeric columns (imputed, scaled), then one 0/1 `<col>__missing` indicator per
//! numeric column that had gaps in training (when `impute.indicator`), then the categorical columns
//! (one-hot `<col>=<category>` columns, or one ordinal code column). Indicator, one-hot and ordinal
//! columns are not scaled.

mod columns;
pub mod encode;
pub mod impute;
pub mod scale;

pub use columns::ColumnsOf;

use crate::config::{EncodeMethod, EncodeSpec, ImputeSpec, ScaleSpec, UnknownCategory};
use crate::data::{Column, ColumnData, Numbers, MISSING_CODE};
use crate::design::{Design, OneHotBlock, NO_SLOT};
use crate::matrix::Matrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The name of the shared column of rare categories.
pub const OTHER: &str = "__other";

/// A numeric input column's fitted steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStep {
    pub name: String,
    /// None: gaps are not filled (impute drop / error / none).
    pub fill: Option<f64>,
    /// `impute.numeric = "none"`: gaps stay NaN in the design (for a model that handles them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_missing: bool,
    pub indicator: bool,
    pub center: f64,
    pub scale: f64,
}

/// A categorical input column's fitted steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalStep {
    pub name: String,
    pub fill: Option<String>,
    /// Categories with a column (or code) of their own, sorted.
    pub categories: Vec<String>,
    /// Rare categories folded into `__other` (max_categories).
    pub rare: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPreprocessor {
    pub numeric: Vec<NumericStep>,
    pub categorical: Vec<CategoricalStep>,
    pub method: EncodeMethod,
    pub unknown: UnknownCategory,
    /// The design matrix's column names, in order.
    pub output_names: Vec<String>,
}

/// What a category maps to.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Slot {
    Index(usize),
    Unknown,
    Missing,
}

impl CategoricalStep {
    /// Index of a category among the outputs: its own, or `__other` (after the kept ones).
    fn slot_of(&self, value: &str, lookup: &HashMap<&str, usize>) -> Slot {
        match lookup.get(value) {
            Some(i) => Slot::Index(*i),
            None => Slot::Unknown,
        }
    }

    /// The same as `slot_of` by scanning the lists: cheaper than building the index for the few
    /// distinct values of a small batch (a request to `kiln serve` of one row, say).
    fn slot_by_scan(&self, value: &str) -> Slot {
        if self.rare.iter().any(|r| r == value) {
            Slot::Index(self.categories.len())
        } else {
            match self.categories.iter().position(|c| c == value) {
                Some(i) => Slot::Index(i),
                None => Slot::Unknown,
            }
        }
    }

    /// The slot of each of `values` (an input column's dictionary), and of the fill value.
    fn slots(&self, values: &[String]) -> (Vec<Slot>, Slot) {
        const SCAN_AT_MOST: usize = 8;
        let lookup = (values.len() > SCAN_AT_MOST).then(|| self.lookup());
        let slot = |v: &str| match &lookup {
            Some(index) => self.slot_of(v, index),
            None => self.slot_by_scan(v),
        };
        let slots = values.iter().map(|v| slot(v)).collect();
        (slots, self.fill.as_deref().map_or(Slot::Missing, slot))
    }

    fn n_outputs(&self, method: EncodeMethod) -> usize {
        match method {
            EncodeMethod::OneHot => self.categories.len() + usize::from(!self.rare.is_empty()),
            EncodeMethod::Ordinal => 1,
        }
    }

    fn lookup(&self) -> HashMap<&str, usize> {
        let mut m: HashMap<&str, usize> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        for r in &self.rare {
            m.insert(r.as_str(), self.categories.len());
        }
        m
    }
}

impl FittedPreprocessor {
    /// Learns every statistic from `rows` of `columns`.
    pub fn fit(
        columns: &[Column],
        rows: &[usize],
        impute: &ImputeSpec,
        encode: &EncodeSpec,
        scale: &ScaleSpec,
    ) -> Self {
        // Each column's statistics are its own: fitted in parallel, kept in column order.
        enum Step {
            Numeric(NumericStep),
            Categorical(CategoricalStep),
        }
        let steps: Vec<Step> = columns
            .par_iter()
            .map(|col| match &col.data {
                ColumnData::Numeric(v) => {
                    let mut present: Vec<f64> =
                        rows.iter().map(|&i| v[i]).filter(|x| !x.is_nan()).collect();
                    let had_gaps = present.len() < rows.len();
                    // The scaler sees the imputed training column, as in a scikit-learn Pipeline:
                    // without gaps that is `present` itself, scaled before the fill statistic
                    // reorders it; with gaps, the column rebuilt with the fill.
                    let (fill, (center, scale)) = if had_gaps {
                        let fill =
                            impute::numeric_fill(impute.numeric, impute.fill_value, &mut present);
                        let filled: Vec<f64> = match fill {
                            Some(f) => rows
                                .iter()
                                .map(|&i| if v[i].is_nan() { f } else { v[i] })
                                .collect(),
                            // drop / error: no statistic was taken, `present` is in row order.
                            None => std::mem::take(&mut present),
                        };
                        (fill, scale::fit(scale.method, &filled))
                    } else {
                        let scaled = scale::fit(scale.method, &present);
                        let fill =
                            impute::numeric_fill(impute.numeric, impute.fill_value, &mut present);
                        (fill, scaled)
                    };
                    v.release();
                    Step::Numeric(NumericStep {
                        name: col.name.clone(),
                        fill,
                        keep_missing: impute.numeric == crate::config::NumericImpute::None,
                        indicator: impute.indicator && had_gaps,
                        center,
                        scale,
                    })
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
                    let fill = impute::categorical_fill(
                        impute.categorical,
                        &impute.fill_category,
                        dictionary,
                        &counts,
                    );
                    // Categories are learned from the imputed column: the fill value is one of them.
                    let mut dict = dictionary.clone();
                    if let (Some(f), true) = (&fill, missing > 0) {
                        match dict.iter().position(|d| d == f) {
                            Some(p) => counts[p] += missing,
                            None => {
                                dict.push(f.clone());
                                counts.push(missing);
                            }
                        }
                    }
                    let mut order: Vec<usize> = (0..dict.len()).collect();
                    let mut sorted: Vec<String> = dict.clone();
                    crate::data::sort_labels(&mut sorted);
                    order.sort_by_key(|i| {
                        sorted
                            .iter()
                            .position(|s| *s == dict[*i])
                            .unwrap_or(usize::MAX)
                    });
                    let sorted_counts: Vec<usize> = order.iter().map(|i| counts[*i]).collect();
                    let (kept, rare) =
                        encode::split_frequent(&sorted, &sorted_counts, encode.max_categories);
                    Step::Categorical(CategoricalStep {
                        name: col.name.clone(),
                        fill,
                        categories: kept,
                        rare,
                    })
                }
            })
            .collect();
        let mut numeric = Vec::new();
        let mut categorical = Vec::new();
        for step in steps {
            match step {
                Step::Numeric(n) => numeric.push(n),
                Step::Categorical(c) => categorical.push(c),
            }
        }
        let mut output_names: Vec<String> = numeric.iter().map(|s| s.name.clone()).collect();
        output_names.extend(
            numeric
                .iter()
                .filter(|s| s.indicator)
                .map(|s| format!("{}__missing", s.name)),
        );
        for c in &categorical {
            match encode.method {
                EncodeMethod::OneHot => {
                    output_names.extend(c.categories.iter().map(|k| format!("{}={k}", c.name)));
                    if !c.rare.is_empty() {
                        output_names.push(format!("{}={OTHER}", c.name));
                    }
                }
                EncodeMethod::Ordinal => output_names.push(c.name.clone()),
            }
        }
        FittedPreprocessor {
            numeric,
            categorical,
            method: encode.method,
            unknown: encode.unknown,
            output_names,
        }
    }

    pub fn n_outputs(&self) -> usize {
        self.output_names.len()
    }

    /// The design matrix of `rows` (None: every row), dense. See [`Self::transform_design`].
    pub fn transform(&self, columns: &[Column], rows: Option<&[usize]>) -> Result<Matrix, String> {
        self.transform_design(columns, rows).map(Design::into_dense)
    }

    /// The design of `rows` (None: every row), one-hot blocks kept as slots. `columns` are the
    /// input columns in the fitted order (numeric ones first as fitted, then categorical, matched by
    /// name). Errors name the column and the (1-based) row.
    pub fn transform_design(
        &self,
        columns: &[Column],
        rows: Option<&[usize]>,
    ) -> Result<Design, String> {
        let n_all = columns.first().map_or(0, |c| c.len());
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..n_all).collect();
                &all
            }
        };
        let inputs = self.inputs(columns)?;
        let n = rows.len();
        let mut data = Vec::with_capacity(n * self.n_dense());
        for (step, v) in self.numeric.iter().zip(&inputs.numeric) {
            columns::push_numeric(step, v, rows, &mut data)?;
        }
        for (_, v) in self.indicated(&inputs) {
            columns::push_indicator(v, rows, &mut data);
        }
        let mut blocks = Vec::new();
        for (step, &(codes, dictionary)) in self.categorical.iter().zip(&inputs.categorical) {
            let slots = self.category_slots(step, codes, dictionary, rows)?;
            match self.method {
                EncodeMethod::OneHot => blocks.push(OneHotBlock {
                    width: step.n_outputs(self.method),
                    slot: slots,
                }),
                EncodeMethod::Ordinal => {
                    data.extend(slots.iter().map(|&k| columns::ordinal_code(k)))
                }
            }
        }
        Ok(Design {
            dense: Matrix {
                n_rows: n,
                n_cols: self.n_dense(),
                data,
            },
            blocks,
            ordinal_codes: self.ordinal_codes(),
        })
    }

    /// The design of `rows` as columns made one at a time when asked (see [`ColumnsOf`]).
    pub fn columns_of<'a>(
        &'a self,
        columns: &'a [Column],
        rows: &'a [usize],
    ) -> Result<ColumnsOf<'a>, String> {
        Ok(ColumnsOf {
            pre: self,
            inputs: self.inputs(columns)?,
            rows,
        })
    }

    /// Each step's input column, found by name and checked for its kind.
    fn inputs<'a>(&self, columns: &'a [Column]) -> Result<columns::Inputs<'a>, String> {
        let by_name: HashMap<&str, &Column> =
            columns.iter().map(|c| (c.name.as_str(), c)).collect();
        let find = |name: &str| {
            by_name
                .get(name)
                .copied()
                .ok_or_else(|| format!("column `{name}` is missing"))
        };
        let mut numeric = Vec::with_capacity(self.numeric.len());
        for step in &self.numeric {
            let ColumnData::Numeric(v) = &find(&step.name)?.data else {
                return Err(format!("column `{}` must be numeric", step.name));
            };
            numeric.push(v);
        }
        let mut categorical = Vec::with_capacity(self.categorical.len());
        for step in &self.categorical {
            let ColumnData::Categorical { codes, dictionary } = &find(&step.name)?.data else {
                return Err(format!("column `{}` must be categorical", step.name));
            };
            categorical.push((&codes[..], &dictionary[..]));
        }
        Ok(columns::Inputs {
            numeric,
            categorical,
        })
    }

    /// The numeric steps with a missing indicator, each with its input column.
    fn indicated<'s, 'a>(
        &'s self,
        inputs: &'s columns::Inputs<'a>,
    ) -> impl Iterator<Item = (&'s NumericStep, &'a Numbers)> + 's {
        self.numeric
            .iter()
            .zip(&inputs.numeric)
            .filter(|(s, _)| s.indicator)
            .map(|(s, v)| (s, *v))
    }

    /// Dense design columns: the numeric ones, the indicators and (ordinal encoding) the codes.
    fn n_dense(&self) -> usize {
        match self.method {
            EncodeMethod::OneHot => self.n_outputs() - self.block_widths().iter().sum::<usize>(),
            EncodeMethod::Ordinal => self.n_outputs(),
        }
    }

    fn ordinal_codes(&self) -> usize {
        match self.method {
            EncodeMethod::OneHot => 0,
            EncodeMethod::Ordinal => self.categorical.len(),
        }
    }

    /// The output slot of each of `rows` of one categorical input ([`NO_SLOT`] for an unknown
    /// category under `encode.unknown = "ignore"`).
    fn category_slots(
        &self,
        step: &CategoricalStep,
        codes: &[u32],
        dictionary: &[String],
        rows: &[usize],
    ) -> Result<Vec<u32>, String> {
        // The input's own dictionary mapped once to output slots.
        let (slots, fill_slot) = step.slots(dictionary);
        let mut out = Vec::with_capacity(rows.len());
        for &i in rows {
            let slot = match codes[i] {
                MISSING_CODE => fill_slot,
                c => slots[c as usize],
            };
            out.push(match slot {
                Slot::Index(k) => k as u32,
                Slot::Missing => {
                    return Err(format!(
                        "column `{}` is missing a value at row {}",
                        step.name,
                        i + 1
                    ))
                }
                Slot::Unknown => match self.unknown {
                    UnknownCategory::Error => {
                        let c = codes[i];
                        let value = if c == MISSING_CODE {
                            step.fill.clone().unwrap_or_default()
                        } else {
                            dictionary[c as usize].clone()
                        };
                        return Err(format!(
                            "column `{}` has category \"{value}\" at row {} that training never saw \
                             (encode.unknown = \"error\")",
                            step.name,
                            i + 1
                        ));
                    }
                    UnknownCategory::Ignore => NO_SLOT,
                },
            });
        }
        Ok(out)
    }

    /// The width of each one-hot block (none with `encode.method = "ordinal"`).
    fn block_widths(&self) -> Vec<usize> {
        match self.method {
            EncodeMethod::OneHot => self
                .categorical
                .iter()
                .map(|c| c.n_outputs(EncodeMethod::OneHot))
                .collect(),
            EncodeMethod::Ordinal => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{NumericImpute, ScaleMethod};
    use crate::data::encode_text;

    #[test]
    fn scanning_and_indexing_the_categories_give_the_same_slots() {
        let step = CategoricalStep {
            name: "c".into(),
            fill: Some("z".into()),
            categories: vec!["a".into(), "b".into(), "d".into()],
            rare: vec!["z".into(), "y".into()],
        };
        let few: Vec<String> = ["b", "q", "y", "a"].iter().map(|s| s.to_string()).collect();
        let many: Vec<String> = (0..20)
            .map(|i| few[i % 4].clone() + if i < 4 { "" } else { "_" })
            .collect();
        let (slots, fill) = step.slots(&few);
        assert_eq!(
            slots,
            [
                Slot::Index(1),
                Slot::Unknown,
                Slot::Index(3),
                Slot::Index(0)
            ]
        );
        assert_eq!(fill, Slot::Index(3));
        let lookup = step.lookup();
        for values in [&few, &many] {
            let (slots, fill) = step.slots(values);
            let indexed: Vec<Slot> = values.iter().map(|v| step.slot_of(v, &lookup)).collect();
            let scanned: Vec<Slot> = values.iter().map(|v| step.slot_by_scan(v)).collect();
            assert_eq!(slots, indexed);
            assert_eq!(slots, scanned);
            assert_eq!(fill, Slot::Index(3));
        }
    }

    fn columns() -> Vec<Column> {
        let (codes, dictionary) = encode_text(&[
            Some("b".into()),
            None,
            Some("a".into()),
            Some("b".into()),
            Some("z".into()),
        ]);
        vec![
            Column {
                name: "x".into(),
                data: ColumnData::Numeric(vec![1.0, f64::NAN, 3.0, 5.0, 100.0].into()),
            },
            Column {
                name: "c".into(),
                data: ColumnData::Categorical { codes, dictionary },
            },
        ]
    }

    #[test]
    fn fit_on_training_rows_only_and_transform_any_rows() {
        let cols = columns();
        let impute = ImputeSpec {
            indicator: true,
            ..Default::default()
        };
        let p = FittedPreprocessor::fit(
            &cols,
            &[0, 1, 2, 3],
            &impute,
            &EncodeSpec::default(),
            &ScaleSpec {
                method: ScaleMethod::Minmax,
            },
        );
        // Median of 1, 3, 5 = 3 fills the gap; min-max over the imputed 1, 3, 3, 5.
        assert_eq!(p.numeric[0].fill, Some(3.0));
        assert_eq!((p.numeric[0].center, p.numeric[0].scale), (1.0, 4.0));
        assert_eq!(p.output_names, ["x", "x__missing", "c=a", "c=b"]);
        let m = p.transform(&cols, None).unwrap();
        assert_eq!(m.col(0), &[0.0, 0.5, 0.5, 1.0, 24.75]);
        assert_eq!(m.col(1), &[0.0, 1.0, 0.0, 0.0, 0.0]);
        // Row 1's missing category is filled with the most frequent, b; row 4's unseen z is all zero.
        assert_eq!(m.col(2), &[0.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(m.col(3), &[1.0, 1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn unknown_error_names_the_column_and_row() {
        let cols = columns();
        let encode = EncodeSpec {
            unknown: UnknownCategory::Error,
            ..Default::default()
        };
        let p = FittedPreprocessor::fit(
            &cols,
            &[0, 1, 2],
            &ImputeSpec::default(),
            &encode,
            &ScaleSpec::default(),
        );
        let e = p.transform(&cols, None).unwrap_err();
        assert!(e.contains("column `c` has category \"z\" at row 5"), "{e}");
        let drop = ImputeSpec {
            numeric: NumericImpute::Drop,
            ..Default::default()
        };
        let p = FittedPreprocessor::fit(
            &cols,
            &[0, 2],
            &drop,
            &EncodeSpec::default(),
            &ScaleSpec::default(),
        );
        assert!(p
            .transform(&cols, Some(&[1]))
            .unwrap_err()
            .contains("column `x` is missing a value at row 2"));
    }

    #[test]
    fn ordinal_codes_follow_sorted_categories() {
        let cols = columns();
        let encode = EncodeSpec {
            method: EncodeMethod::Ordinal,
            ..Default::default()
        };
        let p = FittedPreprocessor::fit(
            &cols,
            &[0, 1, 2, 3],
            &ImputeSpec::default(),
            &encode,
            &ScaleSpec::default(),
        );
        let m = p.transform(&cols, None).unwrap();
        assert_eq!(m.col(1), &[1.0, 1.0, 0.0, 1.0, -1.0]);
    }
}
