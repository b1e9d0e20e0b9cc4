//! Clustering metrics, as scikit-learn defines them: silhouette (greater is better), Davies-Bouldin
//! (smaller is better) and inertia (smaller is better).
//!
//! Labels may be any cluster ids (validation rows assigned to learned centres need not use every
//! centre): only the clusters present among the scored rows count. Silhouette and Davies-Bouldin need
//! between 2 and n_rows - 1 clusters present, as scikit-learn's `check_number_of_labels` demands; any
//! other count is an `Err` saying so (scikit-learn raises `ValueError`), which the caller records as
//! the candidate's failure for that fold rather than inventing a score.
//!
//! Per-row work runs in parallel over fixed row chunks and is collected in row order; every sum is
//! then taken in row order, so the scores do not depend on the thread count.

use crate::matrix::Matrix;
use rayon::prelude::*;

/// Rows per parallel task.
const ROW_CHUNK: usize = 256;
/// Rows whose distances to one row are computed together.
const OTHER_BLOCK: usize = 1024;

/// Inertia: the sum of the rows' squared distances to their assigned centres (in row order),
/// each weighted by its row weight if any (scikit-learn's `KMeans.score(X, sample_weight=)`, negated).
pub fn inertia(distances_sq: &[f64], w: Option<&[f64]>) -> f64 {
    match w {
        None => distances_sq.iter().sum(),
        Some(w) => distances_sq.iter().zip(w).map(|(d, w)| w * d).sum(),
    }
}

/// scikit-learn's `silhouette_score` with the Euclidean metric: the mean over rows of
/// (b - a) / max(a, b), where a is the row's mean distance to the other rows of its cluster and b
/// its least mean distance to the rows of another cluster; a row alone in its cluster scores 0.
/// O(n²) distance computations.
pub fn silhouette(x: &Matrix, labels: &[usize]) -> Result<f64, String> {
    let (dense, counts) = dense_labels(x, labels, "silhouette")?;
    let n_clusters = counts.len();
    let rows = x.to_row_major();
    let d = x.n_cols;
    let n = x.n_rows;
    let scores: Vec<f64> = (0..n.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let (rows, dense, counts) = (&rows, &dense, &counts);
            let mut dist = vec![0.0; OTHER_BLOCK];
            (c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n)).map(move |i| {
                let xi = &rows[i * d..(i + 1) * d];
                let mut sums = vec![0.0; n_clusters];
                // Feature by feature over a block of other rows (contiguous in the column-major
                // matrix): vectorises across rows, each distance summed over features in order.
                for j0 in (0..n).step_by(OTHER_BLOCK) {
                    let j1 = (j0 + OTHER_BLOCK).min(n);
                    let dist = &mut dist[..j1 - j0];
                    dist.fill(0.0);
                    for (f, &v) in xi.iter().enumerate() {
                        for (acc, w) in dist.iter_mut().zip(&x.col(f)[j0..j1]) {
                            let e = v - w;
                            *acc += e * e;
                        }
                    }
                    for (j, d2) in (j0..j1).zip(dist.iter()) {
                        if j != i {
                            sums[dense[j]] += d2.sqrt();
                        }
                    }
                }
                let own = dense[i];
                if counts[own] <= 1 {
                    return 0.0;
                }
                let a = sums[own] / (counts[own] - 1) as f64;
                let b = (0..n_clusters)
                    .filter(|&k| k != own)
                    .map(|k| sums[k] / counts[k] as f64)
                    .fold(f64::INFINITY, f64::min);
                let m = a.max(b);
                if m > 0.0 {
                    (b - a) / m
                } else {
                    0.0
                }
            })
        })
        .collect();
    Ok(scores.iter().sum::<f64>() / n as f64)
}

/// scikit-learn's `davies_bouldin_score`: the mean over clusters of the greatest
/// (s_i + s_j) / d(c_i, c_j) over the other clusters j, where c are the clusters' centroids (means
/// of their rows) and s the mean distance of a cluster's rows to its centroid. 0 when every s or
/// every centroid distance is (near) zero, as scikit-learn returns.
pub fn davies_bouldin(x: &Matrix, labels: &[usize]) -> Result<f64, String> {
    let (dense, counts) = dense_labels(x, labels, "davies_bouldin")?;
    let k = counts.len();
    let d = x.n_cols;
    let rows = x.to_row_major();
    let mut centroids = vec![vec![0.0; d]; k];
    for (i, &l) in dense.iter().enumerate() {
        for (c, v) in centroids[l].iter_mut().zip(&rows[i * d..(i + 1) * d]) {
            *c += v;
        }
    }
    for (c, n) in centroids.iter_mut().zip(&counts) {
        for v in c.iter_mut() {
            *v /= *n as f64;
        }
    }
    let to_centroid: Vec<f64> = (0..x.n_rows.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let (rows, dense, centroids) = (&rows, &dense, &centroids);
            (c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(x.n_rows))
                .map(move |i| sq_dist(&rows[i * d..(i + 1) * d], &centroids[dense[i]]).sqrt())
        })
        .collect();
    let mut intra = vec![0.0; k];
    for (i, v) in to_centroid.iter().enumerate() {
        intra[dense[i]] += v;
    }
    for (s, n) in intra.iter_mut().zip(&counts) {
        *s /= *n as f64;
    }
    let between: Vec<Vec<f64>> = centroids
        .iter()
        .map(|a| centroids.iter().map(|b| sq_dist(a, b).sqrt()).collect())
        .collect();
    // np.allclose(v, 0): every |v| <= 1e-8.
    let near_zero = |v: f64| v.abs() <= 1e-8;
    if intra.iter().all(|v| near_zero(*v)) || between.iter().flatten().all(|v| near_zero(*v)) {
        return Ok(0.0);
    }
    let total: f64 = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| {
                    let dist = if between[i][j] == 0.0 {
                        f64::INFINITY
                    } else {
                        between[i][j]
                    };
                    (intra[i] + intra[j]) / dist
                })
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .sum();
    Ok(total / k as f64)
}

/// Relabels to 0..n_clusters (in sorted label order) and counts each cluster's rows; errs unless
/// 2 <= n_clusters <= n_rows - 1.
fn dense_labels(
    x: &Matrix,
    labels: &[usize],
    metric: &str,
) -> Result<(Vec<usize>, Vec<usize>), String> {
    if labels.len() != x.n_rows {
        return Err(format!(
            "{metric}: {} labels for {} rows",
            labels.len(),
            x.n_rows
        ));
    }
    let mut present: Vec<usize> = labels.to_vec();
    present.sort_unstable();
    present.dedup();
    let n = x.n_rows;
    if present.len() < 2 || present.len() + 1 > n {
        return Err(format!(
            "{metric} needs between 2 and n_rows - 1 clusters among the scored rows; the {n} rows \
             fall into {} cluster(s)",
            present.len()
        ));
    }
    let dense: Vec<usize> = labels
        .iter()
        .map(|l| present.binary_search(l).expect("label is present"))
        .collect();
    let mut counts = vec![0usize; present.len()];
    for &l in &dense {
        counts[l] += 1;
    }
    Ok((dense, counts))
}

#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(v: &[f64]) -> Matrix {
        Matrix::from_columns(v.len(), vec![v.to_vec()])
    }

    #[test]
    fn silhouette_by_hand() {
        let x = column(&[0.0, 1.0, 10.0, 11.0]);
        let s = silhouette(&x, &[0, 0, 1, 1]).unwrap();
        let expect = (2.0 * 9.5 / 10.5 + 2.0 * 8.5 / 9.5) / 4.0;
        assert!((s - expect).abs() < 1e-15, "{s} vs {expect}");
        // Cluster ids need not be consecutive.
        assert_eq!(silhouette(&x, &[7, 7, 3, 3]).unwrap(), s);
        // A singleton scores 0: rows 0 and 1 score (b - a) / b with a = 1.
        let x = column(&[0.0, 1.0, 10.0]);
        let s = silhouette(&x, &[0, 0, 1]).unwrap();
        assert!((s - (9.0 / 10.0 + 8.0 / 9.0) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn davies_bouldin_by_hand() {
        // Centroids 1 and 12, mean distances to them 1 and 2: both clusters score 3 / 11.
        let x = column(&[0.0, 2.0, 10.0, 14.0]);
        let db = davies_bouldin(&x, &[0, 0, 1, 1]).unwrap();
        assert!((db - 3.0 / 11.0).abs() < 1e-15);
        // Points on their centroids: 0, as scikit-learn.
        let x = column(&[1.0, 1.0, 5.0, 5.0]);
        assert_eq!(davies_bouldin(&x, &[0, 0, 1, 1]).unwrap(), 0.0);
    }

    /// Values from scikit-learn 1.9.1 (silhouette_score, davies_bouldin_score) on the same data.
    #[test]
    fn match_scikit_learn() {
        let rows: Vec<Vec<f64>> = (0..30)
            .map(|i| {
                let t = i as f64;
                vec![(1.3 * t).sin(), 2.0 * (0.7 * t).cos(), (i % 4) as f64 * 0.5]
            })
            .collect();
        let x = Matrix::from_rows(&rows);
        let mut labels: Vec<usize> = (0..30).map(|k| [2, 5, 9][(k * k) % 3]).collect();
        labels[7] = 11; // a singleton
        let s = silhouette(&x, &labels).unwrap();
        let db = davies_bouldin(&x, &labels).unwrap();
        assert!((s - -0.19833432817279964).abs() < 1e-12, "{s}");
        assert!((db - 13.105076526827999).abs() < 1e-10, "{db}");
    }

    #[test]
    fn too_few_or_too_many_clusters_are_errors() {
        let x = column(&[0.0, 1.0, 2.0]);
        for labels in [[0, 0, 0], [0, 1, 2]] {
            let err = silhouette(&x, &labels).unwrap_err();
            assert!(err.contains("between 2 and n_rows - 1"), "{err}");
            assert!(davies_bouldin(&x, &labels).is_err());
        }
        assert!(silhouette(&x, &[0, 1]).is_err());
        assert_eq!(inertia(&[1.0, 2.5], None), 3.5);
        assert_eq!(inertia(&[1.0, 2.5], Some(&[2.0, 0.0])), 2.0);
    }

    #[test]
    fn deterministic_whatever_the_thread_count() {
        let rows: Vec<Vec<f64>> = (0..700)
            .map(|i| vec![(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()])
            .collect();
        let x = Matrix::from_rows(&rows);
        let labels: Vec<usize> = (0..700).map(|i| (i * 7919) % 5).collect();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    (
                        silhouette(&x, &labels).unwrap(),
                        davies_bouldin(&x, &labels).unwrap(),
                    )
                })
        };
        let (a, b) = (run(1), run(4));
        assert_eq!(a.0.to_bits(), b.0.to_bits());
        assert_eq!(a.1.to_bits(), b.1.to_bits());
    }
}
