//! `load`: the pipeline's data read, derived columns added through polars SQL, rows without a target
//! left out, and every column given its role (features, target, folds, groups), with the warnings
//! about columns that look wrong.

use super::convert::{fold_column, to_column, to_target};
use super::{
    filter, numeric_values, preview, read, text_values, Column, ColumnData, ColumnKind, Dataset,
    SpillFile, TargetData, TextOptions,
};
use crate::config::source::Source;
use crate::config::{CategoricalImpute, NumericImpute, Pipeline};
use crate::error::{did_you_mean, printable, KilnError, Result};
use polars::prelude::*;
use polars::sql::SQLContext;
use rayon::prelude::*;

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
    load_spilling(pipeline, source, None)
}

/// As [`load`]; when the feature columns hold at least `spill_above` bytes as f64, each numeric
/// one is moved to a temporary file as soon as it is converted (see [`super::Numbers`]), so the
/// load never holds them all. A file that cannot be written keeps them in memory, with a warning.
pub fn load_spilling(
    pipeline: &Pipeline,
    source: Option<&Source>,
    spill_above: Option<u64>,
) -> Result<Dataset> {
    // With the features listed and nothing derived, the columns the run reads are known.
    let data = &pipeline.data;
    let columns = match (&data.features, data.derive.is_empty()) {
        (Some(features), true) => Some(
            features
                .iter()
                .chain(&data.target)
                .chain(&data.categorical)
                // Not read, but checked to be in the file (a drop list is written for it).
                .chain(&data.drop)
                .chain(&pipeline.cv.fold_column)
                .chain(&pipeline.cv.group_column)
                .chain(&pipeline.cv.order_by)
                .chain(&data.weight)
                .cloned()
                .collect(),
        ),
        _ => None,
    };
    // A parquet file's feature columns are decoded one at a time as they are converted, unless
    // derived columns need the whole frame; the frame holds the columns read after the features.
    let decode_now = data.derive.is_empty().then(|| {
        data.target
            .iter()
            .chain(&pipeline.cv.fold_column)
            .chain(&pipeline.cv.group_column)
            .chain(&pipeline.cv.order_by)
            .chain(&data.weight)
            .cloned()
            .collect()
    });
    let opts = TextOptions {
        null_values: data.null_values.clone(),
        separator: data.separator.as_ref().map(|s| s.as_bytes()[0]),
        columns,
        decode_now,
    };
    // A file that is not there, or not a file, is the pipeline's `data.path` line that is wrong.
    read::check_readable_file(&pipeline.data_path).map_err(|e| match (source, e) {
        (Some(s), KilnError::Data(m)) => {
            KilnError::Data(s.error_at(&["data".into(), "path".into()], &m))
        }
        (_, e) => e,
    })?;
    let read = read::read_frame_hashed(&pipeline.data_path, &opts)?;
    let (df, content_hash, file_columns) = (read.frame, read.hash, read.file_columns);
    let (file_rows, deferred) = (read.rows, read.deferred);
    if file_rows == 0 {
        return Err(KilnError::Data(format!(
            "data file {} has a header but no rows",
            pipeline.data_path.display()
        )));
    }
    let df = derive_columns(df, pipeline, source)?;
    let file = pipeline.data_path.display().to_string();
    let names: Vec<String> = match &deferred {
        Some(_) => read.names,
        None => df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
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
    if let Some(c) = &pipeline.cv.order_by {
        require(c, &["cv", "order_by"])?;
    }
    if let Some(c) = &data.weight {
        require(c, &["data", "weight"])?;
        if data.features.as_ref().is_some_and(|f| f.contains(c)) || data.target.as_ref() == Some(c)
        {
            return Err(locate(
                &["data", "weight"],
                format!("`data.weight` = `{}` weights the rows: it cannot also be a feature or the target", printable(c)),
            ));
        }
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
                    && Some(*n) != data.weight.as_ref()
            })
            .cloned()
            .collect(),
    };
    let mut warnings: Vec<String> = hint.iter().cloned().collect();
    let mut features = Vec::new();
    let n = file_rows;
    let mut df = df;
    // Columns read later (the target, the fold and group columns) stay in the frame; a feature
    // column is taken out of it and its series freed once converted, so the frame's copy goes
    // column by column and loading holds about the frame, rather than the frame plus every column.
    let mut listed = std::collections::HashMap::new();
    for f in &feature_names {
        *listed.entry(f).or_insert(0usize) += 1;
    }
    let read_later = |name: &String| {
        Some(name) == data.target.as_ref()
            || Some(name) == pipeline.cv.fold_column.as_ref()
            || Some(name) == pipeline.cv.group_column.as_ref()
            || Some(name) == pipeline.cv.order_by.as_ref()
            || Some(name) == data.weight.as_ref()
            || listed[name] > 1
    };
    // A feature column comes from the frame, or from the parquet file when it was deferred.
    enum Taken<'a> {
        Frame(polars::prelude::Column),
        Parquet(&'a super::parquet::ParquetColumns),
    }
    let spill = spill_above
        .filter(|&above| (n * feature_names.len()) as u64 * 8 >= above)
        .map(|_| Spill::new());
    let mut taken = Vec::with_capacity(feature_names.len());
    for name in &feature_names {
        let in_frame = df.get_column_index(name).is_some();
        let column = match (in_frame, &deferred) {
            (false, Some(parquet)) => Ok(Taken::Parquet(parquet)),
            _ if read_later(name) => df.column(name).cloned().map(Taken::Frame),
            _ => df.drop_in_place(name).map(Taken::Frame),
        };
        taken.push(column.map_err(|e| KilnError::Data(format!("{file}: {e}")))?);
    }
    // Each column is converted on its own (in parallel, each series freed once converted): the
    // column and its warnings, None when it has no values, or the error; the columns, warnings
    // and the first error are then taken in the listed order.
    type Converted = Result<Option<(Column, Vec<String>)>>;
    let convert = |(taken, name): (Taken, &String)| -> Converted {
        let series = match taken {
            Taken::Frame(column) => column.take_materialized_series(),
            Taken::Parquet(parquet) => parquet.column(name)?,
        };
        let as_category = data.categorical.contains(name);
        let mut column = to_column(name, &series, as_category, &file)?;
        if (0..column.len()).all(|i| column.is_missing(i)) {
            return Ok(None);
        }
        let notes = unusual_column(&column, &series, pipeline, &file);
        drop(series);
        if let Some(spill) = &spill {
            spill.column(&mut column);
        }
        Ok(Some((column, notes)))
    };
    // As many columns at once as there are threads, and no more: polars decodes a parquet column
    // on its own thread pool, and a rayon thread waiting for it would start the next column
    // meanwhile, so one parallel pass over every column would decode all of them at once.
    let width = rayon::current_num_threads().max(1);
    let mut converted: Vec<Converted> = Vec::with_capacity(feature_names.len());
    let mut pending = taken.into_iter().zip(&feature_names).peekable();
    while pending.peek().is_some() {
        let batch: Vec<(Taken, &String)> = pending.by_ref().take(width).collect();
        converted.extend(batch.into_par_iter().map(convert).collect::<Vec<_>>());
    }
    for (name, converted) in feature_names.iter().zip(converted) {
        match converted? {
            Some((column, notes)) => {
                warnings.extend(notes);
                features.push(column);
            }
            None => warnings.push(format!(
                "column `{}` has no values in {file}: left out",
                printable(name)
            )),
        }
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
    // The columns read after the features (target, groups, order, weights), as series.
    let series_of = |c: &str| -> Result<&Series> {
        Ok(df
            .column(c)
            .map_err(|e| KilnError::Data(format!("{file}: {e}")))?
            .as_materialized_series())
    };
    let mut keep = vec![true; n];
    let mut target = None;
    let mut dropped_missing_target = 0;
    if let Some(t) = &data.target {
        let series = series_of(t)?;
        let (td, missing) = to_target(t, series, pipeline.task, &file)?;
        warnings.extend(numbers_as_classes(t, series, &td, &file));
        for (k, m) in keep.iter_mut().zip(&missing) {
            if *m {
                *k = false;
                dropped_missing_target += 1;
            }
        }
        target = Some(td);
    }
    let mut fold_ids = match &pipeline.cv.fold_column {
        Some(c) => Some(fold_column(c, &df, &file)?),
        None => None,
    };
    let mut groups = match &pipeline.cv.group_column {
        Some(c) => Some(
            text_values(series_of(c)?)
                .into_iter()
                .map(|v| v.unwrap_or_default())
                .collect(),
        ),
        None => None,
    };
    let mut time_ranks = match &pipeline.cv.order_by {
        Some(c) => Some(super::order::time_ranks(c, series_of(c)?, &file)?),
        None => None,
    };
    let mut weights = match &data.weight {
        Some(c) => Some(super::weight::row_weights(c, series_of(c)?, &file)?),
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
        let _release = Released(col);
        for (i, kept) in keep.iter_mut().enumerate() {
            if *kept && col.is_missing(i) {
                if drop {
                    *kept = false;
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
            if let Some(spill) = &spill {
                spill.column(c);
            }
        }
        target = target.map(|t| match t {
            TargetData::Values(v) => TargetData::Values(filter(&v, &keep)),
            TargetData::Classes { labels, classes } => {
                let labels = filter(&labels, &keep);
                // Classes that only occurred on dropped rows are gone.
                remap_classes(labels, classes)
            }
        });
        fold_ids = fold_ids.map(|f| filter(&f, &keep));
        time_ranks = time_ranks.map(|r| filter(&r, &keep));
        weights = weights.map(|w| filter(&w, &keep));
        groups = groups.map(|g: Vec<String>| {
            g.into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(g, _)| g)
                .collect()
        });
    }
    warnings.extend(spill.and_then(Spill::failure));
    finish(
        Dataset {
            features,
            target,
            fold_ids,
            groups,
            time_ranks,
            weights,
            file_rows,
            file_columns,
            dropped_missing_target,
            dropped_missing_features,
            warnings,
            content_hash,
        },
        &file,
    )
}

/// The spill file of a load, made when the first column is spilled; after a failure to write it,
/// the columns stay in memory and the first error is kept for the warning.
struct Spill {
    file: std::sync::Mutex<std::result::Result<Option<SpillFile>, String>>,
}

impl Spill {
    fn new() -> Self {
        Spill {
            file: std::sync::Mutex::new(Ok(None)),
        }
    }

    /// Moves a numeric column in memory to the spill file.
    fn column(&self, column: &mut Column) {
        let ColumnData::Numeric(v) = &mut column.data else {
            return;
        };
        if v.is_spilled() {
            return;
        }
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir();
        let failed = |e: std::io::Error| {
            Err(format!(
                "the numeric columns could not be moved to a temporary file in {} ({e}): kept \
                 in memory",
                dir.display()
            ))
        };
        if matches!(*file, Ok(None)) {
            *file = match SpillFile::create(&dir) {
                Ok(f) => Ok(Some(f)),
                Err(e) => failed(e),
            };
        }
        let Ok(Some(f)) = &mut *file else {
            return;
        };
        match f.spill(v) {
            Ok(s) => *v = s,
            Err(e) => *file = failed(e),
        }
    }

    fn failure(self) -> Option<String> {
        self.file
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .err()
    }
}

/// A pass over a column done: a spilled column's pages are handed back.
struct Released<'a>(&'a Column);

impl Drop for Released<'_> {
    fn drop(&mut self) {
        if let ColumnData::Numeric(v) = &self.0.data {
            v.release();
        }
    }
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
