//! Gradient histograms: per column and bin, the sums of the gradients and hessians of a node's rows
//! and how many rows there are. One histogram set is built row by row for the smaller child of a
//! split; the larger child's is its parent's minus it, as scikit-learn does.
//!
//! A column has as many slots as it has bins (its value bins, then its missing bin), so a 0/1
//! column costs 3 slots, not 256. A one-hot block is summed in one pass over the rows into one
//! slot per category; each of its columns then takes its category's slot as bin 1 and the rest of
//! the node as bin 0.
//!
//! The gradients of a node's rows are first copied into row order ("ordered gradients", as
//! scikit-learn and LightGBM do), so each column's pass reads its bins by row index and the
//! gradients in sequence. Groups (a dense column, a bundle) are built in parallel, each by one
//! thread adding its rows in order: every sum has one fixed order whatever the thread count, so
//! results are identical for any `--jobs`.

use super::binning::{BinMapper, Binned, Column};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::Arc;

/// Below this many rows a node's histograms are built on the calling thread.
const PARALLEL_ROWS: usize = 16_384;

/// One histogram slot.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Slot {
    pub sum_gradients: f64,
    pub sum_hessians: f64,
    pub count: u32,
}

impl Slot {
    fn plus(&self, other: &Slot) -> Slot {
        Slot {
            sum_gradients: self.sum_gradients + other.sum_gradients,
            sum_hessians: self.sum_hessians + other.sum_hessians,
            count: self.count + other.count,
        }
    }

    fn minus(&self, other: &Slot) -> Slot {
        Slot {
            sum_gradients: self.sum_gradients - other.sum_gradients,
            sum_hessians: self.sum_hessians - other.sum_hessians,
            count: self.count - other.count,
        }
    }
}

/// The gradients and hessians the histograms sum, one per training row (f32, as scikit-learn
/// stores them). `hessians` is None when the hessian is the same constant for every row (squared
/// error): then the row count stands for the hessian sum.
#[derive(Debug, Clone, Copy)]
pub struct Gradients<'a> {
    pub gradients: &'a [f32],
    pub hessians: Option<&'a [f32]>,
}

/// What is built in one pass over a node's rows.
#[derive(Debug, Clone, PartialEq)]
enum Group {
    Dense {
        dense: usize,
    },
    /// A one-hot bundle and the (consecutive) columns it stands for.
    Bundle {
        bundle: usize,
        columns: Range<usize>,
    },
}

/// Where each column's slots are in a histogram set: the same for every node of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Column j's slots are offsets[j]..offsets[j + 1].
    offsets: Vec<usize>,
    /// Each group with its first column.
    groups: Vec<(usize, Group)>,
}

impl Layout {
    pub fn new(mapper: &BinMapper, binned: &Binned) -> Arc<Self> {
        let mut offsets = vec![0];
        for j in 0..binned.n_cols() {
            offsets.push(offsets[j] + mapper.n_slots(j));
        }
        let mut groups = Vec::new();
        let mut j = 0;
        while j < binned.n_cols() {
            match binned.columns[j] {
                Column::Dense(dense) => {
                    groups.push((j, Group::Dense { dense }));
                    j += 1;
                }
                Column::Member { bundle, .. } => {
                    let width = binned.bundles[bundle].width;
                    groups.push((
                        j,
                        Group::Bundle {
                            bundle,
                            columns: j..j + width,
                        },
                    ));
                    j += width;
                }
            }
        }
        Arc::new(Layout { offsets, groups })
    }

    fn n_slots(&self) -> usize {
        self.offsets[self.offsets.len() - 1]
    }
}

/// Every column's histogram, column after column.
#[derive(Debug, Clone, PartialEq)]
pub struct Histograms {
    layout: Arc<Layout>,
    slots: Vec<Slot>,
}

impl Histograms {
    /// Column j's slots: its value bins, then its missing bin.
    pub fn column(&self, j: usize) -> &[Slot] {
        &self.slots[self.layout.offsets[j]..self.layout.offsets[j + 1]]
    }

    /// The histograms of `rows` (ascending indices into the training rows), built from scratch.
    pub fn build(layout: &Arc<Layout>, binned: &Binned, rows: &[u32], g: Gradients) -> Self {
        // Rows stay in training order through every split, so a node of every row is the root,
        // whose gradients are already in row order.
        let all = rows.len() == binned.n_rows;
        let ordered_g: Vec<f32>;
        let ordered_h: Vec<f32>;
        let order = if all {
            Order {
                rows: None,
                gradients: g.gradients,
                hessians: g.hessians,
            }
        } else {
            ordered_g = rows.iter().map(|&r| g.gradients[r as usize]).collect();
            ordered_h = match g.hessians {
                Some(h) => rows.iter().map(|&r| h[r as usize]).collect(),
                None => Vec::new(),
            };
            Order {
                rows: Some(rows),
                gradients: &ordered_g,
                hessians: g.hessians.map(|_| &ordered_h[..]),
            }
        };
        let mut slots = vec![Slot::default(); layout.n_slots()];
        // Each group's slots, cut from the set in order.
        let mut parts: Vec<(&Group, &mut [Slot])> = Vec::with_capacity(layout.groups.len());
        let mut rest = &mut slots[..];
        for (k, (first, group)) in layout.groups.iter().enumerate() {
            let end = match layout.groups.get(k + 1) {
                Some((next, _)) => layout.offsets[*next],
                None => layout.n_slots(),
            };
            let (part, tail) = rest.split_at_mut(end - layout.offsets[*first]);
            parts.push((group, part));
            rest = tail;
        }
        let fill = |(group, out): (&Group, &mut [Slot])| match group {
            Group::Dense { dense } => accumulate(out, binned.dense_col(*dense), &order),
            Group::Bundle { bundle, columns } => {
                let codes = &binned.bundles[*bundle].codes;
                let width = binned.bundles[*bundle].width;
                let mut by_code = vec![Slot::default(); width + 1];
                accumulate(&mut by_code, codes, &order);
                spread_bundle(out, &by_code, columns.clone(), layout, binned);
            }
        };
        // A small node's groups take less time than waking a thread for them.
        if rows.len() >= PARALLEL_ROWS {
            parts.into_par_iter().for_each(fill);
        } else {
            parts.into_iter().for_each(fill);
        }
        Histograms {
            layout: Arc::clone(layout),
            slots,
        }
    }

    /// The sibling's histograms: `parent` minus `self` (the child that was built).
    pub fn sibling(&self, parent: &Histograms) -> Histograms {
        let slots = parent
            .slots
            .iter()
            .zip(&self.slots)
            .map(|(p, c)| p.minus(c))
            .collect();
        Histograms {
            layout: Arc::clone(&self.layout),
            slots,
        }
    }
}

/// A node's rows and their gradients in row order: `gradients[i]` belongs to row `rows[i]`, or to
/// row i when `rows` is None (the root).
struct Order<'a> {
    rows: Option<&'a [u32]>,
    gradients: &'a [f32],
    hessians: Option<&'a [f32]>,
}

/// Adds each row's gradient (and hessian) to the slot its key picks (its bin in a dense column,
/// its category code in a bundle), in row order.
#[inline]
fn accumulate<K: Copy + Into<u32>>(hist: &mut [Slot], keys: &[K], order: &Order) {
    let key = |i: usize| -> usize {
        match order.rows {
            Some(rows) => keys[rows[i] as usize].into() as usize,
            None => keys[i].into() as usize,
        }
    };
    match order.hessians {
        Some(h) => {
            for (i, (&g, &h)) in order.gradients.iter().zip(h).enumerate() {
                let s = &mut hist[key(i)];
                s.sum_gradients += g as f64;
                s.sum_hessians += h as f64;
                s.count += 1;
            }
        }
        None => {
            for (i, &g) in order.gradients.iter().enumerate() {
                let s = &mut hist[key(i)];
                s.sum_gradients += g as f64;
                s.count += 1;
            }
        }
    }
}

/// Each column of a bundle from its sums per code: bin 1 is the column's category, bin 0 the rest
/// of the node (everything, for a column that does not split); no missing values.
fn spread_bundle(
    out: &mut [Slot],
    by_code: &[Slot],
    columns: Range<usize>,
    layout: &Layout,
    binned: &Binned,
) {
    let total = by_code.iter().fold(Slot::default(), |t, s| t.plus(s));
    let base = layout.offsets[columns.start];
    for j in columns {
        let hist = &mut out[layout.offsets[j] - base..layout.offsets[j + 1] - base];
        match binned.columns[j] {
            Column::Member {
                code, splits: true, ..
            } => {
                let one = by_code[code as usize];
                hist[0] = total.minus(&one);
                hist[1] = one;
            }
            _ => hist[0] = total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::{Design, OneHotBlock, NO_SLOT};
    use crate::matrix::Matrix;
    use crate::rng::Rng;
    use rand::SeedableRng;

    fn mapper_of(thresholds: Vec<Vec<f64>>) -> BinMapper {
        let n = thresholds.len();
        BinMapper {
            thresholds,
            is_categorical: vec![false; n],
        }
    }

    #[test]
    fn the_sibling_by_subtraction_equals_the_sibling_built() {
        let binned = Binned::from_dense(
            6,
            vec![0, 1, 1, 2, 0, 3, 3, 3, 0, 1, 2, 0],
            vec![false, false],
        );
        let m = mapper_of(vec![vec![1.0, 2.0, 3.0], vec![1.0, 2.0, 3.0]]);
        let layout = Layout::new(&m, &binned);
        let gradients = [0.5f32, -1.0, 2.0, 0.25, -0.75, 1.5];
        let hessians = [1.0f32, 0.5, 0.25, 2.0, 1.0, 0.5];
        let g = Gradients {
            gradients: &gradients,
            hessians: Some(&hessians),
        };
        let parent = Histograms::build(&layout, &binned, &[0, 1, 2, 3, 4, 5], g);
        let left = Histograms::build(&layout, &binned, &[1, 4], g);
        let right = Histograms::build(&layout, &binned, &[0, 2, 3, 5], g);
        assert_eq!(left.sibling(&parent), right);
        assert_eq!(parent.column(0).len(), 5);
        assert_eq!(parent.column(0)[1].count, 2);
        assert_eq!(parent.column(0)[1].sum_gradients, 1.0);
    }

    /// A one-hot block's histograms, summed per category and spread, are its dense columns'.
    #[test]
    fn a_bundle_sums_as_its_dense_columns() {
        let design = Design {
            dense: Matrix::from_rows(&(0..8).map(|i| vec![i as f64]).collect::<Vec<_>>()),
            blocks: vec![OneHotBlock {
                width: 3,
                slot: vec![0, 1, 1, NO_SLOT, 0, 1, 0, 0],
            }],
            ordinal_codes: 0,
        };
        let dense = Design::from_dense(design.to_dense());
        let rows: Vec<usize> = (0..8).collect();
        let flags = [false; 4];
        let m = BinMapper::fit(
            &design,
            &rows,
            None,
            255,
            &flags,
            &mut Rng::seed_from_u64(0),
        )
        .unwrap();
        let (a, b) = (
            m.transform(&design, &rows).unwrap(),
            m.transform(&dense, &rows).unwrap(),
        );
        let gradients: Vec<f32> = (0..8).map(|i| i as f32 * 0.5 - 1.0).collect();
        let g = Gradients {
            gradients: &gradients,
            hessians: None,
        };
        for node in [vec![0u32, 1, 2, 3, 4, 5, 6, 7], vec![1, 3, 4, 6]] {
            let ha = Histograms::build(&Layout::new(&m, &a), &a, &node, g);
            let hb = Histograms::build(&Layout::new(&m, &b), &b, &node, g);
            for j in 0..4 {
                assert_eq!(ha.column(j), hb.column(j), "column {j}, rows {node:?}");
            }
        }
    }
}
