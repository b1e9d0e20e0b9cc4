//! The report's chart of the best model's coefficients or importances, with a sentence saying what
//! they are for its kind of model.

use crate::artifact::Artifact;
use crate::data::number_text::num;
use crate::models::FittedModel;
use crate::report::html::Page;
use crate::report::svg::{self, Bar};

/// Coefficients or importances shown at most (the largest in magnitude).
const WEIGHTS_SHOWN: usize = 25;

/// What a model's per-column weights are: a short name (the chart's axis, in the plural for its
/// title) and a sentence saying how they are computed.
struct WeightsMeaning {
    name: String,
    plural: String,
    how: String,
}

fn weights_meaning(artifact: &Artifact, kind: &str) -> WeightsMeaning {
    let named = |name: &str, plural: &str, how: &str| WeightsMeaning {
        name: name.into(),
        plural: plural.into(),
        how: how.into(),
    };
    match &artifact.model {
        FittedModel::LogisticRegression(m) if m.coef.len() > 1 => named(
            &format!("norm of the {} class coefficients", m.coef.len()),
            "coefficient norms",
            &format!(
                "Multinomial logistic regression has one coefficient per class and column: each \
                 bar is the Euclidean norm (root of the sum of squares) of a column's {} class \
                 coefficients, so it says how strongly the column moves the class scores, not in \
                 which direction.",
                m.coef.len()
            ),
        ),
        FittedModel::LogisticRegression(m) => {
            let class = m
                .classes
                .get(1)
                .and_then(|&c| artifact.classes.get(c))
                .map_or("the second class".into(), |c| format!("`{c}`"));
            named(
                &format!("coefficient (log-odds of {class})"),
                "coefficients",
                &format!("Each coefficient is the change in the log-odds of {class} per unit of the column."),
            )
        }
        FittedModel::Linear(_) | FittedModel::ElasticNet(_) => named(
            "coefficient",
            "coefficients",
            "Each coefficient is the change in the prediction per unit of the column.",
        ),
        FittedModel::DecisionTree(_) => named(
            "impurity importance",
            "importances",
            "Each importance is the column's impurity decrease over the tree's splits, weighted by \
             the rows they split and normalised to sum to 1 (scikit-learn's feature_importances_).",
        ),
        FittedModel::RandomForest(_) => named(
            "mean impurity importance",
            "importances",
            "Each importance is the column's impurity decrease in a tree (normalised to sum to 1 per \
             tree), averaged over the trees and normalised to sum to 1.",
        ),
        FittedModel::GradientBoosting(_) => named(
            "impurity importance",
            "importances",
            "Each importance is the column's squared-error decrease over the splits of every tree \
             (each fitted to the gradients), summed over the trees and normalised to sum to 1.",
        ),
        FittedModel::HistGradientBoosting(_) => named(
            "loss-reduction importance",
            "importances",
            "Each importance is the column's loss reduction (the gain of its splits, from the \
             gradient and hessian sums) over every tree, summed and normalised to sum to 1. \
             scikit-learn's HistGradientBoosting has no feature_importances_; this is LightGBM's \
             importance_type = \"gain\", normalised.",
        ),
        _ => named(kind, &format!("{kind}s"), ""),
    }
}

pub(super) fn weights_chart(page: &mut Page, artifact: &Artifact) {
    let Some((kind, weights)) = artifact.model.feature_weights() else {
        page.note("This model has no per-feature coefficients or importances.");
        return;
    };
    let names = &artifact.preprocessor.output_names;
    if weights.len() != names.len() {
        return;
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        weights[*b]
            .abs()
            .total_cmp(&weights[*a].abs())
            .then(a.cmp(b))
    });
    let shown = order.len().min(WEIGHTS_SHOWN);
    let bars: Vec<Bar> = order
        .iter()
        .take(shown)
        .map(|&i| Bar {
            label: names[i].clone(),
            value: weights[i],
            text: num(weights[i]),
        })
        .collect();
    let meaning = weights_meaning(artifact, kind);
    let plural = &meaning.plural;
    let title = if shown < weights.len() {
        format!("The {shown} largest {plural} of {}", weights.len())
    } else {
        format!("Model {plural}")
    };
    page.h3(&format!("Feature {plural}"));
    page.note(&format!(
        "Per column of the design matrix (after imputing, encoding and scaling). {}",
        meaning.how
    ));
    page.charts(&[svg::hbar(&title, &meaning.name, &bars)]);
}
