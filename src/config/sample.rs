//! Random search: the distributions a grid key may take (`{ log_uniform = [1e-3, 1e3] }`) and the
//! draw of the candidates, as scikit-learn's ParameterSampler does it. Every draw comes from the
//! pipeline seed alone (candidate i from its own stream), never from the thread count, a shard or a
//! resume, so every machine draws the same candidates.

use super::grid::{GridAxis, SubGrid};
use crate::rng::{rng_for, Purpose, Rng};
use rand::Rng as _;
use std::collections::HashSet;
use toml::Value;

/// The distribution names, as written in the file.
pub const DISTRIBUTIONS: &[&str] = &["log_uniform", "uniform", "int", "log_int"];

/// A distribution over one grid key. Both ends are inclusive for the integer ones (as scipy's
/// `randint(low, high + 1)`); the continuous ones draw from [low, high).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Uniform on [low, high) (scipy's `uniform(low, high - low)`).
    Uniform(f64, f64),
    /// Uniform in log space on [low, high) (scipy's `loguniform(low, high)`); low > 0.
    LogUniform(f64, f64),
    /// A whole number in [low, high], each equally likely (scipy's `randint(low, high + 1)`).
    Int(i64, i64),
    /// A whole number in [low, high], log-uniform: the floor of a log-uniform draw on
    /// [low, high + 1), so each k has probability ln((k + 1) / k) / ln((high + 1) / low); low >= 1.
    LogInt(i64, i64),
}

impl Distribution {
    /// Reads `{ name = [low, high] }`; the error says what is wrong, for the key `dotted`.
    pub fn parse(table: &toml::Table, dotted: &str) -> Result<Distribution, String> {
        let names = DISTRIBUTIONS.join(", ");
        let mut entries = table.iter();
        let (Some((name, bounds)), None) = (entries.next(), entries.next()) else {
            return Err(format!(
                "`{dotted}`: a distribution is one name and its bounds, as {{ log_uniform = [1e-3, 1e3] }}; \
                 distributions: {names}"
            ));
        };
        if !DISTRIBUTIONS.contains(&name.as_str()) {
            return Err(format!(
                "`{dotted}`: unknown distribution `{name}`{}; distributions: {names}",
                crate::error::did_you_mean(name, DISTRIBUTIONS.iter().copied())
            ));
        }
        let pair = match bounds.as_array().map(Vec::as_slice) {
            Some([a, b]) => (a, b),
            _ => {
                return Err(format!(
                    "`{dotted}`: `{name}` takes [low, high], two numbers, as {{ {name} = [1, 10] }}"
                ))
            }
        };
        let whole = name == "int" || name == "log_int";
        let log = name == "log_uniform" || name == "log_int";
        let number = |v: &Value| -> Result<f64, String> {
            match v {
                Value::Integer(i) => Ok(*i as f64),
                Value::Float(f) if !whole && f.is_finite() => Ok(*f),
                _ if whole => Err(format!(
                    "`{dotted}`: `{name}` bounds must be whole numbers, got {v}"
                )),
                _ => Err(format!(
                    "`{dotted}`: `{name}` bounds must be finite numbers, got {v}"
                )),
            }
        };
        let (low, high) = (number(pair.0)?, number(pair.1)?);
        if low >= high {
            return Err(format!(
                "`{dotted}`: `{name}` needs low < high, got [{low}, {high}]"
            ));
        }
        if log && low <= 0.0 {
            let least = if whole { "at least 1" } else { "above 0" };
            return Err(format!(
                "`{dotted}`: `{name}` draws in log space, so low must be {least}, got {low}"
            ));
        }
        Ok(match name.as_str() {
            "uniform" => Distribution::Uniform(low, high),
            "log_uniform" => Distribution::LogUniform(low, high),
            "int" => Distribution::Int(low as i64, high as i64),
            _ => Distribution::LogInt(low as i64, high as i64),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Uniform(..) => "uniform",
            Distribution::LogUniform(..) => "log_uniform",
            Distribution::Int(..) => "int",
            Distribution::LogInt(..) => "log_int",
        }
    }

    /// "log_uniform [0.001, 1000]", as the plan shows it.
    pub fn text(&self) -> String {
        let (a, b) = match *self {
            Distribution::Uniform(a, b) | Distribution::LogUniform(a, b) => (a, b),
            Distribution::Int(a, b) | Distribution::LogInt(a, b) => (a as f64, b as f64),
        };
        format!("{} [{a}, {b}]", self.name())
    }

    pub fn draw(&self, rng: &mut Rng) -> Value {
        match *self {
            Distribution::Uniform(a, b) => Value::Float(a + (b - a) * rng.gen::<f64>()),
            Distribution::LogUniform(a, b) => Value::Float(log_draw(a, b, rng)),
            Distribution::Int(a, b) => Value::Integer(rng.gen_range(a..=b)),
            Distribution::LogInt(a, b) => {
                let x = log_draw(a as f64, (b + 1) as f64, rng).floor() as i64;
                Value::Integer(x.clamp(a, b))
            }
        }
    }
}

fn log_draw(a: f64, b: f64, rng: &mut Rng) -> f64 {
    let (la, lb) = (a.ln(), b.ln());
    (la + (lb - la) * rng.gen::<f64>()).exp()
}

/// One drawn candidate: its sub-grid and a value for each axis, in axis order.
pub type Draw = (usize, Vec<(usize, Value)>);

/// The candidates of a random search. When every entry of every sub-grid is a list, they are drawn
/// without replacement from the grid (as ParameterSampler does), in draw order, and a request for
/// at least the whole grid gives the whole grid once, in grid order. Otherwise candidate i picks a
/// sub-grid uniformly, then each key in order a list value uniformly or a draw from its
/// distribution, from a stream of its own: the first candidates stay when n_candidates grows.
pub fn draw_candidates(subgrids: &[SubGrid], n: usize, seed: u64) -> Vec<Draw> {
    let all_lists = subgrids.iter().flatten().all(|a| a.dist.is_none());
    let sizes: Option<Vec<usize>> = subgrids
        .iter()
        .map(|s| {
            s.iter()
                .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        })
        .collect();
    let total = sizes
        .as_ref()
        .and_then(|s| s.iter().try_fold(0usize, |t, n| t.checked_add(*n)));
    if let (true, Some(sizes), Some(total)) = (all_lists, &sizes, total) {
        let indices: Vec<usize> = if n >= total {
            (0..total).collect()
        } else {
            let mut rng = rng_for(seed, Purpose::Draw, &[u64::MAX]);
            let mut seen = HashSet::new();
            let mut picked = Vec::with_capacity(n);
            while picked.len() < n {
                let i = rng.gen_range(0..total);
                if seen.insert(i) {
                    picked.push(i);
                }
            }
            picked
        };
        return indices
            .into_iter()
            .map(|i| grid_point(subgrids, sizes, i))
            .collect();
    }
    (0..n)
        .map(|i| {
            let mut rng = rng_for(seed, Purpose::Draw, &[i as u64]);
            let s = if subgrids.len() > 1 {
                rng.gen_range(0..subgrids.len())
            } else {
                0
            };
            let combo = subgrids[s]
                .iter()
                .enumerate()
                .map(|(a, axis)| (a, draw_axis(axis, &mut rng)))
                .collect();
            (s, combo)
        })
        .collect()
}

fn draw_axis(axis: &GridAxis, rng: &mut Rng) -> Value {
    match &axis.dist {
        Some(d) => d.draw(rng),
        None => axis.values[rng.gen_range(0..axis.values.len())].clone(),
    }
}

/// The i-th candidate of the grid in grid order (sub-grids in turn, the last axis fastest).
fn grid_point(subgrids: &[SubGrid], sizes: &[usize], mut i: usize) -> Draw {
    let mut s = 0;
    while i >= sizes[s] {
        i -= sizes[s];
        s += 1;
    }
    let sub = &subgrids[s];
    let mut combo = vec![(0, Value::Boolean(false)); sub.len()];
    for (a, axis) in sub.iter().enumerate().rev() {
        let len = axis.values.len();
        combo[a] = (a, axis.values[i % len].clone());
        i /= len;
    }
    (s, combo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::grid;

    fn dist(text: &str) -> Result<Distribution, String> {
        let t: toml::Table = toml::from_str(&format!("d = {text}")).unwrap();
        Distribution::parse(t["d"].as_table().unwrap(), "model.alpha")
    }

    #[test]
    fn malformed_distributions_say_what_is_wrong() {
        assert_eq!(
            dist("{ log_uniform = [1e-3, 1e3] }"),
            Ok(Distribution::LogUniform(1e-3, 1e3))
        );
        assert_eq!(dist("{ int = [2, 12] }"), Ok(Distribution::Int(2, 12)));
        let e = dist("{ log_unifrom = [1, 2] }").unwrap_err();
        assert!(
            e.contains("unknown distribution `log_unifrom`; did you mean `log_uniform`?"),
            "{e}"
        );
        let e = dist("{ uniform = [3, 1] }").unwrap_err();
        assert!(e.contains("needs low < high, got [3, 1]"), "{e}");
        let e = dist("{ uniform = [1, 1] }").unwrap_err();
        assert!(e.contains("low < high"), "{e}");
        let e = dist("{ log_uniform = [0, 1] }").unwrap_err();
        assert!(e.contains("low must be above 0, got 0"), "{e}");
        let e = dist("{ log_int = [0, 8] }").unwrap_err();
        assert!(e.contains("low must be at least 1"), "{e}");
        let e = dist("{ int = [1.5, 4] }").unwrap_err();
        assert!(e.contains("bounds must be whole numbers, got 1.5"), "{e}");
        let e = dist("{ uniform = [1] }").unwrap_err();
        assert!(e.contains("takes [low, high]"), "{e}");
        let e = dist("{ uniform = [0, 1], int = [1, 2] }").unwrap_err();
        assert!(e.contains("one name and its bounds"), "{e}");
    }

    #[test]
    fn draws_stay_in_their_bounds_and_int_ends_are_inclusive() {
        let mut rng = rng_for(3, Purpose::Draw, &[0]);
        let mut ints = HashSet::new();
        for _ in 0..2000 {
            let Value::Integer(k) = Distribution::Int(2, 4).draw(&mut rng) else {
                panic!()
            };
            ints.insert(k);
            let Value::Integer(k) = Distribution::LogInt(8, 16).draw(&mut rng) else {
                panic!()
            };
            assert!((8..=16).contains(&k));
            let Value::Float(x) = Distribution::LogUniform(1e-3, 1e3).draw(&mut rng) else {
                panic!()
            };
            assert!((1e-3..1e3).contains(&x));
        }
        assert_eq!(ints, HashSet::from([2, 3, 4]));
    }

    fn subgrids(text: &str) -> Vec<SubGrid> {
        let doc: toml::Table = toml::from_str(text).unwrap();
        grid::parse(doc.get("grid")).unwrap()
    }

    #[test]
    fn a_grid_of_lists_is_drawn_without_replacement_and_whole_in_grid_order() {
        let subs =
            subgrids("[grid]\nmodel.alpha = [1, 2, 3]\nmodel.fit_intercept = [true, false]\n");
        let all = draw_candidates(&subs, 10, 0);
        assert_eq!(all.len(), 6);
        assert_eq!(all[1].1[1].1, Value::Boolean(false));
        assert_eq!(all[2].1[0].1, Value::Integer(2));
        let some = draw_candidates(&subs, 4, 0);
        let distinct: HashSet<String> = some.iter().map(|d| format!("{:?}", d.1)).collect();
        assert_eq!(distinct.len(), 4, "without replacement");
        assert_eq!(some, draw_candidates(&subs, 4, 0), "the seed alone decides");
        assert_ne!(some, draw_candidates(&subs, 4, 1));
    }

    #[test]
    fn a_distribution_draws_per_candidate_from_its_own_stream() {
        let subs = subgrids("[grid]\nmodel.alpha = { log_uniform = [1e-3, 1e3] }\nmodel.fit_intercept = [true, false]\n");
        let five = draw_candidates(&subs, 5, 7);
        let ten = draw_candidates(&subs, 10, 7);
        assert_eq!(five[..], ten[..5], "more candidates keep the first ones");
        assert_ne!(five[0].1[0].1, five[1].1[0].1);
    }
}
