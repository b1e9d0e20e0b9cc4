//! Binning: each column's values mapped to at most `max_bins` integer bins (u8), as scikit-learn's
//! `_BinMapper` does, so that a split search reads 256 histogram slots instead of sorted values.
//!
//! A numeric column's thresholds are the midpoints of its distinct values when it has at most
//! `max_bins` of them; otherwise the `max_bins - 1` inner percentiles of its values (numpy's
//! "averaged_inverted_cdf" rule), duplicates dropped. Value x falls in bin i when
//! thresholds[i - 1] < x <= thresholds[i]. A native categorical column (ordinal codes) has one bin
//! per category seen in training: its thresholds are the sorted codes themselves. Missing values
//! (NaN) have the bin after a column's value bins ([`BinMapper::missing_bin`]), so a column's
//! histogram is as long as its bins, not `max_bins` (scikit-learn's bin `max_bins` stands for it).
//!
//! The columns of a one-hot block are 0/1 columns: each has the threshold 0.5 when the sample
//! holds both values, none otherwise, exactly as its dense column would. They are not stored as
//! one byte per row and column but as the block's category code per row (a [`Bundle`], LightGBM's
//! "exclusive feature bundle"): one pass over a node's rows sums the whole block's histogram.

use super::splitter::Split;
use super::tree::Test;
use crate::design::{DesignColumns, RowValues, NO_SLOT};
use crate::rng::{running_sums, Rng, WeightedDraw};
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

    /// The bin of column j's missing values: the one after its value bins.
    pub fn missing_bin(&self, j: usize) -> u8 {
        self.n_bins_non_missing(j) as u8
    }

    /// Histogram slots of column j: its value bins and the missing bin.
    pub fn n_slots(&self, j: usize) -> usize {
        self.n_bins_non_missing(j) + 1
    }

    /// Learns every column's thresholds from `rows` of `x`. `rng` draws the subsample when there
    /// are more than [`BINNING_SUBSAMPLE`] rows. A native categorical column's categories are
    /// those of every row of `x` (scikit-learn's known categories come from the whole training
    /// set, before the early-stopping split and the subsample), so every row of `x` bins to its own
    /// category. The error is the design's (a value preprocessing could not make).
    ///
    /// With row `weights` (by design row), as scikit-learn's `_BinMapper` given `sample_weight`:
    /// the subsample is drawn in proportion to them (and then counts unweighted); without a
    /// subsample, rows of weight 0 are left out and the quantiles are weighted.
    pub fn fit(
        x: &dyn DesignColumns,
        rows: &[usize],
        weights: Option<&[f64]>,
        max_bins: usize,
        is_categorical: &[bool],
        rng: &mut Rng,
    ) -> Result<Self, String> {
        let (sample, sample_weights): (Vec<usize>, Option<Vec<f64>>) = if rows.len()
            > BINNING_SUBSAMPLE
        {
            let draw = match weights {
                None => (0..BINNING_SUBSAMPLE)
                    .map(|_| rows[rng.gen_range(0..rows.len())])
                    .collect(),
                Some(w) => {
                    let weighted = WeightedDraw::new(rows.iter().map(|&r| w[r]));
                    (0..BINNING_SUBSAMPLE)
                        .map(|_| rows[weighted.draw(rng)])
                        .collect()
                }
            };
            (draw, None)
        } else {
            match weights {
                None => (rows.to_vec(), None),
                Some(w) => {
                    let kept: Vec<usize> = rows.iter().copied().filter(|&r| w[r] > 0.0).collect();
                    let kept_w = kept.iter().map(|&r| w[r]).collect();
                    (kept, Some(kept_w))
                }
            }
        };
        let every_row: Vec<usize> = match is_categorical.contains(&true) {
            true => (0..x.n_rows()).collect(),
            false => Vec::new(),
        };
        let mut thresholds: Vec<Vec<f64>> = (0..x.n_dense())
            .into_par_iter()
            .map(|j| match is_categorical[j] {
                true => Ok(category_codes(&x.dense_values(j, &every_row)?)),
                false => Ok(thresholds_of(
                    x.dense_values(j, &sample)?,
                    sample_weights.as_deref(),
                    max_bins,
                )),
            })
            .collect::<Result<_, String>>()?;
        // A one-hot column splits at 0.5 when the sample has rows with and without its 1.
        for (b, &width) in x.block_widths().iter().enumerate() {
            let mut counts = vec![0usize; width];
            for s in x.block_slots(b, &sample)? {
                if s != NO_SLOT {
                    counts[s as usize] += 1;
                }
            }
            thresholds.extend(counts.into_iter().map(|c| match c > 0 && c < sample.len() {
                true => vec![0.5],
                false => Vec::new(),
            }));
        }
        Ok(BinMapper {
            thresholds,
            is_categorical: is_categorical.to_vec(),
        })
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
        if v.is_nan() {
            return self.missing_bin(j);
        }
        let t = &self.thresholds[j];
        // The first threshold >= v.
        let at = t.partition_point(|t| *t < v);
        // A category is its own threshold; one never seen (or a negative code) is missing.
        if self.is_categorical[j] && t.get(at) != Some(&v) {
            return self.missing_bin(j);
        }
        at as u8
    }

    /// `rows` of `x` binned: each dense column one byte per row, each one-hot block its codes.
    /// Each column of `x` is asked for once, so a design made column by column is never whole.
    pub fn transform(&self, x: &dyn DesignColumns, rows: &[usize]) -> Result<Binned, String> {
        let n = rows.len();
        let n_dense = x.n_dense();
        let mut bins = vec![0u8; n * n_dense];
        // A column's values are asked for a chunk of rows at a time: at 10^7 rows a whole f64
        // column (80 MB, each of the columns binned at once) would outweigh its bins eightfold.
        const CHUNK: usize = 1 << 20;
        bins.par_chunks_mut(n.max(1))
            .enumerate()
            .try_for_each(|(j, out)| {
                for (at, out) in rows.chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
                    let col = x.dense_values(j, at)?;
                    for (o, &v) in out.iter_mut().zip(&col) {
                        *o = self.bin_of(j, v);
                    }
                }
                Ok::<(), String>(())
            })?;
        let mut columns: Vec<Column> = (0..n_dense).map(Column::Dense).collect();
        let widths = x.block_widths();
        let mut bundles = Vec::with_capacity(widths.len());
        let mut first = n_dense;
        for (b, &width) in widths.iter().enumerate() {
            let mut codes = x.block_slots(b, rows)?;
            for c in &mut codes {
                if *c == NO_SLOT {
                    *c = width as u32;
                }
            }
            let at = bundles.len();
            columns.extend((0..width as u32).map(|code| Column::Member {
                bundle: at,
                code,
                splits: !self.thresholds[first + code as usize].is_empty(),
            }));
            bundles.push(Bundle {
                first_column: first,
                width,
                codes,
            });
            first += width;
        }
        let has_missing = columns
            .iter()
            .enumerate()
            .map(|(j, c)| match c {
                Column::Dense(d) => bins[d * n..(d + 1) * n].contains(&self.missing_bin(j)),
                Column::Member { .. } => false,
            })
            .collect();
        Ok(Binned {
            n_rows: n,
            columns,
            bins,
            bundles,
            has_missing,
        })
    }
}

/// Binned rows read back as values on which every test of a tree grown on these bins gives the
/// answer the row's own values give: a bin as its upper threshold (infinity above the last), a
/// category as its code, the missing bin as NaN, a one-hot column as 0 or 1. Value x is in bin b
/// exactly when thresholds[b - 1] < x <= thresholds[b], so x <= thresholds[s] if and only if
/// b <= s, which holds for thresholds[b] too. Early stopping scores its held-out rows this way,
/// without the design they were binned from.
pub struct BinnedValues<'a> {
    pub mapper: &'a BinMapper,
    pub binned: &'a Binned,
}

impl RowValues for BinnedValues<'_> {
    fn n_rows(&self) -> usize {
        self.binned.n_rows
    }

    fn value(&self, i: usize, j: usize) -> f64 {
        let b = self.binned.bin(j, i);
        match self.binned.columns[j] {
            Column::Member { .. } => f64::from(b),
            Column::Dense(_) if b == self.mapper.missing_bin(j) => f64::NAN,
            Column::Dense(_) => self.mapper.thresholds[j]
                .get(b as usize)
                .copied()
                .unwrap_or(f64::INFINITY),
        }
    }
}

/// Where a binned column's bins are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Column {
    /// Dense column d: bins[d · n_rows ..][..n_rows].
    Dense(usize),
    /// Column `code` of a one-hot block: bin 1 where the bundle's code is `code`, else 0 (always 0
    /// when the column does not split, as its dense column's would be).
    Member {
        bundle: usize,
        code: u32,
        splits: bool,
    },
}

/// The bin of a row with category `row_code` in the bundle column of category `code`: 1 for its
/// own category, 0 otherwise (always 0 for a column that does not split).
#[inline]
fn member_bin(splits: bool, code: u32, row_code: u32) -> u8 {
    u8::from(splits && row_code == code)
}

/// A one-hot block's columns as one: each row's category code (`width` for a row with none).
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    pub first_column: usize,
    pub width: usize,
    pub codes: Vec<u32>,
}

/// A binned matrix: dense columns column-major, one-hot blocks as bundles, and which columns hold
/// a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    pub n_rows: usize,
    pub columns: Vec<Column>,
    pub bins: Vec<u8>,
    pub bundles: Vec<Bundle>,
    pub has_missing: Vec<bool>,
}

impl Binned {
    /// A binned matrix of dense columns only, column after column.
    pub fn from_dense(n_rows: usize, bins: Vec<u8>, has_missing: Vec<bool>) -> Self {
        let n_cols = bins.len().checked_div(n_rows).unwrap_or(0);
        Binned {
            n_rows,
            columns: (0..n_cols).map(Column::Dense).collect(),
            bins,
            bundles: Vec::new(),
            has_missing,
        }
    }

    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The bins of dense column d.
    pub fn dense_col(&self, d: usize) -> &[u8] {
        &self.bins[d * self.n_rows..(d + 1) * self.n_rows]
    }

    /// The bin of row r in column j (the tests compare designs with it; a split reads whole
    /// columns through [`Self::partition`]).
    pub fn bin(&self, j: usize, r: usize) -> u8 {
        match self.columns[j] {
            Column::Dense(d) => self.bins[d * self.n_rows + r],
            Column::Member {
                bundle,
                code,
                splits,
            } => member_bin(splits, code, self.bundles[bundle].codes[r]),
        }
    }

    /// `rows` of a node split on column j: those whose bin `goes_left` marks, and the rest, each in
    /// the order given. Each row is written without a branch (to the front of one buffer when it
    /// goes left, to the back when it goes right): which way a row goes is a coin flip the branch
    /// predictor cannot learn.
    pub fn partition(
        &self,
        j: usize,
        rows: &[u32],
        goes_left: &[bool; 256],
    ) -> (Vec<u32>, Vec<u32>) {
        let mut out = vec![0u32; rows.len()];
        let (mut front, mut back) = (0, rows.len());
        let mut send = |r: u32, b: u8| {
            let left = goes_left[b as usize];
            let at = if left { front } else { back - 1 };
            out[at] = r;
            front += usize::from(left);
            back -= usize::from(!left);
        };
        match self.columns[j] {
            Column::Dense(d) => {
                let bins = self.dense_col(d);
                rows.iter().for_each(|&r| send(r, bins[r as usize]));
            }
            Column::Member {
                bundle,
                code,
                splits,
            } => {
                let codes = &self.bundles[bundle].codes;
                rows.iter()
                    .for_each(|&r| send(r, member_bin(splits, code, codes[r as usize])));
            }
        }
        let mut right = out.split_off(front);
        right.reverse();
        (out, right)
    }

    /// Bytes held: what the budget counts for the binned design.
    pub fn bytes(&self) -> usize {
        self.bins.len()
            + self
                .bundles
                .iter()
                .map(|b| b.codes.len() * 4)
                .sum::<usize>()
    }
}

/// A categorical column's bins: its distinct non-negative codes, sorted.
fn category_codes(values: &[f64]) -> Vec<f64> {
    // Codes are small whole numbers: marked in a table rather than sorted.
    let mut seen: Vec<bool> = Vec::new();
    for &v in values {
        if v >= 0.0 && v.fract() == 0.0 && v < u32::MAX as f64 {
            let c = v as usize;
            if c >= seen.len() {
                seen.resize(c + 1, false);
            }
            seen[c] = true;
        }
    }
    (0..seen.len())
        .filter(|&c| seen[c])
        .map(|c| c as f64)
        .collect()
}

/// A numeric column's thresholds (see the module doc), the quantiles weighted by `weights` (one
/// per value, each > 0) if any.
pub fn thresholds_of(values: Vec<f64>, weights: Option<&[f64]>, max_bins: usize) -> Vec<f64> {
    // The values sorted, NaN left out; weighted, with the running sums of their weights, computed
    // once for every quantile.
    let (sorted, cumulative) = match weights {
        None => {
            let mut sorted = values;
            sorted.retain(|v| !v.is_nan());
            sorted.sort_by(f64::total_cmp);
            (sorted, None)
        }
        Some(w) => {
            let mut pairs: Vec<(f64, f64)> = values
                .into_iter()
                .zip(w.iter().copied())
                .filter(|(v, _)| !v.is_nan())
                .collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let cumulative = running_sums(pairs.iter().map(|p| p.1));
            (pairs.into_iter().map(|p| p.0).collect(), Some(cumulative))
        }
    };
    let mut unique = sorted.clone();
    unique.dedup();
    if unique.len() <= 1 {
        return Vec::new();
    }
    let mut t: Vec<f64> = if unique.len() <= max_bins {
        unique.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
    } else {
        (1..max_bins)
            .map(|i| {
                let q = percentile_fraction(i, max_bins);
                match &cumulative {
                    None => averaged_inverted_cdf(&sorted, q),
                    Some(cum) => weighted_averaged_inverted_cdf(&sorted, cum, q),
                }
            })
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

/// scikit-learn's `_weighted_percentile(average=True)` of sorted values whose weights' running
/// sums are `cum`: the first value whose cumulative weight reaches q · Σw, or its mean with the
/// next value when the cumulative weight meets q · Σw exactly (to within machine epsilon).
fn weighted_averaged_inverted_cdf(sorted: &[f64], cum: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let target = q * cum[last];
    let k = cum.partition_point(|&c| c < target).min(last);
    if cum[k] - target > f64::EPSILON {
        sorted[k]
    } else {
        (sorted[k] + sorted[(k + 1).min(last)]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::design::Design;
    use crate::matrix::Matrix;

    /// Values from scikit-learn 1.9.1: `_weighted_percentile(v, w, p, average=True)`.
    #[test]
    fn weighted_quantiles_are_scikit_learns() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        let cum = running_sums([1.0, 1.0, 1.0, 1.0, 4.0]);
        let q = |p| weighted_averaged_inverted_cdf(&values, &cum, p);
        assert_eq!([q(0.25), q(0.5), q(0.75)], [2.5, 4.5, 5.0]);
        // Unit weights give numpy's averaged_inverted_cdf.
        let sorted = [1.0, 2.0, 3.0, 4.0];
        let unit = running_sums([1.0; 4]);
        for p in [0.25, 0.5, 0.75] {
            assert_eq!(
                weighted_averaged_inverted_cdf(&sorted, &unit, p),
                averaged_inverted_cdf(&sorted, p)
            );
        }
        // The weighted path bins as scikit-learn's with the same data and weights.
        assert_eq!(
            thresholds_of(values.to_vec(), Some(&[1.0, 1.0, 1.0, 1.0, 4.0]), 4),
            vec![2.5, 4.5, 5.0]
        );
    }

    #[test]
    fn few_distinct_values_split_at_midpoints() {
        let t = thresholds_of(vec![3.0, 1.0, f64::NAN, 2.0, 1.0, 3.0], None, 255);
        assert_eq!(t, vec![1.5, 2.5]);
        assert!(thresholds_of(vec![4.0, 4.0, f64::NAN], None, 255).is_empty());
    }

    /// Values checked against numpy: np.percentile(np.arange(10.), np.linspace(0, 100, 5)[1:-1],
    /// method="averaged_inverted_cdf") = [2, 4.5, 7].
    #[test]
    fn many_distinct_values_split_at_numpys_percentiles() {
        let values: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(thresholds_of(values, None, 4), vec![2.0, 4.5, 7.0]);
    }

    /// Checked against scikit-learn's `_find_binning_thresholds` (bench/reference_hgb.py's venv).
    #[test]
    fn quantile_thresholds_are_scikit_learns() {
        let v: Vec<f64> = (0..1000)
            .map(|i| ((i * i) % 97) as f64 + (i % 7) as f64 * 0.5)
            .collect();
        assert_eq!(
            thresholds_of(v, None, 16),
            [
                4.5, 9.25, 14.0, 23.75, 28.5, 35.0, 44.0, 49.75, 54.5, 64.0, 68.0, 75.25, 83.5,
                89.75, 95.0
            ]
        );
        let v: Vec<f64> = (0..3000).map(|i| ((i * 37) % 1013) as f64).collect();
        let t = thresholds_of(v, None, 255);
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
        let x = Design::from_dense(x);
        let rng = &mut <Rng as rand::SeedableRng>::seed_from_u64(0);
        let m = BinMapper::fit(&x, &[0, 1, 2, 3, 4], None, 255, &[false], rng).unwrap();
        assert_eq!(m.thresholds[0], vec![1.25, 1.75, 5.5]);
        let b = m.transform(&x, &[0, 1, 2, 3, 4]).unwrap();
        // Four value bins; missing values take the fifth.
        assert_eq!(b.dense_col(0), [0, 1, 2, 3, 4]);
        assert_eq!(b.has_missing, [true]);
    }

    /// A one-hot block bins as its dense 0/1 columns would: the same thresholds (none for a
    /// column the rows do not vary in) and the same bin for every row.
    #[test]
    fn a_one_hot_block_bins_as_its_dense_columns() {
        let design = Design {
            dense: Matrix::from_rows(&[vec![0.5], vec![1.5], vec![2.5], vec![3.5], vec![4.5]]),
            blocks: vec![crate::design::OneHotBlock {
                width: 4,
                slot: vec![0, 2, NO_SLOT, 2, 0],
            }],
            ordinal_codes: 0,
        };
        let dense = Design::from_dense(design.to_dense());
        let rows = [0, 1, 2, 3, 4];
        let rng = |s| <Rng as rand::SeedableRng>::seed_from_u64(s);
        let flags = [false; 5];
        let m = BinMapper::fit(&design, &rows, None, 255, &flags, &mut rng(0)).unwrap();
        assert_eq!(
            m,
            BinMapper::fit(&dense, &rows, None, 255, &flags, &mut rng(0)).unwrap()
        );
        // Categories 0 and 2 vary over the rows; 1 and 3 are never a row's.
        assert_eq!(
            (&m.thresholds[1], &m.thresholds[3]),
            (&vec![0.5], &vec![0.5])
        );
        assert!(m.thresholds[2].is_empty() && m.thresholds[4].is_empty());
        let (a, b) = (
            m.transform(&design, &rows[1..]).unwrap(),
            m.transform(&dense, &rows[1..]).unwrap(),
        );
        assert_eq!(a.bundles.len(), 1);
        for j in 0..5 {
            for r in 0..4 {
                assert_eq!(a.bin(j, r), b.bin(j, r), "column {j}, row {r}");
            }
        }
        assert_eq!(a.has_missing, b.has_missing);
    }

    /// Binned rows read back through [`BinnedValues`] answer every split test as their values
    /// do, rows outside the fitted ones included; a category is known from every row of the design
    /// (not only the rows fitted), and one never seen bins as missing.
    #[test]
    fn binned_values_answer_every_test_as_the_values_do() {
        let nan = f64::NAN;
        let x = Design::from_dense(Matrix::from_rows(&[
            vec![1.0, 0.0],
            vec![1.5, 2.0],
            vec![2.0, 1.0],
            vec![9.0, 0.0],
            vec![nan, 2.0],
            vec![0.2, 4.0],
            vec![40.0, -1.0],
        ]));
        let fitted = [0, 1, 2, 3, 4];
        let rng = &mut <Rng as rand::SeedableRng>::seed_from_u64(0);
        let m = BinMapper::fit(&x, &fitted, None, 255, &[false, true], rng).unwrap();
        assert_eq!(m.thresholds[1], vec![0.0, 1.0, 2.0, 4.0]);
        assert_eq!(m.bin_of(1, 3.0), m.missing_bin(1));
        assert_eq!(m.bin_of(1, -1.0), m.missing_bin(1));
        let all: Vec<usize> = (0..7).collect();
        let b = m.transform(&x, &all).unwrap();
        let read = BinnedValues {
            mapper: &m,
            binned: &b,
        };
        for i in 0..7 {
            let (v, r) = (x.dense.get(i, 0), read.value(i, 0));
            assert_eq!(v.is_nan(), r.is_nan(), "row {i}");
            for &t in &m.thresholds[0] {
                assert_eq!(v <= t, r <= t, "row {i}, threshold {t}");
            }
            let code = x.dense.get(i, 1);
            let expected = if code >= 0.0 { code } else { nan };
            assert_eq!(read.value(i, 1).to_bits(), expected.to_bits(), "row {i}");
        }
    }
}
