//! `kiln compare`: runs side by side (only the config keys that differ, the best value of each metric
//! marked), or one run's full leaderboard with `--trials`. Reads run directories as plain files, so a
//! run that was killed (a torn last trial line, a summary still "running") still shows.

use crate::error::{did_you_mean, KilnError, Result};
use crate::metrics::Metric;
use crate::runlog::{RunDir, Summary};
use crate::search::Trial;
use crate::util::table::Table;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How `compare` writes its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Md,
    Csv,
    Json,
}

/// One run directory, read.
pub struct RunRecord {
    pub dir: PathBuf,
    pub summary: Summary,
    /// pipeline.toml flattened to dotted keys.
    pub config: BTreeMap<String, String>,
    pub trials: Vec<Trial>,
}

/// The table of the runs found in `runs` (ordered by start time, or by the best mean of `sort`),
/// with every config key when `all`; or, with `trials`, the one run's full leaderboard.
pub fn compare(
    runs: &[PathBuf],
    format: Format,
    sort: Option<&str>,
    all: bool,
    trials: bool,
) -> Result<String> {
    // A bad argument fails before any run directory is read.
    let sort = sort.map(sort_metric).transpose()?;
    let mut dirs = Vec::new();
    for r in runs {
        let found = RunDir::find(r)?;
        if found.is_empty() {
            return Err(KilnError::Config(format!(
                "{}: no run directories here (a run directory holds summary.json)",
                r.display()
            )));
        }
        dirs.extend(found);
    }
    let mut runs: Vec<RunRecord> = dirs.iter().map(read_run).collect::<Result<_>>()?;
    if trials {
        if runs.len() != 1 {
            return Err(KilnError::Config(format!(
                "--trials shows one run; {} were given",
                runs.len()
            )));
        }
        return Ok(render(&trials_table(&runs[0]), format));
    }
    runs.sort_by(|x, y| {
        x.summary
            .started_at
            .cmp(&y.summary.started_at)
            .then(x.dir.cmp(&y.dir))
    });
    if let Some(metric) = sort {
        runs.sort_by(|x, y| {
            let (vx, vy) = (best_mean(x, metric.name()), best_mean(y, metric.name()));
            match (vx, vy) {
                (Some(p), Some(q)) if metric.greater_is_better() => q.total_cmp(&p),
                (Some(p), Some(q)) => p.total_cmp(&q),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        });
    }
    Ok(render(&runs_table(&runs, all), format))
}

/// The metric `--sort NAME` names; an unknown name is an error suggesting the closest metric.
fn sort_metric(name: &str) -> Result<Metric> {
    Metric::from_name(name).ok_or_else(|| {
        KilnError::Config(format!(
            "--sort {name}: unknown metric{} (metrics: {})",
            did_you_mean(name, Metric::ALL.iter().map(|m| m.name())),
            Metric::ALL
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

fn read_run(run: &RunDir) -> Result<RunRecord> {
    let summary = run.summary().map_err(|e| e.into_error(run.path()))?;
    let config = run
        .pipeline_text()
        .ok()
        .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
        .map(|t| flatten(&t))
        .unwrap_or_default();
    Ok(RunRecord {
        dir: run.path().to_path_buf(),
        summary,
        config,
        trials: run.trials()?,
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

/// A compare table: typed cells, so `table` and `md` show them decorated ("0.86 ± 0.10 *") while
/// `csv` and `json` keep numbers as numbers, one field each.
struct Grid {
    columns: Vec<Column>,
    rows: Vec<Vec<Value>>,
}

/// One column: its heading in `table` and `md`, its field name in `csv` and `json`.
struct Column {
    title: String,
    key: String,
    kind: Kind,
}

enum Kind {
    /// One field.
    Plain,
    /// A cross-validation score. `table`/`md`: "mean ± std" (only the mean unless `std_shown`),
    /// " *" on the best of several rows when `marks_best`. `csv`/`json`: the fields `<key>_mean`,
    /// `<key>_std`, and `<key>_best` (true/false) when `marks_best`.
    Score { std_shown: bool, marks_best: bool },
}

enum Value {
    Missing,
    Text(String),
    Whole(usize),
    /// A number shown with `decimals` in `table`/`md`, at full precision in `csv`/`json`.
    Real {
        value: f64,
        decimals: usize,
    },
    Score {
        mean: f64,
        std: Option<f64>,
        best: bool,
    },
}

impl Column {
    fn plain(title: &str) -> Column {
        Column {
            title: title.to_string(),
            key: title.to_string(),
            kind: Kind::Plain,
        }
    }

    /// A score column of `metric`: fields `cv_<metric>_mean`, `cv_<metric>_std` (, `_best`).
    fn score(title: String, metric: &str, std_shown: bool, marks_best: bool) -> Column {
        Column {
            title,
            key: format!("cv_{metric}"),
            kind: Kind::Score {
                std_shown,
                marks_best,
            },
        }
    }

    /// The csv/json field names this column gives.
    fn fields(&self) -> Vec<String> {
        match self.kind {
            Kind::Plain => vec![self.key.clone()],
            Kind::Score { marks_best, .. } => {
                let mut f = vec![format!("{}_mean", self.key), format!("{}_std", self.key)];
                if marks_best {
                    f.push(format!("{}_best", self.key));
                }
                f
            }
        }
    }

    /// The cell as `table` and `md` show it; `several` is whether there are rows to be best among.
    fn shown(&self, v: &Value, several: bool) -> String {
        match v {
            Value::Missing => String::new(),
            Value::Text(s) => s.clone(),
            Value::Whole(n) => n.to_string(),
            Value::Real { value, decimals } => format!("{value:.decimals$}"),
            Value::Score { mean, std, best } => {
                let Kind::Score {
                    std_shown,
                    marks_best,
                } = self.kind
                else {
                    return format!("{mean:.6}");
                };
                let mut s = format!("{mean:.6}");
                if let (true, Some(sd)) = (std_shown, std) {
                    s.push_str(&format!(" ± {sd:.6}"));
                }
                if marks_best && *best && several {
                    s.push_str(" *");
                }
                s
            }
        }
    }

    /// The cell as `json` values, one per field (null where there is none).
    fn data(&self, v: &Value) -> Vec<serde_json::Value> {
        use serde_json::Value as J;
        let number = |x: f64| serde_json::Number::from_f64(x).map_or(J::Null, J::Number);
        match (v, &self.kind) {
            (Value::Score { mean, std, best }, Kind::Score { marks_best, .. }) => {
                let mut f = vec![number(*mean), std.map_or(J::Null, number)];
                if *marks_best {
                    f.push(J::Bool(*best));
                }
                f
            }
            (_, Kind::Score { marks_best, .. }) => vec![J::Null; 2 + usize::from(*marks_best)],
            (Value::Missing, Kind::Plain) => vec![J::Null],
            (Value::Text(s), Kind::Plain) => vec![J::String(s.clone())],
            (Value::Whole(n), Kind::Plain) => vec![J::from(*n)],
            (Value::Real { value, .. }, Kind::Plain) => vec![number(*value)],
            (Value::Score { mean, .. }, Kind::Plain) => vec![number(*mean)],
        }
    }
}

/// A json value as a csv cell: strings bare (quoted when needed), numbers as serde_json writes
/// them (shortest text that reads back the same f64), null empty.
fn csv_cell(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn render(g: &Grid, format: Format) -> String {
    let several = g.rows.len() > 1;
    let shown_rows = || {
        g.rows.iter().map(|r| {
            g.columns
                .iter()
                .zip(r)
                .map(|(c, v)| c.shown(v, several))
                .collect::<Vec<_>>()
        })
    };
    let titles: Vec<String> = g.columns.iter().map(|c| c.title.clone()).collect();
    let fields: Vec<String> = g.columns.iter().flat_map(Column::fields).collect();
    let data_rows = || {
        g.rows.iter().map(|r| {
            g.columns
                .iter()
                .zip(r)
                .flat_map(|(c, v)| c.data(v))
                .collect::<Vec<_>>()
        })
    };
    match format {
        Format::Table => {
            let mut t = Table::new(&titles.iter().map(String::as_str).collect::<Vec<_>>());
            for r in shown_rows() {
                t.push(r);
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
            let mut s = line(&titles);
            s.push_str(&format!("|{}\n", "---|".repeat(titles.len())));
            for r in shown_rows() {
                s.push_str(&line(&r));
            }
            s
        }
        Format::Csv => {
            let header = fields.iter().cloned().map(serde_json::Value::String);
            let mut s = String::new();
            for r in std::iter::once(header.collect()).chain(data_rows()) {
                s.push_str(&r.iter().map(csv_cell).collect::<Vec<_>>().join(","));
                s.push('\n');
            }
            s
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = data_rows()
                .map(|r| serde_json::Value::Object(fields.iter().cloned().zip(r).collect()))
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
    let mut columns: Vec<Column> = ["pipeline", "run", "date", "data", "status", "best params"]
        .into_iter()
        .map(Column::plain)
        .collect();
    columns.extend(
        metrics
            .iter()
            .map(|m| Column::score(m.clone(), m, true, true)),
    );
    columns.push(Column::plain("seconds"));
    columns.extend(keys.iter().map(|k| Column::plain(k)));
    // The best value of each metric column, marked.
    let best_of: Vec<Option<f64>> = metrics
        .iter()
        .map(|m| {
            let dir = Metric::from_name(m).is_none_or(|x| x.greater_is_better());
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
                Value::Text(s.pipeline.clone()),
                Value::Text(s.run_id.clone()),
                Value::Text(
                    s.started_at
                        .replace('T', " ")
                        .trim_end_matches('Z')
                        .to_string(),
                ),
                Value::Text(s.data.hash.chars().take(8).collect()),
                Value::Text(s.status.clone()),
                Value::Text(s.best.as_ref().map_or(String::new(), |b| {
                    crate::search::trial::params_text(&b.params)
                })),
            ];
            for (m, best) in metrics.iter().zip(&best_of) {
                row.push(
                    match (best_mean(r, m), s.best.as_ref().and_then(|b| b.std.get(m))) {
                        (Some(v), Some(sd)) => Value::Score {
                            mean: v,
                            std: Some(*sd),
                            best: Some(v) == *best,
                        },
                        _ => Value::Missing,
                    },
                );
            }
            row.push(Value::Real {
                value: s.duration_seconds,
                decimals: 2,
            });
            row.extend(keys.iter().map(|k| {
                r.config
                    .get(k)
                    .map_or(Value::Missing, |v| Value::Text(v.clone()))
            }));
            row
        })
        .collect();
    Grid { columns, rows }
}

fn trials_table(run: &RunRecord) -> Grid {
    let metric = run.summary.metric.clone();
    let m = Metric::from_name(&metric);
    // The trials with a score, best first; then those without one (failed), by candidate.
    let greater_is_better = m.is_none_or(|m| m.greater_is_better());
    let mut ranked = crate::runlog::ranking::ranked(&run.trials, &metric, greater_is_better);
    let mut unscored: Vec<&Trial> = run
        .trials
        .iter()
        .filter(|t| !t.mean.contains_key(&metric))
        .collect();
    unscored.sort_by_key(|t| t.candidate);
    ranked.extend(unscored);
    let others: Vec<String> = run
        .trials
        .iter()
        .flat_map(|t| t.mean.keys())
        .filter(|k| **k != metric)
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // A halving search's trials say their rung and resource (a candidate has one per rung).
    let halving = run.trials.iter().any(|t| t.rung.is_some());
    let mut names = vec!["rank", "candidate"];
    if halving {
        names.extend(["rung", "resource"]);
    }
    names.extend(["status", "params"]);
    let mut columns: Vec<Column> = names.into_iter().map(Column::plain).collect();
    columns.push(Column::score(
        format!("{metric} (mean ± std)"),
        &metric,
        true,
        false,
    ));
    columns.extend(
        others
            .iter()
            .map(|o| Column::score(o.clone(), o, false, false)),
    );
    let score = |t: &Trial, m: &str| {
        t.mean.get(m).map_or(Value::Missing, |v| Value::Score {
            mean: *v,
            std: t.std.get(m).copied(),
            best: false,
        })
    };
    let rows = ranked
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut row = vec![Value::Whole(i + 1), Value::Whole(t.candidate)];
            if halving {
                let whole = |v: Option<usize>| v.map_or(Value::Missing, Value::Whole);
                row.push(whole(t.rung));
                row.push(whole(t.resource.map(|r| r as usize)));
            }
            row.extend([
                Value::Text(if t.is_ok() {
                    "ok".into()
                } else {
                    format!("failed: {}", t.error.as_deref().unwrap_or(""))
                }),
                Value::Text(t.params_text()),
                score(t, &metric),
            ]);
            row.extend(others.iter().map(|o| score(t, o)));
            row
        })
        .collect();
    Grid { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs' r2 and seconds, the first the better.
    fn grid() -> Grid {
        let score = |mean: f64, best: bool| Value::Score {
            mean,
            std: Some(0.1006681234567),
            best,
        };
        let seconds = |value: f64| Value::Real { value, decimals: 2 };
        Grid {
            columns: vec![
                Column::plain("run"),
                Column::score("r2".into(), "r2", true, true),
                Column::plain("seconds"),
            ],
            rows: vec![
                vec![
                    Value::Text("a".into()),
                    score(0.8605341, true),
                    seconds(1.25),
                ],
                vec![Value::Text("b, c".into()), Value::Missing, seconds(3.0)],
            ],
        }
    }

    #[test]
    fn table_decorates_scores_and_csv_splits_them_into_numbers() {
        let table = render(&grid(), Format::Table);
        assert!(table.contains("0.860534 ± 0.100668 *"), "{table}");
        assert_eq!(
            render(&grid(), Format::Csv),
            "run,cv_r2_mean,cv_r2_std,cv_r2_best,seconds\n\
             a,0.8605341,0.1006681234567,true,1.25\n\
             \"b, c\",,,,3.0\n"
        );
    }

    #[test]
    fn json_keeps_numbers_as_numbers() {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(&render(&grid(), Format::Json)).unwrap();
        assert_eq!(rows[0]["cv_r2_mean"], 0.8605341);
        assert_eq!(rows[0]["cv_r2_best"], true);
        assert_eq!(rows[0]["seconds"], 1.25);
        assert!(rows[1]["cv_r2_mean"].is_null() && rows[1]["cv_r2_best"].is_null());
    }
}
