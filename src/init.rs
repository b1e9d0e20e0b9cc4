//! `kiln init DATA --target COL [-o FILE]`: a commented starter pipeline that runs as it is. The data is
//! explored first: the target's values give the task (text, or a few whole numbers: classification),
//! ID-like, constant, leaking (predicting the target alone), date-as-text and unusable columns are
//! left out with the reason beside each, and the grid is a penalty sweep of a linear model (ridge
//! alpha, or logistic regression C).

use crate::config;
use crate::data::explore::{self, Exploration};
use crate::data::profile::{ColumnProfile, Flag};
use crate::error::{KilnError, Result};
use crate::models::Task;
use std::path::{Component, Path, PathBuf};

/// Kept text columns with more categories than this get `encode.max_categories`.
const MAX_CATEGORIES: usize = 50;
/// Above this many rows, 3 folds instead of 5 keep the first run quick.
const LARGE: usize = 100_000;
/// Where comments start, so they line up.
const COMMENT_AT: usize = 30;

/// `a` relative to the folder `from` (both absolute), with forward slashes as TOML files on every
/// platform can use.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// `key = value` with a comment lined up after it.
fn line(out: &mut String, assignment: &str, comment: &str) {
    if comment.is_empty() {
        out.push_str(assignment);
    } else {
        let pad = COMMENT_AT.saturating_sub(assignment.chars().count()).max(1);
        out.push_str(&format!("{assignment}{}# {comment}", " ".repeat(pad)));
    }
    out.push('\n');
}

/// Why a column is left out, or None to keep it.
fn leave_out(p: &ColumnProfile) -> Option<String> {
    if p.distinct == 0 {
        return Some("no values".into());
    }
    if p.is_constant() {
        return Some("constant".into());
    }
    if p.is_id_like() {
        return Some(format!(
            "ID-like: {} distinct values in {} rows",
            p.distinct, p.non_null
        ));
    }
    // A column that predicts the target alone this well is most often the target in disguise
    // (derived from it, or known only afterwards): kept, it makes every score a fiction.
    if let Some(Flag::Leakage(score)) = p.flags.iter().find(|f| matches!(f, Flag::Leakage(_))) {
        return Some(format!(
            "leakage? it predicts the target alone ({score}): derived from it or known only \
             afterwards; keep it only if it is known when predicting"
        ));
    }
    if !p.numeric && p.kind != "text" {
        return Some(format!(
            "{}: kiln models numbers and text; derive a number from it with [[data.derive]]",
            p.kind
        ));
    }
    if !p.numeric && !p.top.is_empty() && p.top.iter().all(|(v, _)| looks_like_date(v)) {
        return Some(
            "dates as text: one category per date; derive numbers from it with [[data.derive]]"
                .into(),
        );
    }
    None
}

/// A date or a time stamp written as text: 2013-01-01, 2013-01-01T05:00:00Z, 2013/01/01 05:00.
fn looks_like_date(v: &str) -> bool {
    let b = v.trim().as_bytes();
    let digits =
        |mut r: std::ops::Range<usize>| r.all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    digits(0..4)
        && matches!(b.get(4), Some(b'-' | b'/'))
        && digits(5..7)
        && b.get(7) == b.get(4)
        && digits(8..10)
        && matches!(b.get(10), None | Some(b'T' | b' '))
}

fn model_comment(task: Task) -> &'static str {
    match task {
        Task::Regression => "least squares with an L2 penalty",
        _ => "multinomial logistic regression, L2 penalty",
    }
}

/// The pipeline text for `data` and `target`; `output` (where it will be written) decides how
/// data.path is written.
pub fn pipeline_text(data: &Path, target: &str, output: Option<&Path>) -> Result<String> {
    let e: Exploration = explore::explore(data, Some(target))?;
    let Some((task, reason)) = e.task.clone() else {
        return Err(KilnError::Config(format!(
            "no target `{target}` to infer a task from"
        )));
    };
    let data_text = data_path_text(data, output)?;
    let stem = data
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    let features: Vec<&ColumnProfile> = e.profiles.iter().filter(|p| !p.is_target).collect();
    let dropped: Vec<(&ColumnProfile, String)> = features
        .iter()
        .filter_map(|p| leave_out(p).map(|why| (*p, why)))
        .collect();
    let kept: Vec<&&ColumnProfile> = features
        .iter()
        .filter(|p| !dropped.iter().any(|(d, _)| d.name == p.name))
        .collect();
    if kept.is_empty() {
        return Err(KilnError::Data(format!(
            "{}: no column is left to predict `{target}` from (every other column is an ID, constant or unusable)",
            data.display()
        )));
    }
    let many_categories = kept
        .iter()
        .filter(|p| !p.numeric && p.distinct > MAX_CATEGORIES)
        .map(|p| format!("{} ({})", p.name, p.distinct))
        .collect::<Vec<_>>();
    // Kept columns worth a second look; the others are handled above (dropped, or max_categories).
    let notes: Vec<String> = kept
        .iter()
        .flat_map(|p| {
            p.flags
                .iter()
                .filter(|f| matches!(f, Flag::HeavyMissing(_)))
                .map(|f| p.warning(f))
        })
        .collect();

    let mut s = String::new();
    s.push_str(&format!(
        "# A starter pipeline written by `kiln init` for {} ({} rows, {} columns).\n",
        data.display(),
        e.rows,
        e.profiles.len()
    ));
    s.push_str(&format!(
        "# Look at the data first:  kiln explore {} --target {} --html explore.html\n",
        data.display(),
        target
    ));
    s.push_str("# Then run it:            kiln run <this file>\n");
    for n in &notes {
        s.push_str(&format!("# warning: {n}\n"));
    }
    let target_profile = e.target_profile();
    if let Some(t) = target_profile.filter(|t| t.missing() > 0) {
        s.push_str(&format!(
            "# note: {} rows have no `{}`: runs leave them out\n",
            t.missing(),
            t.name
        ));
    }
    s.push_str("\n[pipeline]\n");
    line(
        &mut s,
        &format!("name = {}", quoted(&format!("{stem}-{target}"))),
        "",
    );
    line(&mut s, &format!("task = {}", quoted(task.name())), &reason);
    line(&mut s, "seed = 0", "every random choice derives from it");

    s.push_str("\n[data]\n");
    line(
        &mut s,
        &format!("path = {}", quoted(&data_text)),
        if Path::new(&data_text).is_absolute() {
            "absolute: the data and this file share no folder"
        } else if output.is_some() {
            "relative to this file"
        } else {
            "relative to this file: save it in the current folder, or fix the path"
        },
    );
    line(
        &mut s,
        &format!("target = {}", quoted(target)),
        "the column to predict",
    );
    if !dropped.is_empty() {
        s.push_str("drop = [\n");
        for (p, why) in &dropped {
            line(&mut s, &format!("    {},", quoted(&p.name)), why);
        }
        s.push_str("]\n");
    }
    line(
        &mut s,
        "test_size = 0.2",
        &format!(
            "held out before the search{}, scored once by the best model",
            if task == Task::Classification {
                " (stratified)"
            } else {
                ""
            }
        ),
    );

    s.push_str("\n[impute]                      # fitted on each fold's training rows only\n");
    line(
        &mut s,
        "numeric = \"median\"",
        "mean | median | constant | drop | error",
    );
    line(
        &mut s,
        "categorical = \"most_frequent\"",
        "most_frequent | constant | drop | error",
    );

    s.push_str("\n[encode]\n");
    line(
        &mut s,
        "method = \"one_hot\"",
        "one 0/1 column per category (or ordinal)",
    );
    line(
        &mut s,
        "unknown = \"ignore\"",
        "a category unseen in training: all zeros",
    );
    if !many_categories.is_empty() {
        line(
            &mut s,
            &format!("max_categories = {MAX_CATEGORIES}"),
            &format!(
                "rarer categories share one column: {}",
                many_categories.join(", ")
            ),
        );
    }

    s.push_str("\n[scale]\n");
    line(
        &mut s,
        "method = \"standard\"",
        "none | standard | minmax | robust (numbers only)",
    );

    s.push_str("\n[model]\n");
    let (model, metric, metrics, param, values, param_doc) = match task {
        Task::Regression => (
            "ridge",
            "r2",
            vec!["rmse", "mae"],
            "alpha",
            "[0.1, 1.0, 10.0, 100.0]",
            "the penalty: larger is simpler",
        ),
        _ => {
            let binary = target_profile.is_some_and(|t| t.distinct == 2);
            let mut m = vec!["balanced_accuracy", "f1", "log_loss"];
            if binary {
                m.push("roc_auc");
            }
            (
                "logistic_regression",
                "accuracy",
                m,
                "C",
                "[0.01, 0.1, 1.0, 10.0]",
                "inverse penalty: larger fits the training rows closer",
            )
        }
    };
    line(
        &mut s,
        &format!("type = {}", quoted(model)),
        model_comment(task),
    );

    s.push_str("\n[cv]\n");
    if e.rows > LARGE {
        line(
            &mut s,
            "folds = 3",
            &format!("{} rows: 3 folds keep the first run quick", e.rows),
        );
    } else {
        line(&mut s, "folds = 5", "");
    }

    s.push_str("\n[search]\n");
    line(
        &mut s,
        &format!("metric = {}", quoted(metric)),
        "picks the best candidate",
    );
    let list: Vec<String> = metrics.iter().map(|m| quoted(m)).collect();
    line(
        &mut s,
        &format!("metrics = [{}]", list.join(", ")),
        "also computed and logged",
    );
    // Offered, not chosen: a random search needs distributions in the grid to pay off.
    s.push_str(
        "# strategy = \"random\"         # draw n_candidates from the seed instead of every combination;\n\
         # n_candidates = 20            # grid keys may then be distributions: { log_uniform = [1e-3, 1e3] },\n\
         #                              # { uniform = [0, 1] }, { int = [2, 12] }, { log_int = [8, 512] }\n\
         # max_fits = 100               # a fit budget: the first max_fits // folds candidates\n",
    );
    if task == Task::Classification {
        s.push_str(
            "# threshold = \"tune\"         # two classes: the probability cut that maximises the metric\n\
             #                              # (a label metric: accuracy, balanced_accuracy, f1, ...)\n",
        );
    }

    s.push_str("\n[grid]                        # one candidate per value, each cross-validated\n");
    line(&mut s, &format!("model.{param} = {values}"), param_doc);

    // The text must be a valid pipeline: check it the way `kiln run` will.
    let check_path = output.map_or_else(|| PathBuf::from("pipeline.toml"), Path::to_path_buf);
    config::load_str(&check_path, s.clone(), &[]).map_err(|err| {
        KilnError::Config(format!(
            "kiln init wrote an invalid pipeline (a bug): {err}"
        ))
    })?;
    Ok(s)
}

/// data.path as the pipeline should say it: relative to the output file's folder, or as given when
/// printing to stdout.
fn data_path_text(data: &Path, output: Option<&Path>) -> Result<String> {
    let Some(out) = output else {
        return Ok(data.to_string_lossy().replace('\\', "/"));
    };
    // Reading the data file's path is a data error; the folder below is where kiln writes.
    let data_abs = data
        .canonicalize()
        .map_err(|e| KilnError::Data(format!("{}: {e}", data.display())))?;
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(|e| KilnError::io(&folder, e))?;
    let folder_abs = folder
        .canonicalize()
        .map_err(|e| KilnError::io(&folder, e))?;
    // Relative, so a project folder can move; absolute when the two share no folder but the root
    // (a pipeline in /tmp for data in /home/..): climbing to the root would break as easily.
    let shared = folder_abs
        .components()
        .zip(data_abs.components())
        .take_while(|(a, b)| a == b)
        .filter(|(c, _)| matches!(c, Component::Normal(_)))
        .count();
    if shared == 0 {
        return Ok(data_abs.to_string_lossy().replace('\\', "/"));
    }
    Ok(relative_path(&folder_abs, &data_abs))
}

/// Refuses an output that would overwrite something it should not: an existing file without
/// --force, a folder, or the data file itself (even with --force).
pub fn check_output(out: &Path, data: &Path, force: bool) -> Result<()> {
    if out.is_dir() {
        return Err(KilnError::Config(format!(
            "-o {}: is a folder; give the pipeline file to write, as -o {}",
            out.display(),
            out.join("pipeline.toml").display()
        )));
    }
    if !out.exists() {
        return Ok(());
    }
    let same = match (out.canonicalize(), data.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(KilnError::Config(format!(
            "-o {}: that is the data file; write the pipeline to another file",
            out.display()
        )));
    }
    if !force {
        return Err(KilnError::Config(format!(
            "-o {}: the file exists; pass --force to overwrite it",
            out.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_output_folder() {
        assert_eq!(
            relative_path(Path::new("/a/b/pipelines"), Path::new("/a/b/data/x.csv")),
            "../data/x.csv"
        );
        assert_eq!(
            relative_path(Path::new("/a"), Path::new("/a/x.csv")),
            "x.csv"
        );
        assert_eq!(
            relative_path(Path::new("/tmp/p/q"), Path::new("/srv/x.csv")),
            "../../../srv/x.csv"
        );
    }

    #[test]
    fn dates_written_as_text_are_recognised() {
        for d in [
            "2013-01-01",
            "2013-01-01T05:00:00Z",
            "2013/01/01 05:00",
            " 1999-12-31 ",
        ] {
            assert!(looks_like_date(d), "{d}");
        }
        for d in [
            "2013",
            "2013-1-1",
            "N725MQ",
            "2013-01/01",
            "2013-01-01x",
            "12-01-2013",
        ] {
            assert!(!looks_like_date(d), "{d}");
        }
    }

    #[test]
    fn comments_line_up() {
        let mut s = String::new();
        line(&mut s, "seed = 0", "why");
        assert_eq!(s, format!("seed = 0{}# why\n", " ".repeat(COMMENT_AT - 8)));
    }
}
