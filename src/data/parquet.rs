//! A parquet file read a column at a time. Parquet stores each column on its own, so a loader that
//! converts columns one by one need not decode the whole frame first: at 10^7 rows x 20 columns the
//! decoded frame alone is 2 GB, with the file's mapped pages beside it while polars decodes, where
//! one column is 80 MB.

use crate::error::{KilnError, Result};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// A parquet file whose columns are decoded when asked for.
#[derive(Debug, Clone)]
pub struct ParquetColumns {
    path: PathBuf,
}

/// What the file holds, from its footer alone.
pub struct ParquetShape {
    pub names: Vec<String>,
    pub rows: usize,
}

impl ParquetColumns {
    pub fn new(path: &Path) -> Self {
        ParquetColumns {
            path: path.to_path_buf(),
        }
    }

    fn reader(&self) -> Result<ParquetReader<std::fs::File>> {
        let file = std::fs::File::open(&self.path).map_err(|e| self.error(e))?;
        Ok(ParquetReader::new(file))
    }

    fn error(&self, e: impl std::fmt::Display) -> KilnError {
        KilnError::Data(format!(
            "cannot read data file {}: {e}",
            self.path.display()
        ))
    }

    /// The column names and the number of rows, read from the footer.
    pub fn shape(&self) -> Result<ParquetShape> {
        let mut reader = self.reader()?;
        let schema = reader.schema().map_err(|e| self.error(e))?;
        let names = schema.iter_names().map(|n| n.to_string()).collect();
        let rows = reader.num_rows().map_err(|e| self.error(e))?;
        Ok(ParquetShape { names, rows })
    }

    /// The listed columns (each in the file), decoded into a frame; no columns, an empty frame.
    pub fn frame(&self, names: &[String]) -> Result<DataFrame> {
        if names.is_empty() {
            return Ok(DataFrame::empty());
        }
        self.reader()?
            .with_columns(Some(names.to_vec()))
            .finish()
            .map_err(|e| self.error(e))
    }

    /// One column, decoded.
    pub fn column(&self, name: &str) -> Result<Series> {
        let mut df = self.frame(&[name.to_string()])?;
        df.drop_in_place(name)
            .map(|c| c.take_materialized_series())
            .map_err(|e| self.error(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_read_one_at_a_time_are_the_frames_columns() {
        let dir = std::env::temp_dir().join(format!("kiln-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.parquet");
        let mut df = df!(
            "x" => [1.5, f64::NAN, 3.0],
            "c" => [Some("a"), None, Some("b")],
            "y" => [1i64, 2, 3],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let file = ParquetColumns::new(&path);
        let shape = file.shape().unwrap();
        assert_eq!(shape.names, ["x", "c", "y"]);
        assert_eq!(shape.rows, 3);
        for name in &shape.names {
            let whole = df.column(name).unwrap().as_materialized_series().clone();
            assert!(file.column(name).unwrap().equals_missing(&whole), "{name}");
        }
        let part = file.frame(&["y".into()]).unwrap();
        assert_eq!(part.get_column_names(), ["y"]);
        assert_eq!(file.frame(&[]).unwrap().width(), 0);
        assert!(file.column("nope").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
