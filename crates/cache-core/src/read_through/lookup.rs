//! [`Lookup`]: a value served by a [`ReadThrough`](crate::ReadThrough), and its [`Source`].

use std::sync::Arc;
use std::time::Duration;

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
