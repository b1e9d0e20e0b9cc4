//! Writing to stdout and stderr. `emit` returns a failed stdout write as an error instead of the
//! panic `print!` would raise; the command line's one error printer treats a closed pipe
//! (`kiln compare ... | head`) as success, as ripgrep does.
//!
//! stderr is for a person watching: progress, warnings, errors. Nothing written there may panic,
//! stop or stall the work, which is what `eprintln!` does on a closed pipe (a panic) and any
//! write does on a pipe nobody reads (it blocks once the pipe's buffer is full). So `say!` queues
//! the line and one writer thread writes the queue out: a stalled stderr stalls only that thread.
//! The queue is bounded; lines that do not fit are dropped and counted, and the count is written
//! where they would have been. At exit the queue gets half a second to drain, so the last message
//! of a command (its error) still reaches a stderr that is read.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// Writes `text` to stdout, after what `say!` has queued; a failed write (a closed pipe, a full
/// disk) is an `Output` error for the caller to pass up.
pub fn emit(text: &str) -> crate::error::Result<()> {
    // Messages said before this output come before it on a terminal that shows both.
    flush_stderr(Duration::from_millis(100));
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| crate::error::KilnError::io("stdout", e))
}

/// Bytes of lines waiting for stderr at most; beyond that lines are dropped.
const QUEUE_BYTES: usize = 1 << 20;
/// How long the process waits at exit for the queue to reach stderr.
const EXIT_FLUSH: Duration = Duration::from_millis(500);

enum Entry {
    Line(String),
    /// This many lines were dropped here because the queue was full.
    Dropped(usize),
}

struct Queue {
    entries: VecDeque<Entry>,
    bytes: usize,
    /// The writer thread is writing an entry it has taken off the queue.
    writing: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    entries: VecDeque::new(),
    bytes: 0,
    writing: false,
});
/// Signalled when an entry is queued and when one has been written.
static CHANGED: Condvar = Condvar::new();

fn queue() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes to stderr from the calling thread, ignoring failures: it may block while stderr is full.
/// For a thread whose only job is writing a log (serve's), which counts what it cannot write itself.
pub fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes one line to stderr without ever blocking or failing: see the module doc.
pub fn say(text: std::fmt::Arguments<'_>) {
    let line = format!("{text}\n");
    if !writer_started() {
        // No thread to write for us: write directly, ignoring failures.
        write_stderr(&line);
        return;
    }
    let mut q = queue();
    if q.bytes + line.len() > QUEUE_BYTES {
        match q.entries.back_mut() {
            Some(Entry::Dropped(n)) => *n += 1,
            _ => q.entries.push_back(Entry::Dropped(1)),
        }
    } else {
        q.bytes += line.len();
        q.entries.push_back(Entry::Line(line));
    }
    CHANGED.notify_all();
}

/// `eprintln!` that never panics or blocks: see [`say`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::util::output::say(format_args!($($arg)*)) };
}

/// Waits until every queued line is written to stderr, or `timeout` has passed.
pub fn flush_stderr(timeout: Duration) {
    let q = queue();
    let _ = CHANGED.wait_timeout_while(q, timeout, |q| !q.entries.is_empty() || q.writing);
}

/// Starts the writer thread on first use (and the flush at exit); false if it could not start, or
/// where there is no exit handler to drain it.
fn writer_started() -> bool {
    static STARTED: OnceLock<bool> = OnceLock::new();
    *STARTED.get_or_init(|| {
        if !cfg!(unix) {
            return false;
        }
        let started = std::thread::Builder::new()
            .name("kiln-stderr".into())
            .spawn(write_queue)
            .is_ok();
        if started {
            register_exit_flush();
        }
        started
    })
}

/// The writer thread: takes each entry off the queue and writes it, ignoring failures.
fn write_queue() {
    loop {
        let entry = {
            let mut q = queue();
            while q.entries.is_empty() {
                q = CHANGED.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            q.writing = true;
            q.entries.pop_front()
        };
        let written = match &entry {
            Some(Entry::Line(line)) => line.len(),
            _ => 0,
        };
        let text = match entry {
            Some(Entry::Line(line)) => line,
            Some(Entry::Dropped(n)) => {
                format!("kiln: {n} lines for stderr dropped here: nobody was reading it\n")
            }
            None => String::new(),
        };
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        let mut q = queue();
        q.bytes -= written;
        q.writing = false;
        CHANGED.notify_all();
    }
}

/// Every way out of the process (returning from main, `std::process::exit`) runs the C library's
/// exit handlers: one of them drains the queue.
fn register_exit_flush() {
    #[cfg(unix)]
    {
        extern "C" fn flush_at_exit() {
            flush_stderr(EXIT_FLUSH);
        }
        // SAFETY: registers a function with no preconditions, called once at exit.
        unsafe {
            libc::atexit(flush_at_exit);
        }
    }
}
