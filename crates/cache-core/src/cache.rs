//! The byte-level [`Cache`] trait that every backend implements.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::{Error, Lease, Notifications, Result};

/// An asynchronous key-value cache of bytes, each entry with its own time to live.
///
/// Backends know nothing of serialization: the [`TypedCache`](crate::TypedCache) layer
/// turns values into bytes and back. Every method is cancel-safe at the granularity of a whole
/// entry: a value is either written whole or not at all, and a reader never sees part of one.
///
/// `Arc<C>`, `Box<C>` and `&C` forward to `C`, so `Arc<dyn Cache>` is a `Cache` too.
///
/// # TTL
/// A TTL of zero is rejected with [`Error::InvalidArgument`], and so is one longer than the
/// backend can represent ([`Cache::max_ttl`]); a backend never turns either into "keep forever".
///
/// # Example
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cache_core::Result<()> {
/// use std::time::Duration;
/// use cache_core::{Cache, MemoryCache};
///
/// let cache = MemoryCache::new(64 * 1024 * 1024);
/// cache.set("greeting", "hello".into(), Duration::from_secs(60)).await?;
/// assert_eq!(cache.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
/// assert!(cache.ttl("greeting").await?.unwrap() <= Duration::from_secs(60));
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Cache: Send + Sync {
    /// Returns the value under `key`, or `None` when it is missing or expired.
    async fn get(&self, key: &str) -> Result<Option<Bytes>>;

    /// Stores `value` under `key` for `ttl`, replacing any previous value and TTL.
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()>;

    /// Removes `key`; returns whether it was there.
    async fn delete(&self, key: &str) -> Result<bool>;

    /// Returns the remaining time to live of `key`, or `None` when it is missing or expired.
    async fn ttl(&self, key: &str) -> Result<Option<Duration>>;

    /// Returns the first `len` bytes of the value under `key` (the whole value when it is
    /// shorter), or `None` when it is missing or expired.
    ///
    /// It lets a reader look at a stored value's header without transferring the rest, as
    /// the typed layer does to check that a value it holds decoded is still the current one.
    /// The default reads the whole value and truncates it; backends that can read part of a
    /// value override it. A backend may report a stored empty value as missing (Redis's
    /// `GETRANGE` answers an empty string for both); values written by the typed layer are
    /// never empty.
    async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
        Ok(self.get(key).await?.map(|mut value| {
            value.truncate(len);
            value
        }))
    }

    /// Returns the values of `keys`, in order, with `None` for each missing one.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>>;

    /// Stores every entry, each with its own TTL. Every TTL is checked before anything is
    /// written; a backend writes the batch in as few round trips as it can.
    async fn set_many(&self, entries: Vec<Entry>) -> Result<()>;

    /// The longest TTL this backend accepts.
    fn max_ttl(&self) -> Duration;

    /// The backend's [`Lease`], shared with every process that uses the same cache, so that
    /// one of them does a piece of work while the others wait for its result; `None` for a
    /// backend without one. Every backend of this workspace has one; a wrapper forwards its
    /// inner backend's.
    fn lease(&self) -> Option<&dyn Lease> {
        None
    }

    /// The backend's [`Notifications`]: announcements of every write and delete through it,
    /// by any process, which a `cache_policy::LocalCache` follows to serve the values
    /// it holds without a round trip; `None` for a backend without them (held values are
    /// then validated on every read). A wrapper forwards its inner backend's.
    fn notifications(&self) -> Option<&dyn Notifications> {
        None
    }
}

#[cfg(feature = "mock")]
mockall::mock! {
    /// A mockall mock of [`Cache`], for other crates' tests.
    ///
    /// Written out with `mock!` rather than `automock` so that [`Cache::lease`] and
    /// [`Cache::notifications`] keep their default, `None`: a mock cache has neither, and
    /// code that uses them where they exist runs on a mock without an expectation for them.
    pub Cache {}

    #[async_trait]
    impl Cache for Cache {
        async fn get(&self, key: &str) -> Result<Option<Bytes>>;
        async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()>;
        async fn delete(&self, key: &str) -> Result<bool>;
        async fn ttl(&self, key: &str) -> Result<Option<Duration>>;
        async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>>;
        async fn set_many(&self, entries: Vec<Entry>) -> Result<()>;
        fn max_ttl(&self) -> Duration;
    }
}

/// One entry of a [`Cache::set_many`] batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key.
    pub key: String,
    /// The bytes to store.
    pub value: Bytes,
    /// How long the entry lives.
    pub ttl: Duration,
}

impl Entry {
    /// Builds an entry.
    pub fn new(key: impl Into<String>, value: impl Into<Bytes>, ttl: Duration) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
            ttl,
        }
    }
}

/// Checks a TTL against a backend's limit: zero and anything above `max` are
/// [`Error::InvalidArgument`]. Backends call this before writing.
pub fn check_ttl(ttl: Duration, max: Duration) -> Result<()> {
    if ttl.is_zero() {
        return Err(Error::invalid_argument(
            "ttl must be greater than zero (a zero TTL would store nothing or keep forever)",
        ));
    }
    if ttl > max {
        return Err(Error::invalid_argument(format!(
            "ttl {ttl:?} exceeds this backend's maximum of {max:?}"
        )));
    }
    Ok(())
}

macro_rules! forward_cache {
    ($($ty:ty),+) => {$(
        #[async_trait]
        impl<C: Cache + ?Sized> Cache for $ty {
            async fn get(&self, key: &str) -> Result<Option<Bytes>> {
                (**self).get(key).await
            }
            async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
                (**self).get_prefix(key, len).await
            }
            async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
                (**self).set(key, value, ttl).await
            }
            async fn delete(&self, key: &str) -> Result<bool> {
                (**self).delete(key).await
            }
            async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
                (**self).ttl(key).await
            }
            async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
                (**self).get_many(keys).await
            }
            async fn set_many(&self, entries: Vec<Entry>) -> Result<()> {
                (**self).set_many(entries).await
            }
            fn max_ttl(&self) -> Duration {
                (**self).max_ttl()
            }
            fn lease(&self) -> Option<&dyn Lease> {
                (**self).lease()
            }
            fn notifications(&self) -> Option<&dyn Notifications> {
                (**self).notifications()
            }
        }
    )+};
}

forward_cache!(Arc<C>, Box<C>, &C);
