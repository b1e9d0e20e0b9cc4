//! `kiln predict`'s output: the input columns, then `prediction`, then `proba_<class>` per class
//! (classification) or `cluster` (clustering), written chunk by chunk as csv, json, ndjson or parquet.
//! Floats are written in their shortest round-trip form, so a prediction read back is the same f64.

use super::Predictions;
use crate::artifact::Artifact;
use crate::models::Task;
use polars::prelude::*;
use std::io::Write;
use std::path::Path;

/// The columns a prediction adds, with their types.
pub fn added_columns(artifact: &Artifact) -> Vec<(String, DataType)> {
    match artifact.task {
        Task::Regression => vec![("prediction".into(), DataType::Float64)],
        Task::Classification => {
            let mut v = vec![("prediction".to_string(), DataType::String)];
            v.extend(
                artifact
                    .classes
                    .iter()
                    .map(|c| (format!("proba_{c}"), DataType::Float64)),
            );
            v
        }
        Task::Clustering => vec![
            ("prediction".into(), DataType::UInt32),
            ("cluster".into(), DataType::UInt32),
        ],
    }
}

/// The added columns' values for one chunk, in the order of `added_columns`.
pub fn added_values(artifact: &Artifact, p: &Predictions) -> Vec<polars::prelude::Column> {
    let names = added_columns(artifact);
    match p {
        Predictions::Values(v) => vec![Series::new(names[0].0.as_str().into(), v).into()],
        Predictions::Classes { labels, proba } => {
            let classes = &artifact.classes;
            let text: Vec<&str> = labels.iter().map(|l| classes[*l].as_str()).collect();
            let mut cols: Vec<polars::prelude::Column> =
                vec![Series::new("prediction".into(), text).into()];
            for (j, (name, _)) in names.iter().skip(1).enumerate() {
                cols.push(Series::new(name.as_str().into(), proba.col(j)).into());
            }
            cols
        }
        Predictions::Clusters(c) => {
            let ids: Vec<u32> = c.iter().map(|x| *x as u32).collect();
            vec![
                Series::new("prediction".into(), &ids).into(),
                Series::new("cluster".into(), &ids).into(),
            ]
        }
    }
}

/// Output formats, by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    NdJson,
    Parquet,
}

impl Format {
    pub const EXTENSIONS: &'static str = ".csv .json .ndjson .jsonl .parquet";

    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_string_lossy().to_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::NdJson),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }
}

type Out = Box<dyn Write + Send>;

/// Writes chunks of the output frame as they come.
pub enum ChunkWriter {
    Csv(polars::io::csv::write::BatchedWriter<Out>),
    Json { out: Out, rows_written: bool },
    NdJson(Out),
    // Boxed: the parquet writer is far larger than the others (clippy::large_enum_variant).
    Parquet(Box<polars::io::parquet::write::BatchedWriter<std::fs::File>>),
}

impl ChunkWriter {
    /// A writer for frames of `schema`. Parquet needs a file (it seeks back for its footer).
    pub fn new(
        format: Format,
        out: Out,
        file: Option<std::fs::File>,
        schema: &Schema,
    ) -> PolarsResult<Self> {
        Ok(match format {
            Format::Csv => ChunkWriter::Csv(CsvWriter::new(out).batched(schema)?),
            Format::Json => {
                let mut out = out;
                out.write_all(b"[")?;
                ChunkWriter::Json {
                    out,
                    rows_written: false,
                }
            }
            Format::NdJson => ChunkWriter::NdJson(out),
            Format::Parquet => {
                let file = file.ok_or_else(|| {
                    polars_err!(InvalidOperation: "parquet output needs a file: use -o OUTPUT.parquet")
                })?;
                ChunkWriter::Parquet(Box::new(ParquetWriter::new(file).batched(schema)?))
            }
        })
    }

    pub fn write(&mut self, df: &mut DataFrame) -> PolarsResult<()> {
        match self {
            ChunkWriter::Csv(w) => w.write_batch(df),
            // The parquet writer walks the frame chunk by chunk, so every column must be split
            // alike; the input columns come from the streaming scan in pieces, the added ones whole.
            ChunkWriter::Parquet(w) => w.write_batch(df.align_chunks()),
            ChunkWriter::NdJson(out) => {
                let mut buf = Vec::new();
                JsonWriter::new(&mut buf)
                    .with_json_format(JsonFormat::JsonLines)
                    .finish(df)?;
                out.write_all(&buf)?;
                Ok(())
            }
            ChunkWriter::Json { out, rows_written } => {
                if df.height() == 0 {
                    return Ok(());
                }
                let mut buf = Vec::new();
                JsonWriter::new(&mut buf)
                    .with_json_format(JsonFormat::Json)
                    .finish(df)?;
                // Each chunk is a whole array `[...]`; its rows join the one array of the file.
                let text = buf.trim_ascii();
                let inner = text
                    .strip_prefix(b"[")
                    .and_then(|t| t.strip_suffix(b"]"))
                    .unwrap_or(text);
                if *rows_written {
                    out.write_all(b",")?;
                }
                out.write_all(inner)?;
                *rows_written = true;
                Ok(())
            }
        }
    }

    pub fn finish(self) -> PolarsResult<()> {
        match self {
            ChunkWriter::Csv(mut w) => w.finish(),
            ChunkWriter::Parquet(w) => w.finish().map(|_| ()),
            ChunkWriter::NdJson(mut out) => Ok(out.flush()?),
            ChunkWriter::Json { mut out, .. } => {
                out.write_all(b"]\n")?;
                Ok(out.flush()?)
            }
        }
    }
}
