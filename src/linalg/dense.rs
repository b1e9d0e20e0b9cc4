//! The dense kernels, on faer: the centred products of dense columns (XᵀX and Xᵀy) and the
//! Cholesky solver of every model (ridge's normal equations, logistic regression's Newton steps).
//!
//! faer runs single-threaded here (the crate is built without its rayon feature). kiln cuts the
//! work into pieces whose shape depends only on the data's shape (tiles of [`TILE_COLS`] columns,
//! groups of [`GRAM_GROUP_BLOCKS`] blocks of [`GRAM_BLOCK_ROWS`] rows), runs the pieces in parallel with
//! rayon and adds them in a fixed order, so every bit of a result is the same for any `--jobs`.
//! faer picks its SIMD kernels for the CPU it runs on, so two different CPUs may differ in the
//! last bits (as two BLAS builds do).

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::{Llt, Solve};
use faer::{Accum, Mat, MatMut, MatRef, Par, Side};
use rayon::prelude::*;
use std::ops::Range;

/// Rows per block of a Gram pass: the rows one product reads at a time (centred into a buffer).
pub const GRAM_BLOCK_ROWS: usize = 4096;

/// Columns per tile of a Gram matrix: each task computes one tile (the products of two groups of
/// at most this many columns), so a wide matrix splits into many independent tasks.
const TILE_COLS: usize = 256;

/// Row blocks per group: each task sums its group's blocks in order; the groups' sums are then
/// added in group order. Tall data thus splits into tasks too.
pub const GRAM_GROUP_BLOCKS: usize = 16;

/// A column to multiply: its values and the mean to subtract from them.
pub type CentredColumn<'a> = (&'a [f64], f64);

/// The upper triangle of Cᵀ diag(w) C (flat, c x c, entry (a, b) at `a * c + b` for a <= b) where
/// column a of C is `columns[a].0 - columns[a].1`, over the first `n` rows; w is `weights`, or
/// all ones.
pub fn centred_gram(columns: &[CentredColumn], weights: Option<&[f64]>, n: usize) -> Vec<f64> {
    let c = columns.len();
    let tiles = ranges(c, TILE_COLS);
    let groups = ranges(n, GRAM_BLOCK_ROWS * GRAM_GROUP_BLOCKS);
    let pairs: Vec<(usize, usize)> = (0..tiles.len())
        .flat_map(|ta| (ta..tiles.len()).map(move |tb| (ta, tb)))
        .collect();
    let tasks: Vec<(usize, usize)> = (0..pairs.len())
        .flat_map(|p| (0..groups.len()).map(move |g| (p, g)))
        .collect();
    let partials: Vec<Vec<f64>> = tasks
        .par_iter()
        .map(|&(p, g)| {
            let (ta, tb) = pairs[p];
            tile_product(
                &columns[tiles[ta].clone()],
                (ta != tb).then(|| &columns[tiles[tb].clone()]),
                weights,
                groups[g].clone(),
            )
        })
        .collect();
    let mut gram = vec![0.0; c * c];
    for (p, &(ta, tb)) in pairs.iter().enumerate() {
        let (ra, rb) = (tiles[ta].clone(), tiles[tb].clone());
        let mut tile = zeroed(ra.len() * rb.len());
        for part in &partials[p * groups.len()..(p + 1) * groups.len()] {
            tile.iter_mut().zip(part).for_each(|(s, v)| *s += v);
        }
        // The tile is column-major: (i, k) at i + k * rows.
        for (k, b) in rb.enumerate() {
            for (i, a) in ra.clone().enumerate() {
                if a <= b {
                    gram[a * c + b] = tile[i + k * ra.len()];
                }
            }
        }
    }
    gram
}

/// `len` zeros, written: for a buffer that is then added into. A large `vec![0.0; len]` comes from
/// the system as the shared zero page, and each page an accumulation then reads and writes
/// faults twice, the second time copying the page and flushing every core's TLB (on flights'
/// one-hot Gram pass, 13% of the run).
pub fn zeroed(len: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, 0.0);
    v
}

/// `0..len` cut into consecutive ranges of `step` (the last one shorter).
fn ranges(len: usize, step: usize) -> Vec<Range<usize>> {
    (0..len)
        .step_by(step)
        .map(|s| s..(s + step).min(len))
        .collect()
}

/// Aᵀ diag(w) B (column-major, A's columns by B's) over `rows`, summed block by block in row
/// order; B is A when `b` is `None`, w is `weights` or all ones.
fn tile_product(
    a: &[CentredColumn],
    b: Option<&[CentredColumn]>,
    weights: Option<&[f64]>,
    rows: Range<usize>,
) -> Vec<f64> {
    let wb = b.map_or(a.len(), <[_]>::len);
    let mut tile = zeroed(a.len() * wb);
    let (mut buf_a, mut buf_b) = (Vec::new(), Vec::new());
    for block in ranges(rows.end - rows.start, GRAM_BLOCK_ROWS) {
        let block = rows.start + block.start..rows.start + block.end;
        let len = block.len();
        centre_into(&mut buf_a, a, block.clone());
        if let Some(w) = weights {
            for column in buf_a.chunks_exact_mut(len) {
                column
                    .iter_mut()
                    .zip(&w[block.clone()])
                    .for_each(|(v, w)| *v *= w);
            }
        }
        // The right-hand side needs its own buffer unless it is the (unweighted) left one.
        let shared = b.is_none() && weights.is_none();
        if !shared {
            centre_into(&mut buf_b, b.unwrap_or(a), block);
        }
        let lhs = MatRef::from_column_major_slice(&buf_a, len, a.len());
        let rhs = if shared {
            lhs
        } else {
            MatRef::from_column_major_slice(&buf_b, len, wb)
        };
        let dst = MatMut::from_column_major_slice_mut(&mut tile, a.len(), wb);
        matmul(dst, Accum::Add, lhs.transpose(), rhs, 1.0, Par::Seq);
    }
    tile
}

/// The centred values of `columns` over `rows`, column after column, into `buf`.
fn centre_into(buf: &mut Vec<f64>, columns: &[CentredColumn], rows: Range<usize>) {
    buf.clear();
    for &(values, mean) in columns {
        buf.extend(values[rows.clone()].iter().map(|v| v - mean));
    }
}

/// The Cholesky factor L (A = L Lᵀ) of a symmetric positive definite n x n matrix.
#[derive(Debug, Clone)]
pub struct Cholesky {
    llt: Llt<f64>,
}

impl Cholesky {
    /// Factors the row-major n x n `a` (only its lower triangle is read); `None` when `a` is not
    /// (numerically) positive definite.
    pub fn new(a: Vec<f64>, n: usize) -> Option<Self> {
        debug_assert_eq!(a.len(), n * n);
        // Row-major lower triangle = column-major upper triangle.
        let view = MatRef::from_column_major_slice(&a, n, n);
        let llt = Llt::new(view, Side::Upper).ok()?;
        let finite = (0..n).all(|i| llt.L()[(i, i)].is_finite());
        finite.then_some(Cholesky { llt })
    }

    /// Whether the smallest pivot (diagonal of L) is below `relative` times the largest: a pivot at
    /// rounding level means a singular matrix that rounding made look positive definite.
    pub fn is_near_singular(&self, relative: f64) -> bool {
        let l = self.llt.L();
        let n = l.nrows();
        let pivots = || (0..n).map(|i| l[(i, i)]);
        let max = pivots().fold(0.0f64, f64::max);
        let min = pivots().fold(f64::INFINITY, f64::min);
        n > 0 && min < relative * max
    }

    /// The x of A x = b.
    pub fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = Mat::from_fn(b.len(), 1, |i, _| b[i]);
        self.llt.solve_in_place(x.as_mut());
        (0..b.len()).map(|i| x[(i, 0)]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Solves A x = b (A as rows) by Cholesky; `None` if A is not positive definite.
    fn cholesky_solve(a: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
        let flat: Vec<f64> = a.iter().flatten().copied().collect();
        Cholesky::new(flat, b.len()).map(|c| c.solve(b))
    }

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let x = cholesky_solve(&a, &[2.0, 1.0]).unwrap();
        // 4x + 2y = 2, 2x + 3y = 1 => x = 0.5, y = 0
        assert!((x[0] - 0.5).abs() < 1e-14 && x[1].abs() < 1e-14);
        assert!(cholesky_solve(&[vec![1.0, 2.0], vec![2.0, 1.0]], &[1.0, 1.0]).is_none());
        assert!(cholesky_solve(&[vec![f64::NAN]], &[1.0]).is_none());
    }

    #[test]
    fn a_pivot_at_rounding_level_reads_as_near_singular() {
        // [[1, 1], [1, 1 + 1e-15]] is positive definite in floating point, singular in exact terms.
        let c = Cholesky::new(vec![1.0, 1.0, 1.0, 1.0 + 1e-15], 2).unwrap();
        assert!(c.is_near_singular(1e-7));
        let c = Cholesky::new(vec![4.0, 2.0, 2.0, 3.0], 2).unwrap();
        assert!(!c.is_near_singular(1e-7));
        assert_eq!(
            c.solve(&[2.0, 1.0]),
            cholesky_solve(&[vec![4.0, 2.0], vec![2.0, 3.0]], &[2.0, 1.0]).unwrap()
        );
    }

    #[test]
    fn only_the_lower_triangle_is_read() {
        // The upper triangle holds garbage; the lower one says [[4, 2], [2, 3]].
        let c = Cholesky::new(vec![4.0, 99.0, 2.0, 3.0], 2).unwrap();
        let x = c.solve(&[2.0, 1.0]);
        assert!((x[0] - 0.5).abs() < 1e-14 && x[1].abs() < 1e-14);
    }

    /// Columns of a pseudo-random matrix, n x c, with their means.
    fn columns(n: usize, c: usize) -> Vec<Vec<f64>> {
        (0..c)
            .map(|j| {
                (0..n)
                    .map(|i| ((i * 31 + j * 17) as f64 * 0.013).sin() * (1.0 + j as f64))
                    .collect()
            })
            .collect()
    }

    fn naive(cols: &[(&[f64], f64)], n: usize) -> Vec<f64> {
        let c = cols.len();
        let mut g = vec![0.0; c * c];
        for a in 0..c {
            for b in a..c {
                g[a * c + b] = (0..n)
                    .map(|i| (cols[a].0[i] - cols[a].1) * (cols[b].0[i] - cols[b].1))
                    .sum();
            }
        }
        g
    }

    #[test]
    fn the_tiled_gram_is_the_plain_sum_of_products() {
        // Several column tiles (300 > 256) and several row groups and blocks (70,000 rows).
        for (n, c) in [(70_000, 3), (5_000, 300), (0, 2), (10, 0)] {
            let cols = columns(n, c);
            let centred: Vec<(&[f64], f64)> = cols
                .iter()
                .map(|v| (v.as_slice(), v.iter().sum::<f64>() / n.max(1) as f64))
                .collect();
            let fast = centred_gram(&centred, None, n);
            let plain = naive(&centred, n);
            assert_eq!(fast.len(), plain.len());
            for (i, (f, p)) in fast.iter().zip(&plain).enumerate() {
                assert!(
                    (f - p).abs() <= 1e-9 * p.abs().max(1.0),
                    "{n}x{c} [{i}]: {f} vs {p}"
                );
            }
        }
    }

    #[test]
    fn row_weights_scale_each_row_s_products() {
        let (n, c) = (9_000, 260);
        let cols = columns(n, c);
        let w: Vec<f64> = (0..n).map(|i| (i % 7) as f64 * 0.25).collect();
        let centred: Vec<(&[f64], f64)> = cols.iter().map(|v| (v.as_slice(), 0.1)).collect();
        let fast = centred_gram(&centred, Some(&w), n);
        for (a, b) in [(0, 0), (3, 200), (259, 259), (10, 258)] {
            let plain: f64 = (0..n)
                .map(|i| w[i] * (cols[a][i] - 0.1) * (cols[b][i] - 0.1))
                .sum();
            let f = fast[a * c + b];
            assert!(
                (f - plain).abs() <= 1e-9 * plain.abs().max(1.0),
                "[{a},{b}]"
            );
        }
    }

    #[test]
    fn the_gram_does_not_depend_on_the_thread_count() {
        let cols = columns(40_000, 270);
        let centred: Vec<(&[f64], f64)> = cols.iter().map(|v| (v.as_slice(), 0.5)).collect();
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| centred_gram(&centred, None, 40_000))
        };
        let one = on(1);
        assert!(one
            .iter()
            .zip(on(3))
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
