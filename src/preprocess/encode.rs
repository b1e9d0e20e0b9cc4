//! Which categories a column keeps, as scikit-learn's OneHotEncoder with `max_categories`: the
//! (max_categories - 1) most frequent keep their own column (sorted), the rarer ones share `__other`.

/// The categories present in training (sorted, as `dictionary` is) split into kept ones and the
/// rare ones merged into `__other`. `counts[i]` is how often `dictionary[i]` occurs in training.
pub fn split_frequent(
    dictionary: &[String],
    counts: &[usize],
    max_categories: Option<usize>,
) -> (Vec<String>, Vec<String>) {
    let present: Vec<usize> = (0..dictionary.len()).filter(|i| counts[*i] > 0).collect();
    let Some(max) = max_categories.filter(|m| present.len() > *m) else {
        return (
            present.iter().map(|i| dictionary[*i].clone()).collect(),
            Vec::new(),
        );
    };
    // scikit-learn: a stable sort by count, ascending; all but the last (max - 1) are infrequent.
    let mut by_count = present.clone();
    by_count.sort_by_key(|i| counts[*i]);
    let n_rare = present.len() - (max - 1);
    let mut rare_idx: Vec<usize> = by_count[..n_rare].to_vec();
    rare_idx.sort_unstable();
    let kept = present
        .iter()
        .filter(|i| rare_idx.binary_search(i).is_err())
        .map(|i| dictionary[*i].clone())
        .collect();
    let rare = rare_idx.iter().map(|i| dictionary[*i].clone()).collect();
    (kept, rare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_categories_share_other() {
        let dict: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let (kept, rare) = split_frequent(&dict, &[5, 1, 3, 1], Some(3));
        assert_eq!(kept, ["a", "c"]);
        assert_eq!(rare, ["b", "d"]);
        let (kept, rare) = split_frequent(&dict, &[5, 0, 3, 1], None);
        assert_eq!(kept, ["a", "c", "d"]);
        assert!(rare.is_empty());
    }
}
