//! The split search of one node, from its histograms, as scikit-learn's `Splitter`.
//!
//! A node's value is -G / (H + l2) (shrinkage comes later); its "loss" is G · value. A split's gain
//! is the parent's loss minus its children's: with values at their optimum, the reduction in
//! Σ (g v + h v² / 2) that XGBoost's equation 7 gives. A numeric column is scanned left to right
//! with missing values going right, then, when the column has missing values, right to left with
//! them going left; the best bin wins, ties to the first found. A categorical column's bins are
//! ordered by G / (H + 10) (categories with less than 10 hessian-weighted rows are left out and go
//! right), and the ordered list is scanned from both ends to its middle (Fisher's grouping).
//! Every candidate child must keep `min_samples_leaf` rows and a hessian sum of 1e-3.

use super::binning::BinMapper;
use super::histogram::{Histograms, Slot};

/// Below this hessian sum a child is not made (scikit-learn's `min_hessian_to_split`).
const MIN_HESSIAN_TO_SPLIT: f64 = 1e-3;

/// Categories with a (hessian-weighted) count below this are not ordered on their own
/// (scikit-learn's `MIN_CAT_SUPPORT`, LightGBM's `cat_smooth`).
const MIN_CATEGORY_SUPPORT: f64 = 10.0;

/// What every split search of one tree shares.
#[derive(Debug, Clone, Copy)]
pub struct SplitContext<'a> {
    pub mapper: &'a BinMapper,
    /// Which columns have missing values among the training rows.
    pub has_missing: &'a [bool],
    pub min_samples_leaf: usize,
    pub l2_regularization: f64,
    /// The hessian is one constant (squared error): histogram counts stand for hessian sums.
    pub constant_hessian: bool,
}

/// A node's rows summed: count, gradient and hessian sums, and its (unshrunk) value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeSums {
    pub n: u32,
    pub sum_gradients: f64,
    pub sum_hessians: f64,
    pub value: f64,
}

/// A set of bins (up to 256), for the bins of a categorical split that go left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BinSet([u64; 4]);

impl BinSet {
    pub fn insert(&mut self, bin: usize) {
        self.0[bin / 64] |= 1 << (bin % 64);
    }
    pub fn contains(&self, bin: usize) -> bool {
        self.0[bin / 64] >> (bin % 64) & 1 == 1
    }
}

/// The best split of a node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    pub gain: f64,
    pub feature: usize,
    /// Numeric: bins <= `bin` go left.
    pub bin: usize,
    pub missing_left: bool,
    /// Categorical: the bins that go left (missing values included when their bin is in it).
    pub categories_left: Option<BinSet>,
    pub left: NodeSums,
    pub right: NodeSums,
}

impl Split {
    /// Whether a row of bin `b` in the split column goes left (`missing_bin` is the column's).
    pub fn goes_left(&self, b: u8, missing_bin: u8) -> bool {
        match &self.categories_left {
            Some(set) => set.contains(b as usize),
            None if b == missing_bin => self.missing_left,
            None => (b as usize) <= self.bin,
        }
    }
}

/// -G / (H + l2), scikit-learn's node value (with its 1e-15 guard against 0 / 0).
pub fn node_value(sum_gradients: f64, sum_hessians: f64, l2: f64) -> f64 {
    -sum_gradients / (sum_hessians + l2 + 1e-15)
}

/// The best split of a node over the allowed columns (all when `allowed` is None), or None when no
/// split has a positive gain under the constraints.
pub fn best_split(
    ctx: &SplitContext,
    hist: &Histograms,
    node: &NodeSums,
    allowed: Option<&[bool]>,
) -> Option<Split> {
    // A node's scan reads each bin once (a few thousand slots): cheaper than a thread's wake-up.
    let per_column: Vec<Option<Split>> = (0..ctx.mapper.thresholds.len())
        .map(|j| {
            if allowed.is_some_and(|a| !a[j]) {
                None
            } else if ctx.mapper.is_categorical[j] {
                Scan::new(ctx, hist.column(j), node, j).categorical()
            } else {
                Scan::new(ctx, hist.column(j), node, j).numeric()
            }
        })
        .collect();
    // The first column of the greatest gain, in column order: the same whatever the threads.
    per_column
        .into_iter()
        .flatten()
        .fold(None, |best, s| match best {
            Some(b) if b.gain >= s.gain => Some(b),
            _ => Some(s),
        })
}

/// The search over one column.
struct Scan<'a> {
    ctx: &'a SplitContext<'a>,
    hist: &'a [Slot],
    node: &'a NodeSums,
    feature: usize,
    /// The parent's loss, G · value.
    parent_loss: f64,
}

/// One candidate's left child, accumulated slot by slot.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    n: u32,
    g: f64,
    h: f64,
}

impl Side {
    fn add(&mut self, s: &Slot, constant_hessian: bool) {
        self.n += s.count;
        self.g += s.sum_gradients;
        self.h += if constant_hessian {
            s.count as f64
        } else {
            s.sum_hessians
        };
    }
}

/// Whether a candidate's children are large enough.
enum Fit {
    /// This side is too small: try more bins.
    Grow,
    /// The other side is too small and only shrinks from here: stop.
    Stop,
    Ok,
}

impl<'a> Scan<'a> {
    fn new(ctx: &'a SplitContext, hist: &'a [Slot], node: &'a NodeSums, feature: usize) -> Self {
        Scan {
            ctx,
            hist,
            node,
            feature,
            parent_loss: node.sum_gradients * node.value,
        }
    }

    /// `growing` is the side being accumulated, `other` the rest of the node.
    fn fits(&self, growing: &Side, other_n: u32, other_h: f64) -> Fit {
        let min = self.ctx.min_samples_leaf as u32;
        if growing.n < min {
            Fit::Grow
        } else if other_n < min {
            Fit::Stop
        } else if growing.h < MIN_HESSIAN_TO_SPLIT {
            Fit::Grow
        } else if other_h < MIN_HESSIAN_TO_SPLIT {
            Fit::Stop
        } else {
            Fit::Ok
        }
    }

    /// As [`Self::fits`], in the order scikit-learn's categorical scan checks: both limits of the
    /// growing side first.
    fn fits_categorical(&self, left: &Side, right_n: u32, right_h: f64) -> Fit {
        let min = self.ctx.min_samples_leaf as u32;
        if left.n < min || left.h < MIN_HESSIAN_TO_SPLIT {
            Fit::Grow
        } else if right_n < min || right_h < MIN_HESSIAN_TO_SPLIT {
            Fit::Stop
        } else {
            Fit::Ok
        }
    }

    /// The split with `left` as left child.
    fn split(&self, left: Side, bin: usize, missing_left: bool) -> Split {
        let l2 = self.ctx.l2_regularization;
        let (g_r, h_r) = (
            self.node.sum_gradients - left.g,
            self.node.sum_hessians - left.h,
        );
        let (v_l, v_r) = (node_value(left.g, left.h, l2), node_value(g_r, h_r, l2));
        Split {
            gain: self.parent_loss - left.g * v_l - g_r * v_r,
            feature: self.feature,
            bin,
            missing_left,
            categories_left: None,
            left: NodeSums {
                n: left.n,
                sum_gradients: left.g,
                sum_hessians: left.h,
                value: v_l,
            },
            right: NodeSums {
                n: self.node.n - left.n,
                sum_gradients: g_r,
                sum_hessians: h_r,
                value: v_r,
            },
        }
    }

    /// Keeps `candidate` when its gain beats the best so far (and is positive).
    fn keep(best: &mut Option<Split>, candidate: Split) {
        if candidate.gain > best.map_or(0.0, |b| b.gain) {
            *best = Some(candidate);
        }
    }

    fn numeric(&self) -> Option<Split> {
        let constant = self.ctx.constant_hessian;
        let non_missing = self.ctx.mapper.n_bins_non_missing(self.feature);
        let has_missing = self.ctx.has_missing[self.feature];
        let mut best: Option<Split> = None;
        // Left to right, missing values right: the last non-missing bin may go left only when
        // missing values are there to make a right child.
        let mut left = Side::default();
        for bin in 0..non_missing - 1 + usize::from(has_missing) {
            left.add(&self.hist[bin], constant);
            let (n_r, h_r) = (self.node.n - left.n, self.node.sum_hessians - left.h);
            match self.fits(&left, n_r, h_r) {
                Fit::Grow => continue,
                Fit::Stop => break,
                Fit::Ok => Self::keep(&mut best, self.split(left, bin, false)),
            }
        }
        if has_missing {
            // Right to left, missing values left: the right child takes bins bin+1 ..
            let mut right = Side::default();
            for bin in (0..non_missing.saturating_sub(1)).rev() {
                right.add(&self.hist[bin + 1], constant);
                let (n_l, h_l) = (self.node.n - right.n, self.node.sum_hessians - right.h);
                match self.fits(&right, n_l, h_l) {
                    Fit::Grow => continue,
                    Fit::Stop => break,
                    Fit::Ok => {
                        let left = Side {
                            n: n_l,
                            g: self.node.sum_gradients - right.g,
                            h: h_l,
                        };
                        Self::keep(&mut best, self.split(left, bin, true));
                    }
                }
            }
        }
        best
    }

    fn categorical(&self) -> Option<Split> {
        let constant = self.ctx.constant_hessian;
        let missing_bin = self.ctx.mapper.missing_bin(self.feature) as usize;
        let support_factor = self.node.n as f64 / self.node.sum_hessians;
        let hessian = |s: &Slot| {
            if constant {
                s.count as f64
            } else {
                s.sum_hessians
            }
        };
        let mut bins: Vec<usize> = (0..self.ctx.mapper.n_bins_non_missing(self.feature)).collect();
        if self.ctx.has_missing[self.feature] {
            bins.push(missing_bin);
        }
        // (bin, G / (H + support)) of the categories with enough support, ordered by that ratio.
        let mut ordered: Vec<(usize, f64)> = bins
            .into_iter()
            .filter(|&b| hessian(&self.hist[b]) * support_factor >= MIN_CATEGORY_SUPPORT)
            .map(|b| {
                let s = &self.hist[b];
                (b, s.sum_gradients / (hessian(s) + MIN_CATEGORY_SUPPORT))
            })
            .collect();
        if ordered.len() <= 1 {
            return None;
        }
        ordered.sort_by(|a, b| a.1.total_cmp(&b.1));
        let n_used = ordered.len();
        let mut best: Option<(Split, Vec<usize>)> = None;
        for forward in [true, false] {
            let middle = if forward {
                n_used.div_ceil(2)
            } else {
                n_used.div_ceil(2) - 1
            };
            let mut left = Side::default();
            let mut taken = Vec::new();
            for i in 0..middle {
                let (bin, _) = ordered[if forward { i } else { n_used - 1 - i }];
                left.add(&self.hist[bin], constant);
                taken.push(bin);
                let (n_r, h_r) = (self.node.n - left.n, self.node.sum_hessians - left.h);
                match self.fits_categorical(&left, n_r, h_r) {
                    Fit::Grow => continue,
                    Fit::Stop => break,
                    Fit::Ok => {
                        let s = self.split(left, 0, false);
                        if s.gain > best.as_ref().map_or(0.0, |b| b.0.gain) {
                            best = Some((s, taken.clone()));
                        }
                    }
                }
            }
        }
        best.map(|(mut s, taken)| {
            let mut set = BinSet::default();
            taken.iter().for_each(|&b| set.insert(b));
            s.missing_left = set.contains(missing_bin);
            s.categories_left = Some(set);
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::hist_gb::binning::Binned;
    use crate::models::hist_gb::histogram::{Gradients, Layout};

    fn mapper(thresholds: Vec<f64>, categorical: bool) -> BinMapper {
        BinMapper {
            thresholds: vec![thresholds],
            is_categorical: vec![categorical],
        }
    }

    /// The best split of one column's rows; bin 255 in `bins` stands for a missing value.
    fn search(m: &BinMapper, bins: Vec<u8>, gradients: &[f32], min_leaf: usize) -> Option<Split> {
        let missing = m.missing_bin(0);
        let bins: Vec<u8> = bins
            .into_iter()
            .map(|b| if b == 255 { missing } else { b })
            .collect();
        let has_missing = vec![bins.contains(&missing)];
        let binned = Binned::from_dense(bins.len(), bins, has_missing.clone());
        let rows: Vec<u32> = (0..binned.n_rows as u32).collect();
        let g = Gradients {
            gradients,
            hessians: None,
        };
        let hist = Histograms::build(&Layout::new(m, &binned), &binned, &rows, g);
        let ctx = SplitContext {
            mapper: m,
            has_missing: &has_missing,
            min_samples_leaf: min_leaf,
            l2_regularization: 0.0,
            constant_hessian: true,
        };
        let sum: f64 = gradients.iter().map(|&v| v as f64).sum();
        let node = NodeSums {
            n: rows.len() as u32,
            sum_gradients: sum,
            sum_hessians: rows.len() as f64,
            value: node_value(sum, rows.len() as f64, 0.0),
        };
        best_split(&ctx, &hist, &node, None)
    }

    /// Gradients -1 in bins 0-1 and +1 in bins 2-3: the split is after bin 1, gain
    /// (-2)²/2 + 2²/2 - 0 = 4, children values +1 and -1.
    #[test]
    fn the_best_bin_separates_the_gradients() {
        let m = mapper(vec![1.0, 2.0, 3.0], false);
        let s = search(&m, vec![0, 1, 2, 3], &[-1.0, -1.0, 1.0, 1.0], 1).unwrap();
        assert_eq!((s.bin, s.missing_left), (1, false));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(s.gain, 4.0) && close(s.left.value, 1.0) && close(s.right.value, -1.0));
        // min_samples_leaf = 3 leaves no split of 4 rows.
        assert!(search(&m, vec![0, 1, 2, 3], &[-1.0, -1.0, 1.0, 1.0], 3).is_none());
    }

    /// Missing values whose gradients look like bin 0's are sent left with it.
    #[test]
    fn missing_values_go_to_the_side_they_resemble() {
        let m = mapper(vec![1.0, 2.0], false);
        let s = search(&m, vec![0, 255, 1, 2, 2], &[-1.0, -1.0, 1.0, 1.0, 1.0], 1).unwrap();
        assert_eq!((s.bin, s.missing_left), (0, true));
        assert!(s.goes_left(3, 3) && s.goes_left(0, 3) && !s.goes_left(1, 3));
    }

    /// Categories 0 and 2 (gradient -1) against 1 and 3 (+1): one subset split, not a threshold.
    #[test]
    fn categories_are_grouped_by_their_gradients() {
        let m = mapper(vec![0.0, 1.0, 2.0, 3.0], true);
        let bins: Vec<u8> = (0..40).map(|i| (i % 4) as u8).collect();
        let g: Vec<f32> = (0..40)
            .map(|i| if i % 2 == 0 { -1.0 } else { 1.0 })
            .collect();
        let s = search(&m, bins, &g, 1).unwrap();
        let set = s.categories_left.unwrap();
        assert!(set.contains(0) && set.contains(2) && !set.contains(1) && !set.contains(3));
        assert_eq!(s.gain, 40.0);
    }
}
