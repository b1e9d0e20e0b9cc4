//! The memory budget of a run: before any design matrix is built, `kiln run` estimates the memory
//! the run will hold at its peak and refuses, with the estimate, its largest parts, the budget and
//! what to change, a run that would not fit, rather than be killed by the system halfway through.
//!
//! The estimate counts every large allocation, each as a product of its sizes that the message
//! shows (so its arithmetic can be checked):
//! - the data as read;
//! - the design matrices: every distinct preprocessing of the grid (impute, encode, scale settings)
//!   makes one design per fold, of every cross-validation row (the fold's training and validation
//!   rows), 8 bytes a row for each dense column (numeric, missing indicator, ordinal code) and 4 for
//!   each one-hot encoded input (its category slot); when a candidate's model reads the dense
//!   matrix (see `ModelSpec::reads_slots`), the one-hot columns count 8 bytes each as well; a
//!   model that reads its training design a column at a time (`ModelSpec::reads_columns`:
//!   histogram boosting) holds the design of the validation rows alone;
//! - what the candidates of one (fold, preprocessing) share: the p x p Gram matrix of the linear
//!   models, the sorted columns of the tree models;
//! - each fit's own working memory, model by model (`footprint`): the Gram pass's partial sums,
//!   ridge's copies of XᵀX, the eigendecomposition, each tree's copy of the sorted columns and its
//!   nodes, a forest's trees, boosting's per-row state, kNN's copies of the rows, ...
//!
//! The executor shares a design among the candidates of one preprocessing and drops it when the
//! last of them is done; it works fold by fold, so the designs of every preprocessing of at most two
//! folds (one with a single thread) are held at once; one fit runs per thread, and a fit's parallel
//! tasks (trees) run on the same threads. The estimate takes the largest fit for every thread. The
//! refit of the best candidate (one design of every training row, one fit, the test rows) is
//! estimated too, for each candidate; the greater of the two peaks is checked.
//!
//! The budget: `--memory-budget SIZE`, else the environment variable `KILN_MEMORY_BUDGET`, else 75%
//! of the machine's memory (MemTotal in /proc/meminfo), else 8 GiB. SIZE is bytes, or a number with
//! k, m, g or t (KiB, MiB, GiB, TiB), as `512m` or `8g`.

mod footprint;

use super::prepare::Prepared;
use crate::config::{Candidate, EncodeMethod};
use crate::data::{ColumnData, Dataset, TargetData, MISSING_CODE};
use crate::error::{KilnError, Result};
use crate::models::ModelSpec;
use crate::search::Split;
use crate::util::sizes::{parse_size, show_bytes};
use footprint::{footprint, Footprint, Part, Shape};

/// The environment variable that sets the budget when `--memory-budget` is not given.
pub const ENV: &str = "KILN_MEMORY_BUDGET";
/// The budget when the machine's memory cannot be read.
pub const FALLBACK: u64 = 8 << 30;

/// Where the budget came from, for the message that refuses a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetSource {
    Flag,
    Env,
    /// 75% of MemTotal.
    Memory,
    Fallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub bytes: u64,
    pub source: BudgetSource,
}

/// MemTotal from the text of /proc/meminfo, in bytes.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut parts = line["MemTotal:".len()..].split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | Some("KB") | Some("kb") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// The budget: the flag's, else the environment's, else 75% of the machine's memory, else 8 GiB.
pub fn resolve(flag: Option<u64>) -> Result<Budget> {
    if let Some(bytes) = flag {
        return Ok(Budget {
            bytes,
            source: BudgetSource::Flag,
        });
    }
    if let Ok(text) = std::env::var(ENV) {
        let bytes = parse_size(&text).map_err(|e| KilnError::Config(format!("{ENV}: {e}")))?;
        return Ok(Budget {
            bytes,
            source: BudgetSource::Env,
        });
    }
    Ok(default_budget(
        std::fs::read_to_string("/proc/meminfo").ok().as_deref(),
    ))
}

/// 75% of MemTotal from the given /proc/meminfo text, or `FALLBACK`.
pub fn default_budget(meminfo: Option<&str>) -> Budget {
    match meminfo.and_then(mem_total) {
        Some(total) if total > 0 => Budget {
            bytes: total / 4 * 3,
            source: BudgetSource::Memory,
        },
        _ => Budget {
            bytes: FALLBACK,
            source: BudgetSource::Fallback,
        },
    }
}

/// A size as the product of named factors, so that a message shows arithmetic that is right:
/// "48000 rows x 60001 columns x 8 bytes".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// (factor, what it counts); an empty name is read with the next factor's ("3 x 3 columns").
    pub factors: Vec<(u64, &'static str)>,
}

impl Product {
    pub fn new(factors: &[(u64, &'static str)]) -> Self {
        Product {
            factors: factors.to_vec(),
        }
    }

    pub fn bytes(&self) -> u64 {
        self.factors
            .iter()
            .fold(1u64, |acc, (n, _)| acc.saturating_mul(*n))
    }

    /// The factors, those of 1 left out ("1 row blocks x ..."): they change nothing.
    pub fn text(&self) -> String {
        let shown: Vec<String> = self
            .factors
            .iter()
            .filter(|(n, _)| *n != 1)
            .map(|(n, what)| {
                if what.is_empty() {
                    n.to_string()
                } else {
                    format!("{n} {what}")
                }
            })
            .collect();
        if shown.is_empty() {
            return "1 byte".into();
        }
        shown.join(" x ")
    }
}

/// One line of the estimate: an allocation, and how many of it are held at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub what: String,
    pub each: Product,
    /// How many are held at once, and of what ("folds", "fits", "threads").
    pub times: (u64, &'static str),
    /// A design matrix (or its dense form), rather than the data or a model's working memory.
    pub design: bool,
}

impl Term {
    fn new(part: Part, times: u64, of: &'static str) -> Self {
        Term {
            what: part.what,
            each: part.each,
            times: (times, of),
            design: false,
        }
    }

    fn of_design(part: Part, times: u64, of: &'static str) -> Self {
        Term {
            design: true,
            ..Term::new(part, times, of)
        }
    }

    pub fn bytes(&self) -> u64 {
        self.each.bytes().saturating_mul(self.times.0)
    }

    /// "26.8 GiB  XᵀX, the Gram matrix: 60001 x 60001 columns x 8 bytes"; ", for each of 2 folds
    /// held at once" when there are several.
    pub fn line(&self) -> String {
        let times = match self.times {
            (1, _) => String::new(),
            (n, of) => format!(", for each of {n} {of} at once"),
        };
        format!(
            "{:>10}  {}: {}{times}",
            show_bytes(self.bytes()),
            self.what,
            self.each.text()
        )
    }
}

/// When the memory peaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The cross-validation search: every fold's designs held at once, fits in parallel.
    Search,
    /// Refitting a candidate on every training row and scoring the test rows.
    Refit,
}

/// The one-hot encoded input that makes most of a design's columns: the usual cause of a blowup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WideColumn {
    pub name: String,
    /// Its one-hot columns...
    pub columns: u64,
    /// ...of the design's.
    pub of: u64,
}

/// What a run will hold at its peak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub phase: Phase,
    /// The largest first.
    pub terms: Vec<Term>,
    /// Their sum.
    pub bytes: u64,
    /// The part of it that is design matrices.
    pub design_bytes: u64,
    pub widest: Option<WideColumn>,
}

/// The sizes of a search: the rows each fit sees, the folds, the threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Cross-validation (training) rows: a fold's design holds each once, the refit fits on all.
    pub cv_rows: usize,
    /// The most training rows of a fold...
    pub fold_train: usize,
    /// ...and validation rows.
    pub fold_valid: usize,
    /// Holdout rows, scored by the refit model.
    pub test_rows: usize,
    pub folds: usize,
    pub threads: usize,
}

/// What the widths of a design depend on, read once from the data: each feature's kind, whether a
/// numeric one has gaps (a missing indicator), and a text one's categories (a filled gap may add
/// its fill value as a category of its own, so a gap counts as one more: an upper bound).
struct Inputs(Vec<(String, Input)>);

enum Input {
    Numeric { gaps: bool },
    Text { categories: usize },
}

impl Inputs {
    fn of(ds: &Dataset) -> Self {
        Inputs(
            ds.features
                .iter()
                .map(|c| {
                    let input = match &c.data {
                        ColumnData::Numeric(v) => {
                            let gaps = v.iter().any(|x| x.is_nan());
                            v.release();
                            Input::Numeric { gaps }
                        }
                        ColumnData::Categorical { codes, dictionary } => Input::Text {
                            categories: dictionary.len()
                                + usize::from(codes.contains(&MISSING_CODE)),
                        },
                    };
                    (c.name.clone(), input)
                })
                .collect(),
        )
    }
}

/// The output columns `candidate`'s preprocessing makes from `ds`'s features (an upper bound:
/// categories and gaps are counted over every row, not a fold's training rows).
pub fn output_columns(candidate: &Candidate, ds: &Dataset) -> usize {
    let w = widths(candidate, &Inputs::of(ds));
    w.dense + w.one_hot
}

/// A preprocessing's output, by how it is stored.
struct Widths {
    /// Dense columns (8 bytes a row each)...
    dense: usize,
    /// ...of which missing indicators.
    indicators: usize,
    /// One-hot encoded inputs (a 4-byte slot a row each)...
    blocks: usize,
    /// ...and the columns they stand for.
    one_hot: usize,
    /// The input with the most one-hot columns, and their number.
    widest: Option<(String, usize)>,
}

fn widths(candidate: &Candidate, inputs: &Inputs) -> Widths {
    let p = &candidate.pipeline;
    let mut w = Widths {
        dense: 0,
        indicators: 0,
        blocks: 0,
        one_hot: 0,
        widest: None,
    };
    for (name, input) in &inputs.0 {
        match (input, p.encode.method) {
            (Input::Numeric { gaps }, _) => {
                let indicator = p.impute.indicator && *gaps;
                w.dense += 1 + usize::from(indicator);
                w.indicators += usize::from(indicator);
            }
            (Input::Text { .. }, EncodeMethod::Ordinal) => w.dense += 1,
            (Input::Text { categories }, EncodeMethod::OneHot) => {
                let columns = match p.encode.max_categories {
                    Some(m) if *categories > m => m,
                    _ => *categories,
                };
                w.blocks += 1;
                w.one_hot += columns;
                if w.widest.as_ref().is_none_or(|(_, most)| columns > *most) {
                    w.widest = Some((name.clone(), columns));
                }
            }
        }
    }
    w
}

/// The classes of a classification target, the clusters of a clustering, else 1.
fn classes(candidate: &Candidate, ds: &Dataset) -> u64 {
    match (&candidate.pipeline.model, &ds.target) {
        (ModelSpec::Kmeans(k), _) => k.n_clusters as u64,
        (_, Some(TargetData::Classes { classes, .. })) => classes.len() as u64,
        _ => 1,
    }
}

/// A design of `rows` rows: its dense columns, its one-hot slots, and for a model that reads every
/// column (`ModelSpec::reads_slots` false) the dense form of the one-hot columns.
fn design_parts(w: &Widths, rows: usize, dense_copy: bool) -> Vec<Part> {
    let rows = rows as u64;
    let mut parts = vec![Part {
        what: "the design's dense columns".into(),
        each: Product::new(&[(rows, "rows"), (w.dense as u64, "columns"), (8, "bytes")]),
    }];
    if w.blocks > 0 {
        parts.push(Part {
            what: "the design's one-hot slots".into(),
            each: Product::new(&[(rows, "rows"), (w.blocks as u64, "inputs"), (4, "bytes")]),
        });
        if dense_copy {
            parts.push(Part {
                what: "the dense form of the one-hot columns, for the models that read them".into(),
                each: Product::new(&[(rows, "rows"), (w.one_hot as u64, "columns"), (8, "bytes")]),
            });
        }
    }
    parts
}

/// The data as read, held for the whole run: 8 bytes a number, 4 a category code, 8 the target.
fn data_part(ds: &Dataset) -> Part {
    let row_bytes: u64 = ds
        .features
        .iter()
        .map(|c| match c.data {
            ColumnData::Numeric(_) => 8,
            ColumnData::Categorical { .. } => 4,
        })
        .sum::<u64>()
        + 8;
    Part {
        what: "the data as read".into(),
        each: Product::new(&[(ds.n_rows() as u64, "rows"), (row_bytes, "bytes")]),
    }
}

/// Adds the parts of `new` that `parts` does not hold yet (by what they are).
fn merge_new(parts: &mut Vec<Part>, new: Vec<Part>) {
    for p in new {
        if !parts.iter().any(|q| q.what == p.what) {
            parts.push(p);
        }
    }
}

/// Of the candidates' lists of parts, the one whose sum is largest: the candidate that needs the most.
fn largest(lists: impl Iterator<Item = Vec<Part>>) -> Vec<Part> {
    lists
        .max_by_key(|parts| parts.iter().map(|p| p.each.bytes()).sum::<u64>())
        .unwrap_or_default()
}

/// The estimate for a search of `candidates` on `ds`: the greater of the search's peak and the
/// refit's. The search holds one preprocessing's designs and shared matrices (Gram, sorted
/// columns) for every fold, and on more threads the next one's first folds; it runs one fit per
/// thread, and each fit's parallel tasks (trees) share the same threads. The refit holds one
/// design and one fit.
pub fn estimate(candidates: &[Candidate], ds: &Dataset, plan: &Plan) -> Estimate {
    let inputs = Inputs::of(ds);
    let sized: Vec<Sized> = candidates
        .iter()
        .map(|c| Sized {
            candidate: c,
            widths: widths(c, &inputs),
            classes: classes(c, ds),
        })
        .collect();
    let data = data_part(ds);
    let search = search_peak(&sized, &data, plan);
    let refit = refit_peak(&sized, &data, plan);
    let (phase, mut terms) = if total(&refit) > total(&search) {
        (Phase::Refit, refit)
    } else {
        (Phase::Search, search)
    };
    terms.retain(|t| t.bytes() > 0);
    terms.sort_by_key(|t| std::cmp::Reverse(t.bytes()));
    let design_bytes = total(
        &terms
            .iter()
            .filter(|t| t.design)
            .cloned()
            .collect::<Vec<_>>(),
    );
    let widest = sized
        .iter()
        .filter_map(|s| {
            let (name, columns) = s.widths.widest.clone()?;
            Some(WideColumn {
                name,
                columns: columns as u64,
                of: s.shape(0, 0).columns(),
            })
        })
        .max_by_key(|w| w.columns)
        .filter(|w| 2 * w.columns > w.of);
    Estimate {
        phase,
        bytes: total(&terms),
        terms,
        design_bytes,
        widest,
    }
}

/// A candidate with the sizes of its design.
struct Sized<'c> {
    candidate: &'c Candidate,
    widths: Widths,
    classes: u64,
}

impl Sized<'_> {
    /// Its fit on `n` rows, predicting `v`.
    fn shape(&self, n: usize, v: usize) -> Shape {
        let w = &self.widths;
        Shape {
            n: n as u64,
            v: v as u64,
            dense: w.dense as u64,
            indicators: w.indicators as u64,
            blocks: w.blocks as u64,
            one_hot: w.one_hot as u64,
            classes: self.classes,
        }
    }

    fn footprint(&self, n: usize, v: usize) -> Footprint {
        let p = &self.candidate.pipeline;
        footprint(&p.model, p.task, &self.shape(n, v))
    }

    /// Its design of `rows` rows, of which `scored` are only predicted: a model that reads its
    /// training design a column at a time holds the design of those alone.
    fn design(&self, rows: usize, scored: usize) -> Vec<Part> {
        let p = &self.candidate.pipeline;
        let held = if p.model.reads_columns() {
            scored
        } else {
            rows
        };
        design_parts(&self.widths, held, !p.model.reads_slots(p.task))
    }
}

fn total(terms: &[Term]) -> u64 {
    terms.iter().map(Term::bytes).fold(0, u64::saturating_add)
}

/// The search: per preprocessing, its designs and the matrices its candidates share, for each fold
/// held at once; the largest fit for each fit running at once; the largest task for each thread.
fn search_peak(sized: &[Sized], data: &Part, plan: &Plan) -> Vec<Term> {
    let fits_at_once = plan.threads.min(sized.len() * plan.folds).max(1) as u64;
    let threads = plan.threads.max(1) as u64;
    let mut keys: Vec<String> = Vec::new();
    let mut held: Vec<(Vec<Part>, Vec<Part>)> = Vec::new();
    for s in sized {
        let key = s.candidate.pipeline.preprocessing_key();
        let g = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
            keys.push(key);
            held.push((Vec::new(), Vec::new()));
            keys.len() - 1
        });
        merge_new(&mut held[g].0, s.design(plan.cv_rows, plan.fold_valid));
        let f = s.footprint(plan.fold_train, plan.fold_valid);
        merge_new(&mut held[g].1, f.shared);
    }
    // The executor runs the candidates of one preprocessing together; each of its folds' designs
    // is built once and dropped when the group's last candidate is done. At the peak one group's
    // designs are held for every fold and, on more threads, the next group's first folds as it
    // starts: the largest group for every fold, the next largest for the threads left.
    let group_bytes = |(d, s): &(Vec<Part>, Vec<Part>)| {
        d.iter()
            .chain(s)
            .map(|p| p.each.bytes())
            .fold(0, u64::saturating_add)
    };
    let mut order: Vec<usize> = (0..held.len()).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(group_bytes(&held[g])));
    let folds_held = |g: usize| match order.iter().position(|&o| o == g) {
        Some(0) => plan.folds.max(1) as u64,
        Some(1) => plan.threads.saturating_sub(1).min(plan.folds) as u64,
        _ => 0,
    };
    let mut terms = vec![Term::new(data.clone(), 1, "")];
    let many = held.len() > 1;
    for (i, (designs, shared)) in held.into_iter().enumerate() {
        let folds_at_once = folds_held(i);
        if folds_at_once == 0 {
            continue;
        }
        let name = |mut p: Part| {
            if many {
                p.what = format!("{} (preprocessing {})", p.what, i + 1);
            }
            p
        };
        terms.extend(
            designs
                .into_iter()
                .map(|p| Term::of_design(name(p), folds_at_once, "folds")),
        );
        terms.extend(
            shared
                .into_iter()
                .map(|p| Term::new(name(p), folds_at_once, "folds")),
        );
    }
    let footprints: Vec<Footprint> = sized
        .iter()
        .map(|s| s.footprint(plan.fold_train, plan.fold_valid))
        .collect();
    let per_fit = largest(footprints.iter().map(|f| f.fit.clone()));
    let per_task = largest(footprints.iter().map(|f| f.task.clone()));
    terms.extend(
        per_fit
            .into_iter()
            .map(|p| Term::new(p, fits_at_once, "fits")),
    );
    terms.extend(
        per_task
            .into_iter()
            .map(|p| Term::new(p, threads, "threads")),
    );
    terms
}

/// The refit of the candidate that would need the most: its design of every training row, its
/// shared matrices and its fit, its tasks on every thread, and the dense test rows it scores.
fn refit_peak(sized: &[Sized], data: &Part, plan: &Plan) -> Vec<Term> {
    let threads = plan.threads.max(1) as u64;
    let one = |s: &Sized| -> Vec<Term> {
        let f = s.footprint(plan.cv_rows, plan.test_rows);
        let test = Part {
            what: "the test rows, dense, as the refit model scores them".into(),
            each: Product::new(&[
                (plan.test_rows as u64, "rows"),
                (s.shape(0, 0).columns(), "columns"),
                (8, "bytes"),
            ]),
        };
        let mut terms = vec![Term::new(data.clone(), 1, "")];
        terms.extend(
            s.design(plan.cv_rows, 0)
                .into_iter()
                .chain([test])
                .map(|p| Term::of_design(p, 1, "")),
        );
        terms.extend(
            f.shared
                .into_iter()
                .chain(f.fit)
                .map(|p| Term::new(p, 1, "")),
        );
        terms.extend(f.task.into_iter().map(|p| Term::new(p, threads, "threads")));
        terms
    };
    sized
        .iter()
        .map(one)
        .max_by_key(|t| total(t))
        .unwrap_or_default()
}

/// Checks a prepared run against the budget (`flag`: `--memory-budget`; `threads`: the search's).
pub fn check_run(prepared: &Prepared, flag: Option<u64>, threads: usize) -> Result<()> {
    let longest = |rows: fn(&Split) -> usize| prepared.splits.iter().map(rows).max().unwrap_or(0);
    let plan = Plan {
        cv_rows: prepared.train_rows.len(),
        fold_train: longest(|s| s.train.len()),
        fold_valid: longest(|s| s.valid.len()),
        test_rows: prepared.test_rows.len(),
        folds: prepared.splits.len(),
        threads,
    };
    let need = estimate(&prepared.loaded.candidates, &prepared.dataset, &plan);
    check(&need, resolve(flag)?)
}

/// Terms named in the message refusing a run.
const SHOWN_TERMS: usize = 4;

/// Refuses an estimate over the budget, with both figures, the largest allocations and what to
/// change: the one-hot column that makes most of the columns, or the design, or the budget.
pub fn check(estimate: &Estimate, budget: Budget) -> Result<()> {
    if estimate.bytes <= budget.bytes {
        return Ok(());
    }
    let whose = match budget.source {
        BudgetSource::Flag => "--memory-budget".to_string(),
        BudgetSource::Env => ENV.to_string(),
        BudgetSource::Memory => "the default: 75% of this machine's memory".to_string(),
        BudgetSource::Fallback => "the default".to_string(),
    };
    let when = match estimate.phase {
        Phase::Search => "the search",
        Phase::Refit => "refitting the best candidate",
    };
    let mut msg = format!(
        "{when} would need about {} of memory at its peak, over the memory budget of {} ({whose}): \
         the design matrices would need about {}, the models' own working memory the rest. The \
         largest parts:",
        show_bytes(estimate.bytes),
        show_bytes(budget.bytes),
        show_bytes(estimate.design_bytes),
    );
    for t in estimate.terms.iter().take(SHOWN_TERMS) {
        msg.push_str(&format!("\n{}", t.line()));
    }
    msg.push('\n');
    if let Some(w) = &estimate.widest {
        msg.push_str(&format!(
            "`{}` alone makes {} of the {} design columns (one-hot encoding, a column per \
             category; nearly one per row is an ID): leave it out with `data.drop`, or set \
             `encode.max_categories`; ",
            w.name, w.columns, w.of
        ));
    } else {
        msg.push_str(
            "make the design smaller: fewer columns (`data.drop`, `encode.max_categories`), fewer \
             rows, or fewer preprocessing variants in the grid; ",
        );
    }
    msg.push_str(&format!(
        "or raise the budget with --memory-budget SIZE (as --memory-budget 16g) or {ENV}=SIZE"
    ));
    Err(KilnError::Data(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_three_quarters_of_memtotal() {
        let meminfo = "MemTotal:       16384000 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(meminfo), Some(16_384_000 * 1024));
        let b = default_budget(Some(meminfo));
        assert_eq!(b.bytes, 16_384_000 * 1024 / 4 * 3);
        assert_eq!(b.source, BudgetSource::Memory);
        let b = default_budget(None);
        assert_eq!((b.bytes, b.source), (FALLBACK, BudgetSource::Fallback));
        assert_eq!(default_budget(Some("garbage")).bytes, FALLBACK);
    }

    #[test]
    fn the_flag_comes_first() {
        let b = resolve(Some(1 << 20)).unwrap();
        assert_eq!((b.bytes, b.source), (1 << 20, BudgetSource::Flag));
    }

    /// A dataset of `n` rows: a numeric column `x` (its first value missing) and a text column `c`
    /// of `categories` categories (row 3's missing).
    fn dataset(n: usize, categories: usize) -> Dataset {
        use crate::data::{encode_text, Column};
        let text: Vec<Option<String>> = (0..n)
            .map(|i| (i != 3).then(|| format!("c{}", i % categories)))
            .collect();
        let (codes, dictionary) = encode_text(&text);
        Dataset {
            features: vec![
                Column {
                    name: "x".into(),
                    data: ColumnData::Numeric(
                        (0..n)
                            .map(|i| if i == 0 { f64::NAN } else { i as f64 })
                            .collect(),
                    ),
                },
                Column {
                    name: "c".into(),
                    data: ColumnData::Categorical { codes, dictionary },
                },
            ],
            target: None,
            fold_ids: None,
            groups: None,
            time_ranks: None,
            weights: None,
            file_rows: n,
            file_columns: 2,
            dropped_missing_target: 0,
            dropped_missing_features: 0,
            warnings: Vec::new(),
            content_hash: String::new(),
        }
    }

    fn candidates(text: &str) -> Vec<Candidate> {
        crate::config::load_str(std::path::Path::new("p.toml"), text.into(), &[])
            .unwrap()
            .candidates
    }

    /// 5 folds of `rows` rows on `threads` threads, no holdout.
    fn plan(rows: usize, threads: usize) -> Plan {
        Plan {
            cv_rows: rows,
            fold_train: rows - rows / 5,
            fold_valid: rows / 5,
            test_rows: 0,
            folds: 5,
            threads,
        }
    }

    fn term<'e>(e: &'e Estimate, what: &str) -> &'e Term {
        e.terms
            .iter()
            .find(|t| t.what.contains(what))
            .unwrap_or_else(|| panic!("no `{what}` in {:#?}", e.terms))
    }

    #[test]
    fn a_product_shows_the_arithmetic_of_its_bytes() {
        let p = Product::new(&[(3001, ""), (3001, "columns"), (8, "bytes")]);
        assert_eq!(p.text(), "3001 x 3001 columns x 8 bytes");
        assert_eq!(p.bytes(), 3001 * 3001 * 8);
        let t = Term::new(
            Part {
                what: "XᵀX".into(),
                each: p,
            },
            2,
            "folds",
        );
        assert_eq!(t.bytes(), 2 * 3001 * 3001 * 8);
        assert_eq!(
            t.line(),
            " 137.4 MiB  XᵀX: 3001 x 3001 columns x 8 bytes, for each of 2 folds at once"
        );
        assert_eq!(
            Product::new(&[(u64::MAX, ""), (8, "bytes")]).bytes(),
            u64::MAX
        );
        let one_block = Product::new(&[(1, "row blocks"), (5, ""), (5, "columns"), (8, "bytes")]);
        assert_eq!(one_block.text(), "5 x 5 columns x 8 bytes");
    }

    #[test]
    fn the_linear_models_gram_matrix_is_counted_and_named_with_the_column_that_makes_it() {
        // An ID-like column: 3000 categories in 3000 rows, one-hot encoded for ridge.
        let ds = dataset(3000, 3000);
        let ridge = candidates(
            "[pipeline]\ntask = 'regression'\n[data]\npath = 'x.csv'\ntarget = 'y'\n\
             [model]\ntype = 'ridge'\n[grid]\nmodel.alpha = [0.1, 1.0]\n",
        );
        let e = estimate(&ridge, &ds, &plan(3000, 2));
        // x, and c's 2999 categories + the filled gap: 3001 columns.
        let gram = term(&e, "Gram matrix of the centred columns");
        assert_eq!(gram.each.bytes(), 3001 * 3001 * 8);
        assert_eq!(gram.times, (5, "folds"));
        // The Gram pass's partial sums (1 row block of 2400 rows), ridge's two copies: per fit.
        let partial = term(&e, "partial sums of the sparse");
        assert_eq!(partial.each.bytes(), 3000 * 3000 * 8);
        let solver = term(&e, "Cholesky");
        assert_eq!(solver.each.bytes(), 2 * 3001 * 3001 * 8);
        assert_eq!(solver.times, (2, "fits"));
        assert_eq!(e.phase, Phase::Search);
        assert!(e.bytes > 8 * 3001 * 3001 * 8, "{}", e.bytes);
        assert_eq!(e.bytes, e.terms.iter().map(Term::bytes).sum::<u64>());
        // The designs are a small part of it: 3000 rows x (1 dense column x 8 + 1 slot x 4) x 5.
        assert_eq!(e.design_bytes, 3000 * 12 * 5);
        let c = e.widest.as_ref().unwrap();
        assert_eq!((c.name.as_str(), c.columns, c.of), ("c", 3000, 3001));
        // Ordinal encoding makes one column of it: no Gram matrix to speak of.
        let ordinal = candidates(
            "[pipeline]\ntask = 'regression'\n[data]\npath = 'x.csv'\ntarget = 'y'\n\
             [model]\ntype = 'ridge'\n[encode]\nmethod = 'ordinal'\n",
        );
        let small = estimate(&ordinal, &ds, &plan(3000, 2));
        assert_eq!(term(&small, "Gram").each.bytes(), 2 * 2 * 8);
        assert!(small.widest.is_none());
    }

    #[test]
    fn over_budget_names_the_estimate_its_largest_parts_and_the_way_out() {
        let ds = dataset(3000, 3000);
        let ridge = candidates(
            "[pipeline]\ntask = 'regression'\n[data]\npath = 'x.csv'\ntarget = 'y'\n\
             [model]\ntype = 'ridge'\n",
        );
        let e = estimate(&ridge, &ds, &plan(3000, 2));
        let small = Budget {
            bytes: 1 << 20,
            source: BudgetSource::Flag,
        };
        let msg = check(&e, small).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "the search would need about {} of memory at its peak, over the memory budget \
                 of 1.0 MiB (--memory-budget): the design matrices would need about 175.8 KiB",
                show_bytes(e.bytes)
            )),
            "{msg}"
        );
        // The largest part first, with its arithmetic.
        assert!(
            msg.contains(
                "274.8 MiB  ridge's XᵀX + alpha I and its Cholesky factor: 2 matrices x 3001 x \
                 3001 columns x 8 bytes, for each of 2 fits at once"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("`c` alone makes 3000 of the 3001 design columns"),
            "{msg}"
        );
        assert!(msg.contains("`data.drop`"), "{msg}");
        assert!(msg.contains("--memory-budget 16g"), "{msg}");
        assert!(msg.contains("KILN_MEMORY_BUDGET=SIZE"), "{msg}");
        let big = Budget {
            bytes: 1 << 30,
            source: BudgetSource::Memory,
        };
        assert!(check(&e, big).is_ok());
        assert_eq!(show_bytes(100), "100 bytes");
        assert_eq!(show_bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn estimate_counts_designs_per_preprocessing_and_fold() {
        let ds = dataset(10, 4);
        let kmeans = candidates(
            "[pipeline]\ntask = 'clustering'\n[data]\npath = 'x.csv'\n[model]\ntype = 'kmeans'\n\
             [impute]\nindicator = true\n[grid]\nencode.method = ['one_hot', 'ordinal']\n\
             model.n_clusters = [2, 3]\n",
        );
        // one_hot: x, x__missing, 4 categories + the fill = 7; ordinal: x, x__missing, c = 3.
        assert_eq!(output_columns(&kmeans[0], &ds), 7);
        assert_eq!(output_columns(&kmeans[2], &ds), 3);
        let designs = |e: &Estimate| -> Vec<(u64, u64)> {
            e.terms
                .iter()
                .filter(|t| t.design)
                .map(|t| (t.each.bytes(), t.times.0))
                .collect()
        };
        let e = estimate(&kmeans, &ds, &plan(8, 4));
        // kmeans reads the dense matrix: under one_hot the dense columns (8 bytes each), the slot
        // (4) and the dense copy of the 5 one-hot columns, the larger group, for each of the 5
        // folds; ordinal, 3 columns at 8 bytes, for the first 3 folds the other threads start.
        let mut d = designs(&e);
        d.sort();
        assert_eq!(
            d,
            [(8 * 4, 5), (8 * 2 * 8, 5), (8 * 3 * 8, 3), (8 * 5 * 8, 5)]
        );
        assert_eq!(e.design_bytes, 5 * 8 * (4 + 2 * 8 + 5 * 8) + 3 * 8 * 3 * 8);
        // A tree reads the one-hot slots: no dense copy.
        let trees = candidates(
            "[pipeline]\ntask = 'regression'\n[data]\npath = 'x.csv'\ntarget = 'y'\n\
             [model]\ntype = 'decision_tree'\n[impute]\nindicator = true\n[grid]\n\
             encode.method = ['one_hot', 'ordinal']\nmodel.max_depth = [2, 3]\n",
        );
        let e = estimate(&trees, &ds, &plan(8, 4));
        // Here the ordinal group is the larger: 3 dense columns against 2 and a slot.
        assert_eq!(e.design_bytes, 5 * 8 * 3 * 8 + 3 * 8 * (2 * 8 + 4));
        assert!(term(&e, "sorted columns of the tree models").bytes() > 0);
        // One thread: one group at a time, for every fold.
        let e = estimate(&kmeans, &ds, &plan(8, 1));
        let mut d = designs(&e);
        d.sort();
        assert_eq!(d, [(8 * 4, 5), (8 * 2 * 8, 5), (8 * 5 * 8, 5)]);
    }

    /// hist_gradient_boosting reads its training design a column at a time: a fold holds the
    /// design of its validation rows alone, and the refit none (it has no test rows here).
    #[test]
    fn a_model_that_reads_columns_holds_only_the_validation_rows_design() {
        let ds = dataset(10, 4);
        let hist = candidates(
            "[pipeline]\ntask = 'regression'\n[data]\npath = 'x.csv'\ntarget = 'y'\n\
             [model]\ntype = 'hist_gradient_boosting'\n[impute]\nindicator = true\n",
        );
        // 10 rows in 5 folds: 2 validation rows a fold, 2 dense columns at 8 bytes and a slot.
        let e = estimate(&hist, &ds, &plan(10, 1));
        assert_eq!(e.design_bytes, 5 * 2 * (2 * 8 + 4));
        assert!(term(&e, "binned design").bytes() > 0);
    }
}
