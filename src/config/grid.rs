//! The grid: the config's own shape with a list where a value was, or a list of sub-grids. Expanding it
//! gives the candidates, each a whole pipeline document with the grid's values set. Order follows
//! scikit-learn's ParameterGrid: sub-grids in file order, keys sorted, the last key varying fastest.

use super::sample::Distribution;
use super::schema::{kind_of_path, Kind};
use toml::Value;

/// One dotted key of a sub-grid and the values it takes: a list, or (random search only) a
/// distribution, when `values` is empty.
#[derive(Debug, Clone)]
pub struct GridAxis {
    pub path: Vec<String>,
    pub values: Vec<Value>,
    pub dist: Option<Distribution>,
    /// Where the axis stands in the file: ["grid", ..] or ["grid", "<i>", ..].
    pub source_path: Vec<String>,
}

pub type SubGrid = Vec<GridAxis>;

/// Reads `[grid]` or `[[grid]]` into sub-grids. `Err((source path, message))` on a malformed grid.
pub fn parse(grid: Option<&Value>) -> Result<Vec<SubGrid>, (Vec<String>, String)> {
    let root = vec!["grid".to_string()];
    match grid {
        None => Ok(vec![Vec::new()]),
        Some(Value::Table(t)) => Ok(vec![axes(t, &root)?]),
        Some(Value::Array(subs)) => {
            if subs.is_empty() {
                return Err((root, "`grid` is an empty list of sub-grids".into()));
            }
            subs.iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut at = root.clone();
                    at.push(i.to_string());
                    match s {
                        Value::Table(t) => axes(t, &at),
                        _ => Err((at, "each [[grid]] entry must be a table".into())),
                    }
                })
                .collect()
        }
        Some(_) => Err((
            root,
            "`grid` must be a table ([grid]) or a list of tables ([[grid]])".into(),
        )),
    }
}

fn axes(table: &toml::Table, at: &[String]) -> Result<SubGrid, (Vec<String>, String)> {
    let mut out = Vec::new();
    collect(table, &mut Vec::new(), at, &mut out)?;
    Ok(out)
}

fn collect(
    table: &toml::Table,
    prefix: &mut Vec<String>,
    at: &[String],
    out: &mut SubGrid,
) -> Result<(), (Vec<String>, String)> {
    for (k, v) in table {
        prefix.push(k.clone());
        let source_path: Vec<String> = at.iter().chain(prefix.iter()).cloned().collect();
        match v {
            Value::Table(inner) if prefix.len() == 1 => collect(inner, prefix, at, out)?,
            _ => {
                let dotted = prefix.join(".");
                if let Value::Table(t) = v {
                    let dist = Distribution::parse(t, &dotted)
                        .map_err(|m| (source_path.clone(), format!("in the grid: {m}")))?;
                    out.push(GridAxis {
                        path: prefix.clone(),
                        values: Vec::new(),
                        dist: Some(dist),
                        source_path,
                    });
                    prefix.pop();
                    continue;
                }
                // A list-valued key (features, metrics) takes a list of lists; anything else takes a
                // list of values; a scalar means a list of one.
                let list_kind = matches!(
                    kind_of_path(prefix, None),
                    Ok(Kind::StrList) | Ok(Kind::Derive)
                );
                let values = match v {
                    Value::Array(items) if list_kind && !items.iter().all(|i| i.is_array()) => {
                        vec![v.clone()]
                    }
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                if values.is_empty() {
                    return Err((
                        source_path,
                        format!("grid list `{dotted}` is empty: give at least one value"),
                    ));
                }
                out.push(GridAxis {
                    path: prefix.clone(),
                    values,
                    dist: None,
                    source_path,
                });
            }
        }
        prefix.pop();
    }
    Ok(())
}

/// The candidate settings of one sub-grid: every combination, the last axis varying fastest.
pub fn combinations(sub: &SubGrid) -> Vec<Vec<(usize, Value)>> {
    let mut combos: Vec<Vec<(usize, Value)>> = vec![Vec::new()];
    for (a, axis) in sub.iter().enumerate() {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                axis.values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((a, v.clone()));
                    c
                })
            })
            .collect();
    }
    combos
}

/// Sets `value` at a dotted `path` in `doc`, creating tables on the way. A number after a list of
/// tables picks one (`grid.1.model.alpha` is in the second `[[grid]]`), so `--set` reaches sub-grids.
pub fn set_path(doc: &mut toml::Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("an empty key")?;
    let dotted = path.join(".");
    let mut table = doc;
    let mut rest = parents;
    while let Some((segment, tail)) = rest.split_first() {
        rest = tail;
        let entry = table
            .entry(segment.clone())
            .or_insert_with(|| Value::Table(toml::Table::new()));
        let entry = match entry {
            Value::Array(items) => {
                let count = items.len();
                let picked = rest.first().and_then(|i| i.parse::<usize>().ok());
                match picked.and_then(|i| items.get_mut(i)) {
                    Some(item) => {
                        rest = &rest[1..];
                        item
                    }
                    None => {
                        let after = path[path.len() - rest.len() - 1..]
                            .iter()
                            .skip(usize::from(picked.is_some()))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(".");
                        return Err(format!(
                            "`{dotted}`: `{segment}` is a list of {count}; give its index, 0 to {}, \
                             as `{segment}.0.{after}`",
                            count.saturating_sub(1)
                        ));
                    }
                }
            }
            other => other,
        };
        table = entry
            .as_table_mut()
            .ok_or_else(|| format!("`{dotted}` is not a table"))?;
    }
    table.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_grid_expands_with_the_last_key_fastest() {
        let doc: toml::Table = toml::from_str(
            "[grid]\nmodel.alpha = [1.0, 2.0]\nscale.method = ['standard', 'minmax']\nmodel.fit_intercept = true\n",
        )
        .unwrap();
        let subs = parse(doc.get("grid")).unwrap();
        assert_eq!(subs.len(), 1);
        let names: Vec<String> = subs[0].iter().map(|a| a.path.join(".")).collect();
        assert_eq!(
            names,
            ["model.alpha", "model.fit_intercept", "scale.method"]
        );
        let combos = combinations(&subs[0]);
        assert_eq!(combos.len(), 4);
        assert_eq!(combos[1][0].1, Value::Float(1.0));
        assert_eq!(combos[1][2].1, Value::String("minmax".into()));
    }

    #[test]
    fn sub_grids_and_empty_lists() {
        let doc: toml::Table =
            toml::from_str("[[grid]]\nmodel.type='ridge'\n[[grid]]\nmodel.alpha=[]\n").unwrap();
        let err = parse(doc.get("grid")).unwrap_err();
        assert_eq!(err.0, ["grid", "1", "model", "alpha"]);
        assert!(err.1.contains("empty"));
        let doc: toml::Table = toml::from_str("[grid]\nsearch.metrics=['mae','mse']\n").unwrap();
        let subs = parse(doc.get("grid")).unwrap();
        assert_eq!(
            subs[0][0].values.len(),
            1,
            "a list-valued key takes the list as one value"
        );
    }

    #[test]
    fn a_path_with_an_index_reaches_into_a_list_of_sub_grids() {
        let mut doc: toml::Table =
            toml::from_str("[[grid]]\nmodel.type='ridge'\n[[grid]]\nmodel.type='lasso'\n").unwrap();
        let path = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        set_path(&mut doc, &path("grid.1.model.alpha"), Value::Float(3.0)).unwrap();
        let subs = parse(doc.get("grid")).unwrap();
        assert_eq!(subs[1][0].path, ["model", "alpha"]);
        assert!(subs[0].iter().all(|a| a.path != ["model", "alpha"]));
        let e = set_path(&mut doc, &path("grid.2.model.alpha"), Value::Float(3.0)).unwrap_err();
        assert!(
            e.contains("`grid` is a list of 2; give its index, 0 to 1"),
            "{e}"
        );
        let e = set_path(&mut doc, &path("grid.model.alpha"), Value::Float(3.0)).unwrap_err();
        assert!(e.contains("as `grid.0.model.alpha`"), "{e}");
    }
}
