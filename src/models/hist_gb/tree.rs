//! A fitted histogram tree, as model.json stores it, and its walk over raw (unbinned) values.

use crate::design::RowValues;
use serde::{Deserialize, Serialize};

/// What a split asks of a row's value (a missing value goes the side `missing_left` says).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Left when the value is <= the threshold.
    AtMost(f64),
    /// Left for every value that is not missing (a split of the missing values from the rest).
    NotMissing,
    /// Left for these category codes. A negative code or one not seen in training is treated as
    /// missing, as scikit-learn does.
    Categories(Vec<u32>),
}

/// One node; children come after their parent, the root is node 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Node {
    Leaf {
        value: f64,
    },
    Split {
        feature: usize,
        test: Test,
        missing_left: bool,
        left: usize,
        right: usize,
    },
}

/// The value of the leaf row i of `x` reaches. `known[j]` lists the category codes column j had
/// in training (empty for a numeric column).
pub fn leaf_value<X: RowValues>(nodes: &[Node], x: &X, i: usize, known: &[Vec<u32>]) -> f64 {
    let mut at = 0;
    loop {
        match &nodes[at] {
            Node::Leaf { value } => return *value,
            Node::Split {
                feature,
                test,
                missing_left,
                left,
                right,
            } => {
                let v = x.value(i, *feature);
                let go_left = if v.is_nan() {
                    *missing_left
                } else {
                    match test {
                        Test::AtMost(t) => v <= *t,
                        Test::NotMissing => true,
                        Test::Categories(codes) => {
                            let code = v as u32;
                            let is = |set: &[u32]| v >= 0.0 && set.binary_search(&code).is_ok();
                            if is(codes) {
                                true
                            } else if is(&known[*feature]) {
                                false
                            } else {
                                *missing_left
                            }
                        }
                    }
                };
                at = if go_left { *left } else { *right };
            }
        }
    }
}

/// Why a tree read from model.json cannot be walked: a child that does not come after its parent
/// (a cycle or a jump out of the tree), a column out of range, a NaN threshold or value, category
/// codes out of order.
pub fn check_tree(nodes: &[Node], n_features: usize) -> Result<(), String> {
    if nodes.is_empty() {
        return Err("a tree has no nodes".into());
    }
    for (at, node) in nodes.iter().enumerate() {
        let bad = |what: String| Err(format!("node {at}: {what}"));
        match node {
            Node::Leaf { value } if !value.is_finite() => {
                return bad(format!("leaf value {value}"))
            }
            Node::Leaf { .. } => {}
            Node::Split {
                feature,
                test,
                left,
                right,
                ..
            } => {
                if *feature >= n_features {
                    return bad(format!("column {feature} of {n_features}"));
                }
                if *left <= at || *right <= at || *left >= nodes.len() || *right >= nodes.len() {
                    return bad(format!(
                        "children {left} and {right} must come after it, in a tree of {}",
                        nodes.len()
                    ));
                }
                match test {
                    Test::AtMost(t) if t.is_nan() => return bad("a NaN threshold".into()),
                    Test::Categories(c) if c.windows(2).any(|w| w[0] >= w[1]) => {
                        return bad("category codes not in increasing order".into())
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}
