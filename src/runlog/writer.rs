//! Writing a run directory safely: a crash or a kill leaves whole files and whole lines only.

use crate::error::{KilnError, Result};
use crate::search::Trial;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes `bytes` to `path` through a temporary file in the same folder, flushed and renamed, so
/// readers see the old file or the new one, never half of one.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    // Unique per call, so two threads writing one file never share a temporary file.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp{}-{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself survives a power cut once the folder is synced (best effort: not every
        // platform can open a folder).
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        KilnError::io(path, e)
    })
}

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

/// 20261124T143501Z
pub fn utc_compact(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// 2026-11-24T14:35:01Z
pub fn utc_iso(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Seconds since the epoch to (year, month, day, hour, minute, second), UTC (Howard Hinnant's
/// days-to-civil algorithm).
fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// An open run directory.
pub struct RunDir {
    pub path: PathBuf,
    trials: File,
}

impl RunDir {
    /// Creates `<output>/<name>/<run id><suffix>/` and writes pipeline.toml into it.
    pub fn create(output: &Path, name: &str, pipeline_text: &str, suffix: &str) -> Result<RunDir> {
        let id = format!("{}{suffix}", new_run_id(pipeline_text));
        let path = output.join(sanitize(name)).join(id);
        std::fs::create_dir_all(&path).map_err(|e| KilnError::io(&path, e))?;
        atomic_write(&path.join("pipeline.toml"), pipeline_text.as_bytes())?;
        Self::open(path)
    }

    /// Opens an existing run directory to append trials (resume).
    pub fn open(path: PathBuf) -> Result<RunDir> {
        let file = path.join("trials.jsonl");
        let trials = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .map_err(|e| KilnError::io(&file, e))?;
        Ok(RunDir { path, trials })
    }

    /// Appends one trial as a single whole line: one write of the whole line to a file opened for
    /// appending, so a killed process leaves whole lines and at most a torn last one (which
    /// `read_trials` drops and `--resume` rewrites away). Not synced per line: a kill loses nothing
    /// the kernel has, and a sync per candidate would serialise large grids on the disk.
    pub fn append_trial(&mut self, trial: &Trial) -> Result<()> {
        let mut line = serde_json::to_string(trial).unwrap_or_default();
        line.push('\n');
        self.trials
            .write_all(line.as_bytes())
            .and_then(|_| self.trials.flush())
            .map_err(|e| KilnError::io(self.path.join("trials.jsonl"), e))
    }

    pub fn write_json<T: serde::Serialize>(&self, file: &str, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        atomic_write(&self.path.join(file), text.as_bytes())
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

/// Reads trials.jsonl, ignoring a torn last line (a crash mid-write) and blank lines.
pub fn read_trials(path: &Path) -> Result<Vec<Trial>> {
    let text = std::fs::read_to_string(path).map_err(|e| KilnError::io(path, e))?;
    let mut out = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Trial>(line) {
            Ok(t) => out.push(t),
            // Only the last line can be torn; anywhere else it is corruption worth reporting.
            Err(_) if i + 1 == lines.len() => {}
            Err(e) => {
                return Err(KilnError::Data(format!(
                    "{}:{}: not a trial line: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(utc_compact(0), "19700101T000000Z");
        // 2026-11-24 14:35:01 UTC
        assert_eq!(utc_iso(1_795_530_901), "2026-11-24T14:35:01Z");
        let id = new_run_id("x");
        assert_eq!(id.len(), "20261124T143501Z-3f9a2c".len());
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = std::env::temp_dir().join(format!("kiln-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.json");
        atomic_write(&f, b"one").unwrap();
        atomic_write(&f, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "two");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
