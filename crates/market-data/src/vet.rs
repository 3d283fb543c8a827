//! Vetting an upstream answer before it replaces a cached list.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::Market;

/// Why a refresh produced no value: the upstream failed, or its answer was refused.
#[derive(Debug, Clone)]
pub(crate) enum RefreshError {
    /// The upstream call failed.
    Upstream(Arc<bybit_client::Error>),
    /// The upstream answered a list that would wipe or gut the cached one.
    Refused(Refused),
    /// The upstream did not answer within the deadline.
    Deadline(Duration),
    /// A fetch failed recently, here or in another process sharing the cache, and the next
    /// is not due for `left`: Bybit was not asked.
    BackingOff {
        /// What the last fetch failed with.
        cause: String,
        /// How long until the next attempt.
        left: Duration,
    },
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upstream(error) => error.fmt(f),
            Self::Refused(refused) => refused.fmt(f),
            Self::Deadline(after) => write!(f, "no answer within the deadline of {after:?}"),
            Self::BackingOff { cause, left } => write!(
                f,
                "Bybit failed recently ({cause}); next attempt in {}",
                next_attempt(*left)
            ),
        }
    }
}

impl From<bybit_client::Error> for RefreshError {
    fn from(error: bybit_client::Error) -> Self {
        Self::Upstream(Arc::new(error))
    }
}

/// An upstream answer that was not stored because it would have replaced a larger cached list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The market asked for.
    pub market: Market,
    /// How many instruments the upstream answered.
    pub answered: usize,
    /// How many the cached list holds.
    pub cached: usize,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Bybit answered {} {} instruments where the cache holds {}: the answer was not stored",
            self.answered, self.market, self.cached
        )
    }
}

/// Whether an answer of `answered` instruments may replace a cached list of `cached`: an
/// empty answer never replaces a non-empty list, and with `max_shrink` set, no answer that
/// lost more than that fraction of the list does.
pub(crate) fn acceptable(answered: usize, cached: usize, max_shrink: Option<f64>) -> bool {
    if cached == 0 {
        return true;
    }
    if answered == 0 {
        return false;
    }
    max_shrink.is_none_or(|fraction| {
        let lost = cached.saturating_sub(answered) as f64 / cached as f64;
        lost <= fraction
    })
}

/// A pause as a person reads it: whole seconds, at least one.
pub(crate) fn next_attempt(left: Duration) -> String {
    format!("{} s", left.as_secs().max(1))
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn an_empty_answer_replaces_only_an_empty_list() {
        assert!(acceptable(0, 0, None));
        assert!(!acceptable(0, 214, None));
        assert!(
            !acceptable(0, 1, Some(1.0)),
            "even when any shrink is allowed"
        );
    }

    #[test]
    fn shrinking_is_allowed_up_to_the_fraction_when_one_is_set() {
        assert!(acceptable(1, 214, None), "off by default");
        assert!(acceptable(107, 214, Some(0.5)));
        assert!(!acceptable(106, 214, Some(0.5)));
        assert!(acceptable(300, 214, Some(0.0)), "growth is always fine");
    }
}
