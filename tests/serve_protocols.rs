//! `kiln serve`'s other protocols through the real binary and real HTTP: the Open Inference
//! Protocol (JSON and binary tensors) and MLflow's POST /invocations. Each answers the same
//! predictions, bit for bit, as the library (and so as POST /predict and `kiln predict`), counts its
//! rows and feeds the drift window, and answers every malformed request with a 4xx and a JSON error
//! that changes nothing.

mod common;
use common::root;
use common::server::*;

use kiln::data::ColumnKind;
use kiln::predict::Predictions;
use serde_json::{json, Value};
use std::path::Path;

const ROWS: usize = 40;

/// The name a model is served under: its pipeline's name.
fn name_of(model: &Path) -> String {
    predictor(model).artifact.pipeline.clone()
}

/// The first `ROWS` rows of a shipped data file as JSON objects.
fn rows_of(data: &str) -> Vec<Value> {
    json_rows(&frame(data)).into_iter().take(ROWS).collect()
}

/// One OIP tensor per model input, from JSON rows: numbers as FP64, text as BYTES, a categorical
/// column of whole numbers as INT64 (as BYTES, their text, when some are missing).
fn tensors(model: &Path, rows: &[Value]) -> Vec<Value> {
    predictor(model)
        .artifact
        .inputs
        .iter()
        .map(|c| {
            let mut data: Vec<Value> = rows.iter().map(|r| r[&c.name].clone()).collect();
            let datatype = match c.kind {
                ColumnKind::Numeric => "FP64",
                ColumnKind::Categorical if data.iter().all(Value::is_i64) => "INT64",
                ColumnKind::Categorical => {
                    for v in &mut data {
                        if let Some(i) = v.as_i64() {
                            *v = json!(i.to_string());
                        }
                    }
                    "BYTES"
                }
            };
            json!({"name": c.name, "shape": [rows.len(), 1], "datatype": datatype, "data": data})
        })
        .collect()
}

/// The same tensors with the binary tensor extension: the JSON header, then each tensor's bytes.
fn binary_request(tensors: &[Value], outputs: Value) -> (Vec<u8>, usize) {
    let mut raw = Vec::new();
    let mut head = Vec::new();
    for t in tensors {
        let mut bytes = Vec::new();
        for v in t["data"].as_array().unwrap() {
            match t["datatype"].as_str().unwrap() {
                "FP64" => bytes.extend_from_slice(&v.as_f64().unwrap_or(f64::NAN).to_le_bytes()),
                "INT64" => bytes.extend_from_slice(&v.as_i64().unwrap().to_le_bytes()),
                _ => {
                    let s = v.as_str().unwrap_or_default().as_bytes();
                    bytes.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    bytes.extend_from_slice(s);
                }
            }
        }
        let mut t = t.clone();
        t.as_object_mut().unwrap().remove("data");
        t["parameters"] = json!({"binary_data_size": bytes.len()});
        head.push(t);
        raw.extend_from_slice(&bytes);
    }
    let mut body = json!({"inputs": head, "outputs": outputs})
        .to_string()
        .into_bytes();
    let n = body.len();
    body.extend_from_slice(&raw);
    (body, n)
}

/// The outputs of an infer response, JSON or binary, as (name, shape, elements as JSON).
fn outputs(r: &Response) -> Vec<(String, Vec<u64>, Vec<Value>)> {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let n = r
        .header("inference-header-content-length")
        .map_or(r.body.len(), |n| n.parse().unwrap());
    let head: Value = serde_json::from_slice(&r.body[..n]).unwrap();
    let mut rest = &r.body[n..];
    let mut out = Vec::new();
    for t in head["outputs"].as_array().unwrap() {
        let shape: Vec<u64> = t["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap())
            .collect();
        let data = match t["parameters"]["binary_data_size"].as_u64() {
            None => t["data"].as_array().unwrap().clone(),
            Some(size) => {
                let (mine, after) = rest.split_at(size as usize);
                rest = after;
                decode(t["datatype"].as_str().unwrap(), mine)
            }
        };
        out.push((t["name"].as_str().unwrap().to_string(), shape, data));
    }
    assert!(rest.is_empty(), "bytes after the last binary output");
    out
}

fn decode(datatype: &str, mut b: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (v, n) = match datatype {
            "FP64" => (json!(f64::from_le_bytes(b[..8].try_into().unwrap())), 8),
            "INT64" => (json!(i64::from_le_bytes(b[..8].try_into().unwrap())), 8),
            "BYTES" => {
                let len = u32::from_le_bytes(b[..4].try_into().unwrap()) as usize;
                (json!(std::str::from_utf8(&b[4..4 + len]).unwrap()), 4 + len)
            }
            other => panic!("no decoder for {other}"),
        };
        out.push(v);
        b = &b[n..];
    }
    out
}

fn floats(v: &[Value]) -> Vec<f64> {
    v.iter().map(|x| x.as_f64().unwrap()).collect()
}

fn infer(server: &Server, name: &str, body: &[u8], headers: &[(&str, &str)]) -> Response {
    request_with(
        server.addr,
        "POST",
        &format!("/v2/models/{name}/infer"),
        headers,
        Some(body),
    )
}

/// The library's predictions for the first `ROWS` rows.
fn expected(model: &Path, data: &str) -> Predictions {
    let p = predictor(model);
    let df = frame(data).head(Some(ROWS));
    p.predict_frame(&df, 0).unwrap()
}

fn counter(server: &Server, series: &str) -> f64 {
    sample(&server.metrics(), series).unwrap_or(0.0)
}

#[test]
fn open_inference_protocol_regression_in_json_and_binary_matches_the_library_bit_for_bit() {
    let m = &models().ridge;
    let server = Server::start(m, &["--quiet"]);
    let name = name_of(m);
    let Predictions::Values(want) = expected(m, "data/ames.csv") else {
        panic!("regression")
    };

    // The server and the model describe themselves.
    let meta = server.get("/v2").json();
    assert_eq!(
        (meta["name"].as_str(), meta["extensions"][0].as_str()),
        (Some("kiln"), Some("binary_tensor_data"))
    );
    for path in [
        "/v2/health/live",
        "/v2/health/ready",
        &format!("/v2/models/{name}/ready"),
        &format!("/v2/models/{name}/versions/1/ready"),
    ] {
        assert_eq!(server.get(path).status, 200, "{path}");
    }
    let meta = server.get(&format!("/v2/models/{name}")).json();
    assert_eq!(meta["name"], json!(name));
    assert_eq!(meta["versions"], json!(["1"]));
    let inputs = &predictor(m).artifact.inputs;
    let listed = meta["inputs"].as_array().unwrap();
    assert_eq!(listed.len(), inputs.len());
    for (t, c) in listed.iter().zip(inputs) {
        let datatype = if c.kind == ColumnKind::Numeric {
            "FP64"
        } else {
            "BYTES"
        };
        assert_eq!(
            (t["name"].as_str(), t["datatype"].as_str(), &t["shape"]),
            (Some(c.name.as_str()), Some(datatype), &json!([-1, 1]))
        );
    }
    assert_eq!(
        meta["outputs"],
        json!([{"name": "prediction", "datatype": "FP64", "shape": [-1]}])
    );
    assert_eq!(
        server.get(&format!("/v2/models/{name}/versions/1")).json(),
        meta
    );

    let rows = rows_of("data/ames.csv");
    let t = tensors(m, &rows);
    let rows_before = counter(&server, "kiln_rows_predicted_total");
    // JSON tensors, the request's id echoed.
    let body = json!({"id": "req-7", "inputs": t}).to_string();
    let r = infer(&server, &name, body.as_bytes(), JSON);
    let head = r.json();
    assert_eq!(
        (
            head["id"].as_str(),
            head["model_name"].as_str(),
            head["model_version"].as_str()
        ),
        (Some("req-7"), Some(name.as_str()), Some("1"))
    );
    let out = outputs(&r);
    assert_eq!(
        (out[0].0.as_str(), &out[0].1),
        ("prediction", &vec![ROWS as u64])
    );
    assert_bits(&floats(&out[0].2), &want, "OIP JSON");
    // Binary tensors in and out, through the versioned path, as Triton's clients send them.
    let (body, n) = binary_request(
        &t,
        json!([{"name": "prediction", "parameters": {"binary_data": true}}]),
    );
    let length = n.to_string();
    let headers = [
        ("Content-Type", "application/octet-stream"),
        ("Inference-Header-Content-Length", length.as_str()),
    ];
    let r = request_with(
        server.addr,
        "POST",
        &format!("/v2/models/{name}/versions/1/infer"),
        &headers,
        Some(&body),
    );
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(r.header("inference-header-content-length").is_some());
    assert_bits(&floats(&outputs(&r)[0].2), &want, "OIP binary");
    // Both requests were counted, and their rows went into the drift window.
    let metrics = server.metrics();
    assert_eq!(
        sample(&metrics, "kiln_rows_predicted_total"),
        Some(rows_before + 2.0 * ROWS as f64)
    );
    assert!(sample(&metrics, "kiln_drift_window_rows").unwrap() >= 2.0 * ROWS as f64);
    assert_eq!(
        sample(
            &metrics,
            "kiln_http_requests_total{endpoint=\"/v2/models/{name}/infer\",status=\"200\"}"
        ),
        Some(2.0)
    );
}

#[test]
fn open_inference_protocol_classifier_and_clusters_answer_labels_and_probabilities() {
    let m = &models().penguins;
    let server = Server::start(m, &["--quiet"]);
    let name = name_of(m);
    let Predictions::Classes { labels, proba } = expected(m, "data/penguins.csv") else {
        panic!("classes")
    };
    let classes = predictor(m).artifact.classes.clone();
    let meta = server.get(&format!("/v2/models/{name}")).json();
    assert_eq!(
        meta["outputs"][0],
        json!({"name": "prediction", "datatype": "BYTES", "shape": [-1]})
    );
    assert_eq!(
        meta["outputs"][1],
        json!({"name": "probabilities", "datatype": "FP64", "shape": [-1, classes.len()]})
    );
    assert_eq!(meta["parameters"]["classes"], json!(classes));
    let t = tensors(m, &rows_of("data/penguins.csv"));
    // Every output in binary (the request-wide parameter), as tritonclient asks by default.
    let (body, n) = binary_request(&t, Value::Null);
    let mut head: Value = serde_json::from_slice(&body[..n]).unwrap();
    head.as_object_mut().unwrap().remove("outputs");
    head["parameters"] = json!({"binary_data_output": true});
    let mut body2 = head.to_string().into_bytes();
    let n2 = body2.len().to_string();
    body2.extend_from_slice(&body[n..]);
    let r = infer(
        &server,
        &name,
        &body2,
        &[("Inference-Header-Content-Length", n2.as_str())],
    );
    let out = outputs(&r);
    let names: Vec<&str> = labels.iter().map(|&l| classes[l].as_str()).collect();
    assert_eq!(out[0].2, json!(names).as_array().unwrap().clone());
    assert_eq!(out[1].1, vec![ROWS as u64, classes.len() as u64]);
    let flat: Vec<f64> = (0..ROWS)
        .flat_map(|i| (0..classes.len()).map(move |j| (i, j)))
        .map(|(i, j)| proba.get(i, j))
        .collect();
    assert_bits(&floats(&out[1].2), &flat, "probabilities");
    // Only the output asked for, in JSON.
    let body = json!({"inputs": t, "outputs": [{"name": "probabilities"}]}).to_string();
    let out = outputs(&infer(&server, &name, body.as_bytes(), JSON));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, "probabilities");

    let m = &models().iris;
    let server = Server::start(m, &["--quiet"]);
    let Predictions::Clusters(want) = expected(m, "data/iris.csv") else {
        panic!("clusters")
    };
    let body = json!({"inputs": tensors(m, &rows_of("data/iris.csv"))}).to_string();
    let out = outputs(&infer(&server, &name_of(m), body.as_bytes(), JSON));
    let got: Vec<usize> = out[0]
        .2
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(got, want);
}

/// A 4xx answer with a JSON error containing `text`.
fn refused(r: &Response, status: u16, field: &str, text: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    let e = r.json();
    let message = e[field]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no {field}: {e}"));
    assert!(message.contains(text), "{what}: {message}");
}

#[test]
fn malformed_open_inference_requests_get_4xx_json_errors_and_change_nothing() {
    let m = &models().ridge;
    let server = Server::start(m, &["--quiet"]);
    let name = name_of(m);
    let rows = rows_of("data/ames.csv");
    let good = tensors(m, &rows[..2]);
    let with = |f: &dyn Fn(&mut Vec<Value>)| {
        let mut t = good.clone();
        f(&mut t);
        json!({"inputs": t}).to_string()
    };
    let numeric = predictor(m)
        .artifact
        .inputs
        .iter()
        .position(|c| c.kind == ColumnKind::Numeric)
        .unwrap();
    let numeric_name = good[numeric]["name"].as_str().unwrap().to_string();
    let no_input = format!("no input `{numeric_name}`");
    let cases: Vec<(String, &str, &str)> = vec![
        ("{not json".into(), "error", "not valid"),
        ("[1]".into(), "error", "the request is an array"),
        (
            json!({"inputs": []}).to_string(),
            "error",
            "\"inputs\" is empty",
        ),
        (
            with(&|t| {
                t.remove(numeric);
            }),
            "error",
            &no_input,
        ),
        (
            with(&|t| {
                let mut x = t[numeric].clone();
                x["name"] = json!(format!("{numeric_name}x"));
                t.push(x);
            }),
            "error",
            "did you mean",
        ),
        (
            with(&|t| {
                let x = t[numeric].clone();
                t.push(x);
            }),
            "error",
            "sent twice",
        ),
        (
            with(&|t| {
                t[numeric]["data"] = json!(["a", "b"]);
            }),
            "error",
            "a string in a tensor of datatype FP64",
        ),
        (
            with(&|t| {
                t[numeric]["datatype"] = json!("BYTES");
                t[numeric]["data"] = json!(["1", "2"]);
            }),
            "error",
            "is numeric",
        ),
        (
            with(&|t| {
                t[numeric]["shape"] = json!([2, 2]);
            }),
            "error",
            "[N] or [N, 1]",
        ),
        (
            with(&|t| {
                t[numeric]["shape"] = json!([1]);
                t[numeric]["data"] = json!([1]);
            }),
            "error",
            "every input holds the same rows",
        ),
        (
            with(&|t| {
                t[numeric]["data"] = json!([1]);
            }),
            "error",
            "its shape says 2",
        ),
        (
            with(&|t| {
                t[numeric]["datatype"] = json!("FP16");
            }),
            "error",
            "FP16",
        ),
        (
            json!({"inputs": good, "outputs": [{"name": "predictions"}]}).to_string(),
            "error",
            "did you mean `prediction`",
        ),
    ];
    let before = server.metrics();
    for (body, field, text) in &cases {
        refused(
            &infer(&server, &name, body.as_bytes(), JSON),
            400,
            field,
            text,
            body,
        );
    }
    // A header length past the body, or not a number.
    let body = json!({"inputs": good}).to_string();
    refused(
        &infer(
            &server,
            &name,
            body.as_bytes(),
            &[("Inference-Header-Content-Length", "99999")],
        ),
        400,
        "error",
        "the body has",
        "long header",
    );
    refused(
        &infer(
            &server,
            &name,
            body.as_bytes(),
            &[("Inference-Header-Content-Length", "ten")],
        ),
        400,
        "error",
        "expected the length",
        "bad header",
    );
    // Unknown models and versions are 404; a GET on infer is 405.
    refused(
        &infer(&server, "other", body.as_bytes(), JSON),
        404,
        "error",
        &format!("serves `{name}`"),
        "model",
    );
    refused(
        &server.get("/v2/models/other"),
        404,
        "error",
        "no model `other`",
        "metadata",
    );
    refused(
        &server.get(&format!("/v2/models/{name}/versions/2/ready")),
        404,
        "error",
        "no version `2`",
        "version",
    );
    let r = server.get(&format!("/v2/models/{name}/infer"));
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    // None of it was predicted or reached the drift window.
    let after = server.metrics();
    for series in ["kiln_rows_predicted_total", "kiln_drift_window_rows"] {
        assert_eq!(sample(&before, series), sample(&after, series), "{series}");
    }
}

#[test]
fn mlflow_invocations_take_every_body_format_and_match_the_library() {
    let m = &models().ridge;
    let server = Server::start(m, &["--quiet"]);
    let Predictions::Values(want) = expected(m, "data/ames.csv") else {
        panic!("regression")
    };
    let rows = rows_of("data/ames.csv");
    let columns: Vec<String> = rows[0].as_object().unwrap().keys().cloned().collect();
    let split = json!({"dataframe_split": {
        "columns": columns,
        "data": rows.iter().map(|r| columns.iter().map(|c| r[c].clone()).collect::<Vec<_>>()).collect::<Vec<_>>(),
    }});
    let by_column: serde_json::Map<String, Value> = columns
        .iter()
        .map(|c| {
            (
                c.clone(),
                json!(rows.iter().map(|r| r[c].clone()).collect::<Vec<_>>()),
            )
        })
        .collect();
    let bodies = [
        split,
        json!({"dataframe_records": rows}),
        json!({"instances": rows}),
        json!({"inputs": by_column}),
        json!({"inputs": rows, "params": {}}),
    ];
    let before = counter(&server, "kiln_rows_predicted_total");
    for body in &bodies {
        let r = request_with(
            server.addr,
            "POST",
            "/invocations",
            &[("Content-Type", "application/json; charset=utf-8")],
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let got = floats(r.json()["predictions"].as_array().unwrap());
        assert_bits(&got, &want, &body.to_string()[..30]);
    }
    // A CSV body: the file's header and first rows, as they are on disk.
    let text = std::fs::read_to_string(root().join("data/ames.csv")).unwrap();
    let csv: String = text
        .lines()
        .take(ROWS + 1)
        .map(|l| format!("{l}\n"))
        .collect();
    let r = request_with(
        server.addr,
        "POST",
        "/invocations",
        &[("Content-Type", "text/csv")],
        Some(csv.as_bytes()),
    );
    assert_bits(
        &floats(r.json()["predictions"].as_array().unwrap()),
        &want,
        "csv",
    );
    assert_eq!(
        counter(&server, "kiln_rows_predicted_total"),
        before + 6.0 * ROWS as f64
    );
    assert_eq!(server.get("/ping").status, 200);
    // An empty batch is an empty answer, as on POST /predict.
    let r = request_with(
        server.addr,
        "POST",
        "/invocations",
        JSON,
        Some(br#"{"dataframe_records": []}"#),
    );
    assert_eq!(r.json(), json!({"predictions": []}));

    // A classifier answers its class labels.
    let m = &models().penguins;
    let server = Server::start(m, &["--quiet"]);
    let Predictions::Classes { labels, .. } = expected(m, "data/penguins.csv") else {
        panic!("classes")
    };
    let classes = predictor(m).artifact.classes.clone();
    let body = json!({"dataframe_records": rows_of("data/penguins.csv")}).to_string();
    let r = request_with(
        server.addr,
        "POST",
        "/invocations",
        JSON,
        Some(body.as_bytes()),
    );
    let names: Vec<&str> = labels.iter().map(|&l| classes[l].as_str()).collect();
    assert_eq!(r.json()["predictions"], json!(names));
}

#[test]
fn malformed_mlflow_bodies_get_4xx_json_errors_and_change_nothing() {
    let m = &models().ridge;
    let server = Server::start(m, &["--quiet"]);
    let rows = rows_of("data/ames.csv");
    let inputs = &predictor(m).artifact.inputs;
    let numeric = inputs
        .iter()
        .find(|c| c.kind == ColumnKind::Numeric)
        .unwrap()
        .name
        .clone();
    let mut bad_value = rows[..2].to_vec();
    bad_value[1][&numeric] = json!("lots");
    let mut missing = rows[..2].to_vec();
    missing[0].as_object_mut().unwrap().remove(&numeric);
    let no_column = format!("row 1 has no column `{numeric}`");
    let cases: Vec<(Value, &str)> = vec![
        (json!([1]), "the body is an array"),
        (json!({}), "none of dataframe_split"),
        (
            json!({"dataframe_records": rows[..1], "instances": rows[..1]}),
            "send one",
        ),
        (
            json!({"dataframe_record": rows[..1]}),
            "did you mean `dataframe_records`",
        ),
        (json!({"dataframe_records": {"a": 1}}), "expected a list"),
        (
            json!({"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}),
            "row 1 has 2 values for 1 columns",
        ),
        (
            json!({"dataframe_split": {"columns": ["a"], "data": [[1]]}}),
            "is missing",
        ),
        (
            json!({"dataframe_split": {"data": [[1]]}}),
            "no \"columns\"",
        ),
        (
            json!({"dataframe_records": bad_value}),
            "\"lots\" is not a number",
        ),
        (json!({"dataframe_records": missing}), &no_column),
        (
            json!({"instances": {numeric.clone(): [1, 2]}}),
            "is missing",
        ),
        (
            json!({"inputs": rows[..1], "params": {"k": 1}}),
            "no inference parameters",
        ),
    ];
    let before = server.metrics();
    for (body, text) in &cases {
        let r = request_with(
            server.addr,
            "POST",
            "/invocations",
            JSON,
            Some(body.to_string().as_bytes()),
        );
        refused(&r, 400, "message", text, &body.to_string());
        assert_eq!(r.json()["error_code"], "BAD_REQUEST");
    }
    refused(
        &request_with(server.addr, "POST", "/invocations", JSON, Some(b"{oops")),
        400,
        "message",
        "not valid JSON",
        "json",
    );
    refused(
        &request_with(
            server.addr,
            "POST",
            "/invocations",
            &[("Content-Type", "text/csv")],
            Some(b"a,b\n1,2\n"),
        ),
        400,
        "message",
        "is missing",
        "csv",
    );
    refused(
        &request_with(
            server.addr,
            "POST",
            "/invocations",
            &[("Content-Type", "text/plain")],
            Some(b"1"),
        ),
        415,
        "message",
        "got `text/plain`",
        "415",
    );
    refused(
        &request_with(server.addr, "POST", "/invocations", &[], Some(b"{}")),
        415,
        "message",
        "got none",
        "no type",
    );
    let r = server.get("/invocations");
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    let after = server.metrics();
    for series in ["kiln_rows_predicted_total", "kiln_drift_window_rows"] {
        assert_eq!(sample(&before, series), sample(&after, series), "{series}");
    }
}
