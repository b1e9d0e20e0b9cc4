//! Input drift: how far the rows served recently have moved from the rows the model was trained on,
//! per input column, as the population stability index (PSI) over a sliding window of rows.
//!
//! Bins are the training reference's in model.json: for a number, the training deciles (binned with
//! `artifact::numeric_bin`, as the reference was) plus a bin for missing values; for a category, each
//! training category, one bin for categories training never saw, and one for missing values.
//! PSI = sum over bins of (a - e) * ln(a / e), a and e the window's and training's shares, each
//! floored at `FLOOR` so that an empty bin counts as rare rather than impossible. The usual reading:
//! below 0.1 stable, 0.1 to 0.2 some shift, above `ALERT` (0.2) a shift worth a look.

use crate::artifact::{numeric_bin, DriftReference};
use crate::data::{Column, ColumnData, MISSING_CODE};
use std::collections::HashMap;

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

enum Binner {
    /// Inner decile edges; bins 0..=edges.len() are values, the next one missing values.
    Numeric { edges: Vec<f64> },
    /// Bins 0..n are the training categories, n unseen ones, n + 1 missing values.
    Categorical { index: HashMap<String, u32> },
}

struct ColumnDrift {
    name: String,
    binner: Binner,
    /// Training shares per bin.
    expected: Vec<f64>,
    /// Rows of the window per bin.
    counts: Vec<u64>,
}

impl ColumnDrift {
    fn new(reference: &DriftReference) -> Self {
        match reference {
            DriftReference::Numeric {
                name,
                edges,
                shares,
                missing,
            } => {
                let mut expected = shares.clone();
                expected.push(*missing);
                ColumnDrift {
                    name: name.clone(),
                    counts: vec![0; expected.len()],
                    expected,
                    binner: Binner::Numeric {
                        edges: edges.clone(),
                    },
                }
            }
            DriftReference::Categorical {
                name,
                categories,
                shares,
                missing,
            } => {
                let mut expected = shares.clone();
                expected.push(0.0);
                expected.push(*missing);
                ColumnDrift {
                    name: name.clone(),
                    counts: vec![0; expected.len()],
                    expected,
                    binner: Binner::Categorical {
                        index: categories
                            .iter()
                            .enumerate()
                            .map(|(i, c)| (c.clone(), i as u32))
                            .collect(),
                    },
                }
            }
        }
    }

    /// The bin of every row of `col`.
    fn bins(&self, col: &Column) -> Vec<u32> {
        let last = self.expected.len() as u32 - 1;
        match (&self.binner, &col.data) {
            (Binner::Numeric { edges }, ColumnData::Numeric(v)) => v
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        last
                    } else {
                        numeric_bin(edges, *x) as u32
                    }
                })
                .collect(),
            (Binner::Categorical { index }, ColumnData::Categorical { codes, dictionary }) => {
                let unseen = last - 1;
                let of_code: Vec<u32> = dictionary
                    .iter()
                    .map(|d| index.get(d).copied().unwrap_or(unseen))
                    .collect();
                codes
                    .iter()
                    .map(|c| {
                        if *c == MISSING_CODE {
                            last
                        } else {
                            of_code[*c as usize]
                        }
                    })
                    .collect()
            }
            // A column of the other kind cannot reach here (the input schema decides the kind);
            // counted as missing rather than trusted.
            _ => vec![last; col.len()],
        }
    }
}

/// One column's score.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftScore {
    pub column: String,
    pub psi: f64,
}

/// The sliding window: the bins of the last `capacity` rows of every monitored column.
pub struct DriftMonitor {
    columns: Vec<ColumnDrift>,
    capacity: usize,
    len: usize,
    /// The slot the next row goes to.
    next: usize,
    /// Row-major ring: slot s holds the bins of one row, `columns.len()` of them.
    ring: Vec<u32>,
}

impl DriftMonitor {
    pub fn new(references: &[DriftReference], capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let columns: Vec<ColumnDrift> = references.iter().map(ColumnDrift::new).collect();
        DriftMonitor {
            ring: vec![0; capacity * columns.len()],
            columns,
            capacity,
            len: 0,
            next: 0,
        }
    }

    /// Adds rows (the model's input columns, matched by name) to the window, pushing out the oldest.
    pub fn observe(&mut self, input: &[Column]) {
        let k = self.columns.len();
        if k == 0 {
            return;
        }
        let n = input.first().map_or(0, |c| c.len());
        let bins: Vec<Vec<u32>> = self
            .columns
            .iter()
            .map(|cd| match input.iter().find(|c| c.name == cd.name) {
                Some(col) => cd.bins(col),
                None => vec![cd.expected.len() as u32 - 1; n],
            })
            .collect();
        // Rows that would be pushed out by later rows of the same batch never enter.
        let skip = n.saturating_sub(self.capacity);
        for r in skip..n {
            let slot = &mut self.ring[self.next * k..(self.next + 1) * k];
            if self.len == self.capacity {
                for (cd, old) in self.columns.iter_mut().zip(slot.iter()) {
                    cd.counts[*old as usize] -= 1;
                }
            } else {
                self.len += 1;
            }
            for ((cd, b), cell) in self.columns.iter_mut().zip(&bins).zip(slot.iter_mut()) {
                *cell = b[r];
                cd.counts[b[r] as usize] += 1;
            }
            self.next = (self.next + 1) % self.capacity;
        }
    }

    /// Rows in the window now.
    pub fn rows(&self) -> usize {
        self.len
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Each column's PSI over the window (empty when the window is).
    pub fn scores(&self) -> Vec<DriftScore> {
        if self.len == 0 {
            return Vec::new();
        }
        self.columns
            .iter()
            .map(|cd| DriftScore {
                column: cd.name.clone(),
                psi: psi(&cd.counts, self.len as u64, &cd.expected),
            })
            .collect()
    }

    /// Whether any column's score is past `ALERT`, once the window holds enough rows to tell.
    pub fn alert(&self, scores: &[DriftScore]) -> bool {
        self.len >= self.capacity.min(MIN_ALERT_ROWS) && scores.iter().any(|s| s.psi > ALERT)
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
                data: ColumnData::Numeric(xs),
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
        let mut m = DriftMonitor::new(&reference(), 500);
        let xs: Vec<f64> = (0..500).map(|i| f64::from(i % 100)).collect();
        let cs: Vec<Option<&str>> = (0..500)
            .map(|i| Some(if i % 2 == 0 { "a" } else { "b" }))
            .collect();
        m.observe(&batch(xs, &cs));
        let calm = m.scores();
        assert!(calm.iter().all(|s| s.psi < 0.01), "{calm:?}");
        assert!(!m.alert(&calm));
        // 500 shifted rows replace the whole window: large values, unseen and missing categories.
        let xs: Vec<f64> = (0..500).map(|i| 150.0 + f64::from(i % 10)).collect();
        let cs: Vec<Option<&str>> = (0..500)
            .map(|i| if i % 2 == 0 { Some("zzz") } else { None })
            .collect();
        m.observe(&batch(xs, &cs));
        assert_eq!(m.rows(), 500);
        let shifted = m.scores();
        assert!(shifted.iter().all(|s| s.psi > 1.0), "{shifted:?}");
        assert!(m.alert(&shifted));
    }

    #[test]
    fn the_window_forgets_the_oldest_rows() {
        let mut m = DriftMonitor::new(&reference(), 3);
        for x in [1.0, 2.0, 3.0, 200.0, 200.0, 200.0] {
            m.observe(&batch(vec![x], &[Some("a")]));
        }
        assert_eq!(m.rows(), 3);
        let all_high = m.ring.iter().step_by(2).all(|b| *b == 9);
        assert!(all_high, "{:?}", m.ring);
        // A batch longer than the window keeps its last rows only.
        m.observe(&batch(vec![1.0, 1.0, 1.0, 1.0, 1.0], &[None; 5]));
        assert_eq!(m.columns[0].counts.iter().sum::<u64>(), 3);
        assert_eq!(m.columns[1].counts.last(), Some(&3));
    }
}
