//! [`ReadThrough`]: fresh values from the cache, one shared fetch on a miss, and a stale copy
//! when the fetch fails.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::stats::{Counters, Event};
use crate::{Cache, Error, Freshness, Result, SingleFlight, Stats, TypedCache, envelope};

/// Where a [`Lookup`]'s value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// A fresh value in the cache.
    Cache,
    /// The upstream, just now (by this call or one it joined).
    Upstream,
    /// A stale copy in the cache, because the upstream failed.
    Stale,
}

/// A value and where it came from.
#[derive(Debug)]
pub struct Lookup<T> {
    /// The value, shared with the other callers that got it from the same fetch.
    pub value: Arc<T>,
    /// Where it came from.
    pub source: Source,
    /// How long ago it was written to the cache (zero when just fetched).
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

/// Read-through caching of one kind of value, for any key: fresh values come from the
/// cache; on a miss, concurrent callers of a key in this process share one fetch, whose value
/// is stored for the next; when the fetch fails, a stale copy is served if one is kept.
///
/// # Behavior
/// - A value is fresh for [`Freshness::fresh_for`] its key, counted from the write time in its
///   envelope (by the writer's clock), and kept [`Freshness::max_stale`] longer.
/// - The cache never fails a call the upstream can answer: a backend that is down or slow,
///   or an entry that cannot be decoded, is logged and counted, and the value is fetched
///   (and a bad entry overwritten).
/// - Nothing is stored when the fetch fails.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cache_core::{Codec, Freshness, MemoryCache, ReadThrough, Source, TypedCache};
///
/// let cache = TypedCache::new(MemoryCache::new(64 << 20), Codec::msgpack());
/// let policy = Freshness::new(Duration::from_secs(3600)).with_max_stale(Duration::from_secs(86400));
/// let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, policy);
///
/// let fetch = || async { Ok(vec!["BTCUSDT".to_owned()]) };
/// assert_eq!(symbols.get("symbols:linear", fetch).await?.source, Source::Upstream);
/// assert_eq!(symbols.get("symbols:linear", fetch).await?.source, Source::Cache);
/// assert_eq!(symbols.stats().fetches, 1);
/// # Ok(()) }
/// ```
pub struct ReadThrough<T, E, C> {
    cache: TypedCache<C>,
    policy: Freshness,
    flights: SingleFlight<Lookup<T>, E>,
    counters: Arc<Counters>,
}

impl<T, E, C> std::fmt::Debug for ReadThrough<T, E, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadThrough")
            .field("policy", &self.policy)
            .field("stats", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

impl<T, E, C> ReadThrough<T, E, C>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    E: Display + Send + Sync + 'static,
    C: Cache + Clone + 'static,
{
    /// Caches values in `cache` by `policy`.
    pub fn new(cache: TypedCache<C>, policy: Freshness) -> Self {
        Self {
            cache,
            policy,
            flights: SingleFlight::new(),
            counters: Arc::default(),
        }
    }

    /// The freshness policy.
    pub const fn policy(&self) -> &Freshness {
        &self.policy
    }

    /// The typed cache underneath.
    pub const fn cache(&self) -> &TypedCache<C> {
        &self.cache
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Returns the value under `key` from the cache while fresh, else from `fetch` (shared
    /// with concurrent callers of `key`), else a stale copy.
    ///
    /// # Errors
    /// `fetch`'s error, shared by every caller that joined the fetch, when no stale copy is
    /// kept.
    pub async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<Lookup<T>, Arc<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.lookup(key, fetch, Store::Fetched).await
    }

    /// Like [`ReadThrough::get`], for a `refresh` that stores the value itself (with
    /// [`ReadThrough::put`]), as when one upstream call refreshes several datasets at once:
    /// the value is not written a second time. The value comes shared, so that a refresh that
    /// keeps it too need not copy it.
    ///
    /// # Errors
    /// As [`ReadThrough::get`].
    pub async fn get_refreshed<F, Fut>(&self, key: &str, refresh: F) -> Result<Lookup<T>, Arc<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<T>, E>> + Send + 'static,
    {
        self.lookup(key, refresh, Store::ByRefresh).await
    }

    async fn lookup<F, Fut, V>(
        &self,
        key: &str,
        fetch: F,
        store: Store,
    ) -> Result<Lookup<T>, Arc<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        V: Into<Arc<T>>,
    {
        let found = peek(&self.cache, &self.policy, &self.counters, key).await;
        // A cache that could not be read is not read again for the same miss.
        let recheck = !matches!(found, Peek::Unreachable);
        let stale = match found {
            Peek::Fresh(found) => {
                self.counters.record(Event::Hit);
                tracing::debug!(key, age = ?found.age, "cache hit");
                return Ok(found);
            }
            Peek::Stale { bytes, age } => Some((bytes, age)),
            Peek::Missing | Peek::Unreachable => None,
        };
        self.counters.record(Event::Miss);
        tracing::debug!(key, stale = stale.is_some(), "cache miss");
        let cache = self.cache.clone();
        let (policy, counters, owned_key) = (self.policy, self.counters.clone(), key.to_owned());
        let flight = self.flights.run(key, move || {
            // Creating the future does no work; it is awaited only after the check below.
            let pending = fetch();
            async move {
                // A caller that missed just as the previous fetch finished finds its value here.
                if recheck
                    && let Peek::Fresh(fresh) = peek(&cache, &policy, &counters, &owned_key).await
                {
                    return Ok(fresh);
                }
                counters.record(Event::Fetch);
                let value: Arc<T> = pending
                    .await
                    .inspect_err(|error| {
                        counters.record(Event::FetchError);
                        tracing::warn!(key = owned_key, %error, "fetch failed");
                    })?
                    .into();
                if store == Store::Fetched {
                    write(&cache, &policy, &counters, &owned_key, &*value).await;
                }
                Ok(Lookup {
                    value,
                    source: Source::Upstream,
                    age: Duration::ZERO,
                })
            }
        });
        let error = match flight.await {
            Ok(found) => return Ok(Lookup::clone(&found)),
            Err(error) => error,
        };
        // The stale copy is decoded only now that it is needed.
        let Some((bytes, age)) = stale else {
            return Err(error);
        };
        match self.cache.decode::<T>(bytes).await {
            Ok(stored) => {
                self.counters.record(Event::Stale);
                tracing::warn!(key, ?age, "serving a stale copy: the fetch failed");
                Ok(Lookup {
                    value: Arc::new(stored.value),
                    source: Source::Stale,
                    age,
                })
            }
            Err(decode) => {
                self.counters.record(Event::CacheError);
                tracing::warn!(key, error = %decode, "stale copy unreadable");
                Err(error)
            }
        }
    }

    /// Stores `value` under `key` as freshly fetched, as a fetch would: for refreshing a
    /// dataset from data fetched for another.
    ///
    /// # Errors
    /// The cache's errors (also counted).
    pub async fn put(&self, key: &str, value: &T) -> Result<()> {
        let ttl = storage_ttl(&self.cache, &self.policy, key);
        self.cache
            .set(key, value, ttl)
            .await
            .inspect_err(|_| self.counters.record(Event::CacheError))
    }

    /// Removes `key` from the cache; returns whether it was there.
    ///
    /// # Errors
    /// The cache's errors.
    pub async fn remove(&self, key: &str) -> Result<bool> {
        self.cache.delete(key).await
    }
}

/// Who writes a fetched value to the cache.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Store {
    /// The read-through, once the fetch returns it.
    Fetched,
    /// The refresh itself.
    ByRefresh,
}

/// What the cache holds under a key.
enum Peek<T> {
    /// A fresh value, decoded.
    Fresh(Lookup<T>),
    /// A stale copy, not decoded until it is needed.
    Stale { bytes: Bytes, age: Duration },
    /// Nothing, or nothing readable.
    Missing,
    /// The cache could not be read.
    Unreachable,
}

/// A write time this far ahead of our clock is taken as clock skew between machines; beyond
/// it, the entry is treated as stale rather than fresh for as long as it is ahead.
pub const CLOCK_SKEW_TOLERANCE: Duration = Duration::from_secs(5);

async fn peek<T, C>(
    cache: &TypedCache<C>,
    policy: &Freshness,
    counters: &Counters,
    key: &str,
) -> Peek<T>
where
    T: DeserializeOwned + Send + 'static,
    C: Cache,
{
    let unreadable = |error: Error| {
        counters.record(Event::CacheError);
        tracing::warn!(key, %error, "cache entry unreadable; it will be overwritten");
        Peek::Missing
    };
    let bytes = match cache.cache().get(key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Peek::Missing,
        Err(error) => {
            counters.record(Event::CacheError);
            tracing::warn!(key, %error, "cache read failed; fetching instead");
            return Peek::Unreachable;
        }
    };
    let header = match envelope::open(&bytes) {
        Ok((header, _)) => header,
        Err(error) => return unreadable(error.into()),
    };
    let (age, fresh) = match SystemTime::now().duration_since(header.written_at) {
        Ok(age) => (age, age < policy.fresh_for(key)),
        Err(ahead) => (Duration::ZERO, ahead.duration() <= CLOCK_SKEW_TOLERANCE),
    };
    if !fresh {
        return Peek::Stale { bytes, age };
    }
    match cache.decode::<T>(bytes).await {
        Ok(stored) => Peek::Fresh(Lookup {
            value: Arc::new(stored.value),
            source: Source::Cache,
            age,
        }),
        Err(error) => unreadable(error),
    }
}

async fn write<T, C>(
    cache: &TypedCache<C>,
    policy: &Freshness,
    counters: &Counters,
    key: &str,
    value: &T,
) where
    T: Serialize,
    C: Cache,
{
    if let Err(error) = cache.set(key, value, storage_ttl(cache, policy, key)).await {
        counters.record(Event::CacheError);
        tracing::warn!(key, %error, "cache write failed; the value is served uncached");
    }
}

/// How long the backend keeps `key`: the policy's storage TTL, within what the backend holds,
/// so that a long `max_stale` shortens the stale copy instead of failing every write.
fn storage_ttl<C: Cache>(cache: &TypedCache<C>, policy: &Freshness, key: &str) -> Duration {
    policy.storage_ttl(key).min(cache.cache().max_ttl())
}
