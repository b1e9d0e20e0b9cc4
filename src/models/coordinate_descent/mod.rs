//! Lasso and elastic net: L1 (and L2) penalised least squares by cyclic coordinate descent.
//!
//! One solver serves both models (lasso is elastic net with `l1_ratio = 1`). It follows scikit-learn's
//! `enet_coordinate_descent` (sklearn/linear_model/_cd_fast.pyx) step by step: the problem is scaled by
//! n_samples (penalties `l1 = alpha * l1_ratio * n`, `l2 = alpha * (1 - l1_ratio) * n` on
//! `1/2 ||y - Xw||²`), coordinates are visited in order, a sweep whose largest coefficient change is at
//! most `tol` times the largest coefficient triggers a duality-gap check against `tol * ||y||²`
//! (y centred), and gap-safe screening drops coefficients proven zero. So a converged fit is the same
//! optimum as scikit-learn's to within its own stopping tolerance.
//!
//! Two entry points: [`fit_lasso`] / [`fit_elastic_net`] work on the rows (scikit-learn's default
//! `precompute=False`), and [`elastic_net_from_gram`] works on a precomputed centred XᵀX and Xᵀy
//! (scikit-learn's `precompute=True` path), so one Gram matrix can serve a whole alpha grid, with warm
//! starts along it.

mod sweeps;

use super::params::{at_least, non_negative, positive, within, ParamDoc, ParamError, ParamKind};
use super::{FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::design::Design;
use crate::matrix::{dot, Matrix};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use sweeps::{cd_gram, cd_rows, CdResult};

/// Lasso regression.
///
/// Minimises (1/2n) ||y - Xw - b||² + alpha ||w||₁, the intercept b unpenalised (scikit-learn's
/// `Lasso`): X and y are centred, w is found by cyclic coordinate descent, and b = ȳ - x̄·w. The
/// stopping rule is scikit-learn's: when a sweep changes no coefficient by more than `tol` times the
/// largest one, the duality gap is computed and the fit stops once it is at most `tol * ||y - ȳ||²`
/// (in scikit-learn's n-scaled units). Reaching `max_iter` sweeps keeps the last iterate and logs a
/// warning with the gap, as scikit-learn's `ConvergenceWarning` does.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LassoParams {
    pub alpha: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub fit_intercept: bool,
}

impl Default for LassoParams {
    fn default() -> Self {
        LassoParams {
            alpha: 1.0,
            max_iter: 1000,
            tol: 1e-4,
            fit_intercept: true,
        }
    }
}

impl LassoParams {
    pub fn check(&self) -> Result<(), ParamError> {
        self.as_elastic_net().check()
    }

    /// The same problem as an elastic net with `l1_ratio = 1`.
    pub fn as_elastic_net(&self) -> ElasticNetParams {
        ElasticNetParams {
            alpha: self.alpha,
            l1_ratio: 1.0,
            max_iter: self.max_iter,
            tol: self.tol,
            fit_intercept: self.fit_intercept,
        }
    }
}

/// Elastic net regression.
///
/// Minimises (1/2n) ||y - Xw - b||² + alpha l1_ratio ||w||₁ + alpha (1 - l1_ratio)/2 ||w||², the
/// intercept b unpenalised (scikit-learn's `ElasticNet`), by the same coordinate descent and stopping
/// rule as `lasso` (see there). `l1_ratio = 1` is the lasso, `l1_ratio = 0` a ridge penalty (with
/// scikit-learn's alternative duality gap for that case).
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElasticNetParams {
    pub alpha: f64,
    pub l1_ratio: f64,
    pub max_iter: usize,
    pub tol: f64,
    pub fit_intercept: bool,
}

impl Default for ElasticNetParams {
    fn default() -> Self {
        ElasticNetParams {
            alpha: 1.0,
            l1_ratio: 0.5,
            max_iter: 1000,
            tol: 1e-4,
            fit_intercept: true,
        }
    }
}

impl ElasticNetParams {
    pub fn check(&self) -> Result<(), ParamError> {
        non_negative("alpha", self.alpha)?;
        within("l1_ratio", self.l1_ratio, 0.0, 1.0)?;
        at_least("max_iter", self.max_iter, 1)?;
        positive("tol", self.tol)
    }
}

const ALPHA_DOC: ParamDoc = ParamDoc {
    name: "alpha",
    kind: ParamKind::Float,
    doc: "penalty strength, >= 0 (0 is least squares: prefer linear_regression)",
};
const MAX_ITER_DOC: ParamDoc = ParamDoc {
    name: "max_iter",
    kind: ParamKind::Int,
    doc: "coordinate descent sweeps at most, >= 1",
};
const TOL_DOC: ParamDoc = ParamDoc {
    name: "tol",
    kind: ParamKind::Float,
    doc: "stop when a sweep changes no coefficient by more than tol x the largest and the duality \
          gap is <= tol x ||y - mean(y)||^2, > 0",
};
const FIT_INTERCEPT_DOC: ParamDoc = ParamDoc {
    name: "fit_intercept",
    kind: ParamKind::Bool,
    doc: "learn an intercept (unpenalised)",
};

pub const LASSO_INFO: ModelInfo = ModelInfo {
    name: "lasso",
    tasks: &[Task::Regression],
    objective: "(1/2n) ||y - Xw - b||^2 + alpha ||w||_1 (cyclic coordinate descent)",
    params: &[ALPHA_DOC, MAX_ITER_DOC, TOL_DOC, FIT_INTERCEPT_DOC],
};

pub const ELASTIC_NET_INFO: ModelInfo = ModelInfo {
    name: "elastic_net",
    tasks: &[Task::Regression],
    objective: "(1/2n) ||y - Xw - b||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio)/2 ||w||^2 \
                (cyclic coordinate descent)",
    params: &[
        ALPHA_DOC,
        ParamDoc {
            name: "l1_ratio",
            kind: ParamKind::Float,
            doc: "share of the penalty that is L1, in [0, 1] (1: lasso, 0: ridge)",
        },
        MAX_ITER_DOC,
        TOL_DOC,
        FIT_INTERCEPT_DOC,
    ],
};

/// A fitted lasso or elastic net: prediction = X · coef + intercept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticNetModel {
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// Coordinate descent sweeps run.
    pub n_iter: usize,
    /// The last duality gap computed, in scikit-learn's n-scaled units (`dual_gap_ * n_samples`).
    pub dual_gap: f64,
}

impl ElasticNetModel {
    pub fn predict(&self, x: &Matrix) -> super::Output {
        super::Output::Values(x.mat_vec(&self.coef, self.intercept))
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        Some(("coefficient", self.coef.clone()))
    }
}

pub fn fit_lasso(
    p: &LassoParams,
    x: &Matrix,
    targets: Targets,
    rng: &mut Rng,
) -> Result<(ElasticNetModel, Vec<String>), String> {
    fit_elastic_net(&p.as_elastic_net(), x, targets, rng)
}

/// Fits on the rows (scikit-learn's `precompute=False`): X and y are centred (when fitting an
/// intercept) into a copy, and coordinate descent runs on it. Cyclic, so `rng` is not used.
pub fn fit_elastic_net(
    p: &ElasticNetParams,
    x: &Matrix,
    targets: Targets,
    _rng: &mut Rng,
) -> Result<(ElasticNetModel, Vec<String>), String> {
    let y = regression_targets(targets, x)?;
    let (n, cols) = (x.n_rows, x.n_cols);
    let x_mean: Vec<f64> = if p.fit_intercept {
        (0..cols).map(|j| mean(x.col(j))).collect()
    } else {
        vec![0.0; cols]
    };
    let y_mean = if p.fit_intercept { mean(y) } else { 0.0 };
    let mut xc = Matrix::zeros(n, cols);
    for (j, &m) in x_mean.iter().enumerate() {
        for (c, v) in xc.col_mut(j).iter_mut().zip(x.col(j)) {
            *c = v - m;
        }
    }
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let (l1, l2) = penalties(p, n);
    let cd = cd_rows(&xc, &yc, l1, l2, p.max_iter, p.tol, vec![0.0; cols]);
    finish(cd, &x_mean, y_mean, p)
}

/// Everything the Gram-matrix path needs from the training rows. With an intercept these are of the
/// centred data: `gram = (X - x̄)ᵀ(X - x̄)`, `xty = (X - x̄)ᵀ(y - ȳ)`, `yty = ||y - ȳ||²`; without one,
/// of the raw data with zero means. (`linalg::NormalEquations` holds all but `yty`.)
#[derive(Debug, Clone, Copy)]
pub struct GramProblem<'a> {
    /// Symmetric p x p, full (both triangles).
    pub gram: &'a [Vec<f64>],
    pub xty: &'a [f64],
    pub yty: f64,
    pub n_rows: usize,
    pub x_mean: &'a [f64],
    pub y_mean: f64,
}

/// Fits from a precomputed Gram matrix (scikit-learn's `precompute=True` path, the same optimum as
/// [`fit_elastic_net`] to within `tol`). `warm_start` (coefficients, e.g. those of the neighbouring
/// alpha on a grid) starts the descent there instead of at zero; the fit does not depend on it
/// beyond the stopping tolerance. `p.fit_intercept` is taken from how `problem` was built.
pub fn elastic_net_from_gram(
    problem: &GramProblem,
    p: &ElasticNetParams,
    warm_start: Option<&[f64]>,
) -> Result<(ElasticNetModel, Vec<String>), String> {
    let cols = problem.xty.len();
    if problem.n_rows == 0 {
        return Err("no training rows to fit on".into());
    }
    if problem.gram.len() != cols
        || problem.gram.iter().any(|r| r.len() != cols)
        || problem.x_mean.len() != cols
    {
        return Err(format!(
            "the Gram matrix is {} x {}, Xᵀy has {} entries and the means {}: they must agree",
            problem.gram.len(),
            problem.gram.first().map_or(0, |r| r.len()),
            cols,
            problem.x_mean.len()
        ));
    }
    let w0 = match warm_start {
        Some(w) if w.len() == cols => w.to_vec(),
        Some(w) => {
            return Err(format!(
                "the warm start has {} coefficients for {cols} columns",
                w.len()
            ))
        }
        None => vec![0.0; cols],
    };
    let (l1, l2) = penalties(p, problem.n_rows);
    let cd = cd_gram(
        problem.gram,
        problem.xty,
        problem.yty,
        l1,
        l2,
        p.max_iter,
        p.tol,
        w0,
    );
    finish(cd, problem.x_mean, problem.y_mean, p)
}

/// Fits through the normal equations of `cache`, computed once for (x, y) and shared by every alpha
/// and l1_ratio of a grid. The optimum is the one [`fit_elastic_net`] reaches, to within `tol`.
///
/// With row weights, scikit-learn first rescales them to sum to n, then centres on the weighted
/// means and scales each row by √w: the normal equations of the weighted rows (shared with ridge,
/// which takes the weights as they are) times n / Σw.
fn fit_on_normal_equations(
    p: &ElasticNetParams,
    x: &Design,
    y: &[f64],
    weights: Option<&[f64]>,
    cache: &super::FitCache,
) -> Result<(ElasticNetModel, Vec<String>), String> {
    let ne = cache.weighted_normal_equations(x, y, weights, p.fit_intercept);
    let Some(w) = weights else {
        let problem = GramProblem {
            gram: &ne.gram,
            xty: &ne.xty,
            yty: centred_sum_of_squares(y, p.fit_intercept),
            n_rows: ne.n_rows,
            x_mean: &ne.x_mean,
            y_mean: ne.y_mean,
        };
        return elastic_net_from_gram(&problem, p, None);
    };
    let scale = y.len() as f64 / w.iter().sum::<f64>();
    let gram: Vec<Vec<f64>> = ne
        .gram
        .iter()
        .map(|row| row.iter().map(|v| v * scale).collect())
        .collect();
    let xty: Vec<f64> = ne.xty.iter().map(|v| v * scale).collect();
    let yty = scale
        * y.iter()
            .zip(w)
            .map(|(v, wi)| wi * (v - ne.y_mean) * (v - ne.y_mean))
            .sum::<f64>();
    let problem = GramProblem {
        gram: &gram,
        xty: &xty,
        yty,
        n_rows: y.len(),
        x_mean: &ne.x_mean,
        y_mean: ne.y_mean,
    };
    elastic_net_from_gram(&problem, p, None)
}

/// Σ (y - ȳ)² (or Σ y² when not centring): the `yty` of a [`GramProblem`].
pub fn centred_sum_of_squares(y: &[f64], center: bool) -> f64 {
    let m = if center { mean(y) } else { 0.0 };
    y.iter().map(|v| (v - m) * (v - m)).sum()
}

fn regression_targets<'a>(targets: Targets<'a>, x: &Matrix) -> Result<&'a [f64], String> {
    let y = match targets {
        Targets::Values(y) => y,
        _ => {
            return Err(
                "lasso and elastic_net are regression models: set task = \"regression\"".into(),
            )
        }
    };
    if y.len() != x.n_rows {
        return Err(format!(
            "{} targets for {} rows of features",
            y.len(),
            x.n_rows
        ));
    }
    if x.n_rows == 0 {
        return Err("no training rows to fit on".into());
    }
    Ok(y)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// scikit-learn's scaling: the solver minimises n times the documented objective.
fn penalties(p: &ElasticNetParams, n: usize) -> (f64, f64) {
    let n = n as f64;
    (p.alpha * p.l1_ratio * n, p.alpha * (1.0 - p.l1_ratio) * n)
}

fn finish(
    cd: CdResult,
    x_mean: &[f64],
    y_mean: f64,
    p: &ElasticNetParams,
) -> Result<(ElasticNetModel, Vec<String>), String> {
    let intercept = y_mean - dot(x_mean, &cd.coef);
    if !intercept.is_finite() || cd.coef.iter().any(|c| !c.is_finite()) {
        return Err(
            "coordinate descent produced non-finite coefficients (check the data for inf or huge \
             values, and scale the features)"
                .into(),
        );
    }
    let mut warnings = Vec::new();
    if !cd.converged {
        let mut w = format!(
            "did not converge in max_iter={} iterations: duality gap {:.6e}, tolerance {:.3e}; \
             raise max_iter or tol, scale the features or increase alpha",
            p.max_iter, cd.gap, cd.gap_tol
        );
        if p.alpha * p.l1_ratio < f64::EPSILON {
            w.push_str(" (with no L1 penalty, ridge solves this problem exactly)");
        }
        warnings.push(w);
    }
    Ok((
        ElasticNetModel {
            coef: cd.coef,
            intercept,
            n_iter: cd.n_iter,
            dual_gap: cd.gap,
        },
        warnings,
    ))
}

impl Model for LassoParams {
    const INFO: ModelInfo = LASSO_INFO;
    type Fitted = ElasticNetModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, task: Task) -> bool {
        task == Task::Regression
    }

    fn fit(&self, on: FitOn) -> Result<(ElasticNetModel, Vec<String>), String> {
        self.as_elastic_net().fit(on)
    }
}

impl Model for ElasticNetParams {
    const INFO: ModelInfo = ELASTIC_NET_INFO;
    type Fitted = ElasticNetModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, task: Task) -> bool {
        task == Task::Regression
    }

    /// A regression fits through the cache's normal equations; other targets go to
    /// [`fit_elastic_net`] on the rows, which says why it cannot fit them.
    fn fit(&self, on: FitOn) -> Result<(ElasticNetModel, Vec<String>), String> {
        match on.targets {
            Targets::Values(y) => fit_on_normal_equations(self, on.design, y, on.weights, on.cache),
            t => fit_elastic_net(self, on.cache.dense(on.design), t, on.rng),
        }
    }
}

impl Predictor for ElasticNetModel {
    const READS_SLOTS: bool = true;

    fn predict(&self, x: &Matrix) -> Output {
        ElasticNetModel::predict(self, x)
    }

    fn predict_slots(&self, x: &Design) -> Option<Output> {
        Some(Output::Values(x.mat_vec(&self.coef, self.intercept)))
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        ElasticNetModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{rng_for, Purpose};

    fn rng() -> Rng {
        rng_for(0, Purpose::Fit, &[])
    }

    /// Two centred orthogonal columns with xⱼᵀxⱼ = n: coordinate descent is exact after one sweep,
    /// w_j = S(xⱼᵀy / n, alpha l1_ratio) / (1 + alpha (1 - l1_ratio)).
    fn orthogonal() -> (Matrix, Vec<f64>) {
        let x = Matrix::from_rows(&[
            vec![1.0, 1.0],
            vec![-1.0, 1.0],
            vec![1.0, -1.0],
            vec![-1.0, -1.0],
        ]);
        // xᵀy / n = (2, -0.25); mean 3.
        let y = vec![
            3.0 + 2.0 - 0.25,
            3.0 - 2.0 - 0.25,
            3.0 + 2.0 + 0.25,
            3.0 - 2.0 + 0.25,
        ];
        (x, y)
    }

    fn soft(z: f64, t: f64) -> f64 {
        z.signum() * (z.abs() - t).max(0.0)
    }

    #[test]
    fn lasso_and_elastic_net_match_the_closed_form_on_orthogonal_columns() {
        let (x, y) = orthogonal();
        for (alpha, l1_ratio) in [(0.1, 1.0), (0.5, 1.0), (0.3, 0.5), (1.0, 0.2), (3.0, 1.0)] {
            let p = ElasticNetParams {
                alpha,
                l1_ratio,
                tol: 1e-12,
                ..Default::default()
            };
            let (m, w) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
            assert!(w.is_empty(), "{w:?}");
            let denom = 1.0 + alpha * (1.0 - l1_ratio);
            let expect = [
                soft(2.0, alpha * l1_ratio) / denom,
                soft(-0.25, alpha * l1_ratio) / denom,
            ];
            for (c, e) in m.coef.iter().zip(expect) {
                assert!(
                    (c - e).abs() < 1e-12,
                    "alpha {alpha} l1 {l1_ratio}: {:?} vs {expect:?}",
                    m.coef
                );
            }
            assert!((m.intercept - 3.0).abs() < 1e-12);
        }
        // Lasso is elastic net with l1_ratio = 1.
        let lasso = LassoParams {
            alpha: 0.5,
            ..Default::default()
        };
        let (a, _) = fit_lasso(&lasso, &x, Targets::Values(&y), &mut rng()).unwrap();
        let (b, _) =
            fit_elastic_net(&lasso.as_elastic_net(), &x, Targets::Values(&y), &mut rng()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.coef, vec![1.5, 0.0]);
    }

    #[test]
    fn a_large_alpha_gives_zero_coefficients_without_iterating() {
        let (x, y) = orthogonal();
        let p = ElasticNetParams {
            alpha: 10.0,
            l1_ratio: 1.0,
            ..Default::default()
        };
        let (m, w) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
        assert!(w.is_empty());
        assert_eq!(m.coef, vec![0.0, 0.0]);
        assert_eq!(m.n_iter, 0);
        assert!((m.intercept - 3.0).abs() < 1e-15);
    }

    fn correlated(n: usize) -> (Matrix, Vec<f64>) {
        let rows: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let t = i as f64;
                vec![
                    (t * 0.37).sin(),
                    (t * 0.37).sin() + 0.3 * (t * 1.3).cos(),
                    (t * 0.11).cos(),
                    1.0,
                ]
            })
            .collect();
        let y = rows
            .iter()
            .enumerate()
            .map(|(i, r)| 2.0 * r[0] - r[1] + 0.5 * r[2] + 0.1 * ((i * 7 % 5) as f64))
            .collect();
        (Matrix::from_rows(&rows), y)
    }

    #[test]
    fn alpha_zero_is_least_squares() {
        // Column 3 is constant: centred it is all zeros and stays at 0, as in scikit-learn.
        let (x, y) = correlated(40);
        let p = ElasticNetParams {
            alpha: 0.0,
            tol: 1e-12,
            max_iter: 100_000,
            ..Default::default()
        };
        let (m, _) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
        // Least-squares optimum: the gradient Xᵀ(y - Xw - b) vanishes.
        let pred = x.mat_vec(&m.coef, m.intercept);
        let r: Vec<f64> = y.iter().zip(&pred).map(|(a, b)| a - b).collect();
        for j in 0..3 {
            assert!(dot(x.col(j), &r).abs() < 1e-6, "{j}: {}", dot(x.col(j), &r));
        }
        assert!(r.iter().sum::<f64>().abs() < 1e-9);
        assert_eq!(m.coef[3], 0.0);
    }

    #[test]
    fn hitting_max_iter_warns_like_scikit_learn() {
        let (x, y) = correlated(40);
        let p = ElasticNetParams {
            alpha: 1e-4,
            max_iter: 2,
            tol: 1e-12,
            ..Default::default()
        };
        let (m, w) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
        assert_eq!(m.n_iter, 2);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].starts_with("did not converge in max_iter=2 iterations: duality gap "),
            "{}",
            w[0]
        );
        assert!(
            w[0].contains("tolerance") && w[0].contains("raise max_iter"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn the_gram_path_reaches_the_same_optimum_with_or_without_warm_start() {
        let (x, y) = correlated(60);
        let (n, cols) = (x.n_rows, x.n_cols);
        let x_mean: Vec<f64> = (0..cols).map(|j| mean(x.col(j))).collect();
        let y_mean = mean(&y);
        let xc: Vec<Vec<f64>> = (0..cols)
            .map(|j| x.col(j).iter().map(|v| v - x_mean[j]).collect())
            .collect();
        let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
        let gram: Vec<Vec<f64>> = xc
            .iter()
            .map(|a| xc.iter().map(|b| dot(a, b)).collect())
            .collect();
        let xty: Vec<f64> = xc.iter().map(|a| dot(a, &yc)).collect();
        let problem = GramProblem {
            gram: &gram,
            xty: &xty,
            yty: centred_sum_of_squares(&y, true),
            n_rows: n,
            x_mean: &x_mean,
            y_mean,
        };
        let mut warm: Option<Vec<f64>> = None;
        for alpha in [1.0, 0.1, 0.01, 0.001] {
            let p = ElasticNetParams {
                alpha,
                l1_ratio: 0.7,
                tol: 1e-12,
                max_iter: 100_000,
                ..Default::default()
            };
            let (rows, _) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
            let (cold, _) = elastic_net_from_gram(&problem, &p, None).unwrap();
            let (hot, _) = elastic_net_from_gram(&problem, &p, warm.as_deref()).unwrap();
            for m in [&cold, &hot] {
                for (a, b) in rows.coef.iter().zip(&m.coef) {
                    assert!(
                        (a - b).abs() < 1e-6,
                        "alpha {alpha}: {:?} vs {:?}",
                        rows.coef,
                        m.coef
                    );
                }
                assert!((rows.intercept - m.intercept).abs() < 1e-6);
            }
            warm = Some(hot.coef.clone());
        }
        assert!(
            elastic_net_from_gram(&problem, &ElasticNetParams::default(), Some(&[0.0])).is_err()
        );
    }

    #[test]
    fn without_intercept_the_data_are_not_centred() {
        // y = 2x exactly through the origin, offset data: no intercept, small alpha.
        let x = Matrix::from_rows(&[vec![1.0], vec![2.0], vec![3.0]]);
        let y = [2.0, 4.0, 6.0];
        let p = ElasticNetParams {
            alpha: 0.0,
            fit_intercept: false,
            tol: 1e-12,
            ..Default::default()
        };
        let (m, _) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
        assert_eq!(m.intercept, 0.0);
        assert!((m.coef[0] - 2.0).abs() < 1e-12);
        // Lasso through the origin: w = S(xᵀy, n alpha) / xᵀx = (28 - 3) / 14.
        let p = ElasticNetParams {
            alpha: 1.0,
            l1_ratio: 1.0,
            fit_intercept: false,
            tol: 1e-12,
            ..Default::default()
        };
        let (m, _) = fit_elastic_net(&p, &x, Targets::Values(&y), &mut rng()).unwrap();
        assert!((m.coef[0] - 25.0 / 14.0).abs() < 1e-12, "{:?}", m.coef);
    }

    #[test]
    fn check_rejects_impossible_values() {
        assert!(ElasticNetParams::default().check().is_ok());
        assert!(LassoParams::default().check().is_ok());
        let bad = [
            ElasticNetParams {
                alpha: -1.0,
                ..Default::default()
            },
            ElasticNetParams {
                alpha: f64::NAN,
                ..Default::default()
            },
            ElasticNetParams {
                l1_ratio: 1.5,
                ..Default::default()
            },
            ElasticNetParams {
                l1_ratio: -0.1,
                ..Default::default()
            },
            ElasticNetParams {
                max_iter: 0,
                ..Default::default()
            },
            ElasticNetParams {
                tol: 0.0,
                ..Default::default()
            },
        ];
        let keys: Vec<&str> = bad.iter().map(|p| p.check().unwrap_err().key).collect();
        assert_eq!(
            keys,
            ["alpha", "alpha", "l1_ratio", "l1_ratio", "max_iter", "tol"]
        );
        assert_eq!(
            LassoParams {
                tol: -1.0,
                ..Default::default()
            }
            .check()
            .unwrap_err()
            .key,
            "tol"
        );
        // ParamDoc names are the serde names.
        for info in [LASSO_INFO, ELASTIC_NET_INFO] {
            let json = if info.name == "lasso" {
                serde_json::to_value(LassoParams::default()).unwrap()
            } else {
                serde_json::to_value(ElasticNetParams::default()).unwrap()
            };
            let mut names: Vec<&str> = info.params.iter().map(|d| d.name).collect();
            let mut keys: Vec<&str> = json
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            names.sort();
            keys.sort();
            assert_eq!(names, keys);
        }
        let err = serde_json::from_str::<LassoParams>(r#"{"l1_ratio": 0.5}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
    }

    #[test]
    fn wrong_task_and_empty_data_are_errors() {
        let (x, _) = orthogonal();
        let labels = [0usize, 1, 0, 1];
        let t = Targets::Classes {
            labels: &labels,
            n_classes: 2,
        };
        assert!(
            fit_elastic_net(&ElasticNetParams::default(), &x, t, &mut rng())
                .unwrap_err()
                .contains("regression")
        );
        let empty = Matrix::zeros(0, 2);
        assert!(fit_lasso(
            &LassoParams::default(),
            &empty,
            Targets::Values(&[]),
            &mut rng()
        )
        .is_err());
    }

    #[test]
    fn serde_round_trip_predicts_bit_identically() {
        let (x, y) = correlated(30);
        let (m, _) = fit_elastic_net(
            &ElasticNetParams {
                alpha: 0.01,
                ..Default::default()
            },
            &x,
            Targets::Values(&y),
            &mut rng(),
        )
        .unwrap();
        let back: ElasticNetModel =
            serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.predict(&x), m.predict(&x));
        assert_eq!(m.feature_weights().unwrap().0, "coefficient");
    }
}
