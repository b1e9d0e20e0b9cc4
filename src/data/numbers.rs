//! A numeric column's values: in memory, or spilled to a temporary file and read back through a
//! memory map.
//!
//! Why: a model that reads its design a column at a time (histogram boosting) needs each numeric
//! column only during a pass over it (a fold's statistics, its bins, the drift reference), yet the
//! columns in memory are most of what such a run holds at 10^7 rows (16 columns x 8 bytes, 1.3 GB).
//! A spilled column lives in the page cache; a pass maps its pages in as it reads them, and
//! [`Numbers::release`] gives them back when the pass is done, so the run's resident memory holds
//! the columns being read rather than all of them. The values are the same bits either way: a
//! spilled column is written once and never changed, and every reader sees it as a `&[f64]`.

use memmap2::{Mmap, MmapOptions, UncheckedAdvice};
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// The values of a numeric column (NaN marks a missing value).
#[derive(Debug, Clone)]
pub enum Numbers {
    InMemory(Vec<f64>),
    Spilled(Arc<Spilled>),
}

/// A column's values in the spill file, mapped read-only.
#[derive(Debug)]
pub struct Spilled {
    map: Mmap,
    len: usize,
}

impl Numbers {
    /// Whether the values live in the spill file.
    pub fn is_spilled(&self) -> bool {
        matches!(self, Numbers::Spilled(_))
    }

    /// The values as a vector of their own (a copy, for a spilled column).
    pub fn into_vec(self) -> Vec<f64> {
        match self {
            Numbers::InMemory(v) => v,
            Numbers::Spilled(s) => Numbers::Spilled(s).to_vec(),
        }
    }

    /// Hands back the resident pages of a spilled column, once a pass over it is done (a later
    /// read maps them in again from the page cache). Nothing for a column in memory.
    pub fn release(&self) {
        if let Numbers::Spilled(s) = self {
            // SAFETY: the mapping is shared, read-only and of a file no one writes after the
            // spill, so MADV_DONTNEED only drops this process's page table entries: the next read
            // of any page faults in the file's same bytes again. No value changes under a borrow.
            let _ = unsafe { s.map.unchecked_advise(UncheckedAdvice::DontNeed) };
        }
    }

    /// As [`Self::release`], for the rows `from..to` alone (whole pages within them, and the
    /// pages they share with their neighbours).
    pub fn release_rows(&self, from: usize, to: usize) {
        if let Numbers::Spilled(s) = self {
            let to = to.min(s.len);
            if from < to {
                // SAFETY: as in `release`: the pages fault back in with the same bytes.
                let _ = unsafe {
                    s.map.unchecked_advise_range(
                        UncheckedAdvice::DontNeed,
                        from * 8,
                        (to - from) * 8,
                    )
                };
            }
        }
    }
}

impl std::ops::Deref for Numbers {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        match self {
            Numbers::InMemory(v) => v,
            Numbers::Spilled(s) => {
                // The map starts on a page boundary, so it is aligned for f64; its length is the
                // column's, in bytes.
                bytemuck::cast_slice(&s.map[..s.len * 8])
            }
        }
    }
}

impl From<Vec<f64>> for Numbers {
    fn from(v: Vec<f64>) -> Self {
        Numbers::InMemory(v)
    }
}

impl FromIterator<f64> for Numbers {
    fn from_iter<I: IntoIterator<Item = f64>>(values: I) -> Self {
        Numbers::InMemory(values.into_iter().collect())
    }
}

impl PartialEq for Numbers {
    fn eq(&self, other: &Self) -> bool {
        // As `Vec<f64>`'s: value by value (so NaN != NaN), wherever the values live.
        self[..] == other[..]
    }
}

/// A temporary file the spilled columns are written to, one after another. It is removed from
/// its directory as soon as it is made, so nothing is left behind however the process ends; the
/// maps keep its pages alive.
pub struct SpillFile {
    file: File,
    written: u64,
}

impl SpillFile {
    /// A new spill file in `dir` (the system's temporary directory, `TMPDIR`, by default).
    pub fn create(dir: &std::path::Path) -> std::io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!("kiln-spill-{}-{nanos:x}.f64", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(SpillFile { file, written: 0 })
    }

    /// Writes `values` at the next page boundary and maps them back in.
    pub fn spill(&mut self, values: &[f64]) -> std::io::Result<Numbers> {
        const PAGE: u64 = 1 << 16; // a multiple of every page size kiln runs on
        let start = self.written.div_ceil(PAGE) * PAGE;
        if start > self.written {
            self.file
                .write_all(&vec![0u8; (start - self.written) as usize])?;
        }
        self.file.write_all(bytemuck::cast_slice(values))?;
        self.written = start + values.len() as u64 * 8;
        if values.is_empty() {
            return Ok(Numbers::InMemory(Vec::new()));
        }
        // SAFETY: the file is this process's alone (created new, unlinked at once) and is only
        // appended to past the mapped range, never rewritten, so the mapped bytes do not change.
        let map = unsafe {
            MmapOptions::new()
                .offset(start)
                .len(values.len() * 8)
                .map(&self.file)?
        };
        Ok(Numbers::Spilled(Arc::new(Spilled {
            map,
            len: values.len(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spilled_column_reads_as_its_values_before_and_after_release() {
        let mut file = SpillFile::create(&std::env::temp_dir()).unwrap();
        let a: Vec<f64> = (0..100_000).map(|i| (i as f64).sin()).collect();
        let b = vec![1.5, f64::NAN, -0.0];
        let (sa, sb) = (file.spill(&a).unwrap(), file.spill(&b).unwrap());
        assert!(sa.is_spilled() && sb.is_spilled());
        assert_eq!(sa, Numbers::from(a.clone()));
        assert_eq!(sb.len(), 3);
        assert!(sb[1].is_nan() && sb[2].to_bits() == (-0.0f64).to_bits());
        sa.release_rows(10, 50_000);
        assert_eq!(&sa[..], &a[..]);
        sa.release();
        assert_eq!(sa.iter().sum::<f64>(), a.iter().sum::<f64>());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&sb), bits(&b));
        assert_ne!(sa, Numbers::from(vec![0.0; 100_000]));
    }
}
