//! `kiln schema`: the JSON Schema of pipeline files. It must be a well-formed draft-4 schema, name
//! every section, key and model parameter of the contract (PIPELINE.md) and of the checker's tables,
//! allow every shipped pipeline, and reject what the loader rejects.
//!
//! The schema is walked here by a small validator for exactly the keywords it uses (a test checks
//! that it uses no other), so a keyword the validator does not know cannot be silently ignored.

mod common;

use common::{root, run};
use kiln::config::schema::{Kind, SECTIONS};
use kiln::models::params::ParamKind;
use kiln::models::MODELS;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Keywords the schema may use: draft 4's, those the validator below understands, and annotations.
const CHECKED: &[&str] = &[
    "type",
    "enum",
    "properties",
    "additionalProperties",
    "required",
    "minProperties",
    "items",
    "minItems",
    "minLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "anyOf",
    "oneOf",
    "$ref",
];
const ANNOTATIONS: &[&str] = &["$schema", "title", "description", "default", "definitions"];
const TYPES: &[&str] = &[
    "string", "integer", "number", "boolean", "array", "object", "null",
];

fn schema() -> Value {
    kiln::schema_json::pipeline_schema()
}

/// Follows a local `$ref` (`#/definitions/name`).
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("only local references");
            root.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling reference {r}"))
        }
        None => node,
    }
}

fn type_matches(ty: &str, v: &toml::Value) -> bool {
    match ty {
        "string" => v.is_str(),
        "integer" => v.is_integer(),
        "number" => v.is_integer() || v.is_float(),
        "boolean" => v.is_bool(),
        "array" => v.is_array(),
        "object" => v.is_table(),
        _ => false,
    }
}

/// Whether the schema node allows the TOML value; Err names the first key path that it does not.
fn allows(root: &Value, node: &Value, v: &toml::Value, at: &str) -> Result<(), String> {
    let node = resolve(root, node);
    if let Some(branches) = node.get("anyOf").and_then(Value::as_array) {
        let errors: Vec<String> = branches
            .iter()
            .filter_map(|b| allows(root, b, v, at).err())
            .collect();
        if errors.len() == branches.len() {
            return Err(format!("{at}: no alternative fits: {}", errors.join(" | ")));
        }
    }
    if let Some(branches) = node.get("oneOf").and_then(Value::as_array) {
        let results: Vec<Result<(), String>> =
            branches.iter().map(|b| allows(root, b, v, at)).collect();
        let fits = results.iter().filter(|r| r.is_ok()).count();
        if fits != 1 {
            let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
            return Err(format!(
                "{at}: {fits} of the oneOf alternatives fit (one must): {}",
                errors.join(" | ")
            ));
        }
    }
    match node.get("type") {
        Some(Value::String(t)) if !type_matches(t, v) => {
            return Err(format!("{at}: expected {t}, found {v}"));
        }
        Some(Value::Array(ts)) if !ts.iter().any(|t| type_matches(t.as_str().unwrap(), v)) => {
            return Err(format!("{at}: expected one of {ts:?}, found {v}"));
        }
        _ => {}
    }
    if let Some(choices) = node.get("enum").and_then(Value::as_array) {
        let as_json = serde_json::to_value(v).unwrap();
        if !choices.contains(&as_json) {
            return Err(format!("{at}: {v} is not one of {choices:?}"));
        }
    }
    if let Some(x) = v.as_float().or(v.as_integer().map(|i| i as f64)) {
        if let Some(min) = node.get("minimum").and_then(Value::as_f64) {
            let exclusive = node.get("exclusiveMinimum") == Some(&json!(true));
            if x < min || (exclusive && x == min) {
                return Err(format!("{at}: {x} is below the minimum {min}"));
            }
        }
        if let Some(max) = node.get("maximum").and_then(Value::as_f64) {
            if x > max {
                return Err(format!("{at}: {x} is above the maximum {max}"));
            }
        }
    }
    if let (Some(s), Some(n)) = (v.as_str(), node.get("minLength").and_then(Value::as_u64)) {
        if (s.chars().count() as u64) < n {
            return Err(format!("{at}: shorter than {n}"));
        }
    }
    if let Some(items) = v.as_array() {
        if let Some(n) = node.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < n {
                return Err(format!("{at}: fewer than {n} items"));
            }
        }
        if let Some(item) = node.get("items") {
            for (i, x) in items.iter().enumerate() {
                allows(root, item, x, &format!("{at}[{i}]"))?;
            }
        }
    }
    if let Some(table) = v.as_table() {
        let props = node.get("properties").and_then(Value::as_object);
        for (k, x) in table {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            match props.and_then(|p| p.get(k)) {
                Some(p) => allows(root, p, x, &path)?,
                None if node.get("additionalProperties") == Some(&json!(false)) => {
                    return Err(format!("{path}: not allowed here"));
                }
                None => {}
            }
        }
        for r in node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !table.contains_key(r) {
                return Err(format!("{at}: missing required `{r}`"));
            }
        }
        if let Some(n) = node.get("minProperties").and_then(Value::as_u64) {
            if (table.len() as u64) < n {
                return Err(format!("{at}: fewer than {n} keys"));
            }
        }
    }
    Ok(())
}

fn allowed(doc: &toml::Table) -> Result<(), String> {
    let s = schema();
    allows(&s, &s, &toml::Value::Table(doc.clone()), "")
}

/// Checks one schema node (and everything below it) against draft 4's rules for the keywords used.
fn check_node(node: &Value, at: &str, root: &Value) {
    let obj = node
        .as_object()
        .unwrap_or_else(|| panic!("{at}: a schema must be an object, found {node}"));
    for (k, v) in obj {
        let here = format!("{at}/{k}");
        assert!(
            CHECKED.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()),
            "{here}: keyword `{k}` is not one the tests check"
        );
        match k.as_str() {
            "type" => {
                let types: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                assert!(!types.is_empty(), "{here}: empty");
                for t in types {
                    assert!(TYPES.contains(&t.as_str().unwrap_or("")), "{here}: {t}");
                }
            }
            "enum" | "required" => {
                let a = v
                    .as_array()
                    .unwrap_or_else(|| panic!("{here}: not an array"));
                assert!(!a.is_empty(), "{here}: draft 4 wants at least one item");
                for (i, x) in a.iter().enumerate() {
                    assert!(!a[..i].contains(x), "{here}: {x} twice");
                    if k == "required" {
                        assert!(x.is_string(), "{here}: {x}");
                    }
                }
            }
            "properties" | "definitions" => {
                for (name, sub) in v.as_object().expect("an object of schemas") {
                    check_node(sub, &format!("{here}/{name}"), root);
                }
            }
            "items" => check_node(v, &here, root),
            "anyOf" | "oneOf" => {
                let a = v.as_array().expect("an array of schemas");
                assert!(!a.is_empty(), "{here}: empty");
                for (i, sub) in a.iter().enumerate() {
                    check_node(sub, &format!("{here}/{i}"), root);
                }
            }
            "additionalProperties" | "exclusiveMinimum" => {
                assert!(v.is_boolean(), "{here}: draft 4 wants a boolean")
            }
            "minimum" | "maximum" => assert!(v.is_number(), "{here}"),
            "minItems" | "minLength" | "minProperties" => assert!(v.is_u64(), "{here}"),
            "$ref" => {
                resolve(root, node);
            }
            "title" | "description" => assert!(v.is_string(), "{here}"),
            _ => {}
        }
    }
    if obj.contains_key("exclusiveMinimum") {
        assert!(
            obj.contains_key("minimum"),
            "{at}: exclusiveMinimum without minimum"
        );
    }
}

#[test]
fn kiln_schema_prints_a_draft_4_json_schema() {
    let (code, stdout, err) = run(&["schema"]);
    assert_eq!(code, 0, "{err}");
    let printed: Value = serde_json::from_str(&stdout).expect("kiln schema prints JSON");
    assert_eq!(printed, schema(), "the binary prints the library's schema");
    assert_eq!(
        printed["$schema"],
        "http://json-schema.org/draft-04/schema#"
    );
    assert_eq!(printed["type"], "object");
    assert_eq!(printed["additionalProperties"], false);
    check_node(&printed, "#", &printed);
    // Every default in the schema is allowed by the schema of its own key.
    fn defaults(node: &Value, root: &Value, at: &str) {
        if let Some(d) = node.get("default") {
            let as_toml: toml::Value = serde_json::from_value(d.clone()).unwrap();
            allows(root, node, &as_toml, at).unwrap_or_else(|e| panic!("default: {e}"));
        }
        for key in ["properties", "definitions"] {
            for (k, sub) in node
                .get(key)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                defaults(sub, root, &format!("{at}.{k}"));
            }
        }
        for key in ["anyOf", "oneOf"] {
            for sub in node
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                defaults(sub, root, at);
            }
        }
    }
    defaults(&printed, &printed, "");
}

/// The ```toml blocks of a markdown file.
fn toml_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

/// The model table of PIPELINE.md: (type, parameter names), read from each row's last cell with
/// parenthesised remarks and quoted values left out.
fn contract_models(markdown: &str) -> Vec<(String, Vec<String>)> {
    let section = markdown
        .split("## Models")
        .nth(1)
        .expect("a ## Models section");
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("|---") && !l.starts_with("| type"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            let mut params_text = String::new();
            let mut depth = 0;
            for c in cells[cells.len() - 1].chars() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ if depth == 0 => params_text.push(c),
                    _ => {}
                }
            }
            let params = params_text
                .split([',', ';'])
                .filter_map(|piece| {
                    let name: String = piece
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    (!name.is_empty()).then_some(name)
                })
                .collect();
            (cells[0].to_string(), params)
        })
        .collect()
}

fn model_branch<'a>(s: &'a Value, name: &str) -> &'a Value {
    s["properties"]["model"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["properties"]["type"]["enum"] == json!([name]))
        .unwrap_or_else(|| panic!("no [model] branch for `{name}`"))
}

#[test]
fn every_section_key_and_model_parameter_of_the_contract_is_in_the_schema() {
    let contract = std::fs::read_to_string(root().join("PIPELINE.md")).unwrap();
    let blocks = toml_blocks(&contract);
    assert!(blocks.len() >= 2, "PIPELINE.md's examples");
    let mut sections = Vec::new();
    for block in &blocks {
        let doc: toml::Table = toml::from_str(block).expect("PIPELINE.md's examples are TOML");
        sections.extend(doc.keys().cloned());
        // Each example shows some sections, not always a whole pipeline: every key of it must be
        // allowed where it stands.
        let s = schema();
        for (k, v) in &doc {
            let node = s["properties"]
                .get(k)
                .unwrap_or_else(|| panic!("PIPELINE.md's [{k}] is not in the schema"));
            allows(&s, node, v, k).unwrap_or_else(|e| panic!("PIPELINE.md: {e}\n{block}"));
        }
    }
    for sec in [
        "pipeline", "data", "impute", "encode", "scale", "model", "cv", "search", "grid", "output",
        "expect",
    ] {
        assert!(
            sections.iter().any(|s| s == sec),
            "PIPELINE.md shows [{sec}]"
        );
    }
    let s = schema();
    let models = contract_models(&contract);
    assert_eq!(models.len(), MODELS.len(), "{models:?}");
    for (name, params) in &models {
        let branch = model_branch(&s, name);
        assert!(!params.is_empty(), "{name}");
        for p in params {
            assert!(
                branch["properties"][p].is_object(),
                "PIPELINE.md's parameter `{p}` of `{name}` is not in the schema"
            );
            assert!(
                s["definitions"]["subgrid"]["properties"]["model"]["properties"][p].is_object(),
                "a grid cannot vary `model.{p}`"
            );
        }
    }
}

#[test]
fn the_schema_is_the_checker_s_tables() {
    let s = schema();
    for sec in SECTIONS {
        let node = &s["properties"][sec.name];
        assert!(node.is_object(), "[{}]", sec.name);
        if sec.keys.is_empty() {
            continue;
        }
        let props = node["properties"].as_object().unwrap();
        let names: Vec<&str> = sec.keys.iter().map(|k| k.name).collect();
        let mut in_schema: Vec<&str> = props.keys().map(String::as_str).collect();
        in_schema.sort_unstable();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(in_schema, sorted, "[{}]: the same keys, no more", sec.name);
        for k in sec.keys {
            if let Kind::Choice(choices) = k.kind {
                assert_eq!(
                    props[k.name]["enum"],
                    json!(choices),
                    "{}.{}",
                    sec.name,
                    k.name
                );
            }
            let required = node["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!(k.name)));
            assert_eq!(required, k.required, "{}.{} required", sec.name, k.name);
        }
    }
    let branches = s["properties"]["model"]["oneOf"].as_array().unwrap();
    assert_eq!(branches.len(), MODELS.len());
    for m in MODELS {
        let b = model_branch(&s, m.name);
        let props = b["properties"].as_object().unwrap();
        assert_eq!(
            props.len(),
            m.params.len() + 1,
            "{}: type and its parameters",
            m.name
        );
        for p in m.params {
            let node = &props[p.name];
            assert!(node.is_object(), "{}.{}", m.name, p.name);
            match p.kind {
                ParamKind::Float => assert_eq!(node["type"], "number"),
                ParamKind::Int => assert_eq!(node["type"], "integer"),
                ParamKind::Bool => assert_eq!(node["type"], "boolean"),
                ParamKind::Choice(c) => assert_eq!(node["enum"], json!(c)),
                ParamKind::MaxFeatures | ParamKind::AutoOrBool | ParamKind::ClassWeight(_) => {
                    assert!(node["anyOf"].is_array())
                }
            }
            assert!(
                node["description"].as_str().unwrap().starts_with(p.doc),
                "{}.{}: the registry's text",
                m.name,
                p.name
            );
        }
    }
}

fn shipped_pipelines() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["pipelines", "tests/reference"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_shipped_pipeline_is_allowed_by_the_schema() {
    let files = shipped_pipelines();
    assert!(files.len() >= 19, "{files:?}");
    for f in &files {
        let doc: toml::Table = toml::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        allowed(&doc).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

/// A small valid pipeline to change one thing at a time.
const BASE: &str = r#"
[pipeline]
task = "classification"
[data]
path = "penguins.csv"
target = "species"
test_size = 0.2
[model]
type = "logistic_regression"
max_iter = 200
[search]
metric = "accuracy"
metrics = ["f1"]
[[grid]]
model.C = [0.1, 1.0]
[[grid]]
model.type = "decision_tree"
model.max_depth = [2, 4]
scale.method = ["none", "standard"]
[expect]
cv.accuracy = { min = 0.5 }
test.f1 = { max = 1.0 }
"#;

/// The loader's verdict on a pipeline text (nothing is read but the text).
fn loads(text: &str) -> Result<(), String> {
    kiln::config::load_str(Path::new("x.toml"), text.to_string(), &[])
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn with(base: &str, edit: impl FnOnce(&mut toml::Table)) -> String {
    let mut doc: toml::Table = toml::from_str(base).unwrap();
    edit(&mut doc);
    toml::to_string(&doc).unwrap()
}

fn table<'a>(doc: &'a mut toml::Table, path: &[&str]) -> &'a mut toml::Table {
    let mut t = doc;
    for p in path {
        t = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap();
    }
    t
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    loads(BASE).expect("the base pipeline loads");
    allowed(&toml::from_str(BASE).unwrap()).expect("the schema allows the base pipeline");
    type Edit = Box<dyn Fn(&mut toml::Table)>;
    let set = |path: &'static [&'static str], key: &'static str, v: toml::Value| -> Edit {
        Box::new(move |d| {
            table(d, path).insert(key.into(), v.clone());
        })
    };
    let s = |x: &str| toml::Value::String(x.into());
    let cases: Vec<(&str, Edit)> = vec![
        (
            "an unknown section",
            set(&[], "cvv", toml::Value::Table(Default::default())),
        ),
        ("an unknown key", set(&["data"], "traget", s("species"))),
        (
            "an unknown model parameter",
            set(&["model"], "alpah", toml::Value::Float(1.0)),
        ),
        (
            "another model's parameter",
            set(&["model"], "max_depth", toml::Value::Integer(3)),
        ),
        ("a number as text", set(&["pipeline"], "seed", s("1"))),
        (
            "a negative whole number",
            set(&["cv"], "folds", toml::Value::Integer(-3)),
        ),
        ("an unknown choice", set(&["scale"], "method", s("z_score"))),
        ("an unknown model", set(&["model"], "type", s("svm"))),
        (
            "an unknown metric",
            set(&["search"], "metric", s("acuracy")),
        ),
        (
            "an unknown expect scope",
            set(&["expect"], "train", toml::Value::Table(Default::default())),
        ),
        (
            "an unknown expect bound",
            set(
                &["expect", "cv"],
                "accuracy",
                toml::from_str::<toml::Value>("v = { least = 1 }").unwrap()["v"].clone(),
            ),
        ),
        (
            "a derive entry without expr",
            set(
                &["data"],
                "derive",
                toml::from_str::<toml::Value>("v = [{ name = \"x\" }]").unwrap()["v"].clone(),
            ),
        ),
        (
            "a missing required section",
            Box::new(|d: &mut toml::Table| {
                d.remove("model");
            }),
        ),
        (
            "a missing required key",
            Box::new(|d: &mut toml::Table| {
                table(d, &["data"]).remove("path");
            }),
        ),
        (
            "an unknown grid key",
            Box::new(|d: &mut toml::Table| {
                let g = d.get_mut("grid").unwrap().as_array_mut().unwrap();
                table(g[0].as_table_mut().unwrap(), &["model"])
                    .insert("CC".into(), toml::Value::Float(1.0));
            }),
        ),
        (
            "a grid over the data",
            Box::new(|d: &mut toml::Table| {
                let g = d.get_mut("grid").unwrap().as_array_mut().unwrap();
                table(g[0].as_table_mut().unwrap(), &["data"])
                    .insert("test_size".into(), toml::Value::Float(0.3));
            }),
        ),
    ];
    for (what, edit) in cases {
        let text = with(BASE, edit);
        assert!(loads(&text).is_err(), "{what}: the loader accepts\n{text}");
        assert!(
            allowed(&toml::from_str(&text).unwrap()).is_err(),
            "{what}: the loader rejects it, the schema allows it\n{text}"
        );
    }
}

/// A value of each kind that the loader accepts where a grid may put it.
fn sample(kind: Kind, default: &str) -> Vec<toml::Value> {
    if let Kind::Choice(c) | Kind::Param(ParamKind::Choice(c)) = kind {
        return c
            .iter()
            .map(|x| toml::Value::String(x.to_string()))
            .collect();
    }
    if let Some(d) = kiln::schema_json::default_value(default) {
        return vec![serde_json::from_value(d).unwrap()];
    }
    match kind {
        Kind::Int | Kind::Param(ParamKind::Int) => vec![toml::Value::Integer(3)],
        Kind::Float | Kind::Param(ParamKind::Float) => vec![toml::Value::Float(0.5)],
        Kind::Bool | Kind::Param(ParamKind::Bool) => vec![toml::Value::Boolean(true)],
        Kind::StrList => vec![toml::Value::Array(vec![toml::Value::String("f1".into())])],
        Kind::Param(ParamKind::MaxFeatures) => vec![toml::Value::String("sqrt".into())],
        Kind::Param(ParamKind::ClassWeight(names)) => vec![
            toml::Value::String(names[names.len() - 1].into()),
            toml::from_str::<toml::Table>("yes = 5.0").unwrap().into(),
        ],
        _ => vec![toml::Value::String("x".into())],
    }
}

#[test]
fn a_grid_may_vary_exactly_what_the_loader_lets_it_vary() {
    let cannot_vary = |text: &str| match loads(text) {
        Ok(()) => false,
        Err(e) => e.contains("cannot vary across candidates"),
    };
    let (mut may, mut may_not) = (0, 0);
    for sec in SECTIONS.iter().filter(|s| !s.keys.is_empty()) {
        for k in sec.keys {
            for value in sample(k.kind, k.default) {
                let text = with(BASE, |d| {
                    let g = d.get_mut("grid").unwrap().as_array_mut().unwrap();
                    table(g[0].as_table_mut().unwrap(), &[sec.name])
                        .insert(k.name.into(), toml::Value::Array(vec![value.clone()]));
                });
                let schema_allows = allowed(&toml::from_str(&text).unwrap()).is_ok();
                assert_eq!(
                    schema_allows,
                    !cannot_vary(&text),
                    "grid {}.{} = [{value}]: schema {} it, the loader {}",
                    sec.name,
                    k.name,
                    if schema_allows { "allows" } else { "rejects" },
                    loads(&text).err().unwrap_or_else(|| "accepts it".into())
                );
                if schema_allows {
                    may += 1;
                } else {
                    may_not += 1;
                }
            }
        }
    }
    // impute, encode and scale keys may vary (impute's drop and error aside); the rest may not.
    assert!(
        may >= 12 && may_not >= 20,
        "{may} allowed, {may_not} refused"
    );
    // Every model parameter may vary (in a sub-grid of its model).
    for m in MODELS {
        for p in m.params {
            for value in sample(Kind::Param(p.kind), &m.default_text(p.name)) {
                let text = with(BASE, |d| {
                    let g = d.get_mut("grid").unwrap().as_array_mut().unwrap();
                    let model = table(g[1].as_table_mut().unwrap(), &["model"]);
                    model.clear();
                    model.insert("type".into(), toml::Value::String(m.name.into()));
                    model.insert(p.name.into(), toml::Value::Array(vec![value.clone()]));
                });
                assert!(!cannot_vary(&text), "model.{}", p.name);
                allowed(&toml::from_str(&text).unwrap())
                    .unwrap_or_else(|e| panic!("grid model.{} = [{value}]: {e}", p.name));
            }
        }
    }
}
