//! Seeded randomness. Every random choice draws from a generator seeded by (master seed, purpose,
//! candidate, fold, ...), never from a shared generator or the thread that runs it, so results are
//! identical whatever the thread count or scheduling order.

pub mod numpy;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub type Rng = ChaCha8Rng;

/// What a generator is for; part of its seed so that two purposes never share a stream.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Purpose {
    Holdout = 1,
    Folds = 2,
    Fit = 3,
    Refit = 4,
    /// The candidates of a random search.
    Draw = 5,
    /// The rows a halving rung subsamples (resource = "rows").
    Halving = 6,
}

/// SplitMix64: a strong 64-bit mixer, used to fold the parts of a seed together.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 64-bit seed derived from the master seed and any number of parts (candidate, fold, tree, ...).
pub fn derive_seed(seed: u64, parts: &[u64]) -> u64 {
    parts.iter().fold(mix(seed), |acc, p| mix(acc ^ mix(*p)))
}

pub fn rng_for(seed: u64, purpose: Purpose, parts: &[u64]) -> Rng {
    let mut all = vec![purpose as u64];
    all.extend_from_slice(parts);
    Rng::seed_from_u64(derive_seed(seed, &all))
}

/// Fisher-Yates shuffle with our generator (rand's `shuffle` would do the same; this keeps the
/// algorithm fixed across rand versions, so seeds stay reproducible).
pub fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    use rand::Rng as _;
    for i in (1..items.len()).rev() {
        let j = rng.gen_range(0..=i);
        items.swap(i, j);
    }
}

/// Weighted draws with replacement: the running sums of the weights, searched for a uniform draw
/// scaled to their total, so an item of weight 0 is never drawn. Built once, drawn from many times.
pub struct WeightedDraw {
    cumulative: Vec<f64>,
}

/// The running sums w₀, w₀ + w₁, ... (a weighted draw's search table; also what a weighted
/// quantile searches).
pub fn running_sums(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .into_iter()
        .map(|w| {
            total += w;
            total
        })
        .collect()
}

impl WeightedDraw {
    /// From the weights, at least one of them positive.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        WeightedDraw {
            cumulative: running_sums(weights),
        }
    }

    /// An index, with probability proportional to its weight.
    pub fn draw(&self, rng: &mut Rng) -> usize {
        use rand::Rng as _;
        let last = self.cumulative.len() - 1;
        let u = rng.gen::<f64>() * self.cumulative[last];
        self.cumulative.partition_point(|&c| c <= u).min(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_parts_same_stream_other_parts_other_stream() {
        use rand::Rng as _;
        let a: u64 = rng_for(7, Purpose::Fit, &[1, 2]).gen();
        let b: u64 = rng_for(7, Purpose::Fit, &[1, 2]).gen();
        let c: u64 = rng_for(7, Purpose::Fit, &[2, 1]).gen();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
