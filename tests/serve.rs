//! `kiln serve` through the real binary and real HTTP: a tiny HTTP/1.1 client over `TcpStream` talks
//! to servers started on port 0 with models that `kiln run` trains here from the shipped pipelines.
//! Covers every route, every kind of bad request, concurrency, drift, shutdown on signals, and
//! predictions equal bit for bit to `kiln predict` and to the library's in memory.

mod common;
use common::server::*;
use common::*;

use kiln::artifact::Artifact;
use kiln::data::{read_frame, TextOptions};
use kiln::predict::Predictions;
use polars::prelude::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Reading responses

fn requests_total(metrics: &str, status: u16) -> f64 {
    sample(
        metrics,
        &format!("kiln_http_requests_total{{endpoint=\"/predict\",status=\"{status}\"}}"),
    )
    .unwrap_or(0.0)
}

fn psi(metrics: &str, column: &str) -> f64 {
    sample(metrics, &format!("kiln_drift_psi{{column=\"{column}\"}}"))
        .unwrap_or_else(|| panic!("no drift score for {column}:\n{metrics}"))
}

fn values(r: &Response) -> Vec<f64> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["predictions"]
        .as_array()
        .expect("predictions")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

fn ames_expected() -> Vec<f64> {
    let Predictions::Values(v) = in_memory(&models().ridge, "data/ames.csv") else {
        panic!("regression")
    };
    v
}

/// A 422 answer: its JSON error, checked for the column and row it names.
fn unprocessable(r: &Response, column: Option<&str>, row: Option<u64>) -> String {
    assert_eq!(r.status, 422, "{}", r.text());
    let e = r.json();
    assert_eq!(e["column"].as_str(), column, "{e}");
    assert_eq!(e["row"].as_u64(), row, "{e}");
    e["error"].as_str().expect("an error message").to_string()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn regression_predictions_match_kiln_predict_and_the_library_bit_for_bit() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet"]);
    let df = frame("data/ames.csv");
    let rows = json_rows(&df);
    let expected = ames_expected();

    // The whole file, in requests of 300 rows (over the size predicted on the blocking pool) and
    // then a few rows one at a time (predicted on the runtime's workers).
    let mut served = Vec::new();
    for chunk in rows.chunks(300) {
        served.extend(values(&server.post(&body_of(chunk))));
    }
    assert_bits(&served, &expected, "serve vs library");
    for i in [0, 1, 1234, rows.len() - 1] {
        let one = values(&server.post(&body_of(&rows[i..=i])));
        assert_bits(&one, &expected[i..=i], "one row");
    }

    // The library reading the same JSON objects.
    let Predictions::Values(from_json) = predictor(&m.ridge).predict_json(&rows).unwrap() else {
        panic!("regression")
    };
    assert_bits(&from_json, &expected, "JSON in memory vs frame in memory");

    // `kiln predict` on the file (parquet output: exact floats).
    let dir = scratch("serve-ridge-predict");
    let out = dir.join("out.parquet");
    let (code, _, stderr) = run(&[
        "predict",
        m.ridge.to_str().unwrap(),
        "data/ames.csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let predicted: Vec<f64> = read_frame(&out, &TextOptions::default())
        .unwrap()
        .column("prediction")
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert_bits(&predicted, &served, "kiln predict vs serve");

    // The model learned something.
    let price: Vec<f64> = df
        .column("price")
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    let mean = price.iter().sum::<f64>() / price.len() as f64;
    let ss_res: f64 = price
        .iter()
        .zip(&served)
        .map(|(y, p)| (y - p).powi(2))
        .sum();
    let ss_tot: f64 = price.iter().map(|y| (y - mean).powi(2)).sum();
    assert!(1.0 - ss_res / ss_tot > 0.8, "r2 {}", 1.0 - ss_res / ss_tot);

    let metrics = server.metrics();
    let requests = rows.len().div_ceil(300) + 4;
    assert_eq!(requests_total(&metrics, 200), requests as f64);
    assert_eq!(
        sample(&metrics, "kiln_rows_predicted_total"),
        Some((rows.len() + 4) as f64)
    );
}

#[test]
fn a_classifier_answers_the_class_and_one_probability_per_class() {
    let m = models();
    let server = Server::start(&m.penguins, &["--quiet"]);
    let df = frame("data/penguins.csv");
    let rows = json_rows(&df);
    let r = server.post(&body_of(&rows));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let Predictions::Classes { labels, proba } = in_memory(&m.penguins, "data/penguins.csv") else {
        panic!("classification")
    };
    let classes = ["Adelie", "Chinstrap", "Gentoo"];
    let predicted = v["predictions"].as_array().unwrap();
    let probabilities = v["probabilities"].as_array().unwrap();
    assert_eq!(predicted.len(), rows.len());
    assert_eq!(probabilities.len(), rows.len());
    let mut right = 0;
    for (i, (p, probs)) in predicted.iter().zip(probabilities).enumerate() {
        assert_eq!(p.as_str(), Some(classes[labels[i]]), "row {}", i + 1);
        let probs = probs.as_object().unwrap();
        let keys: Vec<&str> = probs.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3, "row {}: {probs:?}", i + 1);
        let mut sum = 0.0;
        for (j, c) in classes.iter().enumerate() {
            let got = probs[*c].as_f64().unwrap();
            assert_eq!(got.to_bits(), proba.get(i, j).to_bits(), "row {}", i + 1);
            sum += got;
        }
        assert!((sum - 1.0).abs() < 1e-12, "row {}: {sum}", i + 1);
        right += usize::from(rows[i]["species"] == *p);
    }
    assert!(right as f64 / rows.len() as f64 > 0.95, "{right} right");

    // `kiln predict` gives the same classes and probabilities.
    let dir = scratch("serve-penguins-predict");
    let out = dir.join("out.parquet");
    let (code, _, stderr) = run(&[
        "predict",
        m.penguins.to_str().unwrap(),
        "data/penguins.csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let file = read_frame(&out, &TextOptions::default()).unwrap();
    for (j, c) in classes.iter().enumerate() {
        let col: Vec<f64> = file
            .column(&format!("proba_{c}"))
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let served: Vec<f64> = probabilities
            .iter()
            .map(|p| p[*c].as_f64().unwrap())
            .collect();
        assert_bits(&served, &col, &format!("proba_{c}: serve vs kiln predict"));
        let mem: Vec<f64> = (0..rows.len()).map(|i| proba.get(i, j)).collect();
        assert_bits(&col, &mem, &format!("proba_{c}: kiln predict vs library"));
    }
    let names: Vec<String> = file
        .column("prediction")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    let served: Vec<String> = predicted
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, served);
}

#[test]
fn clustering_answers_the_cluster_of_each_row() {
    let m = models();
    let server = Server::start(&m.iris, &["--quiet"]);
    let rows = json_rows(&frame("data/iris.csv"));
    let Predictions::Clusters(expected) = in_memory(&m.iris, "data/iris.csv") else {
        panic!("clustering")
    };
    let r = server.post(&body_of(&rows));
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let got: Vec<usize> = v["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().expect("a cluster index") as usize)
        .collect();
    assert_eq!(got, expected);
    assert!(v.get("probabilities").is_none(), "{v}");
    // Numbers sent as text read as numbers, as in a csv file.
    let as_text: Vec<Value> = rows
        .iter()
        .take(5)
        .map(|r| {
            Value::Object(
                r.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                    .collect(),
            )
        })
        .collect();
    let r = server.post(&body_of(&as_text));
    assert_eq!(r.status, 200, "{}", r.text());
    let again: Vec<usize> = r.json()["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(again, expected[..5]);
}

#[test]
fn health_and_model_describe_the_server() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet"]);
    let r = server.get("/health");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");

    let artifact = Artifact::load(&m.ridge).unwrap();
    let info = server.get("/model").json();
    assert_eq!(info["pipeline"], "ames-ridge");
    assert_eq!(info["task"], "regression");
    assert_eq!(info["target"], "price");
    assert_eq!(info["metric"], "r2");
    assert_eq!(
        info["trained_at"].as_str(),
        Some(artifact.created_at.as_str())
    );
    assert!(
        info["trained_at"].as_str().unwrap().ends_with('Z'),
        "{info}"
    );
    assert_eq!(info["training_rows"], json!(artifact.training_rows));
    assert_eq!(
        info["data_hash"].as_str(),
        Some(artifact.data_hash.as_str())
    );
    assert!(info["params"]["model.alpha"].is_number(), "{info}");
    // The scores of the chosen candidate: cross-validation and holdout.
    for (name, score) in &artifact.cv {
        assert_eq!(info["scores"]["cv"][name].as_f64(), Some(*score), "{name}");
    }
    assert_eq!(
        info["scores"]["test"]["r2"].as_f64(),
        artifact.test.get("r2").copied()
    );
    assert!(info["scores"]["cv"]["r2"].as_f64().unwrap() > 0.8, "{info}");
    // The input schema: every column in order, its kind, and a text column's categories.
    let inputs = info["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), artifact.inputs.len());
    for (got, want) in inputs.iter().zip(&artifact.inputs) {
        assert_eq!(got["name"].as_str(), Some(want.name.as_str()));
    }
    let hood = inputs
        .iter()
        .find(|c| c["name"] == "Neighborhood")
        .expect("Neighborhood is an input");
    assert_eq!(hood["kind"], "categorical");
    assert!(hood["categories"]
        .as_array()
        .unwrap()
        .contains(&json!("NAmes")));
    let area = inputs.iter().find(|c| c["name"] == "area").unwrap();
    assert_eq!(area["kind"], "numeric");
    assert!(!inputs
        .iter()
        .any(|c| c["name"] == "price" || c["name"] == "PID"));

    let penguins = Server::start(&m.penguins, &["--quiet"]);
    let info = penguins.get("/model").json();
    assert_eq!(info["task"], "classification");
    assert_eq!(info["pipeline"], "penguins-species");
    assert_eq!(info["classes"], json!(["Adelie", "Chinstrap", "Gentoo"]));

    // Unknown routes and methods.
    let r = server.get("/nope");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("POST /predict"));
    let r = server.get("/predict");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    let r = request(server.addr, "POST", "/health", Some(b"{}"));
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET"));
}

#[test]
fn metrics_count_requests_latency_rows_and_drift() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet", "--drift-window", "50"]);
    let rows = json_rows(&frame("data/ames.csv"));
    let fresh = server.metrics();
    assert_eq!(sample(&fresh, "kiln_rows_predicted_total"), Some(0.0));
    assert_eq!(sample(&fresh, "kiln_drift_window_rows"), Some(0.0));
    assert_eq!(sample(&fresh, "kiln_drift_window_capacity"), Some(50.0));
    assert_eq!(sample(&fresh, "kiln_drift_alert"), Some(0.0));
    assert!(!fresh.contains("kiln_drift_psi{"), "no scores over no rows");

    for n in [1, 2, 3, 4] {
        assert_eq!(server.post(&body_of(&rows[..n])).status, 200);
    }
    assert_eq!(server.post(b"{").status, 400);
    assert_eq!(server.post(b"{}").status, 422);
    assert_eq!(server.get("/health").status, 200);
    let text = server.metrics();
    for line in [
        "# TYPE kiln_http_requests_total counter",
        "# TYPE kiln_request_duration_seconds histogram",
        "# TYPE kiln_rows_predicted_total counter",
        "# TYPE kiln_drift_psi gauge",
        "# TYPE kiln_drift_alert gauge",
    ] {
        assert!(text.contains(line), "{line}:\n{text}");
    }
    assert_eq!(requests_total(&text, 200), 4.0);
    assert_eq!(requests_total(&text, 400), 1.0);
    assert_eq!(requests_total(&text, 422), 1.0);
    assert_eq!(
        sample(
            &text,
            "kiln_http_requests_total{endpoint=\"/health\",status=\"200\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "kiln_http_requests_total{endpoint=\"/metrics\",status=\"200\"}"
        ),
        Some(1.0),
        "the first /metrics is counted once it is answered"
    );
    assert_eq!(sample(&text, "kiln_rows_predicted_total"), Some(10.0));
    // The histogram: cumulative buckets, +Inf equal to the count of every request answered so far.
    let buckets: Vec<f64> = text
        .lines()
        .filter(|l| l.starts_with("kiln_request_duration_seconds_bucket"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
        .collect();
    assert_eq!(buckets.len(), 15, "{text}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");
    assert_eq!(
        sample(&text, "kiln_request_duration_seconds_bucket{le=\"+Inf\"}"),
        Some(8.0)
    );
    assert_eq!(
        sample(&text, "kiln_request_duration_seconds_count"),
        Some(8.0)
    );
    let sum = sample(&text, "kiln_request_duration_seconds_sum").unwrap();
    assert!(sum > 0.0 && sum < 60.0, "{sum}");
    // One drift score per input column, over the 10 rows seen.
    assert_eq!(sample(&text, "kiln_drift_window_rows"), Some(10.0));
    let artifact = Artifact::load(&m.ridge).unwrap();
    for input in &artifact.inputs {
        assert!(psi(&text, &input.name).is_finite(), "{}", input.name);
    }
    // Under 100 rows (and under the window) the alert stays down however odd the rows.
    assert_eq!(sample(&text, "kiln_drift_alert"), Some(0.0));
}

#[test]
fn the_drift_score_of_a_shifted_column_rises_and_raises_the_alert() {
    let m = models();
    let window = 200;
    let server = Server::start(&m.ridge, &["--quiet", "--drift-window", "200"]);
    let df = frame("data/ames.csv");
    let rows = json_rows(&df);
    // Rows like training's: every 14th row of the data, 200 of them.
    let calm: Vec<Value> = rows.iter().step_by(14).take(window).cloned().collect();
    assert_eq!(calm.len(), window);
    for chunk in calm.chunks(25) {
        assert_eq!(server.post(&body_of(chunk)).status, 200);
    }
    let before = server.metrics();
    assert_eq!(sample(&before, "kiln_drift_window_rows"), Some(200.0));
    let area_before = psi(&before, "area");
    let lot_before = psi(&before, "Lot.Area");
    assert!(area_before < 0.1, "area {area_before}");
    assert!(lot_before < 0.1, "Lot.Area {lot_before}");
    let worst = before
        .lines()
        .filter(|l| l.starts_with("kiln_drift_psi{"))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .fold(0.0, f64::max);
    assert!(
        worst < 0.2,
        "some column drifts on training rows: {worst}\n{before}"
    );
    assert_eq!(sample(&before, "kiln_drift_alert"), Some(0.0));

    // The same rows with `area` tripled: they replace the whole window.
    let shifted: Vec<Value> = calm
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let a = r["area"].as_f64().unwrap();
            r["area"] = json!(a * 3.0);
            r
        })
        .collect();
    for chunk in shifted.chunks(25) {
        assert_eq!(server.post(&body_of(chunk)).status, 200);
    }
    let after = server.metrics();
    let area_after = psi(&after, "area");
    assert!(area_after > 1.0, "area {area_before} -> {area_after}");
    assert!(area_after > 10.0 * area_before.max(0.01));
    // Only the shifted column moved.
    assert_eq!(psi(&after, "Lot.Area").to_bits(), lot_before.to_bits());
    assert_eq!(sample(&after, "kiln_drift_alert"), Some(1.0));
    assert_eq!(sample(&after, "kiln_drift_window_rows"), Some(200.0));

    // Training-like rows again push the shift out of the window and the alert down.
    for chunk in calm.chunks(100) {
        assert_eq!(server.post(&body_of(chunk)).status, 200);
    }
    let healed = server.metrics();
    assert_eq!(psi(&healed, "area").to_bits(), area_before.to_bits());
    assert_eq!(sample(&healed, "kiln_drift_alert"), Some(0.0));
}

#[test]
fn bad_requests_get_4xx_naming_the_problem_and_change_nothing() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet"]);
    let rows = json_rows(&frame("data/ames.csv"));
    let expected = ames_expected();
    let good = body_of(&rows[..3]);
    assert_bits(&values(&server.post(&good)), &expected[..3], "before");
    let state = |m: &str| {
        (
            sample(m, "kiln_rows_predicted_total"),
            sample(m, "kiln_drift_window_rows"),
            psi(m, "area").to_bits(),
        )
    };
    let before = state(&server.metrics());

    // Not JSON: 400.
    for body in [
        &b"{"[..],
        b"",
        b"rows",
        b"{\"rows\": [}",
        b"{\"rows\": [{\"area\": 1e400}]}",
    ] {
        let r = server.post(body);
        assert_eq!(
            r.status,
            400,
            "{:?}: {}",
            String::from_utf8_lossy(body),
            r.text()
        );
        let e = r.json()["error"].as_str().unwrap().to_string();
        assert!(e.contains("not valid JSON"), "{e}");
    }
    // JSON of the wrong shape: 422.
    for (body, says) in [
        (json!([1, 2]), "the body is an array"),
        (json!("rows"), "the body is a string"),
        (json!({}), "has no \"rows\""),
        (json!({"row": []}), "has no \"rows\""),
        (json!({"rows": {}}), "\"rows\" is an object"),
        (json!({"rows": 5}), "\"rows\" is a number"),
    ] {
        let r = server.post(body.to_string().as_bytes());
        let e = unprocessable(&r, None, None);
        assert!(e.contains(says), "{body}: {e}");
    }
    let e = unprocessable(&server.post(br#"{"rows": [1]}"#), None, Some(1));
    assert!(e.contains("row 1 is a number"), "{e}");
    let mut mixed = rows[..2].to_vec();
    mixed.push(json!(["not", "an", "object"]));
    let e = unprocessable(&server.post(&body_of(&mixed)), None, Some(3));
    assert!(e.contains("row 3 is an array"), "{e}");

    // A missing column, named with the first row that lacks it.
    let mut missing = rows[..4].to_vec();
    missing[2].as_object_mut().unwrap().remove("Neighborhood");
    let e = unprocessable(
        &server.post(&body_of(&missing)),
        Some("Neighborhood"),
        Some(3),
    );
    assert!(e.contains("row 3 has no column `Neighborhood`"), "{e}");
    // A value of the wrong type, named by column and row.
    let mut wrong = rows[..5].to_vec();
    wrong[3]["area"] = json!("large");
    let e = unprocessable(&server.post(&body_of(&wrong)), Some("area"), Some(4));
    assert!(
        e.contains("column `area` at row 4: \"large\" is not a number"),
        "{e}"
    );
    let mut wrong = rows[..2].to_vec();
    wrong[1]["Neighborhood"] = json!({"name": "NAmes"});
    let e = unprocessable(
        &server.post(&body_of(&wrong)),
        Some("Neighborhood"),
        Some(2),
    );
    assert!(
        e.contains("type object cannot be read as a category"),
        "{e}"
    );
    let mut wrong = rows[..1].to_vec();
    wrong[0]["Lot.Area"] = json!([1, 2]);
    let e = unprocessable(&server.post(&body_of(&wrong)), Some("Lot.Area"), Some(1));
    assert!(e.contains("type array cannot be read as a number"), "{e}");

    // None of it touched what good requests see.
    let metrics = server.metrics();
    assert_eq!(state(&metrics), before);
    assert_eq!(requests_total(&metrics, 400), 5.0);
    assert_eq!(requests_total(&metrics, 422), 12.0);
    assert_eq!(requests_total(&metrics, 200), 1.0);
    assert_bits(&values(&server.post(&good)), &expected[..3], "after");

    // On one keep-alive connection, a bad request does not spoil the next.
    let mut conn = Conn::open(server.addr);
    for i in 0..5 {
        assert_eq!(conn.send("POST", "/predict", Some(b"{]")).status, 400);
        let r = conn.send("POST", "/predict", Some(&body_of(&wrong)));
        assert_eq!(r.status, 422);
        let r = conn.send("POST", "/predict", Some(&body_of(&rows[i..=i])));
        assert_bits(&values(&r), &expected[i..=i], "keep-alive");
    }
}

#[test]
fn a_body_over_max_body_gets_413_and_the_server_goes_on() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet", "--max-body", "8k"]);
    let rows = json_rows(&frame("data/ames.csv"));
    let expected = ames_expected();
    let small = body_of(&rows[..2]);
    assert!(small.len() < 8 * 1024);
    let large = body_of(&rows[..20]);
    assert!(large.len() > 8 * 1024 && large.len() < 64 * 1024);

    let r = server.post(&large);
    assert_eq!(r.status, 413, "{}", r.text());
    let e = r.json()["error"].as_str().unwrap().to_string();
    assert!(e.contains("--max-body"), "{e}");
    // Also without a Content-Length (a chunked body): the limit holds as the body streams in.
    let mut conn = Conn::open(server.addr);
    let mut req = format!(
        "POST /predict HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    )
    .into_bytes();
    for piece in large.chunks(1000) {
        req.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        req.extend_from_slice(piece);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    conn.reader.get_mut().write_all(&req).unwrap();
    let r = conn.read_response().unwrap();
    assert_eq!(r.status, 413, "{}", r.text());

    assert_bits(&values(&server.post(&small)), &expected[..2], "after 413");
    let metrics = server.metrics();
    assert_eq!(requests_total(&metrics, 413), 2.0);
    assert_eq!(sample(&metrics, "kiln_rows_predicted_total"), Some(2.0));
}

#[test]
fn concurrent_clients_all_get_their_own_predictions() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet"]);
    let rows = Arc::new(json_rows(&frame("data/ames.csv")));
    let expected = Arc::new(ames_expected());
    let threads = 8;
    let per_thread = 60;
    let addr = server.addr;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let rows = rows.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                for k in 0..per_thread {
                    // Rows differ per thread and request; sizes 1 to 5, and every fourth request
                    // on a fresh connection.
                    let start = (t * per_thread + k) * 3 % (rows.len() - 5);
                    let n = 1 + k % 5;
                    let body = body_of(&rows[start..start + n]);
                    let r = if k % 4 == 3 {
                        request(addr, "POST", "/predict", Some(&body))
                    } else {
                        conn.send("POST", "/predict", Some(&body))
                    };
                    let what = format!("thread {t} request {k}");
                    assert_bits(&values(&r), &expected[start..start + n], &what);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a client thread");
    }
    let metrics = server.metrics();
    assert_eq!(requests_total(&metrics, 200), (threads * per_thread) as f64);
    let rows_sent: usize = (0..per_thread).map(|k| 1 + k % 5).sum::<usize>() * threads;
    assert_eq!(
        sample(&metrics, "kiln_rows_predicted_total"),
        Some(rows_sent as f64)
    );
}

#[test]
fn sigterm_and_sigint_stop_the_server_with_exit_0() {
    let m = models();
    let rows = json_rows(&frame("data/iris.csv"));
    let mut server = Server::start(&m.iris, &[]);
    assert_eq!(server.post(&body_of(&rows[..3])).status, 200);
    // Without --quiet, one log line per request.
    server.wait_for_log("POST /predict 200");
    assert!(server.log().contains("rows=3"), "{}", server.log());
    let status = server.signal("TERM");
    assert_eq!(status.code(), Some(0), "{}", server.log());
    let log = server.log();
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(
        log.contains("stopped after 1 requests, 3 rows predicted"),
        "{log}"
    );

    let mut server = Server::start(&m.iris, &["--quiet"]);
    assert_eq!(server.post(&body_of(&rows[..1])).status, 200);
    assert!(!server.log().contains("POST /predict"), "{}", server.log());
    assert_eq!(server.signal("INT").code(), Some(0), "{}", server.log());
    assert!(server.log().contains("SIGINT received"), "{}", server.log());
}

#[test]
fn a_request_in_flight_at_sigterm_is_answered() {
    let m = models();
    let mut server = Server::start(&m.iris, &["--quiet"]);
    let rows = json_rows(&frame("data/iris.csv"));
    let Predictions::Clusters(expected) = in_memory(&m.iris, "data/iris.csv") else {
        panic!("clustering")
    };
    let body = body_of(&rows[..10]);
    let (first, rest) = body.split_at(body.len() / 2);
    let mut conn = Conn::open(server.addr);
    let head = conn.head("POST", "/predict", Some(body.len()));
    let stream = conn.reader.get_mut();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    // Let the server start reading the request before it is told to stop.
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    server.wait_for_log("SIGTERM received");
    conn.reader.get_mut().write_all(rest).unwrap();
    let r = conn.read_response().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let got: Vec<usize> = r.json()["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(got, expected[..10]);
    let status = server
        .wait(Duration::from_secs(30))
        .expect("the server exits");
    assert_eq!(status.code(), Some(0), "{}", server.log());
}

// ---------------------------------------------------------------------------------------------
// Slow clients, connection cap, logs (issue 14)

/// A connection that has not told its client anything: opened, and maybe sent `bytes`.
fn slow_client(addr: SocketAddr, bytes: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect to the server");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(bytes).unwrap();
    s
}

/// What the server sent on `s` before it closed it, or None if it held it open for 30 s.
fn until_closed(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => Some(got),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Some(got),
        Err(e) => {
            assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
                "{e}"
            );
            None
        }
    }
}

#[test]
fn slow_and_idle_clients_are_cut_off_while_a_normal_client_is_answered() {
    let m = models();
    let server = Server::start(
        &m.iris,
        &[
            "--quiet",
            "--max-connections",
            "8",
            "--header-timeout",
            "1s",
            "--body-timeout",
            "1s",
            "--idle-timeout",
            "1s",
        ],
    );
    let addr = server.addr;
    // Three times the cap of clients that never finish: silent ones, heads cut off halfway,
    // bodies cut off halfway, and kept-alive connections that never send a second request.
    let mut silent = Vec::new();
    let mut heads = Vec::new();
    let mut bodies = Vec::new();
    let mut kept = Vec::new();
    for _ in 0..6 {
        silent.push(slow_client(addr, b""));
        heads.push(slow_client(
            addr,
            b"POST /predict HTTP/1.1\r\nHost: kiln\r\nContent-Ty",
        ));
        bodies.push(slow_client(
            addr,
            b"POST /predict HTTP/1.1\r\nHost: kiln\r\nContent-Length: 1000\r\n\r\n{\"rows\": [",
        ));
        let mut c = Conn::open(addr);
        assert_eq!(c.send("GET", "/health", None).status, 200);
        kept.push(c);
    }
    // A normal client is answered once the deadlines have freed the slots.
    let r = request(addr, "GET", "/health", None);
    assert_eq!(r.status, 200, "{}", r.text());
    for s in silent.iter_mut().chain(&mut heads) {
        let got = until_closed(s).expect("a stalled head is closed");
        assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    }
    for s in &mut bodies {
        let got = until_closed(s).expect("a stalled body is closed");
        let text = String::from_utf8_lossy(&got);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("--body-timeout"), "{text}");
    }
    for c in &mut kept {
        let got = until_closed(c.reader.get_mut()).expect("an idle connection is closed");
        assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    }
    let r = request(addr, "GET", "/health", None);
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn at_the_connection_cap_a_new_client_waits_for_a_free_slot() {
    let m = models();
    let server = Server::start(&m.iris, &["--quiet", "--max-connections", "2"]);
    let mut first = Conn::open(server.addr);
    let mut second = Conn::open(server.addr);
    assert_eq!(first.send("GET", "/health", None).status, 200);
    assert_eq!(second.send("GET", "/health", None).status, 200);
    // Both slots are taken by kept-alive connections: a third client is not served...
    let mut third = Conn::open(server.addr);
    let head = third.head("GET", "/health", None);
    third.reader.get_mut().write_all(head.as_bytes()).unwrap();
    third
        .reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let waiting = third.read_response();
    assert!(
        waiting.as_ref().is_err_and(|e| matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
        "{waiting:?}"
    );
    // ...until one of them closes.
    drop(first);
    third
        .reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    assert_eq!(third.read_response().unwrap().status, 200);
    assert_eq!(second.send("GET", "/health", None).status, 200);
}

#[test]
fn a_request_head_over_64_kib_gets_431() {
    let m = models();
    let server = Server::start(&m.iris, &["--quiet"]);
    let mut conn = Conn::open(server.addr);
    let pad = "x".repeat(100 * 1024);
    let head = format!("GET /health HTTP/1.1\r\nHost: kiln\r\nX-Pad: {pad}\r\n\r\n");
    conn.reader.get_mut().write_all(head.as_bytes()).unwrap();
    assert_eq!(conn.read_response().unwrap().status, 431);
    assert_eq!(server.get("/health").status, 200);
}

/// Thousands of requests on one kept-alive connection, each answered 200.
fn many_requests(addr: SocketAddr, n: usize) {
    let mut conn = Conn::open(addr);
    conn.reader
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    for i in 0..n {
        let r = conn.send("GET", "/health", None);
        assert_eq!(r.status, 200, "request {i}");
    }
}

#[test]
fn a_stderr_that_nobody_reads_never_stops_the_server() {
    let m = models();
    let (child, addr, stderr) = spawn_server(&m.iris, &[]);
    let mut server = Server::undrained(child, addr);
    // One log line per request, about 45 bytes: 6,000 of them are 270 KB, past what a 64 KiB pipe
    // and the server's queue of 1,024 lines hold.
    many_requests(addr, 6000);
    assert_eq!(server.get("/health").status, 200);
    let dropped = sample(&server.metrics(), "kiln_log_lines_dropped_total");
    assert!(dropped.is_some_and(|d| d > 0.0), "{dropped:?}");
    assert_eq!(server.signal("TERM").code(), Some(0));
    drop(stderr);
}

#[test]
fn a_closed_stderr_never_stops_the_server() {
    let m = models();
    let (child, addr, stderr) = spawn_server(&m.iris, &[]);
    drop(stderr);
    let mut server = Server::undrained(child, addr);
    many_requests(addr, 500);
    assert_eq!(server.get("/health").status, 200);
    assert_eq!(server.signal("TERM").code(), Some(0));
}

/// Runs `kiln serve MODEL` that must refuse to start; returns its exit code and stderr. A server
/// that starts instead is killed after 60 s and fails the test.
fn serve_refused(model: &Path) -> (i32, String) {
    let mut child = serve_child(model, &[]);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("kiln serve {} started instead of refusing", model.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_model_with_inconsistent_drift_tables_is_refused_at_start() {
    let m = models();
    let mut model: Value =
        serde_json::from_str(&std::fs::read_to_string(&m.penguins).unwrap()).unwrap();
    let tables = model["drift"].as_array_mut().expect("drift tables");
    let numeric = tables
        .iter_mut()
        .find(|t| t["kind"] == "numeric")
        .expect("a numeric table");
    let column = numeric["name"].as_str().unwrap().to_string();
    numeric["shares"].as_array_mut().unwrap().truncate(2);
    let path = scratch("serve-bad-drift").join("model.json");
    std::fs::write(&path, model.to_string()).unwrap();
    let (code, stderr) = serve_refused(&path);
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!("(column `{column}`) has 2 shares")),
        "{stderr}"
    );
}

#[test]
fn a_run_directory_is_served_from_its_model_json() {
    let m = models();
    let run = m.iris.parent().unwrap();
    let server = Server::start(run, &["--quiet"]);
    let info = server.get("/model").json();
    assert_eq!(info["task"], "clustering", "{info}");
    drop(server);
    let empty = scratch("serve-empty-run");
    let (code, stderr) = serve_refused(&empty);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is a directory without a model.json"),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_column_is_answered_with_the_nearest_key_of_the_row() {
    let m = models();
    let server = Server::start(&m.ridge, &["--quiet"]);
    let mut rows = json_rows(&frame("data/ames.csv"))[..2].to_vec();
    let row = rows[1].as_object_mut().unwrap();
    let value = row.remove("Neighborhood").unwrap();
    row.insert("Neighbourhood".into(), value);
    let e = unprocessable(&server.post(&body_of(&rows)), Some("Neighborhood"), Some(2));
    assert!(e.contains("row 2 has no column `Neighborhood`"), "{e}");
    assert!(e.contains("did you mean `Neighbourhood`?"), "{e}");
}
