//! Writes and removals by hand, which keep the values held in the process in step.

use std::fmt::Display;
use std::sync::Arc;

use cache_core::{Cache, Error, Fence, Result, Stamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ReadThrough;
use super::peek::storage_ttl;
use crate::stats::Event;

impl<T, E, C> ReadThrough<T, E, C>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    E: Display + Send + Sync + 'static,
    C: Cache + Clone + 'static,
{
    /// Stores `value` under `key` as freshly fetched, as a fetch would: for refreshing a
    /// dataset from data fetched for another. The value is not kept decoded in the process
    /// (it is borrowed): the next read decodes it; [`ReadThrough::put_shared`] keeps it. A
    /// large value is copied and serialized off the runtime's threads, as
    /// [`TypedCache::set`](cache_core::TypedCache::set) does.
    ///
    /// # Errors
    /// The cache's errors (also counted).
    ///
    /// # Panics
    /// When serializing `value` panics.
    pub async fn put(&self, key: &str, value: &T) -> Result<()>
    where
        T: Clone,
    {
        let ttl = storage_ttl(&self.cache, &self.policy, key);
        let written = self.cache.set_stamped(key, value, ttl).await;
        if let Some(local) = &self.local {
            local.remove(key).await;
        }
        written
            .map(drop)
            .inspect_err(|_| self.counters.record(Event::CacheError))
    }

    /// Like [`ReadThrough::put`] for a shared value, which is also kept decoded in the
    /// process with the stamp of the bytes stored: the next read here decodes nothing. A
    /// large value is serialized off the runtime's threads.
    ///
    /// # Errors
    /// The cache's errors (also counted).
    ///
    /// # Panics
    /// When serializing `value` panics.
    pub async fn put_shared(&self, key: &str, value: Arc<T>) -> Result<()> {
        self.put_shared_stamped(key, value).await.map(drop)
    }

    /// Like [`ReadThrough::put_shared`], returning the [`Stamp`] of the bytes stored: which
    /// version the cache holds now, and when it was written by the envelope (what every
    /// reader's age of it is counted from), which a clock read after the write is not.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use cache_core::envelope::{self, HEADER_LEN};
    /// use cache_core::{Cache, Codec, MemoryCache, TypedCache};
    /// use cache_policy::{Freshness, ReadThrough};
    ///
    /// let backend = MemoryCache::new(64 << 20);
    /// let typed = TypedCache::new(backend.clone(), Codec::msgpack());
    /// let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(typed, Freshness::new(Duration::from_secs(60)));
    /// let stamp = symbols.put_shared_stamped("symbols", Arc::new(vec!["BTCUSDT".into()])).await?;
    /// let head = backend.get_prefix("symbols", HEADER_LEN).await?.unwrap();
    /// assert_eq!(envelope::stamp(&head)?, stamp);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The cache's errors (also counted).
    ///
    /// # Panics
    /// When serializing `value` panics.
    pub async fn put_shared_stamped(&self, key: &str, value: Arc<T>) -> Result<Stamp> {
        self.put_shared_fenced(key, value, &Fence::none()).await
    }

    /// Like [`ReadThrough::put_shared_stamped`], storing only as `fence` allows: while the
    /// lease under which `value` was fetched is still held (see [`Fence`]). Refused, nothing
    /// is stored, and the value is not held in the process either: the cache holds a newer
    /// one, which the next read finds.
    ///
    /// # Errors
    /// The cache's errors (also counted); [`Error::LeaseLost`](cache_core::Error::LeaseLost) when
    /// the lease is no longer held.
    ///
    /// # Panics
    /// When serializing `value` panics.
    pub async fn put_shared_fenced(
        &self,
        key: &str,
        value: Arc<T>,
        fence: &Fence,
    ) -> Result<Stamp> {
        let ttl = storage_ttl(&self.cache, &self.policy, key);
        let written = (self.cache)
            .set_shared_fenced(key, value.clone(), ttl, fence)
            .await;
        if let Some(local) = &self.local {
            match &written {
                Ok(stamp) => {
                    let (counters, weigh) = (&self.counters, &self.weigh);
                    local.insert(key, *stamp, value, counters, weigh).await;
                }
                Err(_) => local.remove(key).await,
            }
        }
        written.inspect_err(|error| {
            if !matches!(error, Error::LeaseLost { .. }) {
                self.counters.record(Event::CacheError);
            }
        })
    }

    /// Removes `key` from the cache, and from the values kept in the process; returns
    /// whether the cache held it.
    ///
    /// # Errors
    /// The cache's errors.
    pub async fn remove(&self, key: &str) -> Result<bool> {
        let removed = self.cache.delete(key).await;
        if let Some(local) = &self.local {
            local.remove(key).await;
        }
        removed
    }
}
