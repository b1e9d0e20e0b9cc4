//! Tree models as one ai.onnx.ml `TreeEnsemble` (opset 5): thresholds, leaf weights and output in
//! doubles, so each row reaches the leaf it reaches in kiln (float32 thresholds, as the older
//! TreeEnsembleRegressor/Classifier keep them, would send a value equal to a threshold's double the
//! wrong way). Leaves hold one weight for one target, so a tree whose leaves hold class frequencies
//! is written once per class.
//!
//! The ensemble sums its trees; what kiln does next is core operators: a forest divides by its
//! trees, a boosting adds its initial scores and takes the sigmoid or softmax.

use super::graph::{double_tensor, uint8_tensor, Attr, Graph, ML};
use super::linear::two_classes;
use super::Scores;
use crate::models::hist_gb::tree::{Node as HistNode, Test};
use crate::models::tree_builder::{Node, Tree};

/// `nodes_modes` values of the TreeEnsemble operator.
const BRANCH_LEQ: u8 = 0;
const BRANCH_MEMBER: u8 = 6;

/// One interior node's test: go to the true branch when the value is at most `split` (BRANCH_LEQ)
/// or one of `members` (BRANCH_MEMBER); a missing value goes to the true branch when
/// `missing_true`.
struct NodeTest {
    feature: usize,
    mode: u8,
    split: f64,
    members: Vec<f64>,
    missing_true: bool,
}

/// The operator's attributes, tree after tree.
#[derive(Default)]
struct Ensemble {
    roots: Vec<i64>,
    features: Vec<i64>,
    splits: Vec<f64>,
    modes: Vec<u8>,
    true_ids: Vec<i64>,
    true_leafs: Vec<i64>,
    false_ids: Vec<i64>,
    false_leafs: Vec<i64>,
    missing_true: Vec<i64>,
    members: Vec<f64>,
    leaf_targets: Vec<i64>,
    leaf_weights: Vec<f64>,
}

/// A tree node as the operator sees it: a test with its true and false children (node indices of
/// the tree), or a leaf's weight.
enum Walk {
    Split(NodeTest, usize, usize),
    Leaf(f64),
}

impl Ensemble {
    /// Adds a tree of `n` nodes (root 0) whose leaves add to output `target`.
    fn add(&mut self, n: usize, target: usize, node: impl Fn(usize) -> Walk) {
        // Interior nodes and leaves are numbered apart, each in the tree's own order.
        let walks: Vec<Walk> = (0..n).map(node).collect();
        let first_node = self.features.len();
        let first_leaf = self.leaf_weights.len();
        let mut ids = Vec::with_capacity(n);
        let (mut splits, mut leaves) = (0usize, 0usize);
        for w in &walks {
            match w {
                Walk::Split(..) => {
                    ids.push((first_node + splits) as i64);
                    splits += 1;
                }
                Walk::Leaf(_) => {
                    ids.push((first_leaf + leaves) as i64);
                    leaves += 1;
                }
            }
        }
        let leaf: Vec<i64> = (walks.iter())
            .map(|w| i64::from(matches!(w, Walk::Leaf(_))))
            .collect();
        self.roots.push(first_node as i64);
        if let [Walk::Leaf(_)] = walks.as_slice() {
            // A tree that is one leaf: the operator needs a node, so a test whose both branches
            // are that leaf.
            self.push_test(NodeTest {
                feature: 0,
                mode: BRANCH_LEQ,
                split: 0.0,
                members: Vec::new(),
                missing_true: false,
            });
            self.true_ids.push(first_leaf as i64);
            self.true_leafs.push(1);
            self.false_ids.push(first_leaf as i64);
            self.false_leafs.push(1);
        }
        for w in walks {
            match w {
                Walk::Split(test, t, f) => {
                    self.push_test(test);
                    self.true_ids.push(ids[t]);
                    self.true_leafs.push(leaf[t]);
                    self.false_ids.push(ids[f]);
                    self.false_leafs.push(leaf[f]);
                }
                Walk::Leaf(v) => {
                    self.leaf_targets.push(target as i64);
                    self.leaf_weights.push(v);
                }
            }
        }
    }

    fn push_test(&mut self, t: NodeTest) {
        self.features.push(t.feature as i64);
        self.splits.push(t.split);
        self.modes.push(t.mode);
        self.missing_true.push(i64::from(t.missing_true));
        if t.mode == BRANCH_MEMBER {
            self.members.extend(t.members);
            self.members.push(f64::NAN);
        }
    }

    /// The TreeEnsemble node: x [N, p] to the sums [N, n_targets].
    fn node(self, g: &mut Graph, x: &str, n_targets: usize) -> String {
        let mut attrs = vec![
            ("n_targets", Attr::Int(n_targets as i64)),
            ("aggregate_function", Attr::Int(1)),
            ("post_transform", Attr::Int(0)),
            ("tree_roots", Attr::Ints(self.roots)),
            ("nodes_featureids", Attr::Ints(self.features)),
            (
                "nodes_splits",
                Attr::Tensor(double_tensor(&[self.splits.len()], &self.splits)),
            ),
            ("nodes_modes", Attr::Tensor(uint8_tensor(&self.modes))),
            ("nodes_truenodeids", Attr::Ints(self.true_ids)),
            ("nodes_trueleafs", Attr::Ints(self.true_leafs)),
            ("nodes_falsenodeids", Attr::Ints(self.false_ids)),
            ("nodes_falseleafs", Attr::Ints(self.false_leafs)),
            (
                "nodes_missing_value_tracks_true",
                Attr::Ints(self.missing_true),
            ),
            ("leaf_targetids", Attr::Ints(self.leaf_targets)),
            (
                "leaf_weights",
                Attr::Tensor(double_tensor(
                    &[self.leaf_weights.len()],
                    &self.leaf_weights,
                )),
            ),
        ];
        if !self.members.is_empty() {
            attrs.push((
                "membership_values",
                Attr::Tensor(double_tensor(&[self.members.len()], &self.members)),
            ));
        }
        g.op_in(ML, "TreeEnsemble", &[x], attrs, 1).remove(0)
    }
}

/// A kiln tree's node k, its leaf's value `value_of(leaf values)`: a row at most the threshold goes
/// left (the true branch); no missing value reaches these trees (they are fitted on imputed data),
/// and one would go right, as `NaN <= t` is false in kiln.
fn kiln_node(tree: &Tree, k: usize, value_of: impl Fn(&[f64]) -> f64) -> Walk {
    match &tree.nodes[k] {
        Node::Split {
            feature,
            threshold,
            left,
            right,
        } => Walk::Split(
            NodeTest {
                feature: *feature,
                mode: BRANCH_LEQ,
                split: *threshold,
                members: Vec::new(),
                missing_true: false,
            },
            *left,
            *right,
        ),
        Node::Leaf { value } => Walk::Leaf(value_of(value)),
    }
}

/// A decision tree or a forest: the mean of the trees' leaf values (one tree: its leaf's values).
pub fn forest(g: &mut Graph, x: &str, trees: &[Tree], n_classes: Option<usize>) -> Scores {
    let mut e = Ensemble::default();
    let k = n_classes.unwrap_or(1);
    for tree in trees {
        for c in 0..k {
            e.add(tree.nodes.len(), c, |i| kiln_node(tree, i, |v| v[c]));
        }
    }
    let mut sum = e.node(g, x, k);
    if trees.len() > 1 {
        let n = g.doubles(&[1, 1], &[trees.len() as f64]);
        sum = g.op("Div", &[&sum, &n], vec![]);
    }
    match n_classes {
        None => Scores::Values(sum),
        Some(k) => Scores::Proba {
            seen: sum,
            classes: (0..k).collect(),
        },
    }
}

/// Gradient boosting: init + Σ learning_rate · tree, then the link.
pub fn boosting(
    g: &mut Graph,
    x: &str,
    init: &[f64],
    learning_rate: f64,
    stages: &[Vec<Tree>],
    n_classes: Option<usize>,
) -> Scores {
    let mut e = Ensemble::default();
    for stage in stages {
        for (c, tree) in stage.iter().enumerate() {
            e.add(tree.nodes.len(), c, |i| {
                kiln_node(tree, i, |v| learning_rate * v[0])
            });
        }
    }
    let sum = e.node(g, x, init.len());
    link(g, &sum, init, n_classes)
}

/// Histogram gradient boosting: baseline + Σ tree, then the link. Its trees test raw values
/// against real thresholds already (the bin edges, as scikit-learn's), send a missing value the
/// side each split learnt, and test category codes for membership.
pub fn hist_boosting(
    g: &mut Graph,
    x: &str,
    m: &crate::models::hist_gb::HistGradientBoostingModel,
) -> Scores {
    let mut e = Ensemble::default();
    for iteration in &m.trees {
        for (c, nodes) in iteration.iter().enumerate() {
            e.add(nodes.len(), c, |i| hist_node(&nodes[i], &m.categories));
        }
    }
    let sum = e.node(g, x, m.baseline.len());
    link(g, &sum, &m.baseline, m.n_classes)
}

/// A histogram tree's node. A category split sends a code of its set left, another code seen in
/// training right, and any other (unknown, -1, missing) the missing side: with the missing side
/// left, that is "right when among the other known codes".
fn hist_node(node: &HistNode, known: &[Vec<u32>]) -> Walk {
    match node {
        HistNode::Leaf { value } => Walk::Leaf(*value),
        HistNode::Split {
            feature,
            test,
            missing_left,
            left,
            right,
        } => {
            let at_most = |split: f64, missing_true: bool| NodeTest {
                feature: *feature,
                mode: BRANCH_LEQ,
                split,
                members: Vec::new(),
                missing_true,
            };
            match test {
                Test::AtMost(t) => Walk::Split(at_most(*t, *missing_left), *left, *right),
                // Every value that is not missing is at most infinity.
                Test::NotMissing => {
                    Walk::Split(at_most(f64::INFINITY, *missing_left), *left, *right)
                }
                Test::Categories(codes) => {
                    let (set, t, f): (Vec<u32>, usize, usize) = if *missing_left {
                        let others = known[*feature]
                            .iter()
                            .filter(|c| codes.binary_search(*c).is_err())
                            .copied()
                            .collect();
                        (others, *right, *left)
                    } else {
                        (codes.clone(), *left, *right)
                    };
                    let test = if set.is_empty() {
                        // Membership of nothing: no code is at most -infinity.
                        at_most(f64::NEG_INFINITY, false)
                    } else {
                        NodeTest {
                            feature: *feature,
                            mode: BRANCH_MEMBER,
                            split: 0.0,
                            members: set.iter().map(|&c| f64::from(c)).collect(),
                            missing_true: false,
                        }
                    };
                    Walk::Split(test, t, f)
                }
            }
        }
    }
}

/// Raw scores plus the initial ones, then what a boosting predicts from them: the scores
/// (regression), the sigmoid's two probabilities, or the softmax.
fn link(g: &mut Graph, sum: &str, init: &[f64], n_classes: Option<usize>) -> Scores {
    let init = g.doubles(&[1, init.len()], init);
    let raw = g.op("Add", &[&init, sum], vec![]);
    match n_classes {
        None => Scores::Values(raw),
        Some(2) => Scores::Proba {
            seen: two_classes(g, &raw),
            classes: vec![0, 1],
        },
        Some(k) => Scores::Proba {
            seen: g.op("Softmax", &[&raw], vec![("axis", Attr::Int(1))]),
            classes: (0..k).collect(),
        },
    }
}
