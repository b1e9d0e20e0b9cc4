//! `data.weight`: the column that weights each row in every fit and every score, as scikit-learn's
//! `sample_weight`. It is never a feature. Every row needs a weight that is a finite number >= 0;
//! anything else is an error naming the column and the row.

use super::convert::numeric_values;
use crate::error::{printable, KilnError, Result};
use polars::prelude::*;

/// Each row's weight, checked.
pub fn row_weights(name: &str, series: &Series, file: &str) -> Result<Vec<f64>> {
    let shown = printable(name);
    let values = numeric_values(series).ok_or_else(|| {
        KilnError::Data(format!(
            "{file}: column `{shown}` (`data.weight`) must hold numbers, found {}",
            series.dtype()
        ))
    })?;
    for (i, v) in values.iter().enumerate() {
        let problem = if v.is_nan() {
            "has no value".to_string()
        } else if !v.is_finite() {
            format!("has {v}, not a finite number")
        } else if *v < 0.0 {
            format!("has {v}: a weight cannot be negative")
        } else {
            continue;
        };
        return Err(KilnError::Data(format!(
            "{file}: column `{shown}` (`data.weight`) {problem} at row {}",
            i + 1
        )));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_numbers_at_least_zero_on_every_row() {
        let ok = Series::new("w".into(), &[1.0, 0.0, 2.5]);
        assert_eq!(row_weights("w", &ok, "f.csv").unwrap(), vec![1.0, 0.0, 2.5]);
        for (series, says) in [
            (
                Series::new("w".into(), &[Some(1.0), None]),
                "has no value at row 2",
            ),
            (
                Series::new("w".into(), &[1.0, -0.5]),
                "cannot be negative at row 2",
            ),
            (
                Series::new("w".into(), &[f64::INFINITY]),
                "not a finite number at row 1",
            ),
            (Series::new("w".into(), &["a"]), "must hold numbers"),
        ] {
            let e = row_weights("w", &series, "f.csv").unwrap_err().to_string();
            assert!(e.contains(says) && e.contains("`w` (`data.weight`)"), "{e}");
        }
    }
}
