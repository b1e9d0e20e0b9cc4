//! `kiln schema`: the JSON Schema of a pipeline file, for editors (taplo, Even Better TOML) to check and
//! complete pipelines as they are typed. It is generated from the tables the checker itself uses
//! (`config::schema::SECTIONS` and `models::MODELS`), so the schema and the parser cannot disagree
//! about a section, a key, its kind or its default.
//!
//! Draft 4, the newest draft taplo reads.

use crate::config::schema::{KeyDoc, Kind, SECTIONS};
use crate::metrics::Metric;
use crate::models::params::{ParamDoc, ParamKind};
use crate::models::{ModelInfo, MODELS};
use serde_json::{json, Map, Value};

/// Sections a grid may vary; the others are shared by every candidate. The loader's rule
/// (`config::load_str`: "cannot vary across candidates") is code, not a table, so these two lists
/// restate it; tests/schema.rs checks, key by key, that the schema and the loader agree.
const GRID_SECTIONS: &[&str] = &["impute", "encode", "scale", "model"];
/// Impute choices a grid may not vary: they act once, when the data is read.
const DATA_POLICIES: &[&str] = &["drop", "error"];

/// A default as written in the tables (TOML text) as a JSON value; None when unset.
pub fn default_value(text: &str) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    let table: toml::Table = toml::from_str(&format!("v = {text}")).ok()?;
    serde_json::to_value(table.get("v")?).ok()
}

fn param_kind(kind: ParamKind) -> Value {
    match kind {
        ParamKind::Float => json!({"type": "number"}),
        ParamKind::Int => json!({"type": "integer", "minimum": 0}),
        ParamKind::Bool => json!({"type": "boolean"}),
        ParamKind::Choice(c) => json!({"type": "string", "enum": c}),
        ParamKind::ClassWeight(names) => json!({"anyOf": [
            {"type": "string", "enum": names},
            {"type": "object", "description": "class label = weight >= 0"}
        ]}),
        ParamKind::AutoOrBool => json!({"anyOf": [
            {"type": "string", "enum": ["auto"]},
            {"type": "boolean"}
        ]}),
        ParamKind::MaxFeatures => json!({"anyOf": [
            {"type": "string", "enum": ["sqrt", "log2"]},
            {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1},
            {"type": "integer", "minimum": 1}
        ]}),
    }
}

fn kind_schema(kind: Kind) -> Value {
    match kind {
        Kind::Str => json!({"type": "string"}),
        Kind::Int => json!({"type": "integer", "minimum": 0}),
        Kind::Float => json!({"type": "number"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::StrList => json!({"type": "array", "items": {"type": "string"}}),
        Kind::Choice(c) => json!({"type": "string", "enum": c}),
        Kind::Label => json!({"type": ["string", "integer", "number", "boolean"]}),
        Kind::Derive => json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "the new column's name"},
                    "expr": {"type": "string", "minLength": 1, "description": "a polars SQL expression over the columns read (and earlier derived ones)"}
                },
                "required": ["name", "expr"],
                "additionalProperties": false
            }
        }),
        Kind::Param(p) => param_kind(p),
        Kind::IntOr(names) => json!({"anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "string", "enum": names},
        ]}),
        Kind::FractionOr(names) => json!({"anyOf": [
            {"type": "number", "minimum": 0, "maximum": 1},
            {"type": "string", "enum": names},
        ]}),
        Kind::Bounds => {
            let mut scopes = Map::new();
            scopes.insert(
                "cv".into(),
                metric_bounds("a finished candidate's mean validation score"),
            );
            object(scopes, Vec::new(), "the bounds a candidate must meet")
        }
    }
}

/// `{ log_uniform = [low, high] }` and the other distributions a random search draws from.
fn distribution_schema() -> Value {
    let branches: Vec<Value> = crate::config::sample::DISTRIBUTIONS
        .iter()
        .map(|name| {
            let item = if matches!(*name, "int" | "log_int") {
                json!({"type": "integer"})
            } else {
                json!({"type": "number"})
            };
            json!({
                "type": "object",
                "properties": {*name: {"type": "array", "items": item, "minItems": 2}},
                "required": [name],
                "additionalProperties": false
            })
        })
        .collect();
    json!({
        "description": "random search only: a distribution, [low, high] (int and log_int include high)",
        "oneOf": branches
    })
}

/// Adds a description (and the default, when there is one) to a value schema.
fn documented(mut schema: Value, doc: &str, default: &str) -> Value {
    if let Some(obj) = schema.as_object_mut() {
        let default_json = default_value(default);
        let description = match &default_json {
            Some(_) => format!("{doc} (default {default})"),
            None => doc.to_string(),
        };
        obj.insert("description".into(), Value::String(description));
        if let Some(d) = default_json {
            obj.insert("default".into(), d);
        }
    }
    schema
}

fn key_schema(k: &KeyDoc) -> Value {
    documented(kind_schema(k.kind), k.doc, k.default)
}

/// Every metric name, as the loader resolves them (`Metric::from_name` over `Metric::ALL`).
fn metric_names() -> Vec<&'static str> {
    Metric::ALL.iter().map(|m| m.name()).collect()
}

/// A key of a plain section: its kind from the tables, with the metric names listed for the two
/// keys that name metrics (the tables call them strings; the loader checks them against the
/// metrics), so an editor can complete them.
fn section_key_schema(section: &str, k: &KeyDoc) -> Value {
    let mut schema = key_schema(k);
    match (section, k.kind) {
        ("search", Kind::Str) if k.name == "metric" => schema["enum"] = json!(metric_names()),
        ("search", Kind::StrList) if k.name == "metrics" => {
            schema["items"]["enum"] = json!(metric_names())
        }
        _ => {}
    }
    schema
}

fn param_schema(m: &ModelInfo, p: &ParamDoc) -> Value {
    documented(param_kind(p.kind), p.doc, &m.default_text(p.name))
}

fn object(properties: Map<String, Value>, required: Vec<&str>, description: &str) -> Value {
    let mut o = json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": false,
    });
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// `[model]`: exactly one of the models, each with only its own parameters.
fn model_schema(doc: &str) -> Value {
    let branches: Vec<Value> = MODELS
        .iter()
        .map(|m| {
            let mut props = Map::new();
            props.insert(
                "type".into(),
                json!({"type": "string", "enum": [m.name], "description": format!("{}: {}", m.name, m.objective)}),
            );
            for p in m.params {
                props.insert(p.name.into(), param_schema(m, p));
            }
            let tasks: Vec<&str> = m.tasks.iter().map(|t| t.name()).collect();
            let mut o = object(
                props,
                vec!["type"],
                &format!("{} ({}): {}", m.name, tasks.join(", "), m.objective),
            );
            o["title"] = json!(m.name);
            o
        })
        .collect();
    json!({"description": doc, "type": "object", "oneOf": branches})
}

fn one_or_list(schema: Value) -> Value {
    json!({"anyOf": [schema.clone(), {"type": "array", "minItems": 1, "items": schema}]})
}

/// A sub-grid: the grid-able sections, each key taking a value or a list of values.
fn subgrid_schema() -> Value {
    let mut sections = Map::new();
    for name in GRID_SECTIONS {
        let mut props = Map::new();
        if *name == "model" {
            let names: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
            props.insert(
                "type".into(),
                one_or_list(json!({"type": "string", "enum": names, "description": "a model type: candidates of this sub-grid start from its defaults"})),
            );
            // A parameter name shared by several models may differ in kind: accept any of them.
            let mut by_name: Vec<(&str, Vec<Value>, Vec<&str>)> = Vec::new();
            for m in MODELS {
                for p in m.params {
                    let schema = param_kind(p.kind);
                    match by_name.iter_mut().find(|(n, _, _)| *n == p.name) {
                        Some((_, kinds, models)) => {
                            if !kinds.contains(&schema) {
                                kinds.push(schema);
                            }
                            models.push(m.name);
                        }
                        None => by_name.push((p.name, vec![schema], vec![m.name])),
                    }
                }
            }
            for (name, mut kinds, models) in by_name {
                let mut schema = if kinds.len() == 1 {
                    kinds.remove(0)
                } else {
                    json!({ "anyOf": kinds })
                };
                schema["description"] = json!(format!("a parameter of {}", models.join(", ")));
                let mut choices = one_or_list(schema);
                if let Some(any) = choices["anyOf"].as_array_mut() {
                    any.push(json!({"$ref": "#/definitions/distribution"}));
                }
                props.insert(name.into(), choices);
            }
        } else if let Some(sec) = SECTIONS.iter().find(|s| s.name == *name) {
            for k in sec.keys {
                let mut schema = key_schema(k);
                if let (Kind::Choice(choices), true) = (k.kind, *name == "impute") {
                    let allowed: Vec<&str> = choices
                        .iter()
                        .copied()
                        .filter(|c| !DATA_POLICIES.contains(c))
                        .collect();
                    schema["enum"] = json!(allowed);
                }
                props.insert(k.name.into(), one_or_list(schema));
            }
        }
        sections.insert(
            (*name).into(),
            object(
                props,
                Vec::new(),
                &format!("[{name}] keys, each a value or a list of values"),
            ),
        );
    }
    object(
        sections,
        Vec::new(),
        "a sub-grid: the config's own shape with a list where a value was",
    )
}

/// Every metric, each `{ min, max }`.
fn metric_bounds(doc: &str) -> Value {
    let bound = json!({
        "type": "object",
        "properties": {
            "min": {"type": "number", "description": "the score must be at least this"},
            "max": {"type": "number", "description": "the score must be at most this"}
        },
        "additionalProperties": false,
        "minProperties": 1
    });
    let metrics: Map<String, Value> = Metric::ALL
        .iter()
        .map(|m| (m.name().to_string(), bound.clone()))
        .collect();
    object(metrics, Vec::new(), doc)
}

/// `[expect]`: cv.<metric> and test.<metric>, each { min, max }.
fn expect_schema(doc: &str) -> Value {
    let mut scopes = Map::new();
    scopes.insert(
        "cv".into(),
        metric_bounds("the best candidate's mean validation score"),
    );
    scopes.insert(
        "test".into(),
        metric_bounds("the holdout score (needs data.test_size)"),
    );
    object(scopes, Vec::new(), doc)
}

/// The whole schema.
pub fn pipeline_schema() -> Value {
    let mut properties = Map::new();
    for sec in SECTIONS {
        let schema = match sec.name {
            "model" => model_schema(sec.doc),
            "grid" => json!({
                "description": sec.doc,
                "oneOf": [
                    {"$ref": "#/definitions/subgrid"},
                    {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/subgrid"}}
                ]
            }),
            "expect" => expect_schema(sec.doc),
            _ => {
                let props: Map<String, Value> = sec
                    .keys
                    .iter()
                    .map(|k| (k.name.to_string(), section_key_schema(sec.name, k)))
                    .collect();
                let required: Vec<&str> = sec
                    .keys
                    .iter()
                    .filter(|k| k.required)
                    .map(|k| k.name)
                    .collect();
                object(props, required, sec.doc)
            }
        };
        properties.insert(sec.name.into(), schema);
    }
    let required: Vec<&str> = SECTIONS
        .iter()
        .filter(|s| s.required)
        .map(|s| s.name)
        .collect();
    json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": "kiln pipeline",
        "description": "A kiln pipeline file: data, preprocessing, model and a grid of hyperparameters. Generated by `kiln schema`.",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
        "definitions": {"subgrid": subgrid_schema(), "distribution": distribution_schema()}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_and_key_of_the_checker_is_in_the_schema() {
        let s = pipeline_schema();
        for sec in SECTIONS {
            let node = &s["properties"][sec.name];
            assert!(node.is_object(), "section {} missing", sec.name);
            for k in sec.keys {
                let key = &node["properties"][k.name];
                assert!(key.is_object(), "{}.{} missing", sec.name, k.name);
                assert!(key["description"].as_str().unwrap().starts_with(k.doc));
            }
            assert_eq!(
                s["required"].as_array().unwrap().contains(&json!(sec.name)),
                sec.required
            );
        }
    }

    #[test]
    fn every_model_is_a_branch_with_its_own_parameters() {
        let s = pipeline_schema();
        let branches = s["properties"]["model"]["oneOf"].as_array().unwrap();
        assert_eq!(branches.len(), MODELS.len());
        for (m, b) in MODELS.iter().zip(branches) {
            assert_eq!(b["properties"]["type"]["enum"], json!([m.name]));
            assert_eq!(
                b["properties"].as_object().unwrap().len(),
                m.params.len() + 1
            );
            for p in m.params {
                let schema = &b["properties"][p.name];
                assert!(schema.is_object(), "{}.{}", m.name, p.name);
                let default = m.default_text(p.name);
                if !default.is_empty() {
                    assert!(
                        schema.get("default").is_some(),
                        "{}.{}'s default `{}` is not TOML",
                        m.name,
                        p.name,
                        default
                    );
                }
            }
        }
    }

    #[test]
    fn every_written_default_is_toml() {
        for sec in SECTIONS {
            for k in sec.keys.iter().filter(|k| !k.default.is_empty()) {
                assert!(
                    default_value(k.default).is_some(),
                    "{}.{}: `{}`",
                    sec.name,
                    k.name,
                    k.default
                );
            }
        }
        assert_eq!(default_value("\"median\""), Some(json!("median")));
        assert_eq!(default_value("1e-4"), Some(json!(1e-4)));
    }
}
