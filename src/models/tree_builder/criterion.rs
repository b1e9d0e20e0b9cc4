//! The split criteria: node statistics, impurity, and the scan of one feature's candidate
//! thresholds (squared error for values; Gini or entropy for classes).

use super::FEATURE_THRESHOLD;

/// The best split found on one feature: the proxy score (higher is better; comparable across
/// features of one node), the rows going left and the threshold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    pub(super) proxy: f64,
    pub(super) n_left: usize,
    pub(super) threshold: f64,
}

/// A split criterion: node statistics, impurity and the scan of one sorted feature.
pub(super) trait Criterion: Sync {
    type Stats: Clone + Send + Sync;
    /// Statistics of the rows (each of positive weight).
    fn stats(&self, rows: &[u32], w: &[f64]) -> Self::Stats;
    fn weight(s: &Self::Stats) -> f64;
    fn impurity(&self, s: &Self::Stats) -> f64;
    fn leaf_value(s: &Self::Stats) -> Vec<f64>;
    /// The best threshold on one feature, walked as `walk` says, leaving at least `min_leaf` rows
    /// each side; None when none qualifies.
    fn scan(&self, walk: Walk, w: &[f64], s: &Self::Stats, min_leaf: usize) -> Option<Candidate>;
}

/// How the candidate positions of one feature on a node are walked.
#[derive(Clone, Copy)]
pub(super) enum Walk<'a> {
    /// The node's rows sorted by the feature (`seg`), whose values by row are `col`.
    Sorted { col: &'a [f64], seg: &'a [u32] },
    /// A one-hot column, 0 on `n_zeros` of the node's rows and 1 on `n_ones`: `rows` are the ones
    /// when they are fewer, else the zeros, in row order. These are the rows the sorted walk would
    /// add, in its order, so both give the same bits.
    OneHot {
        n_zeros: usize,
        n_ones: usize,
        rows: &'a [u32],
    },
}

/// The threshold between two consecutive distinct values: their midpoint (as scikit-learn computes
/// it), or the lower value if rounding would put the midpoint on the upper one.
#[inline]
pub(super) fn midpoint(lo: f64, hi: f64) -> f64 {
    let t = lo / 2.0 + hi / 2.0;
    if t >= hi {
        lo
    } else {
        t
    }
}

/// Walks the candidate positions of a sorted feature: `add(state, row)` for each row moved to the
/// left, then `score(state)` at every boundary between distinct values that leaves `min_leaf` rows
/// each side, keeping the best strictly greater score (so the lowest threshold wins ties).
///
/// Two shortcuts leave the candidates as they are and only skip rows: the walk stops at the last
/// boundary (the rows after it are all equal), and a feature with exactly two values on the node
/// (a one-hot column) whose upper run is the shorter adds that run's rows and turns the state into
/// the lower run's with `complement` (node totals minus the upper run), so a rare category costs
/// its own rows, not the node's.
#[inline]
pub(super) fn scan_positions<S>(
    walk: Walk,
    min_leaf: usize,
    state: &mut S,
    add: impl Fn(&mut S, usize),
    complement: impl Fn(&mut S),
    score: impl Fn(&mut S) -> f64,
) -> Option<Candidate> {
    let (col, seg) = match walk {
        Walk::Sorted { col, seg } => (col, seg),
        Walk::OneHot {
            n_zeros,
            n_ones,
            rows,
        } => {
            if n_zeros < min_leaf || n_ones < min_leaf {
                return None;
            }
            for &r in rows {
                add(state, r as usize);
            }
            if n_ones < n_zeros {
                complement(state);
            }
            return Some(Candidate {
                proxy: score(state),
                n_left: n_zeros,
                threshold: midpoint(0.0, 1.0),
            });
        }
    };
    let len = seg.len();
    if len < 2 {
        return None;
    }
    let val = |k: usize| col[seg[k] as usize];
    let (lo, hi) = (val(0), val(len - 1));
    let n_low = seg.partition_point(|&r| col[r as usize] <= lo);
    if n_low < len && val(n_low) == hi && hi > lo + FEATURE_THRESHOLD && len - n_low < n_low {
        if n_low < min_leaf || len - n_low < min_leaf {
            return None;
        }
        for &r in &seg[n_low..] {
            add(state, r as usize);
        }
        complement(state);
        return Some(Candidate {
            proxy: score(state),
            n_left: n_low,
            threshold: midpoint(lo, hi),
        });
    }
    let mut best: Option<Candidate> = None;
    let mut cur = lo;
    // Position k is both a row to add and the boundary before position k + 1.
    #[allow(clippy::needless_range_loop)]
    for k in 0..len - 1 {
        add(state, seg[k] as usize);
        let next = val(k + 1);
        if next <= cur + FEATURE_THRESHOLD {
            cur = next;
            continue;
        }
        let n_left = k + 1;
        if len - n_left < min_leaf {
            break;
        }
        if n_left >= min_leaf {
            let proxy = score(state);
            if best.is_none_or(|b| proxy > b.proxy) {
                best = Some(Candidate {
                    proxy,
                    n_left,
                    threshold: midpoint(cur, next),
                });
            }
        }
        if next == hi {
            break; // every row from here on has the last value: no boundary is left
        }
        cur = next;
    }
    best
}

pub(super) struct RegressionCriterion<'a> {
    pub(super) y: &'a [f64],
}

#[derive(Debug, Clone)]
pub(super) struct RegStats {
    w: f64,
    mean: f64,
    /// Σ w (y - mean): zero but for rounding; keeps the centred sums exact.
    centred_sum: f64,
    /// Weighted variance of y; exactly 0 when every y is equal.
    impurity: f64,
}

impl Criterion for RegressionCriterion<'_> {
    type Stats = RegStats;

    fn stats(&self, rows: &[u32], w: &[f64]) -> RegStats {
        let (mut sw, mut swy) = (0.0, 0.0);
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &r in rows {
            let (wi, yi) = (w[r as usize], self.y[r as usize]);
            sw += wi;
            swy += wi * yi;
            lo = lo.min(yi);
            hi = hi.max(yi);
        }
        let mean = swy / sw;
        let (mut sc, mut ss) = (0.0, 0.0);
        for &r in rows {
            let d = self.y[r as usize] - mean;
            sc += w[r as usize] * d;
            ss += w[r as usize] * d * d;
        }
        let impurity = if lo == hi {
            0.0
        } else {
            ((ss - sc * sc / sw) / sw).max(0.0)
        };
        RegStats {
            w: sw,
            mean,
            centred_sum: sc,
            impurity,
        }
    }

    fn weight(s: &RegStats) -> f64 {
        s.w
    }

    fn impurity(&self, s: &RegStats) -> f64 {
        s.impurity
    }

    fn leaf_value(s: &RegStats) -> Vec<f64> {
        vec![s.mean]
    }

    fn scan(&self, walk: Walk, w: &[f64], s: &RegStats, min_leaf: usize) -> Option<Candidate> {
        // Running sums of w and w (y - mean): centring keeps the proxy well conditioned for
        // targets far from zero and changes it by a constant only.
        let (y, mean) = (self.y, s.mean);
        scan_positions(
            walk,
            min_leaf,
            &mut (0.0f64, 0.0f64),
            |(wl, sl), r| {
                *wl += w[r];
                *sl += w[r] * (y[r] - mean);
            },
            |(wl, sl)| {
                *wl = s.w - *wl;
                *sl = s.centred_sum - *sl;
            },
            |&mut (wl, sl)| {
                let (wr, sr) = (s.w - wl, s.centred_sum - sl);
                sl * sl / wl + sr * sr / wr
            },
        )
    }
}

pub(super) struct ClassCriterion<'a> {
    pub(super) labels: &'a [usize],
    pub(super) n_classes: usize,
    pub(super) entropy: bool,
}

#[derive(Debug, Clone)]
pub(super) struct ClassStats {
    w: f64,
    counts: Vec<f64>,
    impurity: f64,
}

impl ClassCriterion<'_> {
    fn impurity_of(&self, counts: &[f64], w: f64) -> f64 {
        if self.entropy {
            -counts
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|&c| (c / w) * (c / w).log2())
                .sum::<f64>()
        } else {
            1.0 - counts.iter().map(|&c| (c / w) * (c / w)).sum::<f64>()
        }
    }

    /// -w·impurity up to a constant per node: Σ c²/w (Gini) or Σ c ln(c/w) (entropy).
    #[inline]
    fn proxy_part(&self, counts: &[f64], w: f64) -> f64 {
        if self.entropy {
            counts
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|&c| c * (c / w).ln())
                .sum()
        } else {
            counts.iter().map(|&c| c * c).sum::<f64>() / w
        }
    }
}

impl Criterion for ClassCriterion<'_> {
    type Stats = ClassStats;

    fn stats(&self, rows: &[u32], w: &[f64]) -> ClassStats {
        let mut counts = vec![0.0; self.n_classes];
        let mut sw = 0.0;
        for &r in rows {
            counts[self.labels[r as usize]] += w[r as usize];
            sw += w[r as usize];
        }
        let impurity = if counts.iter().filter(|&&c| c > 0.0).count() <= 1 {
            0.0
        } else {
            self.impurity_of(&counts, sw).max(0.0)
        };
        ClassStats {
            w: sw,
            counts,
            impurity,
        }
    }

    fn weight(s: &ClassStats) -> f64 {
        s.w
    }

    fn impurity(&self, s: &ClassStats) -> f64 {
        s.impurity
    }

    fn leaf_value(s: &ClassStats) -> Vec<f64> {
        s.counts.iter().map(|c| c / s.w).collect()
    }

    fn scan(&self, walk: Walk, w: &[f64], s: &ClassStats, min_leaf: usize) -> Option<Candidate> {
        // (left counts, left weight, right counts)
        let mut state = (vec![0.0; self.n_classes], 0.0f64, vec![0.0; self.n_classes]);
        scan_positions(
            walk,
            min_leaf,
            &mut state,
            |(lc, lw, _), r| {
                lc[self.labels[r]] += w[r];
                *lw += w[r];
            },
            |(lc, lw, _)| {
                for (l, t) in lc.iter_mut().zip(&s.counts) {
                    *l = t - *l;
                }
                *lw = s.w - *lw;
            },
            |(lc, lw, rc)| {
                for (r, (t, l)) in rc.iter_mut().zip(s.counts.iter().zip(lc.iter())) {
                    *r = t - l;
                }
                self.proxy_part(lc, *lw) + self.proxy_part(rc, s.w - *lw)
            },
        )
    }
}
