//! The link functions of the classifiers: the sigmoid of a binary raw score and the softmax of a
//! row of raw scores (logistic regression and both boostings).

/// 1 / (1 + e^-z), computed without overflow on either side.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Softmax of a row of raw scores, written into `out`.
pub fn softmax(raw: &[f64], out: &mut [f64]) {
    let max = raw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for (o, r) in out.iter_mut().zip(raw) {
        *o = (r - max).exp();
        s += *o;
    }
    out.iter_mut().for_each(|o| *o /= s);
}
