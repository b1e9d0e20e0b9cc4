//! numpy's legacy `RandomState` stream (the Mersenne Twister MT19937, seeded as
//! `RandomState(seed)` seeds it), for the places where kiln draws what scikit-learn draws so a
//! user can check the numbers: permutation importance shuffles rows as
//! `sklearn.inspection.permutation_importance(random_state=seed)` does, and k-means++ seeds as
//! `KMeans(random_state=seed)` does, so the two give the same results, not merely similar ones. Written from the published algorithm (Matsumoto and
//! Nishimura, 1998) and numpy's documented legacy bounded draws; everything else in kiln draws
//! from `rng::Rng`.

const N: usize = 624;
const M: usize = 397;

pub struct RandomState {
    state: [u32; N],
    position: usize,
}

impl RandomState {
    /// `numpy.random.RandomState(seed)` for a seed below 2^32.
    pub fn new(seed: u32) -> RandomState {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        RandomState { state, position: N }
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut next = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                next ^= 0x9908_b0df;
            }
            self.state[i] = next;
        }
        self.position = 0;
    }

    /// The next 32 bits (MT19937's genrand_int32).
    pub fn next_u32(&mut self) -> u32 {
        if self.position >= N {
            self.twist();
        }
        let mut y = self.state[self.position];
        self.position += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random_sample()`: a double in [0, 1) from 53 random bits (numpy's `genrand_res53`).
    pub fn random_sample(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A value in 0..=max by masked rejection, as numpy's legacy `random_interval`.
    fn interval(&mut self, max: u32) -> u32 {
        if max == 0 {
            return 0;
        }
        let mask = u32::MAX >> max.leading_zeros();
        loop {
            let value = self.next_u32() & mask;
            if value <= max {
                return value;
            }
        }
    }

    /// `randint(0, 2**31)`: what permutation_importance draws from its random_state first.
    pub fn below_2_pow_31(&mut self) -> u32 {
        self.next_u32() & 0x7fff_ffff
    }

    /// `RandomState.shuffle` of a one-dimensional array, in place (Fisher-Yates from the end).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u32) as usize;
            items.swap(i, j);
        }
    }
}

/// numpy's `np.sum` of a float array: pairwise summation (sequential below 8 values, eight
/// running sums up to 128, halves beyond), so a total matches numpy's to the bit.
pub fn pairwise_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        return a.iter().fold(0.0, |s, v| s + v);
    }
    if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let whole = n - n % 8;
        for chunk in a[8..whole].chunks_exact(8) {
            for (acc, v) in r.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &a[whole..] {
            res += v;
        }
        return res;
    }
    let mut half = n / 2;
    half -= half % 8;
    pairwise_sum(&a[..half]) + pairwise_sum(&a[half..])
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected values are numpy's: `RandomState(5489).randint(2**32, dtype=np.uint64)` three
    // times; `a = np.arange(10); RandomState(0).shuffle(a)`; `RandomState(0).randint(2**31)`.
    #[test]
    fn matches_mt19937_reference_outputs() {
        // The first outputs of genrand_int32 after init_genrand(5489), MT19937's default seed.
        let mut r = RandomState::new(5489);
        assert_eq!(r.next_u32(), 3_499_211_612);
        assert_eq!(r.next_u32(), 581_869_302);
        assert_eq!(r.next_u32(), 3_890_346_734);
    }

    #[test]
    fn shuffle_matches_numpy() {
        let mut r = RandomState::new(0);
        let mut a: Vec<u32> = (0..10).collect();
        r.shuffle(&mut a);
        assert_eq!(a, vec![2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        let mut r = RandomState::new(0);
        assert_eq!(r.below_2_pow_31(), 209_652_396);
    }
}
