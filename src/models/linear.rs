//! Linear regression (normal equations or gradient descent) and ridge regression.

use super::params::{at_least, non_negative, positive, ParamDoc, ParamError, ParamKind};
use super::{FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::design::Design;
use crate::linalg::{Cholesky, NormalEquations, SymmetricEigen};
use crate::matrix::{dot, Matrix};
use serde::{Deserialize, Serialize};

/// A fitted linear model: prediction = X · coef + intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    pub coef: Vec<f64>,
    pub intercept: f64,
}

impl LinearModel {
    pub fn predict(&self, x: &Matrix) -> Vec<f64> {
        x.mat_vec(&self.coef, self.intercept)
    }
}

/// Eigenvalues of XᵀX below this fraction of the largest are treated as zero by the minimum-norm
/// solve: exact collinearity (one-hot columns summing to the intercept) leaves eigenvalues at
/// rounding level, around 1e-16 of the largest.
const RANK_TOLERANCE: f64 = 1e-12;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearSolver {
    /// The least-squares optimum from the normal equations (minimum-norm when columns are collinear).
    Normal,
    /// Batch gradient descent on the mean squared error.
    Gd,
}

/// Ordinary least squares.
///
/// Minimises ||y - Xw - b||². Solver `normal` solves the normal equations through an eigendecomposition
/// of the centred XᵀX and returns the minimum-norm optimum, as scikit-learn's `LinearRegression`
/// (lstsq) does, so collinear one-hot columns are handled. Solver `gd` runs batch gradient descent on
/// the mean squared error (1/n)||y - Xw - b||², from zero, for `epochs` full passes of step
/// `learning_rate`; a fit whose loss becomes NaN or infinite fails with a message that says so.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearRegressionParams {
    pub solver: LinearSolver,
    pub learning_rate: f64,
    pub epochs: usize,
    pub fit_intercept: bool,
}

impl Default for LinearRegressionParams {
    fn default() -> Self {
        LinearRegressionParams {
            solver: LinearSolver::Normal,
            learning_rate: 0.01,
            epochs: 1000,
            fit_intercept: true,
        }
    }
}

impl LinearRegressionParams {
    pub fn check(&self) -> Result<(), ParamError> {
        positive("learning_rate", self.learning_rate)?;
        at_least("epochs", self.epochs, 1)
    }
}

const FIT_INTERCEPT: ParamDoc = ParamDoc {
    name: "fit_intercept",
    kind: ParamKind::Bool,
    doc: "learn an intercept (unpenalised)",
};

pub const LINEAR_REGRESSION_INFO: ModelInfo = ModelInfo {
    name: "linear_regression",
    tasks: &[Task::Regression],
    objective: "||y - Xw - b||^2 (ordinary least squares; gd: mean squared error by batch gradient descent)",
    params: &[
        ParamDoc {
            name: "solver",
            kind: ParamKind::Choice(&["normal", "gd"]),
            doc: "normal: exact minimum-norm optimum; gd: batch gradient descent",
        },
        ParamDoc {
            name: "learning_rate",
            kind: ParamKind::Float,
            doc: "gd step size, > 0",
        },
        ParamDoc {
            name: "epochs",
            kind: ParamKind::Int,
            doc: "gd passes over the training rows, >= 1",
        },
        FIT_INTERCEPT,
    ],
};

pub fn fit_linear_regression(
    p: &LinearRegressionParams,
    x: &Design,
    y: &[f64],
    weights: Option<&[f64]>,
    cache: &super::FitCache,
) -> Result<LinearModel, String> {
    let model = match p.solver {
        LinearSolver::Normal => {
            let ne = cache.weighted_normal_equations(x, y, weights, p.fit_intercept);
            let eig = SymmetricEigen::new(&ne.gram)
                .ok_or("the normal equations hold non-finite values (check the data for inf)")?;
            let coef = eig.pseudo_solve(&ne.xty, RANK_TOLERANCE);
            let intercept = ne.intercept(&coef);
            LinearModel { coef, intercept }
        }
        LinearSolver::Gd => gradient_descent(
            (cache.dense(x), y, weights),
            p.learning_rate,
            p.epochs,
            p.fit_intercept,
        )?,
    };
    finite_or_err(model)
}

/// Batch gradient descent on (1/n)||y - Xw - b||², starting from zero, as the article does it:
/// gradient (2/n) Xᵀ(Xw + b - y), one step per epoch. With row weights, the weighted mean
/// Σ wᵢ rᵢ² / Σ w and its gradient (2/Σw) Xᵀ(w ∘ r); without, every weight is exactly 1.
fn gradient_descent(
    (x, y, weights): (&Matrix, &[f64], Option<&[f64]>),
    learning_rate: f64,
    epochs: usize,
    fit_intercept: bool,
) -> Result<LinearModel, String> {
    let weight = |i: usize| weights.map_or(1.0, |w| w[i]);
    let n: f64 = (0..x.n_rows).map(weight).sum();
    let mut w = vec![0.0; x.n_cols];
    let mut b = 0.0;
    let mut first_loss = None;
    for epoch in 1..=epochs {
        let pred = x.mat_vec(&w, b);
        let residual: Vec<f64> = pred
            .iter()
            .zip(y)
            .enumerate()
            .map(|(i, (p, t))| weight(i) * (p - t))
            .collect();
        let plain: Vec<f64>;
        let unweighted = match weights {
            None => &residual,
            Some(_) => {
                plain = pred.iter().zip(y).map(|(p, t)| p - t).collect();
                &plain
            }
        };
        let loss = dot(&residual, unweighted) / n;
        let start = *first_loss.get_or_insert(loss);
        // A loss a million times the starting one only grows further: the steps overshoot.
        if !loss.is_finite() || loss > start * 1e6 {
            return Err(format!(
                "gradient descent diverged at epoch {epoch}: the training loss grew from {start:.4e} to {loss:.4e}; \
                 lower `learning_rate` (now {learning_rate}) or scale the features"
            ));
        }
        for (j, wj) in w.iter_mut().enumerate() {
            *wj -= learning_rate * 2.0 / n * dot(x.col(j), &residual);
        }
        if fit_intercept {
            b -= learning_rate * 2.0 / n * residual.iter().sum::<f64>();
        }
    }
    Ok(LinearModel {
        coef: w,
        intercept: b,
    })
}

/// Ridge regression.
///
/// Minimises ||y - Xw - b||² + alpha ||w||², the intercept b unpenalised (scikit-learn's `Ridge`):
/// X and y are centred, (XᵀX + alpha I) w = Xᵀy is solved by Cholesky, and b = ȳ - x̄·w.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RidgeParams {
    pub alpha: f64,
    pub fit_intercept: bool,
}

impl Default for RidgeParams {
    fn default() -> Self {
        RidgeParams {
            alpha: 1.0,
            fit_intercept: true,
        }
    }
}

impl RidgeParams {
    pub fn check(&self) -> Result<(), ParamError> {
        non_negative("alpha", self.alpha)
    }
}

pub const RIDGE_INFO: ModelInfo = ModelInfo {
    name: "ridge",
    tasks: &[Task::Regression],
    objective: "||y - Xw - b||^2 + alpha ||w||^2",
    params: &[
        ParamDoc {
            name: "alpha",
            kind: ParamKind::Float,
            doc: "L2 penalty strength, >= 0",
        },
        FIT_INTERCEPT,
    ],
};

/// Solves ridge from precomputed normal equations, so one XᵀX serves every alpha of a grid.
/// The penalised matrix is built flat and handed to the factorisation, which drops it once its own
/// factor is made: two p x p matrices at most (what `pipeline::budget::footprint` counts), where
/// a penalised copy of the rows, a flat copy and the factor would be three.
fn solve_ridge(ne: &NormalEquations, alpha: f64) -> Result<LinearModel, String> {
    let p = ne.xty.len();
    let penalised_flat = ne
        .gram
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            row[..p]
                .iter()
                .enumerate()
                .map(move |(j, &v)| if i == j { v + alpha } else { v })
        })
        .collect();
    let coef = match Cholesky::new(penalised_flat, p) {
        Some(c) => c.solve(&ne.xty),
        // alpha = 0 with collinear columns: fall back to the minimum-norm solution.
        None => {
            let mut a = ne.gram.clone();
            for (i, row) in a.iter_mut().enumerate() {
                row[i] += alpha;
            }
            SymmetricEigen::new(&a)
                .ok_or("the normal equations hold non-finite values (check the data for inf)")?
                .pseudo_solve(&ne.xty, RANK_TOLERANCE)
        }
    };
    let intercept = ne.intercept(&coef);
    finite_or_err(LinearModel { coef, intercept })
}

fn finite_or_err(m: LinearModel) -> Result<LinearModel, String> {
    if m.intercept.is_finite() && m.coef.iter().all(|c| c.is_finite()) {
        Ok(m)
    } else {
        Err("the fitted coefficients are not finite (check the data for inf or huge values)".into())
    }
}

/// The targets of a regression-only model, or why it cannot fit others.
fn regression_only<'a>(targets: Targets<'a>, name: &str) -> Result<&'a [f64], String> {
    match targets {
        Targets::Values(y) => Ok(y),
        _ => Err(format!("model `{name}` does regression only")),
    }
}

impl Model for LinearRegressionParams {
    const INFO: ModelInfo = LINEAR_REGRESSION_INFO;
    type Fitted = LinearModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, _task: Task) -> bool {
        self.solver == LinearSolver::Normal
    }

    fn fit(&self, on: FitOn) -> Result<(LinearModel, Vec<String>), String> {
        let y = regression_only(on.targets, Self::INFO.name)?;
        fit_linear_regression(self, on.design, y, on.weights, on.cache).map(|m| (m, Vec::new()))
    }
}

impl Model for RidgeParams {
    const INFO: ModelInfo = RIDGE_INFO;
    type Fitted = LinearModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, _task: Task) -> bool {
        true
    }

    fn fit(&self, on: FitOn) -> Result<(LinearModel, Vec<String>), String> {
        let y = regression_only(on.targets, Self::INFO.name)?;
        let ne = on
            .cache
            .weighted_normal_equations(on.design, y, on.weights, self.fit_intercept);
        solve_ridge(ne, self.alpha).map(|m| (m, Vec::new()))
    }
}

impl Predictor for LinearModel {
    const READS_SLOTS: bool = true;

    fn predict(&self, x: &Matrix) -> Output {
        Output::Values(LinearModel::predict(self, x))
    }

    fn predict_slots(&self, x: &Design) -> Option<Output> {
        Some(Output::Values(x.mat_vec(&self.coef, self.intercept)))
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        Some(("coefficient", self.coef.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_data() -> (Design, Vec<f64>) {
        // y = 3 x0 - 2 x1 + 5, exactly.
        let rows: Vec<Vec<f64>> = (0..20)
            .map(|i| vec![i as f64 / 10.0, ((i * 7) % 11) as f64 / 10.0])
            .collect();
        let y = rows.iter().map(|r| 3.0 * r[0] - 2.0 * r[1] + 5.0).collect();
        (Design::from_dense(Matrix::from_rows(&rows)), y)
    }

    fn linear(m: LinearModel) -> LinearModel {
        m
    }

    #[test]
    fn normal_solver_recovers_an_exact_line() {
        let (x, y) = line_data();
        let m = linear(
            fit_linear_regression(
                &LinearRegressionParams::default(),
                &x,
                &y,
                None,
                &Default::default(),
            )
            .unwrap(),
        );
        assert!((m.coef[0] - 3.0).abs() < 1e-10);
        assert!((m.coef[1] + 2.0).abs() < 1e-10);
        assert!((m.intercept - 5.0).abs() < 1e-10);
    }

    #[test]
    fn a_row_of_weight_two_counts_as_that_row_twice() {
        // scikit-learn's sample_weight semantics: an integer weight repeats the row.
        let rows: Vec<Vec<f64>> = (0..8).map(|i| vec![i as f64, (i * i % 5) as f64]).collect();
        let y: Vec<f64> = (0..8).map(|i| (i * 7 % 11) as f64).collect();
        let weights: Vec<f64> = (0..8).map(|i| if i % 3 == 0 { 2.0 } else { 1.0 }).collect();
        let mut twice_rows = rows.clone();
        let mut twice_y = y.clone();
        for i in (0..8).filter(|i| i % 3 == 0) {
            twice_rows.push(rows[i].clone());
            twice_y.push(y[i]);
        }
        for alpha in [0.0, 3.0] {
            let fit = |rows: &[Vec<f64>], y: &[f64], w: Option<&[f64]>| {
                let x = Design::from_dense(Matrix::from_rows(rows));
                let ne = super::super::FitCache::default()
                    .weighted_normal_equations(&x, y, w, true)
                    .clone();
                solve_ridge(&ne, alpha).unwrap()
            };
            let weighted = fit(&rows, &y, Some(&weights));
            let repeated = fit(&twice_rows, &twice_y, None);
            assert!((weighted.intercept - repeated.intercept).abs() < 1e-9);
            for (a, b) in weighted.coef.iter().zip(&repeated.coef) {
                assert!((a - b).abs() < 1e-9, "{weighted:?} vs {repeated:?}");
            }
        } // Gradient descent too: the weighted mean squared error is the repeated rows' one.
        let gd = LinearRegressionParams {
            solver: LinearSolver::Gd,
            learning_rate: 0.01,
            epochs: 300,
            fit_intercept: true,
        };
        let fit = |rows: &[Vec<f64>], y: &[f64], w: Option<&[f64]>| {
            let x = Design::from_dense(Matrix::from_rows(rows));
            linear(fit_linear_regression(&gd, &x, y, w, &Default::default()).unwrap())
        };
        let (weighted, repeated) = (
            fit(&rows, &y, Some(&weights)),
            fit(&twice_rows, &twice_y, None),
        );
        assert!((weighted.intercept - repeated.intercept).abs() < 1e-9);
        for (a, b) in weighted.coef.iter().zip(&repeated.coef) {
            assert!((a - b).abs() < 1e-9, "{weighted:?} vs {repeated:?}");
        }
    }

    #[test]
    fn normal_solver_copes_with_duplicated_columns() {
        // x1 = x0: the minimum-norm solution splits the weight evenly.
        let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![i as f64, i as f64]).collect();
        let y: Vec<f64> = (0..10).map(|i| 4.0 * i as f64 + 1.0).collect();
        let m = linear(
            fit_linear_regression(
                &LinearRegressionParams::default(),
                &Design::from_dense(Matrix::from_rows(&rows)),
                &y,
                None,
                &Default::default(),
            )
            .unwrap(),
        );
        assert!((m.coef[0] - 2.0).abs() < 1e-9 && (m.coef[1] - 2.0).abs() < 1e-9);
        assert!((m.intercept - 1.0).abs() < 1e-9);
    }

    #[test]
    fn gradient_descent_converges_and_divergence_is_an_error() {
        let (x, y) = line_data();
        let p = LinearRegressionParams {
            solver: LinearSolver::Gd,
            learning_rate: 0.1,
            epochs: 20000,
            fit_intercept: true,
        };
        let m = linear(fit_linear_regression(&p, &x, &y, None, &Default::default()).unwrap());
        assert!((m.coef[0] - 3.0).abs() < 1e-6, "{m:?}");
        let too_fast = LinearRegressionParams {
            learning_rate: 100.0,
            ..p
        };
        let err = fit_linear_regression(&too_fast, &x, &y, None, &Default::default()).unwrap_err();
        assert!(err.contains("diverged"), "{err}");
    }

    #[test]
    fn ridge_shrinks_towards_zero_by_the_closed_form() {
        // One centred column: w = xᵀy / (xᵀx + alpha).
        let x = Matrix::from_rows(&[vec![-1.0], vec![0.0], vec![1.0]]);
        let y = [-2.0, 0.0, 2.0];
        let m = solve_ridge(&NormalEquations::new(&x, &y, true), 2.0).unwrap();
        assert!((m.coef[0] - 4.0 / 4.0).abs() < 1e-14);
        assert!(m.intercept.abs() < 1e-14);
        assert!(RidgeParams {
            alpha: -1.0,
            fit_intercept: true
        }
        .check()
        .is_err());
    }
}
