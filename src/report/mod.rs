//! Seeing the data and the results: `kiln explore` (column statistics, warnings, charts), the
//! report.html of a run directory, `kiln compare` (runs side by side, read through
//! `runlog::RunDir`), and the JUnit report of a batch. The statistics themselves are
//! `data::profile`. Charts are hand-made inline SVG; pages are self-contained HTML with no script
//! and no external resource.

pub mod compare;
pub mod explore;
pub mod fmt;
pub mod html;
pub mod junit;
pub mod run_report;
pub mod svg;

pub use run_report::{write_after_run, write_run_report};
