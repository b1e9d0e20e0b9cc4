//! Successive halving's plan and selection, with scikit-learn's semantics (HalvingGridSearchCV,
//! HalvingRandomSearchCV): how many rungs, each rung's resource and candidate count, which
//! candidates go on, and the rows a rung subsamples when the resource is rows.
//!
//! With N candidates, `factor` f, and resources between `min` and `max` (scikit-learn's
//! `_run_search`):
//! - the rungs needed to end with fewer than f candidates: 1 + floor(log_f N);
//! - min_resources = "exhaust" raises `min` to max // f^(needed - 1), so the last rung uses as
//!   much of `max` as it can;
//! - the rungs possible between `min` and `max`: 1 + floor(log_f(max // min));
//! - the rungs run: the fewer of the two, or, with aggressive_elimination, every rung needed, the
//!   first ones repeating `min` until the rest fit;
//! - rung i's resource is int(f^p · min) (p = i, or the shifted power above), at most `max`, and
//!   its candidates the best ceil(n / f) of the rung before.

use crate::rng::{shuffle, Rng};

/// One rung of the plan: the resource each of its fits gets, and how many candidates it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rung {
    pub resource: u64,
    pub candidates: usize,
}

/// The rungs of a halving search, fixed before any fit.
#[derive(Debug, Clone, PartialEq)]
pub struct HalvingPlan {
    pub rungs: Vec<Rung>,
    /// The first rung's resource after "exhaust" (scikit-learn's `min_resources_`).
    pub min_resources: u64,
    pub max_resources: u64,
    /// scikit-learn's n_required_iterations and n_possible_iterations.
    pub required: usize,
    pub possible: usize,
}

impl HalvingPlan {
    /// Every fit of the plan: each rung's candidates times the folds.
    pub fn fits(&self, folds: usize) -> usize {
        self.rungs.iter().map(|r| r.candidates * folds).sum()
    }
}

/// floor(log_factor(x)) as Python's `floor(log(x, factor))` computes it.
fn floor_log(x: f64, factor: f64) -> usize {
    (x.ln() / factor.ln()).floor().max(0.0) as usize
}

/// Python's `a // b` on non-negative numbers.
fn floor_div(a: f64, b: f64) -> f64 {
    (a / b).floor()
}

/// The plan for `n` candidates. `min` is the first rung's resource before "exhaust" (a count, or
/// scikit-learn's "smallest"), `exhaust` whether min_resources = "exhaust".
pub fn plan(
    n: usize,
    factor: f64,
    min: u64,
    exhaust: bool,
    max: u64,
    aggressive: bool,
) -> Result<HalvingPlan, String> {
    if n == 0 {
        return Err("no candidates to halve".into());
    }
    let required = 1 + floor_log(n as f64, factor);
    let mut min_resources = min as f64;
    if exhaust {
        let last = (required - 1) as i32;
        min_resources = min_resources.max(floor_div(max as f64, factor.powi(last)));
    }
    if min_resources > max as f64 {
        return Err(format!(
            "min_resources ({min_resources}) is greater than max_resources ({max})"
        ));
    }
    let possible = 1 + floor_log(floor_div(max as f64, min_resources), factor);
    let rungs_run = if aggressive {
        required
    } else {
        possible.min(required)
    };
    let mut rungs = Vec::with_capacity(rungs_run);
    let mut candidates = n;
    for i in 0..rungs_run {
        let power = if aggressive {
            (i + possible).saturating_sub(required)
        } else {
            i
        };
        let resource = ((factor.powi(power as i32) * min_resources) as u64).min(max);
        rungs.push(Rung {
            resource,
            candidates,
        });
        candidates = (candidates as f64 / factor).ceil() as usize;
    }
    Ok(HalvingPlan {
        rungs,
        min_resources: min_resources as u64,
        max_resources: max,
        required,
        possible,
    })
}

/// The `k` best of a rung's candidates, in candidate order: by score (`better(a, b)`: a beats b),
/// a candidate without a score (failed) after every scored one, ties to the lower candidate.
pub fn best_k(
    scored: &[(usize, Option<f64>)],
    k: usize,
    better: impl Fn(f64, f64) -> bool,
) -> Vec<usize> {
    let mut order: Vec<&(usize, Option<f64>)> = scored.iter().collect();
    order.sort_by(|(ca, a), (cb, b)| {
        let rank = match (a, b) {
            (Some(a), Some(b)) if better(*a, *b) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) if better(*b, *a) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            _ => std::cmp::Ordering::Equal,
        };
        rank.then(ca.cmp(cb))
    });
    let mut kept: Vec<usize> = order.iter().take(k).map(|(c, _)| *c).collect();
    kept.sort_unstable();
    kept
}

/// int(fraction · len) of `rows`, drawn without replacement from `rng`, sorted (scikit-learn's
/// `_SubsampleMetaSplitter` takes the same share of each fold's training and validation rows).
pub fn subsample(rows: &[usize], fraction: f64, rng: &mut Rng) -> Vec<usize> {
    let m = ((fraction * rows.len() as f64) as usize).min(rows.len());
    if m == rows.len() {
        return rows.to_vec();
    }
    let mut all = rows.to_vec();
    shuffle(&mut all, rng);
    all.truncate(m);
    all.sort_unstable();
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn resources(p: &HalvingPlan) -> Vec<(u64, usize)> {
        p.rungs.iter().map(|r| (r.resource, r.candidates)).collect()
    }

    // Each expectation below is what scikit-learn 1.9's HalvingGridSearchCV reports as
    // n_resources_ and n_candidates_ for the same inputs.
    #[test]
    fn exhaust_starts_as_high_as_lets_the_last_rung_reach_max() {
        // 27 candidates, 5 folds x 2 rows ("smallest" = 10), 1000 rows.
        let p = plan(27, 3.0, 10, true, 1000, false).unwrap();
        assert_eq!((p.required, p.possible), (4, 4));
        assert_eq!(p.min_resources, 37);
        assert_eq!(resources(&p), [(37, 27), (111, 9), (333, 3), (999, 1)]);
    }

    #[test]
    fn a_given_start_stops_when_candidates_run_out() {
        let p = plan(10, 3.0, 20, false, 1000, false).unwrap();
        assert_eq!((p.required, p.possible), (3, 4));
        assert_eq!(resources(&p), [(20, 10), (60, 4), (180, 2)]);
    }

    #[test]
    fn too_little_resource_ends_early_or_repeats_the_first_rung() {
        // 100 candidates need 5 rungs; 10..200 has room for 3.
        let p = plan(100, 3.0, 10, false, 200, false).unwrap();
        assert_eq!((p.required, p.possible), (5, 3));
        assert_eq!(resources(&p), [(10, 100), (30, 34), (90, 12)]);
        let a = plan(100, 3.0, 10, false, 200, true).unwrap();
        assert_eq!(
            resources(&a),
            [(10, 100), (10, 34), (10, 12), (30, 4), (90, 2)]
        );
    }

    #[test]
    fn a_fractional_factor_and_a_model_parameter_resource() {
        // exhaust: 100 // 2.5^2 = 16; then 1 + floor(log_2.5(100 // 16)) = 2 rungs possible.
        let p = plan(8, 2.5, 1, true, 100, false).unwrap();
        assert_eq!((p.required, p.possible), (3, 2));
        assert_eq!(p.min_resources, 16);
        assert_eq!(resources(&p), [(16, 8), (40, 4)]);
    }

    #[test]
    fn min_above_max_is_refused() {
        assert!(plan(5, 3.0, 50, false, 40, false).is_err());
    }

    #[test]
    fn the_best_go_on_failures_last_ties_to_the_lower_candidate() {
        let scored = [
            (0, Some(0.5)),
            (1, None),
            (2, Some(0.9)),
            (3, Some(0.5)),
            (4, Some(0.7)),
        ];
        let gt = |a: f64, b: f64| a > b;
        assert_eq!(best_k(&scored, 2, gt), [2, 4]);
        assert_eq!(best_k(&scored, 3, gt), [0, 2, 4]);
        assert_eq!(best_k(&scored, 5, gt), [0, 1, 2, 3, 4]);
        // Lower is better (an error metric): the failure still goes last.
        assert_eq!(best_k(&scored, 2, |a, b| a < b), [0, 3]);
    }

    #[test]
    fn a_subsample_is_a_sorted_share_the_same_for_the_same_seed() {
        let rows: Vec<usize> = (100..200).collect();
        let a = subsample(&rows, 0.37, &mut Rng::seed_from_u64(4));
        let b = subsample(&rows, 0.37, &mut Rng::seed_from_u64(4));
        assert_eq!(a, b);
        assert_eq!(a.len(), 37);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|r| rows.contains(r)));
        assert_eq!(subsample(&rows, 1.0, &mut Rng::seed_from_u64(4)), rows);
    }
}
