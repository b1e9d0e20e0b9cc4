//! The container image and the Kubernetes manifests (issue 19), checked offline: every document of
//! `deploy/*.yaml` is valid against Kubernetes' own JSON schemas (`tests/k8s-schemas/`, strict, so
//! an unknown or misplaced field is an error); every manifest runs the image the Dockerfile and the
//! README build; the serve probes and the image's health check ask routes `kiln serve` answers; the
//! Dockerfile runs kiln as a non-root user with a health check. Building and running the image
//! itself needs podman or docker, so it is `deploy/podman-verify.sh`'s job (deploy/VERIFIED.md).
//!
//! The validator is the few JSON Schema keywords the vendored schemas use (below; any other
//! keyword fails the tests): the `jsonschema` crate would do it, but its features unified with
//! polars' dependencies (regex-automata, ahash) rebuild polars for every test build. Its verdicts
//! were checked against kubernetes-validate's (Python jsonschema) on these manifests, and
//! `a_broken_manifest_is_refused` checks it refuses what it must.

mod common;
use common::*;

use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The Kubernetes release whose schemas are vendored (see tests/k8s-schemas/README.md).
const SCHEMAS: &str = "tests/k8s-schemas/v1.37.0-local-strict";

/// The schema file of each (apiVersion, kind) the manifests may use.
const KINDS: &[(&str, &str, &str)] = &[
    ("apps/v1", "Deployment", "deployment-apps-v1.json"),
    ("v1", "Service", "service-v1.json"),
    ("batch/v1", "Job", "job-batch-v1.json"),
    ("v1", "ConfigMap", "configmap-v1.json"),
];

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// deploy/*.yaml, by name.
fn manifest_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("deploy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The documents of a YAML stream, as JSON (empty documents left out).
fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let value = Value::deserialize(doc).map_err(|e| e.to_string())?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// Every document of every manifest: (file name, document).
fn all_documents() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for file in manifest_files() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        let docs = documents(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
        out.extend(docs.into_iter().map(|d| (name.clone(), d)));
    }
    out
}

/// The JSON Schema keywords the vendored schemas validate with, and so the ones `check` implements
/// (draft 2020-12's meaning). A schema with any other keyword (a newly vendored kind might have
/// `pattern` or `anyOf`) fails the tests rather than passing unchecked.
const KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "oneOf",
];

/// Keywords that only annotate (`format` too: draft 2020-12 asserts no format by default).
fn is_annotation(keyword: &str) -> bool {
    matches!(
        keyword,
        "description" | "format" | "$schema" | "$id" | "$defs"
    ) || keyword.starts_with("x-kubernetes-")
}

/// The kinds' schemas and the definitions they `$ref` (`/api/_definitions.json#/$defs/NAME`).
struct Schemas {
    kinds: BTreeMap<(String, String), Value>,
    definitions: serde_json::Map<String, Value>,
}

impl Schemas {
    fn load() -> Schemas {
        let dir = root().join(SCHEMAS);
        let json_of = |name: &str| -> Value {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let Value::Object(definitions) = json_of("_definitions.json")["$defs"].take() else {
            panic!("_definitions.json has no $defs")
        };
        let kinds = KINDS
            .iter()
            .map(|(api, kind, file)| ((api.to_string(), kind.to_string()), json_of(file)))
            .collect();
        Schemas { kinds, definitions }
    }

    /// What is wrong with one document: nothing, or one line per error (its path and the error).
    fn problems(&self, doc: &Value) -> Vec<String> {
        let api_version = doc["apiVersion"].as_str().unwrap_or("");
        let kind = doc["kind"].as_str().unwrap_or("");
        let Some(schema) = self.kinds.get(&(api_version.to_string(), kind.to_string())) else {
            return vec![format!(
                "no schema for apiVersion {api_version:?} kind {kind:?} in {SCHEMAS} (see its README)"
            )];
        };
        let mut errors = Vec::new();
        self.check(schema, doc, "", &mut errors);
        errors
    }

    /// Validates `value` (at JSON pointer `path`) against `schema`, adding an error per mismatch.
    fn check(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let schema = schema.as_object().expect("a schema is an object");
        for keyword in schema.keys() {
            assert!(
                KEYWORDS.contains(&keyword.as_str()) || is_annotation(keyword),
                "the schema keyword {keyword:?} is not implemented by tests/deploy.rs"
            );
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference
                .rsplit_once("#/$defs/")
                .map(|(_, name)| name)
                .unwrap_or_else(|| panic!("a $ref outside the definitions: {reference}"));
            let target = self.definitions.get(name);
            let target = target.unwrap_or_else(|| panic!("no definition {name} (prune.py)"));
            self.check(target, value, path, errors);
        }
        if let Some(types) = schema.get("type") {
            let types: Vec<&str> = match types {
                Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                one => vec![one.as_str().unwrap()],
            };
            if !types.iter().any(|t| is_of_type(value, t)) {
                errors.push(format!("{path}: {value} is not of type {types:?}"));
                return;
            }
        }
        if let Some(Value::Array(allowed)) = schema.get("enum") {
            if !allowed.contains(value) {
                errors.push(format!("{path}: {value} is not one of {allowed:?}"));
            }
        }
        if let Some(Value::Array(subschemas)) = schema.get("oneOf") {
            let passing = subschemas
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    self.check(s, value, path, &mut e);
                    e.is_empty()
                })
                .count();
            if passing != 1 {
                errors.push(format!(
                    "{path}: {value} matches {passing} of oneOf's schemas, not 1"
                ));
            }
        }
        if let Value::Object(fields) = value {
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !fields.contains_key(name.as_str().unwrap()) {
                    errors.push(format!("{path}: the required field {name} is missing"));
                }
            }
            let properties = schema.get("properties").and_then(Value::as_object);
            for (name, field) in fields {
                let at = format!("{path}/{name}");
                match (
                    properties.and_then(|p| p.get(name)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(property), _) => self.check(property, field, &at, errors),
                    (None, Some(Value::Bool(false))) => {
                        errors.push(format!("{path}: unknown field {name:?}"))
                    }
                    (None, Some(other @ Value::Object(_))) => self.check(other, field, &at, errors),
                    (None, _) => {}
                }
            }
        }
        if let (Value::Array(list), Some(items)) = (value, schema.get("items")) {
            for (i, item) in list.iter().enumerate() {
                self.check(items, item, &format!("{path}/{i}"), errors);
            }
        }
    }
}

/// JSON Schema's types: an integer is any number without a fraction.
fn is_of_type(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "number" => value.is_number(),
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        other => panic!("the schema type {other:?} is not JSON Schema's"),
    }
}

#[test]
fn every_manifest_is_valid_for_kubernetes() {
    let schemas = Schemas::load();
    let docs = all_documents();
    let mut failures = Vec::new();
    for (file, doc) in &docs {
        for p in schemas.problems(doc) {
            failures.push(format!("{file} ({}): {p}", doc["kind"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let kinds: Vec<&str> = docs
        .iter()
        .filter_map(|(_, d)| d["kind"].as_str())
        .collect();
    for kind in ["Deployment", "Service", "Job"] {
        assert!(kinds.contains(&kind), "no {kind} in deploy/*.yaml");
    }
}

/// The serve Deployment, as deploy/kiln-serve.yaml has it.
fn serve_deployment() -> Value {
    documents(&read("deploy/kiln-serve.yaml"))
        .unwrap()
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment in deploy/kiln-serve.yaml")
}

/// A change made to a manifest, for a test.
type Change = dyn Fn(&mut Value);

#[test]
fn a_broken_manifest_is_refused() {
    let schemas = Schemas::load();
    let good = serve_deployment();
    assert_eq!(schemas.problems(&good), Vec::<String>::new());
    let broken = |change: &Change| {
        let mut doc = good.clone();
        change(&mut doc);
        schemas.problems(&doc)
    };
    let container = "/spec/template/spec/containers/0";
    // A wrong type, a field that does not exist, a field at the wrong level, a misspelt one.
    let cases: [(&str, &Change); 5] = [
        ("/spec/replicas", &|d| d["spec"]["replicas"] = json!("two")),
        (container, &|d| {
            d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always")
        }),
        ("/spec", &|d| d["spec"]["containers"] = json!([])),
        (&format!("{container}/readinessProbe"), &|d| {
            let probe = &mut d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"];
            let get = probe.as_object_mut().unwrap().remove("httpGet").unwrap();
            probe["httpget"] = get;
        }),
        (&format!("{container}/ports/0/containerPort"), &|d| {
            d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] =
                json!("8080")
        }),
    ];
    for (path, change) in cases {
        let problems = broken(change);
        assert!(
            problems.iter().any(|p| p.starts_with(path)),
            "a change at {path} should be refused there; problems: {problems:#?}"
        );
    }
    let mut unknown = good.clone();
    unknown["kind"] = json!("Deploymnet");
    assert!(schemas.problems(&unknown)[0].contains("no schema"));
    assert!(documents("a: [1, 2").is_err(), "broken YAML is an error");
}

/// The image the README's `docker build -t IMAGE .` builds.
fn readme_image() -> String {
    let readme = read("README.md");
    let line = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("docker build -t "))
        .expect("README.md shows `docker build -t IMAGE .`");
    line.split_whitespace().next().unwrap().to_string()
}

/// Every container of every pod template in the manifests: (file, container).
fn containers() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (file, doc) in all_documents() {
        let pod = &doc["spec"]["template"]["spec"];
        for list in ["initContainers", "containers"] {
            for c in pod[list].as_array().into_iter().flatten() {
                out.push((file.clone(), c.clone()));
            }
        }
    }
    out
}

#[test]
fn every_manifest_runs_the_image_the_readme_builds() {
    let image = readme_image();
    assert!(
        image.ends_with(&format!(":{}", env!("CARGO_PKG_VERSION"))),
        "the image tag {image} is the crate's version"
    );
    let containers = containers();
    assert!(containers.len() >= 3, "the serve Deployment and both Jobs");
    for (file, c) in &containers {
        assert_eq!(
            c["image"],
            image.as_str(),
            "{file}: container {}",
            c["name"]
        );
    }
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains(&format!("docker build -t {image} .")),
        "the Dockerfile's usage builds {image}"
    );
    assert!(
        read("deploy/podman-verify.sh").contains(&format!("image={image}\n")),
        "deploy/podman-verify.sh builds {image}"
    );
}

/// The paths `kiln serve` routes: every `.route("PATH"` in src/serve/ and its folders.
fn serve_routes() -> Vec<String> {
    fn scan(dir: &Path, routes: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, routes);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.match_indices(".route(\"") {
                let rest = &text[at + ".route(\"".len()..];
                routes.push(rest[..rest.find('"').unwrap()].to_string());
            }
        }
    }
    let mut routes = Vec::new();
    scan(&root().join("src/serve"), &mut routes);
    routes.sort();
    routes
}

/// Every HTTP probe of the serve Deployment: (which probe, path).
fn probe_paths() -> Vec<(String, String)> {
    let deployment = serve_deployment();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    ["readinessProbe", "livenessProbe", "startupProbe"]
        .iter()
        .filter_map(|p| {
            let path = container[p]["httpGet"]["path"].as_str()?;
            Some((p.to_string(), path.to_string()))
        })
        .collect()
}

#[test]
fn the_probes_and_the_health_check_ask_routes_kiln_serve_answers() {
    let routes = serve_routes();
    assert!(
        routes.contains(&"/health".to_string()),
        "routes: {routes:?}"
    );
    let probes = probe_paths();
    let kinds: Vec<&str> = probes.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(kinds, ["readinessProbe", "livenessProbe"]);
    for (probe, path) in &probes {
        assert!(
            routes.contains(path),
            "the {probe} asks {path}, which kiln serve does not route: {routes:?}"
        );
    }
    assert!(read("deploy/healthcheck.sh").contains("GET /health HTTP/1.1"));
}

/// `kiln serve MODEL --addr 127.0.0.1:0`, and the address it says it listens on.
fn start_server(model: &Path) -> (std::process::Child, SocketAddr) {
    let mut child = kiln()
        .args([
            "serve",
            model.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
            "--quiet",
        ])
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kiln serve starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some((_, addr)) = line.rsplit_once("listening on http://") {
                let _ = tx.send(addr.trim().to_string());
                break;
            }
        }
        // Keep reading, so that the server never blocks on a full pipe.
        lines.for_each(drop);
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(addr) => (child, addr.parse().unwrap()),
        Err(_) => {
            let _ = child.kill();
            panic!("kiln serve printed no `listening on http://ADDR`")
        }
    }
}

/// The status code of `GET path` on a kiln server.
fn get_status(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// deploy/healthcheck.sh run by bash against `addr`: its exit code.
fn health_check(addr: &str) -> i32 {
    Command::new("bash")
        .arg(root().join("deploy/healthcheck.sh"))
        .env("KILN_HEALTHCHECK_ADDR", addr)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("bash runs")
        .code()
        .unwrap_or(-1)
}

#[test]
fn the_probes_and_the_health_check_pass_on_a_running_server() {
    let model = root().join("fuzz/models/penguins.model.json");
    let (mut server, addr) = start_server(&model);
    let answers: Vec<(String, u16)> = probe_paths()
        .into_iter()
        .map(|(_, path)| {
            let status = get_status(addr, &path);
            (path, status)
        })
        .collect();
    let healthy = health_check(&addr.to_string());
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(healthy, 0, "deploy/healthcheck.sh on a running kiln serve");
    // Nothing listens there any more: unhealthy.
    assert_eq!(health_check(&addr.to_string()), 1);
    for (path, status) in answers {
        assert_eq!(status, 200, "GET {path}");
    }
}

/// The Dockerfile's instructions, continuation lines joined, comments left out: (keyword, rest).
fn dockerfile() -> Vec<(String, String)> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                let (key, rest) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((key.to_uppercase(), rest.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

#[test]
fn the_image_runs_kiln_as_a_non_root_user_with_a_health_check() {
    let all = dockerfile();
    let froms: Vec<usize> = (0..all.len()).filter(|&i| all[i].0 == "FROM").collect();
    assert!(froms.len() >= 2, "a multi-stage build: {all:?}");
    let args: Vec<&str> = all
        .iter()
        .filter(|(k, _)| k == "ARG")
        .map(|(_, v)| v.as_str())
        .collect();
    for arg in ["RUST_IMAGE=", "RUNTIME_IMAGE="] {
        assert!(
            args.iter().any(|a| a.starts_with(arg)),
            "ARG {arg}..: {args:?}"
        );
    }
    assert!(all
        .iter()
        .any(|(k, v)| k == "RUN" && v.contains("cargo build --release --locked")));
    // What the image runs with: the last stage's instructions.
    let last = &all[*froms.last().unwrap()..];
    let value = |key: &str| {
        last.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key} in the Dockerfile's last stage"))
    };
    let user = value("USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "USER {user}: a numeric uid other than root's (Kubernetes' runAsNonRoot checks it)"
    );
    assert_eq!(value("ENTRYPOINT"), r#"["kiln"]"#);
    assert!(value("HEALTHCHECK").contains("CMD"));
    assert!(last
        .iter()
        .any(|(k, v)| k == "COPY" && v.contains("deploy/healthcheck.sh")));
    let dockerignore = read(".dockerignore");
    assert!(
        dockerignore.lines().any(|l| l.trim() == "*"),
        ".dockerignore leaves everything out but what the build copies"
    );
    // The serve Deployment runs as that user, with the guarantees the issue asks for.
    let deployment = serve_deployment();
    let spec = &deployment["spec"]["template"]["spec"];
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    assert_eq!(spec["securityContext"]["runAsUser"].to_string(), uid);
    let container = &spec["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["args"],
        json!(["serve", "/models/model.json", "--addr", "0.0.0.0:8080"])
    );
    assert_eq!(container["ports"][0]["containerPort"], 8080);
    for side in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                container["resources"][side][resource].is_string(),
                "resources.{side}.{resource}"
            );
        }
    }
    assert_eq!(deployment["spec"]["replicas"], 2);
}
