//! From polars series to kiln's plain vectors: numbers as f64 (NaN = missing), text as codes into a
//! sorted dictionary, and the target and fold columns with their checks.

use super::{Column, ColumnData, TargetData, MISSING_CODE};
use crate::config::format_number;
use crate::error::{printable, KilnError, Result};
use crate::models::Task;
use polars::prelude::*;
use std::collections::HashMap;

pub(super) fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric() || matches!(dtype, DataType::Boolean)
}

/// A series as f64 with NaN for missing; `None` when it is not numeric.
pub fn numeric_values(series: &Series) -> Option<Vec<f64>> {
    if !is_numeric(series.dtype()) {
        return None;
    }
    let s = series.cast(&DataType::Float64).ok()?;
    let ca = s.f64().ok()?;
    Some(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A series as text (numbers formatted as labels are), `None` for missing.
pub fn text_values(series: &Series) -> Vec<Option<String>> {
    if let Some(nums) = numeric_values(series) {
        return nums
            .into_iter()
            .map(|v| {
                if v.is_nan() {
                    None
                } else {
                    Some(format_number(v))
                }
            })
            .collect();
    }
    match series.cast(&DataType::String) {
        Ok(s) => match s.str() {
            Ok(ca) => ca.iter().map(|v| v.map(str::to_string)).collect(),
            Err(_) => vec![None; series.len()],
        },
        Err(_) => vec![None; series.len()],
    }
}

/// Sorts labels or categories: numerically when every one is a number, else as text.
pub fn sort_labels(values: &mut [String]) {
    let numeric: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    match numeric {
        Some(_) => values.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
        }),
        None => values.sort(),
    }
}

/// Codes into a sorted dictionary of the distinct values.
pub fn encode_text(values: &[Option<String>]) -> (Vec<u32>, Vec<String>) {
    // One value (a 1-row request to kiln serve, once per text column): nothing to sort or index.
    if let [one] = values {
        return match one {
            Some(s) => (vec![0], vec![s.clone()]),
            None => (vec![MISSING_CODE], Vec::new()),
        };
    }
    encode_strs(values.iter().map(|v| v.as_deref()))
}

/// A series' values as codes into a sorted dictionary, as [`encode_text`] of its
/// [`text_values`]; a text series is read in place, without a `String` per row.
pub fn encode_series(series: &Series) -> (Vec<u32>, Vec<String>) {
    match series.str() {
        Ok(ca) if series.len() > 1 => encode_strs(ca.iter()),
        _ => encode_text(&text_values(series)),
    }
}

/// [`encode_text`] of borrowed values.
fn encode_strs<'a>(values: impl Iterator<Item = Option<&'a str>>) -> (Vec<u32>, Vec<String>) {
    // Codes in order of first appearance through a hash map, then renumbered to the sorted order:
    // one hash lookup per value, where a sorted map would compare strings log n times.
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    let first_codes: Vec<u32> = values
        .map(|v| match v {
            None => MISSING_CODE,
            Some(s) => *seen.entry(s).or_insert_with(|| {
                distinct.push(s);
                distinct.len() as u32 - 1
            }),
        })
        .collect();
    // Sorted as text first, so labels equal as numbers ("1", "1.0") keep one order.
    let mut dictionary: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
    dictionary.sort();
    sort_labels(&mut dictionary);
    let sorted_code: HashMap<&str, u32> = dictionary
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    let renumber: Vec<u32> = distinct.iter().map(|s| sorted_code[s]).collect();
    let codes = first_codes
        .into_iter()
        .map(|c| {
            if c == MISSING_CODE {
                MISSING_CODE
            } else {
                renumber[c as usize]
            }
        })
        .collect();
    (codes, dictionary)
}

pub(super) fn to_column(
    name: &str,
    series: &Series,
    as_category: bool,
    file: &str,
) -> Result<Column> {
    let shown = printable(name);
    if !as_category {
        if let Some(values) = numeric_values(series) {
            if let Some(i) = values.iter().position(|v| v.is_infinite()) {
                return Err(KilnError::Data(format!(
                    "{file}: column `{shown}` has an infinite value at row {}; fix the data or leave the column out",
                    i + 1
                )));
            }
            return Ok(Column {
                name: name.to_string(),
                data: ColumnData::Numeric(values.into()),
            });
        }
        if !matches!(series.dtype(), DataType::String) {
            return Err(KilnError::Data(format!(
                "{file}: column `{shown}` has type {} that kiln cannot use as a feature; \
                 derive a number from it with [[data.derive]] or list it in `data.drop`",
                series.dtype()
            )));
        }
    }
    let (codes, dictionary) = encode_series(series);
    Ok(Column {
        name: name.to_string(),
        data: ColumnData::Categorical { codes, dictionary },
    })
}

/// The target column: numbers for regression, sorted text labels for classification; and which rows
/// are missing it.
pub(super) fn to_target(
    name: &str,
    series: &Series,
    task: Task,
    file: &str,
) -> Result<(TargetData, Vec<bool>)> {
    // Every cell empty: polars reads such a column as text, which is not what is wrong with it.
    if series.null_count() == series.len() {
        return Err(KilnError::Data(format!(
            "{file}: target `{name}` has no values: every row is empty"
        )));
    }
    match task {
        Task::Regression => {
            let Some(values) = numeric_values(series) else {
                let first = text_values(series)
                    .into_iter()
                    .enumerate()
                    .find_map(|(i, v)| {
                        v.filter(|v| v.trim().parse::<f64>().is_err())
                            .map(|v| (i, v))
                    });
                return Err(KilnError::Data(format!(
                    "{file}: target `{name}` is text{}, but regression needs numbers; \
                     set `pipeline.task = \"classification\"` or choose a numeric target",
                    first
                        .map(|(i, v)| format!(" (row {}: \"{}\")", i + 1, printable(&v)))
                        .unwrap_or_default()
                )));
            };
            if let Some(i) = values.iter().position(|v| v.is_infinite()) {
                return Err(KilnError::Data(format!(
                    "{file}: target `{name}` is infinite at row {}",
                    i + 1
                )));
            }
            let missing = values.iter().map(|v| v.is_nan()).collect();
            Ok((TargetData::Values(values), missing))
        }
        _ => {
            let text = text_values(series);
            let missing = text.iter().map(|v| v.is_none()).collect();
            let (codes, classes) = encode_text(&text);
            let labels = codes
                .into_iter()
                .map(|c| if c == MISSING_CODE { 0 } else { c as usize })
                .collect();
            Ok((TargetData::Classes { labels, classes }, missing))
        }
    }
}

pub(super) fn fold_column(name: &str, df: &DataFrame, file: &str) -> Result<Vec<i64>> {
    let s = df
        .column(name)
        .map_err(|e| KilnError::Data(format!("{file}: {e}")))?;
    let values = numeric_values(s.as_materialized_series()).ok_or_else(|| {
        KilnError::Data(format!(
            "{file}: fold column `{name}` must hold whole numbers, found {}",
            s.dtype()
        ))
    })?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_nan() || v.fract() != 0.0 {
                Err(KilnError::Data(format!(
                    "{file}: fold column `{name}` must hold whole numbers; row {} has {}",
                    i + 1,
                    if v.is_nan() {
                        "no value".to_string()
                    } else {
                        v.to_string()
                    }
                )))
            } else {
                Ok(*v as i64)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::format_number;

    #[test]
    fn labels_sort_numerically_when_they_are_numbers() {
        let mut v = vec!["10".to_string(), "9".into(), "1".into()];
        sort_labels(&mut v);
        assert_eq!(v, ["1", "9", "10"]);
        let mut t = vec!["b".to_string(), "B".into(), "a".into()];
        sort_labels(&mut t);
        assert_eq!(t, ["B", "a", "b"]);
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(2.5), "2.5");
    }

    #[test]
    fn text_codes_follow_the_sorted_dictionary() {
        let (codes, dict) =
            encode_text(&[Some("b".into()), None, Some("a".into()), Some("b".into())]);
        assert_eq!(dict, ["a", "b"]);
        assert_eq!(codes, [1, MISSING_CODE, 0, 1]);
        // A single value takes a shortcut with the same result.
        assert_eq!(
            encode_text(&[Some("b".into())]),
            (vec![0], vec!["b".into()])
        );
        assert_eq!(encode_text(&[None]), (vec![MISSING_CODE], vec![]));
        assert_eq!(encode_text(&[]), (vec![], vec![]));
    }
}
