//! [`Quiet`]: warnings of a read-through that repeat while its upstream keeps failing, at
//! most one in a while.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// At most one warning this often; the ones between go to debug, counted in the next.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// When a read-through last warned that a fetch failed or a stale copy was served. A
/// program that reads every 200 ms while its upstream is down (or backing off) would
/// otherwise log two warnings a read.
#[derive(Debug, Default)]
pub(super) struct Quiet {
    warned_at: Mutex<Option<Instant>>,
    quieted: AtomicU64,
}

impl Quiet {
    /// Whether to warn now; `Some(n)` with the warnings quieted since the last one, `None`
    /// when this one is quieted too (and is to be logged at debug level).
    pub(super) fn warn(&self) -> Option<u64> {
        let mut warned_at = self
            .warned_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if warned_at.is_some_and(|at| at.elapsed() < WARN_EVERY) {
            self.quieted.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *warned_at = Some(Instant::now());
        Some(self.quieted.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_warning_in_a_while_and_the_quieted_counted_in_the_next() {
        let quiet = Quiet::default();
        assert_eq!(quiet.warn(), Some(0));
        assert_eq!(quiet.warn(), None);
        assert_eq!(quiet.warn(), None);
        *quiet.warned_at.lock().unwrap() = Instant::now().checked_sub(WARN_EVERY);
        assert_eq!(quiet.warn(), Some(2));
    }
}
