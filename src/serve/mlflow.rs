//! MLflow's scoring protocol beside POST /predict, so that a client written for a model served by
//! `mlflow models serve` calls kiln unchanged: POST /invocations with a JSON body of one of
//! `dataframe_split` (`{"columns": [...], "data": [[...], ...]}`), `dataframe_records` (a list of
//! column -> value objects), `instances` or `inputs` (records, or one object of column -> values),
//! or a `text/csv` body with a header row; the answer is `{"predictions": [...]}`. GET /ping is its
//! health check.
//!
//! Rows go through the same `Predictor`, drift window and row count as POST /predict. Errors are
//! MLflow's `{"error_code": "BAD_REQUEST", "message": ...}`: 400 for a body that cannot be read or
//! rows the model cannot take, 415 for a content type other than JSON or CSV.

use super::api::{self, AppState, RowsPredicted};
use crate::artifact::InputColumn;
use crate::data::Column;
use crate::predict::input::{self, column_from_cells, json_cell, json_type, missing_column};
use crate::predict::{InputError, Predictions};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use polars::prelude::{CsvReadOptions, SerReader};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The keys one of which a JSON body holds.
const FORMATS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/invocations", post(invocations))
        .route("/ping", get(ping))
}

/// MLflow's answer to GET /ping.
async fn ping() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        "\n",
    )
        .into_response()
}

fn mlflow_error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error_code": "BAD_REQUEST", "message": message });
    api::json_response(status, body.to_string())
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Csv,
}

async fn invocations(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let format = match content_type.as_deref() {
        Some("application/json") => Format::Json,
        Some("text/csv") => Format::Csv,
        other => {
            return mlflow_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!(
                    "POST /invocations takes Content-Type application/json or text/csv; got {}",
                    other.map_or("none".to_string(), |t| format!("`{t}`"))
                ),
            )
        }
    };
    let body = match api::read_body(&st, req).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let outcome = api::on_body(&st, body, move |st, body| run_invocation(st, body, format)).await;
    match outcome {
        Ok((body, rows)) => {
            let mut r = api::json_response(StatusCode::OK, body);
            r.extensions_mut().insert(RowsPredicted(rows));
            r
        }
        Err(e) => mlflow_error(StatusCode::BAD_REQUEST, &e.message),
    }
}

fn run_invocation(
    st: &AppState,
    body: &[u8],
    format: Format,
) -> Result<(Vec<u8>, usize), InputError> {
    let inputs = &st.predictor.artifact.inputs;
    let columns = match format {
        Format::Csv => csv_columns(inputs, body)?,
        Format::Json => {
            let value: Value = api::parse_json(body)
                .map_err(|e| InputError::general(format!("the body is not valid JSON: {e}")))?;
            json_columns(inputs, &value)?
        }
    };
    let n = columns.first().map_or(0, Column::len);
    let predictions = api::predict_and_record(st, &columns, n)?;
    let classes = &st.predictor.artifact.classes;
    let answer = match &predictions {
        Predictions::Values(v) => json!({ "predictions": v }),
        Predictions::Clusters(c) => json!({ "predictions": c }),
        Predictions::Classes { labels, .. } => {
            let names: Vec<&str> = labels.iter().map(|&l| classes[l].as_str()).collect();
            json!({ "predictions": names })
        }
    };
    Ok((answer.to_string().into_bytes(), n))
}

/// A CSV body with a header row. Every cell is read as text and then by the model's rules for its
/// column, as `kiln predict` reads a CSV file's cells.
fn csv_columns(inputs: &[InputColumn], body: &[u8]) -> Result<Vec<Column>, InputError> {
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(std::io::Cursor::new(body))
        .finish()
        .map_err(|e| InputError::general(format!("the body is not CSV kiln can read: {e}")))?;
    input::columns_from_frame(inputs, &df, 0)
}

/// The model's columns from a JSON body in one of MLflow's four formats.
fn json_columns(inputs: &[InputColumn], body: &Value) -> Result<Vec<Column>, InputError> {
    let Some(object) = body.as_object() else {
        return Err(InputError::general(format!(
            "the body is {}; expected an object with one of {}",
            json_type(body),
            FORMATS.join(", ")
        )));
    };
    let mut format = None;
    for (key, value) in object {
        if FORMATS.contains(&key.as_str()) {
            if let Some((first, _)) = format {
                return Err(InputError::general(format!(
                    "the body holds both `{first}` and `{key}`; send one"
                )));
            }
            format = Some((key.as_str(), value));
        } else if key == "params" {
            // MLflow passes params to a model's predict; a kiln model takes none.
            if !value.as_object().is_some_and(Map::is_empty) {
                return Err(InputError::general(
                    "`params`: a kiln model takes no inference parameters".into(),
                ));
            }
        } else {
            return Err(InputError::general(format!(
                "unknown key `{key}`{}; the body holds one of {}",
                crate::error::did_you_mean(key, FORMATS),
                FORMATS.join(", ")
            )));
        }
    }
    let Some((key, value)) = format else {
        return Err(InputError::general(format!(
            "the body holds none of {}",
            FORMATS.join(", ")
        )));
    };
    let prefix = |mut e: InputError| {
        e.message = format!("`{key}`: {}", e.message);
        e
    };
    match (key, value) {
        ("dataframe_split", v) => split_columns(inputs, v).map_err(prefix),
        (_, Value::Array(rows)) => input::columns_from_json(inputs, rows).map_err(prefix),
        ("instances" | "inputs", Value::Object(columns)) => {
            columnar(inputs, columns).map_err(prefix)
        }
        (_, other) => Err(InputError::general(format!(
            "`{key}` is {}; expected a list of column -> value objects{}",
            json_type(other),
            if key == "dataframe_records" {
                ""
            } else {
                ", or an object of column -> list of values"
            }
        ))),
    }
}

/// pandas' split orient: `{"columns": [names], "data": [[row values], ...]}` (`index` ignored).
fn split_columns(inputs: &[InputColumn], split: &Value) -> Result<Vec<Column>, InputError> {
    let Some(o) = split.as_object() else {
        return Err(InputError::general(format!(
            "{}; expected {{\"columns\": [...], \"data\": [[...], ...]}}",
            json_type(split)
        )));
    };
    let names: Vec<&str> = match o.get("columns") {
        Some(Value::Array(c)) => c
            .iter()
            .map(|n| {
                n.as_str().ok_or_else(|| {
                    InputError::general(format!("a column name is {}", json_type(n)))
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(InputError::general(
                "no \"columns\": expected a list of column names".into(),
            ))
        }
    };
    let Some(Value::Array(data)) = o.get("data") else {
        return Err(InputError::general(
            "no \"data\": expected a list of rows, each a list of values".into(),
        ));
    };
    let mut rows = Vec::with_capacity(data.len());
    for (i, row) in data.iter().enumerate() {
        match row.as_array() {
            Some(r) if r.len() == names.len() => rows.push(r),
            Some(r) => {
                return Err(InputError {
                    column: None,
                    row: Some(i + 1),
                    message: format!(
                        "row {} has {} values for {} columns",
                        i + 1,
                        r.len(),
                        names.len()
                    ),
                })
            }
            None => {
                return Err(InputError {
                    column: None,
                    row: Some(i + 1),
                    message: format!("row {} is {}, not a list of values", i + 1, json_type(row)),
                })
            }
        }
    }
    inputs
        .iter()
        .map(|input| {
            let j = names
                .iter()
                .position(|n| *n == input.name)
                .ok_or_else(|| missing_column(&input.name))?;
            column_from_cells(input, rows.iter().map(|r| json_cell(&r[j])), 0)
        })
        .collect()
}

/// One object of column -> list of values (TensorFlow Serving's columnar form, which MLflow takes).
fn columnar(
    inputs: &[InputColumn],
    columns: &Map<String, Value>,
) -> Result<Vec<Column>, InputError> {
    let mut n = None;
    inputs
        .iter()
        .map(|input| {
            let Some(values) = columns.get(&input.name) else {
                return Err(missing_column(&input.name));
            };
            let Some(values) = values.as_array() else {
                return Err(InputError::column(
                    &input.name,
                    format!(
                        "column `{}` is {}; expected a list of values",
                        input.name,
                        json_type(values)
                    ),
                ));
            };
            match n {
                Some((first, len)) if len != values.len() => {
                    return Err(InputError::column(
                        &input.name,
                        format!(
                            "column `{}` has {} values and column `{first}` has {len}",
                            input.name,
                            values.len()
                        ),
                    ))
                }
                None => n = Some((input.name.as_str(), values.len())),
                _ => {}
            }
            column_from_cells(input, values.iter().map(json_cell), 0)
        })
        .collect()
}
