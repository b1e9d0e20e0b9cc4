//! The fitted tree: its nodes, the walk of a row to its leaf, and the check of a tree read from a file.

use crate::design::RowValues;
use serde::{Deserialize, Serialize};

/// One node of a fitted tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    /// Rows with `x[feature] <= threshold` go to `left`, the others to `right` (node indices).
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    /// The prediction: `[mean]` for regression, the class frequencies for classification.
    Leaf { value: Vec<f64> },
}

/// A fitted binary tree; node 0 is the root, nodes are numbered depth first, left before right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The index of the leaf that row i of x falls in.
    pub fn leaf_index<X: RowValues + ?Sized>(&self, x: &X, i: usize) -> usize {
        let mut k = 0;
        loop {
            match &self.nodes[k] {
                Node::Leaf { .. } => return k,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    k = if x.value(i, *feature) <= *threshold {
                        *left
                    } else {
                        *right
                    }
                }
            }
        }
    }

    /// The leaf value for row i of x.
    pub fn value<X: RowValues + ?Sized>(&self, x: &X, i: usize) -> &[f64] {
        match &self.nodes[self.leaf_index(x, i)] {
            Node::Leaf { value } => value,
            Node::Split { .. } => unreachable!("leaf_index returns a leaf"),
        }
    }

    /// Checks a tree read from a file before it predicts: every split on one of the design's
    /// `width` columns, every child numbered after its parent (depth first, as trees are grown, so
    /// a walk always ends) and inside the tree, every leaf holding `value_len` values.
    pub fn check(&self, width: usize, value_len: usize) -> Result<(), String> {
        if self.nodes.is_empty() {
            return Err("a tree has no nodes".into());
        }
        for (k, node) in self.nodes.iter().enumerate() {
            match node {
                Node::Split {
                    feature,
                    left,
                    right,
                    ..
                } => {
                    if *feature >= width {
                        return Err(format!(
                            "node {k} splits on column {feature}, but the preprocessor makes {width}"
                        ));
                    }
                    let inside = |c: usize| c > k && c < self.nodes.len();
                    if !inside(*left) || !inside(*right) {
                        return Err(format!(
                            "node {k}'s children ({left}, {right}) are not later nodes of the tree"
                        ));
                    }
                }
                Node::Leaf { value } if value.len() != value_len => {
                    return Err(format!(
                        "leaf {k} holds {} values where {value_len} are expected",
                        value.len()
                    ));
                }
                Node::Leaf { .. } => {}
            }
        }
        Ok(())
    }

    /// Depth of the deepest leaf (0 for a single leaf).
    pub fn depth(&self) -> usize {
        fn walk(t: &Tree, k: usize) -> usize {
            match &t.nodes[k] {
                Node::Leaf { .. } => 0,
                Node::Split { left, right, .. } => 1 + walk(t, *left).max(walk(t, *right)),
            }
        }
        walk(self, 0)
    }

    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf { .. }))
            .count()
    }
}
