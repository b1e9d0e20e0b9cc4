//! A run directory, as one type: `RunDir::create` makes a new one and `RunDir::open` reopens one to
//! append to it (both give its writer, the locked `RunLog`); `RunDir::find` finds them under a
//! folder; and its reading methods read pipeline.toml, summary.json, trials.jsonl, fits.jsonl and
//! model.json. Every command that reads a run directory (compare, report, resume, merge) reads it
//! here, so a torn last log line or a missing log means the same to all of them. The methods return
//! the plain failure (an `std::io::Error`, a `SummaryError`) where the commands word it their own
//! way.

use super::writer::{RunLock, RunLog};
use super::Summary;
use crate::artifact::Artifact;
use crate::error::{KilnError, Result};
use crate::search::{FitRecord, Trial};
use std::path::{Path, PathBuf};

/// A run directory: `runs/<pipeline name>/<run id>/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunDir {
    path: PathBuf,
}

/// Why summary.json could not be read.
#[derive(Debug)]
pub enum SummaryError {
    /// There is none, or it cannot be read.
    Unreadable(std::io::Error),
    /// It is not a kiln summary (damaged, or another file).
    Damaged(serde_json::Error),
}

impl SummaryError {
    /// The error as `kiln compare` and `kiln merge` report it.
    pub fn into_error(self, dir: &Path) -> KilnError {
        let shown = dir.display();
        KilnError::Data(match self {
            SummaryError::Unreadable(e) => format!("{shown}/summary.json: {e}"),
            SummaryError::Damaged(e) => format!("{shown}/summary.json is not a kiln summary: {e}"),
        })
    }
}

impl RunDir {
    /// The run directory at `path` (nothing is read yet).
    pub fn at(path: impl Into<PathBuf>) -> RunDir {
        RunDir { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates `<output>/<name>/<run id><suffix>/`, locks it and writes pipeline.toml into it. A
    /// failure (a full disk) leaves no folder behind.
    pub fn create(output: &Path, name: &str, pipeline_text: &str, suffix: &str) -> Result<RunLog> {
        RunLog::create(output, name, pipeline_text, suffix)
    }

    /// Takes the run directory's lock, before its logs are read to be rewritten (`--resume`).
    pub fn lock(&self) -> Result<RunLock> {
        RunLock::acquire(&self.path)
    }

    /// Opens a run directory this process has locked, to append to its logs.
    pub fn open(self, lock: RunLock) -> Result<RunLog> {
        RunLog::open(self.path, lock)
    }

    /// A run directory itself, or every run directory up to three levels below a folder (runs/,
    /// runs/<pipeline>/, or a folder of output folders).
    pub fn find(path: &Path) -> Result<Vec<RunDir>> {
        if !path.exists() {
            return Err(KilnError::Config(format!(
                "{}: no such run directory or folder",
                path.display()
            )));
        }
        fn walk(dir: &Path, depth: usize, out: &mut Vec<RunDir>) {
            let run = RunDir::at(dir);
            if run.is_run() {
                out.push(run);
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

    /// Whether it holds a summary.json.
    pub fn is_run(&self) -> bool {
        self.path.join("summary.json").is_file()
    }

    /// pipeline.toml: the pipeline as run.
    pub fn pipeline_text(&self) -> std::io::Result<String> {
        std::fs::read_to_string(self.path.join("pipeline.toml"))
    }

    pub fn summary(&self) -> std::result::Result<Summary, SummaryError> {
        let text = std::fs::read_to_string(self.path.join("summary.json"))
            .map_err(SummaryError::Unreadable)?;
        serde_json::from_str(&text).map_err(SummaryError::Damaged)
    }

    /// trials.jsonl: the finished candidates. A missing log (a run killed before its first trial)
    /// is an empty one; a torn last line (a crash mid-write) is dropped.
    pub fn trials(&self) -> Result<Vec<Trial>> {
        read_log(&self.path.join("trials.jsonl"), "trial")
    }

    /// fits.jsonl: the finished fits, as `trials` reads trials.jsonl (a run of an older kiln has
    /// none).
    pub fn fits(&self) -> Result<Vec<FitRecord>> {
        read_log(&self.path.join("fits.jsonl"), "fit")
    }

    /// model.json (None: the run wrote none).
    pub fn model(&self) -> Option<Result<Artifact>> {
        let path = self.path.join("model.json");
        path.exists().then(|| Artifact::load(&path))
    }

    /// Rewrites the logs as read, so that lines appended next follow whole ones (`trials` and `fits`
    /// drop a torn last line). fits.jsonl is rewritten only if there is one.
    pub fn rewrite_logs(&self, trials: &[Trial], fits: &[FitRecord]) -> Result<()> {
        super::writer::write_lines(&self.path.join("trials.jsonl"), trials)?;
        let fits_log = self.path.join("fits.jsonl");
        if fits_log.exists() {
            super::writer::write_lines(&fits_log, fits)?;
        }
        Ok(())
    }
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

/// Reads a JSON lines log, ignoring a torn last line (a crash mid-write) and blank lines; a missing
/// log is an empty one.
fn read_log<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<Vec<T>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|e| KilnError::io(path, e))?;
    let mut out = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<T>(line) {
            Ok(t) => out.push(t),
            // Only the last line can be torn; anywhere else it is corruption worth reporting.
            Err(_) if i + 1 == lines.len() => {}
            Err(e) => {
                return Err(KilnError::Data(format!(
                    "{}:{}: not a {what} line: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}
