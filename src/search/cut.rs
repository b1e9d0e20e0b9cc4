//! What may end a search before its last candidate: `search.stop_when` (the first candidate, in
//! candidate order, that meets it; later ones are not started, or dropped when they had started)
//! and `search.max_seconds` (no candidate but the first starts after the deadline; one already
//! started runs to its end, so every finished candidate's result is exact).
//!
//! The stop_when cut does not depend on the thread count: a candidate is skipped only when a
//! candidate before it met the checks, so every candidate up to the first that meets them
//! finishes, whatever the schedule.

use super::trial::Trial;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::Instant;

/// Whether a finished candidate ends the search (search.stop_when).
pub type StopWhen<'a> = &'a (dyn Fn(&Trial) -> bool + Sync);

const UNSTARTED: u8 = 0;
const STARTED: u8 = 1;
const SKIPPED: u8 = 2;

/// The shared state of the cut, by candidate position (positions are in candidate order).
pub(super) struct Cut<'a> {
    stop_when: Option<StopWhen<'a>>,
    deadline: Option<Instant>,
    /// The least position of a finished candidate that met stop_when; usize::MAX while none has.
    first_met: AtomicUsize,
    state: Vec<AtomicU8>,
    timed_out: AtomicBool,
}

impl<'a> Cut<'a> {
    pub(super) fn new(
        candidates: usize,
        stop_when: Option<StopWhen<'a>>,
        deadline: Option<Instant>,
    ) -> Self {
        Cut {
            stop_when,
            deadline,
            first_met: AtomicUsize::new(usize::MAX),
            state: (0..candidates).map(|_| AtomicU8::new(UNSTARTED)).collect(),
            timed_out: AtomicBool::new(false),
        }
    }

    /// Whether a fit of candidate position `c` may run now; false skips the candidate for good.
    pub(super) fn may_run(&self, c: usize) -> bool {
        if c > self.first_met.load(Ordering::SeqCst) {
            self.state[c].store(SKIPPED, Ordering::SeqCst);
            return false;
        }
        // The first candidate always runs, so a run cut by time still has a result.
        let late = c > 0 && self.deadline.is_some_and(|d| Instant::now() >= d);
        let want = if late { SKIPPED } else { STARTED };
        match self.state[c].compare_exchange(UNSTARTED, want, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) if late => {
                self.timed_out.store(true, Ordering::SeqCst);
                false
            }
            Ok(_) => true,
            Err(now) => now == STARTED,
        }
    }

    /// Whether candidate position `c` will not be reported: skipped, or after one that met stop_when.
    pub(super) fn dropped(&self, c: usize) -> bool {
        self.state[c].load(Ordering::SeqCst) == SKIPPED || c > self.first_met.load(Ordering::SeqCst)
    }

    /// Notes a finished candidate's trial.
    pub(super) fn finished(&self, c: usize, trial: &Trial) {
        if self.stop_when.is_some_and(|f| trial.is_ok() && f(trial)) {
            self.first_met.fetch_min(c, Ordering::SeqCst);
        }
    }

    /// The position of the first candidate that met stop_when, if one did.
    pub(super) fn met_at(&self) -> Option<usize> {
        Some(self.first_met.load(Ordering::SeqCst)).filter(|&c| c != usize::MAX)
    }

    /// Some candidate was not started because the deadline had passed.
    pub(super) fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial(candidate: usize) -> Trial {
        Trial {
            candidate,
            params: Default::default(),
            folds: Vec::new(),
            mean: Default::default(),
            std: Default::default(),
            status: super::super::TrialStatus::Ok,
            error: None,
            warnings: Vec::new(),
            strategy: None,
            rung: None,
            resource: None,
            threshold: None,
        }
    }

    #[test]
    fn candidates_after_the_first_that_meets_stop_when_are_skipped() {
        let meets = |t: &Trial| t.candidate == 2 || t.candidate == 4;
        let cut = Cut::new(6, Some(&meets), None);
        assert!(cut.may_run(5));
        cut.finished(4, &trial(4));
        assert!(cut.dropped(5), "after a candidate that met it");
        assert!(cut.may_run(1) && cut.may_run(3));
        cut.finished(2, &trial(2));
        assert!(!cut.may_run(3) && cut.dropped(3) && !cut.dropped(2));
        assert_eq!(cut.met_at(), Some(2));
        assert!(!cut.timed_out());
    }

    #[test]
    fn after_the_deadline_no_candidate_starts_but_a_started_one_goes_on() {
        let cut = Cut::new(
            3,
            None,
            Some(Instant::now() + std::time::Duration::from_secs(3600)),
        );
        assert!(cut.may_run(0));
        let late = Cut::new(3, None, Some(Instant::now()));
        assert!(late.may_run(0), "the first candidate always runs");
        assert!(!late.may_run(1) && late.dropped(1) && late.timed_out());
        late.state[2].store(STARTED, Ordering::SeqCst);
        assert!(late.may_run(2), "a started candidate finishes its folds");
        assert_eq!(late.met_at(), None);
    }
}
