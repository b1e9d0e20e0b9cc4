//! New rows -> the model's input columns. Rows come from a polars DataFrame (`kiln predict`) or from
//! JSON objects (`kiln serve`); both go through the same per-cell rules, so a value means the same
//! thing whichever way it arrives:
//! - a numeric input takes numbers, booleans (1/0, as polars reads them in training) and text that
//!   parses as a number; NaN and null are missing; anything else is an error naming column and row;
//! - a categorical input takes text as it is and numbers formatted as training formatted them
//!   (`config::format_number`), so a category `20` matches whether it arrives as 20 or "20".

use crate::artifact::InputColumn;
use crate::config::format_number;
use crate::data::{encode_text, Column, ColumnData, ColumnKind};
use polars::prelude::*;
use serde_json::Value;
use std::fmt;

/// Why rows cannot be predicted: names the column and the 1-based row when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub column: Option<String>,
    pub row: Option<usize>,
    pub message: String,
}

impl InputError {
    pub fn at(column: &str, row: usize, message: String) -> Self {
        InputError {
            column: Some(column.to_string()),
            row: Some(row),
            message,
        }
    }

    pub fn column(column: &str, message: String) -> Self {
        InputError {
            column: Some(column.to_string()),
            row: None,
            message,
        }
    }

    pub fn general(message: String) -> Self {
        InputError {
            column: None,
            row: None,
            message,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}

/// One value as it arrived, before it is read as its column's kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Missing,
    Number(f64),
    Bool(bool),
    Text(&'a str),
    /// A value of a type no column takes (a JSON array or object, a polars list): its type's name.
    Other(&'a str),
}

/// Reads cells as numbers. `first_row` is the 0-based index of the first cell in the whole input.
fn numeric<'a>(
    name: &str,
    cells: impl Iterator<Item = Cell<'a>>,
    first_row: usize,
) -> Result<Vec<f64>, InputError> {
    let mut out = Vec::with_capacity(cells.size_hint().0);
    for (i, cell) in cells.enumerate() {
        let row = first_row + i + 1;
        let x = match cell {
            Cell::Missing => f64::NAN,
            Cell::Number(x) => x,
            Cell::Bool(b) => f64::from(u8::from(b)),
            Cell::Text(s) => {
                let t = s.trim();
                if t.is_empty() {
                    f64::NAN
                } else {
                    t.parse::<f64>().map_err(|_| {
                        InputError::at(
                            name,
                            row,
                            format!("column `{name}` at row {row}: \"{s}\" is not a number, and the model reads `{name}` as numbers"),
                        )
                    })?
                }
            }
            Cell::Other(kind) => {
                return Err(InputError::at(
                    name,
                    row,
                    format!("column `{name}` at row {row}: a value of type {kind} cannot be read as a number"),
                ))
            }
        };
        if x.is_infinite() {
            return Err(InputError::at(
                name,
                row,
                format!("column `{name}` at row {row}: the value is infinite"),
            ));
        }
        out.push(x);
    }
    Ok(out)
}

/// Reads cells as category labels (None = missing).
fn text<'a>(
    name: &str,
    cells: impl Iterator<Item = Cell<'a>>,
    first_row: usize,
) -> Result<Vec<Option<String>>, InputError> {
    let mut out = Vec::with_capacity(cells.size_hint().0);
    for (i, cell) in cells.enumerate() {
        out.push(match cell {
            Cell::Missing => None,
            Cell::Number(x) if x.is_nan() => None,
            Cell::Number(x) => Some(format_number(x)),
            Cell::Bool(b) => Some(format_number(f64::from(u8::from(b)))),
            Cell::Text(s) => Some(s.to_string()),
            Cell::Other(kind) => {
                let row = first_row + i + 1;
                return Err(InputError::at(
                    name,
                    row,
                    format!("column `{name}` at row {row}: a value of type {kind} cannot be read as a category"),
                ));
            }
        });
    }
    Ok(out)
}

pub(crate) fn column_from_cells<'a>(
    input: &InputColumn,
    cells: impl Iterator<Item = Cell<'a>>,
    first_row: usize,
) -> Result<Column, InputError> {
    let data = match input.kind {
        ColumnKind::Numeric => ColumnData::Numeric(numeric(&input.name, cells, first_row)?.into()),
        ColumnKind::Categorical => {
            let (codes, dictionary) = encode_text(&text(&input.name, cells, first_row)?);
            ColumnData::Categorical { codes, dictionary }
        }
    };
    Ok(Column {
        name: input.name.clone(),
        data,
    })
}

/// The model's input columns from a frame. `first_row`: the 0-based index of the frame's first row in
/// the whole input, so errors name the row of the file. Extra columns are ignored.
pub fn columns_from_frame(
    inputs: &[InputColumn],
    df: &DataFrame,
    first_row: usize,
) -> Result<Vec<Column>, InputError> {
    inputs
        .iter()
        .map(|input| {
            let series = df
                .column(&input.name)
                .map_err(|_| missing_column(&input.name))?
                .as_materialized_series();
            column_from_series(input, series, first_row)
        })
        .collect()
}

fn column_from_series(
    input: &InputColumn,
    series: &Series,
    first_row: usize,
) -> Result<Column, InputError> {
    let dtype = series.dtype();
    if dtype.is_primitive_numeric() || matches!(dtype, DataType::Boolean) {
        // The common case, kept free of per-cell dispatch: numbers straight from polars.
        let Some(values) = crate::data::numeric_values(series) else {
            return Err(InputError::column(
                &input.name,
                format!("column `{}` of type {dtype} cannot be read", input.name),
            ));
        };
        return column_from_cells(
            input,
            values.into_iter().map(|x| {
                if x.is_nan() {
                    Cell::Missing
                } else {
                    Cell::Number(x)
                }
            }),
            first_row,
        );
    }
    match dtype {
        DataType::String => {
            let ca = series.str().map_err(|e| {
                InputError::column(&input.name, format!("column `{}`: {e}", input.name))
            })?;
            column_from_cells(
                input,
                ca.iter().map(|v| v.map_or(Cell::Missing, Cell::Text)),
                first_row,
            )
        }
        DataType::Null => column_from_cells(
            input,
            std::iter::repeat_n(Cell::Missing, series.len()),
            first_row,
        ),
        DataType::Date | DataType::Datetime(..) | DataType::Time | DataType::Duration(_)
            if input.kind == ColumnKind::Categorical =>
        {
            // Training read such a column as text (polars' own formatting); so does prediction.
            let values = crate::data::text_values(series);
            let (codes, dictionary) = encode_text(&values);
            Ok(Column {
                name: input.name.clone(),
                data: ColumnData::Categorical { codes, dictionary },
            })
        }
        other => {
            let kind = other.to_string();
            let first = series.iter().position(|v| !v.is_null()).unwrap_or(0);
            column_from_cells(
                input,
                (0..series.len()).map(|i| {
                    if i < first {
                        Cell::Missing
                    } else {
                        Cell::Other(&kind)
                    }
                }),
                first_row,
            )
        }
    }
}

pub fn missing_column(name: &str) -> InputError {
    InputError::column(
        name,
        format!("column `{name}` is missing: the model needs it as an input"),
    )
}

/// The model's input columns from JSON rows (objects of column -> value). A row without one of the
/// model's columns is an error naming both; extra keys are ignored.
pub fn columns_from_json(
    inputs: &[InputColumn],
    rows: &[Value],
) -> Result<Vec<Column>, InputError> {
    let mut objects = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        match row.as_object() {
            Some(o) => objects.push(o),
            None => {
                return Err(InputError {
                    column: None,
                    row: Some(i + 1),
                    message: format!(
                        "row {} is {}, not an object of column -> value",
                        i + 1,
                        json_type(row)
                    ),
                })
            }
        }
    }
    // Every missing column is reported by its first row before any value is read.
    for input in inputs {
        if let Some(i) = objects.iter().position(|o| !o.contains_key(&input.name)) {
            return Err(InputError::at(
                &input.name,
                i + 1,
                format!(
                    "row {} has no column `{}`: the model needs it as an input (send null for a missing value)",
                    i + 1,
                    input.name
                ),
            ));
        }
    }
    inputs
        .iter()
        .map(|input| {
            let cells = objects
                .iter()
                .map(|o| json_cell(o.get(&input.name).unwrap_or(&Value::Null)));
            column_from_cells(input, cells, 0)
        })
        .collect()
}

pub(crate) fn json_cell(v: &Value) -> Cell<'_> {
    match v {
        Value::Null => Cell::Missing,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(Cell::Other("number"), Cell::Number),
        Value::String(s) => Cell::Text(s),
        Value::Array(_) => Cell::Other("array"),
        Value::Object(_) => Cell::Other("object"),
    }
}

pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs() -> Vec<InputColumn> {
        vec![
            InputColumn {
                name: "x".into(),
                kind: ColumnKind::Numeric,
                categories: vec![],
            },
            InputColumn {
                name: "c".into(),
                kind: ColumnKind::Categorical,
                categories: vec!["20".into(), "a".into()],
            },
        ]
    }

    #[test]
    fn json_and_frame_rows_read_alike() {
        let rows = vec![
            json!({"x": 1.5, "c": 20, "extra": [1]}),
            json!({"x": "2", "c": "a"}),
            json!({"x": null, "c": null}),
            json!({"x": true, "c": "20"}),
        ];
        let from_json = columns_from_json(&inputs(), &rows).unwrap();
        let df = df!(
            "x" => [Some("1.5"), Some("2"), None, Some("1")],
            "c" => [Some("20"), Some("a"), None, Some("20")],
        )
        .unwrap();
        let from_frame = columns_from_frame(&inputs(), &df, 0).unwrap();
        assert_eq!(from_json[1], from_frame[1]);
        let (ColumnData::Numeric(a), ColumnData::Numeric(b)) =
            (&from_json[0].data, &from_frame[0].data)
        else {
            panic!("numeric columns")
        };
        assert_eq!(a[..2], b[..2]);
        assert!(a[2].is_nan() && b[2].is_nan());
        assert_eq!((a[3], b[3]), (1.0, 1.0));
    }

    #[test]
    fn errors_name_the_column_and_row() {
        let e = columns_from_json(&inputs(), &[json!({"x": 1, "c": "a"}), json!({"x": 2})])
            .unwrap_err();
        assert_eq!((e.column.as_deref(), e.row), (Some("c"), Some(2)));
        let e = columns_from_json(&inputs(), &[json!({"x": "abc", "c": "a"})]).unwrap_err();
        assert_eq!((e.column.as_deref(), e.row), (Some("x"), Some(1)));
        assert!(e.message.contains("\"abc\" is not a number"), "{e}");
        let e = columns_from_json(&inputs(), &[json!({"x": 1, "c": {"k": 1}})]).unwrap_err();
        assert!(e.message.contains("type object"), "{e}");
        let e = columns_from_json(&inputs(), &[json!([1, 2])]).unwrap_err();
        assert_eq!(e.row, Some(1));
        let df = df!("x" => ["1", "2", "zz"], "c" => ["a", "a", "a"]).unwrap();
        let e = columns_from_frame(&inputs(), &df, 100).unwrap_err();
        assert_eq!((e.column.as_deref(), e.row), (Some("x"), Some(103)));
        let df = df!("x" => [1.0, f64::INFINITY], "c" => ["a", "a"]).unwrap();
        let e = columns_from_frame(&inputs(), &df, 0).unwrap_err();
        assert_eq!(e.row, Some(2));
        let df = df!("x" => [1.0]).unwrap();
        let e = columns_from_frame(&inputs(), &df, 0).unwrap_err();
        assert_eq!((e.column.as_deref(), e.row), (Some("c"), None));
    }
}
