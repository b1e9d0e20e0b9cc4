//! `kiln predict MODEL INPUT [-o OUTPUT]`: predicts a file in bounded memory. The input is scanned by
//! polars' streaming engine and handed over in chunks of `CHUNK_ROWS` rows; each chunk is read,
//! predicted and written before the next is read. Output to a file goes to a temporary name first and
//! is renamed at the end, so a failed run never leaves a half-written file under the asked-for name.

use super::write::{added_columns, added_values, ChunkWriter, Format};
use super::{InputError, Predictor};
use crate::artifact::Artifact;
use crate::data::read::{check_readable_file, EXTENSIONS};
use crate::data::{read_frame, TextOptions};
use crate::error::{capped_list, did_you_mean, thousands, KilnError, Result};
use polars::prelude::*;
use std::io::Write;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Rows per chunk: large enough that per-chunk costs vanish, small enough that the working set of a
/// chunk (its columns, design matrix and output) stays a few megabytes.
pub const CHUNK_ROWS: usize = 65_536;

/// What a finished prediction did.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictReport {
    pub rows: usize,
    /// True when stdout was closed by the reader (`kiln predict ... | head`): not an error.
    pub stdout_closed: bool,
}

/// Predicts `input` with the model in `model`; writes csv to stdout, or `output` by its extension.
pub fn predict_file(model: &Path, input: &Path, output: Option<&Path>) -> Result<PredictReport> {
    let format = match output {
        None => Format::Csv,
        Some(o) => Format::of(o).ok_or_else(|| {
            KilnError::Config(format!(
                "output {}: unsupported extension; kiln predict writes {}",
                o.display(),
                Format::EXTENSIONS
            ))
        })?,
    };
    let predictor = Predictor::new(Artifact::load(model)?);
    let shown = input.display().to_string();
    let lf = scan(input)?;
    let schema = lf
        .clone()
        .collect_schema()
        .map_err(|e| KilnError::Data(format!("cannot read data file {shown}: {e}")))?;
    check_inputs_present(&predictor, &schema, &shown)?;
    let mut out_schema = (*schema).clone();
    for (name, dtype) in added_columns(&predictor.artifact) {
        if schema.contains(&name) {
            return Err(KilnError::Data(format!(
                "{shown} already has a column `{name}`, which the output adds; rename or drop it first"
            )));
        }
        out_schema.with_column(name.into(), dtype);
    }

    let destination = Destination::open(output)?;
    let stdout_closed = Arc::new(AtomicBool::new(false));
    let sink: Box<dyn Write + Send> = match &destination {
        Destination::Stdout => Box::new(Stdout {
            closed: stdout_closed.clone(),
        }),
        Destination::File { file, .. } => Box::new(
            file.try_clone()
                .map_err(|e| KilnError::io(destination.temp_path(), e))?,
        ),
    };
    let parquet_file = match &destination {
        Destination::File { file, .. } if format == Format::Parquet => Some(
            file.try_clone()
                .map_err(|e| KilnError::io(destination.temp_path(), e))?,
        ),
        _ => None,
    };
    let writer = ChunkWriter::new(format, sink, parquet_file, &out_schema)
        .map_err(|e| write_error(&destination, e))?;

    let state = Arc::new(Mutex::new(StreamState {
        predictor,
        writer: Some(writer),
        rows: 0,
        failure: None,
    }));
    let callback_state = state.clone();
    let callback = PlanCallback::new(move |df: DataFrame| {
        let mut st = callback_state
            .lock()
            .map_err(|_| polars_err!(ComputeError: "a previous chunk failed"))?;
        Ok(st.chunk(df))
    });
    let run = lf
        .sink_batches(callback, true, NonZeroUsize::new(CHUNK_ROWS))
        .and_then(|lf| lf.collect_with_engine(Engine::Streaming));
    // The streaming engine may still hold its copy of the callback: take the state out through the lock.
    let (failure, writer, rows) = {
        let mut st = state.lock().map_err(|_| {
            KilnError::Data(format!("{shown}: prediction stopped on an internal error"))
        })?;
        (st.failure.take(), st.writer.take(), st.rows)
    };
    let closed = stdout_closed.load(Ordering::Relaxed);
    let failure = match (failure, run) {
        // The reader went away (`| head`): not an error, as for any command-line tool.
        (Some(Failure::Write(_)), _) if closed => None,
        (Some(f), _) => Some(f),
        (None, Err(e)) if !closed => Some(Failure::Read(e.to_string())),
        _ => None,
    };
    if let Some(f) = failure {
        destination.discard();
        return Err(match f {
            Failure::Input(e) => KilnError::Data(format!("{shown}: {e}")),
            Failure::Read(e) => KilnError::Data(format!("cannot read data file {shown}: {e}")),
            Failure::Write(e) => write_error(&destination, e),
        });
    }
    if closed {
        return Ok(PredictReport {
            rows,
            stdout_closed: true,
        });
    }
    if let Some(w) = writer {
        if let Err(e) = w.finish() {
            if stdout_closed.load(Ordering::Relaxed) {
                return Ok(PredictReport {
                    rows,
                    stdout_closed: true,
                });
            }
            destination.discard();
            return Err(write_error(&destination, e));
        }
    }
    destination.commit()?;
    Ok(PredictReport {
        rows,
        stdout_closed: false,
    })
}

/// Inputs of the model the file does not have: an error naming the first, with a likely typo, and
/// (capped at `SHOWN_INPUTS`) the inputs the model needs. Linear in the number of columns: a model of
/// 300,000 inputs is matched in one pass over a hashed schema.
fn check_inputs_present(predictor: &Predictor, schema: &Schema, shown: &str) -> Result<()> {
    const SHOWN_INPUTS: usize = 20;
    let inputs = &predictor.artifact.inputs;
    let mut missing = inputs.iter().filter(|c| !schema.contains(&c.name));
    let Some(first) = missing.next() else {
        return Ok(());
    };
    let others = missing.count();
    let also = match others {
        0 => String::new(),
        n => format!(
            " ({} other input{} missing too)",
            thousands(n),
            if n == 1 { " is" } else { "s are" }
        ),
    };
    Err(KilnError::Data(format!(
        "{shown}: column `{}` is missing: the model needs it as an input{also}{}; the model's inputs: {}",
        first.name,
        did_you_mean(&first.name, schema.iter_names().map(|n| n.as_str())),
        capped_list(inputs.iter().map(|c| format!("`{}`", c.name)), SHOWN_INPUTS)
    )))
}

enum Failure {
    Input(InputError),
    Read(String),
    Write(PolarsError),
}

struct StreamState {
    predictor: Predictor,
    writer: Option<ChunkWriter>,
    rows: usize,
    failure: Option<Failure>,
}

impl StreamState {
    /// Predicts and writes one chunk; returns whether to stop.
    fn chunk(&mut self, df: DataFrame) -> bool {
        if self.failure.is_some() {
            return true;
        }
        let n = df.height();
        let predictions = match self.predictor.predict_frame(&df, self.rows) {
            Ok(p) => p,
            Err(e) => {
                self.failure = Some(Failure::Input(e));
                return true;
            }
        };
        let mut out = df;
        let added = added_values(&self.predictor.artifact, &predictions);
        if let Err(e) = out.hstack_mut(&added) {
            self.failure = Some(Failure::Write(e));
            return true;
        }
        if let Some(w) = self.writer.as_mut() {
            if let Err(e) = w.write(&mut out) {
                self.failure = Some(Failure::Write(e));
                return true;
            }
        }
        self.rows += n;
        false
    }
}

/// A lazy scan of any file kiln reads; csv and tsv are read as `kiln run` reads them (every row
/// typed, "" and "NA" missing). A JSON array has no streaming reader: it is read whole.
fn scan(path: &Path) -> Result<LazyFrame> {
    let shown = path.display();
    let ext = check_readable_file(path)?;
    let polars_err =
        |e: PolarsError| KilnError::Data(format!("cannot read data file {shown}: {e}"));
    let pl_path = || PlRefPath::try_from_path(path).map_err(polars_err);
    match ext.as_str() {
        "csv" | "tsv" => {
            crate::data::read::check_ragged(path, if ext == "tsv" { b'\t' } else { b',' })?;
            let opts = TextOptions::default();
            let path_ref = pl_path()?;
            let reader = || {
                LazyCsvReader::new(path_ref.clone())
                    .with_has_header(true)
                    .with_separator(if ext == "tsv" { b'\t' } else { b',' })
                    .with_null_values(Some(NullValues::AllColumns(
                        opts.null_values.iter().map(|s| s.as_str().into()).collect(),
                    )))
            };
            // Types come from every row, as `kiln run` reads them (a column of integers with one
            // decimal a million rows down is a float column); inferred once, then handed to the reader.
            let schema = reader()
                .with_infer_schema_length(None)
                .finish()
                .and_then(|mut lf| lf.collect_schema())
                .map_err(polars_err)?;
            reader()
                .with_schema(Some(schema))
                .finish()
                .map_err(polars_err)
        }
        "parquet" => {
            LazyFrame::scan_parquet(pl_path()?, ScanArgsParquet::default()).map_err(polars_err)
        }
        "ndjson" | "jsonl" => LazyJsonLineReader::new(pl_path()?)
            .finish()
            .map_err(polars_err),
        "arrow" | "ipc" | "feather" => {
            LazyFrame::scan_ipc(pl_path()?, Default::default(), Default::default())
                .map_err(polars_err)
        }
        "json" => Ok(read_frame(path, &TextOptions::default())?.lazy()),
        other => Err(KilnError::Data(format!(
            "data file {shown}: unsupported extension `.{other}`; kiln reads {}",
            EXTENSIONS
                .iter()
                .map(|e| format!(".{e}"))
                .collect::<Vec<_>>()
                .join(" ")
        ))),
    }
}

/// stdout that remembers when the reader went away.
struct Stdout {
    closed: Arc<AtomicBool>,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = std::io::stdout().write(buf);
        if let Err(e) = &r {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed.store(true, Ordering::Relaxed);
            }
        }
        r
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = std::io::stdout().flush();
        if let Err(e) = &r {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed.store(true, Ordering::Relaxed);
            }
        }
        r
    }
}

enum Destination {
    Stdout,
    File {
        file: std::fs::File,
        temp: PathBuf,
        path: PathBuf,
    },
}

impl Destination {
    fn open(output: Option<&Path>) -> Result<Destination> {
        let Some(path) = output else {
            return Ok(Destination::Stdout);
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let file = std::fs::File::create(&temp).map_err(|e| KilnError::io(path, e))?;
        Ok(Destination::File {
            file,
            temp,
            path: path.to_path_buf(),
        })
    }

    fn temp_path(&self) -> PathBuf {
        match self {
            Destination::Stdout => PathBuf::from("<stdout>"),
            Destination::File { temp, .. } => temp.clone(),
        }
    }

    fn shown(&self) -> String {
        match self {
            Destination::Stdout => "stdout".into(),
            Destination::File { path, .. } => path.display().to_string(),
        }
    }

    fn discard(&self) {
        if let Destination::File { temp, .. } = self {
            let _ = std::fs::remove_file(temp);
        }
    }

    fn commit(self) -> Result<()> {
        if let Destination::File { file, temp, path } = self {
            file.sync_all().map_err(|e| KilnError::io(&temp, e))?;
            drop(file);
            std::fs::rename(&temp, &path).map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                KilnError::io(&path, e)
            })?;
        }
        Ok(())
    }
}

fn write_error(destination: &Destination, e: PolarsError) -> KilnError {
    KilnError::Data(format!("cannot write {}: {e}", destination.shown()))
}
