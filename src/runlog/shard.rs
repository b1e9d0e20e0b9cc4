//! `--shard I/N`: which candidates one process of a split run runs, as a shard's summary.json records
//! it.

use crate::error::{KilnError, Result};

/// `--shard I/N`: this process runs the candidates whose index mod N is I - 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            KilnError::Config(format!(
                "--shard {text}: expected I/N with 1 <= I <= N, as --shard 2/4"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    pub fn owns(&self, candidate: usize) -> bool {
        candidate % self.count == self.index - 1
    }
}
