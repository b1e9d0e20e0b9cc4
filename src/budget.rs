//! The memory budget of a run: before any design matrix is built, `kiln run` estimates the bytes the
//! search's design matrices will take and refuses, with the estimate, the budget and how to raise it,
//! a run that would not fit, rather than be killed by the system halfway through.
//!
//! The estimate: every distinct preprocessing of the grid (impute, encode, scale settings) makes one
//! design per fold: the fold's training and validation rows (together, every cross-validation row)
//! times 8 bytes for each dense output column (numeric columns, missing-value indicators, ordinal
//! codes) and 4 bytes for each one-hot encoded input (its category slot). When a candidate's model
//! needs the dense matrix (see `ModelSpec::reads_slots`), the one-hot columns count 8 bytes each
//! as well. The executor shares a design among the candidates of
//! one preprocessing and drops it when the last of them is done; it works fold by fold, so the
//! designs of every preprocessing of at most two folds (one with a single thread) are held at once.
//! The models' own working memory comes on top; the default budget leaves room for it.
//!
//! The budget: `--memory-budget SIZE`, else the environment variable `KILN_MEMORY_BUDGET`, else 75%
//! of the machine's memory (MemTotal in /proc/meminfo), else 8 GiB. SIZE is bytes, or a number with
//! k, m, g or t (KiB, MiB, GiB, TiB), as `512m` or `8g`.

use crate::config::{Candidate, EncodeMethod};
use crate::data::{ColumnData, Dataset, MISSING_CODE};
use crate::error::{KilnError, Result};
use crate::run::Prepared;

/// The environment variable that sets the budget when `--memory-budget` is not given.
pub const ENV: &str = "KILN_MEMORY_BUDGET";
/// The budget when the machine's memory cannot be read.
pub const FALLBACK: u64 = 8 << 30;

/// Where the budget came from, for the message that refuses a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    Flag,
    Env,
    /// 75% of MemTotal.
    Memory,
    Fallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub bytes: u64,
    pub source: BudgetSource,
}

/// "8g", "512m", "64k", "1.5g", "8GiB", "1000000" -> bytes.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (digits, unit) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'm')) => (&t[..i], 1 << 20),
        Some((i, 'g')) => (&t[..i], 1 << 30),
        Some((i, 't')) => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let bad =
        || format!("`{text}` is not a size: give bytes, or a number with k, m, g or t, as 8g");
    let n: f64 = digits.trim().parse().map_err(|_| bad())?;
    let bytes = n * unit as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// The clap parser of `--memory-budget`.
pub fn parse_size_arg(text: &str) -> std::result::Result<u64, String> {
    parse_size(text)
}

/// MemTotal from the text of /proc/meminfo, in bytes.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut parts = line["MemTotal:".len()..].split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// The budget: the flag's, else the environment's, else 75% of the machine's memory, else 8 GiB.
pub fn resolve(flag: Option<u64>) -> Result<Budget> {
    if let Some(bytes) = flag {
        return Ok(Budget {
            bytes,
            source: BudgetSource::Flag,
        });
    }
    if let Ok(text) = std::env::var(ENV) {
        let bytes = parse_size(&text).map_err(|e| KilnError::Config(format!("{ENV}: {e}")))?;
        return Ok(Budget {
            bytes,
            source: BudgetSource::Env,
        });
    }
    Ok(default_budget(
        std::fs::read_to_string("/proc/meminfo").ok().as_deref(),
    ))
}

/// 75% of MemTotal from the given /proc/meminfo text, or `FALLBACK`.
pub fn default_budget(meminfo: Option<&str>) -> Budget {
    match meminfo.and_then(mem_total) {
        Some(total) if total > 0 => Budget {
            bytes: total / 4 * 3,
            source: BudgetSource::Memory,
        },
        _ => Budget {
            bytes: FALLBACK,
            source: BudgetSource::Fallback,
        },
    }
}

/// What the design matrices of a search will take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// Cross-validation rows: every design holds each of them once (training or validation).
    pub rows: usize,
    /// Output columns of the widest preprocessing.
    pub max_columns: usize,
    /// Designs held at once.
    pub matrices: usize,
    pub bytes: u64,
}

/// The output columns `candidate`'s preprocessing makes from `ds`'s features (an upper bound:
/// categories and gaps are counted over every row, not a fold's training rows).
pub fn output_columns(candidate: &Candidate, ds: &Dataset) -> usize {
    let w = widths(candidate, ds);
    w.dense + w.one_hot
}

/// A preprocessing's output, by how it is stored.
struct Widths {
    /// Dense columns (8 bytes a row each).
    dense: usize,
    /// One-hot encoded inputs (a 4-byte slot a row each)...
    blocks: usize,
    /// ...and the columns they stand for.
    one_hot: usize,
}

fn widths(candidate: &Candidate, ds: &Dataset) -> Widths {
    let p = &candidate.pipeline;
    let mut w = Widths {
        dense: 0,
        blocks: 0,
        one_hot: 0,
    };
    for c in &ds.features {
        match &c.data {
            ColumnData::Numeric(v) => {
                w.dense += 1 + usize::from(p.impute.indicator && v.iter().any(|x| x.is_nan()))
            }
            ColumnData::Categorical { codes, dictionary } => match p.encode.method {
                EncodeMethod::Ordinal => w.dense += 1,
                EncodeMethod::OneHot => {
                    // A filled gap may add its fill value as a category of its own.
                    let n = dictionary.len() + usize::from(codes.contains(&MISSING_CODE));
                    w.blocks += 1;
                    w.one_hot += match p.encode.max_categories {
                        Some(m) if n > m => m,
                        _ => n,
                    };
                }
            },
        }
    }
    w
}

/// The estimate for a search of `candidates` over `cv_rows` rows in `folds` folds on `threads` threads.
pub fn estimate(
    candidates: &[Candidate],
    ds: &Dataset,
    cv_rows: usize,
    folds: usize,
    threads: usize,
) -> Estimate {
    // Per preprocessing: (key, output columns, bytes a row).
    let mut groups: Vec<(String, usize, u64)> = Vec::new();
    for c in candidates {
        let key = c.pipeline.preprocessing_key();
        let w = widths(c, ds);
        let dense_copy = !c.pipeline.model.reads_slots(c.pipeline.task);
        let row_bytes = 8 * w.dense as u64
            + 4 * w.blocks as u64
            + if dense_copy { 8 * w.one_hot as u64 } else { 0 };
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some(g) => g.2 = g.2.max(row_bytes),
            None => groups.push((key, w.dense + w.one_hot, row_bytes)),
        }
    }
    let folds_at_once = if threads > 1 { folds.min(2) } else { 1 };
    let row_bytes: u64 = groups.iter().map(|(_, _, b)| *b).sum();
    let bytes = (cv_rows as u64)
        .saturating_mul(row_bytes)
        .saturating_mul(folds_at_once as u64);
    Estimate {
        rows: cv_rows,
        max_columns: groups.iter().map(|(_, c, _)| *c).max().unwrap_or(0),
        matrices: groups.len() * folds_at_once,
        bytes,
    }
}

/// Checks a prepared run against the budget (`flag`: `--memory-budget`; `jobs`: `--jobs`).
pub fn check_run(prepared: &Prepared, flag: Option<u64>, jobs: Option<usize>) -> Result<()> {
    let threads =
        jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let need = estimate(
        &prepared.loaded.candidates,
        &prepared.dataset,
        prepared.train_rows.len(),
        prepared.splits.len(),
        threads,
    );
    check(&need, resolve(flag)?)
}

/// Refuses an estimate over the budget, with both figures and how to raise the budget.
pub fn check(estimate: &Estimate, budget: Budget) -> Result<()> {
    if estimate.bytes <= budget.bytes {
        return Ok(());
    }
    let whose = match budget.source {
        BudgetSource::Flag => "--memory-budget".to_string(),
        BudgetSource::Env => ENV.to_string(),
        BudgetSource::Memory => "the default: 75% of this machine's memory".to_string(),
        BudgetSource::Fallback => "the default".to_string(),
    };
    Err(KilnError::Data(format!(
        "the design matrices would need about {} ({} rows x {} columns x 8 bytes x {} matrices held \
         at once), over the memory budget of {} ({whose}); raise it with --memory-budget SIZE \
         (as --memory-budget 16g) or {ENV}=SIZE, or make the design smaller: fewer columns \
         (`data.drop`, `encode.max_categories`) or fewer preprocessing variants in the grid",
        show_bytes(estimate.bytes),
        estimate.rows,
        estimate.max_columns,
        estimate.matrices,
        show_bytes(budget.bytes),
    )))
}

/// 1536 -> "1.5 KiB".
pub fn show_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("8gb"), Ok(8 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size(" 4096 "), Ok(4096));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
        for bad in ["", "g", "-1g", "0", "lots", "1e400", "nan", "8x"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("lots")
            .unwrap_err()
            .contains("`lots` is not a size"));
    }

    #[test]
    fn default_is_three_quarters_of_memtotal() {
        let meminfo = "MemTotal:       16384000 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(16_384_000 * 1024));
        let b = default_budget(Some(meminfo));
        assert_eq!(b.bytes, 16_384_000 * 1024 / 4 * 3);
        assert_eq!(b.source, BudgetSource::Memory);
        let b = default_budget(None);
        assert_eq!((b.bytes, b.source), (FALLBACK, BudgetSource::Fallback));
        assert_eq!(default_budget(Some("garbage")).bytes, FALLBACK);
    }

    #[test]
    fn the_flag_comes_first() {
        let b = resolve(Some(1 << 20)).unwrap();
        assert_eq!((b.bytes, b.source), (1 << 20, BudgetSource::Flag));
    }

    #[test]
    fn over_budget_names_the_estimate_the_budget_and_the_way_out() {
        let e = Estimate {
            rows: 2344,
            max_columns: 310,
            matrices: 2,
            bytes: 2344 * 310 * 8 * 2,
        };
        let small = Budget {
            bytes: 1 << 20,
            source: BudgetSource::Flag,
        };
        let msg = check(&e, small).unwrap_err().to_string();
        assert!(msg.contains("about 11.1 MiB"), "{msg}");
        assert!(
            msg.contains("2344 rows x 310 columns x 8 bytes x 2 matrices"),
            "{msg}"
        );
        assert!(
            msg.contains("memory budget of 1.0 MiB (--memory-budget)"),
            "{msg}"
        );
        assert!(msg.contains("KILN_MEMORY_BUDGET"), "{msg}");
        let big = Budget {
            bytes: 1 << 30,
            source: BudgetSource::Memory,
        };
        assert!(check(&e, big).is_ok());
        assert_eq!(show_bytes(100), "100 bytes");
        assert_eq!(show_bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn estimate_counts_one_hot_columns_per_preprocessing() {
        use crate::data::{encode_text, Column};
        let text: Vec<Option<String>> = (0..10)
            .map(|i| (i != 3).then(|| format!("c{}", i % 4)))
            .collect();
        let (codes, dictionary) = encode_text(&text);
        let ds = Dataset {
            features: vec![
                Column {
                    name: "x".into(),
                    data: ColumnData::Numeric(
                        (0..10)
                            .map(|i| if i == 0 { f64::NAN } else { i as f64 })
                            .collect(),
                    ),
                },
                Column {
                    name: "c".into(),
                    data: ColumnData::Categorical { codes, dictionary },
                },
            ],
            target: None,
            fold_ids: None,
            groups: None,
            file_rows: 10,
            file_columns: 2,
            dropped_missing_target: 0,
            dropped_missing_features: 0,
            warnings: Vec::new(),
        };
        let text =
            "[pipeline]\ntask = 'clustering'\n[data]\npath = 'x.csv'\n[model]\ntype = 'kmeans'\n\
                    [impute]\nindicator = true\n[grid]\nencode.method = ['one_hot', 'ordinal']\n\
                    model.n_clusters = [2, 3]\n";
        let loaded =
            crate::config::load_str(std::path::Path::new("p.toml"), text.into(), &[]).unwrap();
        // one_hot: x, x__missing, 4 categories + the fill = 7; ordinal: x, x__missing, c = 3.
        assert_eq!(output_columns(&loaded.candidates[0], &ds), 7);
        assert_eq!(output_columns(&loaded.candidates[2], &ds), 3);
        let e = estimate(&loaded.candidates, &ds, 8, 5, 4);
        assert_eq!(e.matrices, 4, "2 preprocessings x 2 folds");
        // kmeans reads the dense matrix: under one_hot the slot (4 bytes) and its dense copy, all
        // 7 columns at 8 bytes; ordinal, 3 columns at 8 bytes.
        assert_eq!(e.bytes, 8 * ((4 + 7 * 8) + 3 * 8) * 2);
        // A tree reads the one-hot slots: x and x__missing at 8 bytes, c's slot at 4.
        let trees = "[pipeline]\ntask = 'regression'\n[data]\npath = 'x.csv'\ntarget = 'y'\n\
                     [model]\ntype = 'decision_tree'\n[impute]\nindicator = true\n[grid]\n\
                     encode.method = ['one_hot', 'ordinal']\nmodel.max_depth = [2, 3]\n";
        let trees =
            crate::config::load_str(std::path::Path::new("p.toml"), trees.into(), &[]).unwrap();
        let e = estimate(&trees.candidates, &ds, 8, 5, 4);
        assert_eq!(e.bytes, 8 * ((8 + 8 + 4) + 3 * 8) * 2);
        assert_eq!(e.max_columns, 7);
        let e = estimate(&loaded.candidates, &ds, 8, 5, 1);
        assert_eq!(e.matrices, 2, "one thread: one fold at a time");
    }
}
