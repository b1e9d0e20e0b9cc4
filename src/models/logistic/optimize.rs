//! The two optimisers of logistic regression's objective: Newton with a damped Cholesky solve of the
//! exact Hessian and a backtracking line search (small problems), and L-BFGS with a strong-Wolfe
//! line search (large ones).

use super::Objective;
use crate::linalg::Cholesky;
use crate::matrix::dot;

/// Where an optimiser stopped.
pub(super) struct Solution {
    pub(super) theta: Vec<f64>,
    pub(super) iterations: usize,
    pub(super) grad_max: f64,
}

fn max_abs(g: &[f64]) -> f64 {
    g.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Accepts a trial point: sufficient decrease (Armijo), or, at rounding level of the objective, a
/// smaller gradient (near the optimum the objective's change is below its rounding error).
fn acceptable(f0: f64, slope: f64, t: f64, g0max: f64, f1: f64, g1: &[f64]) -> bool {
    if !f1.is_finite() || g1.iter().any(|v| !v.is_finite()) {
        return false;
    }
    if f1 <= f0 + 1e-4 * t * slope {
        return true;
    }
    f1 <= f0 + 64.0 * f64::EPSILON * f0.abs().max(1e-300) && max_abs(g1) < g0max
}

/// Damped Newton: Cholesky solve of H d = -g (adding μI when H is singular, e.g. collinear columns
/// without penalty), then backtracking from the full step.
pub(super) fn newton(
    obj: &Objective,
    mut theta: Vec<f64>,
    tight: f64,
    max_iter: usize,
) -> Solution {
    let (mut f, mut g, mut probs) = obj.eval(&theta);
    let mut iterations = 0;
    while max_abs(&g) > tight && iterations < max_iter {
        iterations += 1;
        let h = obj.hessian(&probs);
        let dir = solve_damped(h, &g);
        let slope = dot(&g, &dir);
        let g0max = max_abs(&g);
        let mut t = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let trial: Vec<f64> = theta.iter().zip(&dir).map(|(a, b)| a + t * b).collect();
            let (f1, g1, p1) = obj.eval(&trial);
            if acceptable(f, slope, t, g0max, f1, &g1) {
                accepted = Some((trial, f1, g1, p1));
                break;
            }
            t *= 0.5;
        }
        match accepted {
            Some((tr, f1, g1, p1)) => {
                theta = tr;
                f = f1;
                g = g1;
                probs = p1;
            }
            None => break,
        }
    }
    let _ = f;
    let grad_max = max_abs(&g);
    Solution {
        theta,
        iterations,
        grad_max,
    }
}

/// Solves (H + μI) d = -g by Cholesky with the smallest μ in {0, 1e-12, 1e-11, ...} × max diag(H)
/// that makes the matrix positive definite.
fn solve_damped(h: Vec<f64>, g: &[f64]) -> Vec<f64> {
    let dim = g.len();
    let scale = (0..dim)
        .fold(0.0f64, |m, i| m.max(h[i * dim + i]))
        .max(1e-300);
    let rhs: Vec<f64> = g.iter().map(|v| -v).collect();
    let mut mu = 0.0;
    loop {
        let mut a = h.clone();
        for i in 0..dim {
            a[i * dim + i] += mu;
        }
        // A pivot at rounding level means a singular matrix: damp it more.
        if let Some(c) = Cholesky::new(a, dim).filter(|c| !c.is_near_singular(1e-7)) {
            return c.solve(&rhs);
        }
        mu = if mu == 0.0 { 1e-12 * scale } else { mu * 10.0 };
        if !mu.is_finite() || mu > 1e12 * scale {
            // Hopeless (non-finite Hessian): fall back to steepest descent.
            return rhs;
        }
    }
}

/// L-BFGS (10 correction pairs, as scipy's) with a strong-Wolfe line search, for problems too
/// large for Newton.
pub(super) fn lbfgs(obj: &Objective, mut theta: Vec<f64>, tight: f64, max_iter: usize) -> Solution {
    const M: usize = 10;
    let (mut f, mut g, _) = obj.eval(&theta);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut iterations = 0;
    while max_abs(&g) > tight && iterations < max_iter {
        iterations += 1;
        // Two-loop recursion: dir = -H g.
        let mut q = g.clone();
        let mut alphas = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alphas[i] = rho * dot(&s_hist[i], &q);
            for (qj, yj) in q.iter_mut().zip(&y_hist[i]) {
                *qj -= alphas[i] * yj;
            }
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0 / max_abs(&g).max(1.0),
        };
        for qj in q.iter_mut() {
            *qj *= gamma;
        }
        for i in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let beta = rho * dot(&y_hist[i], &q);
            for (qj, sj) in q.iter_mut().zip(&s_hist[i]) {
                *qj += (alphas[i] - beta) * sj;
            }
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let slope = dot(&g, &dir);
        if slope >= 0.0 || slope.is_nan() {
            // Not a descent direction (rounding): restart from scaled steepest descent.
            s_hist.clear();
            y_hist.clear();
            let scale = 1.0 / max_abs(&g).max(1.0);
            dir = g.iter().map(|v| -v * scale).collect();
        }
        let Some((tr, f1, g1)) = wolfe_search(obj, &theta, f, &g, &dir) else {
            break;
        };
        let s: Vec<f64> = tr.iter().zip(&theta).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g1.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > f64::EPSILON * dot(&y, &y) {
            if s_hist.len() == M {
                s_hist.remove(0);
                y_hist.remove(0);
            }
            s_hist.push(s);
            y_hist.push(y);
        }
        theta = tr;
        f = f1;
        g = g1;
    }
    let grad_max = max_abs(&g);
    Solution {
        theta,
        iterations,
        grad_max,
    }
}

/// A step along `dir` satisfying the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9; Nocedal & Wright,
/// algorithms 3.5 and 3.6, bisection in the zoom), starting from t = 1. Failing that, the best
/// trial point that `acceptable` takes (at rounding level of the objective). None: no progress.
fn wolfe_search(
    obj: &Objective,
    theta: &[f64],
    f0: f64,
    g0: &[f64],
    dir: &[f64],
) -> Option<(Vec<f64>, f64, Vec<f64>)> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    const MAX_EVALS: usize = 50;
    let slope0 = dot(g0, dir);
    let g0max = max_abs(g0);
    let eval = |t: f64| {
        let trial: Vec<f64> = theta.iter().zip(dir).map(|(a, b)| a + t * b).collect();
        let (f, g, _) = obj.eval(&trial);
        let slope = dot(&g, dir);
        (trial, f, g, slope)
    };
    let armijo = |t: f64, f: f64| f.is_finite() && f <= f0 + C1 * t * slope0;
    let mut fallback: Option<(Vec<f64>, f64, Vec<f64>)> = None;
    let mut consider = |trial: &Vec<f64>, f: f64, g: &Vec<f64>, t: f64| {
        if (armijo(t, f) || acceptable(f0, slope0, t, g0max, f, g))
            && fallback.as_ref().is_none_or(|(_, fb, _)| f < *fb)
        {
            fallback = Some((trial.clone(), f, g.clone()));
        }
    };
    let (mut t_lo, mut f_lo) = (0.0, f0);
    let mut t_hi = f64::NAN;
    let mut t = 1.0;
    let mut evals = 0;
    // Bracketing phase: grow t until the interval [t_lo, t_hi] holds a Wolfe point.
    while evals < MAX_EVALS {
        evals += 1;
        let (trial, f, g, slope) = eval(t);
        consider(&trial, f, &g, t);
        if !armijo(t, f) || f >= f_lo && t_lo > 0.0 {
            t_hi = t;
            break;
        }
        if slope.abs() <= -C2 * slope0 {
            return Some((trial, f, g));
        }
        if slope >= 0.0 {
            t_hi = t_lo;
            t_lo = t;
            f_lo = f;
            break;
        }
        t_lo = t;
        f_lo = f;
        t *= 2.0;
    }
    // Zoom phase: bisect between t_lo (sufficient decrease) and t_hi.
    while evals < MAX_EVALS && t_hi.is_finite() {
        evals += 1;
        t = 0.5 * (t_lo + t_hi);
        let (trial, f, g, slope) = eval(t);
        consider(&trial, f, &g, t);
        if !armijo(t, f) || f >= f_lo {
            t_hi = t;
        } else {
            if slope.abs() <= -C2 * slope0 {
                return Some((trial, f, g));
            }
            if slope * (t_hi - t_lo) >= 0.0 {
                t_hi = t_lo;
            }
            t_lo = t;
            f_lo = f;
        }
    }
    fallback
}
