//! `cv.order_by`: the column that puts the rows in time order for time-series folds. Each row gets
//! its rank in that order: numbers (and dates, by their physical value) sorted numerically, text
//! sorted as text (so ISO dates written as text sort in time), ties kept in file order.

use super::convert::{is_numeric, text_values};
use crate::error::{printable, KilnError, Result};
use polars::prelude::*;

/// The rank of every row of `series` in time order (0 for the earliest). A missing value has no
/// place in time: an error naming the column and the row.
pub fn time_ranks(name: &str, series: &Series, file: &str) -> Result<Vec<usize>> {
    let dtype = series.dtype();
    let missing = |row: usize| {
        KilnError::Data(format!(
            "{file}: column `{}` (`cv.order_by`) is missing a value at row {}: time-series folds \
             need every row's place in time",
            printable(name),
            row + 1
        ))
    };
    let mut order: Vec<usize> = (0..series.len()).collect();
    if is_numeric(dtype) || dtype.is_temporal() {
        let physical = series
            .to_physical_repr()
            .cast(&DataType::Float64)
            .map_err(|e| KilnError::Data(format!("{file}: column `{}`: {e}", printable(name))))?;
        let values: Vec<f64> = physical
            .f64()
            .map_err(|e| KilnError::Data(format!("{file}: column `{}`: {e}", printable(name))))?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        if let Some(row) = values.iter().position(|v| v.is_nan()) {
            return Err(missing(row));
        }
        // A stable sort: ties keep their file order.
        order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
    } else {
        let values = text_values(series);
        if let Some(row) = values.iter().position(Option::is_none) {
            return Err(missing(row));
        }
        order.sort_by(|a, b| values[*a].cmp(&values[*b]));
    }
    let mut rank = vec![0; order.len()];
    for (position, row) in order.into_iter().enumerate() {
        rank[row] = position;
    }
    Ok(rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_numerically_and_ties_keep_file_order() {
        let s = Series::new("t".into(), &[3.0, 1.0, 3.0, 2.0]);
        assert_eq!(time_ranks("t", &s, "f.csv").unwrap(), vec![2, 0, 3, 1]);
    }

    #[test]
    fn text_dates_sort_as_text() {
        let s = Series::new("d".into(), &["2024-03-01", "2023-12-31", "2024-01-15"]);
        assert_eq!(time_ranks("d", &s, "f.csv").unwrap(), vec![2, 0, 1]);
    }

    #[test]
    fn a_missing_value_names_the_column_and_row() {
        let s = Series::new("d".into(), &[Some("2024-01-01"), None]);
        let e = time_ranks("d", &s, "f.csv").unwrap_err().to_string();
        assert!(
            e.contains("`d` (`cv.order_by`)") && e.contains("row 2"),
            "{e}"
        );
    }
}
