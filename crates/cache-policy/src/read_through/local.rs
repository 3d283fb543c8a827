//! [`LocalCache`]: decoded values kept in the process, each with the [`Stamp`] of the stored
//! version it was decoded from.

use std::any::Any;
use std::sync::{Arc, Weak};
use std::time::Duration;

use cache_core::{Cache, Signal, Stamp};
use moka::future::Cache as Moka;
use moka::notification::RemovalCause;
use tokio::sync::mpsc;

use crate::follow::{Change, Changes, Following, Token, Trust};
use crate::freshness::key_unit;
use crate::stats::{Counters, Event};

/// The default bound of a [`LocalCache`]: 64 MiB of decoded values and keys.
pub const DEFAULT_LOCAL_CAPACITY: u64 = 64 << 20;

/// How long a [`LocalCache`] that follows notifications serves a held value without asking
/// the shared cache again, by default: 500 ms, half the bound of one second within which a
/// process sees another's write even when an announcement is lost.
pub const DEFAULT_RECHECK_AFTER: Duration = Duration::from_millis(500);

/// How many announced changes of held keys wait, at most, for the task that drops the values
/// they outdate: a burst of writes to held keys beyond what that task keeps up with, on a
/// busy runtime. Each takes a key and a stamp (about a hundred bytes); one that finds the
/// queue full is dropped, which is safe (see [notified mode](LocalCache#notified-mode)).
pub(crate) const QUEUED_CHANGES: usize = 1024;

/// Decoded values kept in the process by [`ReadThrough`](crate::ReadThrough)s (the first
/// level, L1, in front of the shared cache), bounded by bytes.
///
/// Each value is held with the [`Stamp`] of the stored version it came from. A read-through
/// serves it only after reading the stamp under its key again from the shared cache
/// ([`Cache::get_prefix`](cache_core::Cache::get_prefix) of the header): one small round trip,
/// nothing transferred or decoded beyond the header. Another version there (written by any
/// process), or none, and the value is read and decoded in full.
///
/// # Notified mode
/// [`LocalCache::follow`] subscribes to the backend's
/// [`Notifications`](cache_core::Notifications) (Redis pub/sub, or the memory backend's clones in
/// one process): every write and delete through the backend, by any process, is announced,
/// and the held value of that key is dropped. A held value is then served with no round trip
/// at all while three things hold: the subscription is up; the value's stamp was read from
/// the shared cache less than [`LocalCache::recheck_after`] ago (500 ms by default) under the
/// same subscription; and no announcement that may concern its key arrived since that read
/// started. Otherwise the read validates, as without notifications. So:
/// - while the subscription is down or reconnecting, every read validates; after a
///   reconnect, every held value is validated again before it is served unchecked;
/// - a value is never served more than `recheck_after` (plus one round trip) after the
///   shared cache holds a newer version, even when an announcement is lost, the connection
///   died unnoticed, or the write was made around the backend (by hand);
/// - a value just written or read in full is validated once before it is trusted.
///
/// An announced change of a held key is queued for a task that drops the value; the queue
/// is bounded (1024 changes), and announcements of keys not held are not queued at all.
/// A change that finds the queue full is dropped: the outdated value is then not freed at
/// once, but it is still never served, since the announcement voided its trust before it
/// was queued; the next read of its key validates it and reads the newer version.
///
/// # Bound
/// An entry weighs its key's length plus what its value takes in memory, as the inserting
/// read-through's weigher says ([`ReadThrough::with_weigher`](crate::ReadThrough::with_weigher));
/// the total stays within the capacity, evicting by moka's TinyLFU policy. Without a
/// weigher, a value weighs its type's size plus its serialized, uncompressed length (as the
/// envelope states it), which stands for what it owns on the heap: close for strings and
/// flat lists, low for structures of many small fields (a positional MessagePack list of
/// instruments is several times smaller than the `Vec` it decodes to), so such values are
/// best given a weigher.
///
/// # Sharing
/// Clones share the same entries, so that several read-throughs (of different value types)
/// can share one bound; they must then read the same shared cache, their keys apart. An
/// entry of another type under a key reads as absent. Evictions are counted by the
/// read-through that inserted the entry.
///
/// ```
/// use cache_core::{Codec, MemoryCache, TypedCache};
/// use cache_policy::{Freshness, LocalCache, ReadThrough};
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
    entries: Moka<String, Arc<Held>>,
    max_bytes: u64,
    following: Arc<Following>,
    recheck_after: Duration,
}

/// Shared, so that a hit (moka clones what it returns) costs one reference count.
pub(crate) struct Held {
    stamp: Stamp,
    value: Arc<dyn Any + Send + Sync>,
    /// The inserting read-through's, which counts the entry's eviction and notices.
    counters: Arc<Counters>,
    pub(crate) trust: Trust,
    /// The key's [`key_unit`], which gives its fresh time under any policy.
    pub(crate) unit: f64,
    /// The key's length and the value's weight, saturated to what moka counts.
    weight: u32,
}

/// How a read-through weighs the values it holds: its weigher, or the default (see
/// [the bound](LocalCache#bound)).
pub(crate) struct Weigh<T>(Option<Arc<Weigher<T>>>);

type Weigher<T> = dyn Fn(&T) -> usize + Send + Sync;

impl<T> Weigh<T> {
    pub(crate) fn new(weigher: impl Fn(&T) -> usize + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(weigher)))
    }

    fn weight(&self, key: &str, value: &T, stamp: Stamp) -> u32 {
        let value = match &self.0 {
            Some(weigher) => weigher(value),
            None => size_of::<T>().saturating_add(stamp.decoded_len() as usize),
        };
        u32::try_from(key.len().saturating_add(value)).unwrap_or(u32::MAX)
    }
}

impl<T> Default for Weigh<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T> Clone for Weigh<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl LocalCache {
    /// A local cache of at most `max_bytes` of keys and decoded values.
    pub fn new(max_bytes: u64) -> Self {
        let entries = Moka::builder()
            .max_capacity(max_bytes)
            .weigher(|_key: &String, held: &Arc<Held>| held.weight)
            .eviction_listener(|key: Arc<String>, held: Arc<Held>, cause: RemovalCause| {
                if cause.was_evicted() {
                    held.counters.record(Event::LocalEviction);
                    tracing::debug!(key = %key, ?cause, "evicted from the local cache");
                }
            })
            .build();
        Self {
            entries,
            max_bytes,
            following: Arc::new(Following::new()),
            recheck_after: DEFAULT_RECHECK_AFTER,
        }
    }

    /// The same local cache serving a held value unchecked for at most `recheck_after` after
    /// its stamp was last read from the shared cache, when it follows notifications (see
    /// [notified mode](#notified-mode)). Clones made afterwards share it.
    #[must_use]
    pub const fn with_recheck_after(mut self, recheck_after: Duration) -> Self {
        self.recheck_after = recheck_after;
        self
    }

    /// How long a held value is served unchecked in notified mode.
    pub const fn recheck_after(&self) -> Duration {
        self.recheck_after
    }

    /// Follows `cache`'s [`Notifications`](cache_core::Notifications), if it has any: from now on
    /// its announcements drop outdated values, and recently validated values are served
    /// without a round trip while the subscription is up (see
    /// [notified mode](#notified-mode)). Returns whether it follows; `false` for a backend
    /// without notifications, whose values stay validated on every read.
    ///
    /// The subscription ends when the last clone of this local cache is dropped. Following
    /// another cache replaces it; every clone shares it, so the clones must read the same
    /// shared cache. Outside a tokio runtime, announced values are not dropped at once (the
    /// next read validates them instead).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use cache_core::{Codec, MemoryCache, TypedCache};
    /// use cache_policy::{Freshness, LocalCache, ReadThrough};
    ///
    /// let backend = MemoryCache::new(64 << 20);
    /// let reader = |local: LocalCache| {
    ///     let typed = TypedCache::new(backend.clone(), Codec::msgpack());
    ///     ReadThrough::<Vec<String>, std::io::Error, _>::new(typed, Freshness::new(Duration::from_secs(60)))
    ///         .with_local(local)
    /// };
    /// let (a, b) = (LocalCache::new(16 << 20), LocalCache::new(16 << 20));
    /// assert!(a.follow(&backend) && b.follow(&backend));
    /// let (a, b) = (reader(a), reader(b));
    ///
    /// a.put_shared("symbols", Arc::new(vec!["BTCUSDT".into()])).await?;
    /// let fetch = || async { Err(std::io::Error::other("not called")) };
    /// for _ in 0..3 {
    ///     assert_eq!(*b.get("symbols", fetch).await?.value, ["BTCUSDT"]);
    /// }
    /// // Read in full, validated once, then served on notices alone.
    /// assert_eq!((b.stats().validations, b.stats().notified_hits), (1, 1));
    ///
    /// a.put_shared("symbols", Arc::new(vec!["ETHUSDT".into()])).await?;
    /// assert_eq!(*b.get("symbols", fetch).await?.value, ["ETHUSDT"], "announced to b");
    /// # Ok(()) }
    /// ```
    pub fn follow<C: Cache + ?Sized>(&self, cache: &C) -> bool {
        let Some(notifications) = cache.notifications() else {
            tracing::debug!("the backend has no notifications: held values are validated");
            return false;
        };
        let following: Weak<Following> = Arc::downgrade(&self.following);
        let listener = Arc::new(move |signal: &Signal<'_>| {
            if let Some(following) = following.upgrade() {
                following.signal(signal);
            }
        });
        let changes = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let (send, receive) = mpsc::channel(QUEUED_CHANGES);
            // The task ends when the last clone drops the sender, with `following`.
            runtime.spawn(drop_outdated(self.entries.clone(), receive));
            // A lookup in moka's concurrent map: no lock, no housekeeping, no await.
            let entries = self.entries.clone();
            Changes::new(send, move |key| entries.contains_key(key))
        });
        let subscription = notifications.subscribe(listener);
        self.following.attach(subscription, changes);
        true
    }

    /// Whether held values are served on notices now: this local cache follows a backend's
    /// notifications and the subscription is up.
    pub fn is_notified(&self) -> bool {
        self.following.is_following() && self.following.is_up()
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

    /// The value held under `key`, if it is a `T`, with its stamp, and the entry (whose
    /// trust says when it was last found current).
    pub(crate) async fn get<T: Send + Sync + 'static>(
        &self,
        key: &str,
    ) -> Option<(Stamp, Arc<T>, Arc<Held>)> {
        let held = self.entries.get(key).await?;
        let value = held.value.clone().downcast::<T>().ok()?;
        Some((held.stamp, value, held))
    }

    /// Whether the value of `key` with `trust` may be served without asking the cache.
    pub(crate) fn trusts(&self, key: &str, trust: &Trust) -> bool {
        self.following.trusts(key, trust, self.recheck_after)
    }

    /// What a validation of `key` starting now earns, if it finds the value current: `None`
    /// when notices do not flow.
    pub(crate) fn token(&self, key: &str) -> Option<Token> {
        self.following.token(key)
    }

    /// Whether this follows notifications that are down now: reads validate instead.
    pub(crate) fn is_falling_back(&self) -> bool {
        self.following.is_following() && !self.following.is_up()
    }

    /// Holds `value`, the stored version `stamp` of `key`, in place of any other.
    pub(crate) async fn insert<T: Send + Sync + 'static>(
        &self,
        key: &str,
        stamp: Stamp,
        value: Arc<T>,
        counters: &Arc<Counters>,
        weigh: &Weigh<T>,
    ) {
        // Trusted only once validated: the read it came from may have raced a change.
        let held = Arc::new(Held {
            stamp,
            weight: weigh.weight(key, &value, stamp),
            value,
            counters: counters.clone(),
            trust: Trust::default(),
            unit: key_unit(key),
        });
        self.entries.insert(key.to_owned(), held).await;
    }

    /// How many announced changes wait for the task that drops outdated values.
    #[cfg(test)]
    pub(crate) fn queued_changes(&self) -> usize {
        self.following.queued()
    }

    /// Applies `signal` as the subscription's listener does.
    #[cfg(test)]
    pub(crate) fn announce(&self, signal: &Signal<'_>) {
        self.following.signal(signal);
    }

    /// Drops the value held under `key`.
    pub(crate) async fn remove(&self, key: &str) {
        self.entries.invalidate(key).await;
    }
}

/// Drops each held value an announced change outdates, counting the notice on the
/// read-through that holds it; until the channel closes with the local cache.
async fn drop_outdated(entries: Moka<String, Arc<Held>>, mut changes: mpsc::Receiver<Change>) {
    while let Some(change) = changes.recv().await {
        let Some(held) = entries.get(&change.key).await else {
            continue;
        };
        held.counters.record(Event::Notice);
        if change.stamp != Some(held.stamp) {
            entries.invalidate(&change.key).await;
            tracing::debug!(key = change.key, "local copy dropped on notice");
        }
    }
}

impl std::fmt::Debug for LocalCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCache")
            .field("max_bytes", &self.max_bytes)
            .field("entries", &self.entries.entry_count())
            .field("notified", &self.is_notified())
            .finish()
    }
}
