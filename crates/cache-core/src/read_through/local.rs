//! [`LocalCache`]: decoded values kept in the process, each with the [`Stamp`] of the stored
//! version it was decoded from.

use std::any::Any;
use std::sync::Arc;

use moka::future::Cache as Moka;
use moka::notification::RemovalCause;

use crate::Stamp;
use crate::stats::{Counters, Event};

/// The default bound of a [`LocalCache`]: 64 MiB of decoded values and keys.
pub const DEFAULT_LOCAL_CAPACITY: u64 = 64 << 20;

/// Decoded values kept in the process by [`ReadThrough`](crate::ReadThrough)s (the first
/// level, L1, in front of the shared cache), bounded by bytes.
///
/// Each value is held with the [`Stamp`] of the stored version it came from. A read-through
/// serves it only after reading the stamp under its key again from the shared cache
/// ([`Cache::get_prefix`](crate::Cache::get_prefix) of the header): one small round trip,
/// nothing transferred or decoded beyond the header. Another version there (written by any
/// process), or none, and the value is read and decoded in full.
///
/// # Bound
/// An entry weighs its key's length plus the decoded (serialized, uncompressed) length of its
/// value, as the envelope states it; the total stays within the capacity, evicting by moka's
/// TinyLFU policy. The serialized length stands for the size of the value in memory, which is
/// of the same order (Rust's structures add pointers and capacity slack, and save field
/// names).
///
/// # Sharing
/// Clones share the same entries, so that several read-throughs (of different value types)
/// can share one bound; they must then read the same shared cache, their keys apart. An
/// entry of another type under a key reads as absent. Evictions are counted by the
/// read-through that inserted the entry.
///
/// ```
/// use cache_core::{Codec, Freshness, LocalCache, MemoryCache, ReadThrough, TypedCache};
///
/// let local = LocalCache::new(16 << 20);
/// let cache = TypedCache::new(MemoryCache::new(64 << 20), Codec::msgpack());
/// let policy = Freshness::new(std::time::Duration::from_secs(60));
/// let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, policy)
///     .with_local(local.clone());
/// assert_eq!(symbols.local().unwrap().max_bytes(), 16 << 20);
/// ```
#[derive(Clone)]
pub struct LocalCache {
    entries: Moka<String, Held>,
    max_bytes: u64,
}

#[derive(Clone)]
struct Held {
    stamp: Stamp,
    value: Arc<dyn Any + Send + Sync>,
    /// The inserting read-through's, which counts the entry's eviction.
    counters: Arc<Counters>,
}

impl LocalCache {
    /// A local cache of at most `max_bytes` of keys and decoded values.
    pub fn new(max_bytes: u64) -> Self {
        let entries = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, held: &Held| weight(key, held.stamp))
            .eviction_listener(|key: Arc<String>, held: Held, cause: RemovalCause| {
                if cause.was_evicted() {
                    held.counters.record(Event::LocalEviction);
                    tracing::debug!(key = %key, ?cause, "evicted from the local cache");
                }
            })
            .build();
        Self { entries, max_bytes }
    }

    /// The bound, in bytes of keys and decoded values.
    pub const fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The bytes held now, once the pending insertions and evictions are applied.
    pub async fn weighted_size(&self) -> u64 {
        self.entries.run_pending_tasks().await;
        self.entries.weighted_size()
    }

    /// The number of entries held now, once the pending insertions and evictions are
    /// applied.
    pub async fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks().await;
        self.entries.entry_count()
    }

    /// Drops every entry; the next read of each key reads the shared cache in full.
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// The value held under `key`, if it is a `T`, with its stamp.
    pub(crate) async fn get<T: Send + Sync + 'static>(&self, key: &str) -> Option<(Stamp, Arc<T>)> {
        let held = self.entries.get(key).await?;
        let value = held.value.downcast::<T>().ok()?;
        Some((held.stamp, value))
    }

    /// Holds `value`, the stored version `stamp` of `key`, in place of any other.
    pub(crate) async fn insert<T: Send + Sync + 'static>(
        &self,
        key: &str,
        stamp: Stamp,
        value: Arc<T>,
        counters: &Arc<Counters>,
    ) {
        let held = Held {
            stamp,
            value,
            counters: counters.clone(),
        };
        self.entries.insert(key.to_owned(), held).await;
    }

    /// Drops the value held under `key`.
    pub(crate) async fn remove(&self, key: &str) {
        self.entries.invalidate(key).await;
    }
}

/// The key's length and the value's decoded length, saturated to what moka counts.
fn weight(key: &str, stamp: Stamp) -> u32 {
    u32::try_from(key.len())
        .unwrap_or(u32::MAX)
        .saturating_add(stamp.decoded_len())
}

impl std::fmt::Debug for LocalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCache")
            .field("max_bytes", &self.max_bytes)
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}
