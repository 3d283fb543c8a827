//! [`MemoryCache`]: a bounded in-process backend on moka, for embedding and tests.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache as Moka;

use crate::cache::check_ttl;
use crate::envelope::HEADER_LEN;
use crate::memory_lease::Leases;
use crate::{
    Cache, Entry, Error, Lease, Listener, Notifications, Result, Signal, Subscribers, Subscription,
};

/// What an entry costs beside its key and value (moka's bookkeeping, roughly), so that a
/// million empty values still count against the bound.
const ENTRY_OVERHEAD: usize = 64;
/// The longest TTL accepted: a century, well inside moka's limit of 1000 years.
const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// An in-memory [`Cache`] bounded by the total bytes of its keys and values.
///
/// When full, it evicts entries by moka's TinyLFU policy (which may also decline to admit a
/// new entry that is unlikely to be read again); each entry expires after its own TTL. Clones
/// share the same entries.
///
/// Its [`Lease`] is held in the process, apart from the entries (never evicted, never
/// counted against the bound), and shared by the clones.
///
/// Its [`Notifications`] announce every `set`, `set_many` and `delete` through any clone to
/// the subscribers of every clone, before the call returns; they are always up. Entries that
/// expire or are evicted are not announced (a reader holding one finds it gone when it
/// validates).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cache_core::Result<()> {
/// use std::time::Duration;
/// use cache_core::{Cache, MemoryCache};
///
/// let cache = MemoryCache::new(256 * 1024 * 1024); // 256 MiB of keys and values
/// cache.set("k", vec![1, 2, 3].into(), Duration::from_millis(50)).await?;
/// assert!(cache.get("k").await?.is_some());
/// tokio::time::sleep(Duration::from_millis(60)).await;
/// assert!(cache.get("k").await?.is_none());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MemoryCache {
    entries: Moka<String, Stored>,
    max_bytes: u64,
    pub(crate) leases: Leases,
    subscribers: Subscribers,
}

#[derive(Clone)]
struct Stored {
    value: Bytes,
    ttl: Duration,
    expires_at: Instant,
}

struct PerEntryTtl;

impl Expiry<String, Stored> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, entry: &Stored, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &String,
        entry: &Stored,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

impl MemoryCache {
    /// A cache holding at most `max_bytes` of keys and values (plus a small per-entry
    /// overhead).
    pub fn new(max_bytes: u64) -> Self {
        let entries = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &String, entry: &Stored| weight(key, &entry.value))
            .expire_after(PerEntryTtl)
            .build();
        Self {
            entries,
            max_bytes,
            leases: Leases::default(),
            subscribers: Subscribers::new(true),
        }
    }

    fn live(entry: Stored) -> Option<Stored> {
        // moka expires lazily; the exact deadline is ours to enforce.
        (entry.expires_at > Instant::now()).then_some(entry)
    }

    pub(crate) async fn insert(&self, key: String, value: Bytes, ttl: Duration) {
        let expires_at = Instant::now() + ttl;
        let head = value.slice(..value.len().min(HEADER_LEN));
        let entry = Stored {
            value,
            ttl,
            expires_at,
        };
        self.entries.insert(key.clone(), entry).await;
        let key = &key;
        self.subscribers
            .announce(&Signal::Written { key, head: &head });
    }

    pub(crate) fn check(&self, key: &str, value: &Bytes, ttl: Duration) -> Result<()> {
        check_ttl(ttl, MAX_TTL)?;
        let size = u64::from(weight(key, value));
        if size > self.max_bytes {
            return Err(Error::invalid_argument(format!(
                "entry of {size} bytes exceeds the memory cache's capacity of {} bytes",
                self.max_bytes
            )));
        }
        Ok(())
    }
}

fn weight(key: &str, value: &Bytes) -> u32 {
    u32::try_from(key.len() + value.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("max_bytes", &self.max_bytes)
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self
            .entries
            .get(key)
            .await
            .and_then(Self::live)
            .map(|e| e.value))
    }

    async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
        // A slice of the stored bytes, which share their buffer: nothing is copied.
        let value = self.get(key).await?;
        Ok(value.map(|value| value.slice(..len.min(value.len()))))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
        self.check(key, &value, ttl)?;
        self.insert(key.to_owned(), value, ttl).await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let removed = self.entries.remove(key).await;
        self.subscribers.announce(&Signal::Removed { key });
        Ok(removed.and_then(Self::live).is_some())
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let entry = self.entries.get(key).await.and_then(Self::live);
        Ok(entry.map(|e| e.expires_at.saturating_duration_since(Instant::now())))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    async fn set_many(&self, entries: Vec<Entry>) -> Result<()> {
        for entry in &entries {
            self.check(&entry.key, &entry.value, entry.ttl)?;
        }
        for entry in entries {
            self.insert(entry.key, entry.value, entry.ttl).await;
        }
        Ok(())
    }

    fn max_ttl(&self) -> Duration {
        MAX_TTL
    }

    fn lease(&self) -> Option<&dyn Lease> {
        Some(self)
    }

    fn notifications(&self) -> Option<&dyn Notifications> {
        Some(self)
    }
}

impl Notifications for MemoryCache {
    fn subscribe(&self, listener: Listener) -> Subscription {
        self.subscribers.subscribe(listener)
    }
}
