//! `kiln explore DATA|PIPELINE [--target COL] [--html FILE]`: what is in the data before any model sees
//! it. A data file is explored as read; a pipeline's data as the pipeline sees it (derived columns
//! added, dropped columns gone, rows without a target left out).

use super::fmt::{clip, num, pct};
use super::html::{Cell, Page};
use super::profile::{self, ColumnProfile, Target, TargetView};
use super::svg::{self, Bar, HeatColors, Histogram};
use crate::config;
use crate::data::{self, Column, ColumnData, TextOptions};
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
                            data: ColumnData::Numeric(v),
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
        ColumnData::Numeric(v) if task == Task::Regression => TargetView::Values(v),
        ColumnData::Numeric(v) => {
            let labels: Vec<Option<String>> = v
                .iter()
                .map(|x| (!x.is_nan()).then(|| data::format_number(*x)))
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
                        v.as_slice(),
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

fn assoc_name(e: &Exploration) -> &'static str {
    match &e.target {
        Some(Target {
            view: TargetView::Classes { classes, .. },
            ..
        }) if classes.len() > 2 => "eta",
        _ => "r",
    }
}

fn top_text(p: &ColumnProfile, k: usize) -> String {
    p.top
        .iter()
        .take(k)
        .map(|(v, c)| format!("{v} {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stat(p: &ColumnProfile, f: impl Fn(&profile::NumericStats) -> f64) -> String {
    p.stats.as_ref().map(|s| num(f(s))).unwrap_or_default()
}

fn missing_text(p: &ColumnProfile) -> String {
    if p.missing() == 0 {
        "0".into()
    } else {
        format!("{} ({})", p.missing(), pct(p.missing_share()))
    }
}

const HEADER: [&str; 14] = [
    "column",
    "type",
    "non-null",
    "missing",
    "distinct",
    "mean",
    "std",
    "min",
    "25%",
    "50%",
    "75%",
    "max",
    "top values",
    "target",
];

fn row_cells(p: &ColumnProfile, top_k: usize) -> Vec<String> {
    vec![
        p.name.clone(),
        p.kind.clone(),
        p.non_null.to_string(),
        missing_text(p),
        p.distinct.to_string(),
        stat(p, |s| s.mean),
        stat(p, |s| s.std),
        stat(p, |s| s.min),
        stat(p, |s| s.q1),
        stat(p, |s| s.median),
        stat(p, |s| s.q3),
        stat(p, |s| s.max),
        top_text(p, top_k),
        if p.is_target {
            "(target)".into()
        } else {
            p.target_assoc
                .map(|r| format!("{r:.3}"))
                .unwrap_or_default()
        },
    ]
}

/// The terminal report.
pub fn text_report(e: &Exploration) -> String {
    let mut s = format!("{}\n", e.source);
    for n in &e.notes {
        s.push_str(&format!("  {n}\n"));
    }
    s.push('\n');
    let mut header = HEADER.to_vec();
    let assoc_head = format!("{} (target)", assoc_name(e));
    if e.target.is_some() {
        header[13] = &assoc_head;
    } else {
        header.pop();
    }
    let rows: Vec<Vec<String>> = e
        .profiles
        .iter()
        .map(|p| {
            let mut cells = row_cells(p, 3);
            cells[12] = clip(&cells[12], 40);
            if e.target.is_none() {
                cells.pop();
            }
            cells
        })
        .collect();
    s.push_str(&aligned(&header, &rows, |j| !matches!(j, 0 | 1 | 12)));
    if let (Some(t), Some(tp)) = (&e.target, e.target_profile()) {
        s.push_str(&format!("\ntarget `{}`", t.name));
        if let Some((task, reason)) = &e.task {
            s.push_str(&format!(": {} ({reason})", task.name()));
        }
        s.push('\n');
        s.push_str(&target_text(t, tp));
        let ranked = e.ranked_by_target();
        if !ranked.is_empty() {
            s.push_str(&format!(
                "\n{} of numeric columns with `{}`, strongest first:\n",
                if assoc_name(e) == "eta" {
                    "correlation ratio (eta)"
                } else {
                    "correlation (Pearson r)"
                },
                t.name
            ));
            let width = ranked
                .iter()
                .take(15)
                .map(|p| p.name.chars().count())
                .max()
                .unwrap_or(0);
            for p in ranked.iter().take(15) {
                let r = p.target_assoc.unwrap_or(0.0);
                s.push_str(&format!(
                    "  {:<width$}  {:>6.3}  {}\n",
                    p.name,
                    r,
                    "#".repeat((r.abs() * 30.0).round() as usize)
                ));
            }
            if ranked.len() > 15 {
                s.push_str(&format!("  ... and {} more\n", ranked.len() - 15));
            }
        }
    }
    let warnings = e.warnings();
    if !warnings.is_empty() {
        s.push('\n');
        for w in warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
    }
    s
}

/// A plain text table: columns padded to their widest cell, right-aligned where `right(column)`.
fn aligned(header: &[&str], rows: &[Vec<String>], right: impl Fn(usize) -> bool) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (j, cell) in row.iter().enumerate().take(width.len()) {
            width[j] = width[j].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&head).chain(rows) {
        let cells: Vec<String> = width
            .iter()
            .enumerate()
            .map(|(j, w)| {
                let cell = row.get(j).map(String::as_str).unwrap_or("");
                if right(j) {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The target's distribution as text: classes with counts, or a ten-bin histogram.
fn target_text(t: &Target, p: &ColumnProfile) -> String {
    let mut s = String::new();
    match &t.view {
        TargetView::Classes { .. } => {
            let total = p.non_null.max(1) as f64;
            let width = p
                .top
                .iter()
                .map(|(c, _)| c.chars().count())
                .max()
                .unwrap_or(0);
            let mut classes = p.top.clone();
            classes.sort_by_key(|c| std::cmp::Reverse(c.1));
            for (class, count) in &classes {
                let share = *count as f64 / total;
                s.push_str(&format!(
                    "  {class:<width$}  {count:>8}  {:>6}  {}\n",
                    pct(share),
                    "#".repeat((share * 40.0).round() as usize)
                ));
            }
            if p.distinct > classes.len() {
                s.push_str(&format!("  ... {} classes in all\n", p.distinct));
            }
        }
        TargetView::Values(v) => {
            let Some(stats) = &p.stats else {
                return s;
            };
            let h = Histogram::of(v, stats.histogram.lo, stats.histogram.hi, 10);
            let max = h.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
            let step = (h.hi - h.lo) / h.counts.len() as f64;
            let labels: Vec<String> = (0..h.counts.len())
                .map(|i| {
                    format!(
                        "{} to {}",
                        num(h.lo + step * i as f64),
                        num(h.lo + step * (i + 1) as f64)
                    )
                })
                .collect();
            let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            for (label, count) in labels.iter().zip(&h.counts) {
                s.push_str(&format!(
                    "  {label:>width$}  {count:>8}  {}\n",
                    "#".repeat((*count as f64 / max * 40.0).round() as usize)
                ));
            }
            if let Some(n) = &stats.histogram.note {
                s.push_str(&format!("  ({n})\n"));
            }
        }
    }
    s
}

/// The HTML page: the table, then charts.
pub fn html_report(e: &Exploration) -> String {
    let mut page = Page::new(&format!("kiln explore: {}", e.source));
    page.h1(&format!("Exploring {}", e.source));
    for n in &e.notes {
        page.meta(n);
    }
    let warnings = e.warnings();
    if !warnings.is_empty() {
        page.h2("Warnings");
        page.warnings(&warnings);
    }
    page.h2("Columns");
    let mut header = HEADER.to_vec();
    let assoc_head = format!("{} with target", assoc_name(e));
    header[13] = &assoc_head;
    let rows: Vec<Vec<Cell>> = e
        .profiles
        .iter()
        .map(|p| {
            row_cells(p, 5)
                .into_iter()
                .enumerate()
                .map(|(i, t)| match i {
                    0 | 1 | 12 => Cell::text(t),
                    _ => Cell::num(t),
                })
                .collect()
        })
        .collect();
    let target_row = e.profiles.iter().position(|p| p.is_target);
    page.table(&header, &rows, target_row);
    if let (Some(t), Some(tp)) = (&e.target, e.target_profile()) {
        page.h2(&format!("Target: {}", t.name));
        if let Some((task, reason)) = &e.task {
            page.p(&format!("{} ({reason})", task.name()));
        }
        page.charts(&[target_chart(tp)]);
    }
    page.h2("Missing values");
    let mut gappy: Vec<&ColumnProfile> = e.profiles.iter().filter(|p| p.missing() > 0).collect();
    if gappy.is_empty() {
        page.p("No column has missing values.");
    } else {
        gappy.sort_by_key(|p| std::cmp::Reverse(p.missing()));
        let shown = gappy.len().min(50);
        let bars: Vec<Bar> = gappy
            .iter()
            .take(shown)
            .map(|p| Bar {
                label: p.name.clone(),
                value: p.missing_share() * 100.0,
                text: format!("{} ({})", p.missing(), pct(p.missing_share())),
            })
            .collect();
        page.charts(&[svg::hbar(
            &format!(
                "Missing values ({} of {} columns have gaps)",
                gappy.len(),
                e.profiles.len()
            ),
            "% of rows missing",
            &bars,
        )]);
        if gappy.len() > shown {
            page.note(&format!(
                "{} more columns with fewer gaps not shown",
                gappy.len() - shown
            ));
        }
    }
    page.h2("Correlations");
    let mut charts = Vec::new();
    if let Some((names, m)) = &e.correlations {
        charts.push(svg::heatmap(
            "Correlation between numeric columns (Pearson r)",
            names,
            names,
            m,
            None,
            HeatColors::Diverging { limit: 1.0 },
            "",
            "",
        ));
    }
    if let Some(t) = &e.target {
        let ranked = e.ranked_by_target();
        if !ranked.is_empty() {
            let bars: Vec<Bar> = ranked
                .iter()
                .take(30)
                .map(|p| {
                    let r = p.target_assoc.unwrap_or(0.0);
                    Bar {
                        label: p.name.clone(),
                        value: r,
                        text: format!("{r:.3}"),
                    }
                })
                .collect();
            let what = if assoc_name(e) == "eta" {
                "correlation ratio (eta)"
            } else {
                "Pearson r"
            };
            charts.push(svg::hbar(
                &format!("Association with {}", t.name),
                what,
                &bars,
            ));
        }
    }
    if charts.is_empty() {
        page.p("Fewer than two numeric columns: nothing to correlate.");
    } else {
        page.charts(&charts);
    }
    let numeric: Vec<String> = e
        .profiles
        .iter()
        .filter(|p| !p.is_target)
        .filter_map(|p| {
            let s = p.stats.as_ref()?;
            Some(svg::histogram(&p.name, &p.name, &s.histogram))
        })
        .collect();
    if !numeric.is_empty() {
        page.h2("Numeric columns");
        page.charts(&numeric);
    }
    let text: Vec<String> = e
        .profiles
        .iter()
        .filter(|p| !p.is_target && p.stats.is_none() && !p.top.is_empty())
        .map(category_chart)
        .collect();
    if !text.is_empty() {
        page.h2("Text columns");
        page.charts(&text);
    }
    page.render()
}

fn category_chart(p: &ColumnProfile) -> String {
    let bars: Vec<Bar> = p
        .top
        .iter()
        .map(|(v, c)| Bar {
            label: v.clone(),
            value: *c as f64,
            text: c.to_string(),
        })
        .collect();
    let title = if p.distinct > p.top.len() {
        format!("{} (top {} of {} values)", p.name, p.top.len(), p.distinct)
    } else {
        p.name.clone()
    };
    svg::hbar(&title, "rows", &bars)
}

fn target_chart(p: &ColumnProfile) -> String {
    match &p.stats {
        Some(s) => svg::histogram(
            &format!("Distribution of {}", p.name),
            &p.name,
            &s.histogram,
        ),
        None => {
            let mut chart = p.clone();
            chart.name = format!("Classes of {}", p.name);
            category_chart(&chart)
        }
    }
}
