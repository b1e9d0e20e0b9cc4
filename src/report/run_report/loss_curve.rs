//! The report's chart of a histogram gradient boosting model's validation loss per iteration, when
//! it was fitted with early stopping: the curve, the iteration it stopped at and the best one.

use crate::artifact::Artifact;
use crate::data::number_text::num;
use crate::models::FittedModel;
use crate::report::html::Page;
use crate::report::svg::{self, Mark, Series};

/// The loss a hist_gradient_boosting model of this kind minimises, as the chart's axis names it.
fn loss_name(n_classes: Option<usize>) -> &'static str {
    match n_classes {
        None => "half squared error",
        Some(_) => "log loss",
    }
}

/// The best iteration: the lowest loss, the first on ties (as scikit-learn's argmax of
/// validation_score_).
fn best_iteration(losses: &[f64]) -> usize {
    losses
        .iter()
        .enumerate()
        .fold(0, |best, (i, &l)| if l < losses[best] { i } else { best })
}

/// The two marks: where boosting stopped (the last iteration, whose trees the model keeps) and the
/// lowest loss; one mark when they are the same iteration.
fn marks(losses: &[f64]) -> Vec<Mark> {
    let last = losses.len() - 1;
    let best = best_iteration(losses);
    let mark = |i: usize, what: &str| Mark {
        x: i as f64,
        y: losses[i],
        label: format!("{what} {i} (loss {})", num(losses[i])),
    };
    if best == last {
        return vec![mark(last, "best and last: iteration")];
    }
    vec![
        mark(best, "best: iteration"),
        mark(last, "stopped: iteration"),
    ]
}

/// The validation-loss section, for a hist_gradient_boosting model fitted with early stopping;
/// nothing for any other model (without early stopping there are no held-out rows, so no curve).
pub(super) fn loss_curve_chart(page: &mut Page, artifact: &Artifact) {
    let FittedModel::HistGradientBoosting(m) = &artifact.model else {
        return;
    };
    let losses = &m.validation_loss;
    if losses.is_empty() {
        return;
    }
    let loss = loss_name(m.n_classes);
    let last = losses.len() - 1;
    let best = best_iteration(losses);
    page.h3("Early stopping");
    page.note(&format!(
        "The mean {loss} of the rows early stopping held out of the refit (validation_fraction of \
         the training rows, drawn from the pipeline seed), before the first iteration (0: the \
         baseline, the best constant) and after each. Boosting stopped after iteration {last} and \
         the model keeps all {last} iterations, as scikit-learn does (it does not roll back to the \
         best, iteration {best}). scikit-learn's validation_score_ is minus this loss."
    ));
    page.charts(&[chart(losses, &format!("validation {loss}"))]);
}

/// The curve: one point per entry (iteration 0 first), unnamed (the title names it), and its marks.
fn chart(losses: &[f64], y_label: &str) -> String {
    let series = [Series {
        name: String::new(),
        points: losses
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as f64, l))
            .collect(),
    }];
    svg::lines(
        "Validation loss per iteration",
        "iteration",
        y_label,
        &series,
        false,
        &marks(losses),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_iteration_is_the_first_lowest_loss() {
        assert_eq!(best_iteration(&[3.0, 1.0, 2.0, 1.0]), 1);
        assert_eq!(best_iteration(&[1.0]), 0);
    }

    #[test]
    fn stop_and_best_are_two_marks_unless_they_coincide() {
        let two = marks(&[3.0, 1.0, 2.0]);
        assert_eq!(two.iter().map(|m| m.x).collect::<Vec<_>>(), [1.0, 2.0]);
        assert!(two[0].label.starts_with("best: iteration 1 (loss 1"));
        assert!(two[1].label.starts_with("stopped: iteration 2 (loss 2"));
        let one = marks(&[3.0, 2.0, 1.0]);
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].x, one[0].y), (2.0, 1.0));
    }

    #[test]
    fn the_chart_has_one_point_per_iteration_and_its_marks() {
        let losses = [4.0, 2.0, 1.5, 1.7, 1.8];
        let svg = chart(&losses, "validation log loss");
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), losses.len());
        assert_eq!(svg.matches("<g class=\"mark\">").count(), 2);
        assert!(svg.contains(">validation log loss</text>") && svg.contains(">iteration</text>"));
    }
}
