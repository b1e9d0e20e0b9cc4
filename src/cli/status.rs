//! Every exit status kiln ends with, in one place (README's "Exit codes"): 0 success, 1 an
//! `[expect]` check failed, 2 any invalid input or failure, 130 interrupted by SIGINT or SIGTERM.

use crate::error::KilnError;

/// How a command ended. Ordered from best to worst, so the status of a batch is the `max` of its runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Everything asked for was done.
    Success,
    /// The run finished, but an `[expect]` check failed.
    ExpectFailed,
    /// Invalid input, or a failure reading or writing: the message says which.
    Failure,
    /// SIGINT or SIGTERM stopped the run; what finished is kept.
    Interrupted,
}

impl ExitStatus {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::ExpectFailed => 1,
            ExitStatus::Failure => 2,
            ExitStatus::Interrupted => 130,
        }
    }

    /// The status an error ends a command with: its kind decides.
    pub fn of(error: &KilnError) -> Self {
        match error {
            KilnError::Interrupted => ExitStatus::Interrupted,
            KilnError::Config(_)
            | KilnError::Data(_)
            | KilnError::Artifact(_)
            | KilnError::AllCandidatesFailed(_)
            | KilnError::Output { .. } => ExitStatus::Failure,
        }
    }

    /// Success, or ExpectFailed when some `[expect]` check failed.
    pub fn expectations(failed: bool) -> Self {
        if failed {
            ExitStatus::ExpectFailed
        } else {
            ExitStatus::Success
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_wins_and_codes_are_the_documented_ones() {
        let all = [
            ExitStatus::Success,
            ExitStatus::ExpectFailed,
            ExitStatus::Failure,
            ExitStatus::Interrupted,
        ];
        assert_eq!(all.map(ExitStatus::code), [0, 1, 2, 130]);
        assert_eq!(all.iter().max(), Some(&ExitStatus::Interrupted));
        assert_eq!(ExitStatus::of(&KilnError::Interrupted).code(), 130);
        assert_eq!(ExitStatus::of(&KilnError::Data("x".into())).code(), 2);
    }
}
