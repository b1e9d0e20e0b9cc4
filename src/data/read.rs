//! Reading a data file into a polars DataFrame, by its extension.

use crate::error::{KilnError, Result};
use polars::prelude::*;
use std::path::Path;

pub const EXTENSIONS: &[&str] = &[
    "csv", "tsv", "parquet", "json", "ndjson", "jsonl", "arrow", "ipc", "feather",
];

/// How text files are read.
#[derive(Debug, Clone)]
pub struct TextOptions {
    pub null_values: Vec<String>,
    /// None: comma for csv, tab for tsv.
    pub separator: Option<u8>,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            null_values: vec![String::new(), "NA".into()],
            separator: None,
        }
    }
}

/// Checks that `path` is a non-empty file (not a directory) and returns its lower-case extension,
/// which picks the reader.
pub fn check_readable_file(path: &Path) -> Result<String> {
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| KilnError::Data(format!("cannot read data file {shown}: {e}")))?;
    if meta.is_dir() {
        return Err(KilnError::Data(format!(
            "data path {shown} is a directory, not a file"
        )));
    }
    if meta.len() == 0 {
        return Err(KilnError::Data(format!("data file {shown} is empty")));
    }
    Ok(path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default())
}

/// Reads any supported file. Errors name the file and what was wrong with it.
pub fn read_frame(path: &Path, opts: &TextOptions) -> Result<DataFrame> {
    let shown = path.display();
    let ext = check_readable_file(path)?;
    let open = || {
        std::fs::File::open(path)
            .map_err(|e| KilnError::Data(format!("cannot open data file {shown}: {e}")))
    };
    let polars_err =
        |e: PolarsError| KilnError::Data(format!("cannot read data file {shown}: {e}"));
    let df = match ext.as_str() {
        "csv" | "tsv" => {
            let sep = opts
                .separator
                .unwrap_or(if ext == "tsv" { b'\t' } else { b',' });
            let parse = CsvParseOptions::default()
                .with_separator(sep)
                .with_null_values(Some(NullValues::AllColumns(
                    opts.null_values.iter().map(|s| s.as_str().into()).collect(),
                )));
            CsvReadOptions::default()
                .with_has_header(true)
                .with_infer_schema_length(None)
                .with_parse_options(parse)
                .try_into_reader_with_file_path(Some(path.to_path_buf()))
                .map_err(polars_err)?
                .finish()
                .map_err(polars_err)?
        }
        "parquet" => ParquetReader::new(open()?).finish().map_err(polars_err)?,
        "json" => JsonReader::new(open()?)
            .with_json_format(JsonFormat::Json)
            .finish()
            .map_err(polars_err)?,
        "ndjson" | "jsonl" => JsonReader::new(open()?)
            .with_json_format(JsonFormat::JsonLines)
            .finish()
            .map_err(polars_err)?,
        "arrow" | "ipc" | "feather" => IpcReader::new(open()?).finish().map_err(polars_err)?,
        other => {
            return Err(KilnError::Data(format!(
                "data file {shown}: unsupported extension `.{other}`; kiln reads {}",
                EXTENSIONS
                    .iter()
                    .map(|e| format!(".{e}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            )))
        }
    };
    if df.width() == 0 {
        return Err(KilnError::Data(format!("data file {shown} has no columns")));
    }
    Ok(df)
}

/// A stable 64-bit content hash of a file (FNV-1a over 8-byte words), as 16 hex digits. Stable across
/// platforms and versions, so resumed and merged runs can check that they saw the same data.
pub fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| KilnError::Data(format!("cannot read data file {}: {e}", path.display())))?;
    Ok(format!("{:016x}", content_hash(&bytes)))
}

pub fn content_hash(bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(PRIME);
        h ^= h >> 29;
    }
    for b in chunks.remainder() {
        h = (h ^ u64::from(*b)).wrapping_mul(PRIME);
    }
    h
}
