//! The HTTP API: routes, handlers, error responses, and the layer that times, counts and logs every
//! request. Every error is a JSON object `{"error": ..., "column": ..., "row": ...}` (column and row
//! when there is one): 400 for a body that is not JSON, 413 for one over the limit, 422 for JSON of the
//! wrong shape or rows the model cannot read, 408 for a body that does not arrive in time
//! (`--body-timeout`).

use super::drift::DriftMonitor;
use super::log::Log;
use super::prom::Metrics;
use crate::data::Column;
use crate::error::did_you_mean;
use crate::matrix::Matrix;
use crate::predict::input::json_type;
use crate::predict::json_rows;
use crate::predict::{InputError, Predictions, Predictor};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Batches larger than this are predicted on tokio's blocking pool, so one large request does not hold
/// up a worker that small ones are waiting on.
const BLOCKING_ROWS: usize = 256;

pub struct AppState {
    pub predictor: Predictor,
    /// POST /predict's fast path for well-formed bodies.
    pub rows: json_rows::RowReader,
    pub metrics: Metrics,
    pub drift: DriftMonitor,
    /// GET /model's body, built once.
    model_info: Bytes,
    pub quiet: bool,
    /// The request log (and the count of lines it dropped, on /metrics).
    pub log: Arc<Log>,
    /// How long POST /predict waits for its body (`--body-timeout`).
    pub body_timeout: Duration,
}

impl AppState {
    /// The state of a server; an error names a drift table of the model that cannot be used.
    pub fn new(
        predictor: Predictor,
        drift_window: usize,
        quiet: bool,
        log: Arc<Log>,
        body_timeout: Duration,
    ) -> Result<Self, String> {
        let drift = DriftMonitor::new(&predictor.artifact.drift, drift_window)?;
        let model_info = Bytes::from(model_info(&predictor).to_string());
        Ok(AppState {
            rows: json_rows::RowReader::new(&predictor.artifact.inputs),
            predictor,
            metrics: Metrics::default(),
            drift,
            model_info,
            quiet,
            log,
            body_timeout,
        })
    }
}

pub fn router(state: Arc<AppState>, max_body: usize) -> Router {
    let kiln = Router::new()
        .route("/predict", post(predict))
        .route("/health", get(health))
        .route("/model", get(model))
        .route("/metrics", get(metrics));
    super::mlflow::routes(super::oip::routes(kiln))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Rows a response predicted, for the request log.
#[derive(Clone, Copy)]
pub(super) struct RowsPredicted(pub(super) usize);

/// Times, counts and logs each request.
async fn observe(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = next.run(req).await;
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    st.metrics.observe(endpoint(&path), status, elapsed);
    if !st.quiet {
        let rows = response
            .extensions()
            .get::<RowsPredicted>()
            .map(|r| format!(" rows={}", r.0))
            .unwrap_or_default();
        let time = crate::util::clock::utc_iso(crate::util::clock::now_secs());
        st.log.line(format!(
            "{time} {method} {path} {status} {:.3}ms{rows}",
            elapsed.as_secs_f64() * 1e3
        ));
    }
    response
}

/// The metrics label of a path: one of the routes (the model's name in an Open Inference Protocol
/// path as `{name}`), or "other"; so that scanners cannot blow up the number of series.
fn endpoint(path: &str) -> &'static str {
    match path {
        "/predict" => "/predict",
        "/health" => "/health",
        "/model" => "/model",
        "/metrics" => "/metrics",
        "/invocations" => "/invocations",
        "/ping" => "/ping",
        "/v2" => "/v2",
        "/v2/health/live" => "/v2/health/live",
        "/v2/health/ready" => "/v2/health/ready",
        p if p.starts_with("/v2/models/") => {
            if p.ends_with("/infer") {
                "/v2/models/{name}/infer"
            } else if p.ends_with("/ready") {
                "/v2/models/{name}/ready"
            } else {
                "/v2/models/{name}"
            }
        }
        _ => "other",
    }
}

pub(super) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.into(),
    )
        .into_response()
}

pub(super) fn error(status: StatusCode, e: &InputError) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("error".into(), Value::String(e.message.clone()));
    if let Some(c) = &e.column {
        body.insert("column".into(), Value::String(c.clone()));
    }
    if let Some(r) = e.row {
        body.insert("row".into(), Value::from(r));
    }
    json_response(status, Value::Object(body).to_string())
}

pub(super) fn plain_error(status: StatusCode, message: String) -> Response {
    error(status, &InputError::general(message))
}

async fn health() -> Response {
    json_response(StatusCode::OK, r#"{"status":"ok"}"#)
}

async fn model(State(st): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, st.model_info.clone())
}

async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(&st.drift.view(), st.log.dropped()),
    )
        .into_response()
}

async fn not_found(method: Method, req: Request) -> Response {
    plain_error(
        StatusCode::NOT_FOUND,
        format!(
            "no route {method} {}; routes: POST /predict, GET /health, GET /model, GET /metrics; \
             the Open Inference Protocol's GET /v2, GET /v2/health/live, GET /v2/health/ready, \
             GET /v2/models/{{name}}, GET /v2/models/{{name}}/ready, \
             POST /v2/models/{{name}}/infer; MLflow's POST /invocations, GET /ping",
            req.uri().path()
        ),
    )
}

async fn method_not_allowed(method: Method, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let posted = path == "/predict" || path == "/invocations" || path.ends_with("/infer");
    let allowed = if posted { "POST" } else { "GET" };
    let mut r = plain_error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {path}; use {allowed}"),
    );
    if let Ok(v) = allowed.parse() {
        r.headers_mut().insert(header::ALLOW, v);
    }
    r
}

/// The body of a request, read within `--body-timeout`; else the error response.
pub(super) async fn read_body(st: &AppState, req: Request) -> Result<Bytes, Response> {
    match tokio::time::timeout(st.body_timeout, Bytes::from_request(req, &())).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(rejection)) => Err(body_rejected(rejection)),
        Err(_) => {
            let mut r = plain_error(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {:?} (--body-timeout)",
                    st.body_timeout
                ),
            );
            // The rest of the body may still come: the connection cannot carry another request.
            r.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
            Err(r)
        }
    }
}

fn body_rejected(rejection: BytesRejection) -> Response {
    let status = rejection.status();
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is over the server's limit (--max-body); send fewer rows per request"
            .to_string()
    } else {
        rejection.body_text()
    };
    plain_error(status, message)
}

async fn predict(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let body = match read_body(&st, req).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    // The common case straight into columns; anything else through a JSON tree, which names
    // what is wrong (see predict::json_rows).
    let fast = st.rows.read(&body);
    let outcome = if let Some((columns, n)) = fast {
        if n > BLOCKING_ROWS {
            let st2 = st.clone();
            blocking(move || answer(&st2, &columns, n)).await
        } else {
            answer(&st, &columns, n)
        }
    } else {
        let value: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return plain_error(
                    StatusCode::BAD_REQUEST,
                    format!("the body is not valid JSON: {e}"),
                )
            }
        };
        let n = value
            .get("rows")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if n > BLOCKING_ROWS {
            let st2 = st.clone();
            blocking(move || run_predict(&st2, &value)).await
        } else {
            run_predict(&st, &value)
        }
    };
    match outcome {
        Ok((body, rows)) => {
            let mut r = json_response(StatusCode::OK, body);
            r.extensions_mut().insert(RowsPredicted(rows));
            r
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

/// A large batch is predicted off the async workers, so small requests keep being answered.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, InputError> + Send + 'static,
) -> Result<T, InputError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(o) => o,
        Err(_) => Err(InputError::general(
            "the prediction failed unexpectedly".into(),
        )),
    }
}

/// Bodies of the other protocols larger than this are read and predicted on tokio's blocking pool.
const BLOCKING_BYTES: usize = 64 * 1024;

/// Runs `f` on a request's body: on tokio's blocking pool when the body is large, so that one large
/// request does not hold up a worker that small ones are waiting on.
pub(super) async fn on_body<T, F>(st: &Arc<AppState>, body: Bytes, f: F) -> Result<T, InputError>
where
    T: Send + 'static,
    F: FnOnce(&AppState, &[u8]) -> Result<T, InputError> + Send + 'static,
{
    if body.len() > BLOCKING_BYTES {
        let st = st.clone();
        blocking(move || f(&st, &body)).await
    } else {
        f(st, &body)
    }
}

/// Reads, predicts and records one request's rows from its JSON tree; returns the response body
/// and the row count.
pub fn run_predict(st: &AppState, body: &Value) -> Result<(Vec<u8>, usize), InputError> {
    let rows = rows_of(body)?;
    let columns = st
        .predictor
        .columns_from_json(rows)
        .map_err(|e| suggest_column(e, rows))?;
    answer(st, &columns, rows.len())
}

/// A row without one of the model's columns: the error, with the key of that row nearest to the
/// missing column's name (a likely typo) as a "did you mean".
fn suggest_column(mut e: InputError, rows: &[Value]) -> InputError {
    let (Some(column), Some(row)) = (&e.column, e.row) else {
        return e;
    };
    let Some(object) = row.checked_sub(1).and_then(|i| rows.get(i)?.as_object()) else {
        return e;
    };
    if !object.contains_key(column) {
        e.message
            .push_str(&did_you_mean(column, object.keys().map(String::as_str)));
    }
    e
}

/// Predicts `n` rows read as the model's input columns and records them (the drift window, the row
/// count): the one step every prediction route goes through, so drift and metrics see them all.
pub fn predict_and_record(
    st: &AppState,
    columns: &[Column],
    n: usize,
) -> Result<Predictions, InputError> {
    let predictions = st.predictor.predict(columns, 0)?;
    st.drift.observe(columns);
    st.metrics.add_rows(n);
    Ok(predictions)
}

/// Predicts and records `n` rows read as the model's input columns; returns POST /predict's body.
pub fn answer(st: &AppState, columns: &[Column], n: usize) -> Result<(Vec<u8>, usize), InputError> {
    let predictions = predict_and_record(st, columns, n)?;
    let classes = &st.predictor.artifact.classes;
    let response = PredictResponse::new(&predictions, classes);
    let body = serde_json::to_vec(&response)
        .map_err(|e| InputError::general(format!("cannot write the response: {e}")))?;
    Ok((body, n))
}

/// Parses a JSON body as Python's `json` module writes it: a bare `NaN` (what `json.dumps` writes
/// for a missing float, and so what Python clients of the other protocols send) reads as `null`, a
/// missing value. Strict JSON parses as it is; `Infinity` stays an error.
pub(super) fn parse_json(body: &[u8]) -> Result<Value, serde_json::Error> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(e) => match nan_as_null(body) {
            Some(fixed) => serde_json::from_slice(&fixed).map_err(|_| e),
            None => Err(e),
        },
    }
}

/// `body` with each `NaN` outside strings replaced by `null`; None when it has none.
fn nan_as_null(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if body[i..].starts_with(b"NaN") {
            out.extend_from_slice(b"null");
            changed = true;
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

fn rows_of(body: &Value) -> Result<&Vec<Value>, InputError> {
    let Some(object) = body.as_object() else {
        return Err(InputError::general(format!(
            "the body is {}; expected an object {{\"rows\": [{{\"column\": value, ...}}, ...]}}",
            json_type(body)
        )));
    };
    match object.get("rows") {
        Some(Value::Array(rows)) => Ok(rows),
        Some(other) => Err(InputError::general(format!(
            "\"rows\" is {}; expected an array of objects of column -> value",
            json_type(other)
        ))),
        None => Err(InputError::general(
            "the body has no \"rows\": expected {\"rows\": [{\"column\": value, ...}, ...]}".into(),
        )),
    }
}

/// The body of a successful POST /predict.
struct PredictResponse<'a> {
    predictions: &'a Predictions,
    classes: &'a [String],
}

impl<'a> PredictResponse<'a> {
    fn new(predictions: &'a Predictions, classes: &'a [String]) -> Self {
        PredictResponse {
            predictions,
            classes,
        }
    }
}

impl Serialize for PredictResponse<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.predictions {
            Predictions::Values(v) => m.serialize_entry("predictions", v)?,
            Predictions::Clusters(c) => m.serialize_entry("predictions", c)?,
            Predictions::Classes { labels, proba } => {
                let names: Vec<&str> = labels.iter().map(|l| self.classes[*l].as_str()).collect();
                m.serialize_entry("predictions", &names)?;
                m.serialize_entry(
                    "probabilities",
                    &ProbaRows {
                        classes: self.classes,
                        proba,
                    },
                )?;
            }
        }
        m.end()
    }
}

/// One object of class -> probability per row, in the order of the model's classes.
struct ProbaRows<'a> {
    classes: &'a [String],
    proba: &'a Matrix,
}

impl Serialize for ProbaRows<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Row<'b>(&'b ProbaRows<'b>, usize);
        impl Serialize for Row<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.classes.len()))?;
                for (j, c) in self.0.classes.iter().enumerate() {
                    m.serialize_entry(c, &self.0.proba.get(self.1, j))?;
                }
                m.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.proba.n_rows))?;
        for i in 0..self.proba.n_rows {
            seq.serialize_element(&Row(self, i))?;
        }
        seq.end()
    }
}

/// GET /model: what the model is, what it reads, how well it scored and when it was trained.
fn model_info(p: &Predictor) -> Value {
    let a = &p.artifact;
    let model_type = serde_json::to_value(&a.model)
        .ok()
        .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string));
    serde_json::json!({
        "pipeline": a.pipeline,
        "task": a.task,
        "model_kind": model_type,
        "target": a.target,
        "classes": a.classes,
        "positive_class": a.positive_class,
        "inputs": a.inputs,
        "outputs": a.preprocessor.output_names.len(),
        "params": a.params,
        "metric": a.metric,
        "scores": { "cv": a.cv, "test": a.test },
        "trained_at": a.created_at,
        "training_rows": a.training_rows,
        "data_hash": a.data_hash,
        "kiln_version": a.kiln_version,
        "format": { "name": a.format, "version": a.version },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_nan_reads_as_null_outside_strings_only() {
        let v = parse_json(br#"{"a": [1, NaN, -2], "b": "NaN \"NaN\" x"}"#).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": [1, null, -2], "b": "NaN \"NaN\" x"})
        );
        assert!(parse_json(b"[Infinity]").is_err());
        assert!(parse_json(b"[NaNa]").is_err());
        assert_eq!(nan_as_null(br#"{"k": "NaN"}"#), None);
    }
}
