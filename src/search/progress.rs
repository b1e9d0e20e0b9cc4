//! Progress on stderr: an indicatif bar with ETA and the best score so far on a terminal, plain lines
//! otherwise (CI logs), nothing with --quiet.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub enum Progress {
    Bar(ProgressBar),
    Lines { total: usize, done: usize },
    Quiet,
}

impl Progress {
    pub fn new(total_fits: usize, quiet: bool) -> Self {
        if quiet {
            return Progress::Quiet;
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total_fits as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} fits, ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                total: total_fits,
                done: 0,
            }
        }
    }

    /// One fit finished.
    pub fn fit_done(&mut self) {
        match self {
            Progress::Bar(b) => b.inc(1),
            Progress::Lines { done, .. } => *done += 1,
            Progress::Quiet => {}
        }
    }

    /// A candidate finished: `line` describes it, `best` is the best score so far.
    pub fn candidate_done(&mut self, line: &str, best: Option<String>) {
        match self {
            Progress::Bar(b) => {
                if let Some(best) = best {
                    b.set_message(format!("best {best}"));
                }
            }
            Progress::Lines { total, done } => crate::say!("[{done}/{total} fits] {line}"),
            Progress::Quiet => {}
        }
    }

    pub fn finish(&mut self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }
}
