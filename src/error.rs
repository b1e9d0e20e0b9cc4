//! The library's error type. Every message says what is wrong and where (file, line, key, column, row),
//! and what would be valid. The command line maps each kind to an exit status (`cli::ExitStatus::of`).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum KilnError {
    /// The pipeline file, `--set`, a grid entry or a command-line argument is invalid (exit 2).
    #[error("{0}")]
    Config(String),
    /// The data file is missing, unreadable or does not fit the pipeline (exit 2).
    #[error("{0}")]
    Data(String),
    /// A model artifact is corrupt, of another format, or does not fit the input (exit 2).
    #[error("{0}")]
    Artifact(String),
    /// Every candidate of a run failed (exit 2): the message lists their errors.
    #[error("{0}")]
    AllCandidatesFailed(String),
    /// The run was interrupted by SIGINT or SIGTERM (exit 130).
    #[error("interrupted")]
    Interrupted,
    /// Writing a result failed (a run directory, a model, a report, predictions; exit 2): names
    /// the path.
    #[error("{path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl KilnError {
    /// Writing (or making the folder of) `path` failed.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        KilnError::Output {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = KilnError> = std::result::Result<T, E>;

/// The valid name closest to `given`, when it is close enough to be a likely typo, or else the
/// shortest valid name it abbreviates (three letters or more: `acc` for `accuracy`).
pub fn nearest<'a>(given: &str, valid: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given_lower = given.to_lowercase();
    let valid: Vec<&str> = valid.into_iter().collect();
    let typo = valid
        .iter()
        .map(|v| (edit_distance(&given_lower, &v.to_lowercase()), *v))
        .filter(|(d, v)| *d <= 2.max(v.len() / 3))
        // On equal distance, a name of the same length is the likelier typo (rsme: rmse, not mse).
        .min_by_key(|(d, v)| (*d, v.len().abs_diff(given.len())))
        .map(|(_, v)| v);
    let abbreviated = || {
        valid
            .iter()
            .filter(|v| given.len() >= 3 && v.to_lowercase().starts_with(&given_lower))
            .min_by_key(|v| v.len())
            .copied()
    };
    typo.or_else(abbreviated)
}

/// Text from a data file or a pipeline, safe to quote in a message: control characters (NUL, ESC,
/// newlines...) are written as escapes (`\0`, `\u{1b}`, `\n`), so a value cannot move the cursor,
/// recolour the terminal or split a message in two.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A whole message, safe for the terminal: control characters escaped as in `printable`, except
/// the newlines and tabs that lay out kiln's own messages.
pub fn printable_message(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(|part| printable(part).into_owned())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    std::borrow::Cow::Owned(lines.join("\n"))
}

/// " did you mean `x`?" or "", ready to append to a message.
pub fn did_you_mean<'a>(given: &str, valid: impl IntoIterator<Item = &'a str>) -> String {
    match nearest(given, valid) {
        Some(v) => format!("; did you mean `{v}`?"),
        None => String::new(),
    }
}

/// Up to `limit` items joined with ", ", the rest counted: "`a`, `b`, `c` ... and 39,990 more". For
/// messages that would otherwise list every column of a wide file (a missing-column error over 40,000
/// inputs was 389 KB).
pub fn capped_list<T: std::fmt::Display>(
    items: impl IntoIterator<Item = T>,
    limit: usize,
) -> String {
    let mut shown = Vec::new();
    let mut rest = 0usize;
    for item in items {
        if shown.len() < limit {
            shown.push(item.to_string());
        } else {
            rest += 1;
        }
    }
    let mut out = shown.join(", ");
    if rest > 0 {
        out.push_str(&format!(" ... and {} more", thousands(rest)));
    }
    out
}

/// A count with thousands separators: 39990 -> "39,990".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// Edit distance counting a swap of neighbours as one edit (optimal string alignment), since
/// swapped letters are the commonest typo.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name() {
        assert_eq!(nearest("alpah", ["alpha", "fit_intercept"]), Some("alpha"));
        assert_eq!(nearest("zzzzzz", ["alpha", "fit_intercept"]), None);
        assert_eq!(did_you_mean("folds", ["folds"]), "; did you mean `folds`?");
        assert_eq!(nearest("rsme", ["r2", "mse", "rmse"]), Some("rmse"));
        let metrics = ["r2", "accuracy", "balanced_accuracy", "roc_auc"];
        assert_eq!(nearest("acc", metrics), Some("accuracy"));
        assert_eq!(
            nearest("ac", ["accuracy"]),
            None,
            "two letters abbreviate nothing"
        );
    }

    #[test]
    fn long_lists_are_capped_with_a_count() {
        assert_eq!(capped_list(["a", "b"], 3), "a, b");
        assert_eq!(capped_list(1..=40_000, 2), "1, 2 ... and 39,998 more");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn an_output_error_names_its_path_and_keeps_its_cause() {
        let e = KilnError::io(
            "runs/p/summary.json",
            std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left on device"),
        );
        assert_eq!(
            e.to_string(),
            "runs/p/summary.json: no space left on device"
        );
        let cause = std::error::Error::source(&e).map(|s| s.to_string());
        assert_eq!(cause.as_deref(), Some("no space left on device"));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("price"), "price");
        assert_eq!(printable("a\u{1b}[31mb\0c\nd"), "a\\u{1b}[31mb\\0c\\nd");
        assert_eq!(
            printable_message("line one\n  x\u{1b}[2J\ty\0"),
            "line one\n  x\\u{1b}[2J\ty\\0"
        );
    }
}
