//! Logistic regression: binary (sigmoid) and multinomial (softmax), L2-penalised or unpenalised.

mod optimize;

use super::class_weight::BALANCED;
use super::link::sigmoid;
use super::params::{at_least, positive, ParamDoc, ParamError, ParamKind};
use super::{FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::linalg::{centred_gram, CentredColumn};
use crate::matrix::{dot, Matrix};
use crate::rng::Rng;
use optimize::{lbfgs, newton};
use serde::{Deserialize, Serialize};

/// The penalty on the coefficients (never on the intercept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Penalty {
    /// (1/2) ||w||², weighted against the log-loss by C.
    L2,
    /// No penalty: plain maximum likelihood (scikit-learn's `penalty=None`, or `C=np.inf`).
    None,
}

/// Logistic regression.
///
/// Minimises scikit-learn's objective `C · Σᵢ log-loss(yᵢ, xᵢ) + ½ ||W||²`, the intercepts unpenalised
/// (penalty "none" drops the ½ ||W||² term and C). Two classes: one weight vector, P(class 1) =
/// sigmoid(x·w + b), probabilities [1 - p, p]. Three or more: one weight vector per class and a
/// softmax, all K vectors penalised (scikit-learn's multinomial parameterisation); the softmax is
/// unchanged when the same vector is added to every class, so the fit also pins Σₖ (wₖ, bₖ) = 0,
/// which is where the L2 optimum lies anyway and merely picks one of the equivalent unpenalised
/// optima. Classes absent from the training rows get probability 0 and the fit runs on the others.
///
/// scikit-learn's default solver is L-BFGS, stopped once the largest gradient component of
/// `mean log-loss + ||W||² / (2 C n)` is below `tol`. Parity comes from both solvers reaching the
/// same (strictly convex) optimum, so kiln converges much tighter than lbfgs: Newton's method with a
/// Cholesky solve of the exact Hessian and a backtracking line search (L-BFGS with 10 pairs and a
/// strong-Wolfe line search when the Hessian would have more than 1000 rows or cost more than 2e9
/// multiply-adds to form), stopped once that largest gradient component is below
/// `tol × 1e-4` (1e-8 by default). `max_iter` caps the Newton (or L-BFGS) iterations; a fit that
/// stops there with a gradient still above `tol` (where lbfgs would also not have converged) is
/// kept, with a warning, as scikit-learn's `ConvergenceWarning`. With penalty "none" on separable
/// classes the optimum is at infinity; the fit stops when the gradient has vanished or at
/// `max_iter`, and warns that the classes are separable (every training row classified right).
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticRegressionParams {
    #[serde(rename = "C")]
    pub c: f64,
    pub penalty: Penalty,
    pub max_iter: usize,
    pub tol: f64,
    pub fit_intercept: bool,
    /// Applied by the search to the fit's row weights ([`super::class_weight`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_weight: Option<super::class_weight::ClassWeight>,
}

impl Default for LogisticRegressionParams {
    fn default() -> Self {
        LogisticRegressionParams {
            c: 1.0,
            penalty: Penalty::L2,
            max_iter: 100,
            tol: 1e-4,
            fit_intercept: true,
            class_weight: None,
        }
    }
}

impl LogisticRegressionParams {
    pub fn check(&self) -> Result<(), ParamError> {
        positive("C", self.c)?;
        positive("tol", self.tol)?;
        at_least("max_iter", self.max_iter, 1)
    }
}

pub const LOGISTIC_REGRESSION_INFO: ModelInfo = ModelInfo {
    name: "logistic_regression",
    tasks: &[Task::Classification],
    objective: "C * sum(log-loss) + 1/2 ||W||^2, intercepts unpenalised (penalty \"none\": sum(log-loss)); \
                sigmoid for 2 classes, multinomial softmax for 3+",
    params: &[
        ParamDoc {
            name: "C",
            kind: ParamKind::Float,
            doc: "inverse of the L2 penalty strength, > 0; ignored with penalty \"none\"",
        },
        ParamDoc {
            name: "penalty",
            kind: ParamKind::Choice(&["l2", "none"]),
            doc: "l2: penalise 1/2 ||W||^2; none: unpenalised maximum likelihood",
        },
        ParamDoc {
            name: "max_iter",
            kind: ParamKind::Int,
            doc: "cap on the solver's iterations (Newton, or L-BFGS for large problems), >= 1",
        },
        ParamDoc {
            name: "tol",
            kind: ParamKind::Float,
            doc: "gradient tolerance as scikit-learn's lbfgs; kiln converges to tol * 1e-4, > 0",
        },
        ParamDoc {
            name: "fit_intercept",
            kind: ParamKind::Bool,
            doc: "learn intercepts (unpenalised)",
        },
        ParamDoc {
            name: "class_weight",
            kind: ParamKind::ClassWeight(BALANCED),
            doc: "balanced: each class weighs n / (k * its rows) in the fit (from the fold's training rows); a table { label = weight } weighs the classes it names (the rest 1); unset: every class 1",
        },
    ],
};

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Columns of the probability output (every class of the data, seen in training or not).
    pub n_classes: usize,
    /// The classes seen in training, ascending; only they get non-zero probabilities.
    pub classes: Vec<usize>,
    /// Binary (two classes seen): one row, the weights of `classes[1]`. Otherwise one row per class
    /// of `classes`.
    pub coef: Vec<Vec<f64>>,
    /// One per row of `coef` (zeros without fit_intercept).
    pub intercept: Vec<f64>,
    /// Solver iterations used.
    pub n_iter: usize,
}

impl LogisticModel {
    pub fn predict(&self, x: &Matrix) -> Output {
        let n = x.n_rows;
        let mut proba = Matrix::zeros(n, self.n_classes);
        if self.coef.len() == 1 {
            let z = x.mat_vec(&self.coef[0], self.intercept[0]);
            let (c0, c1) = (self.classes[0], self.classes[1]);
            for (i, zi) in z.iter().enumerate() {
                let p = sigmoid(*zi);
                proba.set(i, c0, 1.0 - p);
                proba.set(i, c1, p);
            }
        } else {
            let z: Vec<Vec<f64>> = self
                .coef
                .iter()
                .zip(&self.intercept)
                .map(|(w, b)| x.mat_vec(w, *b))
                .collect();
            let mut zi = vec![0.0; z.len()];
            for i in 0..n {
                for (k, zk) in z.iter().enumerate() {
                    zi[k] = zk[i];
                }
                softmax_in_place(&mut zi);
                for (k, c) in self.classes.iter().enumerate() {
                    proba.set(i, *c, zi[k]);
                }
            }
        }
        Output::Proba(proba)
    }

    /// Binary: the coefficients of the second class ("coefficient"). Multinomial: per column, the
    /// Euclidean norm of its K class coefficients ("importance"; the signed coefficients are per class).
    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        if self.coef.len() == 1 {
            return Some(("coefficient", self.coef[0].clone()));
        }
        let p = self.coef.first().map_or(0, |w| w.len());
        let norms = (0..p)
            .map(|j| self.coef.iter().map(|w| w[j] * w[j]).sum::<f64>().sqrt())
            .collect();
        Some(("importance", norms))
    }
}

/// Hessians with more rows than this are not formed: L-BFGS takes over from Newton.
const NEWTON_MAX_DIM: usize = 1000;
/// Nor when forming one (n_rows × dim² / 2 multiply-adds per iteration) would cost more than this.
const NEWTON_MAX_WORK: f64 = 2e9;
/// kiln's stopping gradient is `tol` times this.
const TIGHTEN: f64 = 1e-4;

pub fn fit_logistic_regression(
    p: &LogisticRegressionParams,
    x: &Matrix,
    targets: Targets,
    weights: Option<&[f64]>,
    _rng: &mut Rng,
) -> Result<(LogisticModel, Vec<String>), String> {
    let (labels, n_classes) = match targets {
        Targets::Classes { labels, n_classes } => (labels, n_classes),
        _ => {
            return Err(
                "logistic_regression is a classifier: use it with task = \"classification\"".into(),
            )
        }
    };
    fit_with(p, x, (labels, weights), n_classes, NEWTON_MAX_DIM)
}

fn fit_with(
    p: &LogisticRegressionParams,
    x: &Matrix,
    (labels, weights): (&[usize], Option<&[f64]>),
    n_classes: usize,
    newton_max_dim: usize,
) -> Result<(LogisticModel, Vec<String>), String> {
    p.check().map_err(|e| format!("{}: {}", e.key, e.message))?;
    if labels.len() != x.n_rows || x.n_rows == 0 {
        return Err(format!(
            "logistic_regression needs one label per row and at least one row (got {} labels for {} rows)",
            labels.len(),
            x.n_rows
        ));
    }
    if x.data.iter().any(|v| !v.is_finite()) {
        return Err("the design matrix holds NaN or infinite values".into());
    }
    let mut seen = vec![false; n_classes];
    for &l in labels {
        if l >= n_classes {
            return Err(format!("label {l} is out of range for {n_classes} classes"));
        }
        seen[l] = true;
    }
    let classes: Vec<usize> = (0..n_classes).filter(|c| seen[*c]).collect();
    if classes.len() < 2 {
        return Err(format!(
            "the training rows hold a single class (index {}); logistic regression needs at least two \
             (use more data per fold, or fewer folds)",
            classes.first().copied().unwrap_or(0)
        ));
    }
    let mut local = vec![usize::MAX; n_classes];
    for (k, c) in classes.iter().enumerate() {
        local[*c] = k;
    }
    let y: Vec<usize> = labels.iter().map(|l| local[*l]).collect();
    // scikit-learn scales the penalty by the sum of the weights (n without them), so that
    // C · Σ wᵢ lossᵢ + ½||W||² is what is minimised.
    let n = weights.map_or(x.n_rows as f64, |w| w.iter().sum());
    let lambda = match p.penalty {
        Penalty::L2 => 1.0 / (p.c * n),
        Penalty::None => 0.0,
    };
    let k = if classes.len() == 2 { 1 } else { classes.len() };
    let d = x.n_cols + usize::from(p.fit_intercept);
    let dim = k * d;
    let use_newton =
        dim <= newton_max_dim && (x.n_rows as f64) * (dim * dim) as f64 <= NEWTON_MAX_WORK;
    let obj = Objective {
        x,
        y: &y,
        weights,
        total_weight: n,
        k,
        d,
        fit_intercept: p.fit_intercept,
        lambda,
        // Newton needs the gauge term to make the softmax Hessian non-singular; L-BFGS from zero
        // stays where Σₖ θₖ = 0 by itself (every gradient sums to zero over the classes), and the
        // term's large curvature only slows it down.
        gauge: if k > 1 && use_newton { 1.0 } else { 0.0 },
    };
    let theta0 = vec![0.0; dim];
    let tight = p.tol * TIGHTEN;
    let mut sol = if use_newton {
        newton(&obj, theta0, tight, p.max_iter)
    } else {
        lbfgs(&obj, theta0, tight, p.max_iter)
    };
    if k > 1 {
        // Remove what rounding left of Σₖ θₖ (the softmax does not see it).
        for j in 0..d {
            let mean = (0..k).map(|c| sol.theta[c * d + j]).sum::<f64>() / k as f64;
            for c in 0..k {
                sol.theta[c * d + j] -= mean;
            }
        }
    }
    if sol.theta.iter().any(|t| !t.is_finite()) {
        return Err(
            "the fitted coefficients are not finite (check the data for huge values)".into(),
        );
    }
    let mut warnings = Vec::new();
    if sol.grad_max > p.tol {
        let why = if sol.iterations >= p.max_iter {
            format!("did not converge in max_iter={} iterations", p.max_iter)
        } else {
            "stopped: the line search could make no further progress".to_string()
        };
        warnings.push(format!(
            "logistic_regression {why} (largest gradient component {:.3e} > tol={}); increase \
             max_iter, scale the features, or lower C",
            sol.grad_max, p.tol
        ));
    }
    let (coef, intercept): (Vec<Vec<f64>>, Vec<f64>) = sol
        .theta
        .chunks(obj.d)
        .map(|t| {
            let b = if p.fit_intercept { t[x.n_cols] } else { 0.0 };
            (t[..x.n_cols].to_vec(), b)
        })
        .unzip();
    let model = LogisticModel {
        n_classes,
        classes,
        coef,
        intercept,
        n_iter: sol.iterations,
    };
    if p.penalty == Penalty::None {
        let proba = match model.predict(x) {
            Output::Proba(m) => m,
            _ => unreachable!(),
        };
        let separated = labels
            .iter()
            .enumerate()
            .all(|(i, l)| (0..n_classes).all(|c| c == *l || proba.get(i, c) < proba.get(i, *l)));
        if separated {
            warnings.push(
                "logistic_regression with penalty = \"none\": the training classes are linearly \
                 separable, so the unpenalised optimum is at infinity and the coefficients depend on \
                 where the solver stopped; use penalty = \"l2\""
                    .into(),
            );
        }
    }
    Ok((model, warnings))
}

/// log(1 + exp(z)) without overflow.
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Turns scores into probabilities; returns log Σ exp(scores).
fn softmax_in_place(z: &mut [f64]) -> f64 {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
    m + s.ln()
}

/// The scaled objective `mean log-loss + (lambda/2) ||W||²` (lambda = 1/(C n)), as scikit-learn's
/// LinearModelLoss, over θ = K blocks of d = n_features (+1 intercept) parameters. For K >= 2
/// (multinomial) it adds `(1/2) ||Σₖ θₖ||²`, which vanishes at the chosen optimum (see the model doc).
struct Objective<'a> {
    x: &'a Matrix,
    y: &'a [usize],
    /// Row weights (`data.weight`): each row's loss counts wᵢ times, and the mean is over Σ wᵢ.
    weights: Option<&'a [f64]>,
    /// Σ wᵢ, or n without weights.
    total_weight: f64,
    /// 1 = binary sigmoid (y in {0, 1}); otherwise the number of softmax classes.
    k: usize,
    d: usize,
    fit_intercept: bool,
    lambda: f64,
    /// Weight of the gauge term (1/2)||Σₖ θₖ||² (multinomial only): any value >= 0 gives the same
    /// predictions, and any value > 0 a non-singular Hessian.
    gauge: f64,
}

impl Objective<'_> {
    fn p(&self) -> usize {
        self.x.n_cols
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// Linear scores: one vector of n per block.
    fn scores(&self, theta: &[f64]) -> Vec<Vec<f64>> {
        let p = self.p();
        theta
            .chunks(self.d)
            .map(|t| {
                let b = if self.fit_intercept { t[p] } else { 0.0 };
                self.x.mat_vec(&t[..p], b)
            })
            .collect()
    }

    /// The objective, its gradient and the per-row residual weights (binary: probabilities; softmax:
    /// n x K probabilities, row-major) at θ.
    fn eval(&self, theta: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
        let n = self.x.n_rows;
        let nf = self.total_weight;
        let p = self.p();
        let z = self.scores(theta);
        let mut loss = 0.0;
        // resid[k][i] = P_ik - [y_i = k]
        let mut resid = vec![vec![0.0; n]; self.k];
        let mut probs;
        if self.k == 1 {
            probs = vec![0.0; n];
            for i in 0..n {
                let zi = z[0][i];
                let yi = self.y[i] as f64;
                // log(1 + e^z) - y z
                let wi = self.weight(i);
                loss += wi * (softplus(zi) - yi * zi);
                let pi = sigmoid(zi);
                probs[i] = pi;
                resid[0][i] = wi * (pi - yi);
            }
        } else {
            probs = vec![0.0; n * self.k];
            let mut zi = vec![0.0; self.k];
            for i in 0..n {
                for (c, zc) in z.iter().enumerate() {
                    zi[c] = zc[i];
                }
                let zy = zi[self.y[i]];
                let lse = softmax_in_place(&mut zi);
                let wi = self.weight(i);
                loss += wi * (lse - zy);
                for c in 0..self.k {
                    probs[i * self.k + c] = zi[c];
                    resid[c][i] = wi * (zi[c] - f64::from(u8::from(self.y[i] == c)));
                }
            }
        }
        let mut f = loss / nf;
        let mut g = vec![0.0; theta.len()];
        for c in 0..self.k {
            let t = &theta[c * self.d..(c + 1) * self.d];
            let gc = &mut g[c * self.d..(c + 1) * self.d];
            for j in 0..p {
                gc[j] = dot(self.x.col(j), &resid[c]) / nf + self.lambda * t[j];
            }
            if self.fit_intercept {
                gc[p] = resid[c].iter().sum::<f64>() / nf;
            }
            f += 0.5 * self.lambda * dot(&t[..p], &t[..p]);
        }
        if self.gauge > 0.0 {
            let mut sum = vec![0.0; self.d];
            for t in theta.chunks(self.d) {
                for (s, v) in sum.iter_mut().zip(t) {
                    *s += v;
                }
            }
            f += 0.5 * self.gauge * dot(&sum, &sum);
            for gc in g.chunks_mut(self.d) {
                for (gj, s) in gc.iter_mut().zip(&sum) {
                    *gj += self.gauge * s;
                }
            }
        }
        (f, g, probs)
    }

    /// The Hessian (dense, row-major, dim x dim) given the probabilities from `eval`.
    fn hessian(&self, probs: &[f64]) -> Vec<f64> {
        let n = self.x.n_rows;
        let nf = self.total_weight;
        let p = self.p();
        let d = self.d;
        let dim = self.k * d;
        let mut h = vec![0.0; dim * dim];
        // X̃'s columns: the features, then the intercept's column of ones.
        let ones = vec![1.0; if d > p { n } else { 0 }];
        let columns: Vec<CentredColumn> = (0..d)
            .map(|u| (if u < p { self.x.col(u) } else { &ones[..] }, 0.0))
            .collect();
        let mut s = vec![0.0; n];
        for a in 0..self.k {
            for b in a..self.k {
                // s_i = P_ia (δ_ab - P_ib) / n
                for i in 0..n {
                    s[i] = self.weight(i)
                        * if self.k == 1 {
                            probs[i] * (1.0 - probs[i]) / nf
                        } else {
                            let pa = probs[i * self.k + a];
                            let pb = probs[i * self.k + b];
                            pa * (f64::from(u8::from(a == b)) - pb) / nf
                        };
                }
                // block (a, b) = X̃ᵀ diag(s) X̃, symmetric: its upper triangle says it all.
                let block = centred_gram(&columns, Some(&s), n);
                for u in 0..d {
                    for v in u..d {
                        let val = block[u * d + v];
                        for (r, c) in [(a * d + u, b * d + v), (a * d + v, b * d + u)] {
                            h[r * dim + c] = val;
                            h[c * dim + r] = val;
                        }
                    }
                }
            }
        }
        for c in 0..self.k {
            for j in 0..p {
                h[(c * d + j) * dim + c * d + j] += self.lambda;
            }
        }
        if self.gauge > 0.0 {
            for a in 0..self.k {
                for b in 0..self.k {
                    for j in 0..d {
                        h[(a * d + j) * dim + b * d + j] += self.gauge;
                    }
                }
            }
        }
        h
    }
}

impl Model for LogisticRegressionParams {
    const INFO: ModelInfo = LOGISTIC_REGRESSION_INFO;
    type Fitted = LogisticModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, _task: Task) -> bool {
        false
    }

    fn fit(&self, on: FitOn) -> Result<(LogisticModel, Vec<String>), String> {
        fit_logistic_regression(
            self,
            on.cache.dense(on.design),
            on.targets,
            on.weights,
            on.rng,
        )
    }
}

impl Predictor for LogisticModel {
    fn predict(&self, x: &Matrix) -> Output {
        LogisticModel::predict(self, x)
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        LogisticModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> Rng {
        Rng::seed_from_u64(0)
    }

    fn proba(m: &LogisticModel, x: &Matrix) -> Matrix {
        match m.predict(x) {
            Output::Proba(p) => p,
            _ => panic!("not a probability output"),
        }
    }

    fn fit(
        p: &LogisticRegressionParams,
        x: &Matrix,
        y: &[usize],
        k: usize,
    ) -> (LogisticModel, Vec<String>) {
        fit_logistic_regression(
            p,
            x,
            Targets::Classes {
                labels: y,
                n_classes: k,
            },
            None,
            &mut rng(),
        )
        .unwrap()
    }

    /// A small overlapping two-feature, three-class problem.
    fn three_class() -> (Matrix, Vec<usize>) {
        let rows = vec![
            vec![0.0, 0.0],
            vec![1.0, 0.5],
            vec![0.5, 1.0],
            vec![2.0, 2.0],
            vec![2.5, 1.5],
            vec![1.5, 2.5],
            vec![-1.0, 2.0],
            vec![-1.5, 2.5],
            vec![-0.5, 1.5],
            vec![1.0, 1.0],
            vec![0.0, 2.0],
            vec![2.0, 0.0],
        ];
        let y = vec![0, 0, 0, 1, 1, 1, 2, 2, 2, 1, 0, 2];
        (Matrix::from_rows(&rows), y)
    }

    fn binary() -> (Matrix, Vec<usize>) {
        let rows = vec![
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![2.0, 1.0],
            vec![3.0, 3.0],
            vec![4.0, 2.0],
            vec![5.0, 4.0],
            vec![1.5, 2.0],
            vec![3.5, 0.5],
        ];
        let y = vec![0, 0, 1, 0, 1, 1, 1, 0];
        (Matrix::from_rows(&rows), y)
    }

    // Expected values from scikit-learn 1.9.1:
    // LogisticRegression(C=..., tol=1e-12, max_iter=100000).fit(X, y).

    #[test]
    fn binary_matches_scikit_learn() {
        let (x, y) = binary();
        let (m, w) = fit(&LogisticRegressionParams::default(), &x, &y, 2);
        assert!(w.is_empty(), "{w:?}");
        let want_coef = [0.29551378588484434, 0.43440548887076885];
        let want_b = -1.4462910529225432;
        for (a, b) in m.coef[0].iter().zip(&want_coef) {
            assert!((a - b).abs() < 1e-8, "{:?}", m.coef);
        }
        assert!((m.intercept[0] - want_b).abs() < 1e-8, "{:?}", m.intercept);
        let p = proba(&m, &x);
        for i in 0..x.n_rows {
            assert!((p.get(i, 0) + p.get(i, 1) - 1.0).abs() < 1e-15);
        }
        let (m2, _) = fit(
            &LogisticRegressionParams {
                c: 0.1,
                fit_intercept: false,
                ..Default::default()
            },
            &x,
            &y,
            2,
        );
        let want2 = [0.0577282791592196, 0.08762348758121521];
        for (a, b) in m2.coef[0].iter().zip(&want2) {
            assert!((a - b).abs() < 1e-8, "{:?}", m2.coef);
        }
        assert_eq!(m2.intercept[0], 0.0);
    }

    #[test]
    fn multinomial_matches_scikit_learn() {
        let (x, y) = three_class();
        let (m, w) = fit(
            &LogisticRegressionParams {
                c: 2.0,
                ..Default::default()
            },
            &x,
            &y,
            3,
        );
        assert!(w.is_empty(), "{w:?}");
        let want = [
            [-0.4293415012544947, -0.731101133048009],
            [1.1230045513620186, 0.8745945561258565],
            [-0.693663050107523, -0.14349342307784665],
        ];
        for (row, want_row) in m.coef.iter().zip(&want) {
            for (a, b) in row.iter().zip(want_row) {
                assert!((a - b).abs() < 1e-7, "{:?}", m.coef);
            }
        }
        let want_proba_row0 = [0.6537149785438299, 0.019241437877721687, 0.3270435835784484];
        let p = proba(&m, &x);
        for (c, w) in want_proba_row0.iter().enumerate() {
            assert!((p.get(0, c) - w).abs() < 1e-8);
        }
        // The intercepts sum to zero, as scikit-learn's (lbfgs from zero keeps their sum at zero).
        let want_b = [1.406061088777836, -2.119544178846877, 0.7134830900690424];
        for (a, b) in m.intercept.iter().zip(&want_b) {
            assert!((a - b).abs() < 1e-7, "{:?}", m.intercept);
        }
    }

    #[test]
    fn a_row_of_weight_two_counts_as_that_row_twice() {
        for (x, y, k) in [
            {
                let (x, y) = binary();
                (x, y, 2)
            },
            {
                let (x, y) = three_class();
                (x, y, 3)
            },
        ] {
            let w: Vec<f64> = (0..x.n_rows).map(|i| 1.0 + (i % 2) as f64).collect();
            let mut rows: Vec<Vec<f64>> = (0..x.n_rows).map(|i| x.row(i)).collect();
            let mut labels = y.clone();
            for i in (0..x.n_rows).filter(|i| i % 2 == 1) {
                rows.push(x.row(i));
                labels.push(y[i]);
            }
            let p = LogisticRegressionParams::default();
            let (a, _) = fit_with(&p, &x, (&y, Some(&w)), k, NEWTON_MAX_DIM).unwrap();
            let (b, _) = fit(&p, &Matrix::from_rows(&rows), &labels, k);
            for (ca, cb) in a.coef.iter().flatten().zip(b.coef.iter().flatten()) {
                assert!((ca - cb).abs() < 1e-7, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn lbfgs_reaches_the_newton_optimum() {
        let (x, y) = three_class();
        let p = LogisticRegressionParams {
            c: 2.0,
            max_iter: 1000,
            ..Default::default()
        };
        let (a, _) = fit_with(&p, &x, (&y, None), 3, NEWTON_MAX_DIM).unwrap();
        let (b, w) = fit_with(&p, &x, (&y, None), 3, 0).unwrap();
        assert!(w.is_empty(), "{w:?}");
        for (ra, rb) in a.coef.iter().zip(&b.coef) {
            for (u, v) in ra.iter().zip(rb) {
                assert!((u - v).abs() < 1e-6, "{:?} vs {:?}", a.coef, b.coef);
            }
        }
        let (x, y) = binary();
        let (a, _) = fit_with(&p, &x, (&y, None), 2, NEWTON_MAX_DIM).unwrap();
        let (b, _) = fit_with(&p, &x, (&y, None), 2, 0).unwrap();
        assert!((a.coef[0][0] - b.coef[0][0]).abs() < 1e-6);
        assert!((a.intercept[0] - b.intercept[0]).abs() < 1e-6);
    }

    #[test]
    fn unpenalised_overlapping_data_matches_scikit_learn() {
        let (x, y) = binary();
        let (m, w) = fit(
            &LogisticRegressionParams {
                penalty: Penalty::None,
                ..Default::default()
            },
            &x,
            &y,
            2,
        );
        assert!(w.is_empty(), "{w:?}");
        let want = [0.2998776127731986, 0.6561448325869084];
        for (a, b) in m.coef[0].iter().zip(&want) {
            assert!((a - b).abs() < 1e-6, "{:?}", m.coef);
        }
    }

    #[test]
    fn separable_unpenalised_data_warns_and_stays_finite() {
        let x = Matrix::from_rows(&[vec![0.0], vec![1.0], vec![2.0], vec![3.0]]);
        let y = [0, 0, 1, 1];
        let p = LogisticRegressionParams {
            penalty: Penalty::None,
            ..Default::default()
        };
        let (m, w) = fit(&p, &x, &y, 2);
        assert!(w.iter().any(|w| w.contains("separable")), "{w:?}");
        assert!(m.coef[0][0].is_finite() && m.intercept[0].is_finite());
        let pr = proba(&m, &x);
        assert!(pr.data.iter().all(|v| v.is_finite()));
        assert!(pr.get(0, 0) > 0.99 && pr.get(3, 1) > 0.99);
        // Multinomial too, with collinear columns (x1 = 1 - x0, like a one-hot pair).
        let rows: Vec<Vec<f64>> = (0..6)
            .map(|i| {
                let v = (i % 2) as f64;
                vec![i as f64, v, 1.0 - v]
            })
            .collect();
        let (m, w) = fit(&p, &Matrix::from_rows(&rows), &[0, 0, 1, 1, 2, 2], 3);
        assert!(w.iter().any(|w| w.contains("separable")), "{w:?}");
        assert!(m.coef.iter().flatten().all(|v| v.is_finite()));
    }

    #[test]
    fn max_iter_reached_warns() {
        let (x, y) = three_class();
        let p = LogisticRegressionParams {
            c: 100.0,
            max_iter: 1,
            ..Default::default()
        };
        let (_, w) = fit(&p, &x, &y, 3);
        assert!(w.iter().any(|w| w.contains("max_iter=1")), "{w:?}");
    }

    #[test]
    fn absent_classes_get_zero_probability_and_single_class_fails() {
        let (x, y) = binary();
        // Labels 0 and 1 of the binary problem stand for classes 0 and 2 of three.
        let y3: Vec<usize> = y.iter().map(|l| l * 2).collect();
        let (m3, _) = fit(&LogisticRegressionParams::default(), &x, &y3, 3);
        let (m2, _) = fit(&LogisticRegressionParams::default(), &x, &y, 2);
        let (p3, p2) = (proba(&m3, &x), proba(&m2, &x));
        for i in 0..x.n_rows {
            assert_eq!(p3.get(i, 1), 0.0);
            assert_eq!(p3.get(i, 0), p2.get(i, 0));
            assert_eq!(p3.get(i, 2), p2.get(i, 1));
        }
        let err = fit_logistic_regression(
            &LogisticRegressionParams::default(),
            &x,
            Targets::Classes {
                labels: &[1; 8],
                n_classes: 2,
            },
            None,
            &mut rng(),
        )
        .unwrap_err();
        assert!(err.contains("single class"), "{err}");
        assert!(fit_logistic_regression(
            &LogisticRegressionParams::default(),
            &x,
            Targets::Values(&[0.0; 8]),
            None,
            &mut rng()
        )
        .is_err());
    }

    #[test]
    fn serde_round_trip_predicts_bit_identically_and_fits_are_deterministic() {
        let (x, y) = three_class();
        let (m, _) = fit(&LogisticRegressionParams::default(), &x, &y, 3);
        let json = serde_json::to_string(&m).unwrap();
        let back: LogisticModel = serde_json::from_str(&json).unwrap();
        assert_eq!(m.predict(&x), back.predict(&x));
        let (again, _) = fit(&LogisticRegressionParams::default(), &x, &y, 3);
        assert_eq!(m, again);
        let fw = m.feature_weights().unwrap();
        assert_eq!(fw.0, "importance");
        assert_eq!(fw.1.len(), 2);
    }

    #[test]
    fn params_check_and_serde_names() {
        assert!(LogisticRegressionParams::default().check().is_ok());
        let bad = [
            LogisticRegressionParams {
                c: 0.0,
                ..Default::default()
            },
            LogisticRegressionParams {
                c: f64::INFINITY,
                ..Default::default()
            },
            LogisticRegressionParams {
                tol: -1.0,
                ..Default::default()
            },
            LogisticRegressionParams {
                max_iter: 0,
                ..Default::default()
            },
        ];
        for b in bad {
            assert!(b.check().is_err(), "{b:?}");
        }
        let p: LogisticRegressionParams =
            serde_json::from_str(r#"{"C": 0.5, "penalty": "none"}"#).unwrap();
        assert_eq!(p.c, 0.5);
        assert_eq!(p.penalty, Penalty::None);
        assert!(serde_json::from_str::<LogisticRegressionParams>(r#"{"c": 0.5}"#).is_err());
        let json = serde_json::to_value(LogisticRegressionParams::default()).unwrap();
        // Every parameter but the one unset by default (class_weight) is written out.
        for doc in LOGISTIC_REGRESSION_INFO.params {
            assert_eq!(
                json.get(doc.name).is_some(),
                doc.name != "class_weight",
                "{}",
                doc.name
            );
        }
    }
}
