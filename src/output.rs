//! Writing to stdout. A closed pipe (`kiln compare ... | head`) ends the program quietly with exit
//! code 0, as ripgrep does, instead of the panic `print!` would raise.

use std::io::Write;

pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("kiln: cannot write to stdout: {e}");
        std::process::exit(2);
    }
}
