//! The one place an error reaches the terminal. A command returns its error with what it was doing
//! (the pipeline, the data file, the flag); `print` writes `error: ` and that chain, and gives the
//! exit status the error's kind calls for. A closed stdout (`kiln compare ... | head`) is success.

use super::ExitStatus;
use crate::error::{printable_message, KilnError};
use std::fmt::Display;
use std::path::Path;

/// What a command returns: how it ended, or why it failed.
pub type CommandResult = Result<ExitStatus, Failure>;

/// An error and what it happened in, innermost first.
#[derive(Debug)]
pub struct Failure {
    error: KilnError,
    context: Vec<Context>,
}

#[derive(Debug)]
enum Context {
    /// Always written before the message: `cannot write the HTML report: ...`.
    Always(String),
    /// The file the error is about, written before the message unless the message names it already
    /// (config errors start with the pipeline's file:line).
    Subject(String),
}

impl From<KilnError> for Failure {
    fn from(error: KilnError) -> Self {
        Failure {
            error,
            context: Vec::new(),
        }
    }
}

impl Failure {
    /// The whole message: the error, with each context before it.
    pub fn message(&self) -> String {
        let mut message = self.error.to_string();
        for c in &self.context {
            match c {
                Context::Always(what) => message = format!("{what}: {message}"),
                Context::Subject(file) if !message.contains(file.as_str()) => {
                    message = format!("{file}: {message}")
                }
                Context::Subject(_) => {}
            }
        }
        message
    }

    /// The status the error ends the command with.
    pub fn status(&self) -> ExitStatus {
        ExitStatus::of(&self.error)
    }

    /// `what: message`, always.
    pub fn context(mut self, what: impl Display) -> Self {
        self.context.push(Context::Always(what.to_string()));
        self
    }

    /// `file: message`, unless the message names the file already.
    pub fn about(mut self, file: &Path) -> Self {
        self.context
            .push(Context::Subject(file.display().to_string()));
        self
    }

    fn is_broken_pipe(&self) -> bool {
        matches!(&self.error, KilnError::Output { source, .. }
            if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Adds what a failing step was doing to its error.
pub trait WithContext<T> {
    /// `what: message`, always.
    fn context(self, what: impl Display) -> Result<T, Failure>;
    /// `file: message`, unless the message names the file already.
    fn about(self, file: &Path) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> WithContext<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T, Failure> {
        self.map_err(|e| e.into().context(what))
    }

    fn about(self, file: &Path) -> Result<T, Failure> {
        self.map_err(|e| e.into().about(file))
    }
}

/// Writes the error to stderr and returns the exit status it calls for. A reader that went away is
/// not an error: nothing is written and the status is success.
pub fn print(failure: &Failure) -> ExitStatus {
    if failure.is_broken_pipe() {
        return ExitStatus::Success;
    }
    // Messages quote the data; whatever slipped through unescaped must not reach the terminal raw.
    let message = failure.message();
    crate::say!("error: {}", printable_message(&message));
    failure.status()
}

/// A command's result as an exit status, its error printed.
pub fn finish(result: CommandResult) -> ExitStatus {
    result.unwrap_or_else(|f| print(&f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_named_once_and_a_context_always() {
        let named: Result<(), _> = Err(KilnError::Config("p.toml:3:1: bad key".into()));
        assert_eq!(
            named.about(Path::new("p.toml")).unwrap_err().message(),
            "p.toml:3:1: bad key"
        );
        let unnamed: Result<(), _> = Err(KilnError::Data("no such column".into()));
        let f = unnamed
            .about(Path::new("p.toml"))
            .context("--junit x.xml")
            .unwrap_err();
        assert_eq!(f.message(), "--junit x.xml: p.toml: no such column");
        assert_eq!(f.status(), ExitStatus::Failure);
    }

    #[test]
    fn a_closed_stdout_is_success() {
        let pipe = KilnError::io(
            "stdout",
            std::io::Error::from(std::io::ErrorKind::BrokenPipe),
        );
        assert_eq!(print(&Failure::from(pipe)), ExitStatus::Success);
        assert_eq!(
            print(&Failure::from(KilnError::Interrupted)),
            ExitStatus::Interrupted
        );
    }
}
