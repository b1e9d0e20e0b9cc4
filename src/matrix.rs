//! A dense, column-major matrix of f64: the design matrix every model trains on.
//!
//! Column-major because the hot loops (Gram matrices, coordinate descent, split search, scalers) walk
//! one feature over many rows; row access is by index.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub n_rows: usize,
    pub n_cols: usize,
    /// Column j occupies data[j * n_rows .. (j + 1) * n_rows].
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn zeros(n_rows: usize, n_cols: usize) -> Self {
        Matrix {
            n_rows,
            n_cols,
            data: vec![0.0; n_rows * n_cols],
        }
    }

    pub fn from_columns(n_rows: usize, columns: Vec<Vec<f64>>) -> Self {
        let n_cols = columns.len();
        let mut data = Vec::with_capacity(n_rows * n_cols);
        for c in columns {
            debug_assert_eq!(c.len(), n_rows);
            data.extend_from_slice(&c);
        }
        Matrix {
            n_rows,
            n_cols,
            data,
        }
    }

    /// Builds from rows (each of length `n_cols`); handy in tests and for small inputs.
    pub fn from_rows(rows: &[Vec<f64>]) -> Self {
        let n_rows = rows.len();
        let n_cols = rows.first().map_or(0, |r| r.len());
        let mut m = Matrix::zeros(n_rows, n_cols);
        for (i, r) in rows.iter().enumerate() {
            for (j, v) in r.iter().enumerate() {
                m.set(i, j, *v);
            }
        }
        m
    }

    #[inline]
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.n_rows..(j + 1) * self.n_rows]
    }

    #[inline]
    pub fn col_mut(&mut self, j: usize) -> &mut [f64] {
        &mut self.data[j * self.n_rows..(j + 1) * self.n_rows]
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.n_rows + i]
    }

    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[j * self.n_rows + i] = v;
    }

    /// Row i, copied out.
    pub fn row(&self, i: usize) -> Vec<f64> {
        (0..self.n_cols).map(|j| self.get(i, j)).collect()
    }

    /// The rows in `idx`, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.n_cols);
        for j in 0..self.n_cols {
            let c = self.col(j);
            data.extend(idx.iter().map(|&i| c[i]));
        }
        Matrix {
            n_rows: idx.len(),
            n_cols: self.n_cols,
            data,
        }
    }

    /// Row-major copy: for algorithms that walk whole rows (distances).
    pub fn to_row_major(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.n_rows * self.n_cols];
        for j in 0..self.n_cols {
            for (i, v) in self.col(j).iter().enumerate() {
                out[i * self.n_cols + j] = *v;
            }
        }
        out
    }

    /// X w (+ b): one linear prediction per row.
    pub fn mat_vec(&self, w: &[f64], intercept: f64) -> Vec<f64> {
        let mut out = vec![intercept; self.n_rows];
        for (j, wj) in w.iter().enumerate() {
            if *wj != 0.0 {
                for (o, x) in out.iter_mut().zip(self.col(j)) {
                    *o += wj * x;
                }
            }
        }
        out
    }
}

/// Dot product with four accumulators, so the compiler can vectorise it. The summation order is fixed,
/// so results do not depend on anything but the inputs.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let chunks = n / 4;
    for k in 0..chunks {
        let i = 4 * k;
        acc[0] += a[i] * b[i];
        acc[1] += a[i + 1] * b[i + 1];
        acc[2] += a[i + 2] * b[i + 2];
        acc[3] += a[i + 3] * b[i + 3];
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for i in 4 * chunks..n {
        s += a[i] * b[i];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_major_layout_and_products() {
        let m = Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        assert_eq!(m.col(1), &[2.0, 4.0, 6.0]);
        assert_eq!(m.row(2), vec![5.0, 6.0]);
        assert_eq!(m.mat_vec(&[1.0, -1.0], 10.0), vec![9.0, 9.0, 9.0]);
        assert_eq!(m.select_rows(&[2, 0]).col(0), &[5.0, 1.0]);
        assert_eq!(dot(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.0; 5]), 15.0);
        assert_eq!(m.to_row_major(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }
}
