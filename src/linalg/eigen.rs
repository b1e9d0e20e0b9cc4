//! The symmetric eigendecomposition, on faer (Householder tridiagonalisation and a divide and
//! conquer solver, single-threaded): linear regression's minimum-norm solve of singular normal
//! equations, and ridge's fallback when rounding makes XᵀX + αI look indefinite.

use faer::{Mat, Side};

/// Eigendecomposition of a symmetric matrix: eigenvalues ascending, and the eigenvectors as the
/// columns of `vectors` (vectors[k][i] is component k of eigenvector i).
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    pub values: Vec<f64>,
    pub vectors: Vec<Vec<f64>>,
}

impl SymmetricEigen {
    /// `None` when the matrix holds a non-finite value or the solver fails to converge. Only the
    /// lower triangle of `a` is read.
    pub fn new(a: &[Vec<f64>]) -> Option<Self> {
        let n = a.len();
        if a.iter().flatten().any(|v| !v.is_finite()) {
            return None;
        }
        if n == 0 {
            return Some(SymmetricEigen {
                values: vec![],
                vectors: vec![],
            });
        }
        let m = Mat::from_fn(n, n, |i, j| a[i][j]);
        let evd = m.self_adjoint_eigen(Side::Lower).ok()?;
        let (u, s) = (evd.U(), evd.S().column_vector());
        Some(SymmetricEigen {
            values: (0..n).map(|i| s[i]).collect(),
            vectors: (0..n)
                .map(|k| (0..n).map(|i| u[(k, i)]).collect())
                .collect(),
        })
    }

    /// The minimum-norm least-squares solution of A x = b (A the decomposed matrix): eigenvalues
    /// below `rel_tol` times the largest are treated as zero, as a pseudo-inverse does.
    pub fn pseudo_solve(&self, b: &[f64], rel_tol: f64) -> Vec<f64> {
        let n = self.values.len();
        let max = self.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut x = vec![0.0; n];
        for i in 0..n {
            let lambda = self.values[i];
            if lambda.abs() <= max * rel_tol || lambda == 0.0 {
                continue;
            }
            let proj: f64 = (0..n).map(|k| self.vectors[k][i] * b[k]).sum::<f64>() / lambda;
            for (k, xk) in x.iter_mut().enumerate() {
                *xk += proj * self.vectors[k][i];
            }
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::dot;

    #[test]
    fn eigen_reconstructs_the_matrix() {
        let a = vec![
            vec![4.0, 1.0, -2.0, 2.0],
            vec![1.0, 2.0, 0.0, 1.0],
            vec![-2.0, 0.0, 3.0, -2.0],
            vec![2.0, 1.0, -2.0, -1.0],
        ];
        let eig = SymmetricEigen::new(&a).unwrap();
        assert!(eig.values.windows(2).all(|w| w[0] <= w[1]));
        for i in 0..4 {
            let v: Vec<f64> = (0..4).map(|k| eig.vectors[k][i]).collect();
            let av: Vec<f64> = a.iter().map(|r| dot(r, &v)).collect();
            for k in 0..4 {
                assert!((av[k] - eig.values[i] * v[k]).abs() < 1e-12);
            }
        }
        assert!(SymmetricEigen::new(&[vec![f64::NAN]]).is_none());
        assert!(SymmetricEigen::new(&[]).unwrap().values.is_empty());
    }

    #[test]
    fn pseudo_solve_gives_the_minimum_norm_solution_of_a_singular_system() {
        // x + y = 2 twice: the minimum-norm solution is (1, 1).
        let a = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        let eig = SymmetricEigen::new(&a).unwrap();
        let x = eig.pseudo_solve(&[2.0, 2.0], 1e-12);
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
    }
}
