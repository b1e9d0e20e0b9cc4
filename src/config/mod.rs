//! The pipeline file: loading with line/column errors, `--set` overrides, grid expansion, and the
//! checked `Pipeline` that the rest of the program sees. Nothing downstream re-validates.
//!
//! raw text --toml--> document --(--set)--> document --grid--> candidate documents
//!   --schema check--> --serde--> RawPipeline --resolve (ranges, task rules)--> Pipeline

pub mod grid;
mod problems;
mod resolve;
pub mod sample;
pub mod schema;
pub mod source;
pub mod spec;

use crate::error::{did_you_mean, KilnError, Result};
use crate::metrics::Metric;
use crate::models::{ModelSpec, Task};
use problems::{base_model_problems, unused_keys, Locator};
use resolve::build_candidate;
use source::Source;
pub use spec::*;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use toml::Value;

/// A `[expect]` check: `cv.r2 = { min = 0.85 }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// "cv" (the best candidate's mean validation score) or "test" (the holdout score).
    pub scope: String,
    pub metric: Metric,
    pub bound: Bound,
}

impl Expectation {
    pub fn key(&self) -> String {
        format!("{}.{}", self.scope, self.metric.name())
    }

    pub fn holds(&self, value: f64) -> bool {
        self.bound.min.is_none_or(|m| value >= m) && self.bound.max.is_none_or(|m| value <= m)
    }
}

/// How the search runs: its strategy and what may cut it short (`[search]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSettings {
    pub strategy: Strategy,
    /// Random search: the candidates drawn.
    pub n_candidates: usize,
    /// At most this many fits: whole candidates, the first max_fits // folds in candidate order.
    pub max_fits: Option<usize>,
    /// No candidate starts after this many seconds of search.
    pub max_seconds: Option<f64>,
    /// The search ends at the first candidate (in candidate order) that meets every check.
    pub stop_when: Vec<Expectation>,
    /// strategy = "halving": its rungs' settings.
    pub halving: Option<HalvingSettings>,
    /// How a binary classifier's probability becomes a class; None: the more probable class.
    pub threshold: Option<Threshold>,
}

/// `search.threshold`, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// Per candidate, the threshold that maximises the search metric over its folds' validation
    /// rows (scikit-learn's TunedThresholdClassifierCV on the search's folds).
    Tune,
    /// A row is positive when its probability of the positive class is at least this
    /// (scikit-learn's FixedThresholdClassifier).
    Fixed(f64),
}

impl Threshold {
    /// The threshold every fit is scored at before any tuning: the fixed one, or none.
    pub fn fixed(setting: Option<Threshold>) -> Option<f64> {
        match setting {
            Some(Threshold::Fixed(t)) => Some(t),
            _ => None,
        }
    }
}

/// What a successive-halving search grows from rung to rung.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The rows each fold trains and validates on (scikit-learn's "n_samples").
    Rows,
    /// A whole-number model parameter (its name under `[model]`), as n_estimators or max_iter.
    Param(String),
}

impl Resource {
    pub fn text(&self) -> String {
        match self {
            Resource::Rows => "rows".into(),
            Resource::Param(name) => format!("model.{name}"),
        }
    }
}

/// `[search]` strategy = "halving", checked (scikit-learn's names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct HalvingSettings {
    pub factor: f64,
    pub min_resources: MinResources,
    pub max_resources: MaxResources,
    pub resource: Resource,
    pub aggressive_elimination: bool,
}

/// A checked pipeline: every value valid, every default resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub name: String,
    pub task: Task,
    pub seed: u64,
    pub data: DataSpec,
    /// `data.path` resolved against the pipeline file's folder.
    pub data_path: PathBuf,
    pub impute: ImputeSpec,
    pub encode: EncodeSpec,
    pub scale: ScaleSpec,
    pub model: ModelSpec,
    pub cv: CvSpec,
    /// The metric that picks the best candidate.
    pub metric: Metric,
    /// Every metric computed: `metric` first, then `search.metrics` in order, without repeats.
    pub metrics: Vec<Metric>,
    pub on_error: OnError,
    pub search: SearchSettings,
    pub output_dir: PathBuf,
    pub explain: ExplainSpec,
    pub expect: Vec<Expectation>,
}

impl Pipeline {
    /// A key that is equal for two candidates exactly when their preprocessing is the same, so the
    /// fitted preprocessing and design matrices of a fold can be shared between them.
    pub fn preprocessing_key(&self) -> String {
        serde_json::to_string(&(&self.impute, &self.encode, &self.scale)).unwrap_or_default()
    }
}

/// One grid candidate: its index, the grid values that define it, and the whole checked pipeline.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub index: usize,
    /// Flat dotted keys, in grid order.
    pub params: Vec<(String, Value)>,
    pub pipeline: Pipeline,
    /// The sub-grid and values it was made from (see [`LoadedPipeline::with_param`]).
    draw: sample::Draw,
}

/// A loaded pipeline file: the document as run (overrides applied) and its candidates.
#[derive(Debug, Clone)]
pub struct LoadedPipeline {
    pub source: Source,
    /// The pipeline as run: the file with `--set` overrides applied (grid included).
    pub document: toml::Table,
    pub candidates: Vec<Candidate>,
    subgrids: Vec<grid::SubGrid>,
}

impl LoadedPipeline {
    /// The pipeline every candidate shares apart from its grid values (the first candidate's).
    pub fn base(&self) -> &Pipeline {
        &self.candidates[0].pipeline
    }

    /// The candidate with one more key set (a halving rung's resource, as model.n_estimators = 27),
    /// checked as a grid value is; its params end with that key.
    pub fn with_param(&self, cand: &Candidate, path: &[String], value: Value) -> Result<Candidate> {
        let (sub_index, combo) = &cand.draw;
        let mut sub = self.subgrids[*sub_index].clone();
        let mut combo = combo.clone();
        combo.push((sub.len(), value.clone()));
        sub.push(grid::GridAxis {
            path: path.to_vec(),
            values: vec![value.clone()],
            dist: None,
            source_path: ["search".to_string(), "resource".to_string()].to_vec(),
        });
        let pipeline =
            build_candidate(&self.document, &sub, &combo, &self.source.path).map_err(|ps| {
                let text: Vec<String> = ps.iter().map(|p| p.message.clone()).collect();
                KilnError::Config(format!(
                    "{}: `{}` = {value}: {}",
                    self.source.path.display(),
                    path.join("."),
                    text.join("; ")
                ))
            })?;
        let mut params = cand.params.clone();
        params.push((path.join("."), value));
        Ok(Candidate {
            index: cand.index,
            params,
            pipeline,
            draw: (*sub_index, combo),
        })
    }

    /// The document as run, as TOML text (written to the run directory as pipeline.toml).
    pub fn document_text(&self) -> String {
        toml::to_string_pretty(&self.document).unwrap_or_else(|_| self.source.text.clone())
    }
}

/// One `--set KEY=VALUE`, parsed.
#[derive(Debug, Clone)]
pub struct Override {
    pub raw: String,
    pub path: Vec<String>,
    pub value: Value,
}

impl Override {
    /// Parses `KEY=VALUE`; VALUE is read as a TOML value, or as a plain string when it is not one
    /// (so `--set model.type=lasso` works unquoted).
    pub fn parse(raw: &str) -> Result<Override> {
        let (key, value) = raw.split_once('=').ok_or_else(|| {
            KilnError::Config(format!(
                "--set {raw}: expected KEY=VALUE, as --set model.alpha=0.5"
            ))
        })?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(|s| s.trim().is_empty()) {
            return Err(KilnError::Config(format!(
                "--set {raw}: `{key}` is not a dotted key, as model.alpha"
            )));
        }
        let value = value.trim();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(value.to_string()));
        Ok(Override {
            raw: raw.to_string(),
            path: key.split('.').map(|s| s.trim().to_string()).collect(),
            value: parsed,
        })
    }
}

/// The sections every candidate shares: the grid cannot vary them.
const SHARED_SECTIONS: &[&str] = &[
    "pipeline", "data", "cv", "search", "output", "explain", "expect",
];

/// The most candidates one pipeline's grid may expand to.
pub const MAX_CANDIDATES: usize = 100_000;

/// Reads, checks and expands a pipeline file. Every problem is reported at once, each with its
/// file, line and key.
pub fn load(path: &Path, overrides: &[Override]) -> Result<LoadedPipeline> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        KilnError::Config(format!("cannot read pipeline file {}: {e}", path.display()))
    })?;
    load_str(path, text, overrides)
}

pub fn load_str(path: &Path, text: String, overrides: &[Override]) -> Result<LoadedPipeline> {
    let source = Source::new(path, text).with_overrides(overrides);
    let mut document: toml::Table = toml::from_str(&source.text).map_err(|e| {
        KilnError::Config(format!("{}: {}", path.display(), e.to_string().trim_end()))
    })?;
    for o in overrides {
        grid::set_path(&mut document, &o.path, o.value.clone())
            .map_err(|e| KilnError::Config(format!("--set {}: {e}", o.raw)))?;
    }
    let base_type = document.get("model").and_then(|m| m.get("type")).cloned();
    let located = Locator {
        source: &source,
        base_type: base_type.as_ref(),
    };
    let subgrids = grid::parse(document.get("grid"))
        .map_err(|(at, m)| KilnError::Config(source.error_at(&at, &m)))?;
    let draws = draws(&document, &subgrids, &source)?;
    let mut problems: Vec<String> = Vec::new();
    // Keys outside the grid first: a misspelt model type is the cause of what the grid then finds.
    let base_problems = base_model_problems(&document);
    problems.extend(
        base_problems
            .iter()
            .map(|p| source.error_at(&p.path, &p.message)),
    );
    let checked: Vec<&[String]> = base_problems.iter().map(|p| p.path.as_slice()).collect();
    problems.extend(unused_keys(&document, &subgrids, &source, &checked));
    // The data, its folds and the run's settings are shared by every candidate: a grid cannot vary them.
    for axis in subgrids.iter().flatten() {
        let first = axis.path[0].as_str();
        let data_policy = axis.path[0] == "impute"
            && (axis
                .path
                .get(1)
                .is_some_and(|k| k == "numeric" || k == "categorical"))
            && axis
                .values
                .iter()
                .any(|v| matches!(v.as_str(), Some("drop") | Some("error")));
        if SHARED_SECTIONS.contains(&first) || data_policy {
            let why = if data_policy {
                "impute \"drop\" and \"error\" act when the data is read, once per run"
            } else {
                "the data, folds and search settings are shared by every candidate"
            };
            problems.push(source.error_at(
                &axis.source_path,
                &format!(
                    "in the grid: `{}` cannot vary across candidates: {why}",
                    axis.path.join(".")
                ),
            ));
        }
    }
    // As scikit-learn: a halving search's resource parameter is set by the rungs, not the grid.
    let resource = document
        .get("search")
        .and_then(|s| s.get("resource"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("model."));
    for axis in subgrids.iter().flatten() {
        if resource.is_some_and(|r| axis.path == ["model", r]) {
            problems.push(source.error_at(
                &axis.source_path,
                &format!(
                    "in the grid: `{}` is the halving search's resource (search.resource), which \
                     each rung sets; remove it from the grid",
                    axis.path.join(".")
                ),
            ));
        }
    }
    let mut candidates = Vec::new();
    // A problem shared by many candidates (a misspelt model type under a large grid) is rendered
    // once: rendering locates it in the source, which for every candidate took seconds (found by
    // fuzz_pipeline). Its message depends only on the sub-grid and the problem.
    let mut seen: HashSet<(usize, Vec<String>, String)> = HashSet::new();
    // The run fails once a candidate does; after this many failing candidates in a row that add
    // no new problem, the rest of the grid would only repeat them (and finding each problem's
    // nearest valid name costs time per candidate).
    const REPEATS_BEFORE_STOP: usize = 1000;
    let mut repeats = 0;
    for (sub_index, combo) in draws {
        let sub = &subgrids[sub_index];
        {
            let index = candidates.len();
            match build_candidate(&document, sub, &combo, path) {
                Ok(pipeline) => candidates.push(Candidate {
                    index,
                    params: combo
                        .iter()
                        .map(|(a, v)| (sub[*a].path.join("."), v.clone()))
                        .collect(),
                    pipeline,
                    draw: (sub_index, combo),
                }),
                Err(ps) => {
                    let mut new = false;
                    for p in ps {
                        if !seen.insert((sub_index, p.path.clone(), p.message.clone())) {
                            continue;
                        }
                        new = true;
                        let msg = located.render(&p, sub, &combo);
                        if !problems.contains(&msg) {
                            problems.push(msg);
                        }
                    }
                    repeats = if new { 0 } else { repeats + 1 };
                    if repeats >= REPEATS_BEFORE_STOP {
                        break;
                    }
                }
            }
        }
    }
    if !problems.is_empty() {
        const SHOWN: usize = 20;
        let more = problems.len().saturating_sub(SHOWN);
        let mut text = problems
            .into_iter()
            .take(SHOWN)
            .collect::<Vec<_>>()
            .join("\n");
        if more > 0 {
            text.push_str(&format!("\n... and {more} more problems"));
        }
        return Err(KilnError::Config(text));
    }
    Ok(LoadedPipeline {
        source,
        document,
        candidates,
        subgrids,
    })
}

/// The candidates' grid values, by strategy: every combination of the grid, in grid order, or
/// `search.n_candidates` drawn from the pipeline seed. Values the schema check refuses later
/// (a strategy that does not exist, a negative count) fall back to the defaults here.
fn draws(
    document: &toml::Table,
    subgrids: &[grid::SubGrid],
    source: &Source,
) -> Result<Vec<sample::Draw>> {
    let search = document.get("search");
    let strategy = search
        .and_then(|s| s.get("strategy"))
        .and_then(Value::as_str)
        .and_then(Strategy::from_name)
        .unwrap_or(Strategy::Grid);
    let too_many = |what: String| {
        KilnError::Config(source.error_at(
            &["grid".to_string()],
            &format!(
                "the grid has {what} candidates, more than kiln runs from one pipeline ({MAX_CANDIDATES}); \
                 use fewer values, or split it into several pipelines"
            ),
        ))
    };
    // A halving search over drawn candidates is HalvingRandomSearchCV; without n_candidates it
    // halves the whole grid (HalvingGridSearchCV).
    let drawn = match strategy {
        Strategy::Grid => false,
        Strategy::Random => true,
        Strategy::Halving => search.and_then(|s| s.get("n_candidates")).is_some(),
    };
    match drawn {
        false => {
            let drawn: Vec<String> = subgrids
                .iter()
                .flatten()
                .filter_map(|axis| {
                    let d = axis.dist?;
                    Some(source.error_at(
                        &axis.source_path,
                        &format!(
                            "in the grid: `{}` is a distribution ({}), which only a random search \
                             (or a halving one with search.n_candidates) draws from: set \
                             `[search] strategy = \"random\"`, or give a list",
                            axis.path.join("."),
                            d.text()
                        ),
                    ))
                })
                .collect();
            if !drawn.is_empty() {
                return Err(KilnError::Config(drawn.join("\n")));
            }
            // Counted before anything is expanded: a grid of a few long lists can be astronomically large.
            let total = subgrids.iter().try_fold(0usize, |sum, sub| {
                sub.iter()
                    .try_fold(1usize, |n, axis| n.checked_mul(axis.values.len()))
                    .and_then(|n| sum.checked_add(n))
            });
            match total {
                Some(n) if n <= MAX_CANDIDATES => {}
                other => {
                    return Err(too_many(
                        other.map_or("too many".to_string(), |n| n.to_string()),
                    ))
                }
            }
            Ok(subgrids
                .iter()
                .enumerate()
                .flat_map(|(s, sub)| grid::combinations(sub).into_iter().map(move |c| (s, c)))
                .collect())
        }
        true => {
            let n = search
                .and_then(|s| s.get("n_candidates"))
                .and_then(Value::as_integer)
                .filter(|n| *n >= 1)
                .map_or(DEFAULT_N_CANDIDATES, |n| n as usize);
            if n > MAX_CANDIDATES {
                return Err(KilnError::Config(source.error_at(
                    &["search".to_string(), "n_candidates".to_string()],
                    &format!(
                        "`search.n_candidates` = {n} is more than kiln runs from one pipeline ({MAX_CANDIDATES})"
                    ),
                )));
            }
            let seed = document
                .get("pipeline")
                .and_then(|p| p.get("seed"))
                .and_then(Value::as_integer)
                .map_or(0, |s| s as u64);
            Ok(sample::draw_candidates(subgrids, n, seed))
        }
    }
}

/// Every dotted key a document sets, for checking that serde defaults and the schema agree.
pub fn dotted_keys(doc: &toml::Table) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (section, v) in doc {
        if let Some(t) = v.as_table() {
            for k in t.keys() {
                out.insert(format!("{section}.{k}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[pipeline]
task = "regression"

[data]
path = "x.csv"
target = "y"

[model]
type = "ridge"
alpha = 1.0
"#;

    fn load_text(text: &str, sets: &[&str]) -> Result<LoadedPipeline> {
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        load_str(Path::new("p.toml"), text.to_string(), &overrides)
    }

    fn err(text: &str, sets: &[&str]) -> String {
        load_text(text, sets).unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_pipeline_gets_every_default() {
        let p = load_text(BASE, &[]).unwrap();
        assert_eq!(p.candidates.len(), 1);
        let b = p.base();
        assert_eq!(b.name, "p");
        assert_eq!(b.metric, Metric::R2);
        assert_eq!(b.cv.folds, 5);
        assert_eq!(b.scale.method, ScaleMethod::Standard);
        assert_eq!(b.data.null_values, vec!["".to_string(), "NA".into()]);
    }

    #[test]
    fn errors_name_file_line_column_and_the_nearest_key() {
        let e = err(&BASE.replace("alpha = 1.0", "alpah = 1.0"), &[]);
        assert!(
            e.starts_with(
                "p.toml:11:1: unknown parameter `alpah` for model `ridge`; did you mean `alpha`?"
            ),
            "{e}"
        );
        assert!(e.contains("11 | alpah = 1.0") && e.contains("^^^^^"), "{e}");
        let e = err(&BASE.replace("alpha = 1.0", "alpha = -1.0"), &[]);
        assert!(
            e.contains("p.toml:11:1: `model.alpha` must be >= 0, got -1"),
            "{e}"
        );
        let e = err(&format!("{BASE}\n[cv]\nfolds = 1\n"), &[]);
        assert!(e.contains(":14:1: `cv.folds` must be >= 2"), "{e}");
        let e = err(&format!("{BASE}\n[search]\nmetric = \"accuracy\"\n"), &[]);
        assert!(
            e.contains("metric `accuracy`") || e.contains("unknown metric `accuracy`"),
            "{e}"
        );
        let e = err(&format!("{BASE}\n[search]\nmetric = \"r3\"\n"), &[]);
        assert!(e.contains("unknown metric `r3`; did you mean `r2`?"), "{e}");
        let e = err(&BASE.replace("[data]", "[data]\ntest_size = 1.5"), &[]);
        assert!(e.contains("`data.test_size` must be in (0, 1)"), "{e}");
        let e = err("[pipeline\n", &[]);
        assert!(e.starts_with("p.toml: TOML parse error at line 1"), "{e}");
    }

    #[test]
    fn overrides_apply_before_validation_and_are_named_in_errors() {
        let p = load_text(BASE, &["model.alpha=0.5", "pipeline.name=other"]).unwrap();
        assert_eq!(
            p.base().model,
            ModelSpec::Ridge(crate::models::linear::RidgeParams {
                alpha: 0.5,
                fit_intercept: true
            })
        );
        assert_eq!(p.base().name, "other");
        let e = err(BASE, &["model.alpah=0.5"]);
        assert!(
            e.starts_with("--set model.alpah=0.5: unknown parameter `alpah`"),
            "{e}"
        );
        assert!(Override::parse("model.alpha").is_err());
    }

    #[test]
    fn grid_candidates_are_whole_pipelines_and_bad_grid_keys_point_at_the_grid() {
        // `[model]` keeps no alpha of its own: the grid sets it for every candidate.
        let base = BASE.replace("alpha = 1.0", "fit_intercept = true");
        let text = format!(
            "{base}\n[grid]\nmodel.alpha = [0.1, 1.0]\nscale.method = [\"standard\", \"minmax\"]\n"
        );
        let p = load_text(&text, &[]).unwrap();
        assert_eq!(p.candidates.len(), 4);
        assert_eq!(p.candidates[1].params[1].1, Value::String("minmax".into()));
        assert_eq!(p.candidates[1].pipeline.scale.method, ScaleMethod::Minmax);
        let e = err(&format!("{base}\n[grid]\nmodel.alpah = [0.1]\n"), &[]);
        assert!(e.contains("p.toml:14:7: in the grid: `model.alpah`: model `ridge` has no parameter `alpah`; did you mean `alpha`?"), "{e}");
        let e = err(&format!("{base}\n[grid]\nmodel.alpha = [0.1, -2]\n"), &[]);
        assert!(
            e.contains(":14:7: in the grid: `model.alpha` must be >= 0"),
            "{e}"
        );
    }

    #[test]
    fn sub_grid_with_a_model_type_starts_from_its_defaults() {
        let text = format!(
            "{BASE}\n[[grid]]\nmodel.type = \"linear_regression\"\nmodel.solver = [\"normal\", \"gd\"]\n[[grid]]\nmodel.fit_intercept = [false]\n"
        );
        let p = load_text(&text, &[]).unwrap();
        assert_eq!(p.candidates.len(), 3);
        assert_eq!(p.candidates[0].pipeline.model.name(), "linear_regression");
        assert_eq!(
            p.candidates[2].pipeline.model,
            ModelSpec::Ridge(crate::models::linear::RidgeParams {
                alpha: 1.0,
                fit_intercept: false
            })
        );
    }

    fn ridge_alpha(c: &Candidate) -> f64 {
        match &c.pipeline.model {
            ModelSpec::Ridge(r) => r.alpha,
            other => panic!("not ridge: {other:?}"),
        }
    }

    #[test]
    fn model_values_carry_into_sub_grids_of_the_same_type() {
        // issue 14, item 1: `[model]` alpha = 1.0 reaches the ridge sub-grid, not the lasso one.
        let text = format!(
            "{BASE}\n[[grid]]\nmodel.type = \"ridge\"\nmodel.fit_intercept = [true, false]\n[[grid]]\nmodel.type = \"lasso\"\n"
        );
        let text = text.replace("alpha = 1.0", "alpha = 4.0");
        let p = load_text(&text, &[]).unwrap();
        assert_eq!(p.candidates.len(), 3);
        assert_eq!(ridge_alpha(&p.candidates[0]), 4.0);
        assert_eq!(ridge_alpha(&p.candidates[1]), 4.0);
        match &p.candidates[2].pipeline.model {
            ModelSpec::Lasso(l) => assert_eq!(l.alpha, 1.0, "lasso starts from its defaults"),
            other => panic!("{other:?}"),
        }
        // And a --set value carries the same way.
        let p = load_text(&text, &["model.alpha=7"]).unwrap();
        assert_eq!(ridge_alpha(&p.candidates[1]), 7.0);
    }

    #[test]
    fn a_key_the_grid_overrides_for_every_candidate_is_an_error() {
        let grid = "\n[grid]\nmodel.alpha = [0.1, 1.0]\n";
        let e = err(&format!("{BASE}{grid}"), &[]);
        assert!(
            e.starts_with("p.toml:11:1: `model.alpha` has no effect: the grid overrides it for every candidate (line 14 sets `model.alpha`)"),
            "{e}"
        );
        let e = err(&BASE.replace("alpha = 1.0\n", grid), &["model.alpha=3"]);
        assert!(
            e.starts_with("--set model.alpha=3: `model.alpha` has no effect"),
            "{e}"
        );
        // The grid's own key can be set instead, in a [grid] table or in one [[grid]] sub-grid.
        let p = load_text(
            &BASE.replace("alpha = 1.0\n", grid),
            &["grid.model.alpha=[3]"],
        )
        .unwrap();
        assert_eq!(p.candidates.len(), 1);
        assert_eq!(ridge_alpha(&p.candidates[0]), 3.0);
        let subs = "\n[[grid]]\nmodel.alpha = [0.1]\n[[grid]]\nmodel.alpha = [0.2, 0.3]\n";
        let p = load_text(
            &BASE.replace("alpha = 1.0\n", subs),
            &["grid.1.model.alpha=[5]"],
        )
        .unwrap();
        let alphas: Vec<f64> = p.candidates.iter().map(ridge_alpha).collect();
        assert_eq!(alphas, [0.1, 5.0]);
        // A key that only some sub-grids override is used by the others: no error.
        let some = "\n[[grid]]\nmodel.alpha = [0.1]\n[[grid]]\nmodel.fit_intercept = [false]\n";
        let p = load_text(&format!("{BASE}{some}"), &[]).unwrap();
        let alphas: Vec<f64> = p.candidates.iter().map(ridge_alpha).collect();
        assert_eq!(alphas, [0.1, 1.0]);
    }

    #[test]
    fn model_keys_no_candidate_sees_are_still_checked() {
        // Every sub-grid sets model.type, so no candidate reads `[model]` as written.
        let subs = "\n[[grid]]\nmodel.type = \"lasso\"\n[[grid]]\nmodel.type = \"knn\"\n";
        let text = format!("{BASE}{subs}");
        let e = err(&text.replace("alpha = 1.0", "alpah = 1.0"), &[]);
        assert!(
            e.starts_with("p.toml:11:1: unknown parameter `alpah` for model `ridge`"),
            "{e}"
        );
        let e = err(&text, &["model.alpha=abc"]);
        assert!(
            e.starts_with(
                "--set model.alpha=abc: `model.alpha`: expected a number, found the string \"abc\""
            ),
            "{e}"
        );
        let e = err(&text, &[]);
        assert!(e.contains("`model.alpha` has no effect") && e.contains("line 14 sets `model.type = \"lasso\"`, which starts from that model's defaults; line 16 sets `model.type = \"knn\"`"), "{e}");
        assert!(
            e.contains("[model] values carry only into sub-grids of model.type \"ridge\""),
            "{e}"
        );
        // The file's own [model] type is exempt; the same key from --set is not.
        let text = format!("{}{subs}", BASE.replace("alpha = 1.0\n", ""));
        assert_eq!(load_text(&text, &[]).unwrap().candidates.len(), 2);
        let e = err(&text, &["model.type=elastic_net"]);
        assert!(
            e.starts_with("--set model.type=elastic_net: `model.type` has no effect"),
            "{e}"
        );
    }

    #[test]
    fn a_misspelt_model_type_is_the_only_problem_named() {
        let text = format!("{BASE}\n[grid]\nmodel.alpha = [0.1, 1.0]\n")
            .replace("alpha = 1.0\n", "")
            .replace("\"ridge\"", "\"ridgee\"");
        let e = err(&text, &[]);
        assert!(
            e.starts_with("p.toml:10:1: unknown model type `ridgee`; did you mean `ridge`?"),
            "{e}"
        );
        assert!(!e.contains("set model.type first"), "{e}");
        assert_eq!(e.matches("unknown model type").count(), 1, "{e}");
    }

    #[test]
    fn a_bad_value_from_set_is_named_at_the_set() {
        let e = err(&format!("{BASE}\n[cv]\nfolds = 5\n"), &["cv.folds=-3"]);
        assert!(
            e.starts_with("--set cv.folds=-3: `cv.folds` must be >= 2, got -3"),
            "{e}"
        );
        let e = err(&format!("{BASE}\n[cv]\nfolds = -3\n"), &[]);
        assert!(
            e.contains("p.toml:14:1: `cv.folds` must be >= 2, got -3"),
            "{e}"
        );
    }

    #[test]
    fn serde_defaults_and_the_schema_agree() {
        // Every key the typed sections write out must be a key the schema accepts.
        let p = load_text(BASE, &[]).unwrap();
        let b = p.base();
        let sections = toml::Table::try_from(serde_json::json!({
            "impute": b.impute, "encode": b.encode, "scale": b.scale, "cv": b.cv, "data": b.data,
        }))
        .unwrap();
        for key in dotted_keys(&sections) {
            let parts: Vec<String> = key.split('.').map(String::from).collect();
            assert!(
                schema::kind_of_path(&parts, Some("ridge")).is_ok(),
                "{key} is not in the schema"
            );
        }
    }
}
