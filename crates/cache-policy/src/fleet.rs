//! [`Fleet`]: processes that share a cache take turns at a piece of work through the cache's
//! [`Lease`](cache_core::Lease): one does it while the others wait for its result.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cache_core::{Cache, Error, Fence, LeaseToken, Result, Signal, Subscription};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::task::AbortOnDropHandle;

/// How long a lease lasts unless its holder extends it, by default: a holder that died
/// without releasing it (a Redis lease outlives its process) holds up the others that long.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(5);
/// How long a process waits for another's result by default before doing the work itself.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(30);

/// Takes turns with every process that shares a cache: of the callers of [`Fleet::run`] for
/// one name, across processes, one does the work under the cache's [`Lease`](cache_core::Lease)
/// while the others wait for its result to appear in the cache.
///
/// # Behavior
/// - **The holder** takes the lease, then looks once more for the result (another process
///   may have stored it just before), does the work, and releases the lease. While the work
///   runs, the lease is extended every third of its TTL, so it never lapses under a live
///   holder; a holder that dies stops extending it, and it expires after its TTL (at once on
///   the file backend, whose leases die with their process).
/// - **A waiter** looks for the result at intervals that double from `poll_min` to
///   `poll_max`, each one jittered so that a fleet started together does not poll in step,
///   and, with [`Fleet::run_watching`], as soon as the cache announces the result's key;
///   it takes the lease whenever it is free (its holder finished without storing a result,
///   or died), and does the work itself when `max_wait` has passed.
/// - **Failing open.** Leases are for efficiency: a cache without leases, or one that
///   cannot be reached, lets every caller do the work itself, as without a fleet.
/// - Within one process, callers are expected to be deduplicated first (by a
///   [`SingleFlight`](crate::SingleFlight), as [`ReadThrough`](crate::ReadThrough) does):
///   two callers of one process also take turns, but each polls on its own.
///
/// Clones share their counters.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use cache_core::{Cache, MemoryCache};
/// use cache_policy::Fleet;
///
/// let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
/// let fleet = Fleet::new();
/// let nothing_yet = || async { None };
/// let value = fleet.run(&cache, "refresh:linear", nothing_yet, || async { 42 }).await;
/// assert_eq!(value, 42);
/// assert_eq!(fleet.stats().won, 1);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Fleet {
    lease_ttl: Duration,
    max_wait: Duration,
    poll_min: Duration,
    poll_max: Duration,
    counters: Arc<FleetCounters>,
}

/// What a [`Fleet`] did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FleetStats {
    /// Leases taken: this process did the work (or found the result once it held the lease).
    pub won: u64,
    /// Runs that found the lease held by another and waited.
    pub lost: u64,
    /// Leases found no longer ours when extending them: the work ran past the lease, and
    /// another process may have started the same work.
    pub expired: u64,
    /// Waits that ended with the result another process stored.
    pub waited: u64,
    /// Waits that reached `max_wait`, after which this process did the work itself.
    pub gave_up: u64,
    /// Runs that did the work without a lease: the cache has none, or could not be reached.
    pub unleased: u64,
}

impl std::ops::Add for FleetStats {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            won: self.won + other.won,
            lost: self.lost + other.lost,
            expired: self.expired + other.expired,
            waited: self.waited + other.waited,
            gave_up: self.gave_up + other.gave_up,
            unleased: self.unleased + other.unleased,
        }
    }
}

#[derive(Debug, Default)]
struct FleetCounters {
    won: AtomicU64,
    lost: AtomicU64,
    expired: AtomicU64,
    waited: AtomicU64,
    gave_up: AtomicU64,
    unleased: AtomicU64,
}

impl Default for Fleet {
    fn default() -> Self {
        Self::new()
    }
}

impl Fleet {
    /// Leases of [`DEFAULT_LEASE_TTL`], waits of up to [`DEFAULT_MAX_WAIT`], polling every
    /// 20 ms at first and every 250 ms at most.
    pub fn new() -> Self {
        Self {
            lease_ttl: DEFAULT_LEASE_TTL,
            max_wait: DEFAULT_MAX_WAIT,
            poll_min: Duration::from_millis(20),
            poll_max: Duration::from_millis(250),
            counters: Arc::default(),
        }
    }

    /// Leases last `ttl` unless extended.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a TTL under 30 ms, too short to be extended in time.
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Result<Self> {
        if ttl < Duration::from_millis(30) {
            return Err(Error::invalid_argument(format!(
                "a lease TTL of {ttl:?} is too short to be extended in time (30 ms at least)"
            )));
        }
        self.lease_ttl = ttl;
        Ok(self)
    }

    /// Waiters do the work themselves after `max_wait`.
    #[must_use]
    pub const fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Waiters look for the result every `min` at first, doubling up to `max`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `min` is zero or above `max`.
    pub fn with_poll(mut self, min: Duration, max: Duration) -> Result<Self> {
        if min.is_zero() || min > max {
            return Err(Error::invalid_argument(format!(
                "poll intervals {min:?}..{max:?} must be above zero and in order"
            )));
        }
        (self.poll_min, self.poll_max) = (min, max);
        Ok(self)
    }

    /// How long a lease lasts unless extended.
    pub const fn lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// How long a waiter waits before doing the work itself.
    pub const fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// The counters so far.
    pub fn stats(&self) -> FleetStats {
        let c = &self.counters;
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        FleetStats {
            won: read(&c.won),
            lost: read(&c.lost),
            expired: read(&c.expired),
            waited: read(&c.waited),
            gave_up: read(&c.gave_up),
            unleased: read(&c.unleased),
        }
    }

    /// Does `work` under the lease on `name` in `cache`, unless `ready` finds its result
    /// first (stored by the process that held the lease); see [`Fleet`].
    ///
    /// `ready` is called after taking the lease and after each wait; `work` at most once.
    ///
    /// # Panics
    /// Outside a tokio runtime with its timer enabled.
    pub async fn run<C, T, R, RFut, W, WFut>(&self, cache: &C, name: &str, ready: R, work: W) -> T
    where
        C: Cache + Clone + 'static,
        R: FnMut() -> RFut,
        RFut: Future<Output = Option<T>>,
        W: FnOnce() -> WFut,
        WFut: Future<Output = T>,
    {
        self.turn(cache, name, None, ready, |_| work()).await
    }

    /// Like [`Fleet::run`], handing `work` the [`Fence`] of the lease it runs under, so that
    /// it stores its result only while it still holds the lease: a holder that stalled past
    /// its lease, while another took it and stored a newer result, stores nothing. Work done
    /// without a lease (none to be had, or `max_wait` passed) gets [`Fence::none`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> cache_core::Result<()> {
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use cache_core::{Cache, MemoryCache};
    /// use cache_policy::Fleet;
    ///
    /// let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
    /// let fleet = Fleet::new();
    /// let nothing_yet = || async { None };
    /// let stored = fleet
    ///     .run_fenced(&cache, "refresh:linear", nothing_yet, |fence| {
    ///         let cache = cache.clone();
    ///         async move {
    ///             let list = "BTCUSDT";
    ///             let ttl = Duration::from_secs(60);
    ///             fence.set(&cache, "symbols:linear", list.into(), ttl).await
    ///         }
    ///     })
    ///     .await;
    /// assert!(stored.is_ok(), "the lease was held throughout");
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    /// Outside a tokio runtime with its timer enabled.
    pub async fn run_fenced<C, T, R, RFut, W, WFut>(
        &self,
        cache: &C,
        name: &str,
        ready: R,
        work: W,
    ) -> T
    where
        C: Cache + Clone + 'static,
        R: FnMut() -> RFut,
        RFut: Future<Output = Option<T>>,
        W: FnOnce(Fence) -> WFut,
        WFut: Future<Output = T>,
    {
        self.turn(cache, name, None, ready, work).await
    }

    /// Like [`Fleet::run`] for work whose result is stored under `key` in `cache`: where the
    /// cache announces its writes ([`Cache::notifications`]), a waiter looks for the result
    /// as soon as `key` is written or removed, instead of at its next interval (which stays
    /// the fallback, for a write whose announcement is lost). A waiter subscribes when it
    /// finds the lease held, and looks once its subscription is up, for a write it may have
    /// missed; on Redis, the first subscription of a cache opens its notification
    /// connection.
    ///
    /// # Panics
    /// Outside a tokio runtime with its timer enabled.
    pub async fn run_watching<C, T, R, RFut, W, WFut>(
        &self,
        cache: &C,
        name: &str,
        key: &str,
        ready: R,
        work: W,
    ) -> T
    where
        C: Cache + Clone + 'static,
        R: FnMut() -> RFut,
        RFut: Future<Output = Option<T>>,
        W: FnOnce() -> WFut,
        WFut: Future<Output = T>,
    {
        self.turn(cache, name, Some(key), ready, |_| work()).await
    }

    /// [`Fleet::run_watching`] and [`Fleet::run_fenced`] in one: waiters look as soon as
    /// `key` is announced, and `work` stores through its [`Fence`].
    ///
    /// # Panics
    /// Outside a tokio runtime with its timer enabled.
    pub async fn run_watching_fenced<C, T, R, RFut, W, WFut>(
        &self,
        cache: &C,
        name: &str,
        key: &str,
        ready: R,
        work: W,
    ) -> T
    where
        C: Cache + Clone + 'static,
        R: FnMut() -> RFut,
        RFut: Future<Output = Option<T>>,
        W: FnOnce(Fence) -> WFut,
        WFut: Future<Output = T>,
    {
        self.turn(cache, name, Some(key), ready, work).await
    }

    async fn turn<C, T, R, RFut, W, WFut>(
        &self,
        cache: &C,
        name: &str,
        key: Option<&str>,
        mut ready: R,
        work: W,
    ) -> T
    where
        C: Cache + Clone + 'static,
        R: FnMut() -> RFut,
        RFut: Future<Output = Option<T>>,
        W: FnOnce(Fence) -> WFut,
        WFut: Future<Output = T>,
    {
        let count = |counter: &AtomicU64| counter.fetch_add(1, Ordering::Relaxed);
        let Some(lease) = cache.lease() else {
            count(&self.counters.unleased);
            return work(Fence::none()).await;
        };
        let started = Instant::now();
        let mut interval = self.poll_min;
        let mut waiting = false;
        let mut wake = None;
        loop {
            match lease.try_acquire(name, self.lease_ttl).await {
                Ok(Some(token)) => {
                    count(&self.counters.won);
                    tracing::debug!(lease = name, waited = ?started.elapsed(), "lease taken");
                    drop(wake);
                    return self.hold(cache, name, token, ready, work).await;
                }
                Ok(None) if !waiting => {
                    count(&self.counters.lost);
                    tracing::debug!(lease = name, "lease held elsewhere; waiting for its result");
                    waiting = true;
                    wake = key.and_then(|key| Wake::on(cache, key));
                }
                Ok(None) => {}
                Err(error) => {
                    count(&self.counters.unleased);
                    tracing::warn!(lease = name, %error, "lease unavailable; working alone");
                    drop(wake);
                    return work(Fence::none()).await;
                }
            }
            let left = self.max_wait.saturating_sub(started.elapsed());
            if left.is_zero() {
                count(&self.counters.gave_up);
                tracing::warn!(lease = name, waited = ?self.max_wait, "gave up waiting for the lease holder");
                drop(wake);
                return work(Fence::none()).await;
            }
            let pause = jittered(interval).min(left);
            match &wake {
                Some(wake) => wake.sleep(pause).await,
                None => tokio::time::sleep(pause).await,
            }
            interval = interval.saturating_mul(2).min(self.poll_max);
            if let Some(found) = ready().await {
                count(&self.counters.waited);
                tracing::debug!(lease = name, waited = ?started.elapsed(), "result stored by the lease holder");
                return found;
            }
        }
    }

    /// Runs `work` as the lease holder, unless `ready` finds the result after all.
    async fn hold<C, T, R, RFut, W, WFut>(
        &self,
        cache: &C,
        name: &str,
        token: LeaseToken,
        mut ready: R,
        work: W,
    ) -> T
    where
        C: Cache + Clone + 'static,
        R: FnMut() -> RFut,
        RFut: Future<Output = Option<T>>,
        W: FnOnce(Fence) -> WFut,
        WFut: Future<Output = T>,
    {
        let held = Held {
            cache: cache.clone(),
            name: name.to_owned(),
            token: Some(token.clone()),
        };
        let held_token = token.clone();
        let found = ready().await;
        let out = match found {
            Some(found) => found,
            None => {
                let keeper = tokio::spawn(keep(
                    cache.clone(),
                    name.to_owned(),
                    token,
                    self.lease_ttl,
                    self.counters.clone(),
                ));
                let _stop = AbortOnDropHandle::new(keeper);
                work(Fence::lease(name, held_token, self.lease_ttl)).await
            }
        };
        held.release().await;
        out
    }
}

/// Extends the lease every third of its TTL until aborted, or until it is no longer ours.
async fn keep<C: Cache>(
    cache: C,
    name: String,
    token: LeaseToken,
    ttl: Duration,
    counters: Arc<FleetCounters>,
) {
    let Some(lease) = cache.lease() else { return };
    let every = ttl / 3;
    let mut tick = tokio::time::interval_at(Instant::now() + every, every);
    loop {
        tick.tick().await;
        match lease.extend(&name, &token, ttl).await {
            Ok(true) => {}
            Ok(false) => {
                counters.expired.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(lease = %name, "lease expired while its work ran; another process may repeat it");
                return;
            }
            // Another attempt within the TTL may still make it.
            Err(error) => tracing::warn!(lease = %name, %error, "cannot extend the lease"),
        }
    }
}

/// A lease held, released when dropped if not released before (in the background, as a
/// drop cannot wait).
struct Held<C: Cache + Clone + 'static> {
    cache: C,
    name: String,
    token: Option<LeaseToken>,
}

impl<C: Cache + Clone + 'static> Held<C> {
    async fn release(mut self) {
        if let Some(token) = self.token.take() {
            release(&self.cache, &self.name, &token).await;
        }
    }
}

impl<C: Cache + Clone + 'static> Drop for Held<C> {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        // Without a runtime (it is shutting down), the lease expires after its TTL instead.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (cache, name) = (self.cache.clone(), std::mem::take(&mut self.name));
            runtime.spawn(async move { release(&cache, &name, &token).await });
        }
    }
}

async fn release<C: Cache>(cache: &C, name: &str, token: &LeaseToken) {
    if let Some(lease) = cache.lease()
        && let Err(error) = lease.release(name, token).await
    {
        tracing::warn!(lease = name, %error, "cannot release the lease; it expires by itself");
    }
}

/// Ends a waiter's pause early when the cache announces a change to the result's key.
struct Wake {
    changed: Arc<Notify>,
    _subscription: Subscription,
}

impl Wake {
    fn on<C: Cache>(cache: &C, key: &str) -> Option<Self> {
        let changed = Arc::new(Notify::new());
        let (signal_to, key) = (changed.clone(), key.to_owned());
        let listener = move |signal: &Signal<'_>| {
            // `Up` too: announcements made before it (the holder's write may have come
            // between finding the lease held and subscribing) were missed. A signal while
            // the waiter is not pausing is kept as a permit: its next pause ends at once.
            if *signal == Signal::Up || signal.key() == Some(key.as_str()) {
                signal_to.notify_one();
            }
        };
        let subscription = cache.notifications()?.subscribe(Arc::new(listener));
        Some(Self {
            changed,
            _subscription: subscription,
        })
    }

    async fn sleep(&self, pause: Duration) {
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = self.changed.notified() => {}
        }
    }
}

/// `interval` scaled by a random factor in 0.5..1.5, so that processes started together
/// spread their polls.
fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(0.5 + crate::jitter::fraction())
}
