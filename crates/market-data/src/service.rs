//! [`MarketData`]: the datasets of each market, read through the cache.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bybit_client::models::HeapSize;
use bybit_client::{InstrumentList, InstrumentSource};
use cache_core::{Cache, Fence, Stamp, TypedCache};
use cache_policy::{
    Backoff, FetchError, Fleet, FleetStats, LocalCache, Lookup, ReadThrough, Refreshed,
    SingleFlight, Source, Stats,
};
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::derive::{self, FundingIntervals};
use crate::expiry::Boundary;
use crate::fresh::{Derived, Fresh};
use crate::markets::Markets;
use crate::vet::{self, RefreshError, Refused};
use crate::{Dataset, Error, Market, Policy};

/// A refresh's outcome: the value, fetched here or found stored by another process.
type Shared<T> = Result<Refreshed<T>, FetchError<RefreshError>>;
pub(crate) type Cached<T> = ReadThrough<T, FetchError<RefreshError>, Arc<dyn Cache>>;

/// Bybit market data, each dataset read through the cache on its own schedule.
///
/// One upstream fetch of a market's instruments refreshes every dataset derived from it, and
/// concurrent callers in this process share it. Processes that share the cache take turns
/// (see [`Fleet`]): one of them fetches a market under a lease in the cache while the others
/// wait for the lists it stores, so that a fleet of replicas makes one upstream call per
/// market per TTL, not one each. A value read late in its fresh time, or stale within the
/// policy's window, is served at once and refreshed in the background. See [`ReadThrough`] for
/// how fresh, stale and failed cases are served. Clones share everything.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use bybit_client::testing::MockBybit;
/// use bybit_client::{BybitClient, Category, ClientConfig};
/// use cache_core::MemoryCache;
/// use market_data::{Market, MarketData, Policy};
///
/// let bybit = MockBybit::start().await; // a local server with recorded responses
/// let client = BybitClient::new(ClientConfig::new(bybit.base_url()))?;
/// let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), Arc::new(client), Policy::default());
///
/// let linear = Market::new(Category::Linear)?;
/// let symbols = data.symbols(&linear).await?; // fetched, and every linear dataset stored
/// let funding = data.funding_intervals(&linear).await?; // from the cache
/// assert_eq!(symbols.value.len(), 214);
/// assert_eq!(data.stats().upstream_fetches, 1);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MarketData {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    source: Arc<dyn InstrumentSource>,
    pub(crate) policy: Policy,
    pub(crate) cache: Arc<dyn Cache>,
    pub(crate) instruments: Cached<InstrumentList>,
    pub(crate) symbols: Cached<Vec<String>>,
    pub(crate) funding_intervals: Cached<FundingIntervals>,
    upstream: SingleFlight<Fresh, RefreshError>,
    upstream_fetches: AtomicU64,
    upstream_failures: AtomicU64,
    fleet: Fleet,
    pub(crate) markets: Markets,
    /// Refreshes at an announced boundary, started in the background: each is counted from
    /// the moment it is decided until it ends.
    boundary_refreshes: TaskTracker,
    /// The fleet's back-off after a failed fetch of a market, beside its fetch lease.
    backoff: Backoff,
}

/// The counters of every dataset, and of upstream fetches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MarketStats {
    /// The instruments dataset.
    pub instruments: Stats,
    /// The symbols dataset.
    pub symbols: Stats,
    /// The funding intervals dataset.
    pub funding_intervals: Stats,
    /// Upstream calls made (each one paginates through a whole market).
    pub upstream_fetches: u64,
    /// Upstream calls that failed, or whose answer was refused (also counted in
    /// `upstream_fetches`).
    pub upstream_failures: u64,
    /// How this process took turns at fetching with the others that share the cache.
    pub fleet: FleetStats,
}

impl MarketStats {
    /// The sum over datasets.
    pub fn total(&self) -> Stats {
        self.instruments + self.symbols + self.funding_intervals
    }
}

impl std::fmt::Debug for MarketData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarketData")
            .field("policy", &self.inner.policy)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl MarketData {
    /// Market data from `source`, cached in `cache` by `policy`.
    pub fn new(cache: Arc<dyn Cache>, source: Arc<dyn InstrumentSource>, policy: Policy) -> Self {
        // One bound for every dataset: their keys differ. It follows the backend's
        // notifications where it has them: held values are served without a round trip.
        let local = (policy.local_capacity() > 0).then(|| {
            let local = LocalCache::new(policy.local_capacity());
            local.follow(&*cache);
            local
        });
        let local = local.as_ref();
        let markets = Markets::new(policy.max_markets());
        let inner = Inner {
            instruments: cached(&cache, &policy, Dataset::Instruments, local),
            symbols: cached(&cache, &policy, Dataset::Symbols, local),
            funding_intervals: cached(&cache, &policy, Dataset::FundingIntervals, local),
            fleet: fleet(&policy),
            cache,
            source,
            policy,
            upstream: SingleFlight::new(),
            upstream_fetches: AtomicU64::new(0),
            upstream_failures: AtomicU64::new(0),
            markets,
            boundary_refreshes: TaskTracker::new(),
            backoff: Backoff::new(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The cache key of `dataset` for `market`: the one its entry is read and written under,
    /// ending in `+prelaunch` when the policy fetches pre-launch contracts (see
    /// [`Policy::cache_key`]).
    pub fn key(&self, dataset: Dataset, market: &Market) -> String {
        self.inner.policy.cache_key(dataset, market)
    }

    /// Every instrument of `market`, every field as Bybit sent it.
    ///
    /// # Errors
    /// [`Error::Upstream`] when the upstream fails and nothing usable is cached.
    pub async fn instruments(&self, market: &Market) -> Result<Lookup<InstrumentList>, Error> {
        let refresh = || Inner::refresh(self.inner.clone(), market.clone());
        self.read(
            &self.inner.instruments,
            Dataset::Instruments,
            market,
            refresh,
        )
        .await
    }

    /// The stamp of the stored version `list`, one of `market`'s instrument lists served by
    /// [`MarketData::instruments`], was decoded from, while the values held in memory hold
    /// it (as they do after the read, until another version replaces it); `None` otherwise,
    /// and without them ([`Policy::local_capacity`] 0).
    pub(crate) async fn instruments_stamp(
        &self,
        market: &Market,
        list: &Arc<InstrumentList>,
    ) -> Option<Stamp> {
        let key = self.key(Dataset::Instruments, market);
        self.inner.instruments.held_stamp(&key, list).await
    }

    /// The [`Stamp`] of the stored version `value` was decoded from: `value` as a read of
    /// `dataset` of `market` served it ([`MarketData::instruments`], [`MarketData::symbols`]
    /// or [`MarketData::funding_intervals`]), while the values held in memory hold it (as
    /// they do just after the read, until another version replaces it).
    ///
    /// Every process sharing the cache agrees on a version's stamp, whatever its clock, so
    /// that it names the version across a fleet: an HTTP `ETag`, say.
    ///
    /// `None` when another version has replaced it in memory since (read again), when
    /// `value` is not of `dataset`'s type, when it was never stored (the cache refused the
    /// write), and without values in memory ([`Policy::local_capacity`] 0).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use bybit_client::testing::MockBybit;
    /// use bybit_client::{BybitClient, Category, ClientConfig};
    /// use cache_core::MemoryCache;
    /// use market_data::{Dataset, Market, MarketData, Policy};
    ///
    /// let bybit = MockBybit::start().await;
    /// let client = BybitClient::new(ClientConfig::new(bybit.base_url()))?;
    /// let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), Arc::new(client), Policy::default());
    /// let linear = Market::new(Category::Linear)?;
    ///
    /// let symbols = data.symbols(&linear).await?;
    /// let stamp = data.held_stamp(Dataset::Symbols, &linear, &symbols.value).await;
    /// assert!(stamp.is_some());
    /// // The same version read again has the same stamp.
    /// let again = data.symbols(&linear).await?;
    /// assert_eq!(data.held_stamp(Dataset::Symbols, &linear, &again.value).await, stamp);
    /// # Ok(()) }
    /// ```
    pub async fn held_stamp<T: Send + Sync + 'static>(
        &self,
        dataset: Dataset,
        market: &Market,
        value: &Arc<T>,
    ) -> Option<Stamp> {
        let key = self.key(dataset, market);
        let value = value as &dyn std::any::Any;
        match dataset {
            Dataset::Instruments => {
                let list = value.downcast_ref::<Arc<InstrumentList>>()?;
                self.inner.instruments.held_stamp(&key, list).await
            }
            Dataset::Symbols => {
                let symbols = value.downcast_ref::<Arc<Vec<String>>>()?;
                self.inner.symbols.held_stamp(&key, symbols).await
            }
            Dataset::FundingIntervals => {
                let intervals = value.downcast_ref::<Arc<FundingIntervals>>()?;
                self.inner
                    .funding_intervals
                    .held_stamp(&key, intervals)
                    .await
            }
        }
    }

    /// `lookup`, unless it is a fresh value from the cache that predates a change Bybit
    /// announced which has passed (by [`BOUNDARY_GRACE`](crate::BOUNDARY_GRACE)): then the
    /// market is refreshed now, as at the end of a TTL, and its answer served; the value read
    /// is served as stale when the refresh fails, or when it takes longer than the soft
    /// timeout (it goes on in the background).
    ///
    /// The announced moments are those of the stored list the value was derived from: an
    /// instruments list is read for them, and a derived dataset read without its list has
    /// the stored list read and decoded once per version, so that every process reading any
    /// dataset expires it at the same moment.
    async fn expire_at_boundaries<T, F, Fut>(
        &self,
        market: &Market,
        dataset: Dataset,
        boundary: &Boundary,
        lookup: Lookup<T>,
        refresh: &F,
    ) -> Lookup<T>
    where
        T: Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Shared<T>> + Send + 'static,
    {
        // A stale copy is served because a fetch just failed, or runs.
        if lookup.source != Source::Cache {
            return lookup;
        }
        let list = (&lookup.value as &dyn std::any::Any).downcast_ref::<Arc<InstrumentList>>();
        if list.is_none() {
            let written = SystemTime::now()
                .checked_sub(lookup.age)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            if !boundary.covers(written) {
                self.inner.learn_boundary(market, boundary, written).await;
            }
        }
        if !boundary.claim_refresh(list, lookup.age) {
            return lookup;
        }
        tracing::info!(%market, %dataset, "an announced change has passed; refreshing");
        let soft = self.inner.policy.timeouts().soft();
        let refreshing = self.spawn_counted(refresh());
        match tokio::time::timeout(soft, refreshing).await {
            Ok(Ok(Ok(refreshed))) => Lookup {
                value: refreshed.value().clone(),
                source: refreshed.source(),
                age: refreshed.age(),
            },
            Ok(Ok(Err(error))) => {
                // The refresh logged its failure; the stale list stays until the next try.
                tracing::debug!(%error, "refresh at an announced change failed");
                Lookup {
                    source: Source::Stale,
                    ..lookup
                }
            }
            Ok(Err(_)) | Err(_) => Lookup {
                source: Source::Stale,
                ..lookup
            },
        }
    }

    /// Runs `refresh` in a task of its own, which goes on when its caller stops waiting,
    /// tracked for [`MarketData::settle`] from this moment.
    fn spawn_counted<T: Send + 'static>(
        &self,
        refresh: impl Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        self.inner.boundary_refreshes.spawn(refresh)
    }

    /// The symbols of `market`, in Bybit's order.
    ///
    /// # Errors
    /// [`Error::Upstream`] when the upstream fails and nothing usable is cached.
    pub async fn symbols(&self, market: &Market) -> Result<Lookup<Vec<String>>, Error> {
        let refresh = || {
            Inner::derived(self.inner.clone(), market.clone(), |fresh| {
                fresh.dataset(fresh.derived.symbols.as_ref(), derive::symbols)
            })
        };
        self.read(&self.inner.symbols, Dataset::Symbols, market, refresh)
            .await
    }

    /// Symbol to funding interval in minutes, for linear and inverse contracts.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for spot and options; [`Error::Upstream`] when the upstream
    /// fails and nothing usable is cached.
    pub async fn funding_intervals(
        &self,
        market: &Market,
    ) -> Result<Lookup<FundingIntervals>, Error> {
        let dataset = Dataset::FundingIntervals;
        if !dataset.applies_to(market.category()) {
            return Err(Error::Unsupported {
                dataset,
                category: market.category(),
            });
        }
        let refresh = || {
            Inner::derived(self.inner.clone(), market.clone(), |fresh| {
                let made = fresh.derived.funding_intervals.as_ref();
                fresh.dataset(made, derive::funding_intervals)
            })
        };
        self.read(&self.inner.funding_intervals, dataset, market, refresh)
            .await
    }

    /// Waits until no refresh of this instance is in flight, for at most `limit`; returns
    /// whether none is. A reader served a stale copy (after the soft timeout, or at once while
    /// it is refreshed) or a value refreshed ahead leaves its refresh running: a program about
    /// to exit calls this so that the refresh is stored for the next.
    pub async fn settle(&self, limit: Duration) -> bool {
        const POLL: Duration = Duration::from_millis(10);
        let started = Instant::now();
        while self.inner.in_flight() > 0 {
            if started.elapsed() >= limit {
                return false;
            }
            tokio::time::sleep(POLL.min(limit.saturating_sub(started.elapsed()))).await;
        }
        true
    }

    /// Removes every dataset of `market` from the cache, the lists with pre-launch contracts
    /// and those without alike, whichever this instance's policy fetches: clearing a market
    /// clears all of it, the fleet's back-off after a failed fetch included (the next read
    /// asks Bybit). Returns how many dataset entries were there.
    ///
    /// # Errors
    /// The cache's errors.
    pub async fn clear(&self, market: &Market) -> Result<usize, Error> {
        let mut removed = 0;
        for dataset in Dataset::ALL {
            for key in self.inner.policy.every_key(dataset, market) {
                let was_there = match dataset {
                    Dataset::Instruments => self.inner.instruments.remove(&key).await?,
                    Dataset::Symbols => self.inner.symbols.remove(&key).await?,
                    Dataset::FundingIntervals => self.inner.funding_intervals.remove(&key).await?,
                };
                removed += usize::from(was_there);
            }
        }
        for lease in self.inner.policy.every_lease_name(market) {
            self.inner.backoff.clear(&self.inner.cache, &lease).await?;
        }
        Ok(removed)
    }

    /// The counters so far.
    pub fn stats(&self) -> MarketStats {
        MarketStats {
            instruments: self.inner.instruments.stats(),
            symbols: self.inner.symbols.stats(),
            funding_intervals: self.inner.funding_intervals.stats(),
            upstream_fetches: self.inner.upstream_fetches.load(Ordering::Relaxed),
            upstream_failures: self.inner.upstream_failures.load(Ordering::Relaxed),
            fleet: self.inner.fleet.stats(),
        }
    }

    /// The bytes of decoded values this instance holds in memory, by what each takes there
    /// (the structures and what they own on the heap), once pending insertions and
    /// evictions are applied: at most [`Policy::local_capacity`], and 0 with no local cache.
    pub async fn held_bytes(&self) -> u64 {
        match self.inner.instruments.local() {
            Some(local) => local.weighted_size().await,
            None => 0,
        }
    }

    /// Reads `dataset` of `market` through `cached`; `refresh` makes the refresh future only
    /// when one is needed, so that a read served from memory neither builds nor moves it.
    async fn read<T, F, Fut>(
        &self,
        cached: &Cached<T>,
        dataset: Dataset,
        market: &Market,
        refresh: F,
    ) -> Result<Lookup<T>, Error>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: Future<Output = Shared<T>> + Send + 'static,
    {
        let state = self.inner.markets.of(&self.inner.policy, market);
        let span = tracing::debug_span!("market_data", %dataset, %market);
        let lookup = cached
            .get_refreshed(state.key(dataset), &refresh)
            .instrument(span)
            .await
            .map_err(|error| Error::from_fetch(error.flatten()))?;
        let lookup = self
            .expire_at_boundaries(market, dataset, &state.boundary, lookup, &refresh)
            .await;
        tracing::debug!(%dataset, %market, source = ?lookup.source, age = ?lookup.age, "served");
        Ok(lookup)
    }
}

fn cached<T>(
    cache: &Arc<dyn Cache>,
    policy: &Policy,
    dataset: Dataset,
    local: Option<&LocalCache>,
) -> Cached<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + HeapSize + Send + Sync + 'static,
{
    // The hard deadline bounds the upstream call itself (see `Inner::fetch`): a second one
    // around the whole refresh would only cut short the store of an answer that came in time.
    let timeouts = policy.timeouts().with_hard(Duration::MAX);
    let policy = policy.dataset(dataset);
    ReadThrough::sharing(
        TypedCache::new(cache.clone(), policy.codec),
        policy.freshness,
        local.cloned(),
    )
    .with_timeouts(timeouts)
    // Held at what the decoded value takes: a list of instruments takes several times its
    // stored bytes.
    .with_weigher(|value: &T| size_of::<T>() + value.heap_size())
}

/// The turns of this instance's fetches: a waiter waits as long as a fetch may take.
fn fleet(policy: &Policy) -> Fleet {
    let hard = policy.timeouts().hard();
    let max_wait = if hard == Duration::MAX {
        cache_policy::DEFAULT_MAX_WAIT
    } else {
        hard
    };
    let fleet = Fleet::new().with_max_wait(max_wait);
    // The policy checked the TTL when it was set.
    fleet
        .clone()
        .with_lease_ttl(policy.lease_ttl())
        .unwrap_or(fleet)
}

impl Inner {
    /// Refreshes in flight: each dataset's own (a refresh ahead or while a stale copy is
    /// served registers there as it is decided), the market-wide fetches they join, and
    /// refreshes at an announced boundary.
    fn in_flight(&self) -> usize {
        self.instruments.in_flight()
            + self.symbols.in_flight()
            + self.funding_intervals.in_flight()
            + self.upstream.in_flight()
            + self.boundary_refreshes.len()
    }

    /// A refresh of `market` (shared with concurrent ones) that yields the dataset `pick`
    /// takes from it.
    async fn derived<T>(
        inner: Arc<Self>,
        market: Market,
        pick: impl FnOnce(&Fresh) -> Refreshed<T> + Send + 'static,
    ) -> Shared<T> {
        let fresh = Self::refresh_all(inner, market).await?;
        Ok(pick(&fresh))
    }

    /// The list of a refresh of `market` (see [`Inner::refresh_all`]).
    async fn refresh(inner: Arc<Self>, market: Market) -> Shared<InstrumentList> {
        Ok(Self::refresh_all(inner, market).await?.list.clone())
    }

    /// Fetches `market`'s instruments, once for all concurrent callers and in turn with the
    /// other processes, and stores every dataset derived from them; or takes the list another
    /// process just stored. Nothing is stored when the fetch fails or its answer is refused.
    async fn refresh_all(
        inner: Arc<Self>,
        market: Market,
    ) -> Result<Arc<Fresh>, FetchError<RefreshError>> {
        let this = inner.clone();
        let flight_market = market.clone();
        inner
            .upstream
            .run(&market.to_string(), move || async move {
                // One deadline for the whole refresh: a wait on another process's fetch
                // spends it as a fetch of our own would.
                let started = tokio::time::Instant::now();
                let market = &flight_market;
                let lease = this.policy.lease_name(market);
                let recent = || this.recent(market);
                let fetch = |fence: Fence| async {
                    // Moved in; the rest is borrowed from the refresh.
                    let fence = fence;
                    let attempt = || async {
                        this.upstream_fetches.fetch_add(1, Ordering::Relaxed);
                        // One decoded list: the one stored, held in memory and served.
                        let fetched = async {
                            let list = Arc::new(this.fetch(market, started).await?);
                            this.vet(market, &list).await?;
                            Ok(list)
                        };
                        let fetched = fetched.await;
                        if fetched.is_err() {
                            this.upstream_failures.fetch_add(1, Ordering::Relaxed);
                        }
                        fetched
                    };
                    // Under the lease, so that a process that waited on a holder whose
                    // fetch failed finds its marker.
                    let list = (this.backoff)
                        .run(&this.cache, &lease, crate::backoff::classify, attempt)
                        .await?;
                    let (derived, written) = this.store(market, &list, &fence).await;
                    // Learned by the write time stored, from which every later read of this
                    // version derives it again: a clock read after the three writes would
                    // be another version to them, and each would scan the list again.
                    let written = written.unwrap_or_else(SystemTime::now);
                    let state = this.markets.of(&this.policy, market);
                    state.boundary.learn(&list, written);
                    Ok(Fresh {
                        list: Refreshed::fetched(list),
                        derived,
                    })
                };
                // Waiters look once the holder's last write (see `store`) is announced: on
                // the list's own, they would write the datasets it is about to write.
                let last = if Dataset::FundingIntervals.applies_to(market.category()) {
                    Dataset::FundingIntervals
                } else {
                    Dataset::Symbols
                };
                let last = this.policy.cache_key(last, market);
                (this.fleet)
                    .run_watching_fenced(&this.cache, &lease, &last, recent, fetch)
                    .await
            })
            .await
    }

    /// The upstream call alone, within what is left of the policy's hard deadline since the
    /// refresh `began` (waiting on another process included): vetting and storing an answer
    /// that came in time are not cut short by it. None left: no call.
    async fn fetch(
        &self,
        market: &Market,
        began: tokio::time::Instant,
    ) -> Result<InstrumentList, RefreshError> {
        let started = Instant::now();
        let deadline = self.policy.timeouts().hard();
        let call = self.fetch_list(market);
        let list = if deadline == Duration::MAX {
            call.await?
        } else {
            let left = deadline.saturating_sub(began.elapsed());
            if left.is_zero() {
                return Err(RefreshError::Deadline(deadline));
            }
            tokio::time::timeout(left, call)
                .await
                .map_err(|_| RefreshError::Deadline(deadline))??
        };
        tracing::info!(
            %market,
            instruments = list.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "fetched from upstream"
        );
        Ok(list)
    }

    /// `market`'s list, with its pre-launch contracts merged in when the policy asks for
    /// them (two pagination runs, side by side).
    async fn fetch_list(&self, market: &Market) -> Result<InstrumentList, RefreshError> {
        let query = market.query();
        if !self.policy.asks_prelaunch(market) {
            return Ok(self.source.instruments(&query).await?);
        }
        let prelaunch = query
            .clone()
            .with_status(bybit_client::models::Status::PreLaunch);
        let (listed, prelaunch) = tokio::join!(
            self.source.instruments(&query),
            self.source.instruments(&prelaunch)
        );
        listed?.merge(prelaunch?).map_err(|error| {
            RefreshError::from(bybit_client::Error::Malformed {
                reason: format!("the pre-launch list does not merge: {error}"),
                snippet: String::new(),
            })
        })
    }

    /// Refuses an answer that would wipe or gut the cached list (see [`vet::acceptable`]).
    /// The cached list is read, whatever its age, only when the answer is suspect.
    async fn vet(&self, market: &Market, list: &InstrumentList) -> Result<(), RefreshError> {
        let max_shrink = self.policy.max_shrink();
        if !list.is_empty() && max_shrink.is_none() {
            return Ok(());
        }
        let Some(cached) = self.cached_len(market).await else {
            return Ok(());
        };
        if vet::acceptable(list.len(), cached, max_shrink) {
            return Ok(());
        }
        let refused = Refused {
            market: market.clone(),
            answered: list.len(),
            cached,
        };
        tracing::warn!(%refused, "upstream answer refused");
        Err(RefreshError::Refused(refused))
    }

    /// How many instruments the cache holds for `market`, whatever their age: from the
    /// symbols (small, and kept longest by default), else from the instruments. `None` when
    /// neither can be read, which leaves nothing to protect.
    async fn cached_len(&self, market: &Market) -> Option<usize> {
        let key = |dataset| self.policy.cache_key(dataset, market);
        let symbols = key(Dataset::Symbols);
        if let Ok(Some(symbols)) = self.symbols.cache().get::<Vec<String>>(&symbols).await {
            return Some(symbols.len());
        }
        let instruments = key(Dataset::Instruments);
        match self
            .instruments
            .cache()
            .get::<InstrumentList>(&instruments)
            .await
        {
            Ok(Some(instruments)) => Some(instruments.len()),
            Ok(None) | Err(_) => None,
        }
    }

    /// Stores `list` and what derives from it, in this order (which waiting processes
    /// follow in `refresh`); returns what it derived, stored or not, and the write time
    /// stored with the list (`None` when it could not be stored).
    pub(crate) async fn store(
        &self,
        market: &Market,
        list: &Arc<InstrumentList>,
        fence: &Fence,
    ) -> (Derived, Option<SystemTime>) {
        let key = |dataset| self.policy.cache_key(dataset, market);
        let symbols = Arc::new(derive::symbols(list));
        let funding_intervals = Dataset::FundingIntervals
            .applies_to(market.category())
            .then(|| Arc::new(derive::funding_intervals(list)));
        // Shared, so that this process's next read decodes nothing: the caller's list
        // itself, not a copy (a long list takes a few hundred KiB decoded).
        let instruments = self
            .instruments
            .put_shared_fenced(&key(Dataset::Instruments), list.clone(), fence)
            .await;
        let written = instruments.as_ref().ok().map(Stamp::written_at);
        if let Err(cache_core::Error::LeaseLost { name }) = &instruments {
            // Another process took the lease while this one fetched, and stores a list
            // fetched later than ours: ours is served to this process's callers, not stored.
            tracing::warn!(%market, lease = name, "the fetch outlived its lease; its answer is served here but not stored");
            let derived = Derived {
                symbols: Some(symbols),
                funding_intervals,
            };
            return (derived, None);
        }
        let results = [
            (Dataset::Instruments, instruments.map(drop)),
            (
                Dataset::Symbols,
                self.symbols
                    .put_shared_fenced(&key(Dataset::Symbols), symbols.clone(), fence)
                    .await
                    .map(drop),
            ),
            (
                Dataset::FundingIntervals,
                match &funding_intervals {
                    Some(intervals) => self
                        .funding_intervals
                        .put_shared_fenced(
                            &key(Dataset::FundingIntervals),
                            intervals.clone(),
                            fence,
                        )
                        .await
                        .map(drop),
                    None => Ok(()),
                },
            ),
        ];
        for (dataset, result) in results {
            if let Err(error) = result {
                tracing::warn!(%dataset, %market, %error, "cache write failed; served uncached");
            }
        }
        let derived = Derived {
            symbols: Some(symbols),
            funding_intervals,
        };
        (derived, written)
    }
}

#[cfg(test)]
mod tests;
