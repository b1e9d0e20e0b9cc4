//! Writing to stdout and stderr. A closed stdout pipe (`kiln compare ... | head`) ends the program
//! quietly with exit code 0, as ripgrep does, instead of the panic `print!` would raise; a closed
//! stderr is ignored.

use std::io::Write;

pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        crate::say!("kiln: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}

/// Writes one line to stderr and ignores any failure. Progress, warnings and errors are for a person
/// watching; a closed or full stderr (`kiln run 2>&-`, a pipe nobody reads) must never panic or stop
/// the work, which is what `eprintln!` does on a write error.
pub fn say(text: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(text).and_then(|_| err.write_all(b"\n"));
}

/// `eprintln!` that never panics: see [`say`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::output::say(format_args!($($arg)*)) };
}
