//! The models that measure distances, in core operators and doubles, as skl2onnx builds them:
//! k-nearest neighbours (squared distances to every training row, TopK), Gaussian naive Bayes (the
//! joint log-likelihood, then Softmax) and k-means (ArgMin over the centres).

use super::graph::{double_tensor, Attr, Graph};
use super::Scores;
use crate::models::kmeans::KMeansModel;
use crate::models::knn::{KnnModel, KnnTargets, KnnWeights};
use crate::models::naive_bayes::NaiveBayesModel;

/// Σ_j (x_ij - r_kj)² for each row i of x [N, p] and each of the rows r [m, p] (row-major):
/// [N, m], each difference squared and summed over the features as kiln does.
fn squared_distances(g: &mut Graph, x: &str, rows: &[f64], m: usize, p: usize) -> String {
    let rows = g.doubles(&[1, m, p], rows);
    let one = g.ints(&[1], &[1]);
    let x3 = g.op("Unsqueeze", &[x, &one], vec![]);
    let diff = g.op("Sub", &[&x3, &rows], vec![]);
    let sq = g.op("Mul", &[&diff, &diff], vec![]);
    sum_over(g, &sq, 2)
}

/// ReduceSum over one axis, that axis dropped.
fn sum_over(g: &mut Graph, x: &str, axis: i64) -> String {
    let axes = g.ints(&[1], &[axis]);
    g.op("ReduceSum", &[x, &axes], vec![("keepdims", Attr::Int(0))])
}

/// kNN: the n_neighbors nearest training rows (the lower row first among equally distant ones,
/// as TopK and kiln both order them), their votes or their targets' weighted mean.
pub fn knn(g: &mut Graph, x: &str, m: &KnnModel) -> Scores {
    let (n, p) = (m.train.n_rows, m.train.n_cols);
    let d2 = squared_distances(g, x, &m.train.to_row_major(), n, p);
    let k = g.ints(&[1], &[m.n_neighbors as i64]);
    let top = g.op_in(
        "",
        "TopK",
        &[&d2, &k],
        vec![
            ("largest", Attr::Int(0)),
            ("sorted", Attr::Int(1)),
            ("axis", Attr::Int(1)),
        ],
        2,
    );
    let (nearest_d2, nearest) = (&top[0], &top[1]);
    // Each neighbour's vote [N, k]: 1, or 1/distance, or (with a neighbour at distance 0) 1 for
    // those at distance 0 and 0 for the others.
    let weights = match m.weights {
        KnnWeights::Uniform => {
            let shape = g.op("Shape", &[nearest_d2], vec![]);
            let one = Attr::Tensor(double_tensor(&[1], &[1.0]));
            g.op("ConstantOfShape", &[&shape], vec![("value", one)])
        }
        KnnWeights::Distance => {
            let d = g.op("Sqrt", &[nearest_d2], vec![]);
            let inverse = g.op("Reciprocal", &[&d], vec![]);
            let zero = g.doubles(&[1, 1], &[0.0]);
            let at_zero = g.op("Equal", &[&d, &zero], vec![]);
            let at_zero = super::preprocess::cast_double(g, &at_zero);
            let axes = g.ints(&[1], &[1]);
            let any = g.op(
                "ReduceMax",
                &[&at_zero, &axes],
                vec![("keepdims", Attr::Int(1))],
            );
            let half = g.doubles(&[1, 1], &[0.5]);
            let any = g.op("Greater", &[&any, &half], vec![]);
            g.op("Where", &[&any, &at_zero, &inverse], vec![])
        }
    };
    match &m.targets {
        KnnTargets::Values(y) => {
            let y = g.doubles(&[y.len()], y);
            let of = g.op("Gather", &[&y, nearest], vec![("axis", Attr::Int(0))]);
            let weighted = g.op("Mul", &[&of, &weights], vec![]);
            let axes = g.ints(&[1], &[1]);
            let keep = vec![("keepdims", Attr::Int(1))];
            let total = g.op("ReduceSum", &[&weighted, &axes], keep);
            let axes = g.ints(&[1], &[1]);
            let keep = vec![("keepdims", Attr::Int(1))];
            let weight = g.op("ReduceSum", &[&weights, &axes], keep);
            Scores::Values(g.op("Div", &[&total, &weight], vec![]))
        }
        KnnTargets::Classes { labels, n_classes } => {
            // One-hot rows of the training labels [n, classes], gathered for each neighbour.
            let c = *n_classes;
            let mut hot = vec![0.0; labels.len() * c];
            for (i, &l) in labels.iter().enumerate() {
                hot[i * c + l] = 1.0;
            }
            let hot = g.doubles(&[labels.len(), c], &hot);
            let of = g.op("Gather", &[&hot, nearest], vec![("axis", Attr::Int(0))]);
            let two = g.ints(&[1], &[2]);
            let w3 = g.op("Unsqueeze", &[&weights, &two], vec![]);
            let weighted = g.op("Mul", &[&of, &w3], vec![]);
            let votes = sum_over(g, &weighted, 1);
            let axes = g.ints(&[1], &[1]);
            let total = g.op(
                "ReduceSum",
                &[&votes, &axes],
                vec![("keepdims", Attr::Int(1))],
            );
            Scores::Proba {
                seen: g.op("Div", &[&votes, &total], vec![]),
                classes: (0..c).collect(),
            }
        }
    }
}

/// Gaussian naive Bayes: jll_k = log_prior_k + (-½ Σ_j ln(2π var_kj) - ½ Σ_j (x_j - θ_kj)² / var_kj),
/// then the softmax over the classes seen in training (exp(jll - logsumexp), the same numbers).
pub fn naive_bayes(g: &mut Graph, x: &str, m: &NaiveBayesModel) -> Scores {
    let k = m.classes.len();
    let p = m.theta.first().map_or(0, Vec::len);
    let two_pi = 2.0 * std::f64::consts::PI;
    let norm: Vec<f64> = (m.var.iter())
        .map(|v| -0.5 * v.iter().map(|v| (two_pi * v).ln()).sum::<f64>())
        .collect();
    let theta = g.doubles(&[1, k, p], &m.theta.concat());
    let var = g.doubles(&[1, k, p], &m.var.concat());
    let one = g.ints(&[1], &[1]);
    let x3 = g.op("Unsqueeze", &[x, &one], vec![]);
    let diff = g.op("Sub", &[&x3, &theta], vec![]);
    let sq = g.op("Mul", &[&diff, &diff], vec![]);
    let scaled = g.op("Div", &[&sq, &var], vec![]);
    let quad = sum_over(g, &scaled, 2);
    let half = g.doubles(&[1, 1], &[0.5]);
    let half_quad = g.op("Mul", &[&half, &quad], vec![]);
    let norm = g.doubles(&[1, k], &norm);
    let inner = g.op("Sub", &[&norm, &half_quad], vec![]);
    let prior = g.doubles(&[1, k], &m.log_prior);
    let jll = g.op("Add", &[&prior, &inner], vec![]);
    Scores::Proba {
        seen: g.op("Softmax", &[&jll], vec![("axis", Attr::Int(1))]),
        classes: m.classes.clone(),
    }
}

/// k-means: the centre of least ‖c‖² - 2 x·c (the first on ties), as kiln assigns rows.
pub fn kmeans(g: &mut Graph, x: &str, m: &KMeansModel) -> Scores {
    let k = m.centers.len();
    let p = m.centers.first().map_or(0, Vec::len);
    let norms: Vec<f64> = (m.centers.iter())
        .map(|c| c.iter().map(|v| v * v).sum())
        .collect();
    // Row-major [p, k]: centre c's value j at j * k + c.
    let ct: Vec<f64> = (0..p)
        .flat_map(|j| m.centers.iter().map(move |c| c[j]))
        .collect();
    let ct = g.doubles(&[p, k], &ct);
    let dots = g.op("MatMul", &[x, &ct], vec![]);
    let two = g.doubles(&[1, 1], &[2.0]);
    let twice = g.op("Mul", &[&two, &dots], vec![]);
    let norms = g.doubles(&[1, k], &norms);
    let score = g.op("Sub", &[&norms, &twice], vec![]);
    Scores::Clusters(g.op(
        "ArgMin",
        &[&score],
        vec![
            ("axis", Attr::Int(1)),
            ("keepdims", Attr::Int(0)),
            ("select_last_index", Attr::Int(0)),
        ],
    ))
}
