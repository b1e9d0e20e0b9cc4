//! Small utilities every layer may use, and that import nothing of kiln's but its error type: atomic
//! file writes, the clock, sizes in bytes, plain text tables, and output to stdout and stderr
//! (`say!`).

pub mod atomic;
pub mod clock;
pub mod output;
pub mod sizes;
pub mod table;
