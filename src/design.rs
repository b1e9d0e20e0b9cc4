//! The design matrix as preprocessing builds it: the dense columns (numeric, missing indicators,
//! ordinal codes), then each one-hot encoded input as one category slot per row.
//!
//! A one-hot block of a hundred categories is a hundred columns that are zero but in one place per
//! row. Stored densely that is 800 bytes a row of zeros to allocate, fault in, fill and read back;
//! stored as the slot it is 4 bytes. The models that can use the slots directly (the Gram matrix
//! of the linear models, linear predictions, the tree builder) do; the others ask for
//! [`Design::into_dense`] / [`Design::to_dense`], which gives exactly the matrix the slots stand for.

use crate::matrix::Matrix;

/// The slot of a row whose category has no column (an unknown category under
/// `encode.unknown = "ignore"`): every column of its block is zero.
pub const NO_SLOT: u32 = u32::MAX;

/// One one-hot encoded input: `width` columns, of which row i has a 1 in column `slot[i]` (or none).
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotBlock {
    pub width: usize,
    pub slot: Vec<u32>,
}

impl OneHotBlock {
    /// How many of `rows` have a 1 in each column of the block.
    pub fn counts(&self, rows: impl IntoIterator<Item = usize>) -> Vec<usize> {
        let mut counts = vec![0usize; self.width];
        for r in rows {
            let s = self.slot[r];
            if s != NO_SLOT {
                counts[s as usize] += 1;
            }
        }
        counts
    }

    /// `rows` sorted into the block's columns (a counting sort), each column's in the order given.
    pub fn rows_by_column(&self, rows: &[u32]) -> RowsByColumn {
        let mut offsets = vec![0usize; self.width + 1];
        for (k, c) in self
            .counts(rows.iter().map(|&r| r as usize))
            .into_iter()
            .enumerate()
        {
            offsets[k + 1] = offsets[k] + c;
        }
        let mut fill = offsets.clone();
        let mut sorted = vec![0u32; offsets[self.width]];
        for &r in rows {
            let s = self.slot[r as usize];
            if s != NO_SLOT {
                sorted[fill[s as usize]] = r;
                fill[s as usize] += 1;
            }
        }
        RowsByColumn {
            offsets,
            rows: sorted,
        }
    }
}

/// Rows sorted into the columns of a block: column k's are rows[offsets[k]..offsets[k + 1]].
/// Rows with no column (an unknown category) are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct RowsByColumn {
    offsets: Vec<usize>,
    rows: Vec<u32>,
}

impl RowsByColumn {
    pub fn column(&self, k: usize) -> &[u32] {
        &self.rows[self.offsets[k]..self.offsets[k + 1]]
    }
}

/// Columns 0..dense.n_cols are `dense`; the blocks' columns follow, block after block.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    pub dense: Matrix,
    pub blocks: Vec<OneHotBlock>,
    /// The last `ordinal_codes` dense columns are ordinal category codes (`encode.method =
    /// "ordinal"`), which hist_gradient_boosting may split on as categories.
    pub ordinal_codes: usize,
}

impl Design {
    /// The first (row, column) of a design that is infinite, rows first: a finite input that centring
    /// and scaling pushed past f64's range (1.797e308 less a negative centre). NaN is a missing value
    /// kept for a model that handles it (`impute.numeric = "none"`); a finite input never becomes one.
    /// Only the dense part can hold either: one-hot slots are 0 or 1.
    pub fn first_infinite_cell(&self) -> Option<(usize, usize)> {
        let m = &self.dense;
        (0..m.n_cols)
            .filter_map(|j| {
                m.col(j)
                    .iter()
                    .position(|v| v.is_infinite())
                    .map(|i| (i, j))
            })
            .min()
    }

    /// A design of dense columns only.
    pub fn from_dense(dense: Matrix) -> Self {
        Design {
            dense,
            blocks: Vec::new(),
            ordinal_codes: 0,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.dense.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.dense.n_cols + self.blocks.iter().map(|b| b.width).sum::<usize>()
    }

    /// Each block with the index of its first column.
    pub fn blocks_at(&self) -> impl Iterator<Item = (usize, &OneHotBlock)> {
        self.blocks.iter().scan(self.dense.n_cols, |first, b| {
            let at = *first;
            *first += b.width;
            Some((at, b))
        })
    }

    /// The value at row i, column j.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        if j < self.dense.n_cols {
            return self.dense.get(i, j);
        }
        let mut first = self.dense.n_cols;
        for b in &self.blocks {
            if j < first + b.width {
                return if b.slot[i] as usize == j - first {
                    1.0
                } else {
                    0.0
                };
            }
            first += b.width;
        }
        panic!("column {j} of a design of {} columns", self.n_cols())
    }

    /// The dense matrix the design stands for.
    pub fn into_dense(self) -> Matrix {
        let n = self.dense.n_rows;
        let n_cols = self.n_cols();
        let mut data = self.dense.data;
        for b in &self.blocks {
            let start = data.len();
            data.resize(start + b.width * n, 0.0);
            let block = &mut data[start..];
            for (i, &s) in b.slot.iter().enumerate() {
                if s != NO_SLOT {
                    block[s as usize * n + i] = 1.0;
                }
            }
        }
        Matrix {
            n_rows: n,
            n_cols,
            data,
        }
    }

    pub fn to_dense(&self) -> Matrix {
        self.clone().into_dense()
    }

    /// X w + b, adding the terms of each row in column order as [`Matrix::mat_vec`] does (a
    /// one-hot zero adds nothing), so both give the same bits.
    pub fn mat_vec(&self, w: &[f64], intercept: f64) -> Vec<f64> {
        let d = self.dense.n_cols;
        let mut out = self.dense.mat_vec(&w[..d], intercept);
        for (first, b) in self.blocks_at() {
            let wb = &w[first..first + b.width];
            for (o, &s) in out.iter_mut().zip(&b.slot) {
                if s != NO_SLOT && wb[s as usize] != 0.0 {
                    *o += wb[s as usize];
                }
            }
        }
        out
    }
}

/// A design read a column at a time, each column made when it is asked for: what histogram
/// boosting's binning reads, so that a fold's whole f64 design need never be held (at 10^7 rows it
/// is gigabytes, its bins a tenth of that). A [`Design`] is one; preprocessing makes another
/// straight from the data (`preprocess::ColumnsOf`). Rows are positions 0..n_rows of the design.
pub trait DesignColumns: Sync {
    fn n_rows(&self) -> usize;
    /// Dense columns; the blocks' columns follow, as in [`Design`].
    fn n_dense(&self) -> usize;
    /// The last `ordinal_codes()` dense columns are ordinal category codes.
    fn ordinal_codes(&self) -> usize;
    fn block_widths(&self) -> Vec<usize>;
    /// Dense column j at `rows`.
    fn dense_values(&self, j: usize, rows: &[usize]) -> Result<Vec<f64>, String>;
    /// Block b's slots at `rows`.
    fn block_slots(&self, b: usize, rows: &[usize]) -> Result<Vec<u32>, String>;

    fn n_cols(&self) -> usize {
        self.n_dense() + self.block_widths().iter().sum::<usize>()
    }
}

impl DesignColumns for Design {
    fn n_rows(&self) -> usize {
        self.dense.n_rows
    }
    fn n_dense(&self) -> usize {
        self.dense.n_cols
    }
    fn ordinal_codes(&self) -> usize {
        self.ordinal_codes
    }
    fn block_widths(&self) -> Vec<usize> {
        self.blocks.iter().map(|b| b.width).collect()
    }
    fn dense_values(&self, j: usize, rows: &[usize]) -> Result<Vec<f64>, String> {
        let col = self.dense.col(j);
        Ok(rows.iter().map(|&i| col[i]).collect())
    }
    fn block_slots(&self, b: usize, rows: &[usize]) -> Result<Vec<u32>, String> {
        let slot = &self.blocks[b].slot;
        Ok(rows.iter().map(|&i| slot[i]).collect())
    }
}

/// Read access to a row's values, for code that walks rows (tree predictions) and takes either a
/// dense matrix or a design.
pub trait RowValues: Sync {
    fn n_rows(&self) -> usize;
    fn value(&self, i: usize, j: usize) -> f64;
}

impl RowValues for Matrix {
    fn n_rows(&self) -> usize {
        self.n_rows
    }
    #[inline]
    fn value(&self, i: usize, j: usize) -> f64 {
        self.get(i, j)
    }
}

impl RowValues for Design {
    fn n_rows(&self) -> usize {
        self.dense.n_rows
    }
    #[inline]
    fn value(&self, i: usize, j: usize) -> f64 {
        self.get(i, j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two dense columns, a block of 3 (row 3 unknown) and a block of 2.
    pub(crate) fn sample() -> Design {
        Design {
            dense: Matrix::from_rows(&[
                vec![1.0, -2.0],
                vec![0.5, 0.0],
                vec![3.0, 4.0],
                vec![-1.0, 1.5],
            ]),
            blocks: vec![
                OneHotBlock {
                    width: 3,
                    slot: vec![2, 0, 2, NO_SLOT],
                },
                OneHotBlock {
                    width: 2,
                    slot: vec![1, 1, 0, 0],
                },
            ],
            ordinal_codes: 0,
        }
    }

    #[test]
    fn dense_form_get_and_products_agree() {
        let d = sample();
        assert_eq!(d.n_cols(), 7);
        let m = d.to_dense();
        assert_eq!(m.row(0), vec![1.0, -2.0, 0.0, 0.0, 1.0, 0.0, 1.0]);
        assert_eq!(m.row(3), vec![-1.0, 1.5, 0.0, 0.0, 0.0, 1.0, 0.0]);
        for i in 0..4 {
            for j in 0..7 {
                assert_eq!(d.get(i, j), m.get(i, j));
            }
        }
        let w = [0.3, -1.7, 2.5, 0.0, -0.125, 1e-3, 7.0];
        assert_eq!(d.mat_vec(&w, 0.25), m.mat_vec(&w, 0.25));
        assert_eq!(
            d.blocks_at()
                .map(|(at, b)| (at, b.width))
                .collect::<Vec<_>>(),
            [(2, 3), (5, 2)]
        );
        let by_column = d.blocks[0].rows_by_column(&[0, 1, 2, 3]);
        assert_eq!(
            (0..3)
                .map(|k| by_column.column(k).to_vec())
                .collect::<Vec<_>>(),
            vec![vec![1], vec![], vec![0, 2]]
        );
        assert_eq!(d.blocks[0].counts(0..4), [1, 0, 2]);
    }
}
