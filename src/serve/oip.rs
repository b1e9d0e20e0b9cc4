//! The Open Inference Protocol (KServe's "V2" REST protocol, which KServe, Seldon MLServer and
//! NVIDIA Triton speak) beside POST /predict, so that their clients call kiln unchanged:
//!
//! - GET /v2, /v2/health/live, /v2/health/ready: the server (ready once it listens: the model is
//!   loaded before the socket is bound);
//! - GET /v2/models/{name}[/versions/1], .../ready: the model (`{name}` is its pipeline's name, as
//!   in summary.json; a server serves one model, version "1");
//! - POST /v2/models/{name}[/versions/1]/infer: one tensor per input column, of shape [N] or [N, 1]
//!   (BYTES for categories, any number type for numbers), in JSON or with the binary tensor
//!   extension; the outputs `prediction` and, for a classifier, `probabilities` [N, classes].
//!
//! Rows go through the same `Predictor`, drift window and row count as POST /predict. Errors are the
//! protocol's `{"error": message}`: 400 for a bad request, 404 for a model this server does not have.

pub mod tensor;

use super::api::{self, AppState, RowsPredicted};
use crate::artifact::InputColumn;
use crate::data::{Column, ColumnKind};
use crate::error::{capped_list, did_you_mean};
use crate::models::Task;
use crate::predict::input::column_from_cells;
use crate::predict::{InputError, Predictions};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use tensor::{DataType, InputTensor, OutputData, OutputTensor};

/// The one version of its model a server serves.
pub const MODEL_VERSION: &str = "1";
/// The header that says where the JSON of a binary tensor request or response ends.
const HEADER_LENGTH: &str = "inference-header-content-length";
/// Inputs named in full in an error before the rest are counted.
const SHOWN_INPUTS: usize = 20;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/v2", get(server_metadata))
        .route("/v2/health/live", get(healthy))
        .route("/v2/health/ready", get(healthy))
        .route("/v2/models/{name}", get(model_metadata))
        .route(
            "/v2/models/{name}/versions/{version}",
            get(model_metadata_at),
        )
        .route("/v2/models/{name}/ready", get(model_ready))
        .route(
            "/v2/models/{name}/versions/{version}/ready",
            get(model_ready_at),
        )
        .route("/v2/models/{name}/infer", post(infer))
        .route("/v2/models/{name}/versions/{version}/infer", post(infer_at))
}

type NamePath = Result<Path<String>, PathRejection>;
type VersionPath = Result<Path<(String, String)>, PathRejection>;

fn bad_request(message: String) -> Response {
    api::plain_error(StatusCode::BAD_REQUEST, message)
}

/// The refusal of a path naming a model or version this server does not serve; None when it is
/// the one.
fn refusal(st: &AppState, name: &str, version: Option<&str>) -> Option<Response> {
    let served = &st.predictor.artifact.pipeline;
    if name != served {
        return Some(api::plain_error(
            StatusCode::NOT_FOUND,
            format!("no model `{name}` here; this server serves `{served}`"),
        ));
    }
    match version {
        Some(v) if v != MODEL_VERSION => Some(api::plain_error(
            StatusCode::NOT_FOUND,
            format!("model `{name}` has no version `{v}`; its one version is `{MODEL_VERSION}`"),
        )),
        _ => None,
    }
}

fn refused(st: &AppState, path: NamePath) -> Option<Response> {
    match path {
        Ok(Path(name)) => refusal(st, &name, None),
        Err(e) => Some(bad_request(e.body_text())),
    }
}

fn refused_at(st: &AppState, path: VersionPath) -> Option<Response> {
    match path {
        Ok(Path((name, version))) => refusal(st, &name, Some(&version)),
        Err(e) => Some(bad_request(e.body_text())),
    }
}

async fn server_metadata() -> Response {
    let body = json!({
        "name": "kiln",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": ["binary_tensor_data"],
    });
    api::json_response(StatusCode::OK, body.to_string())
}

/// Live and ready alike: a server answers once its model is loaded. The protocol's health
/// answers are the status alone, with an empty body.
async fn healthy() -> Response {
    StatusCode::OK.into_response()
}

async fn model_metadata(State(st): State<Arc<AppState>>, path: NamePath) -> Response {
    refused(&st, path).unwrap_or_else(|| metadata(&st))
}

async fn model_metadata_at(State(st): State<Arc<AppState>>, path: VersionPath) -> Response {
    refused_at(&st, path).unwrap_or_else(|| metadata(&st))
}

async fn model_ready(State(st): State<Arc<AppState>>, path: NamePath) -> Response {
    refused(&st, path).unwrap_or_else(|| StatusCode::OK.into_response())
}

async fn model_ready_at(State(st): State<Arc<AppState>>, path: VersionPath) -> Response {
    refused_at(&st, path).unwrap_or_else(|| StatusCode::OK.into_response())
}

/// The outputs a model answers: name, datatype and shape (-1: any number of rows).
fn outputs_of(task: Task, classes: usize) -> Vec<(&'static str, DataType, Vec<i64>)> {
    match task {
        Task::Regression => vec![("prediction", DataType::F64, vec![-1])],
        Task::Clustering => vec![("prediction", DataType::I64, vec![-1])],
        Task::Classification => vec![
            ("prediction", DataType::Bytes, vec![-1]),
            ("probabilities", DataType::F64, vec![-1, classes as i64]),
        ],
    }
}

fn metadata(st: &AppState) -> Response {
    let a = &st.predictor.artifact;
    let tensor = |name: &str, datatype: DataType, shape: &[i64]| json!({ "name": name, "datatype": datatype.name(), "shape": shape });
    let inputs: Vec<Value> = a
        .inputs
        .iter()
        .map(|c| {
            let datatype = match c.kind {
                ColumnKind::Numeric => DataType::F64,
                ColumnKind::Categorical => DataType::Bytes,
            };
            tensor(&c.name, datatype, &[-1, 1])
        })
        .collect();
    let outputs: Vec<Value> = outputs_of(a.task, a.classes.len())
        .iter()
        .map(|(n, d, s)| tensor(n, *d, s))
        .collect();
    let body = json!({
        "name": a.pipeline,
        "versions": [MODEL_VERSION],
        "platform": "kiln",
        "inputs": inputs,
        "outputs": outputs,
        "parameters": { "task": a.task.name(), "classes": a.classes, "target": a.target },
    });
    api::json_response(StatusCode::OK, body.to_string())
}

async fn infer(State(st): State<Arc<AppState>>, path: NamePath, req: Request) -> Response {
    match refused(&st, path) {
        None => infer_request(st, req).await,
        Some(r) => r,
    }
}

async fn infer_at(State(st): State<Arc<AppState>>, path: VersionPath, req: Request) -> Response {
    match refused_at(&st, path) {
        None => infer_request(st, req).await,
        Some(r) => r,
    }
}

async fn infer_request(st: Arc<AppState>, req: Request) -> Response {
    let header_length = match req.headers().get(HEADER_LENGTH) {
        None => None,
        Some(v) => match v.to_str().ok().and_then(|s| s.trim().parse::<usize>().ok()) {
            Some(n) => Some(n),
            None => {
                return bad_request(format!(
                    "the {HEADER_LENGTH} header is {v:?}; expected the length in bytes of the \
                     request's JSON"
                ))
            }
        },
    };
    let body = match api::read_body(&st, req).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    let outcome = api::on_body(&st, body, move |st, body| {
        run_infer(st, body, header_length)
    })
    .await;
    match outcome {
        Ok((encoded, rows)) => {
            let content_type = if encoded.header_length.is_some() {
                "application/octet-stream"
            } else {
                "application/json"
            };
            let mut r = (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type)],
                encoded.body,
            )
                .into_response();
            if let Some(n) = encoded.header_length {
                r.headers_mut()
                    .insert(HEADER_LENGTH, HeaderValue::from(n as u64));
            }
            r.extensions_mut().insert(RowsPredicted(rows));
            r
        }
        Err(e) => api::error(StatusCode::BAD_REQUEST, &e),
    }
}

/// Reads, predicts and answers one infer request; returns the encoded response and its row count.
fn run_infer(
    st: &AppState,
    body: &[u8],
    header_length: Option<usize>,
) -> Result<(tensor::EncodedResponse, usize), InputError> {
    let (head, binary) = match header_length {
        None => (body, &[][..]),
        Some(n) if n <= body.len() => body.split_at(n),
        Some(n) => {
            return Err(InputError::general(format!(
                "the {HEADER_LENGTH} header says {n} bytes of JSON; the body has {}",
                body.len()
            )))
        }
    };
    let header: Value = api::parse_json(head)
        .map_err(|e| InputError::general(format!("the request's JSON is not valid: {e}")))?;
    let request = tensor::read_request(&header, binary).map_err(InputError::general)?;
    let a = &st.predictor.artifact;
    let known = outputs_of(a.task, a.classes.len());
    // The outputs asked for are checked before any row is predicted (or counted).
    let wanted: Vec<(&str, bool)> = match &request.outputs {
        None => known
            .iter()
            .map(|(n, ..)| (*n, request.binary_output))
            .collect(),
        Some(asked) => asked
            .iter()
            .map(|o| {
                if known.iter().any(|(n, ..)| *n == o.name) {
                    Ok((o.name, o.binary.unwrap_or(request.binary_output)))
                } else {
                    let names: Vec<&str> = known.iter().map(|(n, ..)| *n).collect();
                    Err(InputError::general(format!(
                        "the model has no output `{}`; its outputs: {}{}",
                        o.name,
                        names.join(", "),
                        did_you_mean(o.name, names.iter().copied())
                    )))
                }
            })
            .collect::<Result<_, _>>()?,
    };
    let (columns, n) = columns_of(&a.inputs, request.inputs)?;
    let predictions = api::predict_and_record(st, &columns, n)?;
    let tensors = output_tensors(&predictions, &a.classes);
    let chosen: Vec<(OutputTensor, bool)> = tensors
        .into_iter()
        .filter_map(|t| {
            let binary = wanted.iter().find(|(n, _)| *n == t.name)?.1;
            Some((t, binary))
        })
        .collect();
    let mut head = Map::new();
    head.insert("model_name".into(), Value::String(a.pipeline.clone()));
    head.insert("model_version".into(), MODEL_VERSION.into());
    if let Some(id) = request.id {
        head.insert("id".into(), id.into());
    }
    Ok((tensor::write_response(head, &chosen), n))
}

/// The model's input columns from a request's tensors, one per column, every one of the same
/// length; returns them with that length.
fn columns_of(
    inputs: &[InputColumn],
    tensors: Vec<InputTensor>,
) -> Result<(Vec<Column>, usize), InputError> {
    let expected = || capped_list(inputs.iter().map(|c| format!("`{}`", c.name)), SHOWN_INPUTS);
    for (i, t) in tensors.iter().enumerate() {
        if tensors[..i].iter().any(|s| s.name == t.name) {
            return Err(InputError::column(
                t.name,
                format!("input `{}` is sent twice", t.name),
            ));
        }
        if !inputs.iter().any(|c| c.name == t.name) {
            return Err(InputError::column(
                t.name,
                format!(
                    "the model has no input `{}`{}; its inputs: {}",
                    t.name,
                    did_you_mean(t.name, inputs.iter().map(|c| c.name.as_str())),
                    expected()
                ),
            ));
        }
    }
    let n = tensors[0].cells.len();
    if let Some(t) = tensors.iter().find(|t| t.cells.len() != n) {
        return Err(InputError::column(
            t.name,
            format!(
                "input `{}` has {} rows and input `{}` has {n}; every input holds the same rows",
                t.name,
                t.cells.len(),
                tensors[0].name
            ),
        ));
    }
    let mut tensors: Vec<Option<InputTensor>> = tensors.into_iter().map(Some).collect();
    let mut columns = Vec::with_capacity(inputs.len());
    for input in inputs {
        let Some(t) = tensors
            .iter_mut()
            .find(|t| t.as_ref().is_some_and(|t| t.name == input.name))
            .and_then(Option::take)
        else {
            return Err(InputError::column(
                &input.name,
                format!(
                    "the request has no input `{}`; the model's inputs: {}",
                    input.name,
                    expected()
                ),
            ));
        };
        if input.kind == ColumnKind::Numeric && t.datatype == DataType::Bytes {
            return Err(InputError::column(
                &input.name,
                format!(
                    "input `{}` is numeric: send it as FP64 (or another number type), not BYTES",
                    input.name
                ),
            ));
        }
        columns.push(column_from_cells(input, t.cells.into_iter(), 0)?);
    }
    Ok((columns, n))
}

/// The response's tensors for a batch's predictions.
fn output_tensors<'a>(p: &Predictions, classes: &'a [String]) -> Vec<OutputTensor<'a>> {
    let n = p.len();
    match p {
        Predictions::Values(v) => vec![OutputTensor {
            name: "prediction",
            shape: vec![n],
            data: OutputData::F64(v.clone()),
        }],
        Predictions::Clusters(c) => vec![OutputTensor {
            name: "prediction",
            shape: vec![n],
            data: OutputData::I64(c.iter().map(|&k| k as i64).collect()),
        }],
        Predictions::Classes { labels, proba } => {
            let k = proba.n_cols;
            let flat = (0..n)
                .flat_map(|i| (0..k).map(move |j| (i, j)))
                .map(|(i, j)| proba.get(i, j))
                .collect();
            vec![
                OutputTensor {
                    name: "prediction",
                    shape: vec![n],
                    data: OutputData::Bytes(labels.iter().map(|&l| classes[l].as_str()).collect()),
                },
                OutputTensor {
                    name: "probabilities",
                    shape: vec![n, k],
                    data: OutputData::F64(flat),
                },
            ]
        }
    }
}
