//! [`ReadThrough`]: fresh values from the cache, one shared fetch on a miss, and a stale copy
//! when the fetch fails or is slow.

mod backing_off;
mod local;
mod lookup;
mod peek;
mod quiet;
mod sightings;
mod store;
mod stored;
mod validate;

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use cache_core::{Cache, Fence, Result, TypedCache};
use futures_util::FutureExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::backing_off::Classified;
use self::local::Weigh;
pub use self::local::{DEFAULT_LOCAL_CAPACITY, DEFAULT_RECHECK_AFTER, LocalCache};
pub use self::lookup::{Lookup, Refreshed, Source};
#[allow(deprecated)]
pub use self::peek::CLOCK_SKEW_TOLERANCE;
use self::peek::{Peek, StaleBody, StaleCopy, peek, write};
use self::quiet::Quiet;
use self::sightings::Sightings;
use crate::stats::{Counters, Event};
use crate::timeouts::within;
use crate::{
    Backoff, FailureClass, FetchError, FetchTimeouts, Fleet, Freshness, SingleFlight, Stats,
};

/// Read-through caching of one kind of value, for any key: fresh values come from the
/// cache; on a miss, concurrent callers of a key in this process share one fetch, whose value
/// is stored for the next; when the fetch fails or is slow, a stale copy is served if one is
/// kept.
///
/// # Behavior
/// - A value is fresh for [`Freshness::fresh_for`] its key, counted from the write time in its
///   envelope (by the writer's clock). The writer keeps it [`Freshness::max_stale`] longer;
///   the reader serves it stale only within its own `max_stale`, whatever the writer kept
///   it for: a stale copy older than that is treated as missing. The age is taken again when
///   the copy is served, after the caller's wait for the fetch: a copy that aged past the
///   bound meanwhile is treated as missing too.
/// - A fetch runs on a task of its own and is shared by every caller of the key that misses
///   while it runs (see [`SingleFlight`]). It is abandoned at the hard deadline of
///   [`FetchTimeouts`] (30 s by default).
/// - A fresh value older than [`Freshness::refresh_after`] its key (a fraction of its fresh
///   time, [`Freshness::with_refresh_ahead`]) is served at once, and one fetch starts in the
///   background, shared as above, to replace it before it goes stale.
/// - A stale copy within the policy's stale-while-revalidate window
///   ([`Freshness::with_stale_while_revalidate`]) is served at once too, as
///   [`Source::Revalidating`], while one fetch runs in the background.
/// - Otherwise a caller holding a usable stale copy waits for the fetch up to the soft
///   timeout (5 s by default), then is served the stale copy; the fetch goes on in the
///   background and stores its value when it finishes. A caller without one waits up to the
///   hard deadline.
/// - With [`ReadThrough::with_fleet`], the processes sharing the cache take turns at each
///   key's fetch: one fetches under the cache's lease while the others wait for the value it
///   stores (see [`Fleet`]).
/// - When the fetch fails, panics or reaches its deadline, every caller that has a usable
///   stale copy is served it; the others get the [`FetchError`].
/// - The cache never fails a call the upstream can answer: a backend that is down or slow,
///   or an entry that cannot be decoded, is logged and counted, and the value is fetched
///   (and a bad entry overwritten). So is a fetched value that cannot be written, even when
///   serializing it panics: its callers get it all the same.
/// - Nothing is stored when the fetch fails.
/// - A fresh hit verifies the entry's checksum once, and decodes it; a stale copy is decoded
///   only when it is served.
/// - Values are kept decoded in the process, in a [`LocalCache`] of
///   [`DEFAULT_LOCAL_CAPACITY`] unless [`ReadThrough::with_local`] gives another or
///   [`ReadThrough::without_local`] turns it off: every value this read-through decodes,
///   fetches and stores, or [`ReadThrough::put_shared`]s, with the [`Stamp`](cache_core::Stamp)
///   of the bytes stored. A read of a key held there asks the cache for the stamp alone
///   ([`Cache::get_prefix`] of the envelope header) and, when it is the same, serves the
///   held value by the same freshness rules (a clone of its `Arc`, nothing decoded); another
///   stamp, or none, and the entry is read in full. When the stamp cannot be read, the entry
///   is read in full too, and the held value is never served unchecked. So a value written
///   by another process is seen by the next read here, as without the local cache.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use cache_core::{Codec, MemoryCache, TypedCache};
/// use cache_policy::{FetchTimeouts, Freshness, ReadThrough, Source};
///
/// let cache = TypedCache::new(MemoryCache::new(64 << 20), Codec::msgpack());
/// let policy = Freshness::new(Duration::from_secs(3600)).with_max_stale(Duration::from_secs(86400));
/// let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, policy)
///     .with_timeouts(FetchTimeouts::default().with_hard(Duration::from_secs(10)));
///
/// let fetch = || async { Ok(vec!["BTCUSDT".to_owned()]) };
/// assert_eq!(symbols.get("symbols:linear", fetch).await?.source, Source::Upstream);
/// assert_eq!(symbols.get("symbols:linear", fetch).await?.source, Source::Cache);
/// assert_eq!(symbols.stats().fetches, 1);
///
/// let down = || async { Err(std::io::Error::other("HTTP 503")) };
/// let error = symbols.get("symbols:inverse", down).await.unwrap_err();
/// assert_eq!(error.to_string(), "HTTP 503");
/// # Ok(()) }
/// ```
pub struct ReadThrough<T, E, C> {
    cache: TypedCache<C>,
    policy: Freshness,
    timeouts: FetchTimeouts,
    flights: SingleFlight<Lookup<T>, E>,
    counters: Arc<Counters>,
    local: Option<LocalCache>,
    weigh: Weigh<T>,
    fleet: Option<Fleet>,
    backoff: Option<Classified<E>>,
    sightings: Arc<Sightings>,
    quiet: Arc<Quiet>,
}

impl<T, E, C> std::fmt::Debug for ReadThrough<T, E, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadThrough")
            .field("policy", &self.policy)
            .field("timeouts", &self.timeouts)
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
    /// Caches values in `cache` by `policy`, with the default [`FetchTimeouts`].
    pub fn new(cache: TypedCache<C>, policy: Freshness) -> Self {
        Self::sharing(cache, policy, Some(LocalCache::new(DEFAULT_LOCAL_CAPACITY)))
    }

    /// Caches values in `cache` by `policy`, keeping decoded values in `local` (which other
    /// read-throughs may share), or none. The same as [`new`](Self::new) followed by
    /// [`with_local`](Self::with_local) or [`without_local`](Self::without_local), without
    /// making a local cache only to drop it: dropping one costs about 18 µs.
    pub fn sharing(cache: TypedCache<C>, policy: Freshness, local: Option<LocalCache>) -> Self {
        Self {
            cache,
            policy,
            timeouts: FetchTimeouts::default(),
            flights: SingleFlight::new(),
            counters: Arc::default(),
            local,
            weigh: Weigh::default(),
            fleet: None,
            backoff: None,
            sightings: Arc::default(),
            quiet: Arc::default(),
        }
    }

    /// The same read-through keeping decoded values in `local`, which other read-throughs
    /// of the same cache may share, instead of a local cache of its own.
    #[must_use]
    pub fn with_local(mut self, local: LocalCache) -> Self {
        self.local = Some(local);
        self
    }

    /// The same read-through weighing each value it keeps decoded by `weigher`: the bytes
    /// the value takes in memory, its own size and what it owns on the heap (see
    /// [the local cache's bound](LocalCache#bound)). The local cache's bound holds only as
    /// well as the weigher counts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cache_core::{Codec, MemoryCache, TypedCache};
    /// use cache_policy::{Freshness, ReadThrough};
    ///
    /// let cache = TypedCache::new(MemoryCache::new(64 << 20), Codec::msgpack());
    /// let policy = Freshness::new(Duration::from_secs(60));
    /// let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, policy)
    ///     .with_weigher(|symbols| {
    ///         size_of::<Vec<String>>()
    ///             + symbols.capacity() * size_of::<String>()
    ///             + symbols.iter().map(String::capacity).sum::<usize>()
    ///     });
    /// ```
    #[must_use]
    pub fn with_weigher(mut self, weigher: impl Fn(&T) -> usize + Send + Sync + 'static) -> Self {
        self.weigh = Weigh::new(weigher);
        self
    }

    /// The same read-through keeping no decoded value: every read reads the cache in full.
    #[must_use]
    pub fn without_local(mut self) -> Self {
        self.local = None;
        self
    }

    /// The same read-through taking turns with every process that shares its cache: a
    /// fetch runs under the cache's lease on the key, and the processes that find it held
    /// wait for the value the holder stores instead of fetching too (see [`Fleet`]). Clones
    /// of `fleet` given to several read-throughs share its counters.
    #[must_use]
    pub fn with_fleet(mut self, fleet: Fleet) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// The same read-through backing off after a failed fetch, with every process that
    /// shares its cache (see [`Backoff`]): `classify` tells what kind of failure each of the
    /// fetch's errors is. While a key's fetch is not due, it is not made: its readers get
    /// their stale copy within their bound, or else [`FetchError::BackingOff`] saying when
    /// the next attempt is, at once. A fetch past its deadline counts as a transient failure.
    /// The marker is kept beside the key (the lease the fleet takes for it is named after
    /// it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use std::time::Duration;
    /// use cache_core::{Codec, MemoryCache, TypedCache};
    /// use cache_policy::{Backoff, FailureClass, FetchError, Freshness, ReadThrough};
    ///
    /// let backend = MemoryCache::new(64 << 20); // clones share their entries
    /// let reader = || {
    ///     let cache = TypedCache::new(backend.clone(), Codec::msgpack());
    ///     ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, Freshness::new(Duration::from_secs(60)))
    ///         .with_backoff(Backoff::new(), |_| FailureClass::Transient)
    /// };
    /// let (here, elsewhere) = (reader(), reader());
    ///
    /// let down = || async { Err(std::io::Error::other("HTTP 503")) };
    /// assert!(here.get("symbols:linear", down).await.unwrap_err().retry_in().is_none());
    /// let unasked = || async { unreachable!("the fleet backs off") };
    /// let later = elsewhere.get("symbols:linear", unasked).await.unwrap_err();
    /// assert!(matches!(later, FetchError::BackingOff(_)));
    /// assert!(later.retry_in().unwrap() <= Duration::from_millis(1500));
    /// # }
    /// ```
    #[must_use]
    pub fn with_backoff(
        mut self,
        backoff: Backoff,
        classify: impl Fn(&E) -> FailureClass + Send + Sync + 'static,
    ) -> Self {
        self.backoff = Some(Classified::new(backoff, classify));
        self
    }

    /// The fleet the fetches take turns with, when there is one.
    pub const fn fleet(&self) -> Option<&Fleet> {
        self.fleet.as_ref()
    }

    /// The local cache of decoded values, unless it is off.
    pub const fn local(&self) -> Option<&LocalCache> {
        self.local.as_ref()
    }

    /// The [`Stamp`](cache_core::Stamp) of the stored version `value` was decoded from, while it
    /// is the value the local cache holds under `key` (as it is just after a read of `key`
    /// served it, until another version replaces it); `None` otherwise, and without a local
    /// cache. Unlike a value's age, counted from its writer's clock, a stamp tells every
    /// reader alike which version it was served.
    pub async fn held_stamp(&self, key: &str, value: &Arc<T>) -> Option<cache_core::Stamp> {
        let (stamp, held, _) = self.local.as_ref()?.get::<T>(key).await?;
        Arc::ptr_eq(&held, value).then_some(stamp)
    }

    /// The same read-through with other fetch timeouts.
    #[must_use]
    pub const fn with_timeouts(mut self, timeouts: FetchTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The freshness policy.
    pub const fn policy(&self) -> &Freshness {
        &self.policy
    }

    /// The fetch timeouts.
    pub const fn timeouts(&self) -> FetchTimeouts {
        self.timeouts
    }

    /// The typed cache underneath.
    pub const fn cache(&self) -> &TypedCache<C> {
        &self.cache
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// How many fetches of this read-through are in flight: those its callers wait for and
    /// those refreshing ahead or while a stale copy is served. A refresh counts from the
    /// moment it is decided, before its caller is answered, so that a program about to exit
    /// can wait for it to be stored.
    pub fn in_flight(&self) -> usize {
        self.flights.in_flight()
    }

    /// Returns the value under `key` from the cache while fresh, else from `fetch` (shared
    /// with concurrent callers of `key`), else a stale copy.
    ///
    /// # Errors
    /// When no usable stale copy is kept: [`FetchError::Failed`] with `fetch`'s error
    /// (shared by every caller that joined the fetch), [`FetchError::Deadline`],
    /// [`FetchError::Panicked`] or [`FetchError::Cancelled`].
    ///
    /// # Panics
    /// Outside a tokio runtime, or within one whose timer is disabled unless the timeouts are
    /// [`FetchTimeouts::NONE`].
    pub async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<Lookup<T>, FetchError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let fetch = || {
            let fetching = fetch();
            async move {
                fetching
                    .await
                    .map(|value| Refreshed::fetched(Arc::new(value)))
            }
        };
        self.lookup(key, fetch, Store::Fetched).await
    }

    /// Like [`ReadThrough::get`], for a `refresh` that stores the value itself (with
    /// [`ReadThrough::put`]), as when one upstream call refreshes several datasets at once:
    /// the value is not written a second time. The value comes shared, so that a refresh that
    /// keeps it too need not copy it. A refresh that finds the value already stored (by a
    /// process that fetched it first) says so with [`Refreshed::found`]: its callers are
    /// served it as [`Source::Cache`], with its age.
    ///
    /// # Errors
    /// As [`ReadThrough::get`].
    ///
    /// # Panics
    /// As [`ReadThrough::get`].
    pub async fn get_refreshed<F, Fut, V>(
        &self,
        key: &str,
        refresh: F,
    ) -> Result<Lookup<T>, FetchError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        V: Into<Refreshed<T>>,
    {
        self.lookup(key, refresh, Store::ByRefresh).await
    }

    async fn lookup<F, Fut, V>(
        &self,
        key: &str,
        fetch: F,
        store: Store,
    ) -> Result<Lookup<T>, FetchError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        V: Into<Refreshed<T>>,
    {
        let local = self.local.as_ref().map(|local| (local, &self.weigh));
        let sightings = &self.sightings;
        let found = peek(
            &self.cache,
            &self.policy,
            &self.counters,
            local,
            sightings,
            key,
        )
        .await;
        // A cache that could not be read, or an entry that could not, is not read again for
        // the same miss.
        let recheck = !matches!(found, Peek::Unreachable | Peek::Unreadable);
        let mut stale = match found {
            Peek::Fresh(found, fresh_for) => {
                self.counters.record(Event::Hit);
                tracing::debug!(key, age = ?found.age, "cache hit");
                if found.age >= self.policy.refresh_after_fresh(fresh_for) {
                    self.refresh_in_background(key, || self.flight(key, fetch(), store, recheck));
                }
                return Ok(found);
            }
            Peek::Stale(copy) => Some(copy),
            Peek::Missing | Peek::Unreachable | Peek::Unreadable => None,
        };
        if let Some(copy) = stale.take_if(|copy| copy.revalidating(&self.policy, key)) {
            // Decoded first: a copy that cannot be served leaves the caller to wait as on a miss.
            if let Some(mut served) = self.decode_stale(key, copy).await {
                served.source = Source::Revalidating;
                self.counters.record(Event::Stale);
                self.counters.record(Event::ServedWhileRefreshing);
                tracing::debug!(key, age = ?served.age, "serving a stale copy while it is refreshed");
                self.refresh_in_background(key, || self.flight(key, fetch(), store, recheck));
                return Ok(served);
            }
        }
        self.counters.record(Event::Miss);
        tracing::debug!(key, stale = stale.is_some(), "cache miss");
        let flight = self
            .flights
            .join(key, || self.flight(key, fetch(), store, recheck));
        let mut flight = pin!(flight);
        if let (Some(_), Some(soft)) = (&stale, self.timeouts.stale_after()) {
            // Polled at least once first, so that the fetch has started when we stop waiting.
            if let Some(outcome) = within(soft, flight.as_mut()).await {
                return self.answer(key, outcome, stale).await;
            }
            let slow = "the fetch is slower than the soft timeout";
            if let Some(served) = self.serve_stale(key, stale.take(), &slow).await {
                self.counters.record(Event::SoftTimeout);
                return Ok(served);
            }
        }
        let outcome = flight.await;
        self.answer(key, outcome, stale).await
    }

    /// Starts the refresh `flight` of `key` unless one is in flight, counting it.
    fn refresh_in_background<Fut>(&self, key: &str, flight: impl FnOnce() -> Fut)
    where
        Fut: Future<Output = Result<Lookup<T>, FetchError<E>>> + Send + 'static,
    {
        if self.flights.start(key, flight) {
            self.counters.record(Event::RefreshAhead);
            tracing::debug!(key, "refreshing ahead in the background");
        }
    }

    /// The fetch of `key` that a flight runs: unless the cache holds a value fresh enough
    /// (one that needs no refresh ahead) by now, `pending`, within the hard deadline, and its
    /// value stored when `store` says so; under the fleet's lease when there is one.
    fn flight<Fut, V>(
        &self,
        key: &str,
        pending: Fut,
        store: Store,
        recheck: bool,
    ) -> impl Future<Output = Result<Lookup<T>, FetchError<E>>> + Send + 'static
    where
        Fut: Future<Output = Result<V, E>> + Send + 'static,
        V: Into<Refreshed<T>>,
    {
        let cache = self.cache.clone();
        let (policy, counters, key) = (self.policy, self.counters.clone(), key.to_owned());
        let quiet = self.quiet.clone();
        let (local, fleet) = (self.local.clone(), self.fleet.clone());
        let backoff = self.backoff.clone();
        let (weigh, sightings) = (self.weigh.clone(), self.sightings.clone());
        let deadline = self.timeouts.hard();
        async move {
            // One deadline for the flight: a wait on another process's fetch spends it as a
            // fetch of our own would.
            let began = tokio::time::Instant::now();
            let settled = || async {
                // A caller that missed just as the previous fetch finished finds its value here.
                let local = local.as_ref().map(|local| (local, &weigh));
                let found = peek(&cache, &policy, &counters, local, &sightings, &key).await;
                match found {
                    Peek::Fresh(found, fresh_for)
                        if found.age < policy.refresh_after_fresh(fresh_for) =>
                    {
                        Some(Ok(found))
                    }
                    _ => None,
                }
            };
            if recheck && let Some(found) = settled().await {
                return found;
            }
            let work = |fence: Fence| async {
                // Moved in; everything else is borrowed from the flight.
                let fence = fence;
                // Read under the lease, so that a process that waited on a holder whose
                // fetch failed finds its marker.
                let previous = match &backoff {
                    Some(backoff) => backoff.due(cache.cache(), &key).await?,
                    None => None,
                };
                // A panic is caught here rather than by the flight, to be counted once.
                let left = if deadline == Duration::MAX {
                    deadline
                } else {
                    deadline.saturating_sub(began.elapsed())
                };
                let fetched = if left.is_zero() {
                    None
                } else {
                    within(left, AssertUnwindSafe(pending).catch_unwind()).await
                };
                let refreshed =
                    settle(fetched, deadline, (&counters, &quiet), &key).map(Into::into);
                if let Some(backoff) = &backoff {
                    let previous = previous.as_ref();
                    backoff
                        .record(cache.cache(), &key, previous, &refreshed)
                        .await;
                }
                // A value the refresh found stored made no upstream call.
                if !matches!(&refreshed, Ok(found) if found.source() == Source::Cache) {
                    counters.record(Event::Fetch);
                }
                let refreshed: Refreshed<T> = refreshed?;
                let value = refreshed.value().clone();
                if store == Store::Fetched {
                    let local = local.as_ref().map(|local| (local, &weigh));
                    write(&cache, &policy, &counters, &key, local, value, &fence).await;
                } else if let (Some(local), Some(stamp)) = (&local, refreshed.stamp()) {
                    // Found stored, with the stamp of those bytes: held as if read here.
                    local.insert(&key, stamp, value, &counters, &weigh).await;
                }
                Ok(refreshed.into_lookup())
            };
            match &fleet {
                Some(fleet) => {
                    // The lease is named for the key it fills.
                    fleet
                        .run_watching_fenced(cache.cache(), &key, &key, settled, work)
                        .await
                }
                None => work(Fence::none()).await,
            }
        }
    }

    /// The fetch's value, or else the stale copy, or else the fetch's error.
    async fn answer(
        &self,
        key: &str,
        outcome: Result<Arc<Lookup<T>>, FetchError<E>>,
        stale: Option<StaleCopy<T>>,
    ) -> Result<Lookup<T>, FetchError<E>> {
        let error = match outcome {
            Ok(found) => return Ok(Lookup::clone(&found)),
            Err(error) => error,
        };
        self.serve_stale(key, stale, &error).await.ok_or(error)
    }

    /// Decodes the stale copy, now that it is needed, counting it as served; `None` when
    /// there is none, or it aged past the reader's bound while the caller waited.
    async fn serve_stale(
        &self,
        key: &str,
        stale: Option<StaleCopy<T>>,
        why: &(dyn Display + Sync),
    ) -> Option<Lookup<T>> {
        let Some(served) = self.decode_stale(key, stale?).await else {
            tracing::debug!(key, reason = %why, "no stale copy to serve");
            return None;
        };
        self.counters.record(Event::Stale);
        match self.quiet.warn() {
            Some(quieted) => {
                tracing::warn!(key, age = ?served.age, reason = %why, quieted, "serving a stale copy");
            }
            None => tracing::debug!(key, age = ?served.age, reason = %why, "serving a stale copy"),
        }
        Some(served)
    }

    /// The stale copy decoded (and then held in the local cache); `None` when it aged past
    /// the reader's bound meanwhile or cannot be decoded.
    async fn decode_stale(&self, key: &str, stale: StaleCopy<T>) -> Option<Lookup<T>> {
        let Some(age) = stale.age_if_usable(&self.policy, key) else {
            tracing::debug!(key, "the stale copy aged past this reader's bound");
            return None;
        };
        let value = match stale.body {
            StaleBody::Decoded(value) => value,
            StaleBody::Encoded {
                header,
                payload,
                stamp,
            } => match self.cache.decode_opened::<T>(header, payload).await {
                Ok(stored) => {
                    let value = Arc::new(stored.value);
                    if let Some(local) = &self.local {
                        let (counters, weigh) = (&self.counters, &self.weigh);
                        local
                            .insert(key, stamp, value.clone(), counters, weigh)
                            .await;
                    }
                    value
                }
                Err(decode) => {
                    self.counters.record(Event::CacheError);
                    tracing::warn!(key, error = %decode, "stale copy unreadable");
                    return None;
                }
            },
        };
        Some(Lookup {
            value,
            source: Source::Stale,
            age,
        })
    }
}

/// What a fetch that ran within `deadline` (`None` past it) and whose panic was caught
/// comes to; failures counted and logged.
fn settle<V, E: Display>(
    fetched: Option<std::thread::Result<Result<V, E>>>,
    deadline: Duration,
    (counters, quiet): (&Counters, &Quiet),
    key: &str,
) -> Result<V, FetchError<E>> {
    let error = match fetched {
        Some(Ok(Ok(value))) => return Ok(value),
        Some(Ok(Err(error))) => FetchError::failed(error),
        Some(Err(panic)) => FetchError::from_panic(&*panic),
        None => {
            counters.record(Event::Deadline);
            FetchError::Deadline(deadline)
        }
    };
    counters.record(Event::FetchError);
    match quiet.warn() {
        Some(quieted) => tracing::warn!(key, %error, quieted, "fetch failed"),
        None => tracing::debug!(key, %error, "fetch failed"),
    }
    Err(error)
}

/// Who writes a fetched value to the cache.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Store {
    /// The read-through, once the fetch returns it.
    Fetched,
    /// The refresh itself.
    ByRefresh,
}

#[cfg(test)]
mod local_tests;
#[cfg(test)]
mod tests;
