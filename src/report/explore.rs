//! `kiln explore DATA|PIPELINE [--target COL] [--html FILE]`: what is in the data before any model sees
//! it. A data file is explored as read; a pipeline's data as the pipeline sees it (derived columns
//! added, dropped columns gone, rows without a target left out). What is found comes from
//! `data::explore`; this file writes it as a terminal table and a self-contained HTML page.

use super::fmt::clip;
use super::html::{Cell, Page};
use super::svg::{self, Bar, HeatColors};
use crate::data::explore::Exploration;
use crate::data::number_text::{num, pct};
use crate::data::profile::{self, ColumnProfile, Histogram, Target, TargetView};
use crate::util::table::Table;

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
    let table = Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    };
    s.push_str(&table.render_columns(|j| !matches!(j, 0 | 1 | 12)));
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
