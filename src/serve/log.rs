//! The server's log: lines go to stderr from a thread of their own, through a bounded queue, so that
//! writing them can never hold up a request or the shutdown. A stderr that nobody reads fills its
//! pipe and blocks the writer; the server then drops lines (counted, and reported once stderr takes
//! them again, and on /metrics) instead of stopping. A closed stderr is ignored
//! (`output::write_stderr`: this thread writes directly, since its own queue is what counts drops).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Lines the queue holds while stderr is slow; past this, lines are dropped.
pub const QUEUE_LINES: usize = 1024;

enum Entry {
    Line(String),
    /// Everything queued before has been written: say so.
    Flush,
}

/// The sending end of the log. Shared by the handlers, the accept loop and the shutdown.
pub struct Log {
    queue: SyncSender<Entry>,
    dropped: Arc<AtomicU64>,
    /// Told by the writer when it reaches a `Flush`.
    flushed: Mutex<Receiver<()>>,
}

impl Log {
    /// Starts the writer thread. Without one (the system refuses a thread), every line is dropped
    /// and counted: a server that cannot log still serves.
    pub fn start() -> Log {
        let (queue, entries) = mpsc::sync_channel(QUEUE_LINES);
        let (ack, flushed) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let seen = dropped.clone();
        let writer = std::thread::Builder::new()
            .name("kiln-serve-log".into())
            .spawn(move || write_entries(&entries, &seen, &ack));
        if let Err(e) = writer {
            crate::say!("kiln serve: no log thread ({e}); the request log is off");
        }
        Log {
            queue,
            dropped,
            flushed: Mutex::new(flushed),
        }
    }

    /// Queues one line; drops it (and counts it) when the queue is full.
    pub fn line(&self, text: String) {
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            self.queue.try_send(Entry::Line(text))
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lines dropped so far because stderr did not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Waits until the lines queued so far are written, at most `wait`: a stderr that nobody reads
    /// must not hold the exit forever.
    pub fn flush(&self, wait: Duration) {
        if self.queue.try_send(Entry::Flush).is_ok() {
            let flushed = self.flushed.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = flushed.recv_timeout(wait);
        }
    }
}

/// The writer thread: every line to stderr; after a stretch of dropped lines, how many were dropped.
fn write_entries(entries: &Receiver<Entry>, dropped: &AtomicU64, flushed: &Sender<()>) {
    let mut reported = 0;
    for entry in entries {
        match entry {
            Entry::Line(line) => crate::util::output::write_stderr(&format!("{line}\n")),
            Entry::Flush => {
                let _ = flushed.send(());
            }
        }
        let now = dropped.load(Ordering::Relaxed);
        if now > reported {
            crate::util::output::write_stderr(&format!(
                "kiln serve: {} log lines dropped: stderr was not keeping up\n",
                now - reported
            ));
            reported = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        // A queue with no writer behind it: it fills after QUEUE_LINES lines, then drops.
        let (queue, entries) = mpsc::sync_channel(QUEUE_LINES);
        let (_ack, flushed) = mpsc::channel();
        let log = Log {
            queue,
            dropped: Arc::new(AtomicU64::new(0)),
            flushed: Mutex::new(flushed),
        };
        for i in 0..QUEUE_LINES + 10 {
            log.line(format!("line {i}"));
        }
        assert_eq!(log.dropped(), 10);
        // A flush behind a full queue returns at once rather than wait for room.
        log.flush(Duration::from_secs(600));
        assert_eq!(entries.try_iter().count(), QUEUE_LINES);
        // With room, it waits no longer than told for a writer that never answers.
        log.flush(Duration::from_millis(10));
    }
}
