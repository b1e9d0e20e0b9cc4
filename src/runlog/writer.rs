//! Writing a run directory safely: a crash or a kill leaves whole files and whole lines only, and one
//! process at a time writes a run directory (its lock).

use crate::error::{KilnError, Result};
use crate::search::{FitRecord, Trial};
use crate::util::atomic::atomic_write;
use crate::util::clock::utc_compact;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A run id: the UTC time (second resolution) plus a short hash, e.g. 20261124T143501Z-3f9a2c.
pub fn new_run_id(salt: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut bytes = salt.as_bytes().to_vec();
    bytes.extend_from_slice(&now.as_nanos().to_le_bytes());
    bytes.extend_from_slice(&std::process::id().to_le_bytes());
    let h = crate::data::read::content_hash(&bytes);
    format!("{}-{:06x}", utc_compact(now.as_secs()), h & 0xff_ffff)
}

/// The lock file of a run directory while a process writes it.
pub const LOCK_FILE: &str = "kiln.lock";

/// A run directory's lock: `kiln.lock` holds the pid of the one process writing the run, so that a
/// `--resume` of a run still going is refused instead of rewriting its logs under it. Created
/// atomically (the pid is written to a file of our own, then linked to the lock's name, which fails
/// if the name exists, as O_EXCL does, and never shows an empty lock); removed when the run ends. A
/// lock whose process is gone (killed, or the machine restarted) is stale and taken over.
pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        let path = dir.join(LOCK_FILE);
        // A stale lock is removed and the lock taken again; a second race lost to another process
        // taking it over is reported as that process holding it.
        for _ in 0..3 {
            match create_lock_file(&path) {
                Ok(()) => return Ok(RunLock { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(KilnError::io(&path, e)),
            }
            match lock_holder(&path) {
                Some(pid) if pid != std::process::id() && process_alive(pid) => {
                    return Err(KilnError::Config(format!(
                        "{} is being written by another kiln process (pid {pid}); wait for it to \
                         finish or stop it (if no kiln process has pid {pid}, delete {})",
                        dir.display(),
                        path.display()
                    )))
                }
                _ => match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(KilnError::io(&path, e))
                    }
                    _ => {}
                },
            }
        }
        Err(KilnError::Config(format!(
            "{}: cannot take the lock: other processes keep taking it",
            path.display()
        )))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if lock_holder(&self.path) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn create_lock_file(path: &Path) -> std::io::Result<()> {
    let pid = format!("{}\n", std::process::id());
    let own = path.with_file_name(format!(".{LOCK_FILE}.{}", std::process::id()));
    std::fs::write(&own, &pid)?;
    let linked = std::fs::hard_link(&own, path);
    let _ = std::fs::remove_file(&own);
    match linked {
        // A file system without hard links: create the lock exclusively and write the pid into it.
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?
            .write_all(pid.as_bytes()),
        other => other,
    }
}

/// The pid a lock file holds (None: no lock, or not a pid).
fn lock_holder(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Whether a process with this pid exists (one of another user counts).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 sends nothing; kill only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Elsewhere a lock is never taken for stale.
#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// The writer of a run directory, locked by this process: trials.jsonl and fits.jsonl open for
/// appending. Made by `RunDir::create` and `RunDir::open`.
pub struct RunLog {
    pub path: PathBuf,
    trials: File,
    /// Opened at the first fit (a merged run has none).
    fits: Option<File>,
    /// Released when the run is closed (`release`), or when the RunDir is dropped.
    lock: std::sync::Mutex<Option<RunLock>>,
}

impl RunLog {
    /// Creates `<output>/<name>/<run id><suffix>/`, locks it and writes pipeline.toml into it. A
    /// failure (a full disk) leaves no folder behind.
    pub(super) fn create(
        output: &Path,
        name: &str,
        pipeline_text: &str,
        suffix: &str,
    ) -> Result<RunLog> {
        let id = format!("{}{suffix}", new_run_id(pipeline_text));
        let path = output.join(sanitize(name)).join(id);
        let made = std::fs::create_dir_all(&path)
            .map_err(|e| KilnError::io(&path, e))
            .and_then(|_| {
                let lock = RunLock::acquire(&path)?;
                atomic_write(&path.join("pipeline.toml"), pipeline_text.as_bytes())?;
                Self::open(path.clone(), lock)
            });
        if made.is_err() {
            remove_run_folder(&path);
        }
        made
    }

    /// Opens a run directory this process has locked, to append to its logs.
    pub(super) fn open(path: PathBuf, lock: RunLock) -> Result<RunLog> {
        Ok(RunLog {
            trials: open_log(&path.join("trials.jsonl"))?,
            fits: None,
            path,
            lock: std::sync::Mutex::new(Some(lock)),
        })
    }

    /// Removes a new run directory that cannot be completed (its first summary could not be
    /// written), so that a full disk leaves no half run behind.
    pub fn discard(self) {
        let path = self.path.clone();
        drop(self);
        remove_run_folder(&path);
    }

    /// Appends one trial as a single whole line: one write of the whole line to a file opened for
    /// appending, so a killed process leaves whole lines and at most a torn last one (which
    /// `RunDir::trials` drops and `--resume` rewrites away). Not synced per line: a kill loses nothing
    /// the kernel has, and a sync per candidate would serialise large grids on the disk.
    pub fn append_trial(&mut self, trial: &Trial) -> Result<()> {
        append_line(&mut self.trials, &self.path.join("trials.jsonl"), trial)
    }

    /// Appends one finished fit to fits.jsonl, as `append_trial` does a trial.
    pub fn append_fit(&mut self, fit: &FitRecord) -> Result<()> {
        let path = self.path.join("fits.jsonl");
        let file = match &mut self.fits {
            Some(f) => f,
            None => self.fits.insert(open_log(&path)?),
        };
        append_line(file, &path, fit)
    }

    /// Replaces trials.jsonl with these trials (atomically), for appending after them.
    pub fn rewrite_trials(&mut self, trials: &[Trial]) -> Result<()> {
        let path = self.path.join("trials.jsonl");
        write_lines(&path, trials)?;
        self.trials = open_log(&path)?;
        Ok(())
    }

    pub fn write_json<T: serde::Serialize>(&self, file: &str, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        atomic_write(&self.path.join(file), text.as_bytes())
    }

    /// Unlocks the run directory: its last file is written.
    pub fn release(&self) {
        self.lock.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

impl crate::search::executor::SearchLog for RunLog {
    fn fit_done(&mut self, fit: &FitRecord) -> Result<()> {
        self.append_fit(fit)
    }

    fn trial_done(&mut self, trial: &Trial) -> Result<()> {
        self.append_trial(trial)
    }
}

fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| KilnError::io(path, e))
}

fn append_line<T: serde::Serialize>(file: &mut File, path: &Path, value: &T) -> Result<()> {
    let mut line = serde_json::to_string(value).unwrap_or_default();
    line.push('\n');
    file.write_all(line.as_bytes())
        .and_then(|_| file.flush())
        .map_err(|e| KilnError::io(path, e))
}

/// Writes `values` to `path` as JSON lines, atomically.
pub(super) fn write_lines<T: serde::Serialize>(path: &Path, values: &[T]) -> Result<()> {
    let mut text = String::new();
    for v in values {
        text.push_str(&serde_json::to_string(v).unwrap_or_default());
        text.push('\n');
    }
    atomic_write(path, text.as_bytes())
}

/// Removes a run folder, and its pipeline's folder if that is left empty.
fn remove_run_folder(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
    if let Some(parent) = path.parent() {
        let _ = std::fs::remove_dir(parent);
    }
}

/// A pipeline name as a folder name: path separators and odd characters become '_'.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_have_the_compact_time_and_a_short_hash() {
        let id = new_run_id("x");
        assert_eq!(id.len(), "20261124T143501Z-3f9a2c".len());
    }
}
