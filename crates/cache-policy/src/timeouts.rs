//! [`FetchTimeouts`]: how long a [`ReadThrough`](crate::ReadThrough) caller waits for a fetch.

use std::future::Future;
use std::time::Duration;

use cache_core::{Error, Result};

/// How long a [`ReadThrough`](crate::ReadThrough) waits for a fetch.
///
/// - `soft`: a caller that holds a usable stale copy waits this long, then is served the
///   stale copy while the fetch goes on in the background; the fetch still stores its value
///   when it finishes. Zero serves the stale copy at once (stale-while-revalidate). A caller
///   with no stale copy waits for the fetch, up to the hard deadline.
/// - `hard`: the fetch is abandoned (its future dropped) when it has not finished within
///   this time; a stale copy is served if one is usable, else
///   [`FetchError::Deadline`](crate::FetchError::Deadline).
///
/// [`Duration::MAX`] means no limit, and arms no timer. Other limits need a tokio runtime
/// with its timer enabled (`#[tokio::main]` and `#[tokio::test]` enable it).
///
/// # Behavior
/// - A soft timeout at or past the hard deadline is the hard deadline: a caller holding a
///   stale copy waits for the fetch until the hard deadline, and is then served the copy
///   (counted as a deadline, not a soft timeout). [`FetchTimeouts::NONE`] is such a pair.
/// - A zero hard deadline abandons every fetch that is not done the first time it is polled,
///   which is nearly every fetch that does I/O: nothing is fetched, nothing stored, every
///   caller gets its stale copy or [`FetchError::Deadline`](crate::FetchError::Deadline).
///   [`FetchTimeouts::validate`] refuses it, for timeouts read from a configuration.
///
/// ```
/// use std::time::Duration;
/// use cache_policy::FetchTimeouts;
///
/// let defaults = FetchTimeouts::default();
/// assert_eq!((defaults.soft(), defaults.hard()), (Duration::from_secs(5), Duration::from_secs(30)));
/// let eager = defaults.with_soft(Duration::ZERO).with_hard(Duration::from_secs(10));
/// assert_eq!((eager.soft(), eager.hard()), (Duration::ZERO, Duration::from_secs(10)));
/// assert_eq!(FetchTimeouts::NONE.hard(), Duration::MAX);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchTimeouts {
    soft: Duration,
    hard: Duration,
}

impl FetchTimeouts {
    /// The soft timeout by default.
    pub const DEFAULT_SOFT: Duration = Duration::from_secs(5);
    /// The hard deadline by default.
    pub const DEFAULT_HARD: Duration = Duration::from_secs(30);
    /// No limits: callers wait for every fetch as long as it takes.
    pub const NONE: Self = Self::new(Duration::MAX, Duration::MAX);

    /// Serves a stale copy after `soft`, abandons the fetch after `hard`.
    pub const fn new(soft: Duration, hard: Duration) -> Self {
        Self { soft, hard }
    }

    /// The same timeouts with another soft timeout.
    pub const fn with_soft(mut self, soft: Duration) -> Self {
        self.soft = soft;
        self
    }

    /// The same timeouts with another hard deadline.
    pub const fn with_hard(mut self, hard: Duration) -> Self {
        self.hard = hard;
        self
    }

    /// How long a caller holding a stale copy waits before it is served.
    pub const fn soft(&self) -> Duration {
        self.soft
    }

    /// How long a fetch may run before it is abandoned.
    pub const fn hard(&self) -> Duration {
        self.hard
    }

    /// These timeouts, unless they cannot serve: a zero hard deadline abandons nearly every
    /// fetch (see the type's docs). A soft timeout past the hard deadline passes, as the hard
    /// deadline.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cache_policy::FetchTimeouts;
    ///
    /// let configured = FetchTimeouts::default().with_hard(Duration::from_secs(10));
    /// assert_eq!(configured.validate()?, configured);
    /// assert!(FetchTimeouts::default().with_hard(Duration::ZERO).validate().is_err());
    /// # Ok::<_, cache_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a zero hard deadline.
    pub fn validate(self) -> Result<Self> {
        if self.hard.is_zero() {
            return Err(Error::invalid_argument(
                "a zero hard deadline would abandon every fetch",
            ));
        }
        Ok(self)
    }

    /// How long a caller holding a stale copy waits for the fetch before it is served the
    /// copy; `None` when it waits until the hard deadline.
    pub(crate) fn stale_after(&self) -> Option<Duration> {
        (self.soft < self.hard).then_some(self.soft)
    }
}

impl Default for FetchTimeouts {
    /// [`FetchTimeouts::DEFAULT_SOFT`] and [`FetchTimeouts::DEFAULT_HARD`].
    fn default() -> Self {
        Self::new(Self::DEFAULT_SOFT, Self::DEFAULT_HARD)
    }
}

/// Awaits `future` for at most `limit`: `None` when the limit passed first. No timer is
/// armed for [`Duration::MAX`], so that a runtime without one can do without limits.
pub(crate) async fn within<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    if limit == Duration::MAX {
        return Some(future.await);
    }
    tokio::time::timeout(limit, future).await.ok()
}
