//! Input drift: how far the rows served recently have moved from the rows the model was trained on,
//! per input column, as the population stability index (PSI) over a sliding window of rows.
//!
//! Bins are the training reference's in model.json: for a number, the training deciles (binned with
//! `artifact::numeric_bin`, as the reference was) plus a bin for missing values; for a category, each
//! training category, one bin for categories training never saw, and one for missing values.
//! PSI = sum over bins of (a - e) * ln(a / e), a and e the window's and training's shares, each
//! floored at `FLOOR` so that an empty bin counts as rare rather than impossible. The usual reading:
//! below 0.1 stable, 0.1 to 0.2 some shift, above `ALERT` (0.2) a shift worth a look.
//!
//! model.json is input like any other: [`check_tables`] (`DriftReference::shape_error`, which
//! `Artifact::load` applies too) refuses tables of inconsistent shape, and the monitor indexes with checks besides, so that no table can
//! make a request panic. Rows are binned outside the window's lock; the lock only guards the counts,
//! and a poisoned lock empties the window and goes on (drift never turns off for the process).

use super::prom::DriftView;
use crate::artifact::{numeric_bin, DriftReference};
use crate::data::{Column, ColumnData, MISSING_CODE};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// A PSI above this raises the alert.
pub const ALERT: f64 = 0.2;
/// The least share a bin counts with.
pub const FLOOR: f64 = 1e-4;
/// Rows the window must hold before the alert can rise: PSI over a handful of rows is noise.
pub const MIN_ALERT_ROWS: usize = 100;

/// The population stability index of `actual` counts (over `total` rows) against `expected` shares.
pub fn psi(actual: &[u64], total: u64, expected: &[f64]) -> f64 {
    let total = total.max(1) as f64;
    actual
        .iter()
        .zip(expected)
        .map(|(&count, &e)| {
            let a = (count as f64 / total).max(FLOOR);
            let e = e.max(FLOOR);
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// Checks that every drift table of a model is one the monitor can bin with (the rules are
/// `DriftReference::shape_error`'s, which `Artifact::load` applies too); the error names the column.
pub fn check_tables(references: &[DriftReference]) -> Result<(), String> {
    references.iter().try_for_each(|r| match r.shape_error() {
        Some(what) => Err(format!("the drift table of column `{}` {what}", r.name())),
        None => Ok(()),
    })
}

enum Binner {
    /// Inner decile edges; bins 0..=edges.len() are values, the next one missing values.
    Numeric { edges: Vec<f64> },
    /// Bins 0..n are the training categories, n unseen ones, n + 1 missing values.
    Categorical { index: HashMap<String, u32> },
}

/// How one column's values fall into bins, and the training share of each bin. Fixed once built,
/// so requests bin their rows without a lock.
struct ColumnBins {
    name: String,
    binner: Binner,
    /// Training shares per bin; the last bin is missing values.
    expected: Vec<f64>,
}

impl ColumnBins {
    /// The bins of a checked reference table (see [`check_tables`]).
    fn new(reference: &DriftReference) -> Result<Self, String> {
        check_tables(std::slice::from_ref(reference))?;
        Ok(match reference {
            DriftReference::Numeric {
                name,
                edges,
                shares,
                missing,
            } => ColumnBins {
                name: name.clone(),
                expected: shares.iter().copied().chain([*missing]).collect(),
                binner: Binner::Numeric {
                    edges: edges.clone(),
                },
            },
            DriftReference::Categorical {
                name,
                categories,
                shares,
                missing,
            } => ColumnBins {
                name: name.clone(),
                expected: shares.iter().copied().chain([0.0, *missing]).collect(),
                binner: Binner::Categorical {
                    index: categories
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.clone(), i as u32))
                        .collect(),
                },
            },
        })
    }

    /// The bin of missing values, the last one.
    fn missing_bin(&self) -> u32 {
        self.expected.len().saturating_sub(1) as u32
    }

    /// The bin of every row of `col`. A value no bin takes (which a checked table never leaves)
    /// counts as missing rather than indexing past the counts.
    fn bins(&self, col: &Column) -> Vec<u32> {
        let missing = self.missing_bin();
        let in_range = |b: usize| u32::try_from(b).ok().filter(|b| *b < missing);
        match (&self.binner, &col.data) {
            (Binner::Numeric { edges }, ColumnData::Numeric(v)) => v
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        missing
                    } else {
                        in_range(numeric_bin(edges, *x)).unwrap_or(missing)
                    }
                })
                .collect(),
            (Binner::Categorical { index }, ColumnData::Categorical { codes, dictionary }) => {
                let unseen = missing.saturating_sub(1);
                let of_code: Vec<u32> = dictionary
                    .iter()
                    .map(|d| index.get(d).copied().unwrap_or(unseen))
                    .collect();
                codes
                    .iter()
                    .map(|c| {
                        if *c == MISSING_CODE {
                            missing
                        } else {
                            of_code.get(*c as usize).copied().unwrap_or(missing)
                        }
                    })
                    .collect()
            }
            // A column of the other kind cannot reach here (the input schema decides the kind);
            // counted as missing rather than trusted.
            _ => vec![missing; col.len()],
        }
    }
}

/// One column's score.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftScore {
    pub column: String,
    pub psi: f64,
}

/// The sliding window: the bins of the last `capacity` rows of every monitored column, and how many
/// rows of the window fall in each bin.
struct Window {
    capacity: usize,
    len: usize,
    /// The slot the next row goes to.
    next: usize,
    /// Row-major ring: slot s holds the bins of one row, one per column.
    ring: Vec<u32>,
    /// Per column, rows of the window per bin.
    counts: Vec<Vec<u64>>,
}

impl Window {
    /// Forgets every row (after a panic left the counts in doubt).
    fn clear(&mut self) {
        self.len = 0;
        self.next = 0;
        self.counts.iter_mut().for_each(|c| c.fill(0));
    }

    /// Adds one row's bins (one per column), pushing out the oldest row when full.
    fn push(&mut self, row: impl Iterator<Item = u32>) {
        let k = self.counts.len();
        let Some(slot) = self.ring.get_mut(self.next * k..(self.next + 1) * k) else {
            return;
        };
        let full = self.len == self.capacity;
        for ((counts, cell), bin) in self.counts.iter_mut().zip(slot.iter_mut()).zip(row) {
            if full {
                if let Some(c) = counts.get_mut(*cell as usize) {
                    *c = c.saturating_sub(1);
                }
            }
            *cell = bin;
            if let Some(c) = counts.get_mut(bin as usize) {
                *c += 1;
            }
        }
        if !full {
            self.len += 1;
        }
        self.next = (self.next + 1) % self.capacity;
    }
}

/// The drift monitor of a server: the bins (fixed) and the window (behind a lock).
pub struct DriftMonitor {
    columns: Vec<ColumnBins>,
    capacity: usize,
    window: Mutex<Window>,
}

impl DriftMonitor {
    /// The monitor of a model's drift tables over a window of `capacity` rows; an error names a
    /// table the monitor cannot use, or a window that does not fit in memory.
    pub fn new(references: &[DriftReference], capacity: usize) -> Result<Self, String> {
        let capacity = capacity.max(1);
        let columns = references
            .iter()
            .map(ColumnBins::new)
            .collect::<Result<Vec<_>, _>>()?;
        let cells = capacity.checked_mul(columns.len());
        let mut ring = Vec::new();
        if cells.is_none_or(|n| ring.try_reserve_exact(n).is_err()) {
            return Err(format!(
                "a drift window of {capacity} rows of {} columns does not fit in memory; lower --drift-window",
                columns.len()
            ));
        }
        ring.resize(cells.unwrap_or(0), 0);
        let window = Window {
            capacity,
            len: 0,
            next: 0,
            ring,
            counts: columns.iter().map(|c| vec![0; c.expected.len()]).collect(),
        };
        Ok(DriftMonitor {
            columns,
            capacity,
            window: Mutex::new(window),
        })
    }

    /// The window, locked. A panic while it was held may have left the counts half updated: the
    /// window is then emptied and monitoring goes on with the rows that come next.
    fn window(&self) -> MutexGuard<'_, Window> {
        match self.window.lock() {
            Ok(w) => w,
            Err(poisoned) => {
                let mut w = poisoned.into_inner();
                w.clear();
                self.window.clear_poison();
                w
            }
        }
    }

    /// Adds rows (the model's input columns, matched by name) to the window, pushing out the oldest.
    /// The rows are binned before the lock is taken.
    pub fn observe(&self, input: &[Column]) {
        if self.columns.is_empty() {
            return;
        }
        let n = input.first().map_or(0, |c| c.len());
        let bins: Vec<Vec<u32>> = self
            .columns
            .iter()
            .map(|cb| match input.iter().find(|c| c.name == cb.name) {
                Some(col) => cb.bins(col),
                None => vec![cb.missing_bin(); n],
            })
            .collect();
        // Rows that would be pushed out by later rows of the same batch never enter.
        let skip = n.saturating_sub(self.capacity);
        let mut window = self.window();
        for r in skip..n {
            let row = bins.iter().map(|b| b.get(r).copied().unwrap_or(u32::MAX));
            window.push(row);
        }
    }

    /// Rows in the window now.
    pub fn rows(&self) -> usize {
        self.window().len
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The window's row count and counts, copied under the lock so that scoring happens after it.
    fn snapshot(&self) -> (usize, Vec<Vec<u64>>) {
        let w = self.window();
        (w.len, w.counts.clone())
    }

    /// Each column's PSI over the window (empty when the window is).
    pub fn scores(&self) -> Vec<DriftScore> {
        let (len, counts) = self.snapshot();
        self.scores_of(len, &counts)
    }

    fn scores_of(&self, len: usize, counts: &[Vec<u64>]) -> Vec<DriftScore> {
        if len == 0 {
            return Vec::new();
        }
        self.columns
            .iter()
            .zip(counts)
            .map(|(cb, c)| DriftScore {
                column: cb.name.clone(),
                psi: psi(c, len as u64, &cb.expected),
            })
            .collect()
    }

    /// Whether any column's score is past `ALERT`, once the window (of `rows` rows) holds enough
    /// rows to tell.
    fn alert(&self, rows: usize, scores: &[DriftScore]) -> bool {
        rows >= self.capacity.min(MIN_ALERT_ROWS) && scores.iter().any(|s| s.psi > ALERT)
    }

    /// What /metrics shows: the scores, the window's fill and the alert, from one look at the window.
    pub fn view(&self) -> DriftView {
        let (len, counts) = self.snapshot();
        let scores = self.scores_of(len, &counts);
        DriftView {
            alert: self.alert(len, &scores),
            scores,
            window_rows: len,
            window_capacity: self.capacity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::encode_text;

    fn reference() -> Vec<DriftReference> {
        let x = Column {
            name: "x".into(),
            data: ColumnData::Numeric((0..1000).map(|i| f64::from(i % 100)).collect()),
        };
        let labels: Vec<Option<String>> = (0..1000)
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }.to_string()))
            .collect();
        let (codes, dictionary) = encode_text(&labels);
        let c = Column {
            name: "c".into(),
            data: ColumnData::Categorical { codes, dictionary },
        };
        let rows: Vec<usize> = (0..1000).collect();
        vec![
            DriftReference::fit(&x, &rows),
            DriftReference::fit(&c, &rows),
        ]
    }

    fn batch(xs: Vec<f64>, cs: &[Option<&str>]) -> Vec<Column> {
        let labels: Vec<Option<String>> = cs.iter().map(|c| c.map(str::to_string)).collect();
        let (codes, dictionary) = encode_text(&labels);
        vec![
            Column {
                name: "x".into(),
                data: ColumnData::Numeric(xs.into()),
            },
            Column {
                name: "c".into(),
                data: ColumnData::Categorical { codes, dictionary },
            },
        ]
    }

    #[test]
    fn psi_is_zero_for_the_same_shares_and_grows_with_the_shift() {
        assert!(psi(&[50, 50], 100, &[0.5, 0.5]).abs() < 1e-12);
        let small = psi(&[55, 45], 100, &[0.5, 0.5]);
        let large = psi(&[90, 10], 100, &[0.5, 0.5]);
        assert!(0.0 < small && small < large, "{small} {large}");
        // A bin training never filled is floored, not infinite.
        assert!(psi(&[0, 100], 100, &[1.0, 0.0]).is_finite());
    }

    #[test]
    fn training_like_rows_stay_low_and_shifted_rows_alert() {
        let m = DriftMonitor::new(&reference(), 500).unwrap();
        let xs: Vec<f64> = (0..500).map(|i| f64::from(i % 100)).collect();
        let cs: Vec<Option<&str>> = (0..500)
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        m.observe(&batch(xs, &cs));
        let calm = m.scores();
        assert!(calm.iter().all(|s| s.psi < 0.01), "{calm:?}");
        assert!(!m.view().alert);
        // 500 shifted rows replace the whole window: large values, unseen and missing categories.
        let xs: Vec<f64> = (0..500).map(|i| 150.0 + f64::from(i % 10)).collect();
        let cs: Vec<Option<&str>> = (0..500)
            .map(|i| if i % 2 == 0 { Some("zzz") } else { None })
            .collect();
        m.observe(&batch(xs, &cs));
        assert_eq!(m.rows(), 500);
        let shifted = m.scores();
        assert!(shifted.iter().all(|s| s.psi > 1.0), "{shifted:?}");
        assert!(m.view().alert);
    }

    #[test]
    fn the_window_forgets_the_oldest_rows() {
        let m = DriftMonitor::new(&reference(), 3).unwrap();
        for x in [1.0, 2.0, 3.0, 200.0, 200.0, 200.0] {
            m.observe(&batch(vec![x], &[Some("a")]));
        }
        assert_eq!(m.rows(), 3);
        let ring = m.window().ring.clone();
        assert!(ring.iter().step_by(2).all(|b| *b == 9), "{ring:?}");
        // A batch longer than the window keeps its last rows only.
        m.observe(&batch(vec![1.0, 1.0, 1.0, 1.0, 1.0], &[None; 5]));
        assert_eq!(m.window().counts[0].iter().sum::<u64>(), 3);
        assert_eq!(m.window().counts[1].last(), Some(&3));
    }

    /// A reference with one field replaced.
    fn numeric(edges: Vec<f64>, shares: Vec<f64>, missing: f64) -> DriftReference {
        DriftReference::Numeric {
            name: "x".into(),
            edges,
            shares,
            missing,
        }
    }

    fn categorical(categories: &[&str], shares: Vec<f64>) -> DriftReference {
        DriftReference::Categorical {
            name: "c".into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            shares,
            missing: 0.0,
        }
    }

    #[test]
    fn tables_of_inconsistent_shape_are_refused_naming_the_column() {
        assert_eq!(check_tables(&reference()), Ok(()));
        let cases = [
            (
                numeric(vec![1.0, 2.0], vec![0.5, 0.5], 0.0),
                "2 shares for 2 edges; it needs 3",
            ),
            (
                numeric(vec![1.0], vec![0.2, 0.3, 0.5], 0.0),
                "3 shares for 1 edges",
            ),
            (
                numeric(vec![2.0, 1.0], vec![0.3, 0.3, 0.4], 0.0),
                "out of order (2 then 1)",
            ),
            (numeric(vec![f64::NAN], vec![0.5, 0.5], 0.0), "an edge NaN"),
            (numeric(vec![1.0], vec![0.5, -0.5], 0.0), "a share -0.5"),
            (numeric(vec![1.0], vec![0.5, 0.5], f64::NAN), "a share NaN"),
            (numeric(vec![1.0], vec![0.7, 0.7], 0.0), "summing to 1.4"),
            (
                categorical(&["a", "b"], vec![1.0]),
                "1 shares for 2 categories",
            ),
            (
                categorical(&["a", "a"], vec![0.5, 0.5]),
                "the category `a` twice",
            ),
        ];
        for (table, expected) in cases {
            let e = check_tables(std::slice::from_ref(&table)).unwrap_err();
            assert!(e.contains(expected), "{e}");
            assert!(e.contains(&format!("column `{}`", table.name())), "{e}");
            // The monitor refuses the table too instead of panicking on the first row.
            assert!(DriftMonitor::new(&[table], 10).is_err());
        }
    }

    #[test]
    fn a_window_too_large_for_memory_is_an_error_not_an_abort() {
        let e = DriftMonitor::new(&reference(), usize::MAX).err().unwrap();
        assert!(e.contains("--drift-window"), "{e}");
    }

    #[test]
    fn a_poisoned_lock_empties_the_window_and_drift_goes_on() {
        let m = DriftMonitor::new(&reference(), 10).unwrap();
        m.observe(&batch(vec![1.0, 2.0], &[Some("a"), Some("b")]));
        std::thread::scope(|s| {
            let poisoner = s.spawn(|| {
                let _held = m.window.lock().unwrap();
                panic!("a panic while the window is locked");
            });
            assert!(poisoner.join().is_err());
        });
        assert!(m.window.is_poisoned());
        assert_eq!(m.rows(), 0, "the counts in doubt are forgotten");
        m.observe(&batch(vec![3.0], &[Some("a")]));
        assert_eq!(m.rows(), 1);
        assert_eq!(m.scores().len(), 2);
        assert!(!m.window.is_poisoned());
    }
}
