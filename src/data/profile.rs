//! Column statistics for `kiln explore` and `kiln init`: counts, quartiles, most frequent values, each
//! column's association with the target, and the warnings worth acting on before a run (constant,
//! ID-like, very many categories, suspiciously predictive, mostly missing).
//!
//! Everything works on the plain vectors the rest of kiln uses (`Column`: f64 with NaN, or codes into
//! a sorted dictionary), one column per rayon task.

mod association;
mod stats;

use association::target_association;
use stats::{category_counts, numeric_stats};
pub use stats::{correlation_matrix, pearson, Histogram};

use crate::data::number_text::{num, pct};
use crate::data::{Column, ColumnData};
use crate::models::Task;
use rayon::prelude::*;

/// Text columns with more distinct values than this are flagged: one-hot encoding adds a column each.
pub const HIGH_CARDINALITY: usize = 100;
/// Columns missing at least this share of values are flagged.
pub const HEAVY_MISSING: f64 = 0.5;
/// A numeric target with at most this many distinct whole values is taken for class labels.
pub const MAX_CLASSES: usize = 20;
/// A column explaining at least this share of a numeric target's variance alone is suspicious.
const LEAK_R2: f64 = 0.9;
/// A column alone classifying at least this share of rows right is suspicious.
const LEAK_ACCURACY: f64 = 0.99;
/// Most frequent values kept per column.
const TOP: usize = 10;
/// A text column with at least this share of distinct values among its present ones has nearly one
/// category per row: it identifies rows (an ID, a free-text field), and one-hot encoding it makes a
/// column per row.
pub const ID_SHARE: f64 = 0.9;
/// Fewer present values than this are too few to call a column an ID by its share of distinct ones.
const ID_MIN_ROWS: usize = 20;
/// A text column whose categories are numbers but for at most this share was meant as numbers: a
/// few stray values ("n/a", "unknown") made it text.
const STRAY_TEXT_SHARE: f64 = 0.01;
/// Stray text values named in a warning.
const STRAY_SHOWN: usize = 3;

/// The target as the statistics need it.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetView {
    /// NaN = missing.
    Values(Vec<f64>),
    /// Codes into `classes`, MISSING_CODE for missing.
    Classes {
        codes: Vec<u32>,
        classes: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub view: TargetView,
}

impl Target {
    pub fn task(&self) -> Task {
        match self.view {
            TargetView::Values(_) => Task::Regression,
            TargetView::Classes { .. } => Task::Classification,
        }
    }

    /// The target as a column, so it gets a row of statistics like any other.
    pub fn as_column(&self) -> Column {
        Column {
            name: self.name.clone(),
            data: match &self.view {
                TargetView::Values(v) => ColumnData::Numeric(v.to_vec().into()),
                TargetView::Classes { codes, classes } => ColumnData::Categorical {
                    codes: codes.clone(),
                    dictionary: classes.clone(),
                },
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NumericStats {
    pub mean: f64,
    /// Sample standard deviation (n - 1), as pandas' describe.
    pub std: f64,
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    /// Every value is a whole number.
    pub integer: bool,
    pub histogram: Histogram,
}

/// What is worth a warning about a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Flag {
    /// At most one distinct value.
    Constant,
    /// Every value distinct, a text column with nearly one category per row (`ID_SHARE`), or named
    /// like an identifier and nearly so: it identifies rows.
    IdLike,
    /// A text column with this many distinct values.
    HighCardinality(usize),
    /// Predicts the target alone this well (a description of the score).
    Leakage(String),
    /// This share of values is missing.
    HeavyMissing(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProfile {
    pub name: String,
    /// "int", "float", "text", or the file's own type for others (a date, ...).
    pub kind: String,
    pub numeric: bool,
    pub rows: usize,
    pub non_null: usize,
    pub distinct: usize,
    pub stats: Option<NumericStats>,
    /// Most frequent values with their counts (text columns), most frequent first.
    pub top: Vec<(String, usize)>,
    pub is_target: bool,
    /// Pearson r with a numeric or two-class target; correlation ratio (eta) with 3+ classes.
    pub target_assoc: Option<f64>,
    pub flags: Vec<Flag>,
    /// A text column of numbers but for a few categories: those (see [`StrayText`]).
    pub stray_text: Option<StrayText>,
}

/// The few categories of a text column that are not numbers when all the others are: the values that
/// made a number column text.
#[derive(Debug, Clone, PartialEq)]
pub struct StrayText {
    /// How many categories are not numbers.
    pub count: usize,
    /// The first of them in sorted order, at most `STRAY_SHOWN`.
    pub examples: Vec<String>,
}

impl StrayText {
    /// The stray categories of a text column, when at most `STRAY_TEXT_SHARE` of its present ones.
    fn find(dictionary: &[String], counts: &[usize]) -> Option<StrayText> {
        let present: Vec<&String> = dictionary
            .iter()
            .zip(counts)
            .filter(|(_, c)| **c > 0)
            .map(|(v, _)| v)
            .collect();
        let stray: Vec<&String> = present
            .iter()
            .copied()
            .filter(|v| v.trim().parse::<f64>().is_err())
            .collect();
        let few = stray.len() as f64 <= STRAY_TEXT_SHARE * present.len() as f64;
        (!stray.is_empty() && few).then(|| StrayText {
            count: stray.len(),
            examples: stray
                .iter()
                .take(STRAY_SHOWN)
                .map(|v| v.to_string())
                .collect(),
        })
    }

    /// "1 value (\"n/a\")", "5 values (\"?\", \"n/a\", \"none\", ...)".
    fn describe(&self) -> String {
        let quoted: Vec<String> = self.examples.iter().map(|v| format!("\"{v}\"")).collect();
        let more = if self.count > self.examples.len() {
            ", ..."
        } else {
            ""
        };
        let noun = if self.count == 1 { "value" } else { "values" };
        format!("{} {noun} ({}{more})", self.count, quoted.join(", "))
    }
}

impl ColumnProfile {
    pub fn missing(&self) -> usize {
        self.rows - self.non_null
    }

    pub fn missing_share(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.missing() as f64 / self.rows as f64
        }
    }

    pub fn has(&self, pred: impl Fn(&Flag) -> bool) -> bool {
        self.flags.iter().any(pred)
    }

    pub fn is_id_like(&self) -> bool {
        self.has(|f| *f == Flag::IdLike)
    }

    pub fn is_constant(&self) -> bool {
        self.has(|f| *f == Flag::Constant)
    }

    /// The warning lines for this column.
    pub fn warnings(&self) -> Vec<String> {
        self.flags.iter().map(|f| self.warning(f)).collect()
    }

    /// The warning a flag of this column gives.
    pub fn warning(&self, flag: &Flag) -> String {
        let n = &self.name;
        match flag {
                Flag::Constant => match (self.distinct, self.top.first(), &self.stats) {
                    (0, _, _) => format!("`{n}` has no values"),
                    (_, Some((v, _)), _) => format!("`{n}` is constant (\"{v}\"): it cannot help a model"),
                    (_, None, Some(s)) => {
                        format!("`{n}` is constant ({}): it cannot help a model", num(s.min))
                    }
                    _ => format!("`{n}` is constant: it cannot help a model"),
                },
                Flag::IdLike if self.numeric => format!(
                    "`{n}` looks like an ID ({} distinct values in {} rows): leave it out with data.drop",
                    self.distinct, self.non_null
                ),
                Flag::IdLike => self.text_id_warning(),
                Flag::HighCardinality(k) => format!(
                    "`{n}` is text with {k} distinct values: one-hot encoding adds a column for each; \
                     set encode.max_categories or leave it out"
                ),
                Flag::Leakage(score) => format!(
                    "`{n}` predicts the target suspiciously well ({score}): check that it is not \
                     derived from the target or known only afterwards (leakage)"
                ),
                Flag::HeavyMissing(share) => format!(
                    "`{n}` is {} missing: imputation will invent most of it",
                    pct(*share)
                ),
        }
    }

    /// The warning for a text column with nearly one category per row: what one-hot encoding makes
    /// of it, and, when its values are numbers but for a few, the few that made it text.
    fn text_id_warning(&self) -> String {
        let n = &self.name;
        let mut w = format!(
            "`{n}` looks like an ID ({} distinct values in {} rows, nearly one per row): one-hot \
             encoding makes a column of each, which is almost never meant; leave it out with \
             data.drop",
            self.distinct, self.non_null
        );
        if let Some(stray) = &self.stray_text {
            w.push_str(&format!(
                ". Its values are numbers but for {}, which made it text: if it holds numbers, \
                 list those in data.null_values",
                stray.describe()
            ));
        }
        w
    }
}

/// The warnings `kiln validate` and `kiln run` give about feature columns that are IDs: the text
/// columns with nearly one category per row (see [`ID_SHARE`]), whose one-hot encoding is a column
/// per row, the design matrix's width and the Gram matrix's square.
pub fn id_warnings(features: &[Column]) -> Vec<String> {
    features
        .iter()
        .filter(|c| matches!(c.data, ColumnData::Categorical { .. }))
        .map(|c| profile_column(c, None, None, false))
        .filter(ColumnProfile::is_id_like)
        .map(|p| p.warning(&Flag::IdLike))
        .collect()
}

/// numpy's default (linear) quantile of sorted values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Whether a column name reads like an identifier: id, ID, PID, user_id, userId, Order, index, ...
pub fn looks_like_id(name: &str) -> bool {
    let lower = name.to_lowercase();
    const WORDS: &[&str] = &[
        "id", "pid", "uid", "uuid", "guid", "key", "index", "idx", "order", "row", "rowid",
        "row_id", "record", "no", "number",
    ];
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    ["_id", "-id", ".id", " id"]
        .iter()
        .any(|s| lower.ends_with(s))
        || name.ends_with("Id")
        || (name.len() > 2 && name.ends_with("ID"))
}

/// Statistics of one column. `dtype` is the file's type when known (a raw file), for the kind shown.
pub fn profile_column(
    column: &Column,
    dtype: Option<&str>,
    target: Option<&Target>,
    is_target: bool,
) -> ColumnProfile {
    let rows = column.len();
    let (stats, non_null, distinct, top, kind, stray_text) = match &column.data {
        ColumnData::Numeric(v) => {
            let (stats, non_null, distinct) = numeric_stats(v);
            let kind = match dtype {
                Some("bool") => "bool".to_string(),
                _ if stats.as_ref().is_some_and(|s| s.integer) => "int".to_string(),
                _ => "float".to_string(),
            };
            (stats, non_null, distinct, Vec::new(), kind, None)
        }
        ColumnData::Categorical { codes, dictionary } => {
            let (counts, present) = category_counts(codes, dictionary.len());
            let mut order: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
            let distinct = order.len();
            // Most frequent first; ties keep the dictionary's (sorted) order.
            order.sort_by(|a, b| counts[*b].cmp(&counts[*a]).then(a.cmp(b)));
            let top = order
                .iter()
                .take(TOP)
                .map(|&i| (dictionary[i].clone(), counts[i]))
                .collect();
            let kind = match dtype {
                Some(d) if d != "str" => d.to_string(),
                _ => "text".to_string(),
            };
            let stray = StrayText::find(dictionary, &counts);
            (None, present, distinct, top, kind, stray)
        }
    };
    let numeric = matches!(column.data, ColumnData::Numeric(_));
    let mut flags = Vec::new();
    if distinct <= 1 {
        flags.push(Flag::Constant);
    }
    let whole = stats.as_ref().is_some_and(|s| s.integer);
    let identifier_kind = !numeric || whole;
    let all_distinct = non_null == rows && distinct == rows && rows >= ID_MIN_ROWS;
    let nearly_one_per_row = distinct as f64 >= ID_SHARE * non_null as f64;
    let named_id = looks_like_id(&column.name) && non_null > 0 && nearly_one_per_row;
    let text_id = !numeric && non_null >= ID_MIN_ROWS && nearly_one_per_row;
    if !is_target && identifier_kind && (all_distinct || named_id || text_id) && distinct > 1 {
        flags.push(Flag::IdLike);
    }
    if !is_target && !numeric && distinct > HIGH_CARDINALITY && !flags.contains(&Flag::IdLike) {
        flags.push(Flag::HighCardinality(distinct));
    }
    let mut target_assoc = None;
    if let (false, Some(t)) = (is_target, target) {
        let (assoc, leak) = target_association(column, distinct, non_null, t);
        target_assoc = assoc;
        if let Some(l) = leak.filter(|_| !flags.contains(&Flag::IdLike) && distinct > 1) {
            flags.push(l);
        }
    }
    let missing_share = if rows == 0 {
        0.0
    } else {
        (rows - non_null) as f64 / rows as f64
    };
    if missing_share >= HEAVY_MISSING && non_null > 0 {
        flags.push(Flag::HeavyMissing(missing_share));
    }
    ColumnProfile {
        name: column.name.clone(),
        kind,
        numeric,
        rows,
        non_null,
        distinct,
        stats,
        top,
        is_target,
        target_assoc,
        flags,
        stray_text,
    }
}

/// Profiles every column in parallel, in order; the target's own row comes first.
pub fn profile_all(
    columns: &[(Column, Option<String>)],
    target: Option<&Target>,
) -> Vec<ColumnProfile> {
    let mut out: Vec<ColumnProfile> = Vec::with_capacity(columns.len() + 1);
    if let Some(t) = target {
        out.push(profile_column(&t.as_column(), None, None, true));
    }
    let rest: Vec<ColumnProfile> = columns
        .par_iter()
        .map(|(c, dtype)| profile_column(c, dtype.as_deref(), target, false))
        .collect();
    out.extend(rest);
    out
}

/// The task a target column implies: text, or a few distinct whole numbers, is classification;
/// any other number is regression. The reason is for the user.
pub fn infer_task(target: &ColumnProfile) -> (Task, String) {
    match &target.stats {
        None => (
            Task::Classification,
            format!("`{}` is text with {} classes", target.name, target.distinct),
        ),
        Some(s) if s.integer && target.distinct <= MAX_CLASSES => (
            Task::Classification,
            format!(
                "`{}` holds {} distinct whole numbers: class labels",
                target.name, target.distinct
            ),
        ),
        Some(_) => (
            Task::Regression,
            format!(
                "`{}` is numeric with {} distinct values",
                target.name, target.distinct
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::MISSING_CODE;

    fn numeric(name: &str, v: Vec<f64>) -> Column {
        Column {
            name: name.into(),
            data: ColumnData::Numeric(v.into()),
        }
    }

    #[test]
    fn numeric_statistics_match_pandas_describe() {
        let c = numeric("x", vec![1.0, 2.0, 3.0, 4.0, f64::NAN]);
        let p = profile_column(&c, None, None, false);
        let s = p.stats.unwrap();
        assert_eq!((p.rows, p.non_null, p.distinct), (5, 4, 4));
        assert_eq!(
            (s.mean, s.min, s.q1, s.median, s.q3, s.max),
            (2.5, 1.0, 1.75, 2.5, 3.25, 4.0)
        );
        assert!((s.std - 1.2909944487358056).abs() < 1e-12);
        assert_eq!(p.kind, "int");
        assert_eq!(s.histogram.counts, [1, 1, 1, 1], "one bin per whole number");
    }

    #[test]
    fn text_columns_count_their_most_frequent_values() {
        let c = Column {
            name: "t".into(),
            data: ColumnData::Categorical {
                codes: vec![1, 0, 1, MISSING_CODE, 1],
                dictionary: vec!["a".into(), "b".into()],
            },
        };
        let p = profile_column(&c, None, None, false);
        assert_eq!(p.top, [("b".to_string(), 3), ("a".to_string(), 1)]);
        assert_eq!((p.non_null, p.missing(), p.distinct), (4, 1, 2));
    }

    #[test]
    fn flags_constant_id_like_missing_and_leaking_columns() {
        let n = 100;
        let y: Vec<f64> = (0..n).map(|i| ((i * 37) % 11) as f64).collect();
        let target = Target {
            name: "y".into(),
            view: TargetView::Values(y.clone()),
        };
        let constant = profile_column(&numeric("c", vec![3.0; n]), None, Some(&target), false);
        assert!(constant.is_constant());
        let id = profile_column(
            &numeric("row", (0..n).map(|i| i as f64).collect()),
            None,
            Some(&target),
            false,
        );
        assert!(id.is_id_like(), "{:?}", id.flags);
        let leak = profile_column(
            &numeric("y2", y.iter().map(|v| v * 2.0 + 1.0).collect()),
            None,
            Some(&target),
            false,
        );
        assert!(
            leak.has(|f| matches!(f, Flag::Leakage(_))),
            "{:?}",
            leak.flags
        );
        assert_eq!(leak.target_assoc, Some(1.0));
        let gappy: Vec<f64> = (0..n)
            .map(|i| if i % 3 == 0 { i as f64 } else { f64::NAN })
            .collect();
        let gappy = profile_column(&numeric("g", gappy), None, Some(&target), false);
        assert!(gappy.has(|f| matches!(f, Flag::HeavyMissing(_))));
        assert!(!gappy.is_id_like(), "gaps: not every row has its own value");
        // A noisy but honest feature is not flagged.
        let honest: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, v)| v + ((i * 7) % 5) as f64)
            .collect();
        let honest = profile_column(&numeric("h", honest), None, Some(&target), false);
        assert!(honest.flags.is_empty(), "{:?}", honest.flags);
    }

    #[test]
    fn a_column_that_gives_the_class_away_is_flagged() {
        let n = 200;
        let codes: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let target = Target {
            name: "y".into(),
            view: TargetView::Classes {
                codes: codes.clone(),
                classes: vec!["a".into(), "b".into(), "c".into()],
            },
        };
        let leak = numeric(
            "leak",
            codes.iter().map(|c| *c as f64 * 10.0 + 0.5).collect(),
        );
        let p = profile_column(&leak, None, Some(&target), false);
        assert!(p.has(|f| matches!(f, Flag::Leakage(_))), "{:?}", p.flags);
        let noise = numeric(
            "noise",
            (0..n).map(|i| ((i * 7919) % 101) as f64 + 0.5).collect(),
        );
        let p = profile_column(&noise, None, Some(&target), false);
        assert!(!p.has(|f| matches!(f, Flag::Leakage(_))), "{:?}", p.flags);
    }

    #[test]
    fn task_inference() {
        let few = profile_column(
            &numeric("y", (0..100).map(|i| (i % 3) as f64).collect()),
            None,
            None,
            true,
        );
        assert_eq!(infer_task(&few).0, Task::Classification);
        let many = profile_column(
            &numeric("y", (0..100).map(|i| i as f64 * 1.5).collect()),
            None,
            None,
            true,
        );
        assert_eq!(infer_task(&many).0, Task::Regression);
        assert!(looks_like_id("PID") && looks_like_id("Order") && looks_like_id("user_id"));
        assert!(!looks_like_id("paid") && !looks_like_id("area"));
    }
}
