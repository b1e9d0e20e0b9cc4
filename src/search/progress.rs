//! Progress on stderr: an indicatif bar with ETA and the best score so far on a terminal, plain lines
//! otherwise (CI logs), nothing with --quiet. Neither can block or stop the fits: the bar is drawn by
//! a thread of its own (a terminal that stops reading, after Ctrl-S or a hung-up session, stalls only
//! that thread), and the lines go through `say!`, which never blocks.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

pub enum Progress {
    Bar(BarThread),
    Lines { total: usize, done: usize },
    Quiet,
}

/// What the fits tell the bar's thread.
enum BarEvent {
    Fit,
    Best(String),
    Finish,
}

/// The thread that owns the bar.
pub struct BarThread {
    events: mpsc::Sender<BarEvent>,
    finished: mpsc::Receiver<()>,
}

impl BarThread {
    fn start(total_fits: usize) -> Option<BarThread> {
        let (events, incoming) = mpsc::channel();
        let (done, finished) = mpsc::channel();
        std::thread::Builder::new()
            .name("kiln-progress".into())
            .spawn(move || {
                let bar = ProgressBar::new(total_fits as u64);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{elapsed_precise} [{bar:30}] {pos}/{len} fits, ETA {eta} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                for event in incoming {
                    match event {
                        BarEvent::Fit => bar.inc(1),
                        BarEvent::Best(best) => bar.set_message(format!("best {best}")),
                        BarEvent::Finish => break,
                    }
                }
                bar.finish_and_clear();
                let _ = done.send(());
            })
            .ok()?;
        Some(BarThread { events, finished })
    }
}

impl Progress {
    pub fn new(total_fits: usize, quiet: bool) -> Self {
        if quiet {
            return Progress::Quiet;
        }
        let lines = Progress::Lines {
            total: total_fits,
            done: 0,
        };
        if !std::io::stderr().is_terminal() {
            return lines;
        }
        BarThread::start(total_fits).map_or(lines, Progress::Bar)
    }

    /// One fit finished.
    pub fn fit_done(&mut self) {
        match self {
            Progress::Bar(b) => {
                let _ = b.events.send(BarEvent::Fit);
            }
            Progress::Lines { done, .. } => *done += 1,
            Progress::Quiet => {}
        }
    }

    /// A candidate finished: `line` describes it, `best` is the best score so far.
    pub fn candidate_done(&mut self, line: &str, best: Option<String>) {
        match self {
            Progress::Bar(b) => {
                if let Some(best) = best {
                    let _ = b.events.send(BarEvent::Best(best));
                }
            }
            Progress::Lines { total, done } => crate::say!("[{done}/{total} fits] {line}"),
            Progress::Quiet => {}
        }
    }

    /// Clears the bar before the leaderboard is printed; waits a second at most for a terminal
    /// that does not take it.
    pub fn finish(&mut self) {
        if let Progress::Bar(b) = self {
            if b.events.send(BarEvent::Finish).is_ok() {
                let _ = b.finished.recv_timeout(Duration::from_secs(1));
            }
        }
    }
}
