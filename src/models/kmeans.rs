//! k-means clustering: greedy k-means++ seeding, then Lloyd iterations, best of `n_init` runs.

use super::params::{at_least, non_negative, ParamDoc, ParamError, ParamKind};
use super::{FitOn, Model, ModelInfo, Output, Predictor, Targets, Task};
use crate::matrix::{dot, Matrix};
use crate::rng::numpy::RandomState as NumpyRandomState;
use crate::rng::{derive_seed, running_sums, Rng, WeightedDraw};
use rand::{Rng as _, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Rows per parallel task in the assignment step. Fixed, so partial sums are always added in the
/// same order whatever the thread count.
const ROW_CHUNK: usize = 2048;

/// k-means (scikit-learn's `KMeans` with `init="k-means++"`, `algorithm="lloyd"`).
///
/// Minimises the inertia Σᵢ ||xᵢ - c(xᵢ)||², the squared distance of each row to its nearest centre.
/// Each run seeds the centres by scikit-learn's greedy k-means++ (each new centre is the best, by
/// resulting inertia, of 2 + ⌊ln k⌋ rows sampled with probability proportional to their squared
/// distance to the nearest centre so far), then runs Lloyd iterations (assign each row to its nearest
/// centre, move each centre to the mean of its rows) until the assignments stop changing, or the
/// centres move in total (Σ squared shifts) by at most `tol` times the mean per-feature variance of
/// the data (scikit-learn's scaling of `tol`), or `max_iter` iterations. A centre left without rows is
/// moved onto the row farthest from its own centre, as scikit-learn does. Of `n_init` runs, each
/// seeded from its own derived generator, the one of least inertia is kept. The default `n_init = 1`
/// is what scikit-learn's default `n_init="auto"` means for k-means++ (since version 1.4).
/// Predictions assign rows to the nearest learned centre (the first on ties).
///
/// Its parameters, their defaults and ranges are the rows of its `ModelInfo` table (`kiln schema`
/// prints them), which a test checks against `Default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansParams {
    pub n_clusters: usize,
    pub n_init: usize,
    pub max_iter: usize,
    pub tol: f64,
}

impl Default for KMeansParams {
    fn default() -> Self {
        KMeansParams {
            n_clusters: 8,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
        }
    }
}

impl KMeansParams {
    pub fn check(&self) -> Result<(), ParamError> {
        at_least("n_clusters", self.n_clusters, 1)?;
        at_least("n_init", self.n_init, 1)?;
        at_least("max_iter", self.max_iter, 1)?;
        non_negative("tol", self.tol)
    }
}

pub const KMEANS_INFO: ModelInfo = ModelInfo {
    name: "kmeans",
    tasks: &[Task::Clustering],
    objective: "sum over rows of the squared Euclidean distance to the nearest centre (inertia); \
                greedy k-means++ seeding, Lloyd iterations, best of n_init runs",
    params: &[
        ParamDoc {
            name: "n_clusters",
            kind: ParamKind::Int,
            doc: "number of clusters, >= 1 and at most the number of training rows",
        },
        ParamDoc {
            name: "n_init",
            kind: ParamKind::Int,
            doc: "independent k-means++ runs, the one of least inertia kept, >= 1 (1 is \
                  scikit-learn's n_init=\"auto\" for k-means++)",
        },
        ParamDoc {
            name: "max_iter",
            kind: ParamKind::Int,
            doc: "Lloyd iterations per run at most, >= 1",
        },
        ParamDoc {
            name: "tol",
            kind: ParamKind::Float,
            doc: "stop when the centres' total squared shift is <= tol x the mean feature \
                  variance, >= 0 (0: run until the assignments stop changing)",
        },
    ],
};

/// Fitted k-means: the centres, in the design matrix's coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansModel {
    /// n_clusters x n_features.
    pub centers: Vec<Vec<f64>>,
    /// Inertia on the training rows.
    pub inertia: f64,
    /// Lloyd iterations of the kept run.
    pub n_iter: usize,
}

/// Each run is seeded from its own generator, derived from one draw of `rng`: the runs are
/// independent of each other and of the thread count.
pub fn fit_kmeans(
    p: &KMeansParams,
    x: &Matrix,
    targets: Targets,
    rng: &mut Rng,
) -> Result<(KMeansModel, Vec<String>), String> {
    if !matches!(targets, Targets::Unsupervised) {
        return Err("kmeans is a clustering model: set task = \"clustering\"".into());
    }
    fit(p, (x, None), Seeding::Kiln(rng))
}

enum Seeding<'a> {
    Kiln(&'a mut Rng),
    Numpy(u32),
}

/// Fits on x, each row weighted by `weights` (scikit-learn's `sample_weight`: the seeding's draws
/// and potentials, the centres' means and the inertia are weighted; the centring and the
/// tolerance's variance are not, as scikit-learn's).
fn fit(
    p: &KMeansParams,
    (x, weights): (&Matrix, Option<&[f64]>),
    seeding: Seeding,
) -> Result<(KMeansModel, Vec<String>), String> {
    let (n, d) = (x.n_rows, x.n_cols);
    if p.n_clusters > n {
        return Err(format!(
            "n_clusters = {} is more than the {n} training rows; lower n_clusters to at most {n}",
            p.n_clusters
        ));
    }
    if d == 0 {
        return Err("kmeans needs at least one feature column".into());
    }
    if x.data.iter().any(|v| !v.is_finite()) {
        return Err("the training features hold NaN or infinite values".into());
    }
    // Centred, as scikit-learn does before clustering, for precise distances; shifted back at the end.
    let means: Vec<f64> = (0..d)
        .map(|j| x.col(j).iter().sum::<f64>() / n as f64)
        .collect();
    let variance_mean = (0..d)
        .map(|j| {
            x.col(j)
                .iter()
                .map(|v| (v - means[j]) * (v - means[j]))
                .sum::<f64>()
                / n as f64
        })
        .sum::<f64>()
        / d as f64;
    let tol = p.tol * variance_mean;
    let mut rows = x.to_row_major();
    for r in rows.chunks_mut(d) {
        for (v, m) in r.iter_mut().zip(&means) {
            *v -= m;
        }
    }
    let data = Rows {
        data: &rows,
        n,
        d,
        w: weights,
    };
    let inits: Vec<Vec<f64>> = match seeding {
        Seeding::Kiln(rng) => {
            let base: u64 = rng.gen();
            (0..p.n_init)
                .into_par_iter()
                .map(|i| {
                    let mut run_rng = Rng::seed_from_u64(derive_seed(base, &[i as u64]));
                    kmeans_plusplus(&data, p.n_clusters, &mut run_rng)
                })
                .collect()
        }
        // numpy's RandomState is one stream drawn by the runs in turn.
        Seeding::Numpy(seed) => {
            let mut mt = NumpyRandomState::new(seed);
            (0..p.n_init)
                .map(|_| kmeans_plusplus(&data, p.n_clusters, &mut mt))
                .collect()
        }
    };
    let runs: Vec<Run> = inits
        .into_par_iter()
        .map(|init| lloyd(&data, init, p.n_clusters, p.max_iter, tol))
        .collect();
    // scikit-learn's rule: a later run replaces the best only if its inertia is lower and it is not
    // the same clustering up to a relabelling.
    let mut best = 0;
    for i in 1..runs.len() {
        if runs[i].inertia < runs[best].inertia
            && !same_clustering(&runs[i].labels, &runs[best].labels, p.n_clusters)
        {
            best = i;
        }
    }
    let run = runs.into_iter().nth(best).expect("n_init >= 1");
    let mut warnings = Vec::new();
    let mut used = vec![false; p.n_clusters];
    for &l in &run.labels {
        used[l] = true;
    }
    let distinct = used.iter().filter(|u| **u).count();
    if distinct < p.n_clusters {
        warnings.push(format!(
            "only {distinct} distinct clusters found for n_clusters = {} (the data have fewer \
             distinct rows than clusters); lower n_clusters",
            p.n_clusters
        ));
    }
    let centers = run
        .centers
        .chunks(d)
        .map(|c| c.iter().zip(&means).map(|(v, m)| v + m).collect())
        .collect();
    Ok((
        KMeansModel {
            centers,
            inertia: run.inertia,
            n_iter: run.n_iter,
        },
        warnings,
    ))
}

impl KMeansModel {
    /// Each row's nearest centre (the first on ties) and its squared distance to it.
    pub fn predict(&self, x: &Matrix) -> Output {
        let d = self.centers[0].len();
        assert_eq!(
            x.n_cols, d,
            "kmeans: {} columns for centres of {d}",
            x.n_cols
        );
        let flat: Vec<f64> = self.centers.iter().flatten().copied().collect();
        let rows = x.to_row_major();
        let data = Rows {
            data: &rows,
            n: x.n_rows,
            d,
            w: None,
        };
        let (labels, distances_sq) = assign(&data, &flat, self.centers.len());
        Output::Clusters {
            labels,
            distances_sq,
        }
    }

    pub fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        None
    }
}

/// Row-major rows, with their weights (None: every row 1).
struct Rows<'a> {
    data: &'a [f64],
    n: usize,
    d: usize,
    w: Option<&'a [f64]>,
}

impl Rows<'_> {
    #[inline]
    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// Row i's weight: exactly 1 without weights, so weighted sums give the unweighted bits.
    #[inline]
    fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }

    /// Σ wᵢ vᵢ, in row order.
    fn weighted_sum(&self, v: &[f64]) -> f64 {
        v.iter().enumerate().map(|(i, v)| self.weight(i) * v).sum()
    }
}

#[inline]
fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum()
}

struct Run {
    /// n_clusters x d, row-major.
    centers: Vec<f64>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
}

/// The random draws of k-means++.
trait Draws {
    /// A row index, with probability proportional to its weight (uniform without).
    fn index(&mut self, x: &Rows) -> usize;
    /// A float in [0, 1).
    fn uniform(&mut self) -> f64;
}

impl Draws for Rng {
    fn index(&mut self, x: &Rows) -> usize {
        match x.w {
            None => self.gen_range(0..x.n),
            Some(w) => WeightedDraw::new(w.iter().copied()).draw(self),
        }
    }
    fn uniform(&mut self) -> f64 {
        self.gen()
    }
}

/// scikit-learn's `_kmeans_plusplus` (greedy): returns n_clusters x d centres, row-major.
fn kmeans_plusplus(x: &Rows, k: usize, rng: &mut impl Draws) -> Vec<f64> {
    let (n, d) = (x.n, x.d);
    let n_local_trials = 2 + (k as f64).ln() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let first = rng.index(x);
    centers.extend_from_slice(x.row(first));
    let mut closest: Vec<f64> = par_map_rows(n, |i| sq_dist(x.row(i), x.row(first)));
    let mut pot: f64 = x.weighted_sum(&closest);
    let mut cumsum = vec![0.0; n];
    for _ in 1..k {
        let mut acc = 0.0;
        for (i, (c, v)) in cumsum.iter_mut().zip(&closest).enumerate() {
            acc += x.weight(i) * v;
            *c = acc;
        }
        let candidates: Vec<usize> = (0..n_local_trials)
            .map(|_| {
                let r = rng.uniform() * pot;
                // numpy's searchsorted (side="left"): the first index whose cumulative sum >= r.
                cumsum.partition_point(|&c| c < r).min(n - 1)
            })
            .collect();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for &cand in &candidates {
            let dist: Vec<f64> =
                par_map_rows(n, |i| sq_dist(x.row(i), x.row(cand)).min(closest[i]));
            let cand_pot: f64 = x.weighted_sum(&dist);
            if best.as_ref().is_none_or(|(bp, _, _)| cand_pot < *bp) {
                best = Some((cand_pot, cand, dist));
            }
        }
        let (best_pot, best_idx, best_dist) = best.expect("n_local_trials >= 2");
        pot = best_pot;
        closest = best_dist;
        centers.extend_from_slice(x.row(best_idx));
    }
    centers
}

/// f(i) for every row, in fixed chunks run in parallel, collected in row order.
fn par_map_rows(n: usize, f: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
    (0..n.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| (c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(n)).map(&f))
        .collect()
}

/// The centres with their squared norms, for the nearest-centre search.
struct Centres<'a> {
    /// k x d, row-major.
    c: &'a [f64],
    norms: Vec<f64>,
    d: usize,
}

impl<'a> Centres<'a> {
    fn new(c: &'a [f64], d: usize) -> Self {
        let norms = c.chunks(d).map(|r| dot(r, r)).collect();
        Centres { c, norms, d }
    }

    /// The nearest centre (the first on ties) and the squared distance to it. Centres are ranked
    /// by ||c||² - 2 x·c, as scikit-learn does (one dot product per centre instead of a distance;
    /// rows are centred, which keeps the cancellation small); the distance to the chosen centre is
    /// then computed exactly.
    #[inline]
    fn nearest(&self, row: &[f64]) -> (usize, f64) {
        let j = self.nearest_label(row);
        (j, sq_dist(row, &self.c[j * self.d..(j + 1) * self.d]))
    }

    #[inline]
    fn nearest_label(&self, row: &[f64]) -> usize {
        let mut best = (0, f64::INFINITY);
        for (j, (c, n)) in self.c.chunks(self.d).zip(&self.norms).enumerate() {
            let score = n - 2.0 * dot(row, c);
            if score < best.1 {
                best = (j, score);
            }
        }
        best.0
    }
}

/// Nearest centre (first on ties) and squared distance for every row.
fn assign(x: &Rows, centers: &[f64], k: usize) -> (Vec<usize>, Vec<f64>) {
    debug_assert_eq!(centers.len(), k * x.d);
    let cs = Centres::new(centers, x.d);
    let pairs: Vec<(usize, f64)> = (0..x.n.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .flat_map_iter(|c| {
            let cs = &cs;
            (c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(x.n)).map(move |i| cs.nearest(x.row(i)))
        })
        .collect();
    pairs.into_iter().unzip()
}

/// One Lloyd step: labels for `centers`, and the per-cluster weighted sums and weights of their
/// rows, with sums added chunk by chunk in chunk order.
fn lloyd_step(x: &Rows, centers: &[f64], k: usize) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let d = x.d;
    let cs = Centres::new(centers, d);
    let chunks: Vec<(Vec<usize>, Vec<f64>, Vec<f64>)> = (0..x.n.div_ceil(ROW_CHUNK))
        .into_par_iter()
        .map(|c| {
            let rows = c * ROW_CHUNK..((c + 1) * ROW_CHUNK).min(x.n);
            let mut labels = Vec::with_capacity(rows.len());
            let mut sums = vec![0.0; k * d];
            let mut counts = vec![0.0; k];
            for i in rows {
                let l = cs.nearest_label(x.row(i));
                labels.push(l);
                let w = x.weight(i);
                counts[l] += w;
                for (s, v) in sums[l * d..(l + 1) * d].iter_mut().zip(x.row(i)) {
                    *s += w * v;
                }
            }
            (labels, sums, counts)
        })
        .collect();
    let mut labels = Vec::with_capacity(x.n);
    let mut sums = vec![0.0; k * d];
    let mut counts = vec![0.0; k];
    for (l, s, c) in chunks {
        labels.extend(l);
        for (a, b) in sums.iter_mut().zip(&s) {
            *a += b;
        }
        for (a, b) in counts.iter_mut().zip(&c) {
            *a += b;
        }
    }
    (labels, sums, counts)
}

/// scikit-learn's `_kmeans_single_lloyd`.
fn lloyd(x: &Rows, mut centers: Vec<f64>, k: usize, max_iter: usize, tol: f64) -> Run {
    let d = x.d;
    let mut labels_old: Vec<usize> = vec![usize::MAX; x.n];
    let mut labels = labels_old.clone();
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        let (new_labels, mut sums, mut counts) = lloyd_step(x, &centers, k);
        labels = new_labels;
        relocate_empty_clusters(x, &centers, &labels, &mut sums, &mut counts, k);
        let heaviest = counts
            .iter()
            .enumerate()
            .fold(0, |b, (j, c)| if *c > counts[b] { j } else { b });
        let mut new_centers = sums;
        if counts[heaviest] > 0.0 {
            let c = counts[heaviest];
            new_centers[heaviest * d..(heaviest + 1) * d]
                .iter_mut()
                .for_each(|v| *v /= c);
        }
        for j in 0..k {
            if j == heaviest {
                continue;
            }
            if counts[j] > 0.0 {
                let c = counts[j];
                new_centers[j * d..(j + 1) * d]
                    .iter_mut()
                    .for_each(|v| *v /= c);
            } else {
                // Still empty (more clusters than distinct rows): park it on the heaviest cluster.
                let src = new_centers[heaviest * d..(heaviest + 1) * d].to_vec();
                new_centers[j * d..(j + 1) * d].copy_from_slice(&src);
            }
        }
        let shift: f64 = (0..k)
            .map(|j| {
                sq_dist(
                    &new_centers[j * d..(j + 1) * d],
                    &centers[j * d..(j + 1) * d],
                )
            })
            .sum();
        centers = new_centers;
        if labels == labels_old {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
        labels_old.clone_from(&labels);
    }
    let (labels, dists) = if strict {
        let dists = (0..x.n)
            .map(|i| sq_dist(x.row(i), &centers[labels[i] * d..(labels[i] + 1) * d]))
            .collect::<Vec<_>>();
        (labels, dists)
    } else {
        assign(x, &centers, k)
    };
    Run {
        centers,
        labels,
        inertia: x.weighted_sum(&dists),
        n_iter,
    }
}

/// scikit-learn's `_relocate_empty_clusters_dense`: each empty cluster takes the row farthest from
/// its (old) centre, the farthest going to the lowest-numbered empty cluster; that row's (weighted)
/// contribution moves from its cluster to the empty one.
fn relocate_empty_clusters(
    x: &Rows,
    old_centers: &[f64],
    labels: &[usize],
    sums: &mut [f64],
    counts: &mut [f64],
    k: usize,
) {
    let d = x.d;
    let empty: Vec<usize> = (0..k).filter(|&j| counts[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let dist: Vec<f64> = par_map_rows(x.n, |i| {
        sq_dist(x.row(i), &old_centers[labels[i] * d..(labels[i] + 1) * d])
    });
    if dist.iter().fold(0.0f64, |m, v| m.max(*v)) == 0.0 {
        return;
    }
    let mut order: Vec<usize> = (0..x.n).collect();
    order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    for (&new, &far) in empty.iter().zip(&order) {
        let old = labels[far];
        let (row, w) = (x.row(far), x.weight(far));
        for f in 0..d {
            sums[old * d + f] -= w * row[f];
            sums[new * d + f] = w * row[f];
        }
        counts[new] = w;
        counts[old] -= w;
    }
}

/// Whether two labellings are the same clustering up to a renaming of the clusters.
fn same_clustering(a: &[usize], b: &[usize], k: usize) -> bool {
    let mut map = vec![usize::MAX; k];
    for (&la, &lb) in a.iter().zip(b) {
        if map[la] == usize::MAX {
            map[la] = lb;
        } else if map[la] != lb {
            return false;
        }
    }
    true
}

/// The two draws scikit-learn's k-means++ makes from numpy's `RandomState`.
impl Draws for NumpyRandomState {
    /// `choice(n, p=sample_weight / sample_weight.sum())` (the weights ones without): the
    /// cumulative probabilities, normalised by the last, searched (side="right") for one
    /// `random_sample()`.
    fn index(&mut self, x: &Rows) -> usize {
        let n = x.n;
        let total: f64 = match x.w {
            None => n as f64,
            Some(w) => crate::rng::numpy::pairwise_sum(w),
        };
        let mut cdf = running_sums((0..n).map(|i| x.weight(i) / total));
        let last = cdf[n - 1];
        for c in cdf.iter_mut() {
            *c /= last;
        }
        let u = self.random_sample();
        cdf.partition_point(|&c| c <= u).min(n - 1)
    }

    fn uniform(&mut self) -> f64 {
        self.random_sample()
    }
}

impl Model for KMeansParams {
    const INFO: ModelInfo = KMEANS_INFO;
    type Fitted = KMeansModel;
    const TAKES_WEIGHTS: bool = true;

    fn check_for(&self, _task: Task) -> Result<(), ParamError> {
        self.check()
    }

    fn reads_slots(&self, _task: Task) -> bool {
        false
    }

    fn fit(&self, on: FitOn) -> Result<(KMeansModel, Vec<String>), String> {
        // The pipeline seed is scikit-learn's random_state: the k-means++ draws are numpy's.
        match on.targets {
            Targets::Unsupervised => fit(
                self,
                (on.cache.dense(on.design), on.weights),
                Seeding::Numpy(on.seed as u32),
            ),
            _ => Err("kmeans is a clustering model: set task = \"clustering\"".into()),
        }
    }
}

impl Predictor for KMeansModel {
    fn predict(&self, x: &Matrix) -> Output {
        KMeansModel::predict(self, x)
    }

    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)> {
        KMeansModel::feature_weights(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{rng_for, Purpose};

    fn rng(seed: u64) -> Rng {
        rng_for(seed, Purpose::Fit, &[])
    }

    /// Three tight, well separated blobs of 20 rows.
    fn blobs() -> Matrix {
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        let rows: Vec<Vec<f64>> = (0..60)
            .map(|i| {
                let c = centres[i % 3];
                let t = i as f64;
                vec![c[0] + 0.3 * (t * 1.7).sin(), c[1] + 0.3 * (t * 2.3).cos()]
            })
            .collect();
        Matrix::from_rows(&rows)
    }

    fn clusters(o: Output) -> (Vec<usize>, Vec<f64>) {
        match o {
            Output::Clusters {
                labels,
                distances_sq,
            } => (labels, distances_sq),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn finds_separated_blobs_and_reports_inertia() {
        let x = blobs();
        let p = KMeansParams {
            n_clusters: 3,
            ..Default::default()
        };
        let (m, w) = fit_kmeans(&p, &x, Targets::Unsupervised, &mut rng(0)).unwrap();
        assert!(w.is_empty(), "{w:?}");
        let (labels, d2) = clusters(m.predict(&x));
        for i in 3..60 {
            assert_eq!(labels[i], labels[i % 3], "row {i}");
        }
        assert!(labels[0] != labels[1] && labels[1] != labels[2] && labels[0] != labels[2]);
        // Centres are the blob means; inertia is the sum of squared distances.
        for (k, &label) in labels.iter().take(3).enumerate() {
            let members: Vec<usize> = (0..60).filter(|i| i % 3 == k).collect();
            let mean0 = members.iter().map(|&i| x.get(i, 0)).sum::<f64>() / 20.0;
            assert!((m.centers[label][0] - mean0).abs() < 1e-12);
        }
        assert!((d2.iter().sum::<f64>() - m.inertia).abs() < 1e-9);
        assert!(m.feature_weights().is_none());
    }

    #[test]
    fn deterministic_whatever_the_thread_count() {
        let x = blobs();
        let p = KMeansParams {
            n_clusters: 4,
            n_init: 5,
            ..Default::default()
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    fit_kmeans(&p, &x, Targets::Unsupervised, &mut rng(7))
                        .unwrap()
                        .0
                })
        };
        assert_eq!(run(1), run(3));
        let other = fit_kmeans(&p, &x, Targets::Unsupervised, &mut rng(8))
            .unwrap()
            .0;
        assert!(other.inertia.is_finite());
    }

    #[test]
    fn an_empty_cluster_takes_the_farthest_row() {
        let rows = [0.0, 1.0, 10.0];
        let data = Rows {
            data: &rows,
            n: 3,
            d: 1,
            w: None,
        };
        // All rows on centre 0 (at 0.5); centre 1 (at 100) is empty.
        let old = [0.5, 100.0];
        let labels = [0, 0, 0];
        let mut sums = vec![11.0, 0.0];
        let mut counts = vec![3.0, 0.0];
        relocate_empty_clusters(&data, &old, &labels, &mut sums, &mut counts, 2);
        assert_eq!(sums, vec![1.0, 10.0]);
        assert_eq!(counts, vec![2.0, 1.0]);
        // Through Lloyd: the empty centre is relocated and the run converges to {0, 1}, {10}.
        let run = lloyd(&data, old.to_vec(), 2, 300, 0.0);
        assert_eq!(run.centers, vec![0.5, 10.0]);
        assert_eq!(run.labels, vec![0, 0, 1]);
        assert!((run.inertia - 0.5).abs() < 1e-15);
    }

    #[test]
    fn fewer_distinct_rows_than_clusters_warns() {
        let x = Matrix::from_rows(&[vec![1.0], vec![1.0], vec![1.0], vec![2.0]]);
        let p = KMeansParams {
            n_clusters: 3,
            ..Default::default()
        };
        let (m, w) = fit_kmeans(&p, &x, Targets::Unsupervised, &mut rng(0)).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("only 2 distinct clusters"), "{}", w[0]);
        assert_eq!(m.inertia, 0.0);
    }

    #[test]
    fn impossible_requests_are_errors() {
        let x = blobs();
        let err = fit_kmeans(
            &KMeansParams {
                n_clusters: 61,
                ..Default::default()
            },
            &x,
            Targets::Unsupervised,
            &mut rng(0),
        )
        .unwrap_err();
        assert!(
            err.contains("n_clusters = 61") && err.contains("60 training rows"),
            "{err}"
        );
        assert!(fit_kmeans(
            &KMeansParams::default(),
            &x,
            Targets::Values(&[0.0; 60]),
            &mut rng(0)
        )
        .is_err());
        let bad = [
            KMeansParams {
                n_clusters: 0,
                ..Default::default()
            },
            KMeansParams {
                n_init: 0,
                ..Default::default()
            },
            KMeansParams {
                max_iter: 0,
                ..Default::default()
            },
            KMeansParams {
                tol: -1.0,
                ..Default::default()
            },
        ];
        let keys: Vec<&str> = bad.iter().map(|p| p.check().unwrap_err().key).collect();
        assert_eq!(keys, ["n_clusters", "n_init", "max_iter", "tol"]);
        let names: Vec<&str> = KMEANS_INFO.params.iter().map(|d| d.name).collect();
        let json = serde_json::to_value(KMeansParams::default()).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
    }

    #[test]
    fn numpy_random_state_matches_numpy() {
        // np.random.RandomState(0).random_sample() and .choice(120, p=ones(120)/120).
        assert_eq!(NumpyRandomState::new(0).random_sample(), 0.5488135039273248);
        let zeros = vec![0.0; 120];
        let rows = |n: usize, w: Option<&'static [f64]>| Rows {
            data: &zeros[..n],
            n,
            d: 1,
            w,
        };
        assert_eq!(NumpyRandomState::new(0).index(&rows(120, None)), 65);
        // .choice(4, p=[0, 1, 0, 3] / 4): the draw 0.5488 falls in row 3's share, never row 0's or 2's.
        let w: &'static [f64] = &[0.0, 1.0, 0.0, 3.0];
        assert_eq!(NumpyRandomState::new(0).index(&rows(4, Some(w))), 3);
    }

    #[test]
    fn serde_round_trip_predicts_bit_identically() {
        let x = blobs();
        let p = KMeansParams {
            n_clusters: 5,
            n_init: 3,
            ..Default::default()
        };
        let (m, _) = fit_kmeans(&p, &x, Targets::Unsupervised, &mut rng(1)).unwrap();
        let back: KMeansModel = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.predict(&x), m.predict(&x));
    }
}
