//! Linear algebra for the linear models: the normal equations (XᵀX and Xᵀy of the centred data,
//! over dense columns, sparse columns and one-hot blocks) here; the dense kernels (Gram products,
//! Cholesky) in [`dense`] and the symmetric eigendecomposition in [`eigen`], both on faer.
//!
//! Matrices here are features x features and stored as `Vec<Vec<f64>>` rows, or row-major in one
//! `Vec` for [`Cholesky`].

mod dense;
mod eigen;

pub use dense::{centred_gram, CentredColumn, Cholesky, GRAM_BLOCK_ROWS, GRAM_GROUP_BLOCKS};
pub use eigen::SymmetricEigen;

use crate::design::{Design, OneHotBlock, NO_SLOT};
use crate::matrix::{dot, Matrix};
use rayon::prelude::*;

/// XᵀX and Xᵀy of the centred data (or of the raw data when `center` is false), with the means
/// that were removed: everything a linear least-squares fit needs from the rows.
#[derive(Debug, Clone)]
pub struct NormalEquations {
    pub n_rows: usize,
    pub x_mean: Vec<f64>,
    pub y_mean: f64,
    /// Symmetric p x p.
    pub gram: Vec<Vec<f64>>,
    pub xty: Vec<f64>,
}

/// A column counts as sparse (a one-hot or indicator column, typically) when at most this share of
/// its entries is non-zero: its products are then summed over its non-zero rows only.
const SPARSE_SHARE: f64 = 0.25;

impl NormalEquations {
    /// XᵀX and Xᵀy in one pass. Dense columns: one blocked pass over the rows, each block's columns
    /// centred into a buffer and its products accumulated; blocks run in parallel and their sums
    /// are added in block order. Sparse columns (see [`SPARSE_SHARE`]) are summed over their
    /// non-zero rows and centred afterwards, Σ(a-ā)(b-b̄) = Σab - ā·Σ(b-b̄) (and - n·ā·b̄ for two
    /// sparse columns), so a one-hot block of a hundred columns costs its rows, not a hundred passes.
    pub fn new(x: &Matrix, y: &[f64], center: bool) -> Self {
        Self::from_parts(x, &[], y, center, true)
    }

    /// As [`Self::new`] for the matrix a design stands for: each one-hot column is a sparse column
    /// whose rows come straight from the block's slots, so the dense zeros are never built or read.
    pub fn from_design(x: &Design, y: &[f64], center: bool) -> Self {
        Self::from_parts(&x.dense, &x.blocks, y, center, true)
    }

    #[cfg(test)]
    fn with_sparse_columns(x: &Matrix, y: &[f64], center: bool, use_sparse: bool) -> Self {
        Self::from_parts(x, &[], y, center, use_sparse)
    }

    /// The normal equations of `x`'s columns followed by the `blocks`' columns.
    fn from_parts(
        x: &Matrix,
        blocks: &[OneHotBlock],
        y: &[f64],
        center: bool,
        use_sparse: bool,
    ) -> Self {
        let n = x.n_rows;
        let p = x.n_cols + blocks.iter().map(|b| b.width).sum::<usize>();
        // The sparse columns, in column order: those of `x` with few non-zeros ("listed", with
        // their (row, value) entries), then every block column (read from the slots).
        let mut dense: Vec<usize> = Vec::new();
        let mut sparse: Vec<usize> = Vec::new();
        let mut listed: Vec<Vec<(u32, f64)>> = Vec::new();
        for j in 0..x.n_cols {
            let col = x.col(j);
            let nnz = col.iter().filter(|v| **v != 0.0).count();
            if use_sparse && nnz as f64 <= SPARSE_SHARE * n as f64 {
                sparse.push(j);
                listed.push(
                    (0u32..)
                        .zip(col)
                        .filter(|(_, v)| **v != 0.0)
                        .map(|(i, v)| (i, *v))
                        .collect(),
                );
            } else {
                dense.push(j);
            }
        }
        // Block b's column s is sparse column block_base[b] + s.
        let mut block_base = Vec::with_capacity(blocks.len());
        for b in blocks {
            block_base.push(sparse.len());
            let first = x.n_cols + (sparse.len() - listed.len());
            sparse.extend(first..first + b.width);
        }
        // Means over every row; a sparse column's zeros add nothing to its sum.
        let mean = |sum: f64| if center && n > 0 { sum / n as f64 } else { 0.0 };
        let mut x_mean = vec![0.0; p];
        for &j in &dense {
            x_mean[j] = mean(x.col(j).iter().sum());
        }
        for (&j, e) in sparse.iter().zip(&listed) {
            x_mean[j] = mean(e.iter().map(|(_, v)| v).sum());
        }
        for (b, &base) in blocks.iter().zip(&block_base) {
            for (s, c) in b.counts(0..n).into_iter().enumerate() {
                x_mean[sparse[base + s]] = mean(c as f64);
            }
        }
        let y_mean = mean(y.iter().sum());
        let mut gram = vec![vec![0.0; p]; p];
        let mut xty = vec![0.0; p];

        let (g, xy) = dense_products(x, &dense, &x_mean, y, y_mean);
        let d = dense.len();
        for (a, &ja) in dense.iter().enumerate() {
            for (b, &jb) in dense.iter().enumerate().skip(a) {
                gram[ja][jb] = g[a * d + b];
            }
            xty[ja] = xy[a];
        }

        if !sparse.is_empty() {
            // Sums of the centred dense columns and y: zero but for rounding, kept for exactness.
            let yc_sum: f64 = y.iter().map(|v| v - y_mean).sum();
            let dc_sum: Vec<f64> = dense
                .iter()
                .map(|&j| x.col(j).iter().map(|v| v - x_mean[j]).sum())
                .collect();
            // Sparse x dense and sparse x y, Σ over each sparse column's non-zero rows in row
            // order: a listed column through its entries; the blocks' columns in one pass over
            // each dense column (and y), adding each row to the sums of its slots. Column by
            // column, the reads are two or three sequential streams, not one per dense column.
            let centred = |i: usize, jb: usize| x.col(jb)[i] - x_mean[jb];
            let mut cross: Vec<(Vec<f64>, f64)> = listed
                .par_iter()
                .map(|entries| {
                    let (mut sd, mut sy) = (vec![0.0; d], 0.0);
                    for &(i, v) in entries {
                        let i = i as usize;
                        sy += v * (y[i] - y_mean);
                        for (s, &jb) in sd.iter_mut().zip(&dense) {
                            *s += v * centred(i, jb);
                        }
                    }
                    (sd, sy)
                })
                .collect();
            let sums_by_slot = |col: &[f64], center: f64| -> Vec<Vec<f64>> {
                let mut acc: Vec<Vec<f64>> = blocks.iter().map(|b| vec![0.0; b.width]).collect();
                for (i, v) in col.iter().enumerate() {
                    let c = v - center;
                    for (a, b) in acc.iter_mut().zip(blocks) {
                        let s = b.slot[i];
                        if s != NO_SLOT {
                            a[s as usize] += c;
                        }
                    }
                }
                acc
            };
            let by_dense: Vec<Vec<Vec<f64>>> = dense
                .par_iter()
                .map(|&jb| sums_by_slot(x.col(jb), x_mean[jb]))
                .collect();
            let by_y = sums_by_slot(y, y_mean);
            let block_cross = blocks.iter().enumerate().map(|(b, block)| {
                (0..block.width)
                    .map(|s| (by_dense.iter().map(|t| t[b][s]).collect(), by_y[b][s]))
                    .collect::<Vec<(Vec<f64>, f64)>>()
            });
            cross.extend(block_cross.flatten());
            for (&a, (sd, sy)) in sparse.iter().zip(&cross) {
                xty[a] = sy - x_mean[a] * yc_sum;
                for ((&jb, s), dsum) in dense.iter().zip(sd).zip(&dc_sum) {
                    let v = s - x_mean[a] * dsum;
                    let (r, c) = (a.min(jb), a.max(jb));
                    gram[r][c] = v;
                }
            }
            // Sparse x sparse: each row's non-zero sparse entries (its listed ones, then one per
            // block), their products accumulated per block of rows, blocks added in order.
            let k = sparse.len();
            // The listed entries in compressed-row form: row i's are row_listed[offset[i]..offset[i + 1]].
            let mut offset = vec![0usize; n + 1];
            for col in &listed {
                for &(i, _) in col {
                    offset[i as usize + 1] += 1;
                }
            }
            for i in 0..n {
                offset[i + 1] += offset[i];
            }
            let mut fill = offset.clone();
            let mut row_listed = vec![(0u32, 0.0f64); offset[n]];
            for (s_idx, col) in listed.iter().enumerate() {
                for &(i, v) in col {
                    row_listed[fill[i as usize]] = (s_idx as u32, v);
                    fill[i as usize] += 1;
                }
            }
            // One partial sum per group of row blocks (as the dense pass), so a fold holds a few
            // k x k partials rather than one per 4096 rows (at k = 600, 3 MB each), each zeroed
            // by writing (see `dense::zeroed`).
            let group_rows = GRAM_BLOCK_ROWS * GRAM_GROUP_BLOCKS;
            let starts: Vec<usize> = (0..n).step_by(group_rows).collect();
            let partials: Vec<Vec<f64>> = starts
                .par_iter()
                .map(|&r0| {
                    let mut g = dense::zeroed(k * k);
                    let mut row = Vec::with_capacity(listed.len() + blocks.len());
                    for i in r0..(r0 + group_rows).min(n) {
                        row.clear();
                        row.extend_from_slice(&row_listed[offset[i]..offset[i + 1]]);
                        for (b, &base) in blocks.iter().zip(&block_base) {
                            if b.slot[i] != NO_SLOT {
                                row.push(((base + b.slot[i] as usize) as u32, 1.0));
                            }
                        }
                        for (e, &(sa, va)) in row.iter().enumerate() {
                            for &(sb, vb) in &row[e..] {
                                g[sa as usize * k + sb as usize] += va * vb;
                            }
                        }
                    }
                    g
                })
                .collect();
            let mut ss = dense::zeroed(k * k);
            for g in &partials {
                ss.iter_mut().zip(g).for_each(|(s, v)| *s += v);
            }
            for (sa, &a) in sparse.iter().enumerate() {
                for (sb, &b) in sparse.iter().enumerate().skip(sa) {
                    gram[a][b] = ss[sa * k + sb] - n as f64 * x_mean[a] * x_mean[b];
                }
            }
        }
        // A transposition reads (j, i) and writes (i, j): indices say it best.
        #[allow(clippy::needless_range_loop)]
        for i in 0..p {
            for j in 0..i {
                gram[i][j] = gram[j][i];
            }
        }
        NormalEquations {
            n_rows: n,
            x_mean,
            y_mean,
            gram,
            xty,
        }
    }

    /// The normal equations of weighted rows, as scikit-learn's linear models take `sample_weight`:
    /// X and y centred on their weighted means (when `center`), each row then scaled by √wᵢ, so
    /// the Gram is Σ wᵢ (xᵢ - x̄)(xᵢ - x̄)ᵀ and the intercept ȳ - x̄·w of the weighted means.
    pub fn weighted(x: &Matrix, y: &[f64], weights: &[f64], center: bool) -> Self {
        let total: f64 = weights.iter().sum();
        let weighted_mean = |v: &[f64]| {
            if center {
                v.iter().zip(weights).map(|(a, w)| a * w).sum::<f64>() / total
            } else {
                0.0
            }
        };
        let x_mean: Vec<f64> = (0..x.n_cols).map(|j| weighted_mean(x.col(j))).collect();
        let y_mean = weighted_mean(y);
        let root: Vec<f64> = weights.iter().map(|w| w.sqrt()).collect();
        let columns = (0..x.n_cols)
            .map(|j| {
                x.col(j)
                    .iter()
                    .zip(&root)
                    .map(|(v, r)| (v - x_mean[j]) * r)
                    .collect()
            })
            .collect();
        let scaled = Matrix::from_columns(x.n_rows, columns);
        let ys: Vec<f64> = y.iter().zip(&root).map(|(v, r)| (v - y_mean) * r).collect();
        let mut ne = Self::new(&scaled, &ys, false);
        ne.x_mean = x_mean;
        ne.y_mean = y_mean;
        ne
    }

    /// The intercept that goes with coefficients `w` (zero when the data was not centred).
    pub fn intercept(&self, w: &[f64]) -> f64 {
        self.y_mean - dot(&self.x_mean, w)
    }
}
/// The centred products of the listed columns: (upper triangle of their Gram, flat len x len;
/// their products with y), computed as one Gram of the columns followed by y.
fn dense_products(
    x: &Matrix,
    cols: &[usize],
    x_mean: &[f64],
    y: &[f64],
    y_mean: f64,
) -> (Vec<f64>, Vec<f64>) {
    let d = cols.len();
    let mut columns: Vec<CentredColumn> = cols.iter().map(|&j| (x.col(j), x_mean[j])).collect();
    columns.push((y, y_mean));
    let full = centred_gram(&columns, None, x.n_rows);
    let g = (0..d * d)
        .map(|k| full[(k / d) * (d + 1) + k % d])
        .collect();
    let xy = (0..d).map(|a| full[a * (d + 1) + d]).collect();
    (g, xy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_columns_give_the_dense_products() {
        // Two numeric columns and a one-hot block of four categories (one of them rare).
        let n = 5000;
        let mut cols = vec![vec![0.0; n]; 6];
        let mut y = vec![0.0; n];
        for i in 0..n {
            let t = i as f64;
            cols[0][i] = (t * 0.37).sin() * 3.0 + 1.5;
            cols[1][i] = (t * 0.11).cos() - 0.25;
            let cat = if i % 97 == 0 { 5 } else { 2 + i % 3 };
            cols[cat][i] = 1.0;
            y[i] = 2.0 * cols[0][i] - cols[1][i] + cat as f64 * 10.0 + 1000.0;
        }
        let x = Matrix::from_columns(n, cols);
        for center in [true, false] {
            let fast = NormalEquations::new(&x, &y, center);
            let dense = NormalEquations::with_sparse_columns(&x, &y, center, false);
            assert_same_products(&fast, &dense);
        }
    }

    /// Equal to 1e-9 of each value (or of 1).
    fn assert_same_products(fast: &NormalEquations, plain: &NormalEquations) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
        for (i, row) in plain.gram.iter().enumerate() {
            assert!(close(fast.xty[i], plain.xty[i]), "xty[{i}]");
            for (j, &v) in row.iter().enumerate() {
                assert!(
                    close(fast.gram[i][j], v),
                    "gram[{i}][{j}]: {} vs {v}",
                    fast.gram[i][j]
                );
            }
        }
    }

    #[test]
    fn one_hot_blocks_give_the_products_of_their_dense_columns() {
        // Two numeric columns, an indicator, a block of 4 (one category over half the rows, some
        // rows unknown) and a block of 2.
        let n = 3000;
        let mut r = 7u64;
        let mut next = move |m: u64| {
            r = r
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (r >> 33) % m
        };
        let mut dense = vec![vec![0.0; n]; 3];
        let (mut a, mut b) = (vec![0u32; n], vec![0u32; n]);
        let mut y = vec![0.0; n];
        for i in 0..n {
            dense[0][i] = (i as f64 * 0.37).sin() * 3.0 + 100.0;
            dense[1][i] = (i as f64 * 0.11).cos() - 0.25;
            dense[2][i] = f64::from(next(10) == 0);
            a[i] = match next(20) {
                0 => NO_SLOT,
                k if k < 12 => 0,
                k => 1 + (k % 3) as u32,
            };
            b[i] = next(2) as u32;
            y[i] = 2.0 * dense[0][i] - dense[1][i] + f64::from(a[i].min(5)) * 10.0 + 1000.0;
        }
        let design = Design {
            dense: Matrix::from_columns(n, dense),
            blocks: vec![
                OneHotBlock { width: 4, slot: a },
                OneHotBlock { width: 2, slot: b },
            ],
            ordinal_codes: 0,
        };
        let x = design.to_dense();
        for center in [true, false] {
            let fast = NormalEquations::from_design(&design, &y, center);
            let plain = NormalEquations::with_sparse_columns(&x, &y, center, false);
            assert_eq!(fast.x_mean, plain.x_mean);
            assert_eq!(plain.gram.len(), 9);
            assert_same_products(&fast, &plain);
        }
    }

    #[test]
    fn normal_equations_are_centred() {
        let x = Matrix::from_rows(&[vec![1.0], vec![2.0], vec![3.0]]);
        let ne = NormalEquations::new(&x, &[2.0, 4.0, 6.0], true);
        assert_eq!(ne.x_mean, vec![2.0]);
        assert_eq!(ne.y_mean, 4.0);
        assert_eq!(ne.gram, vec![vec![2.0]]);
        assert_eq!(ne.xty, vec![4.0]);
    }
}
