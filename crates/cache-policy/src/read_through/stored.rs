//! What the shared cache holds under a key right now, read past the values held in the
//! process: for a caller that decides from another process's write, as one that waited on a
//! fetch lease does.

use std::fmt::Display;

use cache_core::envelope::{self, HEADER_LEN};
use cache_core::{Cache, Result, Stamp, Stored};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ReadThrough;

impl<T, E, C> ReadThrough<T, E, C>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    E: Display + Send + Sync + 'static,
    C: Cache + Clone + 'static,
{
    /// The [`Stamp`] of the entry the cache holds under `key` (its write time, by its
    /// writer's clock, and the version it names), from its header alone: nothing is
    /// transferred or decoded beyond it. `None` when there is no entry.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cache_core::Result<()> {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use cache_core::{Codec, MemoryCache, TypedCache};
    /// use cache_policy::{Freshness, ReadThrough};
    ///
    /// let cache = TypedCache::new(MemoryCache::new(64 << 20), Codec::msgpack());
    /// let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, Freshness::new(Duration::from_secs(60)));
    /// assert_eq!(symbols.stored_stamp("symbols").await?, None);
    /// let stamp = symbols.put_shared_stamped("symbols", Arc::new(vec!["BTCUSDT".into()])).await?;
    /// assert_eq!(symbols.stored_stamp("symbols").await?, Some(stamp));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The cache's errors, and [`Error::Decode`](cache_core::Error::Decode) for a header that
    /// is not one.
    pub async fn stored_stamp(&self, key: &str) -> Result<Option<Stamp>> {
        let Some(head) = self.cache.cache().get_prefix(key, HEADER_LEN).await? else {
            return Ok(None);
        };
        Ok(Some(envelope::stamp(&head)?))
    }

    /// The entry the cache holds under `key`, read in full and decoded whatever its age, with
    /// its header and [`Stamp`]; `None` when there is none. The values held in the process
    /// are neither consulted nor changed: hand the stamp to
    /// [`Refreshed::with_stamp`](crate::Refreshed::with_stamp) to have the value held.
    ///
    /// # Errors
    /// The cache's errors, and [`Error::Decode`](cache_core::Error::Decode) for an entry that
    /// cannot be decoded.
    pub async fn get_stamped(&self, key: &str) -> Result<Option<(Stored<T>, Stamp)>> {
        let Some(bytes) = self.cache.cache().get(key).await? else {
            return Ok(None);
        };
        let stamp = envelope::stamp(&bytes);
        let stored = self.cache.decode::<T>(bytes).await?;
        Ok(Some((stored, stamp?)))
    }
}
