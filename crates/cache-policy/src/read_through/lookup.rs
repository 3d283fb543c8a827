//! [`Lookup`]: a value served by a [`ReadThrough`](crate::ReadThrough), and its [`Source`].

use std::sync::Arc;
use std::time::Duration;

use cache_core::Stamp;

/// Where a [`Lookup`]'s value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A fresh value in the cache.
    Cache,
    /// The upstream, just now (by this call or one it joined).
    Upstream,
    /// A stale copy in the cache, because the fetch failed or was slower than the soft
    /// timeout.
    Stale,
    /// A stale copy in the cache within the stale-while-revalidate window
    /// ([`Freshness::with_stale_while_revalidate`](crate::Freshness::with_stale_while_revalidate)),
    /// served at once while one refresh runs in the background, by design: nothing failed.
    Revalidating,
}

impl Source {
    /// Whether the value is past its freshness: [`Source::Stale`] or
    /// [`Source::Revalidating`].
    ///
    /// ```
    /// use cache_policy::Source;
    ///
    /// assert!(Source::Revalidating.is_stale() && Source::Stale.is_stale());
    /// assert!(!Source::Cache.is_stale());
    /// ```
    pub const fn is_stale(self) -> bool {
        matches!(self, Self::Stale | Self::Revalidating)
    }
}

/// A value and where it came from.
#[derive(Debug)]
pub struct Lookup<T> {
    /// The value, shared with the other callers that got it from the same fetch.
    pub value: Arc<T>,
    /// Where it came from.
    pub source: Source,
    /// How long ago it was written to the cache, when it was served (zero when just
    /// fetched).
    pub age: Duration,
}

impl<T> Clone for Lookup<T> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            source: self.source,
            age: self.age,
        }
    }
}

/// What a refresh given to [`ReadThrough::get_refreshed`](crate::ReadThrough::get_refreshed)
/// yields: a value it fetched from the upstream, or one it found already stored (by another
/// process that fetched it first), so that callers are told where it came from.
///
/// A refresh that returns an `Arc<T>` returns a fetched value.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cache_policy::{Refreshed, Source};
///
/// let fetched = Refreshed::from(Arc::new(1));
/// assert_eq!((fetched.source(), fetched.age()), (Source::Upstream, Duration::ZERO));
/// let found = Refreshed::found(Arc::new(1), Duration::from_millis(40));
/// assert_eq!(found.source(), Source::Cache);
/// let derived = found.map(|n| n + 1);
/// assert_eq!((**derived.value(), derived.source()), (2, Source::Cache));
/// ```
#[derive(Debug)]
pub struct Refreshed<T> {
    value: Arc<T>,
    /// How long ago the value was stored, when it was found rather than fetched.
    found: Option<Duration>,
    /// The stamp of the stored bytes a found value was decoded from, when known.
    stamp: Option<Stamp>,
}

impl<T> Refreshed<T> {
    /// A value just fetched from the upstream.
    pub const fn fetched(value: Arc<T>) -> Self {
        Self {
            value,
            found: None,
            stamp: None,
        }
    }

    /// A value found in the cache, written `age` ago.
    pub const fn found(value: Arc<T>, age: Duration) -> Self {
        Self {
            value,
            found: Some(age),
            stamp: None,
        }
    }

    /// The same found value, decoded from the stored bytes of `stamp`
    /// ([`envelope::stamp`](cache_core::envelope::stamp)): the read-through keeps it decoded in
    /// its local cache with that stamp, as it keeps a value it read itself.
    #[must_use]
    pub const fn with_stamp(mut self, stamp: Stamp) -> Self {
        self.stamp = Some(stamp);
        self
    }

    /// The stamp of the stored bytes a found value was decoded from, when given.
    pub const fn stamp(&self) -> Option<Stamp> {
        self.stamp
    }

    /// The value.
    pub const fn value(&self) -> &Arc<T> {
        &self.value
    }

    /// [`Source::Upstream`] when fetched, [`Source::Cache`] when found.
    pub const fn source(&self) -> Source {
        match self.found {
            None => Source::Upstream,
            Some(_) => Source::Cache,
        }
    }

    /// How long ago a found value was written; zero when fetched.
    pub fn age(&self) -> Duration {
        self.found.unwrap_or_default()
    }

    /// What `derive` makes of the value, fetched or found as the value was (without the
    /// stamp, which is the value's own).
    pub fn map<U>(&self, derive: impl FnOnce(&T) -> U) -> Refreshed<U> {
        Refreshed {
            value: Arc::new(derive(&self.value)),
            found: self.found,
            stamp: None,
        }
    }

    pub(crate) fn into_lookup(self) -> Lookup<T> {
        Lookup {
            source: self.source(),
            age: self.age(),
            value: self.value,
        }
    }
}

impl<T> Clone for Refreshed<T> {
    fn clone(&self) -> Self {
        Self {
            value: Arc::clone(&self.value),
            found: self.found,
            stamp: self.stamp,
        }
    }
}

impl<T> From<Arc<T>> for Refreshed<T> {
    fn from(value: Arc<T>) -> Self {
        Self::fetched(value)
    }
}
