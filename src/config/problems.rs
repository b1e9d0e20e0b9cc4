//! Where a pipeline's problems are said: each located at the line that causes it (a grid entry, the
//! key itself, or a `--set`), and the keys written outside the grid that no candidate sees.

use super::schema::{self, Problem};
use super::source::Source;
use super::{grid, Override, SHARED_SECTIONS};
use toml::Value;

/// Turns a problem's key path into a located message: a grid entry's line for grid values, else the
/// key's own line (or the `--set` that wrote it; see `Source::error_at`).
pub(super) struct Locator<'a> {
    pub(super) source: &'a Source,
    /// `[model] type` as written (overrides applied).
    pub(super) base_type: Option<&'a Value>,
}

impl Locator<'_> {
    pub(super) fn render(
        &self,
        p: &Problem,
        sub: &grid::SubGrid,
        combo: &[(usize, Value)],
    ) -> String {
        let from_grid = combo
            .iter()
            .map(|(a, _)| &sub[*a])
            .find(|axis| !p.path.is_empty() && p.path.starts_with(&axis.path));
        if let Some(axis) = from_grid {
            // A drawn value is checked as a written one; the message says where it came from.
            let drawn = axis
                .dist
                .map(|d| format!(" (drawn from {})", d.text()))
                .unwrap_or_default();
            return self.source.error_at(
                &axis.source_path,
                &format!("in the grid: {}{drawn}", p.message),
            );
        }
        // A sub-grid of another model type resets the model table: problems there belong to the grid.
        if let Some(axis) = combo
            .iter()
            .find(|(a, v)| sub[*a].path == ["model", "type"] && Some(v) != self.base_type)
            .map(|(a, _)| &sub[*a])
            .filter(|_| p.path.first().is_some_and(|s| s == "model"))
        {
            return self
                .source
                .error_at(&axis.source_path, &format!("in the grid: {}", p.message));
        }
        self.source.error_at(&p.path, &p.message)
    }
}

/// `[model]` as written, checked on its own: a sub-grid of another model type never sees it, and its
/// keys must be checked all the same.
pub(super) fn base_model_problems(document: &toml::Table) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(Value::Table(model)) = document.get("model") {
        schema::check_model(model, &["model"], &mut problems);
    }
    problems
}

/// Why a key written outside the grid does not reach the candidates of one sub-grid.
enum Shadow<'a> {
    /// The sub-grid sets the same key.
    SameKey(&'a grid::GridAxis),
    /// The sub-grid sets `model.type` to another model, which starts from that model's defaults.
    OtherModel(&'a grid::GridAxis),
}

/// The sub-grid axis that hides `[section] key` from every candidate of `sub`, if any. `[model]`
/// values carry into a sub-grid whose `model.type` takes `[model] type`'s value, and only there.
fn shadow<'a>(
    sub: &'a grid::SubGrid,
    key: &[String],
    base_type: Option<&Value>,
) -> Option<Shadow<'a>> {
    let type_axis = sub.iter().find(|a| a.path == ["model", "type"]);
    let other_model = type_axis.filter(|a| base_type.is_none_or(|t| !a.values.contains(t)));
    if key == ["model", "type"] {
        return other_model.map(Shadow::SameKey);
    }
    if let Some(axis) = sub.iter().find(|a| a.path == key) {
        return Some(Shadow::SameKey(axis));
    }
    match key.first().map(String::as_str) {
        Some("model") => other_model.map(Shadow::OtherModel),
        _ => None,
    }
}

/// A key written in the file (or by `--set`) outside the grid that no candidate uses, because the
/// grid overrides it in every sub-grid, is an error naming the key and the grid lines that override
/// it: the run would silently ignore it. `[model] type` in the file is exempt (the schema asks for
/// it, and it says which sub-grids `[model]` carries into); set by `--set`, it is not. Keys in
/// `checked` already have a problem of their own.
pub(super) fn unused_keys(
    document: &toml::Table,
    subgrids: &[grid::SubGrid],
    source: &Source,
    checked: &[&[String]],
) -> Vec<String> {
    let base_type = document.get("model").and_then(|m| m.get("type"));
    let mut out = Vec::new();
    // The grid cannot set a shared section's keys (an error of its own), nor is it a key itself.
    let varied = |s: &str| s != "grid" && !SHARED_SECTIONS.contains(&s);
    for (section, table) in document.iter().filter(|(s, _)| varied(s)) {
        let Some(table) = table.as_table() else {
            continue;
        };
        for key in table.keys() {
            let path = vec![section.clone(), key.clone()];
            let from_set = source.override_of(&path).is_some();
            if checked.contains(&path.as_slice()) || (path == ["model", "type"] && !from_set) {
                continue;
            }
            let shadows: Option<Vec<Shadow>> = subgrids
                .iter()
                .map(|sub| shadow(sub, &path, base_type))
                .collect();
            if let Some(shadows) = shadows {
                out.push(
                    source.error_at(&path, &shadowed_message(&path, &shadows, source, base_type)),
                );
            }
        }
    }
    out
}

fn shadowed_message(
    path: &[String],
    shadows: &[Shadow],
    source: &Source,
    base_type: Option<&Value>,
) -> String {
    let dotted = path.join(".");
    let at = |axis: &grid::GridAxis| match source.override_of(&axis.source_path) {
        Some(raw) => format!("--set {raw}"),
        None => source.line_of(&axis.source_path).map_or_else(
            || format!("the grid's `{}`", axis.path.join(".")),
            |n| format!("line {n}"),
        ),
    };
    let parts: Vec<String> = shadows
        .iter()
        .map(|s| match s {
            Shadow::SameKey(axis) => format!("{} sets `{dotted}`", at(axis)),
            Shadow::OtherModel(axis) => format!(
                "{} sets `model.type = {}`, which starts from that model's defaults",
                at(axis),
                axis.values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
        })
        .collect();
    let carry = if shadows.iter().any(|s| matches!(s, Shadow::OtherModel(_))) {
        match base_type {
            Some(t) => format!("; [model] values carry only into sub-grids of model.type {t}"),
            None => "; [model] has no type, so its values carry into no sub-grid".to_string(),
        }
    } else {
        String::new()
    };
    format!(
        "`{dotted}` has no effect: the grid overrides it for every candidate ({}){carry}; {}",
        parts.join("; "),
        shadowed_fix(path, shadows, source)
    )
}

/// What to do about a key the grid overrides: for a `--set`, the `--set` of the grid's own key.
fn shadowed_fix(path: &[String], shadows: &[Shadow], source: &Source) -> String {
    let same_key = shadows.iter().find_map(|s| match s {
        Shadow::SameKey(axis) if axis.path == path => Some(axis),
        _ => None,
    });
    match (source.override_of(path), same_key) {
        (Some(raw), Some(axis)) => {
            let list = match Override::parse(raw).map(|o| o.value) {
                Ok(Value::Array(values)) => Value::Array(values),
                Ok(value) => Value::Array(vec![value]),
                Err(_) => Value::Array(Vec::new()),
            };
            format!(
                "to run other values, set the grid's own key, as --set '{}={list}'",
                axis.source_path.join(".")
            )
        }
        (Some(_), None) => "leave out this --set".to_string(),
        (None, _) => "remove it here, or put its value in the grid".to_string(),
    }
}
