//! The sorted columns of a design, computed once and shared by every tree grown on it.

use crate::design::Design;
use rayon::prelude::*;

/// Every dense column's row order, sorted by value (ties by row index): computed once per design
/// and shared by every tree grown on the same X. Values are read from X through the order (4 bytes
/// a cell here and in each tree's working copy, not 12). A design with one-hot blocks has one more
/// run, the rows in row order, from which a node counts its categories.
#[derive(Debug)]
pub struct Presort {
    pub(super) n_rows: usize,
    /// Run j occupies order[j * n_rows .. (j + 1) * n_rows].
    pub(super) order: Vec<u32>,
}

impl Presort {
    pub(crate) fn new(x: &Design) -> Self {
        assert!(
            x.n_rows() <= u32::MAX as usize,
            "more rows than a tree can index"
        );
        let n = x.n_rows();
        let d = x.dense.n_cols;
        let runs = d + usize::from(!x.blocks.is_empty());
        let mut order = vec![0u32; n * runs];
        // Each column is sorted into its own slice of `order`: a two-valued column (indicator) in
        // one counting pass; others as (value, row) pairs, one column's at a time.
        if n > 0 {
            order
                .par_chunks_mut(n)
                .enumerate()
                .for_each(|(j, order_j)| {
                    if j == d {
                        order_j.iter_mut().zip(0u32..).for_each(|(o, i)| *o = i);
                        return;
                    }
                    let col = x.dense.col(j);
                    let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    if col.iter().all(|&v| v == lo || v == hi) {
                        let n_lo = col.iter().filter(|&&v| v == lo).count();
                        let (mut a, mut b) = (0, n_lo);
                        for (i, &v) in col.iter().enumerate() {
                            let slot = if v == lo { &mut a } else { &mut b };
                            order_j[*slot] = i as u32;
                            *slot += 1;
                        }
                        return;
                    }
                    let mut pairs: Vec<(f64, u32)> = col.iter().copied().zip(0u32..).collect();
                    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                    for (o, (_, i)) in order_j.iter_mut().zip(pairs) {
                        *o = i;
                    }
                });
        }
        Presort { n_rows: n, order }
    }
}
