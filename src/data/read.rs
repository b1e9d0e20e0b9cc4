//! Reading a data file into a polars DataFrame, by its extension.

use super::parquet::ParquetColumns;
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
    /// The only columns the caller needs, when it knows them: a csv/tsv file is then parsed for
    /// these (and its last column, which shows a ragged file) alone, as pandas' `usecols`. Any
    /// doubt (a name not in the header, a repeated name) reads every column.
    pub columns: Option<Vec<String>>,
    /// For a parquet file: decode only these columns with the frame (those in the file); the
    /// others are left to [`ReadFrame::deferred`], to be decoded one at a time. None decodes all.
    pub decode_now: Option<Vec<String>>,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            null_values: vec![String::new(), "NA".into()],
            separator: None,
            columns: None,
            decode_now: None,
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

/// Refuses a ragged csv/tsv file, naming the first line whose number of fields differs from the
/// header's: polars would fill a short row with gaps and fail on a long one without saying where.
/// `read_frame` calls it only when polars failed or the last column has gaps.
/// Streams the file (quoted fields may hold separators and newlines; blank lines are skipped).
pub fn check_ragged(path: &Path, separator: u8) -> Result<()> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| KilnError::Data(format!("cannot open data file {shown}: {e}")))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut buf = vec![0u8; 1 << 16];
    let mut fields = RecordCounter::new(separator);
    let mut header: Option<usize> = None;
    let mut check = |count: usize, line: usize, record: usize| -> Result<()> {
        match header {
            None => header = Some(count),
            Some(h) if h != count => {
                return Err(KilnError::Data(format!(
                    "data file {shown}: line {line} (row {record}) has {count} field{}, but the header \
                     has {h}: a missing or extra separator, or a separator inside an unquoted value",
                    if count == 1 { "" } else { "s" }
                )))
            }
            Some(_) => {}
        }
        Ok(())
    };
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| KilnError::Data(format!("cannot read data file {shown}: {e}")))?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if let Some((count, line, record)) = fields.push(b) {
                check(count, line, record)?;
            }
        }
    }
    if let Some((count, line, record)) = fields.finish() {
        check(count, line, record)?;
    }
    Ok(())
}

/// Refuses a csv/tsv file that is not UTF-8, naming the line and column of the first byte that is
/// not: polars says only that the text is invalid. `read_frame` calls it when polars failed.
pub fn check_utf8(path: &Path) -> Result<()> {
    use std::io::Read;
    let shown = path.display();
    let read_err =
        |e: std::io::Error| KilnError::Data(format!("cannot read data file {shown}: {e}"));
    let mut reader = std::fs::File::open(path).map_err(read_err)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut position = TextPosition { line: 1, column: 1 };
    // The start of a character cut off by the end of the last read.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = reader.read(&mut buf).map_err(read_err)?;
        if n == 0 && carry.is_empty() {
            return Ok(());
        }
        let mut chunk = std::mem::take(&mut carry);
        chunk.extend_from_slice(&buf[..n]);
        let bad = match std::str::from_utf8(&chunk) {
            Ok(text) => {
                position.advance(text);
                None
            }
            Err(e) => {
                let valid = &chunk[..e.valid_up_to()];
                position.advance(std::str::from_utf8(valid).unwrap_or_default());
                match (e.error_len(), n) {
                    // Cut off at the end of the buffer, and more may follow: read on.
                    (None, n) if n > 0 => {
                        carry = chunk[e.valid_up_to()..].to_vec();
                        None
                    }
                    _ => Some(chunk[e.valid_up_to()]),
                }
            }
        };
        if let Some(byte) = bad {
            return Err(KilnError::Data(format!(
                "data file {shown}: line {}, column {} is not valid UTF-8 (byte 0x{byte:02x}); kiln \
                 reads text files as UTF-8: convert it first, e.g. `iconv -f latin1 -t utf-8`",
                position.line, position.column
            )));
        }
    }
}

/// A line and a column (in characters) of a text file, both 1-based.
struct TextPosition {
    line: usize,
    column: usize,
}

impl TextPosition {
    fn advance(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
    }
}

/// Counts the fields of each csv record, byte by byte (RFC 4180 quoting).
struct RecordCounter {
    separator: u8,
    fields: usize,
    /// Bytes other than '\r' seen in this record: a blank line is no record.
    content: bool,
    field_start: bool,
    in_quotes: bool,
    /// In quotes, just after a '"': the end of the quotes, or the first of an escaped pair.
    quote_seen: bool,
    /// The 1-based line the current record starts on, and the line being read.
    record_line: usize,
    line: usize,
    /// Records completed (the header is record 0).
    records: usize,
}

impl RecordCounter {
    fn new(separator: u8) -> Self {
        RecordCounter {
            separator,
            fields: 1,
            content: false,
            field_start: true,
            in_quotes: false,
            quote_seen: false,
            record_line: 1,
            line: 1,
            records: 0,
        }
    }

    /// Feeds one byte; at the end of a record returns (fields, its line, its index: 0 = header).
    fn push(&mut self, b: u8) -> Option<(usize, usize, usize)> {
        if self.in_quotes {
            if self.quote_seen {
                self.quote_seen = false;
                if b == b'"' {
                    return None;
                }
                self.in_quotes = false;
            } else {
                match b {
                    b'"' => self.quote_seen = true,
                    b'\n' => self.line += 1,
                    _ => {}
                }
                return None;
            }
        }
        match b {
            b'"' if self.field_start => {
                self.in_quotes = true;
                self.field_start = false;
                self.content = true;
            }
            b'\n' => {
                self.line += 1;
                return self.end_record();
            }
            b'\r' => {}
            _ if b == self.separator => {
                self.fields += 1;
                self.field_start = true;
                self.content = true;
            }
            _ => {
                self.field_start = false;
                self.content = true;
            }
        }
        None
    }

    fn end_record(&mut self) -> Option<(usize, usize, usize)> {
        let out = self
            .content
            .then_some((self.fields, self.record_line, self.records));
        if self.content {
            self.records += 1;
        }
        self.fields = 1;
        self.content = false;
        self.field_start = true;
        self.in_quotes = false;
        self.quote_seen = false;
        self.record_line = self.line;
        out
    }

    fn finish(&mut self) -> Option<(usize, usize, usize)> {
        self.end_record()
    }
}

/// Reads any supported file. Errors name the file and what was wrong with it.
pub fn read_frame(path: &Path, opts: &TextOptions) -> Result<DataFrame> {
    read_frame_hashed(path, opts).map(|r| r.frame)
}

/// A frame as [`read_frame_hashed`] read it.
pub struct ReadFrame {
    pub frame: DataFrame,
    /// The file's [`file_hash`].
    pub hash: String,
    /// The file's columns (the frame may hold only [`TextOptions::columns`]).
    pub file_columns: usize,
    /// The columns read, in the file's order: the frame's, and the deferred ones.
    pub names: Vec<String>,
    /// The rows of the file (the frame's height, unless every column was deferred).
    pub rows: usize,
    /// A parquet file's columns left out of the frame ([`TextOptions::decode_now`]).
    pub deferred: Option<ParquetColumns>,
}

/// As [`read_frame`], with the file's [`file_hash`]: the file is read from disk once, and the
/// hash, kiln's type pass and polars all read those bytes.
pub fn read_frame_hashed(path: &Path, opts: &TextOptions) -> Result<ReadFrame> {
    let shown = path.display();
    let ext = check_readable_file(path)?;
    let read_err =
        |e: std::io::Error| KilnError::Data(format!("cannot read data file {shown}: {e}"));
    let polars_err =
        |e: PolarsError| KilnError::Data(format!("cannot read data file {shown}: {e}"));
    // A parquet file is decoded from the file itself (polars maps it) and hashed as a stream: its
    // bytes are never held beside the frame (at 10^7 rows x 20 columns, 1.4 GB).
    if ext == "parquet" {
        let hash = format!("{:016x}", stream_hash(path).map_err(read_err)?);
        let Some(now) = &opts.decode_now else {
            let file = std::fs::File::open(path).map_err(read_err)?;
            let df = ParquetReader::new(file).finish().map_err(polars_err)?;
            return checked_frame(df, None, hash, path);
        };
        let columns = ParquetColumns::new(path);
        let shape = columns.shape()?;
        if shape.names.is_empty() {
            return Err(no_columns(path));
        }
        let now: Vec<String> = now
            .iter()
            .filter(|n| shape.names.contains(n))
            .cloned()
            .collect();
        return Ok(ReadFrame {
            frame: columns.frame(&now)?,
            hash,
            file_columns: shape.names.len(),
            names: shape.names,
            rows: shape.rows,
            deferred: Some(columns),
        });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    if ext == "csv" || ext == "tsv" {
        // The hash on one thread while the type pass and polars read the same bytes on the others.
        let (hash, read) = rayon::join(|| hash_text(&bytes), || read_csv(&bytes, path, &ext, opts));
        let (df, projected_width) = read?;
        return checked_frame(df, projected_width, hash, path);
    }
    let hash = hash_text(&bytes);
    let df = match ext.as_str() {
        // The readers own the bytes, which go with them once the frame is decoded.
        "json" | "ndjson" | "jsonl" => {
            let format = if ext == "json" {
                JsonFormat::Json
            } else {
                JsonFormat::JsonLines
            };
            JsonReader::new(std::io::Cursor::new(bytes))
                .with_json_format(format)
                .finish()
                .map_err(polars_err)?
        }
        "arrow" | "ipc" | "feather" => IpcReader::new(std::io::Cursor::new(bytes))
            .finish()
            .map_err(polars_err)?,
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
    checked_frame(df, None, hash, path)
}

/// The frame read, refused when it has no columns.
fn checked_frame(
    df: DataFrame,
    projected_width: Option<usize>,
    hash: String,
    path: &Path,
) -> Result<ReadFrame> {
    if df.width() == 0 {
        return Err(no_columns(path));
    }
    Ok(ReadFrame {
        file_columns: projected_width.unwrap_or(df.width()),
        names: df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: df.height(),
        frame: df,
        hash,
        deferred: None,
    })
}

fn no_columns(path: &Path) -> KilnError {
    KilnError::Data(format!("data file {} has no columns", path.display()))
}

/// A csv/tsv file's frame from its bytes, and the file's width when only [`TextOptions::columns`]
/// (and the last column) were read.
fn read_csv(
    bytes: &[u8],
    path: &Path,
    ext: &str,
    opts: &TextOptions,
) -> Result<(DataFrame, Option<usize>)> {
    let shown = path.display();
    let polars_err =
        |e: PolarsError| KilnError::Data(format!("cannot read data file {shown}: {e}"));
    let sep = opts
        .separator
        .unwrap_or(if ext == "tsv" { b'\t' } else { b',' });
    let parse = CsvParseOptions::default()
        .with_separator(sep)
        .with_null_values(Some(NullValues::AllColumns(
            opts.null_values.iter().map(|s| s.as_str().into()).collect(),
        )));
    // Every read of the bytes: a header row, the separator and the null values.
    let read = |options: CsvReadOptions| {
        options
            .with_has_header(true)
            .with_parse_options(parse.clone())
            .into_reader_with_file_handle(std::io::Cursor::new(bytes))
            .finish()
    };
    // Full inference, as polars does it, is the reference; kiln's own pass gives the same
    // types for a plain file without polars' per-value regexes. Should polars then fail,
    // the file is read again the reference way, so every error is the one it gives.
    let read_with = |types: Option<Vec<DataType>>| {
        read(
            CsvReadOptions::default()
                .with_infer_schema_length(if types.is_some() { Some(0) } else { None })
                .with_dtype_overwrite(types.map(Arc::new)),
        )
    };
    // Only the wanted columns and the last one, with kiln's types, when every wanted name
    // is in the header once (the header as polars names it, from no rows).
    let read_projected = |types: &[DataType], wanted: &[String]| {
        let header = read(
            CsvReadOptions::default()
                .with_infer_schema_length(Some(0))
                .with_n_rows(Some(0)),
        )
        .ok()?;
        let names: Vec<String> = header
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let plain = names.len() == types.len()
            && !names.iter().any(|n| n.contains("_duplicated_"))
            && wanted.iter().all(|w| names.contains(w));
        if !plain {
            return None;
        }
        let last = names.len() - 1;
        let keep: Vec<usize> = (0..names.len())
            .filter(|&i| i == last || wanted.contains(&names[i]))
            .collect();
        let schema: Schema = keep
            .iter()
            .map(|&i| Field::new(names[i].as_str().into(), types[i].clone()))
            .collect();
        let columns: Arc<[PlSmallStr]> = keep.iter().map(|&i| names[i].as_str().into()).collect();
        let df = read(
            CsvReadOptions::default()
                .with_infer_schema_length(Some(0))
                .with_schema_overwrite(Some(Arc::new(schema)))
                .with_columns(Some(columns)),
        );
        Some((df.ok()?, names.len()))
    };
    let wanted = opts.columns.as_deref();
    let (read, projected_width) =
        match super::csv_types::infer(bytes, sep, &opts.null_values, wanted) {
            Some(types) => match wanted.and_then(|w| read_projected(&types, w)) {
                Some((df, width)) => (Ok(df), Some(width)),
                // The columns not wanted were not classified: a whole read infers its own types.
                None if wanted.is_some() => (read_with(None), None),
                None => (read_with(Some(types)).or_else(|_| read_with(None)), None),
            },
            None => (read_with(None), None),
        };
    // A ragged file either fails to read (a long row) or reads with gaps in its last column
    // (a short row): only then is the file read again to name the line.
    let suspect = |df: &DataFrame| df.columns().last().is_some_and(|c| c.null_count() > 0);
    match read {
        Ok(df) if !suspect(&df) => Ok((df, projected_width)),
        Ok(df) => {
            check_ragged(path, sep)?;
            Ok((df, projected_width))
        }
        Err(e) => {
            check_ragged(path, sep)?;
            check_utf8(path)?;
            Err(polars_err(e))
        }
    }
}

/// A stable 64-bit content hash of a file (FNV-1a over 8-byte words), as 16 hex digits. Stable across
/// platforms and versions, so resumed and merged runs can check that they saw the same data.
pub fn file_hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| KilnError::Data(format!("cannot read data file {}: {e}", path.display())))?;
    Ok(hash_text(&bytes))
}

/// [`content_hash`] as the 16 hex digits that summary.json and the run checks compare.
fn hash_text(bytes: &[u8]) -> String {
    format!("{:016x}", content_hash(bytes))
}

pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut h = hash_start(bytes.len() as u64);
    let words = bytes.len() / 8 * 8;
    h = hash_words(h, &bytes[..words]);
    hash_tail(h, &bytes[words..])
}

const HASH_PRIME: u64 = 0x0000_0100_0000_01b3;

fn hash_start(len: u64) -> u64 {
    0xcbf2_9ce4_8422_2325 ^ len
}

/// Folds whole 8-byte words into the hash (`bytes.len()` is a multiple of 8).
fn hash_words(mut h: u64, bytes: &[u8]) -> u64 {
    for c in bytes.chunks_exact(8) {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(HASH_PRIME);
        h ^= h >> 29;
    }
    h
}

/// Folds the last bytes (fewer than 8) into the hash.
fn hash_tail(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(HASH_PRIME);
    }
    h
}

/// [`content_hash`] of a file read in blocks, without holding it.
fn stream_hash(path: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    const BLOCK: usize = 1 << 22; // a multiple of 8: only the last block has a tail
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut h = hash_start(len);
    let mut buf = vec![0u8; BLOCK];
    loop {
        // Fill the block (a read may return less), so that words never straddle two blocks.
        let mut filled = 0;
        while filled < BLOCK {
            match file.read(&mut buf[filled..])? {
                0 => break,
                k => filled += k,
            }
        }
        let words = filled / 8 * 8;
        h = hash_words(h, &buf[..words]);
        if filled < BLOCK {
            return Ok(hash_tail(h, &buf[words..filled]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashed_as_a_stream_hashes_as_its_bytes() {
        let dir = std::env::temp_dir().join(format!("kiln-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Lengths around the block size and the word size.
        for len in [0usize, 7, 8, 13, (1 << 22) - 3, 1 << 22, (1 << 22) + 11] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let path = dir.join("f.bin");
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(
                stream_hash(&path).unwrap(),
                content_hash(&bytes),
                "{len} bytes"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn counts(text: &str) -> Vec<(usize, usize, usize)> {
        let mut c = RecordCounter::new(b',');
        let mut out: Vec<_> = text.bytes().filter_map(|b| c.push(b)).collect();
        out.extend(c.finish());
        out
    }

    /// polars' own full-inference read: what `read_frame` must give, frame and types.
    fn reference(path: &Path) -> DataFrame {
        let parse = CsvParseOptions::default()
            .with_null_values(Some(NullValues::AllColumns(vec!["".into(), "NA".into()])));
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(None)
            .with_parse_options(parse)
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .and_then(|r| r.finish())
            .unwrap()
    }

    /// A csv file of `rows` rows whose columns are `cell(row)`'s, under a header `a,b,...`.
    fn write_csv(
        name: &str,
        rows: usize,
        cells: &[&dyn Fn(usize) -> String],
    ) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kiln-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.csv"));
        let header: Vec<String> = (0..cells.len()).map(|i| format!("c{i}")).collect();
        let mut text = header.join(",") + "\n";
        for r in 0..rows {
            let line: Vec<String> = cells.iter().map(|c| c(r)).collect();
            text += &(line.join(",") + "\n");
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Values that contradict the first rows' types far down the file give the types and values
    /// full inference gives: kiln's pass looks at every row, not a sample.
    #[test]
    fn late_values_give_the_types_of_full_inference() {
        let late = 5000;
        let int = |r: usize| r.to_string();
        let int_then_float = |r: usize| {
            if r < late {
                r.to_string()
            } else {
                format!("{r}.5")
            }
        };
        let int_then_text = |r: usize| if r < late { r.to_string() } else { "x".into() };
        let float_then_text = |r: usize| {
            if r < late {
                format!("{r}.25")
            } else {
                "n/a".into()
            }
        };
        let null_then_int = |r: usize| {
            if r < late {
                String::new()
            } else {
                r.to_string()
            }
        };
        let na_then_float = |r: usize| if r < late { "NA".into() } else { "1e3".into() };
        let bool_then_int = |r: usize| if r < late { "true".into() } else { "1".into() };
        let float_then_plus = |r: usize| if r < late { "1.5".into() } else { "+5".into() };
        let text = |r: usize| format!("t{}", r % 7);
        let cells: [&dyn Fn(usize) -> String; 10] = [
            &int,
            &int_then_float,
            &int_then_text,
            &float_then_text,
            &null_then_int,
            &na_then_float,
            &bool_then_int,
            &float_then_plus,
            &text,
            &int,
        ];
        let path = write_csv("late", late + 10, &cells);
        let df = read_frame(&path, &TextOptions::default()).unwrap();
        let expected = reference(&path);
        assert!(df.equals_missing(&expected), "{df:?}\n{expected:?}");
        assert_eq!(df.schema(), expected.schema());
        let types: Vec<String> = df.dtypes().iter().map(|d| d.to_string()).collect();
        assert_eq!(
            types,
            ["i64", "f64", "str", "str", "i64", "f64", "str", "str", "str", "i64"]
        );
    }

    /// A file whose first rows are all one type throughout reads as polars reads it; and a file
    /// kiln's pass leaves to polars (quotes, a ragged row) too, with its located message.
    #[test]
    fn plain_and_quoted_files_read_as_polars_reads_them() {
        let float = |r: usize| format!("{}.5", r % 13);
        let text = |r: usize| ["a", "b", "c"][r % 3].to_string();
        let cells: [&dyn Fn(usize) -> String; 2] = [&float, &text];
        let path = write_csv("plain", 3000, &cells);
        let df = read_frame(&path, &TextOptions::default()).unwrap();
        assert!(df.equals_missing(&reference(&path)));
        let quoted = |r: usize| format!("\"{r}\"");
        let cells: [&dyn Fn(usize) -> String; 2] = [&quoted, &float];
        let path = write_csv("quoted", 3000, &cells);
        let df = read_frame(&path, &TextOptions::default()).unwrap();
        assert!(df.equals_missing(&reference(&path)));
        let ragged = |r: usize| {
            if r == 2500 {
                "1,2".into()
            } else {
                r.to_string()
            }
        };
        let cells: [&dyn Fn(usize) -> String; 2] = [&ragged, &float];
        let path = write_csv("ragged", 3000, &cells);
        let err = read_frame(&path, &TextOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2502 (row 2501) has 3 fields"), "{err}");
    }

    /// Listed columns are parsed alone (with the file's last one), with the values and types of a
    /// whole read; a name the header lacks reads every column, so the caller's message names it.
    #[test]
    fn only_the_listed_columns_are_read() {
        let int = |r: usize| r.to_string();
        let float = |r: usize| format!("{r}.5");
        let text = |r: usize| format!("t{}", r % 7);
        let cells: [&dyn Fn(usize) -> String; 4] = [&int, &text, &float, &int];
        let path = write_csv("projected", 3000, &cells);
        let whole = read_frame(&path, &TextOptions::default()).unwrap();
        let only = |names: &[&str]| TextOptions {
            columns: Some(names.iter().map(|n| n.to_string()).collect()),
            ..TextOptions::default()
        };
        let read = read_frame_hashed(&path, &only(&["c2", "c1"])).unwrap();
        assert_eq!(read.file_columns, 4);
        assert_eq!(read.hash, file_hash(&path).unwrap());
        let names: Vec<String> = read
            .frame
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["c1", "c2", "c3"]);
        for name in ["c1", "c2", "c3"] {
            let (a, b) = (
                read.frame.column(name).unwrap(),
                whole.column(name).unwrap(),
            );
            assert_eq!(a.dtype(), b.dtype(), "{name}");
            assert!(
                a.as_materialized_series()
                    .equals_missing(b.as_materialized_series()),
                "{name}"
            );
        }
        let fallback = read_frame_hashed(&path, &only(&["c1", "nope"])).unwrap();
        assert_eq!(fallback.frame.width(), 4);
        assert_eq!(fallback.file_columns, 4);
    }

    #[test]
    fn records_are_counted_with_quotes_and_blank_lines() {
        assert_eq!(counts("a,b\n1,2\n"), [(2, 1, 0), (2, 2, 1)]);
        // A quoted separator, an escaped quote and a newline inside quotes are one field.
        assert_eq!(
            counts("a,b\r\n\"x,\"\"y\",2\n\"multi\nline\",3\n\n4"),
            [(2, 1, 0), (2, 2, 1), (2, 3, 2), (1, 6, 3)]
        );
        // A quote inside an unquoted value is a character.
        assert_eq!(counts("a,b\n1\"2,3"), [(2, 1, 0), (2, 2, 1)]);
    }
}
