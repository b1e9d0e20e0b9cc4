//! Binning: each column's values mapped to at most `max_bins` integer bins (u8), as scikit-learn's
//! `_BinMapper` does, so that a split search reads 256 histogram slots instead of sorted values.
//!
//! A numeric column's thresholds are the midpoints of its distinct values when it has at most
//! `max_bins` of them; otherwise the `max_bins - 1` inner percentiles of its values (numpy's
//! "averaged_inverted_cdf" rule), duplicates dropped. Value x falls in bin i when
//! thresholds[i - 1] < x <= thresholds[i]. A native categorical column (ordinal codes) has one bin
//! per category seen in training: its thresholds are the sorted codes themselves. Missing values
//! (NaN) always have the last bin, `max_bins`, whether a column has any or not.

use super::splitter::Split;
use super::tree::Test;
use crate::matrix::Matrix;
use crate::rng::Rng;
use rand::Rng as _;
use rayon::prelude::*;

/// At most this many rows (drawn with replacement from the seed) are read to find thresholds.
pub const BINNING_SUBSAMPLE: usize = 200_000;

/// scikit-learn's ceiling on a threshold, so that no threshold is infinite.
const ALMOST_INF: f64 = 1e300;

/// The thresholds of every column and how many bins each uses.
#[derive(Debug, Clone, PartialEq)]
pub struct BinMapper {
    /// Per column: numeric split points, or the sorted category codes of a categorical column.
    pub thresholds: Vec<Vec<f64>>,
    pub is_categorical: Vec<bool>,
    /// The bin of missing values (the last one): `max_bins`.
    pub missing_bin: u8,
}

impl BinMapper {
    /// Bins used by non-missing values of column j.
    pub fn n_bins_non_missing(&self, j: usize) -> usize {
        if self.is_categorical[j] {
            self.thresholds[j].len()
        } else {
            self.thresholds[j].len() + 1
        }
    }

    /// Learns every column's thresholds from `rows` of `x`. `rng` draws the subsample when there
    /// are more than [`BINNING_SUBSAMPLE`] rows.
    pub fn fit(
        x: &Matrix,
        rows: &[usize],
        max_bins: usize,
        is_categorical: &[bool],
        rng: &mut Rng,
    ) -> Self {
        let sample: Vec<usize> = if rows.len() > BINNING_SUBSAMPLE {
            (0..BINNING_SUBSAMPLE)
                .map(|_| rows[rng.gen_range(0..rows.len())])
                .collect()
        } else {
            rows.to_vec()
        };
        let thresholds = (0..x.n_cols)
            .into_par_iter()
            .map(|j| {
                let col = x.col(j);
                let values: Vec<f64> = sample.iter().map(|&i| col[i]).collect();
                if is_categorical[j] {
                    category_codes(values)
                } else {
                    thresholds_of(values, max_bins)
                }
            })
            .collect();
        BinMapper {
            thresholds,
            is_categorical: is_categorical.to_vec(),
            missing_bin: max_bins as u8,
        }
    }

    /// A split's test on raw values: the threshold of its bin, or the categories of its bins.
    pub fn test_of(&self, s: &Split) -> Test {
        let j = s.feature;
        match &s.categories_left {
            Some(set) => Test::Categories(
                (0..self.thresholds[j].len())
                    .filter(|&b| set.contains(b))
                    .map(|b| self.thresholds[j][b] as u32)
                    .collect(),
            ),
            // The last non-missing bin: every value goes left, missing values right.
            None if s.bin + 1 == self.n_bins_non_missing(j) => Test::NotMissing,
            None => Test::AtMost(self.thresholds[j][s.bin]),
        }
    }

    /// The bin of value `v` in column j.
    pub fn bin_of(&self, j: usize, v: f64) -> u8 {
        if v.is_nan() || (self.is_categorical[j] && v < 0.0) {
            return self.missing_bin;
        }
        // The first threshold >= v (a category code is its own threshold).
        self.thresholds[j].partition_point(|t| *t < v) as u8
    }

    /// `rows` of `x` binned, column after column.
    pub fn transform(&self, x: &Matrix, rows: &[usize]) -> Binned {
        let n = rows.len();
        let mut bins = vec![0u8; n * x.n_cols];
        bins.par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(j, out)| {
                let col = x.col(j);
                for (o, &i) in out.iter_mut().zip(rows) {
                    *o = self.bin_of(j, col[i]);
                }
            });
        let has_missing = (0..x.n_cols)
            .map(|j| bins[j * n..(j + 1) * n].contains(&self.missing_bin))
            .collect();
        Binned {
            n_rows: n,
            n_cols: x.n_cols,
            bins,
            has_missing,
        }
    }
}

/// A binned matrix, column-major, with which columns hold a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    pub n_rows: usize,
    pub n_cols: usize,
    pub bins: Vec<u8>,
    pub has_missing: Vec<bool>,
}

impl Binned {
    pub fn col(&self, j: usize) -> &[u8] {
        &self.bins[j * self.n_rows..(j + 1) * self.n_rows]
    }

    /// Bytes held: what the budget counts for the binned design.
    pub fn bytes(&self) -> usize {
        self.bins.len()
    }
}

/// The sorted distinct values of a column, NaN left out.
fn distinct(mut values: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    values.retain(|v| !v.is_nan());
    values.sort_by(f64::total_cmp);
    let mut unique = values.clone();
    unique.dedup();
    (values, unique)
}

/// A categorical column's bins: its distinct non-negative codes, sorted.
fn category_codes(values: Vec<f64>) -> Vec<f64> {
    let (_, mut unique) = distinct(values);
    unique.retain(|v| *v >= 0.0);
    unique
}

/// A numeric column's thresholds (see the module doc).
pub fn thresholds_of(values: Vec<f64>, max_bins: usize) -> Vec<f64> {
    let (sorted, unique) = distinct(values);
    if unique.len() <= 1 {
        return Vec::new();
    }
    let mut t: Vec<f64> = if unique.len() <= max_bins {
        unique.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
    } else {
        (1..max_bins)
            .map(|i| averaged_inverted_cdf(&sorted, percentile_fraction(i, max_bins)))
            .collect()
    };
    t.dedup();
    t.iter_mut().for_each(|v| *v = v.min(ALMOST_INF));
    t
}

/// The i-th of `max_bins + 1` evenly spaced percentiles from 0 to 100, as a fraction: numpy's
/// linspace (i * step) divided by 100, as np.percentile does.
fn percentile_fraction(i: usize, max_bins: usize) -> f64 {
    let step = 100.0 / max_bins as f64;
    (i as f64 * step) / 100.0
}

/// numpy's "averaged_inverted_cdf" quantile of sorted values: the mean of the two order statistics
/// around n·q when n·q is whole, the next one above otherwise.
fn averaged_inverted_cdf(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = n as f64 * q - 1.0;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let at = |k: f64| sorted[(k.max(0.0) as usize).min(n - 1)];
    let (a, b) = (at(below), at(below + 1.0));
    if gamma == 0.0 {
        // numpy's lerp at t = 0.5, from the upper end.
        b - (b - a) * 0.5
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_split_at_midpoints() {
        let t = thresholds_of(vec![3.0, 1.0, f64::NAN, 2.0, 1.0, 3.0], 255);
        assert_eq!(t, vec![1.5, 2.5]);
        assert!(thresholds_of(vec![4.0, 4.0, f64::NAN], 255).is_empty());
    }

    /// Values checked against numpy: np.percentile(np.arange(10.), np.linspace(0, 100, 5)[1:-1],
    /// method="averaged_inverted_cdf") = [2, 4.5, 7].
    #[test]
    fn many_distinct_values_split_at_numpys_percentiles() {
        let values: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(thresholds_of(values, 4), vec![2.0, 4.5, 7.0]);
    }

    /// Checked against scikit-learn's `_find_binning_thresholds` (bench/reference_hgb.py's venv).
    #[test]
    fn quantile_thresholds_are_scikit_learns() {
        let v: Vec<f64> = (0..1000)
            .map(|i| ((i * i) % 97) as f64 + (i % 7) as f64 * 0.5)
            .collect();
        assert_eq!(
            thresholds_of(v, 16),
            [
                4.5, 9.25, 14.0, 23.75, 28.5, 35.0, 44.0, 49.75, 54.5, 64.0, 68.0, 75.25, 83.5,
                89.75, 95.0
            ]
        );
        let v: Vec<f64> = (0..3000).map(|i| ((i * 37) % 1013) as f64).collect();
        let t = thresholds_of(v, 255);
        assert_eq!(t.len(), 254);
        assert_eq!(
            (&t[..5], &t[251..]),
            (
                &[3.0, 7.0, 11.0, 16.0, 19.0][..],
                &[1001.0, 1005.0, 1009.0][..]
            )
        );
        assert_eq!(t.iter().sum::<f64>(), 128257.0);
    }

    #[test]
    fn values_map_to_the_first_threshold_at_or_above_them() {
        let x = Matrix::from_rows(&[vec![1.0], vec![1.5], vec![2.0], vec![9.0], vec![f64::NAN]]);
        let rng = &mut <Rng as rand::SeedableRng>::seed_from_u64(0);
        let m = BinMapper::fit(&x, &[0, 1, 2, 3, 4], 255, &[false], rng);
        assert_eq!(m.thresholds[0], vec![1.25, 1.75, 5.5]);
        let b = m.transform(&x, &[0, 1, 2, 3, 4]);
        assert_eq!(b.col(0), [0, 1, 2, 3, 255]);
        assert_eq!(b.has_missing, [true]);
    }
}
