//! Gradient histograms: per column and bin, the sums of the gradients and hessians of a node's rows
//! and how many rows there are. One histogram set is built row by row for the smaller child of a
//! split; the larger child's is its parent's minus it, as scikit-learn does.
//!
//! Columns are built in parallel, each by one thread adding its rows in partition order: every
//! sum has one fixed order whatever the thread count, so results are identical for any `--jobs`.

use super::binning::Binned;
use rayon::prelude::*;

/// One histogram slot.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Slot {
    pub sum_gradients: f64,
    pub sum_hessians: f64,
    pub count: u32,
}

/// The gradients and hessians the histograms sum, one per training row (f32, as scikit-learn
/// stores them). `hessians` is None when the hessian is the same constant for every row (squared
/// error): then the row count stands for the hessian sum.
#[derive(Debug, Clone, Copy)]
pub struct Gradients<'a> {
    pub gradients: &'a [f32],
    pub hessians: Option<&'a [f32]>,
}

/// Every column's histogram: `n_bins` slots each, column after column.
#[derive(Debug, Clone, PartialEq)]
pub struct Histograms {
    pub n_bins: usize,
    pub slots: Vec<Slot>,
}

impl Histograms {
    pub fn column(&self, j: usize) -> &[Slot] {
        &self.slots[j * self.n_bins..(j + 1) * self.n_bins]
    }

    /// The histograms of `rows` (indices into the training rows), built from scratch.
    pub fn build(binned: &Binned, rows: &[u32], g: Gradients, n_bins: usize) -> Self {
        let mut slots = vec![Slot::default(); binned.n_cols * n_bins];
        slots
            .par_chunks_mut(n_bins)
            .enumerate()
            .for_each(|(j, hist)| fill_column(hist, binned.col(j), rows, g));
        Histograms { n_bins, slots }
    }

    /// The sibling's histograms: `parent` minus `self` (the child that was built).
    pub fn sibling(&self, parent: &Histograms) -> Histograms {
        let slots = parent
            .slots
            .par_iter()
            .zip(&self.slots)
            .with_min_len(1024)
            .map(|(p, c)| Slot {
                sum_gradients: p.sum_gradients - c.sum_gradients,
                sum_hessians: p.sum_hessians - c.sum_hessians,
                count: p.count - c.count,
            })
            .collect();
        Histograms {
            n_bins: self.n_bins,
            slots,
        }
    }

    /// Bytes one histogram set holds: what the budget counts per live node.
    pub fn bytes(n_cols: usize, n_bins: usize) -> usize {
        n_cols * n_bins * std::mem::size_of::<Slot>()
    }
}

/// One column's histogram of `rows`, summed in row order.
fn fill_column(hist: &mut [Slot], bins: &[u8], rows: &[u32], g: Gradients) {
    match g.hessians {
        Some(h) => {
            for &r in rows {
                let s = &mut hist[bins[r as usize] as usize];
                s.sum_gradients += g.gradients[r as usize] as f64;
                s.sum_hessians += h[r as usize] as f64;
                s.count += 1;
            }
        }
        None => {
            for &r in rows {
                let s = &mut hist[bins[r as usize] as usize];
                s.sum_gradients += g.gradients[r as usize] as f64;
                s.count += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sibling_by_subtraction_equals_the_sibling_built() {
        let binned = Binned {
            n_rows: 6,
            n_cols: 2,
            bins: vec![0, 1, 1, 2, 0, 3, 3, 3, 0, 1, 2, 0],
            has_missing: vec![false, false],
        };
        let gradients = [0.5f32, -1.0, 2.0, 0.25, -0.75, 1.5];
        let hessians = [1.0f32, 0.5, 0.25, 2.0, 1.0, 0.5];
        let g = Gradients {
            gradients: &gradients,
            hessians: Some(&hessians),
        };
        let parent = Histograms::build(&binned, &[0, 1, 2, 3, 4, 5], g, 4);
        let left = Histograms::build(&binned, &[1, 4], g, 4);
        let right = Histograms::build(&binned, &[0, 2, 3, 5], g, 4);
        assert_eq!(left.sibling(&parent), right);
        assert_eq!(parent.column(0)[1].count, 2);
        assert_eq!(parent.column(0)[1].sum_gradients, 1.0);
    }
}
