//! Growing one tree leaf-wise, as scikit-learn's `TreeGrower`: the splittable leaf of greatest gain
//! is split next, until no leaf can be split or the tree has `max_leaf_nodes` leaves. A child
//! becomes a leaf at `max_depth`, or when it has fewer than 2 · `min_samples_leaf` rows. The
//! smaller child's histograms are built from its rows, the larger's by subtraction from the
//! parent's. Leaves hold -G / (H + l2) times the shrinkage (learning rate); the root starts at 0,
//! so a tree that cannot split adds nothing.

use super::binning::Binned;
use super::histogram::{Gradients, Histograms, Layout};
use super::splitter::{best_split, NodeSums, Split, SplitContext};
use super::tree::Node;
use crate::rng::Rng;
use std::sync::Arc;

/// Below this hessian sum the root is not split.
const MIN_HESSIAN_TO_SPLIT: f64 = 1e-3;

/// The limits of one tree.
#[derive(Debug, Clone, Copy)]
pub struct GrowLimits {
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub shrinkage: f64,
    /// Share of the columns each split may look at, in (0, 1].
    pub max_features: f64,
}

/// A grown tree: its nodes (root first) and, for each leaf, the training rows it holds, so the
/// raw scores of the training rows are updated without walking the tree.
#[derive(Debug)]
pub struct Grown {
    pub nodes: Vec<Node>,
    pub leaf_rows: Vec<(f64, Vec<u32>)>,
    /// Per column: the loss reduction of the splits on it (for importances).
    pub reductions: Vec<f64>,
}

/// A node while it grows.
struct Growing {
    depth: usize,
    rows: Vec<u32>,
    sums: NodeSums,
    split: Option<Split>,
    hist: Option<Histograms>,
    children: Option<(usize, usize)>,
}

struct Grower<'a> {
    ctx: SplitContext<'a>,
    binned: &'a Binned,
    g: Gradients<'a>,
    limits: GrowLimits,
    rng: &'a mut Rng,
    layout: Arc<Layout>,
    nodes: Vec<Growing>,
    splittable: Vec<usize>,
    n_leaves: usize,
}

/// Grows one tree on the training rows `rows` of `binned`.
pub fn grow(
    ctx: SplitContext,
    binned: &Binned,
    rows: Vec<u32>,
    g: Gradients,
    limits: GrowLimits,
    rng: &mut Rng,
) -> Grown {
    let layout = Layout::new(ctx.mapper, binned);
    let mut grower = Grower {
        ctx,
        binned,
        g,
        limits,
        rng,
        layout,
        nodes: Vec::new(),
        splittable: Vec::new(),
        n_leaves: 0,
    };
    grower.root(rows);
    while let Some(at) = grower.pop_best() {
        grower.split_node(at);
    }
    grower.finish()
}

impl Grower<'_> {
    fn root(&mut self, rows: Vec<u32>) {
        let hist = Histograms::build(&self.layout, self.binned, &rows, self.g);
        // The root's sums, from one column's histogram as scikit-learn takes them.
        let first = hist.column(0);
        let sum_gradients = first.iter().map(|s| s.sum_gradients).sum();
        let sum_hessians = match self.g.hessians {
            None => rows.len() as f64,
            Some(_) => first.iter().map(|s| s.sum_hessians).sum(),
        };
        let sums = NodeSums {
            n: rows.len() as u32,
            sum_gradients,
            sum_hessians,
            value: 0.0,
        };
        let splittable =
            rows.len() >= 2 * self.limits.min_samples_leaf && sum_hessians >= MIN_HESSIAN_TO_SPLIT;
        self.nodes.push(Growing {
            depth: 0,
            rows,
            sums,
            split: None,
            hist: Some(hist),
            children: None,
        });
        if splittable {
            self.find_split(0);
        } else {
            self.n_leaves += 1;
        }
    }

    /// Searches node `at`'s best split: pushes it among the splittable nodes, or makes it a leaf.
    fn find_split(&mut self, at: usize) {
        let allowed = self.allowed_columns();
        let node = &self.nodes[at];
        let hist = node.hist.as_ref().expect("a node searched has histograms");
        let split = best_split(&self.ctx, hist, &node.sums, allowed.as_deref());
        match split {
            Some(s) => {
                self.nodes[at].split = Some(s);
                self.splittable.push(at);
            }
            None => self.finalize(at),
        }
    }

    /// The columns a split may use when `max_features` < 1: a fresh random draw per search.
    fn allowed_columns(&mut self) -> Option<Vec<bool>> {
        let n = self.binned.n_cols();
        if self.limits.max_features >= 1.0 {
            return None;
        }
        let k = ((self.limits.max_features * n as f64).ceil() as usize).clamp(1, n);
        let mut mask = vec![false; n];
        mask[..k].iter_mut().for_each(|m| *m = true);
        crate::rng::shuffle(&mut mask, self.rng);
        Some(mask)
    }

    fn finalize(&mut self, at: usize) {
        let node = &mut self.nodes[at];
        node.hist = None;
        node.split = None;
        self.n_leaves += 1;
    }

    /// The splittable node of greatest gain (the first pushed on ties).
    fn pop_best(&mut self) -> Option<usize> {
        let gain = |i: &usize| self.nodes[*i].split.map_or(f64::NEG_INFINITY, |s| s.gain);
        let best = (0..self.splittable.len()).fold(None, |best: Option<usize>, k| match best {
            Some(b) if gain(&self.splittable[b]) >= gain(&self.splittable[k]) => Some(b),
            _ => Some(k),
        })?;
        Some(self.splittable.remove(best))
    }

    fn split_node(&mut self, at: usize) {
        let mut split = self.nodes[at].split.expect("a splittable node has a split");
        let rows = std::mem::take(&mut self.nodes[at].rows);
        let j = split.feature;
        let missing_bin = self.ctx.mapper.missing_bin(j);
        let mut goes_left = [false; 256];
        for (b, left) in goes_left.iter_mut().enumerate() {
            *left = split.goes_left(b as u8, missing_bin);
        }
        let (left_rows, right_rows) = self.binned.partition(j, &rows, &goes_left);
        // A column without missing values in training sends them, at predict time, to the child
        // that had more rows.
        if !self.ctx.has_missing[split.feature] {
            split.missing_left = left_rows.len() > right_rows.len();
            self.nodes[at].split = Some(split);
        }
        let depth = self.nodes[at].depth + 1;
        let parent_hist = self.nodes[at].hist.take();
        let (left, right) = (self.nodes.len(), self.nodes.len() + 1);
        for (rows, sums) in [(left_rows, split.left), (right_rows, split.right)] {
            self.nodes.push(Growing {
                depth,
                rows,
                sums,
                split: None,
                hist: None,
                children: None,
            });
        }
        self.nodes[at].children = Some((left, right));
        let n_leaf_nodes = self.n_leaves + self.splittable.len() + 2;
        if n_leaf_nodes >= self.limits.max_leaf_nodes {
            self.n_leaves += 2;
            for s in std::mem::take(&mut self.splittable) {
                self.finalize(s);
            }
            return;
        }
        if self.limits.max_depth == Some(depth) {
            self.n_leaves += 2;
            return;
        }
        let can_split = |n: &Growing| n.rows.len() >= 2 * self.limits.min_samples_leaf;
        let (split_left, split_right) =
            (can_split(&self.nodes[left]), can_split(&self.nodes[right]));
        self.n_leaves += usize::from(!split_left) + usize::from(!split_right);
        if !(split_left || split_right) {
            return;
        }
        let parent_hist = parent_hist.expect("a node split has histograms");
        let (small, large) = if self.nodes[left].rows.len() < self.nodes[right].rows.len() {
            (left, right)
        } else {
            (right, left)
        };
        let small_hist =
            Histograms::build(&self.layout, self.binned, &self.nodes[small].rows, self.g);
        self.nodes[large].hist = Some(small_hist.sibling(&parent_hist));
        self.nodes[small].hist = Some(small_hist);
        for (child, go) in [(left, split_left), (right, split_right)] {
            if go {
                self.find_split(child);
            } else {
                self.nodes[child].hist = None;
            }
        }
    }

    /// The grown nodes as a fitted tree (leaf values shrunk), with each leaf's rows.
    fn finish(self) -> Grown {
        let shrinkage = self.limits.shrinkage;
        let l2 = self.ctx.l2_regularization;
        let mut reductions = vec![0.0; self.binned.n_cols()];
        let mut leaf_rows = Vec::new();
        let mut nodes = Vec::with_capacity(self.nodes.len());
        // Ids are kept: children were pushed after their parent, so the root is node 0.
        for node in self.nodes {
            match node.children {
                None => {
                    let value = node.sums.value * shrinkage;
                    nodes.push(Node::Leaf { value });
                    leaf_rows.push((value, node.rows));
                }
                Some((left, right)) => {
                    let s = node.split.expect("a split node keeps its split");
                    reductions[s.feature] += loss_reduction(&s, &node.sums, l2);
                    nodes.push(Node::Split {
                        feature: s.feature,
                        test: self.ctx.mapper.test_of(&s),
                        missing_left: s.missing_left,
                        left,
                        right,
                    });
                }
            }
        }
        Grown {
            nodes,
            leaf_rows,
            reductions,
        }
    }
}

/// The reduction of the half loss Σ g v + h v² / 2 a split makes, its parent taken at its optimum
/// (the root's stored value is 0, which scikit-learn's gain uses, but importances should not).
fn loss_reduction(s: &Split, parent: &NodeSums, l2: f64) -> f64 {
    let score = |g: f64, h: f64| g * g / (h + l2);
    0.5 * (score(s.left.sum_gradients, s.left.sum_hessians)
        + score(s.right.sum_gradients, s.right.sum_hessians)
        - score(parent.sum_gradients, parent.sum_hessians))
}
