//! Growing one tree: the depth-first loop over open nodes, the search of a node's best split over
//! its features, and the stable partition of every feature's run into the two children.

use super::criterion::{Candidate, ClassCriterion, Criterion, RegressionCriterion, Walk};
use super::{
    GrowConfig, Node, Presort, Response, SplitRule, Tree, FEATURE_THRESHOLD, PARALLEL_ROWS, PURE,
};
use crate::design::{Design, RowsByColumn};
use crate::rng::Rng;
use rand::Rng as _;
use rayon::prelude::*;

/// Grows one tree on the rows of positive weight (`None` = every row, weight 1), as scikit-learn's
/// depth-first builder with `min_impurity_decrease = 0`. Returns the tree and its unnormalised
/// feature importances: Σ over splits of (w·impurity - wL·impurity_L - wR·impurity_R) / w_root.
/// `rng` is needed (and used) only when `max_features` is below the column count.
pub(crate) fn grow(
    x: &Design,
    presort: &Presort,
    response: Response,
    weights: Option<&[f64]>,
    cfg: &GrowConfig,
    rng: Option<&mut Rng>,
) -> (Tree, Vec<f64>) {
    debug_assert_eq!(presort.n_rows, x.n_rows());
    match response {
        Response::Values(y) => {
            debug_assert_eq!(cfg.rule, SplitRule::SquaredError);
            let c = RegressionCriterion { y };
            grow_with(&c, x, presort, weights, cfg, rng)
        }
        Response::Classes { labels, n_classes } => {
            let c = ClassCriterion {
                labels,
                n_classes,
                entropy: cfg.rule == SplitRule::Entropy,
            };
            grow_with(&c, x, presort, weights, cfg, rng)
        }
    }
}

/// A node waiting to be built: its rows are positions start..end of every feature's run.
struct Pending<S> {
    start: usize,
    end: usize,
    depth: usize,
    /// The parent's index and whether this is its left child.
    parent: Option<(usize, bool)>,
    stats: S,
    /// Features known to be constant on these rows (found so by an ancestor).
    constant: Vec<bool>,
}

fn grow_with<C: Criterion>(
    c: &C,
    x: &Design,
    presort: &Presort,
    weights: Option<&[f64]>,
    cfg: &GrowConfig,
    mut rng: Option<&mut Rng>,
) -> (Tree, Vec<f64>) {
    let (n, p) = (x.n_rows(), x.n_cols());
    let d = x.dense.n_cols;
    // Columns d.. are the blocks' columns: (block, column within it) of each.
    let one_hot: Vec<(usize, u32)> = x
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(b, block)| (0..block.width as u32).map(move |k| (b, k)))
        .collect();
    let ones;
    let w: &[f64] = match weights {
        Some(w) => w,
        None => {
            ones = vec![1.0; n];
            &ones
        }
    };
    // Rows of zero weight (out of the bootstrap sample or subsample) take no part.
    let active: Vec<u32> = (0..n as u32).filter(|&i| w[i as usize] > 0.0).collect();
    let m = active.len();
    let mut sorted = if m == n {
        presort.order.clone()
    } else {
        let mut s = Vec::with_capacity(m * p);
        s.extend(presort.order.iter().filter(|&&i| w[i as usize] > 0.0));
        s
    };

    let root = c.stats(&active, w);
    let root_weight = C::weight(&root);
    let mut importances = vec![0.0; p];
    let mut nodes: Vec<Node> = Vec::new();
    let mut go_left = vec![false; n];
    let mut scratch = vec![0u32; m];
    let mut stack = vec![Pending {
        start: 0,
        end: m,
        depth: 0,
        parent: None,
        stats: root,
        constant: vec![false; p],
    }];

    while let Some(node) = stack.pop() {
        let id = nodes.len();
        if let Some((parent, is_left)) = node.parent {
            if let Node::Split { left, right, .. } = &mut nodes[parent] {
                *(if is_left { left } else { right }) = id;
            }
        }
        let n_node = node.end - node.start;
        let impurity = c.impurity(&node.stats);
        let is_leaf = cfg.max_depth.is_some_and(|d| node.depth >= d)
            || n_node < cfg.min_samples_split
            || n_node < 2 * cfg.min_samples_leaf
            || impurity <= PURE;
        let split = if is_leaf {
            None
        } else {
            find_split(
                c,
                x,
                &one_hot,
                &sorted,
                m,
                &node,
                w,
                cfg,
                rng.as_deref_mut(),
            )
        };
        let Some((feature, best, constant)) = split else {
            nodes.push(Node::Leaf {
                value: C::leaf_value(&node.stats),
            });
            continue;
        };

        let (start, end) = (node.start, node.end);
        let mid = start + best.n_left;
        // The rows going left and right, each in the order of a sorted walk of the feature.
        let one_hot_split: (Vec<u32>, Vec<u32>);
        let (left, right): (&[u32], &[u32]) = if feature < d {
            sorted[feature * m + start..feature * m + end].split_at(best.n_left)
        } else {
            let (b, k) = one_hot[feature - d];
            let slot = &x.blocks[b].slot;
            one_hot_split = sorted[d * m + start..d * m + end]
                .iter()
                .partition(|&&r| slot[r as usize] != k);
            (&one_hot_split.0, &one_hot_split.1)
        };
        debug_assert_eq!(left.len(), best.n_left);
        let left_stats = c.stats(left, w);
        let right_stats = c.stats(right, w);
        importances[feature] += C::weight(&node.stats) * impurity
            - C::weight(&left_stats) * c.impurity(&left_stats)
            - C::weight(&right_stats) * c.impurity(&right_stats);
        for (rows, side) in [(left, true), (right, false)] {
            for &r in rows {
                go_left[r as usize] = side;
            }
        }
        // The dense features' runs (but the split feature's, already in order, and constant ones)
        // and the row-order run.
        partition(
            &mut sorted,
            m,
            start,
            end,
            |j| j == d || (j != feature && !constant[j]),
            &go_left,
            &mut scratch,
        );
        nodes.push(Node::Split {
            feature,
            threshold: best.threshold,
            left: 0,
            right: 0,
        });
        // Right pushed first so the left subtree is built (and numbered) first.
        stack.push(Pending {
            start: mid,
            end,
            depth: node.depth + 1,
            parent: Some((id, false)),
            stats: right_stats,
            constant: constant.clone(),
        });
        stack.push(Pending {
            start,
            end: mid,
            depth: node.depth + 1,
            parent: Some((id, true)),
            stats: left_stats,
            constant,
        });
    }
    if root_weight > 0.0 {
        importances.iter_mut().for_each(|v| *v /= root_weight);
    }
    (Tree { nodes }, importances)
}

/// The best split of a node, with the node's updated constant-feature flags; None when no feature
/// has a position leaving `min_samples_leaf` rows each side.
///
/// Features are visited as scikit-learn's best splitter does: all of them when `max_features`
/// covers every column (here in column order); otherwise drawn uniformly without replacement until
/// `max_features` have been drawn and at least one of them was not constant. Features constant on
/// the node (max - min <= 1e-7) are never scored and stay marked for the descendants.
#[allow(clippy::too_many_arguments)]
fn find_split<C: Criterion>(
    c: &C,
    x: &Design,
    one_hot: &[(usize, u32)],
    sorted: &[u32],
    m: usize,
    node: &Pending<C::Stats>,
    w: &[f64],
    cfg: &GrowConfig,
    rng: Option<&mut Rng>,
) -> Option<(usize, Candidate, Vec<bool>)> {
    let (start, end) = (node.start, node.end);
    let n_node = end - start;
    let d = x.dense.n_cols;
    let run = |j: usize| &sorted[j * m + start..j * m + end];
    let p = x.n_cols();
    // The node's rows of each one-hot column, sorted out of the row-order run (run d).
    let categories: Vec<RowsByColumn> = x.blocks.iter().map(|b| b.rows_by_column(run(d))).collect();
    let ones = |j: usize| {
        let (b, k) = one_hot[j - d];
        categories[b].column(k as usize)
    };
    let mut constant = node.constant.clone();
    let mut is_constant = |j: usize| {
        if constant[j] {
            return true;
        }
        let flat = if j < d {
            let (rows, col) = (run(j), x.dense.col(j));
            col[rows[rows.len() - 1] as usize] <= col[rows[0] as usize] + FEATURE_THRESHOLD
        } else {
            let n_ones = ones(j).len();
            n_ones == 0 || n_ones == n_node
        };
        constant[j] |= flat;
        flat
    };
    let mut visit = Vec::new();
    if cfg.max_features >= p {
        visit.extend((0..p).filter(|&j| !is_constant(j)));
    } else {
        let rng = rng.expect("a random feature subset needs a generator");
        let mut order: Vec<usize> = (0..p).collect();
        for (drawn, i) in (0..p).enumerate() {
            if drawn >= cfg.max_features && !visit.is_empty() {
                break;
            }
            let j = rng.gen_range(i..p);
            order.swap(i, j);
            if !is_constant(order[i]) {
                visit.push(order[i]);
            }
        }
    }
    let score = |&j: &usize| {
        let walk_scan = |walk| c.scan(walk, w, &node.stats, cfg.min_samples_leaf);
        let found = if j < d {
            walk_scan(Walk::Sorted {
                col: x.dense.col(j),
                seg: run(j),
            })
        } else {
            let ones = ones(j);
            let (n_ones, n_zeros) = (ones.len(), n_node - ones.len());
            if n_ones < n_zeros {
                walk_scan(Walk::OneHot {
                    n_zeros,
                    n_ones,
                    rows: ones,
                })
            } else {
                let (b, k) = one_hot[j - d];
                let slot = &x.blocks[b].slot;
                let zeros: Vec<u32> = run(d)
                    .iter()
                    .copied()
                    .filter(|&r| slot[r as usize] != k)
                    .collect();
                walk_scan(Walk::OneHot {
                    n_zeros,
                    n_ones,
                    rows: &zeros,
                })
            }
        };
        found.map(|cand| (j, cand))
    };
    let found: Vec<Option<(usize, Candidate)>> = if n_node >= PARALLEL_ROWS && visit.len() > 1 {
        visit.par_iter().map(score).collect()
    } else {
        visit.iter().map(score).collect()
    };
    // In visiting order, strictly better only: the first of equally good splits wins.
    let mut best: Option<(usize, Candidate)> = None;
    for (j, cand) in found.into_iter().flatten() {
        if best.is_none_or(|(_, b)| cand.proxy > b.proxy) {
            best = Some((j, cand));
        }
    }
    best.map(|(j, cand)| (j, cand, constant))
}

/// Stable partition of the start..end part of every run j with `todo(j)` into its left rows, then
/// its right rows (`go_left` by row).
fn partition(
    sorted: &mut [u32],
    m: usize,
    start: usize,
    end: usize,
    todo: impl Fn(usize) -> bool + Sync,
    go_left: &[bool],
    scratch: &mut [u32],
) {
    fn one(rows: &mut [u32], go_left: &[bool], scratch: &mut [u32]) {
        let (mut l, mut r) = (0, 0);
        for i in 0..rows.len() {
            let row = rows[i];
            if go_left[row as usize] {
                rows[l] = row;
                l += 1;
            } else {
                scratch[r] = row;
                r += 1;
            }
        }
        rows[l..].copy_from_slice(&scratch[..r]);
    }
    if m == 0 {
        return;
    }
    let len = end - start;
    if len >= PARALLEL_ROWS {
        sorted
            .par_chunks_mut(m)
            .enumerate()
            .filter(|(j, _)| todo(*j))
            .for_each(|(_, rows)| {
                let mut local = vec![0u32; len];
                one(&mut rows[start..end], go_left, &mut local);
            });
    } else {
        for (j, rows) in sorted.chunks_mut(m).enumerate() {
            if todo(j) {
                one(&mut rows[start..end], go_left, scratch);
            }
        }
    }
}
