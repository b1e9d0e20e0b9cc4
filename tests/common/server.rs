//! The `kiln serve` harness the HTTP tests share: models trained once per test binary from the
//! shipped pipelines, a server child on a free port whose stderr is drained, and a tiny HTTP/1.1
//! client over `TcpStream`.

use super::*;
use kiln::artifact::Artifact;
use kiln::data::{read_frame, TextOptions};
use kiln::predict::{Predictions, Predictor};
use polars::prelude::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Models

pub struct Models {
    pub ridge: PathBuf,
    pub penguins: PathBuf,
    pub iris: PathBuf,
}

/// Trains the shipped ames ridge, penguins and iris pipelines once per test binary.
pub fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| {
        let dir = scratch("serve-models");
        let mut paths = Vec::new();
        for name in ["ames_ridge", "penguins_species", "iris_clusters"] {
            let pipeline = root().join(format!("pipelines/{name}.toml"));
            paths.push(train(&pipeline, &dir.join(name)));
        }
        Models {
            iris: paths.pop().unwrap(),
            penguins: paths.pop().unwrap(),
            ridge: paths.pop().unwrap(),
        }
    })
}

pub fn predictor(model: &Path) -> Predictor {
    Predictor::new(Artifact::load(model).unwrap())
}

pub fn frame(data: &str) -> DataFrame {
    read_frame(&root().join(data), &TextOptions::default()).unwrap()
}

/// The library's own predictions for every row of a shipped data file, read as `kiln run` reads it.
pub fn in_memory(model: &Path, data: &str) -> Predictions {
    predictor(model).predict_frame(&frame(data), 0).unwrap()
}

/// Every row of a frame as a JSON object of column -> value: integers as integers, floats as floats
/// (serde_json writes the shortest text that reads back to the same bits), text as strings, nulls as
/// null. Extra columns (the target, identifiers) go along: the server ignores them.
pub fn json_rows(df: &DataFrame) -> Vec<Value> {
    let mut rows = vec![serde_json::Map::new(); df.height()];
    for col in df.columns() {
        let s = col.as_materialized_series();
        let name = s.name().to_string();
        let values: Vec<Value> = match s.dtype() {
            DataType::String => s
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map_or(Value::Null, |t| Value::String(t.to_string())))
                .collect(),
            DataType::Boolean => s
                .bool()
                .unwrap()
                .iter()
                .map(|v| v.map_or(Value::Null, Value::Bool))
                .collect(),
            d if d.is_integer() => s
                .cast(&DataType::Int64)
                .unwrap()
                .i64()
                .unwrap()
                .iter()
                .map(|v| v.map_or(Value::Null, Value::from))
                .collect(),
            d if d.is_float() => s
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .map(|v| {
                    v.and_then(serde_json::Number::from_f64)
                        .map_or(Value::Null, Value::Number)
                })
                .collect(),
            other => panic!("column {name}: no JSON for type {other}"),
        };
        for (row, v) in rows.iter_mut().zip(values) {
            row.insert(name.clone(), v);
        }
    }
    rows.into_iter().map(Value::Object).collect()
}

pub fn body_of(rows: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&json!({ "rows": rows })).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The server process

/// A `kiln serve` child on a free port. Dropping it kills the child, so a failing test never leaves
/// a server running.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything the server has written to stderr so far (a thread drains the pipe, so the request
    /// log can never fill it and block the server).
    pub log: Arc<Mutex<String>>,
    /// That thread: it ends when the server's stderr closes, so that after the exit, the log is
    /// whole once it is joined.
    pub drain: Option<std::thread::JoinHandle<()>>,
}

/// `kiln serve MODEL --addr 127.0.0.1:0 EXTRA...` from the repository root, its stderr a pipe.
pub fn serve_child(model: &Path, extra: &[&str]) -> Child {
    kiln()
        .arg("serve")
        .arg(model)
        .args(["--addr", "127.0.0.1:0"])
        .args(extra)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kiln serve starts")
}

/// Starts `kiln serve MODEL --addr 127.0.0.1:0 EXTRA...` and reads its stderr up to the line that
/// says where it listens; returns the child, that address, and the rest of its stderr, unread.
pub fn spawn_server(model: &Path, extra: &[&str]) -> (Child, SocketAddr, BufReader<ChildStderr>) {
    let mut child = serve_child(model, extra);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = mpsc::channel();
    // The first lines are read on a thread, so that a server that never says where it listens
    // fails the test instead of hanging it.
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut line = String::new();
        while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
            if let Some((_, a)) = line.rsplit_once("listening on http://") {
                let _ = tx.send(Ok((a.trim().to_string(), stderr)));
                return;
            }
            seen.push_str(&line);
            line.clear();
        }
        let _ = tx.send(Err(seen));
    });
    let started = rx.recv_timeout(Duration::from_secs(120));
    let (addr, stderr) = match started {
        Ok(Ok((a, stderr))) => (
            a.parse().expect("a socket address after `listening on`"),
            stderr,
        ),
        Ok(Err(seen)) => {
            let _ = child.kill();
            panic!("the server printed no `listening on http://ADDR`; stderr:\n{seen}")
        }
        Err(_) => {
            let _ = child.kill();
            panic!("the server printed no `listening on http://ADDR` in 120 s")
        }
    };
    let addr: SocketAddr = addr;
    assert_ne!(addr.port(), 0, "port 0 is replaced by the bound port");
    (child, addr, stderr)
}

impl Server {
    pub fn start(model: &Path, extra: &[&str]) -> Server {
        let (child, addr, stderr) = spawn_server(model, extra);
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let drain = std::thread::spawn(move || {
            for line in stderr.lines() {
                let Ok(line) = line else { break };
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        Server {
            child,
            addr,
            log,
            drain: Some(drain),
        }
    }

    /// A server whose stderr the test keeps (or closes) itself: its log stays empty.
    pub fn undrained(child: Child, addr: SocketAddr) -> Server {
        Server {
            child,
            addr,
            log: Arc::new(Mutex::new(String::new())),
            drain: None,
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, None)
    }

    pub fn post(&self, body: &[u8]) -> Response {
        request(self.addr, "POST", "/predict", Some(body))
    }

    pub fn metrics(&self) -> String {
        let r = self.get("/metrics");
        assert_eq!(r.status, 200);
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
            "{:?}",
            r.headers
        );
        r.text()
    }

    /// Sends a signal with kill(1) and waits for the exit.
    pub fn signal(&mut self, name: &str) -> ExitStatus {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self
            .wait(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("the server did not exit after {name}:\n{}", self.log()));
        if let Some(drain) = self.drain.take() {
            let _ = drain.join();
        }
        exit
    }

    pub fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits until the server's stderr contains `text`.
    pub fn wait_for_log(&self, text: &str) {
        let start = Instant::now();
        while !self.log().contains(text) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no `{text}` in the server's stderr:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// A tiny HTTP/1.1 client

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    pub fn json(&self) -> Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One keep-alive connection.
pub struct Conn {
    pub reader: BufReader<TcpStream>,
    pub addr: SocketAddr,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream),
            addr,
        }
    }

    pub fn head(&self, method: &str, path: &str, length: Option<usize>) -> String {
        self.head_with(method, path, JSON, length)
    }

    /// A request head; `headers` go with a body (of `length` bytes).
    pub fn head_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        length: Option<usize>,
    ) -> String {
        let mut h = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(n) = length {
            for (name, value) in headers {
                h.push_str(&format!("{name}: {value}\r\n"));
            }
            h.push_str(&format!("Content-Length: {n}\r\n"));
        }
        h.push_str("\r\n");
        h
    }

    pub fn send(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Response {
        self.send_with(method, path, JSON, body)
    }

    pub fn send_with(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        let mut bytes = self
            .head_with(method, path, headers, body.map(<[u8]>::len))
            .into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.reader.get_mut().write_all(&bytes).unwrap();
        self.read_response().unwrap()
    }

    pub fn read_response(&mut self) -> std::io::Result<Response> {
        let r = &mut self.reader;
        let mut line = String::new();
        r.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let version = parts.next().unwrap_or_default();
        assert_eq!(version, "HTTP/1.1", "status line {line:?}");
        let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (n, v) = l.split_once(':').expect("a header line");
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if resp
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            loop {
                line.clear();
                r.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).expect("a chunk size");
                let mut chunk = vec![0; size + 2];
                r.read_exact(&mut chunk)?;
                chunk.truncate(size);
                resp.body.extend_from_slice(&chunk);
                if size == 0 {
                    break;
                }
            }
        } else if let Some(n) = resp.header("content-length") {
            let mut body = vec![0; n.parse().expect("a content length")];
            r.read_exact(&mut body)?;
            resp.body = body;
        } else {
            r.read_to_end(&mut resp.body)?;
        }
        Ok(resp)
    }
}

/// One request on a fresh connection.
/// The headers of a JSON body.
pub const JSON: &[(&str, &str)] = &[("Content-Type", "application/json")];

/// One request with `headers` on a fresh connection.
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Response {
    Conn::open(addr).send_with(method, path, headers, body)
}

pub fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&[u8]>) -> Response {
    Conn::open(addr).send(method, path, body)
}

/// The value of the sample `series` (name with its labels, exactly as written) in Prometheus text.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (name, value) = l.rsplit_once(' ')?;
        (name == series).then(|| value.parse().expect("a sample value"))
    })
}

pub fn assert_bits(got: &[f64], expected: &[f64], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: row count");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert_eq!(
            g.to_bits(),
            e.to_bits(),
            "{what}: row {}: {g} vs {e}",
            i + 1
        );
    }
}
