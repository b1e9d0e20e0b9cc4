//! Linear models as MatMul and Add in doubles: regression's prediction, logistic regression's
//! sigmoid or softmax probabilities. Not ai.onnx.ml's LinearRegressor and LinearClassifier: their
//! outputs are float32 whatever the input, seven digits where kiln predicts sixteen.

use super::graph::{Attr, Graph};
use super::Scores;
use crate::models::logistic::LogisticModel;

/// x [N, p] · coef + intercept: [N, 1].
pub fn regression(g: &mut Graph, x: &str, coef: &[f64], intercept: f64) -> Scores {
    Scores::Values(affine(g, x, &[coef.to_vec()], &[intercept]))
}

/// x [N, p] times one column per row of `coef`, plus `intercept`: [N, rows of coef].
fn affine(g: &mut Graph, x: &str, coef: &[Vec<f64>], intercept: &[f64]) -> String {
    let p = coef.first().map_or(0, Vec::len);
    let k = coef.len();
    // Row-major [p, k]: coefficient j of output c at j * k + c.
    let w: Vec<f64> = (0..p)
        .flat_map(|j| coef.iter().map(move |row| row[j]))
        .collect();
    let w = g.doubles(&[p, k], &w);
    let b = g.doubles(&[1, k], intercept);
    let z = g.op("MatMul", &[x, &w], vec![]);
    g.op("Add", &[&z, &b], vec![])
}

/// Logistic regression: the probabilities of the classes it saw in training.
pub fn logistic(g: &mut Graph, x: &str, m: &LogisticModel) -> Scores {
    let z = affine(g, x, &m.coef, &m.intercept);
    let seen = if m.coef.len() == 1 {
        two_classes(g, &z)
    } else {
        g.op("Softmax", &[&z], vec![("axis", Attr::Int(1))])
    };
    Scores::Proba {
        seen,
        classes: m.classes.clone(),
    }
}

/// [1 - sigmoid(z), sigmoid(z)] of a raw score z [N, 1]: [N, 2].
pub fn two_classes(g: &mut Graph, z: &str) -> String {
    let p1 = g.op("Sigmoid", &[z], vec![]);
    let one = g.doubles(&[1, 1], &[1.0]);
    let p0 = g.op("Sub", &[&one, &p1], vec![]);
    g.op("Concat", &[&p0, &p1], vec![("axis", Attr::Int(1))])
}
