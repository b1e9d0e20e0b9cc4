//! The losses, as scikit-learn's `_loss` module writes them (halved, on raw scores): their
//! gradients and hessians per row, their best constant (the baseline), and their mean (the score
//! early stopping watches).
//!
//! - squared error: (y - f)² / 2; gradient f - y, hessian 1; baseline the mean.
//! - log loss, two classes: log(1 + e^f) - y f; gradient p - y, hessian p (1 - p), p = sigmoid(f);
//!   baseline the log-odds of the class-1 share.
//! - log loss, K classes: logsumexp(f) - f_y; per class gradient p_k - [y = k], hessian
//!   p_k (1 - p_k), p = softmax(f); baseline the log class shares, centred.
//!
//! With row weights (`data.weight`, scikit-learn's `sample_weight`) each row's gradient and hessian
//! are multiplied by its weight (so squared error's hessian is no longer constant), the baseline is
//! the weighted best constant and the mean is weighted. Without, every weight is exactly 1, so the
//! same code gives the unweighted bits.

use crate::models::link::{sigmoid, softmax};

/// What the model is fitted to: values or class labels, indexed by design row.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Values(&'a [f64]),
    Labels(&'a [usize]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    SquaredError,
    Binomial,
    Multinomial(usize),
}

impl Loss {
    /// Raw scores per row: one per class for more than two classes, else one.
    pub fn n_trees(self) -> usize {
        match self {
            Loss::Multinomial(k) => k,
            _ => 1,
        }
    }

    /// Whether every hessian is the same (1): squared error without row weights.
    pub fn constant_hessian(self, weights: Option<&[f64]>) -> bool {
        self == Loss::SquaredError && weights.is_none()
    }

    /// The best constant raw score(s) on `rows`, weighted by `weights` (by design row) if any.
    pub fn baseline(self, y: Target, rows: &[usize], weights: Option<&[f64]>) -> Vec<f64> {
        let w = |i: usize| weights.map_or(1.0, |w| w[i]);
        let n: f64 = rows.iter().map(|&i| w(i)).sum();
        let share = |labels: &[usize], k: usize, eps: f64| {
            let c = rows
                .iter()
                .filter(|&&i| labels[i] == k)
                .map(|&i| w(i))
                .sum::<f64>()
                / n;
            c.clamp(eps, 1.0 - eps)
        };
        match (self, y) {
            (Loss::SquaredError, Target::Values(v)) => {
                vec![rows.iter().map(|&i| w(i) * v[i]).sum::<f64>() / n]
            }
            (Loss::Binomial, Target::Labels(l)) => {
                let p = share(l, 1, 10.0 * f64::EPSILON);
                vec![(p / (1.0 - p)).ln()]
            }
            (Loss::Multinomial(k), Target::Labels(l)) => {
                let logs: Vec<f64> = (0..k).map(|c| share(l, c, f64::EPSILON).ln()).collect();
                let mean = logs.iter().sum::<f64>() / k as f64;
                logs.iter().map(|v| v - mean).collect()
            }
            _ => unreachable!("the loss is chosen from the target"),
        }
    }

    /// Each row's gradient (and hessian) at the raw scores `raw[k][pos]` of the rows `rows[pos]`,
    /// times its weight, computed in f64 and stored as f32 as scikit-learn stores them.
    pub fn gradients(
        self,
        y: Target,
        rows: &[usize],
        weights: Option<&[f64]>,
        raw: &[Vec<f64>],
        gradients: &mut [Vec<f32>],
        hessians: &mut [Vec<f32>],
    ) {
        let w = |i: usize| weights.map_or(1.0, |w| w[i]);
        match (self, y) {
            (Loss::SquaredError, Target::Values(v)) => {
                for (pos, &i) in rows.iter().enumerate() {
                    gradients[0][pos] = (w(i) * (raw[0][pos] - v[i])) as f32;
                    if weights.is_some() {
                        hessians[0][pos] = w(i) as f32;
                    }
                }
            }
            (Loss::Binomial, Target::Labels(l)) => {
                for (pos, &i) in rows.iter().enumerate() {
                    let p = sigmoid(raw[0][pos]);
                    gradients[0][pos] = (w(i) * (p - (l[i] == 1) as u8 as f64)) as f32;
                    hessians[0][pos] = (w(i) * (p * (1.0 - p))) as f32;
                }
            }
            (Loss::Multinomial(k), Target::Labels(l)) => {
                let (mut scores, mut p) = (vec![0.0; k], vec![0.0; k]);
                for (pos, &i) in rows.iter().enumerate() {
                    scores
                        .iter_mut()
                        .enumerate()
                        .for_each(|(c, s)| *s = raw[c][pos]);
                    softmax(&scores, &mut p);
                    for c in 0..k {
                        gradients[c][pos] = (w(i) * (p[c] - (l[i] == c) as u8 as f64)) as f32;
                        hessians[c][pos] = (w(i) * (p[c] * (1.0 - p[c]))) as f32;
                    }
                }
            }
            _ => unreachable!("the loss is chosen from the target"),
        }
    }

    /// The (weighted) mean loss of the rows `rows[pos]` at raw scores `raw[k][pos]`.
    pub fn mean(self, y: Target, rows: &[usize], weights: Option<&[f64]>, raw: &[Vec<f64>]) -> f64 {
        let w = |i: usize| weights.map_or(1.0, |w| w[i]);
        let total: f64 = match (self, y) {
            (Loss::SquaredError, Target::Values(v)) => rows
                .iter()
                .enumerate()
                .map(|(pos, &i)| w(i) * (0.5 * (v[i] - raw[0][pos]).powi(2)))
                .sum(),
            (Loss::Binomial, Target::Labels(l)) => rows
                .iter()
                .enumerate()
                .map(|(pos, &i)| {
                    let f = raw[0][pos];
                    // log(1 + e^f), without overflow.
                    let softplus = f.max(0.0) + (-f.abs()).exp().ln_1p();
                    w(i) * (softplus - (l[i] == 1) as u8 as f64 * f)
                })
                .sum(),
            (Loss::Multinomial(k), Target::Labels(l)) => rows
                .iter()
                .enumerate()
                .map(|(pos, &i)| {
                    let max = (0..k)
                        .map(|c| raw[c][pos])
                        .fold(f64::NEG_INFINITY, f64::max);
                    let lse = max + (0..k).map(|c| (raw[c][pos] - max).exp()).sum::<f64>().ln();
                    w(i) * (lse - raw[l[i]][pos])
                })
                .sum(),
            _ => unreachable!("the loss is chosen from the target"),
        };
        total / rows.iter().map(|&i| w(i)).sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_are_the_best_constants() {
        let rows = [0, 1, 2, 3];
        assert_eq!(
            Loss::SquaredError.baseline(Target::Values(&[1.0, 2.0, 3.0, 6.0]), &rows, None),
            [3.0]
        );
        let b = Loss::Binomial.baseline(Target::Labels(&[1, 1, 1, 0]), &rows, None)[0];
        assert!((b - 3f64.ln()).abs() < 1e-12);
        let m = Loss::Multinomial(3).baseline(Target::Labels(&[0, 0, 1, 2]), &rows, None);
        assert!((m.iter().sum::<f64>()).abs() < 1e-12 && (m[0] - m[1] - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn gradients_are_the_derivatives_of_the_loss() {
        let labels = [0, 1, 2];
        let rows = [0, 1, 2];
        let raw = vec![
            vec![0.3, -0.2, 0.1],
            vec![0.0, 0.5, -0.4],
            vec![0.2, 0.1, 0.7],
        ];
        let loss = Loss::Multinomial(3);
        let (mut g, mut h) = (vec![vec![0f32; 3]; 3], vec![vec![0f32; 3]; 3]);
        loss.gradients(Target::Labels(&labels), &rows, None, &raw, &mut g, &mut h);
        let eps = 1e-6;
        for c in 0..3 {
            let mut up = raw.clone();
            up[c][1] += eps;
            let numeric = (loss.mean(Target::Labels(&labels), &rows, None, &up)
                - loss.mean(Target::Labels(&labels), &rows, None, &raw))
                * 3.0
                / eps;
            assert!(
                (numeric - g[c][1] as f64).abs() < 1e-4,
                "{numeric} vs {}",
                g[c][1]
            );
        }
    }
}
