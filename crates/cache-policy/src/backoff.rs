//! [`Backoff`]: the fleet's shared back-off after failed work, a short-lived marker in the
//! cache beside the work's lease that every process reads before it asks the upstream.

mod marker;

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cache_core::{Cache, Error, Result};

pub use self::marker::BackoffMarker;
use self::marker::Own;

/// The first pause after a transient failure, by default; it doubles with each failure in a
/// row.
pub const DEFAULT_FIRST_PAUSE: Duration = Duration::from_secs(1);
/// The longest pause after transient failures, by default.
pub const DEFAULT_LONGEST_PAUSE: Duration = Duration::from_secs(60);
/// The pause after a ban, by default: an upstream that bans a client for asking too often
/// (HTTP 403, "access too frequent") tends to ask for minutes of silence, and to extend the
/// ban at each request made before it is over.
pub const DEFAULT_BAN_PAUSE: Duration = Duration::from_secs(600);
/// How long a marker outlives its pause, so that the next failure in a row finds its count.
const MEMORY: Duration = Duration::from_secs(120);

/// What kind of failure the upstream's error is, as its caller, who knows the upstream, tells
/// it: how long the fleet then waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureClass {
    /// A failure that may pass by itself (a server error, a timeout, a connection refused):
    /// pauses start at [`Backoff::first_pause`] and double with each failure in a row up to
    /// [`Backoff::longest_pause`], each lengthened by up to half so that hosts spread.
    Transient,
    /// The upstream said when to ask again, as a rate limit's reset time does: the fleet
    /// waits until then, for at least the first pause and at most the ban pause.
    Until(SystemTime),
    /// The upstream banned the caller: the fleet waits [`Backoff::ban_pause`].
    Banned,
}

/// The attempt was not made: it failed recently, here or in another process sharing the
/// cache, and the next one is not due yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed recently ({cause}); next attempt in {} s", retry_in.as_secs().max(1))]
#[non_exhaustive]
pub struct BackingOff {
    /// What the last attempt failed with.
    pub cause: String,
    /// How long until the next attempt may be made.
    pub retry_in: Duration,
}

/// The back-off shared by every process of a cache after failed work: a failure leaves a
/// short-lived marker ([`BackoffMarker`]) under [`Backoff::marker_key`] of the work's lease,
/// and until it is due no process makes the attempt again. A failing or banning upstream is
/// asked once per pause by the whole fleet, not once per read by each process.
///
/// # Behavior
/// - [`Backoff::run`] reads the marker, and returns [`BackingOff`] at once while it is not
///   due; otherwise it makes the attempt, records a failure with the pause its
///   [`FailureClass`] calls for, and removes the marker after a success. Run under the
///   work's lease (see [`Fleet`](crate::Fleet)), a process that waited on a holder whose
///   attempt failed finds the holder's marker.
/// - Markers are text; bytes under the key that are not a marker are ignored, so that
///   anything another writer leaves there does not stop the work.
/// - A process that cannot read or write the cache keeps its own markers and backs off by
///   them; of its own and the cache's, the later one counts.
/// - [`ReadThrough::with_backoff`](crate::ReadThrough::with_backoff) runs each fetch of a
///   read-through so: while backing off, its readers get their stale copy or
///   [`FetchError::BackingOff`](crate::FetchError::BackingOff) at once.
///
/// Clones share this process's markers.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use cache_core::{Cache, MemoryCache};
/// use cache_policy::{Backoff, BackingOff, FailureClass};
///
/// #[derive(Debug)]
/// enum Upstream {
///     Http(u16),
///     Later(BackingOff),
/// }
/// impl std::fmt::Display for Upstream {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         match self {
///             Self::Http(status) => write!(f, "HTTP {status}"),
///             Self::Later(later) => later.fmt(f),
///         }
///     }
/// }
/// impl From<BackingOff> for Upstream {
///     fn from(later: BackingOff) -> Self {
///         Self::Later(later)
///     }
/// }
/// let classify = |error: &Upstream| match error {
///     Upstream::Http(403) => FailureClass::Banned,
///     _ => FailureClass::Transient,
/// };
///
/// let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
/// let (here, elsewhere) = (Backoff::new(), Backoff::new()); // two processes
/// let failing = || async { Err::<u32, _>(Upstream::Http(403)) };
/// let failed = here.run(&cache, "refresh:linear", classify, failing).await;
/// assert!(matches!(failed, Err(Upstream::Http(403))));
///
/// // The other process does not ask while the ban lasts, and says when it will.
/// let asked = || async { Ok::<u32, Upstream>(unreachable!("asked during the ban")) };
/// match elsewhere.run(&cache, "refresh:linear", classify, asked).await {
///     Err(Upstream::Later(later)) => assert!(later.retry_in.as_secs() > 9 * 60),
///     other => panic!("{other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    longest: Duration,
    ban: Duration,
    own: Arc<Own>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

impl Backoff {
    /// Pauses of [`DEFAULT_FIRST_PAUSE`] doubling to [`DEFAULT_LONGEST_PAUSE`], and
    /// [`DEFAULT_BAN_PAUSE`] after a ban.
    pub fn new() -> Self {
        Self {
            first: DEFAULT_FIRST_PAUSE,
            longest: DEFAULT_LONGEST_PAUSE,
            ban: DEFAULT_BAN_PAUSE,
            own: Arc::default(),
        }
    }

    /// Transient failures pause `first`, doubling up to `longest`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `first` is zero, or above `longest` or the ban pause.
    pub fn with_pauses(mut self, first: Duration, longest: Duration) -> Result<Self> {
        if first.is_zero() || first > longest || first > self.ban {
            return Err(Error::invalid_argument(format!(
                "back-off pauses {first:?}..{longest:?} must be above zero, in order, and no longer than the ban pause {:?}",
                self.ban
            )));
        }
        (self.first, self.longest) = (first, longest);
        Ok(self)
    }

    /// A ban pauses `ban`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `ban` is shorter than the first pause.
    pub fn with_ban_pause(mut self, ban: Duration) -> Result<Self> {
        if ban < self.first {
            return Err(Error::invalid_argument(format!(
                "a ban pause of {ban:?} is shorter than the first pause {:?}",
                self.first
            )));
        }
        self.ban = ban;
        Ok(self)
    }

    /// The pause after the first transient failure.
    pub const fn first_pause(&self) -> Duration {
        self.first
    }

    /// The longest pause after transient failures.
    pub const fn longest_pause(&self) -> Duration {
        self.longest
    }

    /// The pause after a ban.
    pub const fn ban_pause(&self) -> Duration {
        self.ban
    }

    /// The cache key of the marker of the work done under the lease `lease`: beside it.
    pub fn marker_key(lease: &str) -> String {
        format!("{lease}:failed")
    }

    /// How long the fleet waits after a failure of `class`, the `failures`-th in a row.
    pub fn pause(&self, class: FailureClass, failures: u32) -> Duration {
        match class {
            FailureClass::Banned => self.ban,
            FailureClass::Until(at) => at
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .max(self.first)
                .min(self.ban),
            FailureClass::Transient => {
                let doubled = self
                    .first
                    .saturating_mul(1 << failures.saturating_sub(1).min(16));
                doubled
                    .mul_f64(1.0 + crate::jitter::fraction() / 2.0)
                    .min(self.longest)
            }
        }
    }

    /// Makes `attempt` unless the work under `lease` is backing off, and records how it went
    /// for every process sharing `cache`; `classify` tells what kind of failure its error is.
    ///
    /// # Errors
    /// [`BackingOff`], as `E`, when the attempt is not due; else the attempt's own error.
    pub async fn run<C, T, E, K, F, Fut>(
        &self,
        cache: &C,
        lease: &str,
        classify: K,
        attempt: F,
    ) -> std::result::Result<T, E>
    where
        C: Cache + ?Sized,
        E: From<BackingOff> + Display,
        K: FnOnce(&E) -> FailureClass,
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
    {
        let previous = self.marker(cache, lease).await;
        Self::check(previous.as_ref())?;
        match attempt().await {
            Ok(value) => {
                self.record_success(cache, lease, previous.as_ref()).await;
                Ok(value)
            }
            Err(error) => {
                let class = classify(&error);
                let cause = error.to_string();
                self.record_failure(cache, lease, previous.as_ref(), class, &cause)
                    .await;
                Err(error)
            }
        }
    }

    /// The marker of the work under `lease`: the cache's, or this process's own when it is
    /// later (the cache could not be read or written, or holds bytes that are not a marker);
    /// `None` when neither has one.
    pub async fn marker<C: Cache + ?Sized>(&self, cache: &C, lease: &str) -> Option<BackoffMarker> {
        let key = Self::marker_key(lease);
        let shared = match cache.get(&key).await {
            Ok(Some(bytes)) => {
                let marker = BackoffMarker::decode(&bytes);
                if marker.is_none() {
                    tracing::debug!(key, "ignored a back-off marker that is not one");
                }
                marker
            }
            Ok(None) => None,
            Err(error) => {
                tracing::debug!(key, %error, "cannot read the back-off marker");
                None
            }
        };
        let own = self.own.get(&key);
        match (shared, own) {
            (Some(shared), Some(own)) if own.until > shared.until => Some(own),
            (shared, own) => shared.or(own),
        }
    }

    /// Whether an attempt after `marker` is due.
    ///
    /// # Errors
    /// [`BackingOff`] when it is not.
    pub fn check(marker: Option<&BackoffMarker>) -> std::result::Result<(), BackingOff> {
        let Some(marker) = marker else { return Ok(()) };
        let retry_in = marker.retry_in();
        if retry_in.is_zero() {
            return Ok(());
        }
        Err(BackingOff {
            cause: marker.cause.clone(),
            retry_in,
        })
    }

    /// Records, for every process, a failure of `class` of the work under `lease` after
    /// `previous` (its marker read before the attempt), with `cause`; returns the marker.
    pub async fn record_failure<C: Cache + ?Sized>(
        &self,
        cache: &C,
        lease: &str,
        previous: Option<&BackoffMarker>,
        class: FailureClass,
        cause: &str,
    ) -> BackoffMarker {
        let failures = previous.map_or(1, |marker| marker.failures.saturating_add(1));
        let pause = self.pause(class, failures);
        let marker = BackoffMarker {
            failures,
            until: SystemTime::now() + pause,
            cause: cause.to_owned(),
        };
        tracing::warn!(
            lease,
            failures,
            ?pause,
            cause,
            "attempt failed; the fleet waits before the next"
        );
        let key = Self::marker_key(lease);
        self.own.set(&key, Some(marker.clone()));
        if let Err(error) = cache.set(&key, marker.encode(), pause + MEMORY).await {
            tracing::debug!(key, %error, "cannot store the back-off marker");
        }
        marker
    }

    /// Forgets the failures of the work under `lease` after an attempt that succeeded, when
    /// `previous` (its marker read before the attempt) says there were some.
    pub async fn record_success<C: Cache + ?Sized>(
        &self,
        cache: &C,
        lease: &str,
        previous: Option<&BackoffMarker>,
    ) {
        if previous.is_none() {
            return;
        }
        let key = Self::marker_key(lease);
        self.own.set(&key, None);
        if let Err(error) = cache.delete(&key).await {
            tracing::debug!(key, %error, "cannot remove the back-off marker");
        }
    }

    /// Removes the marker of the work under `lease`, this process's and the cache's: the next
    /// attempt is made at once.
    ///
    /// # Errors
    /// The cache's errors.
    pub async fn clear<C: Cache + ?Sized>(&self, cache: &C, lease: &str) -> Result<()> {
        let key = Self::marker_key(lease);
        self.own.set(&key, None);
        cache.delete(&key).await.map(drop)
    }
}

#[cfg(test)]
mod tests;
