//! Gaussian naive Bayes.

use super::params::{non_negative, ParamDoc, ParamError, ParamKind};
use super::{FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::matrix::Matrix;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Gaussian naive Bayes.
///
/// scikit-learn's `GaussianNB`: each class c has a prior (its share of the training rows) and, per
/// feature j, a mean θ_cj and a population variance σ²_cj of its rows, to which
/// `var_smoothing × max_j Var(x_j)` (the largest variance of any feature over all training rows) is
/// added. A row's joint log-likelihood is log prior_c - ½ Σⱼ log(2π σ²_cj) - ½ Σⱼ (x_j - θ_cj)² / σ²_cj
/// and its probabilities are these normalised through log-sum-exp. Classes absent from the training
/// rows get probability 0.
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NaiveBayesParams {
    pub var_smoothing: f64,
}

impl Default for NaiveBayesParams {
    fn default() -> Self {
        NaiveBayesParams {
            var_smoothing: 1e-9,
        }
    }
}

impl NaiveBayesParams {
    pub fn check(&self) -> Result<(), ParamError> {
        non_negative("var_smoothing", self.var_smoothing)
    }
}

pub const NAIVE_BAYES_INFO: ModelInfo = ModelInfo {
    name: "naive_bayes",
    tasks: &[Task::Classification],
    objective:
        "Gaussian naive Bayes (maximum likelihood class priors, per-class feature means and \
                variances + var_smoothing * largest feature variance)",
    params: &[ParamDoc {
        name: "var_smoothing",
        kind: ParamKind::Float,
        doc: "fraction of the largest feature variance added to every variance, >= 0",
    }],
};

/// A fitted Gaussian naive Bayes model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayesModel {
    /// Columns of the probability output.
    pub n_classes: usize,
    /// The classes seen in training, ascending (the rows of the tables below).
    pub classes: Vec<usize>,
    pub log_prior: Vec<f64>,
    /// Per class, per feature: mean.
    pub theta: Vec<Vec<f64>>,
    /// Per class, per feature: variance, smoothing included.
    pub var: Vec<Vec<f64>>,
}

pub fn fit_naive_bayes(
    p: &NaiveBayesParams,
    x: &Matrix,
    targets: Targets,
    weights: Option<&[f64]>,
    _rng: &mut Rng,
) -> Result<(NaiveBayesModel, Vec<String>), String> {
    p.check().map_err(|e| format!("{}: {}", e.key, e.message))?;
    let (labels, n_classes) = match targets {
        Targets::Classes { labels, n_classes } => (labels, n_classes),
        _ => {
            return Err("naive_bayes is a classifier: use it with task = \"classification\"".into())
        }
    };
    let n = x.n_rows;
    if labels.len() != n || n == 0 {
        return Err(format!(
            "naive_bayes needs one label per row and at least one row (got {} labels for {n} rows)",
            labels.len()
        ));
    }
    if x.data.iter().any(|v| !v.is_finite()) {
        return Err("the design matrix holds NaN or infinite values".into());
    }
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        if l >= n_classes {
            return Err(format!("label {l} is out of range for {n_classes} classes"));
        }
        rows_of[l].push(i);
    }
    let classes: Vec<usize> = (0..n_classes).filter(|c| !rows_of[*c].is_empty()).collect();
    // epsilon = var_smoothing * max over features of the variance of all training rows
    // (unweighted, as scikit-learn's, whatever the row weights).
    let max_var = (0..x.n_cols)
        .map(|j| mean_var(x.col(j), None, None).1)
        .fold(0.0f64, f64::max);
    let epsilon = p.var_smoothing * max_var;
    let mut theta = Vec::with_capacity(classes.len());
    let mut var = Vec::with_capacity(classes.len());
    let mut log_prior = Vec::with_capacity(classes.len());
    // The class priors: each class's share of the rows, or of the weight.
    let class_total =
        |rows: &[usize]| weights.map_or(rows.len() as f64, |w| rows.iter().map(|&i| w[i]).sum());
    let all: f64 = classes.iter().map(|&c| class_total(&rows_of[c])).sum();
    for &c in &classes {
        let rows = &rows_of[c];
        if class_total(rows) <= 0.0 {
            return Err(format!(
                "naive_bayes: every training row of class {c} has weight 0 (`data.weight`): its \
                 mean and variance are undefined"
            ));
        }
        let (t, v): (Vec<f64>, Vec<f64>) = (0..x.n_cols)
            .map(|j| {
                let (m, v) = mean_var(x.col(j), Some(rows), weights);
                (m, v + epsilon)
            })
            .unzip();
        if let Some(j) = v.iter().position(|v| v.is_nan() || *v <= 0.0) {
            return Err(format!(
                "naive_bayes: feature {j} has zero variance within class {c} (and var_smoothing * the \
                 largest feature variance is 0); raise var_smoothing or drop constant features"
            ));
        }
        theta.push(t);
        var.push(v);
        log_prior.push((class_total(rows) / all).ln());
    }
    Ok((
        NaiveBayesModel {
            n_classes,
            classes,
            log_prior,
            theta,
            var,
        },
        Vec::new(),
    ))
}

/// Mean and population variance (two-pass, as numpy) of `col`, or of its `rows`; with weights,
/// their weighted mean and Σ wᵢ (xᵢ - m)² / Σ wᵢ (scikit-learn's `_update_mean_variance`).
fn mean_var(col: &[f64], rows: Option<&[usize]>, weights: Option<&[f64]>) -> (f64, f64) {
    if let (Some(r), Some(w)) = (rows, weights) {
        let total: f64 = r.iter().map(|&i| w[i]).sum();
        let m = r.iter().map(|&i| w[i] * col[i]).sum::<f64>() / total;
        let ss = r.iter().map(|&i| w[i] * (col[i] - m).powi(2)).sum::<f64>();
        return (m, ss / total);
    }
    let (sum, count) = match rows {
        Some(r) => (r.iter().map(|i| col[*i]).sum::<f64>(), r.len()),
        None => (col.iter().sum::<f64>(), col.len()),
    };
    let m = sum / count as f64;
    let ss = match rows {
        Some(r) => r.iter().map(|i| (col[*i] - m).powi(2)).sum::<f64>(),
        None => col.iter().map(|v| (v - m).powi(2)).sum::<f64>(),
    };
    (m, ss / count as f64)
}

impl NaiveBayesModel {
    pub fn predict(&self, x: &Matrix) -> Output {
        let n = x.n_rows;
        let two_pi = 2.0 * std::f64::consts::PI;
        // jll[k][i], as scikit-learn's _joint_log_likelihood.
        let jll: Vec<Vec<f64>> = (0..self.classes.len())
            .map(|k| {
                let norm: f64 = -0.5 * self.var[k].iter().map(|v| (two_pi * v).ln()).sum::<f64>();
                let mut quad = vec![0.0; n];
                for j in 0..x.n_cols {
                    let (t, v) = (self.theta[k][j], self.var[k][j]);
                    for (q, xi) in quad.iter_mut().zip(x.col(j)) {
                        *q += (xi - t).powi(2) / v;
                    }
                }
                quad.iter()
                    .map(|q| self.log_prior[k] + (norm - 0.5 * q))
                    .collect()
            })
            .collect();
        let mut proba = Matrix::zeros(n, self.n_classes);
        for i in 0..n {
            let m = jll.iter().map(|j| j[i]).fold(f64::NEG_INFINITY, f64::max);
            let lse = m + jll.iter().map(|j| (j[i] - m).exp()).sum::<f64>().ln();
            for (k, c) in self.classes.iter().enumerate() {
                proba.set(i, *c, (jll[k][i] - lse).exp());
            }
        }
        Output::Proba(proba)
    }

    /// Naive Bayes has no single weight per feature.
    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        None
    }

    /// A loaded model's own numbers: every variance divides, so it must be a positive normal number
    /// (`fit_naive_bayes` refuses a zero one; a denormal makes infinite log-likelihoods).
    pub fn check(&self) -> Result<(), String> {
        for (c, row) in self.var.iter().enumerate() {
            if let Some(j) = row.iter().position(|v| !(*v > 0.0 && v.is_normal())) {
                return Err(format!(
                    "`model.var[{c}][{j}]` is {}: a variance must be a positive number of at least {:e}",
                    row[j],
                    f64::MIN_POSITIVE
                ));
            }
        }
        Ok(())
    }
}

impl Model for NaiveBayesParams {
    const TAKES_WEIGHTS: bool = true;
    const INFO: ModelInfo = NAIVE_BAYES_INFO;
    type Fitted = NaiveBayesModel;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, _task: Task) -> bool {
        false
    }

    fn fit(&self, on: FitOn) -> Result<(NaiveBayesModel, Vec<String>), String> {
        fit_naive_bayes(
            self,
            on.cache.dense(on.design),
            on.targets,
            on.weights,
            on.rng,
        )
    }
}

impl Predictor for NaiveBayesModel {
    fn predict(&self, x: &Matrix) -> Output {
        NaiveBayesModel::predict(self, x)
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        NaiveBayesModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn data() -> (Matrix, Vec<usize>) {
        let rows = vec![
            vec![1.0, 2.0],
            vec![1.5, 1.8],
            vec![0.8, 2.4],
            vec![3.0, 0.5],
            vec![3.5, 0.2],
            vec![2.9, 0.9],
            vec![3.2, 0.4],
            vec![2.0, 1.5],
        ];
        (Matrix::from_rows(&rows), vec![0, 0, 0, 1, 1, 1, 1, 2])
    }

    fn fit(vs: f64, x: &Matrix, y: &[usize], k: usize) -> Result<NaiveBayesModel, String> {
        fit_naive_bayes(
            &NaiveBayesParams { var_smoothing: vs },
            x,
            Targets::Classes {
                labels: y,
                n_classes: k,
            },
            None,
            &mut Rng::seed_from_u64(0),
        )
        .map(|r| r.0)
    }

    fn proba(m: &NaiveBayesModel, x: &Matrix) -> Matrix {
        match m.predict(x) {
            Output::Proba(p) => p,
            _ => panic!(),
        }
    }

    #[test]
    fn matches_scikit_learn() {
        // scikit-learn 1.9.1: GaussianNB(var_smoothing=0.01).fit(X, y).predict_proba(X_test)
        let (x, y) = data();
        let m = fit(0.01, &x, &y, 3).unwrap();
        let xt = Matrix::from_rows(&[vec![2.0, 1.5], vec![1.2, 2.0], vec![2.5, 1.0]]);
        let want = [
            [
                0.0005580043764602664,
                1.686882682835287e-08,
                0.999441978754713,
            ],
            [1.0, 2.6560473448032276e-20, 3.27331503382674e-20],
            [
                1.3695945456551076e-06,
                0.9999986287287101,
                1.6767444495717933e-09,
            ],
        ];
        let p = proba(&m, &xt);
        for (i, row) in want.iter().enumerate() {
            for (c, w) in row.iter().enumerate() {
                let got = p.get(i, c);
                assert!(
                    (got - w).abs() <= 1e-10 * w,
                    "row {i} class {c}: {got} vs {w}"
                );
            }
        }
        // var_ of class 2 (one row) is exactly epsilon = 0.01 * max feature variance.
        let want_eps = 0.009673437500000001;
        assert!((m.var[2][0] - want_eps).abs() < 1e-15, "{:?}", m.var);
    }

    #[test]
    fn absent_classes_get_zero_and_zero_variance_fails() {
        let (x, y) = data();
        let y4: Vec<usize> = y.iter().map(|c| if *c == 2 { 3 } else { *c }).collect();
        let m = fit(1e-9, &x, &y4, 4).unwrap();
        let p = proba(&m, &x);
        for i in 0..x.n_rows {
            assert_eq!(p.get(i, 2), 0.0);
            let s: f64 = (0..4).map(|c| p.get(i, c)).sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
        let err = fit(0.0, &x, &y, 3).unwrap_err();
        assert!(err.contains("zero variance"), "{err}");
        assert!(NaiveBayesParams {
            var_smoothing: -1.0
        }
        .check()
        .is_err());
        assert!(NaiveBayesParams {
            var_smoothing: f64::NAN
        }
        .check()
        .is_err());
    }

    #[test]
    fn serde_round_trip_and_determinism() {
        let (x, y) = data();
        let m = fit(1e-9, &x, &y, 3).unwrap();
        let back: NaiveBayesModel =
            serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(m.predict(&x), back.predict(&x));
        assert_eq!(m, fit(1e-9, &x, &y, 3).unwrap());
        assert!(m.feature_weights().is_none());
        let p: NaiveBayesParams = serde_json::from_str(r#"{"var_smoothing": 0.5}"#).unwrap();
        assert_eq!(p.var_smoothing, 0.5);
        assert!(serde_json::from_str::<NaiveBayesParams>(r#"{"alpha": 1}"#).is_err());
    }
}
