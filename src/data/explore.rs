//! What `kiln explore` and `kiln init` find in the data before any model sees it: every column's
//! profile, the target and the task its values imply, and the correlations among the numeric
//! columns. A data file is explored as read; a pipeline's data as the pipeline sees it (derived
//! columns added, dropped columns gone, rows without a target left out).

use super::profile::{self, ColumnProfile, Target, TargetView};
use super::{Column, ColumnData, TextOptions};
use crate::config;
use crate::data;
use crate::data::number_text::pct;
use crate::error::{did_you_mean, KilnError, Result};
use crate::models::Task;
use polars::prelude::*;
use std::path::Path;

/// At most this many columns in the correlation heatmap (the most associated with the target).
const HEATMAP_COLUMNS: usize = 30;

/// Column names and their pairwise correlations (None where a pair has too few values in common).
pub type Correlations = (Vec<String>, Vec<Vec<Option<f64>>>);

/// Everything `explore` found.
#[derive(Debug, Clone)]
pub struct Exploration {
    /// What was explored: the data file, or the pipeline and its data file.
    pub source: String,
    /// Rows explored.
    pub rows: usize,
    /// The target's row first (when there is a target), then every column in order.
    pub profiles: Vec<ColumnProfile>,
    pub target: Option<Target>,
    pub task: Option<(Task, String)>,
    /// Column names and their pairwise correlations (numeric columns, and a numeric target).
    pub correlations: Option<Correlations>,
    /// Facts about the reading: rows left out, columns left out.
    pub notes: Vec<String>,
}

impl Exploration {
    pub fn warnings(&self) -> Vec<String> {
        let mut w: Vec<String> = self
            .profiles
            .iter()
            .flat_map(ColumnProfile::warnings)
            .collect();
        if let Some(t) = self.profiles.iter().find(|p| p.is_target) {
            if t.missing() > 0 {
                w.push(format!(
                    "the target `{}` is missing in {} rows ({}): they are left out of any run",
                    t.name,
                    t.missing(),
                    pct(t.missing_share())
                ));
            }
        }
        w
    }

    pub fn target_profile(&self) -> Option<&ColumnProfile> {
        self.profiles.iter().find(|p| p.is_target)
    }

    /// The columns associated with the target (IDs and constants aside), the strongest first.
    pub fn ranked_by_target(&self) -> Vec<&ColumnProfile> {
        let mut ranked: Vec<&ColumnProfile> = self
            .profiles
            .iter()
            .filter(|p| p.target_assoc.is_some() && !p.is_id_like() && !p.is_constant())
            .collect();
        ranked.sort_by(|a, b| {
            let (x, y) = (a.target_assoc.unwrap_or(0.0), b.target_assoc.unwrap_or(0.0));
            y.abs().total_cmp(&x.abs())
        });
        ranked
    }
}

/// A data frame's columns as kiln's plain vectors, each with its file type when that says more than
/// "number" or "text" (a date, a boolean). Infinite numbers count as missing.
pub fn frame_columns(df: &DataFrame) -> Vec<(Column, Option<String>)> {
    df.columns()
        .iter()
        .map(|c| {
            let series = c.as_materialized_series();
            let name = series.name().to_string();
            let dtype = series.dtype();
            match data::numeric_values(series) {
                Some(mut v) => {
                    for x in v.iter_mut().filter(|x| x.is_infinite()) {
                        *x = f64::NAN;
                    }
                    let label = matches!(dtype, DataType::Boolean).then(|| "bool".to_string());
                    (
                        Column {
                            name,
                            data: ColumnData::Numeric(v.into()),
                        },
                        label,
                    )
                }
                None => {
                    let (codes, dictionary) = data::encode_text(&data::text_values(series));
                    let label = (!matches!(dtype, DataType::String)).then(|| dtype.to_string());
                    (
                        Column {
                            name,
                            data: ColumnData::Categorical { codes, dictionary },
                        },
                        label,
                    )
                }
            }
        })
        .collect()
}

/// Turns the named column into the target, with the task its values imply.
fn take_target(
    columns: &mut Vec<(Column, Option<String>)>,
    name: &str,
    file: &Path,
) -> Result<(Target, Task, String)> {
    let Some(i) = columns.iter().position(|(c, _)| c.name == name) else {
        let names: Vec<&str> = columns.iter().map(|(c, _)| c.name.as_str()).collect();
        let list = data::preview(&names);
        return Err(KilnError::Config(format!(
            "--target {name}: no column `{name}` in {}{}; its columns: {list}",
            file.display(),
            did_you_mean(name, names.iter().copied()),
        )));
    };
    let (column, dtype) = columns.remove(i);
    let p = profile::profile_column(&column, dtype.as_deref(), None, true);
    if p.non_null == 0 {
        return Err(KilnError::Data(format!(
            "{}: the target `{name}` has no values",
            file.display()
        )));
    }
    let (task, reason) = profile::infer_task(&p);
    let view = match column.data {
        ColumnData::Numeric(v) if task == Task::Regression => TargetView::Values(v.into_vec()),
        ColumnData::Numeric(v) => {
            let labels: Vec<Option<String>> = v
                .iter()
                .map(|x| (!x.is_nan()).then(|| config::format_number(*x)))
                .collect();
            let (codes, classes) = data::encode_text(&labels);
            TargetView::Classes { codes, classes }
        }
        ColumnData::Categorical { codes, dictionary } => TargetView::Classes {
            codes,
            classes: dictionary,
        },
    };
    Ok((
        Target {
            name: name.to_string(),
            view,
        },
        task,
        reason,
    ))
}

/// Explores a data file (with an optional target) or a pipeline file (`.toml`).
pub fn explore(input: &Path, target: Option<&str>) -> Result<Exploration> {
    let is_pipeline = input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_pipeline {
        if target.is_some() {
            return Err(KilnError::Config(
                "--target is for a data file; a pipeline names its target in data.target".into(),
            ));
        }
        return explore_pipeline(input);
    }
    let df = data::read_frame(input, &TextOptions::default())?;
    let rows = df.height();
    if rows == 0 {
        return Err(KilnError::Data(format!(
            "data file {} has a header but no rows",
            input.display()
        )));
    }
    let mut notes = vec![format!("{} rows x {} columns", df.height(), df.width())];
    let mut columns = frame_columns(&df);
    drop(df);
    let mut task = None;
    let target = match target {
        Some(name) => {
            let (t, tk, reason) = take_target(&mut columns, name, input)?;
            notes.push(format!("target `{name}`: {} ({reason})", tk.name()));
            task = Some((tk, reason));
            Some(t)
        }
        None => None,
    };
    Ok(finish(
        input.display().to_string(),
        rows,
        columns,
        target,
        task,
        notes,
    ))
}

fn explore_pipeline(path: &Path) -> Result<Exploration> {
    let loaded = config::load(path, &[])?;
    let base = loaded.base().clone();
    let ds = data::load(&base, Some(&loaded.source))?;
    let rows = ds.n_rows();
    let mut notes = vec![format!(
        "data {}: {} rows x {} columns as read; {} rows and {} feature columns as the pipeline sees them",
        base.data_path.display(),
        ds.file_rows,
        ds.file_columns,
        rows,
        ds.features.len()
    )];
    if ds.dropped_missing_target > 0 {
        notes.push(format!(
            "{} rows without a target are left out",
            ds.dropped_missing_target
        ));
    }
    if ds.dropped_missing_features > 0 {
        notes.push(format!(
            "{} rows with missing values are left out (impute = \"drop\")",
            ds.dropped_missing_features
        ));
    }
    notes.extend(ds.warnings.iter().cloned());
    let target = match (&base.data.target, ds.target) {
        (Some(name), Some(data::TargetData::Values(v))) => Some(Target {
            name: name.clone(),
            view: TargetView::Values(v),
        }),
        (Some(name), Some(data::TargetData::Classes { labels, classes })) => Some(Target {
            name: name.clone(),
            view: TargetView::Classes {
                codes: labels.into_iter().map(|l| l as u32).collect(),
                classes,
            },
        }),
        _ => None,
    };
    let task = Some((
        base.task,
        format!("the pipeline's task is {}", base.task.name()),
    ));
    let columns = ds.features.into_iter().map(|c| (c, None)).collect();
    let mut e = finish(
        format!(
            "pipeline {} (data {})",
            path.display(),
            base.data_path.display()
        ),
        rows,
        columns,
        target,
        task,
        notes,
    );
    // The pipeline already caps one-hot columns (or encodes one code per category): no warning.
    if base.encode.max_categories.is_some() || base.encode.method == config::EncodeMethod::Ordinal {
        for p in &mut e.profiles {
            p.flags
                .retain(|f| !matches!(f, profile::Flag::HighCardinality(_)));
        }
    }
    Ok(e)
}

fn finish(
    source: String,
    rows: usize,
    columns: Vec<(Column, Option<String>)>,
    target: Option<Target>,
    task: Option<(Task, String)>,
    notes: Vec<String>,
) -> Exploration {
    let profiles = profile::profile_all(&columns, target.as_ref());
    let correlations = correlations(&columns, &profiles, target.as_ref());
    Exploration {
        source,
        rows,
        profiles,
        target,
        task,
        correlations,
        notes,
    }
}

/// Correlations among the numeric columns worth comparing (not constant, not IDs), the target
/// first when it is numeric; at most HEATMAP_COLUMNS, those most associated with the target.
fn correlations(
    columns: &[(Column, Option<String>)],
    profiles: &[ColumnProfile],
    target: Option<&Target>,
) -> Option<Correlations> {
    let by_name = |n: &str| profiles.iter().find(|p| !p.is_target && p.name == n);
    let mut picked: Vec<(&str, &[f64], f64)> = columns
        .iter()
        .filter_map(|(c, _)| match &c.data {
            ColumnData::Numeric(v) => {
                let p = by_name(&c.name)?;
                (!p.is_constant() && !p.is_id_like()).then(|| {
                    (
                        c.name.as_str(),
                        &v[..],
                        p.target_assoc.map_or(0.0, f64::abs),
                    )
                })
            }
            ColumnData::Categorical { .. } => None,
        })
        .collect();
    if picked.len() > HEATMAP_COLUMNS {
        let mut order: Vec<usize> = (0..picked.len()).collect();
        order.sort_by(|a, b| picked[*b].2.total_cmp(&picked[*a].2).then(a.cmp(b)));
        let keep: std::collections::BTreeSet<usize> =
            order.into_iter().take(HEATMAP_COLUMNS).collect();
        picked = picked
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, p)| p)
            .collect();
    }
    let mut names: Vec<String> = Vec::new();
    let mut slices: Vec<&[f64]> = Vec::new();
    if let Some(Target {
        name,
        view: TargetView::Values(v),
    }) = target
    {
        names.push(name.clone());
        slices.push(v);
    }
    for (n, v, _) in picked {
        names.push(n.to_string());
        slices.push(v);
    }
    (slices.len() >= 2).then(|| (names, profile::correlation_matrix(&slices)))
}
