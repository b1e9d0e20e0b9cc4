//! From one candidate's document to the checked `Pipeline`: serde into `RawPipeline`, then the
//! ranges, the task's rules and the metric, every problem with its key path.

use super::schema::{self, Problem};
use super::*;

pub(super) fn build_candidate(
    document: &toml::Table,
    sub: &grid::SubGrid,
    combo: &[(usize, Value)],
    path: &Path,
) -> std::result::Result<Pipeline, Vec<Problem>> {
    let mut doc = document.clone();
    doc.remove("grid");
    // A sub-grid of another model type starts that model from its defaults; one of `[model]`'s own
    // type keeps its values.
    let base_type = doc.get("model").and_then(|m| m.get("type")).cloned();
    if let Some((_, t)) = combo
        .iter()
        .find(|(a, v)| sub[*a].path == ["model", "type"] && Some(v) != base_type.as_ref())
    {
        let mut model = toml::Table::new();
        model.insert("type".into(), t.clone());
        doc.insert("model".into(), Value::Table(model));
    }
    let type_value = doc.get("model").and_then(|m| m.get("type"));
    let model_type = type_value.and_then(|t| t.as_str()).map(str::to_string);
    // A type that is given but unknown is reported by the schema check; the model's grid keys
    // cannot be checked against it, and saying so would only bury the cause.
    let unknown_type = type_value.is_some()
        && model_type
            .as_deref()
            .and_then(crate::models::model_info)
            .is_none();
    let mut problems = Vec::new();
    for (a, v) in combo {
        let axis = &sub[*a];
        let unchecked = unknown_type && axis.path.first().is_some_and(|s| s == "model");
        let checked = if unchecked {
            Ok(())
        } else {
            schema::kind_of_path(&axis.path, model_type.as_deref()).map(|_| ())
        };
        if let Err(message) = checked.and_then(|()| grid::set_path(&mut doc, &axis.path, v.clone()))
        {
            problems.push(Problem {
                path: axis.path.clone(),
                message,
            });
        }
    }
    problems.extend(schema::check_document(&doc));
    problems.extend(cv_method_problems(&doc));
    if !problems.is_empty() {
        return Err(problems);
    }
    let raw: RawPipeline = Value::Table(doc).try_into().map_err(|e: toml::de::Error| {
        vec![Problem::new(
            &[],
            format!("invalid pipeline: {}", e.message()),
        )]
    })?;
    resolve(raw, path)
}

/// The keys of one fold method written with the other: time-series folds are contiguous windows
/// in time order, which shuffling, stratifying, groups or predefined folds would break; and the
/// window keys mean nothing to k-fold. Read from the document, since the defaults of `shuffle` and
/// `stratify` (true) must not count as written.
fn cv_method_problems(doc: &toml::Table) -> Vec<Problem> {
    let Some(cv) = doc.get("cv").and_then(Value::as_table) else {
        return Vec::new();
    };
    let time_series = cv.get("method").and_then(Value::as_str) == Some("time_series");
    let mut problems = Vec::new();
    if time_series {
        for (key, why) in [
            ("fold_column", "predefined folds"),
            ("group_column", "group folds"),
        ] {
            if cv.contains_key(key) {
                problems.push(Problem::new(
                    &["cv", key],
                    format!(
                        "`cv.{key}` gives {why}, but `cv.method = \"time_series\"` makes its own \
                         from the rows in time order: remove one of them"
                    ),
                ));
            }
        }
        for key in ["shuffle", "stratify"] {
            if cv.get(key).and_then(Value::as_bool) == Some(true) {
                problems.push(Problem::new(
                    &["cv", key],
                    format!(
                        "`cv.{key} = true` cannot go with `cv.method = \"time_series\"`: its folds \
                         keep the rows in time order (scikit-learn's TimeSeriesSplit); remove `cv.{key}`"
                    ),
                ));
            }
        }
    } else {
        for key in ["order_by", "gap", "max_train_size"] {
            if cv.contains_key(key) {
                problems.push(Problem::new(
                    &["cv", key],
                    format!(
                        "`cv.{key}` is for time-series folds: set `cv.method = \"time_series\"`, \
                         or remove it"
                    ),
                ));
            }
        }
    }
    problems
}

fn metric_for(task: Task, name: &str, at: &[&str]) -> std::result::Result<Metric, Problem> {
    match Metric::from_name(name) {
        Some(m) if m.task() == task => Ok(m),
        Some(m) => Err(Problem::new(
            at,
            format!(
                "metric `{name}` is for {}, but this pipeline's task is {}; metrics for {}: {}",
                m.task().name(),
                task.name(),
                task.name(),
                Metric::names_for(task).join(", ")
            ),
        )),
        None => Err(Problem::new(
            at,
            format!(
                "unknown metric `{name}`{}; metrics for {}: {}",
                did_you_mean(name, Metric::names_for(task)),
                task.name(),
                Metric::names_for(task).join(", ")
            ),
        )),
    }
}

/// Task rules and value ranges; the last step before a `Pipeline` exists.
fn resolve(raw: RawPipeline, file: &Path) -> std::result::Result<Pipeline, Vec<Problem>> {
    let mut problems = Vec::new();
    let task = raw.pipeline.task;
    let info = raw.model.info();
    if !info.tasks.contains(&task) {
        let for_task: Vec<&str> = crate::models::MODELS
            .iter()
            .filter(|m| m.tasks.contains(&task))
            .map(|m| m.name)
            .collect();
        problems.push(Problem::new(
            &["model", "type"],
            format!(
                "model `{}` does not do {}; models for {}: {}",
                info.name,
                task.name(),
                task.name(),
                for_task.join(", ")
            ),
        ));
    }
    if raw.impute.numeric == crate::config::NumericImpute::None && !raw.model.handles_missing() {
        problems.push(Problem::new(
            &["impute", "numeric"],
            format!(
                "`impute.numeric = \"none\"` keeps missing values, which model `{}` cannot fit; \
                 use it with hist_gradient_boosting, or fill them (mean, median, constant)",
                info.name
            ),
        ));
    }
    if let Err(e) = raw.model.check(task) {
        problems.push(Problem::new(
            &["model", e.key],
            format!("`model.{}` {}", e.key, e.message),
        ));
    }
    match (task, &raw.data.target) {
        (Task::Clustering, Some(_)) => problems.push(Problem::new(
            &["data", "target"],
            "a clustering pipeline has no target: remove `data.target` (or list it in `data.drop`)",
        )),
        (Task::Regression | Task::Classification, None) => problems.push(Problem::new(
            &["data"],
            format!(
                "missing key `target` in [data]: a {} pipeline needs the column to predict",
                task.name()
            ),
        )),
        _ => {}
    }
    if let (Some(target), Some(features)) = (&raw.data.target, &raw.data.features) {
        if features.contains(target) {
            problems.push(Problem::new(
                &["data", "features"],
                format!("the target `{target}` is listed among the features: remove it from `data.features`"),
            ));
        }
    }
    if let Some(t) = raw.data.test_size {
        if !(t > 0.0 && t < 1.0) {
            problems.push(Problem::new(
                &["data", "test_size"],
                format!("`data.test_size` must be in (0, 1), got {t}"),
            ));
        }
    }
    if let Some(sep) = &raw.data.separator {
        if sep.len() != 1 {
            problems.push(Problem::new(
                &["data", "separator"],
                format!("`data.separator` must be one ASCII character, got \"{sep}\""),
            ));
        }
    }
    if raw.data.positive_class.is_some() && task != Task::Classification {
        problems.push(Problem::new(
            &["data", "positive_class"],
            "`data.positive_class` applies to classification only",
        ));
    }
    if raw.cv.fold_column.is_none() && raw.cv.folds < 2 {
        problems.push(Problem::new(
            &["cv", "folds"],
            format!("`cv.folds` must be >= 2, got {}", raw.cv.folds),
        ));
    }
    if let Some(m) = raw.encode.max_categories {
        if m < 2 {
            problems.push(Problem::new(
                &["encode", "max_categories"],
                format!("`encode.max_categories` must be >= 2, got {m}"),
            ));
        }
    }
    let metric = match &raw.search.metric {
        Some(name) => metric_for(task, name, &["search", "metric"])
            .map_err(|p| problems.push(p))
            .ok(),
        None => Metric::default_for(task),
    };
    let mut metrics: Vec<Metric> = metric.into_iter().collect();
    for (i, name) in raw.search.metrics.iter().enumerate() {
        match metric_for(task, name, &["search", "metrics", &i.to_string()]) {
            Ok(m) if !metrics.contains(&m) => metrics.push(m),
            Ok(_) => {}
            Err(p) => problems.push(p),
        }
    }
    // A clustering search always logs inertia: the report's elbow chart needs it.
    if task == Task::Clustering && !metrics.contains(&Metric::Inertia) {
        metrics.push(Metric::Inertia);
    }
    let expect = bounds(&raw.expect, "expect", task, &raw, &mut problems);
    let stop_when = bounds(
        &raw.search.stop_when,
        "search.stop_when",
        task,
        &raw,
        &mut problems,
    );
    for (key, value) in [
        ("n_candidates", raw.search.n_candidates),
        ("max_fits", raw.search.max_fits),
    ] {
        if value == Some(0) {
            problems.push(Problem::new(
                &["search", key],
                format!("`search.{key}` must be >= 1, got 0"),
            ));
        }
    }
    if let Some(s) = raw.search.max_seconds.filter(|s| *s <= 0.0) {
        problems.push(Problem::new(
            &["search", "max_seconds"],
            format!("`search.max_seconds` must be > 0, got {s}"),
        ));
    }
    if raw.search.n_candidates.is_some() && raw.search.strategy == Strategy::Grid {
        problems.push(Problem::new(
            &["search", "n_candidates"],
            "`search.n_candidates` is for random search (or halving over drawn candidates): set \
             `[search] strategy = \"random\"` or `\"halving\"`",
        ));
    }
    let halving = halving_settings(&raw, &mut problems);
    let threshold = threshold_setting(&raw, task, metric, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let metric = metric.expect("resolved above: a metric or a problem");
    let folder = file.parent().unwrap_or(Path::new(""));
    let name = raw.pipeline.name.clone().unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pipeline".into())
    });
    Ok(Pipeline {
        name,
        task,
        seed: raw.pipeline.seed,
        data_path: folder.join(&raw.data.path),
        data: raw.data,
        impute: raw.impute,
        encode: raw.encode,
        scale: raw.scale,
        model: raw.model,
        cv: raw.cv,
        metric,
        metrics,
        on_error: raw.search.on_error,
        search: SearchSettings {
            strategy: raw.search.strategy,
            n_candidates: raw.search.n_candidates.unwrap_or(DEFAULT_N_CANDIDATES),
            max_fits: raw.search.max_fits,
            max_seconds: raw.search.max_seconds,
            stop_when,
            halving,
            threshold,
        },
        output_dir: PathBuf::from(raw.output.dir),
        explain: raw.explain,
        expect,
    })
}

/// `search.threshold`, checked: for classification only (a binary target is checked once the
/// data is read); "tune" only with a search metric that scores labels.
fn threshold_setting(
    raw: &RawPipeline,
    task: Task,
    metric: Option<Metric>,
    problems: &mut Vec<Problem>,
) -> Option<Threshold> {
    let setting = match raw.search.threshold? {
        ThresholdSpec::Named(ThresholdName::Tune) => Threshold::Tune,
        ThresholdSpec::Value(t) => Threshold::Fixed(t),
    };
    let at = &["search", "threshold"];
    if task != Task::Classification {
        problems.push(Problem::new(
            at,
            format!(
                "`search.threshold` cuts a binary classifier's probabilities; this pipeline's \
                 task is {}",
                task.name()
            ),
        ));
        return None;
    }
    if let (Threshold::Tune, Some(m)) = (setting, metric) {
        if !m.scores_labels() {
            problems.push(Problem::new(
                at,
                format!(
                    "`search.threshold = \"tune\"` picks the threshold that maximises the search \
                     metric, but `{}` scores the probabilities and does not change with it: set \
                     `search.metric` to accuracy, balanced_accuracy, precision, recall or f1",
                    m.name()
                ),
            ));
        }
    }
    Some(setting)
}

/// The successive-halving keys, checked: None unless strategy = "halving", where each key given
/// to another strategy is a problem.
fn halving_settings(raw: &RawPipeline, problems: &mut Vec<Problem>) -> Option<HalvingSettings> {
    let s = &raw.search;
    if s.strategy != Strategy::Halving {
        let given = [
            ("factor", s.factor.is_some()),
            ("min_resources", s.min_resources.is_some()),
            ("max_resources", s.max_resources.is_some()),
            ("resource", s.resource.is_some()),
            ("aggressive_elimination", s.aggressive_elimination.is_some()),
        ];
        for (key, _) in given.iter().filter(|(_, g)| *g) {
            problems.push(Problem::new(
                &["search", key],
                format!(
                    "`search.{key}` is for successive halving: set `[search] strategy = \"halving\"`"
                ),
            ));
        }
        return None;
    }
    let factor = s.factor.unwrap_or(DEFAULT_FACTOR);
    if factor <= 1.0 {
        problems.push(Problem::new(
            &["search", "factor"],
            format!("`search.factor` must be > 1 (each rung keeps 1/factor of its candidates), got {factor}"),
        ));
    }
    let resource = match s.resource.as_deref() {
        None | Some("rows") => Resource::Rows,
        Some(other) => match other.strip_prefix("model.") {
            Some(name) => {
                let model_type = Some(raw.model.name());
                let path = ["model".to_string(), name.to_string()];
                match schema::kind_of_path(&path, model_type) {
                    Ok(schema::Kind::Param(crate::models::params::ParamKind::Int)) => {
                        Resource::Param(name.to_string())
                    }
                    Ok(_) => {
                        problems.push(Problem::new(
                            &["search", "resource"],
                            format!(
                                "`search.resource` = \"{other}\": the resource must be a whole-number \
                                 parameter of the model (as model.n_estimators or model.max_iter)"
                            ),
                        ));
                        Resource::Rows
                    }
                    Err(e) => {
                        problems.push(Problem::new(
                            &["search", "resource"],
                            format!("`search.resource` = \"{other}\": {e}"),
                        ));
                        Resource::Rows
                    }
                }
            }
            None => {
                problems.push(Problem::new(
                    &["search", "resource"],
                    format!(
                        "`search.resource` = \"{other}\": give \"rows\" or a model parameter, as \
                         \"model.n_estimators\""
                    ),
                ));
                Resource::Rows
            }
        },
    };
    let min_resources = s
        .min_resources
        .unwrap_or(MinResources::Named(MinResourcesName::Exhaust));
    let max_resources = s
        .max_resources
        .unwrap_or(MaxResources::Named(MaxResourcesName::Auto));
    for (key, count) in [
        (
            "min_resources",
            matches!(min_resources, MinResources::Count(0)),
        ),
        (
            "max_resources",
            matches!(max_resources, MaxResources::Count(0)),
        ),
    ] {
        if count {
            problems.push(Problem::new(
                &["search", key],
                format!("`search.{key}` must be >= 1, got 0"),
            ));
        }
    }
    if let (Resource::Param(name), MaxResources::Named(_)) = (&resource, max_resources) {
        problems.push(Problem::new(
            &["search", "max_resources"],
            format!(
                "resource = \"model.{name}\" needs `search.max_resources` (a whole number): \"auto\" \
                 means every row, for resource = \"rows\""
            ),
        ));
    }
    if let (MinResources::Count(a), MaxResources::Count(b)) = (min_resources, max_resources) {
        if a > b {
            problems.push(Problem::new(
                &["search", "min_resources"],
                format!(
                    "`search.min_resources` = {a} is greater than `search.max_resources` = {b}"
                ),
            ));
        }
    }
    Some(HalvingSettings {
        factor,
        min_resources,
        max_resources,
        resource,
        aggressive_elimination: s.aggressive_elimination.unwrap_or(false),
    })
}

/// `scope.<metric> = { min, max }` checks under `root` ([expect] or search.stop_when), their
/// metrics resolved for the task.
fn bounds(
    table: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, Bound>>,
    root: &str,
    task: Task,
    raw: &RawPipeline,
    problems: &mut Vec<Problem>,
) -> Vec<Expectation> {
    let mut out = Vec::new();
    for (scope, checks) in table {
        for (name, bound) in checks {
            let at: Vec<&str> = root
                .split('.')
                .chain([scope.as_str(), name.as_str()])
                .collect();
            match metric_for(task, name, &at) {
                Ok(m) => {
                    if scope == "test" && raw.data.test_size.is_none() {
                        problems.push(Problem::new(
                            &at,
                            format!("`{root}.test.{name}` needs a holdout: set `data.test_size`"),
                        ));
                    }
                    out.push(Expectation {
                        scope: scope.clone(),
                        metric: m,
                        bound: *bound,
                    });
                }
                Err(p) => problems.push(p),
            }
        }
    }
    out
}
