//! The coordinate descent sweeps themselves, on the rows ([`cd_rows`]) or on a Gram matrix
//! ([`cd_gram`]), with the duality gap that stops them and the gap-safe screening that skips
//! coefficients proven zero.

use crate::matrix::{dot, Matrix};

/// What a run of sweeps ends with.
pub(super) struct CdResult {
    pub(super) coef: Vec<f64>,
    /// Last duality gap, n-scaled.
    pub(super) gap: f64,
    /// `tol * ||y||²`: the gap the fit had to reach.
    pub(super) gap_tol: f64,
    pub(super) n_iter: usize,
    pub(super) converged: bool,
}

/// The duality gap of `enet_coordinate_descent`, from the quantities both paths can compute:
/// `xta[j] = X_jᵀR - l2 w_j` (overwritten), `r_norm2 = RᵀR`, `ry = Rᵀy`. Returns (gap, dual norm of XᵀA).
fn duality_gap(w: &[f64], l1: f64, l2: f64, xta: &mut [f64], r_norm2: f64, ry: f64) -> (f64, f64) {
    let w_l2_norm2 = if l2 > 0.0 { dot(w, w) } else { 0.0 };
    if l1 == 0.0 {
        // xta holds XᵀR here (the caller adds no -l2 w when l1 == 0).
        let dual_norm = dot(xta, xta);
        if l2 == 0.0 {
            // Least squares: no dual gap, use the first-order condition ||XᵀR||².
            return (dual_norm, dual_norm);
        }
        // Ridge: scikit-learn's formulation B.
        let gap = r_norm2 + 0.5 * l2 * w_l2_norm2 - ry + dual_norm / (2.0 * l2);
        return (gap, dual_norm);
    }
    let dual_norm = xta.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let w_l1_norm: f64 = w.iter().map(|v| v.abs()).sum();
    let primal = 0.5 * (r_norm2 + l2 * w_l2_norm2) + l1 * w_l1_norm;
    let scale = if dual_norm > l1 { l1 / dual_norm } else { 1.0 };
    let dual = -0.5 * scale * scale * (r_norm2 + l2 * w_l2_norm2) + scale * ry;
    (primal - dual, dual_norm)
}

/// Gap-safe screening (scikit-learn's rule, Eq. 11 of arXiv:1802.07481): the active coordinates after
/// a gap check. `drop(j)` is called for each coordinate newly proven zero while it is non-zero.
#[allow(clippy::too_many_arguments)]
fn screen(
    n_features: usize,
    excluded: &mut [bool],
    active: &mut Vec<usize>,
    xta: &[f64],
    dual_norm: f64,
    norm2: impl Fn(usize) -> f64,
    l1: f64,
    l2: f64,
    gap: f64,
    mut drop: impl FnMut(usize),
) {
    let radius = (2.0 * gap.abs()).sqrt() / l1;
    active.clear();
    for j in 0..n_features {
        if excluded[j] {
            continue;
        }
        let xj_theta = xta[j] / l1.max(dual_norm);
        let d_j = (1.0 - xj_theta.abs()) / (norm2(j) + l2).sqrt();
        if d_j <= radius {
            active.push(j);
        } else {
            drop(j);
            excluded[j] = true;
        }
    }
}

/// `enet_coordinate_descent` on centred rows: minimises 1/2 ||y - Xw||² + l1 ||w||₁ + l2/2 ||w||².
pub(super) fn cd_rows(
    x: &Matrix,
    y: &[f64],
    l1: f64,
    l2: f64,
    max_iter: usize,
    tol: f64,
    mut w: Vec<f64>,
) -> CdResult {
    let p = x.n_cols;
    let norm2: Vec<f64> = (0..p).map(|j| dot(x.col(j), x.col(j))).collect();
    let mut r: Vec<f64> = y.to_vec();
    for (j, wj) in w.iter().enumerate() {
        if *wj != 0.0 {
            axpy(-wj, x.col(j), &mut r);
        }
    }
    let gap_tol = tol * dot(y, y);
    let mut xta = vec![0.0; p];
    let gap_of = |w: &[f64], r: &[f64], xta: &mut [f64]| {
        for j in 0..p {
            xta[j] = dot(x.col(j), r) - if l1 == 0.0 { 0.0 } else { l2 * w[j] };
        }
        duality_gap(w, l1, l2, xta, dot(r, r), dot(r, y))
    };
    let screening = l1 > 0.0;
    let (mut gap, mut dual_norm) = gap_of(&w, &r, &mut xta);
    if gap <= gap_tol {
        return CdResult {
            coef: w,
            gap,
            gap_tol,
            n_iter: 0,
            converged: true,
        };
    }
    let mut excluded = vec![false; p];
    let mut active: Vec<usize> = (0..p).collect();
    if screening {
        for j in 0..p {
            if norm2[j] == 0.0 {
                w[j] = 0.0;
                excluded[j] = true;
            }
        }
        screen(
            p,
            &mut excluded,
            &mut active,
            &xta,
            dual_norm,
            |j| norm2[j],
            l1,
            l2,
            gap,
            |j| {
                if w[j] != 0.0 {
                    axpy(w[j], x.col(j), &mut r);
                    w[j] = 0.0;
                }
            },
        );
    }
    let mut converged = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let mut w_max = 0.0f64;
        let mut d_w_max = 0.0f64;
        for &j in &active {
            if norm2[j] == 0.0 {
                continue;
            }
            let w_j = w[j];
            let xj = x.col(j);
            let tmp = dot(xj, &r) + w_j * norm2[j];
            w[j] = tmp.signum() * (tmp.abs() - l1).max(0.0) / (norm2[j] + l2);
            if tmp == 0.0 {
                w[j] = 0.0;
            }
            if w[j] != w_j {
                axpy(w_j - w[j], xj, &mut r);
            }
            d_w_max = d_w_max.max((w[j] - w_j).abs());
            w_max = w_max.max(w[j].abs());
        }
        if w_max == 0.0 || d_w_max / w_max <= tol || it == max_iter - 1 {
            (gap, dual_norm) = gap_of(&w, &r, &mut xta);
            if gap <= gap_tol {
                converged = true;
                break;
            }
            if screening {
                screen(
                    p,
                    &mut excluded,
                    &mut active,
                    &xta,
                    dual_norm,
                    |j| norm2[j],
                    l1,
                    l2,
                    gap,
                    |j| {
                        if w[j] != 0.0 {
                            axpy(w[j], x.col(j), &mut r);
                            w[j] = 0.0;
                        }
                    },
                );
            }
        }
    }
    CdResult {
        coef: w,
        gap,
        gap_tol,
        n_iter,
        converged,
    }
}

/// `enet_coordinate_descent_gram`: minimises 1/2 wᵀQw - qᵀw + l1 ||w||₁ + l2/2 ||w||² (+ 1/2 yᵀy).
#[allow(clippy::too_many_arguments)]
pub(super) fn cd_gram(
    q_mat: &[Vec<f64>],
    q: &[f64],
    y_norm2: f64,
    l1: f64,
    l2: f64,
    max_iter: usize,
    tol: f64,
    mut w: Vec<f64>,
) -> CdResult {
    let p = q.len();
    let mut qw = vec![0.0; p];
    for (j, wj) in w.iter().enumerate() {
        if *wj != 0.0 {
            axpy(*wj, &q_mat[j], &mut qw);
        }
    }
    let gap_tol = tol * y_norm2;
    let mut xta = vec![0.0; p];
    let gap_of = |w: &[f64], qw: &[f64], xta: &mut [f64]| {
        let q_dot_w = dot(w, q);
        let r_norm2 = y_norm2 + dot(w, qw) - 2.0 * q_dot_w;
        let ry = y_norm2 - q_dot_w;
        for j in 0..p {
            xta[j] = q[j] - qw[j] - if l1 == 0.0 { 0.0 } else { l2 * w[j] };
        }
        duality_gap(w, l1, l2, xta, r_norm2, ry)
    };
    let screening = l1 > 0.0;
    let (mut gap, mut dual_norm) = gap_of(&w, &qw, &mut xta);
    // A singular Gram matrix can give a slightly negative gap: only trust a non-negative one here.
    if (0.0..=gap_tol).contains(&gap) {
        return CdResult {
            coef: w,
            gap,
            gap_tol,
            n_iter: 0,
            converged: true,
        };
    }
    let mut excluded = vec![false; p];
    let mut active: Vec<usize> = (0..p).collect();
    if screening {
        for j in 0..p {
            if q_mat[j][j] == 0.0 {
                w[j] = 0.0;
                excluded[j] = true;
            }
        }
        screen(
            p,
            &mut excluded,
            &mut active,
            &xta,
            dual_norm,
            |j| q_mat[j][j],
            l1,
            l2,
            gap,
            |j| {
                if w[j] != 0.0 {
                    axpy(-w[j], &q_mat[j], &mut qw);
                    w[j] = 0.0;
                }
            },
        );
    }
    let mut converged = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let mut w_max = 0.0f64;
        let mut d_w_max = 0.0f64;
        for &j in &active {
            let qjj = q_mat[j][j];
            if qjj == 0.0 {
                continue;
            }
            let w_j = w[j];
            let tmp = q[j] - qw[j] + w_j * qjj;
            w[j] = if tmp == 0.0 {
                0.0
            } else {
                tmp.signum() * (tmp.abs() - l1).max(0.0) / (qjj + l2)
            };
            if w[j] != w_j {
                axpy(w[j] - w_j, &q_mat[j], &mut qw);
            }
            d_w_max = d_w_max.max((w[j] - w_j).abs());
            w_max = w_max.max(w[j].abs());
        }
        if w_max == 0.0 || d_w_max / w_max <= tol || it == max_iter - 1 {
            (gap, dual_norm) = gap_of(&w, &qw, &mut xta);
            if gap <= gap_tol {
                converged = true;
                break;
            }
            if screening {
                screen(
                    p,
                    &mut excluded,
                    &mut active,
                    &xta,
                    dual_norm,
                    |j| q_mat[j][j],
                    l1,
                    l2,
                    gap,
                    |j| {
                        if w[j] != 0.0 {
                            axpy(-w[j], &q_mat[j], &mut qw);
                            w[j] = 0.0;
                        }
                    },
                );
            }
        }
    }
    CdResult {
        coef: w,
        gap,
        gap_tol,
        n_iter,
        converged,
    }
}

/// out += a * x
#[inline]
fn axpy(a: f64, x: &[f64], out: &mut [f64]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o += a * v;
    }
}
