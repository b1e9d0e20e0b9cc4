//! The shape of a pipeline file: every section and key, its kind, default and meaning. The checker walks
//! a parsed file against it before anything is deserialised, so an unknown key or a value of the wrong
//! kind is reported with its path (and so its line) and the nearest valid name. `kiln schema` is
//! generated from these same tables, so the two cannot drift apart.

use crate::error::did_you_mean;
use crate::models::params::ParamKind;
use crate::models::{model_info, MODELS};
use toml::Value;

/// The kind of value a key takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Str,
    /// A whole number >= 0.
    Int,
    Float,
    Bool,
    StrList,
    Choice(&'static [&'static str]),
    /// A class label: text, a number or a boolean (labels are compared as text).
    Label,
    /// `[[data.derive]]`: a list of tables with `name` and `expr`.
    Derive,
    /// A model parameter's kind.
    Param(ParamKind),
    /// `cv.<metric> = { min = .., max = .. }`, as `[expect]` (search.stop_when).
    Bounds,
    /// A whole number >= 1, or one of these strings (search.min_resources, search.max_resources).
    IntOr(&'static [&'static str]),
    /// A number from 0 to 1, or one of these strings (search.threshold).
    FractionOr(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct KeyDoc {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// The default as TOML would write it; "" when unset.
    pub default: &'static str,
    pub doc: &'static str,
    /// For a whole number: the least valid value, named when a negative one is refused (the
    /// range itself is checked where the pipeline is resolved).
    pub min: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct SectionDoc {
    pub name: &'static str,
    pub required: bool,
    pub doc: &'static str,
    /// Empty for the sections with a shape of their own: model, grid, expect.
    pub keys: &'static [KeyDoc],
}

const fn key(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> KeyDoc {
    KeyDoc {
        name,
        kind,
        required: false,
        default,
        doc,
        min: 0,
    }
}

impl KeyDoc {
    const fn at_least(self, min: i64) -> KeyDoc {
        KeyDoc { min, ..self }
    }
}

const fn required(name: &'static str, kind: Kind, doc: &'static str) -> KeyDoc {
    KeyDoc {
        name,
        kind,
        required: true,
        default: "",
        doc,
        min: 0,
    }
}

pub const NUMERIC_IMPUTE: &[&str] = &["mean", "median", "constant", "drop", "error", "none"];
pub const CATEGORICAL_IMPUTE: &[&str] = &["most_frequent", "constant", "drop", "error"];

pub const SECTIONS: &[SectionDoc] = &[
    SectionDoc {
        name: "pipeline",
        required: true,
        doc: "what the pipeline is",
        keys: &[
            key("name", Kind::Str, "", "the run's name; default: the file's stem"),
            required("task", Kind::Choice(crate::models::Task::NAMES), "regression | classification | clustering"),
            key("seed", Kind::Int, "0", "every random choice derives from it"),
        ],
    },
    SectionDoc {
        name: "data",
        required: true,
        doc: "where the data is and which columns play which role",
        keys: &[
            required("path", Kind::Str, "the data file, relative to the pipeline file: .csv .tsv .parquet .json .ndjson .jsonl .arrow .ipc"),
            key("target", Kind::Str, "", "the column to predict (regression, classification); absent for clustering"),
            key("features", Kind::StrList, "", "default: every column but target, drop, cv.fold_column, cv.group_column (cv.order_by stays a feature unless dropped)"),
            key("drop", Kind::StrList, "[]", "columns to leave out"),
            key("categorical", Kind::StrList, "[]", "numeric-looking columns to treat as categories"),
            key("null_values", Kind::StrList, "[\"\", \"NA\"]", "strings read as missing (csv, tsv)"),
            key("separator", Kind::Str, "\",\"", "field separator (csv); tab for .tsv"),
            key("test_size", Kind::Param(ParamKind::Float), "", "share of rows held out before the search, in (0, 1)"),
            key("weight", Kind::Str, "", "a column of row weights (numbers >= 0, never a feature): every fit and every score weights its rows by it, as scikit-learn's sample_weight; the preprocessing is fitted unweighted"),
            key("positive_class", Kind::Label, "", "binary classification: the class that precision, recall, f1 and roc_auc score"),
            key("derive", Kind::Derive, "[]", "[[data.derive]] name = \"...\", expr = \"polars SQL expression\""),
        ],
    },
    SectionDoc {
        name: "impute",
        required: false,
        doc: "filling missing values, fitted on each fold's training rows",
        keys: &[
            key("numeric", Kind::Choice(NUMERIC_IMPUTE), "\"median\"", "how missing numbers are filled"),
            key("categorical", Kind::Choice(CATEGORICAL_IMPUTE), "\"most_frequent\"", "how missing categories are filled"),
            key("fill_value", Kind::Param(ParamKind::Float), "0.0", "the numeric constant"),
            key("fill_category", Kind::Str, "\"missing\"", "the categorical constant"),
            key("indicator", Kind::Bool, "false", "add a 0/1 \"<col>__missing\" column for each numeric column with nulls"),
        ],
    },
    SectionDoc {
        name: "encode",
        required: false,
        doc: "turning categories into numbers",
        keys: &[
            key("method", Kind::Choice(&["one_hot", "ordinal"]), "\"one_hot\"", "one column per category, or one code per category"),
            key("unknown", Kind::Choice(&["ignore", "error"]), "\"ignore\"", "a category unseen in training: all-zero row, or an error"),
            key("max_categories", Kind::Int, "", "rarer categories share one \"__other\" column; >= 2").at_least(2),
        ],
    },
    SectionDoc {
        name: "scale",
        required: false,
        doc: "scaling numeric columns (one-hot and indicator columns stay 0/1)",
        keys: &[key("method", Kind::Choice(&["none", "standard", "minmax", "robust"]), "\"standard\"", "the scaler")],
    },
    SectionDoc {
        name: "model",
        required: true,
        doc: "the algorithm (`type`) and its parameters, with scikit-learn's names",
        keys: &[],
    },
    SectionDoc {
        name: "cv",
        required: false,
        doc: "cross-validation",
        keys: &[
            key("method", Kind::Choice(super::CvMethod::NAMES), "\"kfold\"", "kfold (shuffled, stratified, grouped or predefined) or time_series (scikit-learn's TimeSeriesSplit)"),
            key("folds", Kind::Int, "5", "number of folds, >= 2").at_least(2),
            key("shuffle", Kind::Bool, "true", "shuffle rows (seeded) before splitting"),
            key("stratify", Kind::Bool, "true", "keep class proportions in every fold (classification)"),
            key("fold_column", Kind::Str, "", "predefined folds: an integer column; overrides folds/shuffle/stratify"),
            key("group_column", Kind::Str, "", "rows of one group never straddle train and validation"),
            key("order_by", Kind::Str, "", "time_series: the column that orders rows in time (sorted, ties in file order; may be dropped); default: file order"),
            key("gap", Kind::Int, "0", "time_series: rows left out between each training window and its validation rows").at_least(0),
            key("max_train_size", Kind::Int, "", "time_series: the most recent rows each training window keeps").at_least(1),
        ],
    },
    SectionDoc {
        name: "search",
        required: false,
        doc: "what picks the best candidate",
        keys: &[
            key("metric", Kind::Str, "", "default: r2, accuracy or silhouette by task"),
            key("metrics", Kind::StrList, "[]", "also computed and logged"),
            key("on_error", Kind::Choice(&["skip", "fail"]), "\"skip\"", "a failed candidate: log it and go on, or stop"),
            key("strategy", Kind::Choice(crate::config::spec::Strategy::NAMES), "\"grid\"", "grid: every combination; random: n_candidates drawn from the seed (lists are choices; log_uniform, uniform, int, log_int are distributions); halving: successive halving over the grid, or over n_candidates drawn"),
            key("n_candidates", Kind::Int, "10", "random search: the candidates drawn (scikit-learn's n_iter); halving: draw this many instead of the whole grid").at_least(1),
            key("factor", Kind::Float, "3", "halving: each rung keeps the best 1/factor of its candidates and gives them factor times the resource; > 1"),
            key("min_resources", Kind::IntOr(&["exhaust", "smallest"]), "\"exhaust\"", "halving: the first rung's resource; smallest: 2 x folds (x classes) rows, or 1; exhaust: as large as lets the last rung reach max_resources"),
            key("max_resources", Kind::IntOr(&["auto"]), "\"auto\"", "halving: the most resource a rung may use; auto: every search row (resource = \"rows\" only)"),
            key("resource", Kind::Str, "\"rows\"", "halving: what grows from rung to rung: rows (subsampled per rung from the seed) or a whole-number model parameter, as \"model.n_estimators\""),
            key("aggressive_elimination", Kind::Bool, "false", "halving: repeat the first rung's resource until the last rung has fewer than factor candidates"),
            key("threshold", Kind::FractionOr(&["tune"]), "", "binary classification: tune: per candidate, the probability cut that maximises the search metric over its folds' validation rows (scikit-learn's TunedThresholdClassifierCV, 100 thresholds); a number: a fixed cut on the positive class's probability; unset: the more probable class"),
            key("max_fits", Kind::Int, "", "at most this many fits: the first max_fits // folds candidates, in candidate order").at_least(1),
            key("max_seconds", Kind::Float, "", "start no candidate after this many seconds (which candidates finish depends on the machine)"),
            key("stop_when", Kind::Bounds, "", "stop_when.cv.<metric> = { min = .., max = .. }: the search ends at the first candidate, in candidate order, that meets every bound"),
        ],
    },
    SectionDoc {
        name: "grid",
        required: false,
        doc: "the config's own shape with a list where a value was; or [[grid]] sub-grids",
        keys: &[],
    },
    SectionDoc {
        name: "output",
        required: false,
        doc: "where runs are written",
        keys: &[key("dir", Kind::Str, "\"runs\"", "relative to the working directory")],
    },
    SectionDoc {
        name: "explain",
        required: false,
        doc: "explaining the best model",
        keys: &[key("permutation_repeats", Kind::Int, "5", "permutation importance on the holdout: shuffles per column (scikit-learn's n_repeats); 0: none").at_least(0)],
    },
    SectionDoc {
        name: "expect",
        required: false,
        doc: "CI gate: cv.<metric> / test.<metric> = { min = .., max = .. }; unmet -> exit code 1",
        keys: &[],
    },
];

pub fn section(name: &str) -> Option<&'static SectionDoc> {
    SECTIONS.iter().find(|s| s.name == name)
}

/// A problem found in a pipeline document: where (a key path) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: Vec<String>,
    pub message: String,
}

impl Problem {
    pub fn new(path: &[&str], message: impl Into<String>) -> Self {
        Problem {
            path: path.iter().map(|s| s.to_string()).collect(),
            message: message.into(),
        }
    }
}

/// Checks a whole pipeline document (grid excluded; see `grid`) against the schema.
pub fn check_document(doc: &toml::Table) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, value) in doc {
        let Some(sec) = section(name) else {
            problems.push(Problem::new(
                &[name],
                format!(
                    "unknown section `[{name}]`{}",
                    did_you_mean(name, SECTIONS.iter().map(|s| s.name))
                ),
            ));
            continue;
        };
        if sec.name == "grid" {
            continue;
        }
        let Some(table) = value.as_table() else {
            problems.push(Problem::new(
                &[name],
                format!("`{name}` must be a table: `[{name}]`"),
            ));
            continue;
        };
        match sec.name {
            "model" => check_model(table, &["model"], &mut problems),
            "expect" => check_expect(table, &mut problems),
            _ => check_keys(sec, table, &mut problems),
        }
    }
    for sec in SECTIONS.iter().filter(|s| s.required) {
        if !doc.contains_key(sec.name) {
            problems.push(Problem::new(
                &[],
                format!("missing section `[{}]`", sec.name),
            ));
        }
    }
    problems
}

fn check_keys(sec: &SectionDoc, table: &toml::Table, problems: &mut Vec<Problem>) {
    for (k, v) in table {
        match sec.keys.iter().find(|d| d.name == k) {
            None => problems.push(Problem::new(
                &[sec.name, k],
                format!(
                    "unknown key `{k}` in [{}]{}",
                    sec.name,
                    did_you_mean(k, sec.keys.iter().map(|d| d.name))
                ),
            )),
            Some(doc) if doc.kind == Kind::Bounds => match v.as_table() {
                Some(t) => check_bounds(t, &[sec.name, k], &["cv"], problems),
                None => problems.push(Problem::new(
                    &[sec.name, k],
                    format!(
                        "`{}.{k}` must be a table, as {}.{k}.cv.r2 = {{ min = 0.9 }}",
                        sec.name, sec.name
                    ),
                )),
            },
            Some(doc) => {
                // A negative count gets the key's own bound, as 0 <= value < min does later.
                if let (Kind::Int, Some(i)) = (doc.kind, v.as_integer().filter(|i| *i < 0)) {
                    problems.push(Problem::new(
                        &[sec.name, k],
                        format!("`{}.{k}` must be >= {}, got {i}", sec.name, doc.min),
                    ));
                } else if let Err(m) = check_kind(doc.kind, v) {
                    problems.push(Problem::new(
                        &[sec.name, k],
                        format!("`{}.{k}`: {m}", sec.name),
                    ));
                }
            }
        }
    }
    for d in sec.keys.iter().filter(|d| d.required) {
        if !table.contains_key(d.name) {
            problems.push(Problem::new(
                &[sec.name],
                format!("missing key `{}` in [{}]: {}", d.name, sec.name, d.doc),
            ));
        }
    }
}

/// `[model]`: a `type` from the registry, then only that model's parameters. `at` is where the model
/// table stands (["model"]), for error paths.
pub fn check_model<'a>(table: &'a toml::Table, at: &[&'a str], problems: &mut Vec<Problem>) {
    let names = || MODELS.iter().map(|m| m.name);
    let Some(type_value) = table.get("type") else {
        problems.push(Problem::new(
            at,
            format!(
                "missing key `type` in [model]: one of {}",
                names().collect::<Vec<_>>().join(", ")
            ),
        ));
        return;
    };
    let path_of = |k: &'a str| -> Vec<&'a str> { at.iter().copied().chain([k]).collect() };
    let Some(type_name) = type_value.as_str() else {
        problems.push(Problem::new(
            &path_of("type"),
            "`model.type` must be a string",
        ));
        return;
    };
    let Some(info) = model_info(type_name) else {
        problems.push(Problem::new(
            &path_of("type"),
            format!(
                "unknown model type `{type_name}`{}; valid: {}",
                did_you_mean(type_name, names()),
                names().collect::<Vec<_>>().join(", ")
            ),
        ));
        return;
    };
    for (k, v) in table.iter().filter(|(k, _)| k.as_str() != "type") {
        match info.params.iter().find(|p| p.name == k) {
            None => problems.push(Problem::new(
                &path_of(k),
                format!(
                    "unknown parameter `{k}` for model `{type_name}`{}; its parameters: {}",
                    did_you_mean(k, info.params.iter().map(|p| p.name)),
                    info.params
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Some(p) => {
                if let Err(m) = check_kind(Kind::Param(p.kind), v) {
                    problems.push(Problem::new(&path_of(k), format!("`model.{k}`: {m}")));
                }
            }
        }
    }
}

fn check_expect(table: &toml::Table, problems: &mut Vec<Problem>) {
    check_bounds(table, &["expect"], &["cv", "test"], problems);
}

/// `scope.<metric> = { min = .., max = .. }` under `at` ([expect], or search.stop_when, which
/// takes "cv" only: the holdout is scored after the search).
fn check_bounds(table: &toml::Table, at: &[&str], scopes: &[&str], problems: &mut Vec<Problem>) {
    let name = at.join(".");
    let uses = scopes
        .iter()
        .map(|s| format!("{s}.<metric>"))
        .collect::<Vec<_>>()
        .join(" or ");
    for (scope, metrics) in table {
        let here: Vec<&str> = at.iter().copied().chain([scope.as_str()]).collect();
        if !scopes.contains(&scope.as_str()) {
            problems.push(Problem::new(
                &here,
                format!(
                    "unknown key `{scope}` in {}: use {uses}{}",
                    if at.len() == 1 {
                        format!("[{name}]")
                    } else {
                        format!("`{name}`")
                    },
                    did_you_mean(scope, scopes.iter().copied())
                ),
            ));
            continue;
        }
        let Some(metrics) = metrics.as_table() else {
            problems.push(Problem::new(
                &here,
                format!("`{name}.{scope}` must be a table of metrics"),
            ));
            continue;
        };
        for (metric, bound) in metrics {
            let mut at = here.clone();
            at.push(metric.as_str());
            let Some(bound) = bound.as_table() else {
                problems.push(Problem::new(
                    &at,
                    format!("`{name}.{scope}.{metric}` must be {{ min = .., max = .. }}"),
                ));
                continue;
            };
            if bound.is_empty() {
                problems.push(Problem::new(
                    &at,
                    format!("`{name}.{scope}.{metric}` needs `min`, `max` or both"),
                ));
            }
            for (k, v) in bound {
                if k != "min" && k != "max" {
                    problems.push(Problem::new(
                        &at,
                        format!(
                            "unknown key `{k}` in `{name}.{scope}.{metric}`: use min or max{}",
                            did_you_mean(k, ["min", "max"])
                        ),
                    ));
                } else if let Err(m) = check_kind(Kind::Param(ParamKind::Float), v) {
                    problems.push(Problem::new(
                        &at,
                        format!("`{name}.{scope}.{metric}.{k}`: {m}"),
                    ));
                }
            }
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string \"{s}\""),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) => "a list".into(),
        Value::Table(_) => "a table".into(),
    }
}

/// Whether `v` is a value of `kind`; the error says what was expected and what was found.
pub fn check_kind(kind: Kind, v: &Value) -> Result<(), String> {
    let expected = |what: &str| Err(format!("expected {what}, found {}", describe(v)));
    match kind {
        Kind::Str => match v {
            Value::String(_) => Ok(()),
            _ => expected("a string"),
        },
        Kind::Int | Kind::Param(ParamKind::Int) => match v {
            Value::Integer(i) if *i >= 0 => Ok(()),
            Value::Integer(i) => Err(format!("must be >= 0, got {i}")),
            _ => expected("a whole number"),
        },
        Kind::Float | Kind::Param(ParamKind::Float) => match v {
            Value::Integer(_) => Ok(()),
            Value::Float(f) if f.is_finite() => Ok(()),
            Value::Float(f) => Err(format!("must be a finite number, got {f}")),
            _ => expected("a number"),
        },
        Kind::Bool | Kind::Param(ParamKind::Bool) => match v {
            Value::Boolean(_) => Ok(()),
            _ => expected("true or false"),
        },
        Kind::IntOr(names) => match v {
            Value::Integer(i) if *i >= 1 => Ok(()),
            Value::Integer(i) => Err(format!("must be >= 1, got {i}")),
            Value::String(s) if names.contains(&s.as_str()) => Ok(()),
            _ => expected(&format!("a whole number or {}", names.join(" | "))),
        },
        Kind::FractionOr(names) => match v {
            Value::Integer(i) if (0..=1).contains(i) => Ok(()),
            Value::Float(f) if (0.0..=1.0).contains(f) => Ok(()),
            Value::Integer(_) | Value::Float(_) => Err(format!(
                "must be a probability from 0 to 1, got {}",
                describe(v)
            )),
            Value::String(s) if names.contains(&s.as_str()) => Ok(()),
            Value::String(s) => Err(format!(
                "`{s}` is not {}, nor a number from 0 to 1{}",
                names.join(" | "),
                did_you_mean(s, names.iter().copied())
            )),
            _ => expected(&format!("a number from 0 to 1 or {}", names.join(" | "))),
        },
        Kind::Bounds => match v {
            Value::Table(_) => Ok(()),
            _ => expected("a table, as cv.r2 = { min = 0.9 }"),
        },
        Kind::StrList => match v {
            Value::Array(items) if items.iter().all(|i| i.is_str()) => Ok(()),
            _ => expected("a list of strings"),
        },
        Kind::Choice(choices) | Kind::Param(ParamKind::Choice(choices)) => match v {
            Value::String(s) if choices.contains(&s.as_str()) => Ok(()),
            Value::String(s) => Err(format!(
                "`{s}` is not one of {}{}",
                choices.join(" | "),
                did_you_mean(s, choices.iter().copied())
            )),
            _ => expected(&format!("one of {}", choices.join(" | "))),
        },
        Kind::Label => match v {
            Value::String(_) | Value::Integer(_) | Value::Float(_) | Value::Boolean(_) => Ok(()),
            _ => expected("a class label"),
        },
        Kind::Derive => {
            let Value::Array(items) = v else {
                return expected("a list of tables: [[data.derive]]");
            };
            for (i, item) in items.iter().enumerate() {
                let Some(t) = item.as_table() else {
                    return Err(format!(
                        "entry {} is not a table with `name` and `expr`",
                        i + 1
                    ));
                };
                for k in t.keys() {
                    if k != "name" && k != "expr" {
                        return Err(format!(
                            "entry {}: unknown key `{k}` (use name and expr){}",
                            i + 1,
                            did_you_mean(k, ["name", "expr"])
                        ));
                    }
                }
                for k in ["name", "expr"] {
                    match t.get(k) {
                        Some(Value::String(s)) if !s.trim().is_empty() => {}
                        _ => {
                            return Err(format!("entry {} needs `{k}`, a non-empty string", i + 1))
                        }
                    }
                }
            }
            Ok(())
        }
        Kind::Param(ParamKind::ClassWeight(names)) => match v {
            Value::String(s) if names.contains(&s.as_str()) => Ok(()),
            Value::Table(t) => {
                for (label, w) in t {
                    let ok = match w {
                        Value::Integer(i) => *i >= 0,
                        Value::Float(f) => f.is_finite() && *f >= 0.0,
                        _ => false,
                    };
                    if !ok {
                        return Err(format!(
                            "class `{label}`: expected a weight >= 0, found {}",
                            describe(w)
                        ));
                    }
                }
                Ok(())
            }
            _ => expected(&format!(
                "{} or a table of class weights, as {{ yes = 5.0, no = 1.0 }}",
                names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        },
        Kind::Param(ParamKind::AutoOrBool) => match v {
            Value::Boolean(_) => Ok(()),
            Value::String(s) if s == "auto" => Ok(()),
            _ => expected("\"auto\", true or false"),
        },
        Kind::Param(ParamKind::MaxFeatures) => match v {
            Value::String(s) if s == "sqrt" || s == "log2" => Ok(()),
            Value::Float(f) if *f > 0.0 && *f <= 1.0 => Ok(()),
            Value::Integer(i) if *i >= 1 => Ok(()),
            _ => Err(format!(
                "expected \"sqrt\", \"log2\", a fraction in (0, 1] or a count >= 1, found {}",
                describe(v)
            )),
        },
    }
}

/// The schema entry of a dotted key path, for grid and --set checks: `Ok(kind)` when the path names
/// a key (model parameters resolved against `model_type`), or `Err` with what is wrong.
pub fn kind_of_path(path: &[String], model_type: Option<&str>) -> Result<Kind, String> {
    let dotted = path.join(".");
    let Some(first) = path.first() else {
        return Err("an empty key".into());
    };
    let Some(sec) = section(first) else {
        return Err(format!(
            "`{dotted}`: no section `{first}`{}",
            did_you_mean(first, SECTIONS.iter().map(|s| s.name))
        ));
    };
    if path.len() != 2 {
        return Err(format!(
            "`{dotted}` is not a key: write section.key, as `model.alpha`"
        ));
    }
    let k = path[1].as_str();
    match sec.name {
        "model" => {
            if k == "type" {
                return Ok(Kind::Choice(&[]));
            }
            let Some(info) = model_type.and_then(model_info) else {
                return Err(format!("`{dotted}`: set model.type first"));
            };
            info.params
                .iter()
                .find(|p| p.name == k)
                .map(|p| Kind::Param(p.kind))
                .ok_or_else(|| {
                    format!(
                        "`{dotted}`: model `{}` has no parameter `{k}`{}",
                        info.name,
                        did_you_mean(k, info.params.iter().map(|p| p.name))
                    )
                })
        }
        "grid" | "expect" => Err(format!("`{dotted}` cannot be set here")),
        _ => sec
            .keys
            .iter()
            .find(|d| d.name == k)
            .map(|d| d.kind)
            .ok_or_else(|| {
                format!(
                    "`{dotted}`: no key `{k}` in [{}]{}",
                    sec.name,
                    did_you_mean(k, sec.keys.iter().map(|d| d.name))
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn unknown_keys_and_sections_get_suggestions() {
        let p = check_document(&doc(
            "[pipeline]\ntask='regression'\n[data]\npath='x.csv'\ntraget='y'\n[model]\ntype='ridge'\nalpah=1\n[cvv]\n",
        ));
        let msgs: Vec<_> = p.iter().map(|p| p.message.as_str()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("unknown key `traget`") && m.contains("`target`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m
                .contains("unknown parameter `alpah` for model `ridge`; did you mean `alpha`?")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("unknown section `[cvv]`") && m.contains("`cv`")),
            "{msgs:?}"
        );
    }

    #[test]
    fn wrong_kinds_are_named() {
        let p = check_document(&doc(
            "[pipeline]\ntask='regresion'\nseed='x'\n[data]\npath=3\n[model]\ntype='ridge'\nalpha='big'\n",
        ));
        let msgs: Vec<_> = p.iter().map(|p| p.message.clone()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("`regresion` is not one of")
                && m.contains("did you mean `regression`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("pipeline.seed") && m.contains("whole number")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("model.alpha") && m.contains("expected a number")),
            "{msgs:?}"
        );
    }

    #[test]
    fn missing_sections_and_keys() {
        let p = check_document(&doc("[pipeline]\nname='x'\n"));
        let msgs: Vec<_> = p.iter().map(|p| p.message.clone()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("missing key `task`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("missing section `[data]`")),
            "{msgs:?}"
        );
    }
}
