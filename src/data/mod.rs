//! The data as the pipeline sees it: read with polars, derived columns added through polars SQL,
//! then split into column roles (features, target, folds, groups) and converted to the plain vectors
//! the numeric core works on: numbers as f64 (NaN = missing), categories as codes into a sorted
//! dictionary.

pub mod read;

use crate::config::source::Source;
use crate::config::{CategoricalImpute, NumericImpute, Pipeline};
use crate::error::{did_you_mean, printable, KilnError, Result};
use crate::models::Task;
use polars::prelude::*;
use polars::sql::SQLContext;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub use read::{file_hash, read_frame, TextOptions};

/// Code of a missing category.
pub const MISSING_CODE: u32 = u32::MAX;

/// A feature column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// NaN marks a missing value.
    Numeric(Vec<f64>),
    /// Codes into `dictionary` (sorted), `MISSING_CODE` for missing.
    Categorical {
        codes: Vec<u32>,
        dictionary: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
}

impl Column {
    pub fn kind(&self) -> ColumnKind {
        match self.data {
            ColumnData::Numeric(_) => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row i is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match &self.data {
            ColumnData::Numeric(v) => v[i].is_nan(),
            ColumnData::Categorical { codes, .. } => codes[i] == MISSING_CODE,
        }
    }

    fn keep_rows(&mut self, keep: &[bool]) {
        match &mut self.data {
            ColumnData::Numeric(v) => *v = filter(v, keep),
            ColumnData::Categorical { codes, .. } => *codes = filter(codes, keep),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

/// The target, ready for models.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetData {
    Values(Vec<f64>),
    /// Class indices into `classes` (sorted: numerically when every label is a number).
    Classes {
        labels: Vec<usize>,
        classes: Vec<String>,
    },
}

/// A loaded dataset: features, target and the CV helper columns, all of one length.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub features: Vec<Column>,
    pub target: Option<TargetData>,
    pub fold_ids: Option<Vec<i64>>,
    pub groups: Option<Vec<String>>,
    /// Rows and columns of the file as read (before derived columns and row drops).
    pub file_rows: usize,
    pub file_columns: usize,
    /// Rows left out because their target was missing.
    pub dropped_missing_target: usize,
    /// Rows left out by `impute.* = "drop"`.
    pub dropped_missing_features: usize,
    /// Things worth telling the user (all-null columns left out, ...).
    pub warnings: Vec<String>,
}

impl Dataset {
    pub fn n_rows(&self) -> usize {
        self.features
            .first()
            .map(|c| c.len())
            .or(match &self.target {
                Some(TargetData::Values(v)) => Some(v.len()),
                Some(TargetData::Classes { labels, .. }) => Some(labels.len()),
                None => None,
            })
            .unwrap_or(0)
    }
}

/// Formats a number the way labels and categories are compared: integers without a decimal point.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn filter<T: Copy>(v: &[T], keep: &[bool]) -> Vec<T> {
    v.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect()
}

/// Adds `[[data.derive]]` columns, one at a time so later ones may use earlier ones.
pub fn derive_columns(
    df: DataFrame,
    pipeline: &Pipeline,
    source: Option<&Source>,
) -> Result<DataFrame> {
    let mut df = df;
    for (i, d) in pipeline.data.derive.iter().enumerate() {
        let mut ctx = SQLContext::new();
        ctx.register("data", df.clone().lazy());
        let query = format!(
            "SELECT *, {} AS \"{}\" FROM data",
            d.expr,
            d.name.replace('"', "\"\"")
        );
        let result = ctx.execute(&query).and_then(|lf| lf.collect());
        df = result.map_err(|e| {
            let msg = format!("derived column `{}` (expr `{}`): {e}", d.name, d.expr);
            KilnError::Config(match source {
                Some(s) => s.error_at(
                    &["data".into(), "derive".into(), i.to_string(), "expr".into()],
                    &msg,
                ),
                None => msg,
            })
        })?;
    }
    Ok(df)
}

/// Reads the pipeline's data and gives every column its role.
pub fn load(pipeline: &Pipeline, source: Option<&Source>) -> Result<Dataset> {
    let opts = TextOptions {
        null_values: pipeline.data.null_values.clone(),
        separator: pipeline.data.separator.as_ref().map(|s| s.as_bytes()[0]),
    };
    // A file that is not there, or not a file, is the pipeline's `data.path` line that is wrong.
    read::check_readable_file(&pipeline.data_path).map_err(|e| match (source, e) {
        (Some(s), KilnError::Data(m)) => {
            KilnError::Data(s.error_at(&["data".into(), "path".into()], &m))
        }
        (_, e) => e,
    })?;
    let df = read_frame(&pipeline.data_path, &opts)?;
    let file_rows = df.height();
    let file_columns = df.width();
    if file_rows == 0 {
        return Err(KilnError::Data(format!(
            "data file {} has a header but no rows",
            pipeline.data_path.display()
        )));
    }
    let df = derive_columns(df, pipeline, source)?;
    let file = pipeline.data_path.display().to_string();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let locate = |key: &[&str], msg: String| -> KilnError {
        KilnError::Config(match source {
            Some(s) => s.error_at(&key.iter().map(|k| k.to_string()).collect::<Vec<_>>(), &msg),
            None => msg,
        })
    };
    let hint = separator_hint(&names, pipeline);
    let require = |col: &str, key: &[&str]| -> Result<()> {
        if names.iter().any(|n| n == col) {
            Ok(())
        } else {
            Err(locate(
                key,
                format!(
                    "column `{}` (`{}`) is not in {file}{}; its columns: {}{}",
                    printable(col),
                    key.join("."),
                    did_you_mean(col, names.iter().map(|s| s.as_str())),
                    preview(&names),
                    hint.as_deref().map_or(String::new(), |h| format!("; {h}"))
                ),
            ))
        }
    };
    let data = &pipeline.data;
    if let Some(t) = &data.target {
        require(t, &["data", "target"])?;
    }
    for c in &data.drop {
        require(c, &["data", "drop"])?;
    }
    for c in &data.categorical {
        require(c, &["data", "categorical"])?;
    }
    if let Some(c) = &pipeline.cv.fold_column {
        require(c, &["cv", "fold_column"])?;
    }
    if let Some(c) = &pipeline.cv.group_column {
        require(c, &["cv", "group_column"])?;
    }
    // polars reads a repeated header `x` as `x_duplicated_0`; two columns of one name are ambiguous.
    for n in &names {
        if let Some((orig, k)) = n.rsplit_once("_duplicated_") {
            if k.parse::<usize>().is_ok() && names.iter().any(|m| m == orig) {
                return Err(KilnError::Data(format!(
                    "{file}: the column name `{}` appears more than once in the header",
                    printable(orig)
                )));
            }
        }
    }
    let feature_names: Vec<String> = match &data.features {
        Some(list) => {
            for c in list {
                require(c, &["data", "features"])?;
            }
            list.clone()
        }
        None => names
            .iter()
            .filter(|n| {
                Some(*n) != data.target.as_ref()
                    && !data.drop.contains(n)
                    && Some(*n) != pipeline.cv.fold_column.as_ref()
                    && Some(*n) != pipeline.cv.group_column.as_ref()
            })
            .cloned()
            .collect(),
    };
    let mut warnings: Vec<String> = hint.iter().cloned().collect();
    let mut features = Vec::new();
    for name in &feature_names {
        let series = df
            .column(name)
            .map_err(|e| KilnError::Data(format!("{file}: {e}")))?
            .as_materialized_series()
            .clone();
        let as_category = data.categorical.contains(name);
        let column = to_column(name, &series, as_category, &file)?;
        if (0..column.len()).all(|i| column.is_missing(i)) {
            warnings.push(format!(
                "column `{}` has no values in {file}: left out",
                printable(name)
            ));
            continue;
        }
        warnings.extend(unusual_column(&column, &series, pipeline, &file));
        features.push(column);
    }
    if features.is_empty() {
        return Err(locate(
            &["data"],
            format!(
                "no feature columns left in {file}: check `data.features` and `data.drop`{}",
                hint.as_deref().map_or(String::new(), |h| format!("; {h}"))
            ),
        ));
    }
    let n = df.height();
    let mut keep = vec![true; n];
    let mut target = None;
    let mut dropped_missing_target = 0;
    if let Some(t) = &data.target {
        let series = df
            .column(t)
            .map_err(|e| KilnError::Data(format!("{file}: {e}")))?
            .as_materialized_series()
            .clone();
        let (td, missing) = to_target(t, &series, pipeline.task, &file)?;
        warnings.extend(numbers_as_classes(t, &series, &td, &file));
        for (k, m) in keep.iter_mut().zip(&missing) {
            if *m {
                *k = false;
                dropped_missing_target += 1;
            }
        }
        target = Some(td);
    }
    let fold_ids = match &pipeline.cv.fold_column {
        Some(c) => Some(fold_column(c, &df, &file)?),
        None => None,
    };
    let groups = match &pipeline.cv.group_column {
        Some(c) => {
            let s = df
                .column(c)
                .map_err(|e| KilnError::Data(format!("{file}: {e}")))?
                .as_materialized_series()
                .clone();
            Some(
                text_values(&s)
                    .into_iter()
                    .map(|v| v.unwrap_or_default())
                    .collect(),
            )
        }
        None => None,
    };
    // impute = "drop" / "error" act on the data as read: rows with a missing value of that kind are
    // left out, or the run stops naming the first one.
    let mut dropped_missing_features = 0;
    for col in &features {
        let policy_drop = match col.kind() {
            ColumnKind::Numeric => match pipeline.impute.numeric {
                NumericImpute::Drop => Some(true),
                NumericImpute::Error => Some(false),
                _ => None,
            },
            ColumnKind::Categorical => match pipeline.impute.categorical {
                CategoricalImpute::Drop => Some(true),
                CategoricalImpute::Error => Some(false),
                _ => None,
            },
        };
        let Some(drop) = policy_drop else { continue };
        for i in 0..n {
            if keep[i] && col.is_missing(i) {
                if drop {
                    keep[i] = false;
                    dropped_missing_features += 1;
                } else {
                    return Err(KilnError::Data(format!(
                        "{file}: column `{}` is missing a value at row {} and impute says \"error\"; \
                         choose another [impute] strategy or fix the data",
                        col.name,
                        i + 1
                    )));
                }
            }
        }
    }
    if keep.iter().any(|k| !k) {
        for c in &mut features {
            c.keep_rows(&keep);
        }
        target = target.map(|t| match t {
            TargetData::Values(v) => TargetData::Values(filter(&v, &keep)),
            TargetData::Classes { labels, classes } => {
                let labels = filter(&labels, &keep);
                // Classes that only occurred on dropped rows are gone.
                remap_classes(labels, classes)
            }
        });
        let fold_ids = fold_ids.map(|f| filter(&f, &keep));
        let groups = groups.map(|g: Vec<String>| {
            g.into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(g, _)| g)
                .collect()
        });
        return finish(
            Dataset {
                features,
                target,
                fold_ids,
                groups,
                file_rows,
                file_columns,
                dropped_missing_target,
                dropped_missing_features,
                warnings,
            },
            &file,
        );
    }
    finish(
        Dataset {
            features,
            target,
            fold_ids,
            groups,
            file_rows,
            file_columns,
            dropped_missing_target,
            dropped_missing_features,
            warnings,
        },
        &file,
    )
}

/// The separators a csv file commonly uses, and what `data.separator` calls them.
const SEPARATORS: &[(char, &str)] = &[(',', ","), (';', ";"), ('\t', "\\t"), ('|', "|")];

/// When a csv file read with the default separator has one column whose name holds another common
/// separator (a `;`-separated file read as `,`), what to set instead.
fn separator_hint(names: &[String], p: &Pipeline) -> Option<String> {
    let ext = p.data_path.extension()?.to_string_lossy().to_lowercase();
    let default = match ext.as_str() {
        "csv" => ',',
        "tsv" => '\t',
        _ => return None,
    };
    let [only] = names else { return None };
    if p.data.separator.is_some() {
        return None;
    }
    let (_, name) = SEPARATORS
        .iter()
        .filter(|(c, _)| *c != default)
        .max_by_key(|(c, _)| only.matches(*c).count())
        .filter(|(c, _)| only.contains(*c))?;
    Some(format!(
        "the header reads as one column, `{}`: if the file is `{name}`-separated, set \
         `data.separator = \"{name}\"`",
        printable(only)
    ))
}

/// A classification target of numbers with more distinct values than this gets a warning.
pub const MANY_NUMERIC_CLASSES: usize = 100;

/// A classification target that holds many distinct numbers is most likely a quantity: each value
/// becomes a class of its own.
fn numbers_as_classes(
    name: &str,
    series: &Series,
    target: &TargetData,
    file: &str,
) -> Option<String> {
    let TargetData::Classes { classes, .. } = target else {
        return None;
    };
    (numeric_values(series).is_some() && classes.len() > MANY_NUMERIC_CLASSES).then(|| {
        format!(
            "target `{}` holds {} distinct numbers in {file}: classification makes each one a \
             class; if it is a quantity, set `pipeline.task = \"regression\"`",
            printable(name),
            classes.len()
        )
    })
}

/// A categorical column with more distinct values than this gets a warning under one-hot encoding.
pub const MANY_CATEGORIES: usize = 1000;

/// Warnings about a feature column that is usable but probably not what the user meant: NaN values
/// in the file (read as missing, so imputed), or so many categories that one-hot encoding makes a
/// column of each (an identifier, most likely).
fn unusual_column(column: &Column, series: &Series, p: &Pipeline, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    match &column.data {
        ColumnData::Numeric(v) => {
            let nan = v
                .iter()
                .filter(|x| x.is_nan())
                .count()
                .saturating_sub(series.null_count());
            if nan > 0 {
                let nulls = series.is_null();
                let first = (0..v.len()).find(|&i| v[i].is_nan() && nulls.get(i) == Some(false));
                out.push(format!(
                    "column `{}` holds {nan} NaN value(s) in {file}{}: read as missing, so \
                     [impute] fills them",
                    printable(&column.name),
                    first.map_or(String::new(), |i| format!(" (first at row {})", i + 1))
                ));
            }
        }
        ColumnData::Categorical { dictionary, .. } => {
            let capped = p
                .encode
                .max_categories
                .is_some_and(|m| m <= MANY_CATEGORIES);
            if dictionary.len() > MANY_CATEGORIES
                && p.encode.method == crate::config::EncodeMethod::OneHot
                && !capped
            {
                out.push(format!(
                    "column `{}` has {} distinct values in {} rows of {file}: one-hot encoding \
                     makes a column of each; if it is an identifier, list it in `data.drop`, \
                     else set `encode.max_categories` or `encode.method = \"ordinal\"`",
                    printable(&column.name),
                    dictionary.len(),
                    column.len()
                ));
            }
        }
    }
    out
}

fn finish(ds: Dataset, file: &str) -> Result<Dataset> {
    if ds.n_rows() == 0 {
        return Err(KilnError::Data(format!(
            "{file}: no rows left after leaving out rows with missing values"
        )));
    }
    if let Some(TargetData::Classes { classes, .. }) = &ds.target {
        if classes.len() < 2 {
            return Err(KilnError::Data(format!(
                "{file}: the target has a single class ({}); classification needs at least two",
                printable(classes.first().map(String::as_str).unwrap_or("none"))
            )));
        }
    }
    Ok(ds)
}

fn remap_classes(labels: Vec<usize>, classes: Vec<String>) -> TargetData {
    let mut used = vec![false; classes.len()];
    for l in &labels {
        used[*l] = true;
    }
    let mut new_index = vec![usize::MAX; classes.len()];
    let mut kept = Vec::new();
    for (i, c) in classes.into_iter().enumerate() {
        if used[i] {
            new_index[i] = kept.len();
            kept.push(c);
        }
    }
    TargetData::Classes {
        labels: labels.into_iter().map(|l| new_index[l]).collect(),
        classes: kept,
    }
}

/// The first dozen names, quoted, for an error message; the count when there are more.
pub(crate) fn preview<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 12;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{}`", printable(n.as_ref())))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(", ... ({} in all)", names.len()));
    }
    s
}

fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric() || matches!(dtype, DataType::Boolean)
}

/// A series as f64 with NaN for missing; `None` when it is not numeric.
pub fn numeric_values(series: &Series) -> Option<Vec<f64>> {
    if !is_numeric(series.dtype()) {
        return None;
    }
    let s = series.cast(&DataType::Float64).ok()?;
    let ca = s.f64().ok()?;
    Some(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A series as text (numbers formatted as labels are), `None` for missing.
pub fn text_values(series: &Series) -> Vec<Option<String>> {
    if let Some(nums) = numeric_values(series) {
        return nums
            .into_iter()
            .map(|v| {
                if v.is_nan() {
                    None
                } else {
                    Some(format_number(v))
                }
            })
            .collect();
    }
    match series.cast(&DataType::String) {
        Ok(s) => match s.str() {
            Ok(ca) => ca.iter().map(|v| v.map(str::to_string)).collect(),
            Err(_) => vec![None; series.len()],
        },
        Err(_) => vec![None; series.len()],
    }
}

/// Sorts labels or categories: numerically when every one is a number, else as text.
pub fn sort_labels(values: &mut [String]) {
    let numeric: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    match numeric {
        Some(_) => values.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
        }),
        None => values.sort(),
    }
}

/// Codes into a sorted dictionary of the distinct values.
pub fn encode_text(values: &[Option<String>]) -> (Vec<u32>, Vec<String>) {
    // One value (a 1-row request to kiln serve, once per text column): nothing to sort or index.
    if let [one] = values {
        return match one {
            Some(s) => (vec![0], vec![s.clone()]),
            None => (vec![MISSING_CODE], Vec::new()),
        };
    }
    // Codes in order of first appearance through a hash map, then renumbered to the sorted order:
    // one hash lookup per value, where a sorted map would compare strings log n times.
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    let first_codes: Vec<u32> = values
        .iter()
        .map(|v| match v.as_deref() {
            None => MISSING_CODE,
            Some(s) => *seen.entry(s).or_insert_with(|| {
                distinct.push(s);
                distinct.len() as u32 - 1
            }),
        })
        .collect();
    // Sorted as text first, so labels equal as numbers ("1", "1.0") keep one order.
    let mut dictionary: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
    dictionary.sort();
    sort_labels(&mut dictionary);
    let sorted_code: HashMap<&str, u32> = dictionary
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    let renumber: Vec<u32> = distinct.iter().map(|s| sorted_code[s]).collect();
    let codes = first_codes
        .into_iter()
        .map(|c| {
            if c == MISSING_CODE {
                MISSING_CODE
            } else {
                renumber[c as usize]
            }
        })
        .collect();
    (codes, dictionary)
}

fn to_column(name: &str, series: &Series, as_category: bool, file: &str) -> Result<Column> {
    let shown = printable(name);
    if !as_category {
        if let Some(values) = numeric_values(series) {
            if let Some(i) = values.iter().position(|v| v.is_infinite()) {
                return Err(KilnError::Data(format!(
                    "{file}: column `{shown}` has an infinite value at row {}; fix the data or leave the column out",
                    i + 1
                )));
            }
            return Ok(Column {
                name: name.to_string(),
                data: ColumnData::Numeric(values),
            });
        }
        if !matches!(series.dtype(), DataType::String) {
            return Err(KilnError::Data(format!(
                "{file}: column `{shown}` has type {} that kiln cannot use as a feature; \
                 derive a number from it with [[data.derive]] or list it in `data.drop`",
                series.dtype()
            )));
        }
    }
    let (codes, dictionary) = encode_text(&text_values(series));
    Ok(Column {
        name: name.to_string(),
        data: ColumnData::Categorical { codes, dictionary },
    })
}

/// The target column: numbers for regression, sorted text labels for classification; and which rows
/// are missing it.
fn to_target(
    name: &str,
    series: &Series,
    task: Task,
    file: &str,
) -> Result<(TargetData, Vec<bool>)> {
    // Every cell empty: polars reads such a column as text, which is not what is wrong with it.
    if series.null_count() == series.len() {
        return Err(KilnError::Data(format!(
            "{file}: target `{name}` has no values: every row is empty"
        )));
    }
    match task {
        Task::Regression => {
            let Some(values) = numeric_values(series) else {
                let first = text_values(series)
                    .into_iter()
                    .enumerate()
                    .find_map(|(i, v)| {
                        v.filter(|v| v.trim().parse::<f64>().is_err())
                            .map(|v| (i, v))
                    });
                return Err(KilnError::Data(format!(
                    "{file}: target `{name}` is text{}, but regression needs numbers; \
                     set `pipeline.task = \"classification\"` or choose a numeric target",
                    first
                        .map(|(i, v)| format!(" (row {}: \"{}\")", i + 1, printable(&v)))
                        .unwrap_or_default()
                )));
            };
            if let Some(i) = values.iter().position(|v| v.is_infinite()) {
                return Err(KilnError::Data(format!(
                    "{file}: target `{name}` is infinite at row {}",
                    i + 1
                )));
            }
            let missing = values.iter().map(|v| v.is_nan()).collect();
            Ok((TargetData::Values(values), missing))
        }
        _ => {
            let text = text_values(series);
            let missing = text.iter().map(|v| v.is_none()).collect();
            let (codes, classes) = encode_text(&text);
            let labels = codes
                .into_iter()
                .map(|c| if c == MISSING_CODE { 0 } else { c as usize })
                .collect();
            Ok((TargetData::Classes { labels, classes }, missing))
        }
    }
}

fn fold_column(name: &str, df: &DataFrame, file: &str) -> Result<Vec<i64>> {
    let s = df
        .column(name)
        .map_err(|e| KilnError::Data(format!("{file}: {e}")))?;
    let values = numeric_values(s.as_materialized_series()).ok_or_else(|| {
        KilnError::Data(format!(
            "{file}: fold column `{name}` must hold whole numbers, found {}",
            s.dtype()
        ))
    })?;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.is_nan() || v.fract() != 0.0 {
                Err(KilnError::Data(format!(
                    "{file}: fold column `{name}` must hold whole numbers; row {} has {}",
                    i + 1,
                    if v.is_nan() {
                        "no value".to_string()
                    } else {
                        v.to_string()
                    }
                )))
            } else {
                Ok(*v as i64)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sort_numerically_when_they_are_numbers() {
        let mut v = vec!["10".to_string(), "9".into(), "1".into()];
        sort_labels(&mut v);
        assert_eq!(v, ["1", "9", "10"]);
        let mut t = vec!["b".to_string(), "B".into(), "a".into()];
        sort_labels(&mut t);
        assert_eq!(t, ["B", "a", "b"]);
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(2.5), "2.5");
    }

    #[test]
    fn text_codes_follow_the_sorted_dictionary() {
        let (codes, dict) =
            encode_text(&[Some("b".into()), None, Some("a".into()), Some("b".into())]);
        assert_eq!(dict, ["a", "b"]);
        assert_eq!(codes, [1, MISSING_CODE, 0, 1]);
        // A single value takes a shortcut with the same result.
        assert_eq!(
            encode_text(&[Some("b".into())]),
            (vec![0], vec!["b".into()])
        );
        assert_eq!(encode_text(&[None]), (vec![MISSING_CODE], vec![]));
        assert_eq!(encode_text(&[]), (vec![], vec![]));
    }

    #[test]
    fn content_hash_is_stable() {
        assert_eq!(read::content_hash(b"kiln"), read::content_hash(b"kiln"));
        assert_ne!(read::content_hash(b"kiln"), read::content_hash(b"kilm"));
    }
}
