//! `kiln compare`: runs side by side (only the config keys that differ, the best value of each metric
//! marked), or one run's full leaderboard with `--trials`. Reads run directories as plain files, so a
//! run that was killed (a torn last trial line, a summary still "running") still shows.

use super::writer::read_trials;
use super::Summary;
use crate::error::{did_you_mean, KilnError, Result};
use crate::metrics::Metric;
use crate::output::emit;
use crate::search::Trial;
use crate::table::Table;
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Md,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run directories, or folders of them (runs/, runs/<pipeline>/).
    #[arg(required = true, value_name = "RUN")]
    pub runs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Order by this metric's best mean (best first); default: by start time.
    #[arg(long, value_name = "METRIC")]
    pub sort: Option<String>,
    /// Show every config key, not only those that differ between the runs.
    #[arg(long)]
    pub all: bool,
    /// Show one run's full leaderboard (every candidate) instead.
    #[arg(long)]
    pub trials: bool,
}

/// One run directory, read.
pub struct RunRecord {
    pub dir: PathBuf,
    pub summary: Summary,
    /// pipeline.toml flattened to dotted keys.
    pub config: BTreeMap<String, String>,
    pub trials: Vec<Trial>,
}

pub fn command(a: CompareArgs) -> u8 {
    match compare(&a) {
        Ok(text) => {
            emit(&text);
            0
        }
        Err(e) => {
            crate::say!("error: {e}");
            e.exit_code()
        }
    }
}

pub fn compare(a: &CompareArgs) -> Result<String> {
    let mut dirs = Vec::new();
    for r in &a.runs {
        let found = find_runs(r)?;
        if found.is_empty() {
            return Err(KilnError::Config(format!(
                "{}: no run directories here (a run directory holds summary.json)",
                r.display()
            )));
        }
        dirs.extend(found);
    }
    let mut runs: Vec<RunRecord> = dirs.iter().map(|d| read_run(d)).collect::<Result<_>>()?;
    if a.trials {
        if runs.len() != 1 {
            return Err(KilnError::Config(format!(
                "--trials shows one run; {} were given",
                runs.len()
            )));
        }
        return Ok(render(&trials_table(&runs[0]), a.format));
    }
    runs.sort_by(|x, y| {
        x.summary
            .started_at
            .cmp(&y.summary.started_at)
            .then(x.dir.cmp(&y.dir))
    });
    if let Some(name) = &a.sort {
        let metric = Metric::from_name(name).ok_or_else(|| {
            KilnError::Config(format!(
                "--sort {name}: unknown metric{}",
                did_you_mean(name, Metric::ALL.iter().map(|m| m.name()))
            ))
        })?;
        runs.sort_by(|x, y| {
            let (vx, vy) = (best_mean(x, name), best_mean(y, name));
            match (vx, vy) {
                (Some(p), Some(q)) if metric.greater_is_better() => q.total_cmp(&p),
                (Some(p), Some(q)) => p.total_cmp(&q),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }
    Ok(render(&runs_table(&runs, a.all), a.format))
}

/// A run directory itself, or every run directory up to three levels below a folder (runs/,
/// runs/<pipeline>/, or a folder of output folders).
pub fn find_runs(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.exists() {
        return Err(KilnError::Config(format!(
            "{}: no such run directory or folder",
            path.display()
        )));
    }
    fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        if is_run(dir) {
            out.push(dir.to_path_buf());
        } else if depth > 0 {
            for c in children(dir) {
                walk(&c, depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(path, 3, &mut out);
    out.sort();
    Ok(out)
}

fn is_run(dir: &Path) -> bool {
    dir.join("summary.json").is_file()
}

fn children(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub fn read_run(dir: &Path) -> Result<RunRecord> {
    let shown = dir.display();
    let text = std::fs::read_to_string(dir.join("summary.json"))
        .map_err(|e| KilnError::Data(format!("{shown}/summary.json: {e}")))?;
    let summary: Summary = serde_json::from_str(&text)
        .map_err(|e| KilnError::Data(format!("{shown}/summary.json is not a kiln summary: {e}")))?;
    let config = std::fs::read_to_string(dir.join("pipeline.toml"))
        .ok()
        .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
        .map(|t| flatten(&t))
        .unwrap_or_default();
    let trials_path = dir.join("trials.jsonl");
    let trials = if trials_path.is_file() {
        read_trials(&trials_path)?
    } else {
        Vec::new()
    };
    Ok(RunRecord {
        dir: dir.to_path_buf(),
        summary,
        config,
        trials,
    })
}

/// `section.key = value` for every leaf of a TOML document.
pub fn flatten(t: &toml::Table) -> BTreeMap<String, String> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", &toml::Value::Table(t.clone()), &mut out);
    out
}

fn best_mean(r: &RunRecord, metric: &str) -> Option<f64> {
    r.summary
        .best
        .as_ref()
        .and_then(|b| b.mean.get(metric).copied())
}

/// A table as header + rows, rendered in any format; `best` marks cells to star.
struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn render(g: &Grid, format: Format) -> String {
    match format {
        Format::Table => {
            let mut t = Table::new(&g.header.iter().map(String::as_str).collect::<Vec<_>>());
            for r in &g.rows {
                t.push(r.clone());
            }
            t.render()
        }
        Format::Md => {
            let line = |cells: &[String]| {
                format!(
                    "| {} |\n",
                    cells
                        .iter()
                        .map(|c| c.replace('|', "\\|"))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            };
            let mut s = line(&g.header);
            s.push_str(&format!("|{}\n", "---|".repeat(g.header.len())));
            for r in &g.rows {
                s.push_str(&line(r));
            }
            s
        }
        Format::Csv => {
            let cell = |c: &String| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            };
            let mut s = String::new();
            for r in std::iter::once(&g.header).chain(&g.rows) {
                s.push_str(&r.iter().map(cell).collect::<Vec<_>>().join(","));
                s.push('\n');
            }
            s
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = g
                .rows
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        g.header
                            .iter()
                            .cloned()
                            .zip(r.iter().map(|c| serde_json::Value::String(c.clone())))
                            .collect(),
                    )
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

fn runs_table(runs: &[RunRecord], all_keys: bool) -> Grid {
    // Metric columns: every metric any run's best candidate has, in first-seen order.
    let mut metrics: Vec<String> = Vec::new();
    for r in runs {
        if let Some(b) = &r.summary.best {
            let main = r.summary.metric.clone();
            for m in std::iter::once(&main).chain(b.mean.keys()) {
                if !metrics.contains(m) {
                    metrics.push(m.clone());
                }
            }
        }
    }
    let keys: Vec<String> = {
        let mut all: std::collections::BTreeSet<&String> = std::collections::BTreeSet::new();
        for r in runs {
            all.extend(r.config.keys());
        }
        all.into_iter()
            .filter(|k| {
                all_keys
                    || runs
                        .iter()
                        .map(|r| r.config.get(*k))
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
                        > 1
            })
            .cloned()
            .collect()
    };
    let mut header: Vec<String> = ["pipeline", "run", "date", "data", "status", "best params"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(metrics.iter().cloned());
    header.push("seconds".into());
    header.extend(keys.iter().cloned());
    // The best value of each metric column, marked with '*'.
    let best_of: Vec<Option<f64>> = metrics
        .iter()
        .map(|m| {
            let dir = Metric::from_name(m).map_or(true, |x| x.greater_is_better());
            runs.iter()
                .filter_map(|r| best_mean(r, m))
                .fold(None, |acc: Option<f64>, v| {
                    Some(acc.map_or(v, |a| {
                        if (dir && v > a) || (!dir && v < a) {
                            v
                        } else {
                            a
                        }
                    }))
                })
        })
        .collect();
    let rows = runs
        .iter()
        .map(|r| {
            let s = &r.summary;
            let mut row = vec![
                s.pipeline.clone(),
                s.run_id.clone(),
                s.started_at
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_string(),
                s.data.hash.chars().take(8).collect(),
                s.status.clone(),
                s.best.as_ref().map_or(String::new(), |b| {
                    crate::search::trial::params_text(&b.params)
                }),
            ];
            for (m, best) in metrics.iter().zip(&best_of) {
                row.push(
                    match (best_mean(r, m), s.best.as_ref().and_then(|b| b.std.get(m))) {
                        (Some(v), Some(sd)) => {
                            let mark = if Some(v) == *best && runs.len() > 1 {
                                " *"
                            } else {
                                ""
                            };
                            format!("{v:.6} ± {sd:.6}{mark}")
                        }
                        _ => String::new(),
                    },
                );
            }
            row.push(format!("{:.2}", s.duration_seconds));
            row.extend(
                keys.iter()
                    .map(|k| r.config.get(k).cloned().unwrap_or_default()),
            );
            row
        })
        .collect();
    Grid { header, rows }
}

fn trials_table(run: &RunRecord) -> Grid {
    let metric = run.summary.metric.clone();
    let m = Metric::from_name(&metric);
    let mut ranked: Vec<&Trial> = run.trials.iter().collect();
    ranked.sort_by(|a, b| {
        let (x, y) = (a.mean.get(&metric), b.mean.get(&metric));
        let ord = match (x, y) {
            (Some(p), Some(q)) if m.is_none_or(|m| m.greater_is_better()) => q.total_cmp(p),
            (Some(p), Some(q)) => p.total_cmp(q),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        ord.then(a.candidate.cmp(&b.candidate))
    });
    let others: Vec<String> = run
        .trials
        .iter()
        .flat_map(|t| t.mean.keys())
        .filter(|k| **k != metric)
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut header: Vec<String> = vec![
        "rank".into(),
        "candidate".into(),
        "status".into(),
        "params".into(),
        format!("{metric} (mean ± std)"),
    ];
    header.extend(others.iter().cloned());
    let rows = ranked
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut row = vec![
                (i + 1).to_string(),
                t.candidate.to_string(),
                if t.is_ok() {
                    "ok".into()
                } else {
                    format!("failed: {}", t.error.as_deref().unwrap_or(""))
                },
                t.params_text(),
                match (t.mean.get(&metric), t.std.get(&metric)) {
                    (Some(v), Some(s)) => format!("{v:.6} ± {s:.6}"),
                    _ => String::new(),
                },
            ];
            row.extend(
                others
                    .iter()
                    .map(|o| t.mean.get(o).map_or(String::new(), |v| format!("{v:.6}"))),
            );
            row
        })
        .collect();
    Grid { header, rows }
}
