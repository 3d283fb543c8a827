//! [`Policy`]: freshness and encoding of each dataset.

use std::time::Duration;

use cache_core::{Codec, Compression};
use cache_policy::{DEFAULT_LEASE_TTL, DEFAULT_LOCAL_CAPACITY, FetchTimeouts, Freshness};

use bybit_client::Category;

use crate::{Dataset, Market, cache_key};

/// How long a dataset is fresh and how it is stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DatasetPolicy {
    /// TTL, stale copy and jitter.
    pub freshness: Freshness,
    /// Format and compression.
    pub codec: Codec,
}

/// The policy of every dataset, and the namespace of their keys.
///
/// Defaults: instruments fresh for 60 s, stored as MessagePack + zstd (the list is large);
/// symbols for 24 h and funding intervals for 1 h, as MessagePack (compressed when large);
/// every TTL stretched by up to 10 % per key; a value read after 80 % of its fresh time is
/// served and refreshed in the background ([`Policy::with_refresh_ahead`]); a stale copy is
/// served at once, while one refresh runs, up to one TTL past its fresh time
/// ([`Policy::with_stale_while_revalidate`]), and is kept 24 h past its TTL, served when the
/// upstream fails; one process of all those sharing the cache fetches a market at a time,
/// under a lease of 5 s ([`Policy::with_lease_ttl`]); decoded values kept in the process, up
/// to 64 MiB for all datasets together ([`Policy::with_local_capacity`]).
///
/// ```
/// use std::time::Duration;
/// use market_data::{Dataset, Policy};
///
/// let policy = Policy::default()
///     .with_ttl(Dataset::Instruments, Duration::from_secs(90))
///     .with_max_stale(Duration::from_secs(3600));
/// assert_eq!(policy.dataset(Dataset::Instruments).freshness.ttl(), Duration::from_secs(90));
/// assert_eq!(policy.dataset(Dataset::Symbols).freshness.max_stale(), Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    namespace: String,
    instruments: DatasetPolicy,
    symbols: DatasetPolicy,
    funding_intervals: DatasetPolicy,
    max_shrink: Option<f64>,
    timeouts: FetchTimeouts,
    local_capacity: u64,
    /// The stale-while-revalidate window of every dataset; `None`: each dataset's TTL.
    revalidate: Option<Duration>,
    lease_ttl: Duration,
    prelaunch: bool,
    max_markets: usize,
}

/// The default namespace of keys.
pub const DEFAULT_NAMESPACE: &str = "market-data";
/// How long a stale copy is kept past its TTL by default.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(24 * 3600);
const JITTER: f64 = 0.1;
/// The fraction of its fresh time after which a value is refreshed ahead by default.
pub const DEFAULT_REFRESH_AHEAD: f64 = 0.8;
/// How many markets by base coin a [`MarketData`](crate::MarketData) keeps a state for by
/// default: more base coins than Bybit lists in any category.
pub const DEFAULT_MAX_MARKETS: usize = 1024;

impl Default for Policy {
    fn default() -> Self {
        let dataset = |ttl: Duration, compression: Compression| DatasetPolicy {
            freshness: Freshness::new(ttl)
                .with_max_stale(DEFAULT_MAX_STALE)
                .with_stale_while_revalidate(ttl)
                .with_jitter(JITTER)
                .and_then(|freshness| freshness.with_refresh_ahead(DEFAULT_REFRESH_AHEAD))
                .unwrap_or(Freshness::new(ttl)),
            codec: Codec::msgpack()
                .with_compression(compression)
                .unwrap_or(Codec::msgpack()),
        };
        Self {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            instruments: dataset(Duration::from_secs(60), Compression::ZSTD),
            symbols: dataset(Duration::from_secs(24 * 3600), Compression::ZSTD),
            funding_intervals: dataset(Duration::from_secs(3600), Compression::ZSTD),
            max_shrink: None,
            timeouts: FetchTimeouts::default(),
            local_capacity: DEFAULT_LOCAL_CAPACITY,
            revalidate: None,
            lease_ttl: DEFAULT_LEASE_TTL,
            prelaunch: false,
            max_markets: DEFAULT_MAX_MARKETS,
        }
    }
}

impl Policy {
    /// The namespace every key starts with.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The policy of one dataset.
    pub const fn dataset(&self, dataset: Dataset) -> &DatasetPolicy {
        match dataset {
            Dataset::Instruments => &self.instruments,
            Dataset::Symbols => &self.symbols,
            Dataset::FundingIntervals => &self.funding_intervals,
        }
    }

    /// The longest TTL of the datasets: how long after an announced change a list that does
    /// not show it yet is still asked for again.
    pub(crate) fn longest_ttl(&self) -> Duration {
        Dataset::ALL
            .into_iter()
            .map(|dataset| self.dataset(dataset).freshness.ttl())
            .max()
            .unwrap_or_default()
    }

    fn dataset_mut(&mut self, dataset: Dataset) -> &mut DatasetPolicy {
        match dataset {
            Dataset::Instruments => &mut self.instruments,
            Dataset::Symbols => &mut self.symbols,
            Dataset::FundingIntervals => &mut self.funding_intervals,
        }
    }

    /// Keys start with `namespace` instead of `market-data`.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// `dataset` is fresh for `ttl`.
    pub fn with_ttl(mut self, dataset: Dataset, ttl: Duration) -> Self {
        let window = self.revalidate.unwrap_or(ttl);
        let policy = self.dataset_mut(dataset);
        policy.freshness = policy
            .freshness
            .with_ttl(ttl)
            .with_stale_while_revalidate(window);
        self
    }

    /// Every dataset is refreshed in the background once a read finds it `fraction` (above
    /// 0.0, up to 1.0) into its fresh time: the read is served at once, and one refresh runs
    /// for the whole fleet of processes sharing the cache. 1.0 refreshes only stale values.
    /// By default 0.8 ([`DEFAULT_REFRESH_AHEAD`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use market_data::{Dataset, Policy};
    ///
    /// let policy = Policy::default().with_refresh_ahead(0.5)?;
    /// let instruments = policy.dataset(Dataset::Instruments).freshness;
    /// assert_eq!(instruments.refresh_ahead(), 0.5);
    /// # Ok::<_, market_data::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) unless `fraction` is in
    /// `0.0..=1.0` and above zero.
    pub fn with_refresh_ahead(mut self, fraction: f64) -> Result<Self, crate::Error> {
        for dataset in Dataset::ALL {
            let policy = self.dataset_mut(dataset);
            policy.freshness = policy
                .freshness
                .with_refresh_ahead(fraction)
                .map_err(|error| crate::Error::InvalidArgument(error.to_string()))?;
        }
        Ok(self)
    }

    /// A stale copy of any dataset up to `window` past its fresh time is served at once while
    /// one refresh runs in the background, rather than after waiting for the refresh up to the
    /// soft timeout. Zero waits. By default each dataset's TTL: nothing is served more than
    /// twice its TTL old while the upstream answers. Only a kept stale copy can be served, so
    /// the window is bounded by [`Policy::with_max_stale`].
    pub fn with_stale_while_revalidate(mut self, window: Duration) -> Self {
        self.revalidate = Some(window);
        for dataset in Dataset::ALL {
            let policy = self.dataset_mut(dataset);
            policy.freshness = policy.freshness.with_stale_while_revalidate(window);
        }
        self
    }

    /// The lease a process takes on a market while it fetches it lasts `ttl` unless extended
    /// (its holder extends it every third of that while the fetch runs). It bounds how long
    /// the other processes wait when the holder dies without releasing it (on Redis; a cache
    /// directory's lease dies with its process). By default 5 s.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) under 30 ms.
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Result<Self, crate::Error> {
        cache_policy::Fleet::new()
            .with_lease_ttl(ttl)
            .map_err(|error| crate::Error::InvalidArgument(error.to_string()))?;
        self.lease_ttl = ttl;
        Ok(self)
    }

    /// Also fetches the linear and inverse contracts Bybit lists only when asked for
    /// (`status=PreLaunch`: pre-market contracts, in their auction or before trading starts),
    /// merged into each list, so that a listing is seen before trading starts and becomes a
    /// status change when it does. It costs a second pagination run per fetch. The lists are
    /// kept under keys of their own (ending in `+prelaunch`), apart from those without.
    /// Options always include them; spot has none. Off by default.
    ///
    /// ```
    /// let policy = market_data::Policy::default().with_prelaunch(true);
    /// assert!(policy.prelaunch());
    /// ```
    pub const fn with_prelaunch(mut self, prelaunch: bool) -> Self {
        self.prelaunch = prelaunch;
        self
    }

    /// Whether pre-launch contracts are fetched too.
    pub const fn prelaunch(&self) -> bool {
        self.prelaunch
    }

    /// Whether `market`'s fetches ask for its pre-launch contracts separately.
    pub(crate) fn asks_prelaunch(&self, market: &Market) -> bool {
        includes_prelaunch(self.prelaunch, market)
    }

    /// The cache key of `dataset` for `market` under this policy: [`cache_key`] in its
    /// namespace, ending in `+prelaunch` when the lists include pre-launch contracts
    /// ([`Policy::with_prelaunch`], linear and inverse only). It is the key
    /// [`MarketData`](crate::MarketData) reads and writes.
    ///
    /// ```
    /// use bybit_client::Category;
    /// use market_data::{Dataset, Market, Policy};
    ///
    /// let linear = Market::new(Category::Linear)?;
    /// let policy = Policy::default().with_prelaunch(true);
    /// assert_eq!(
    ///     policy.cache_key(Dataset::Symbols, &linear),
    ///     "market-data:symbols:v2:linear+prelaunch"
    /// );
    /// # Ok::<_, market_data::Error>(())
    /// ```
    pub fn cache_key(&self, dataset: Dataset, market: &Market) -> String {
        self.key_in_form(dataset, market, self.prelaunch)
    }

    /// The key of `dataset` for `market` in this namespace, with pre-launch contracts or
    /// without them as `prelaunch` says, whatever this policy fetches.
    fn key_in_form(&self, dataset: Dataset, market: &Market, prelaunch: bool) -> String {
        in_form(
            cache_key(&self.namespace, dataset, market),
            market,
            prelaunch,
        )
    }

    /// Every key `dataset` of `market` may be stored under in this namespace: with and
    /// without pre-launch contracts, whichever policy the process that stored it followed,
    /// so that clearing a market clears all of it.
    pub(crate) fn every_key(&self, dataset: Dataset, market: &Market) -> Vec<String> {
        let mut keys: Vec<String> = [false, true]
            .map(|prelaunch| self.key_in_form(dataset, market, prelaunch))
            .into();
        keys.dedup();
        keys
    }

    /// Every name the fetch lease of `market` may have in this namespace, as
    /// [`every_key`](Self::every_key) for the keys.
    pub(crate) fn every_lease_name(&self, market: &Market) -> Vec<String> {
        let name = format!("{}:upstream:{market}", self.namespace);
        let mut names: Vec<String> = [false, true]
            .map(|prelaunch| in_form(name.clone(), market, prelaunch))
            .into();
        names.dedup();
        names
    }

    /// The name of the lease a process holds while it fetches `market`:
    /// `{namespace}:upstream:{market}`, in the form of its keys. A fetch with pre-launch
    /// contracts and one without store under different keys, so neither has a reason to
    /// wait for the other.
    pub(crate) fn lease_name(&self, market: &Market) -> String {
        let name = format!("{}:upstream:{market}", self.namespace);
        in_form(name, market, self.prelaunch)
    }

    /// How long a market's fetch lease lasts unless extended.
    pub const fn lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// Every dataset keeps a stale copy `max_stale` past its TTL (zero: none).
    pub fn with_max_stale(mut self, max_stale: Duration) -> Self {
        for dataset in Dataset::ALL {
            let policy = self.dataset_mut(dataset);
            policy.freshness = policy.freshness.with_max_stale(max_stale);
        }
        self
    }

    /// Refuses an upstream answer that lost more than `fraction` (0.0 to 1.0) of the cached
    /// list's instruments, as if the fetch had failed: the stale copy is served with a warning
    /// and nothing is stored. Off by default; an empty answer never replaces a non-empty list
    /// either way.
    ///
    /// ```
    /// let policy = market_data::Policy::default().with_max_shrink(0.5)?;
    /// assert_eq!(policy.max_shrink(), Some(0.5));
    /// # Ok::<_, market_data::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) unless `fraction` is in
    /// `0.0..=1.0`.
    pub fn with_max_shrink(mut self, fraction: f64) -> Result<Self, crate::Error> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(crate::Error::InvalidArgument(format!(
                "max shrink {fraction} is not a fraction in 0.0..=1.0"
            )));
        }
        self.max_shrink = Some(fraction);
        Ok(self)
    }

    /// The largest shrink of the list an answer may bring, when one is set.
    pub const fn max_shrink(&self) -> Option<f64> {
        self.max_shrink
    }

    /// How long a read waits for Bybit: with a usable stale copy, it is served after the
    /// soft timeout while the fetch goes on and stores its answer; a whole fetch (every page)
    /// is abandoned at the hard deadline. By default 5 s and 30 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cache_policy::FetchTimeouts;
    ///
    /// let timeouts = FetchTimeouts::default().with_soft(Duration::from_secs(1));
    /// let policy = market_data::Policy::default().with_timeouts(timeouts);
    /// assert_eq!(policy.timeouts().soft(), Duration::from_secs(1));
    /// assert_eq!(policy.timeouts().hard(), Duration::from_secs(30));
    /// ```
    pub const fn with_timeouts(mut self, timeouts: FetchTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// How long a read waits for Bybit.
    pub const fn timeouts(&self) -> FetchTimeouts {
        self.timeouts
    }

    /// Keeps up to `bytes` of decoded values in the process, for every dataset and market
    /// together (one [`LocalCache`](cache_policy::LocalCache) shared by the datasets); 0 keeps
    /// none. By default 64 MiB ([`DEFAULT_LOCAL_CAPACITY`]); the 214 linear instruments take
    /// about 85 KB.
    ///
    /// A value held there is served after one small read of its stamp from the cache, and
    /// only while the cache still holds that version: a write by another process is seen by
    /// the next read, as without it. See [`ReadThrough`](cache_policy::ReadThrough).
    ///
    /// ```
    /// let policy = market_data::Policy::default().with_local_capacity(0);
    /// assert_eq!(policy.local_capacity(), 0);
    /// ```
    pub const fn with_local_capacity(mut self, bytes: u64) -> Self {
        self.local_capacity = bytes;
        self
    }

    /// The bytes of decoded values kept in the process, for every dataset together; 0 when
    /// none are.
    pub const fn local_capacity(&self) -> u64 {
        self.local_capacity
    }

    /// Keeps what it learns of at most `max` markets by base coin (options, or a category
    /// narrowed to a coin; at least one): their keys, formatted once, and their next
    /// announced change. Naming more drops the state of the one read least recently, to be
    /// made again if it is named again, as on a first read; nothing cached is lost. Whole
    /// categories are always kept. By default 1024 ([`DEFAULT_MAX_MARKETS`]), so that a
    /// program that passes on coin names it is given does not grow without end.
    ///
    /// ```
    /// let policy = market_data::Policy::default().with_max_markets(16);
    /// assert_eq!(policy.max_markets(), 16);
    /// ```
    pub const fn with_max_markets(mut self, max: usize) -> Self {
        self.max_markets = if max == 0 { 1 } else { max };
        self
    }

    /// How many markets by base coin are kept a state for, at most.
    pub const fn max_markets(&self) -> usize {
        self.max_markets
    }

    /// `dataset` follows `policy`.
    pub fn with_dataset(mut self, dataset: Dataset, policy: DatasetPolicy) -> Self {
        *self.dataset_mut(dataset) = policy;
        self
    }
}

/// Whether `market`'s lists include pre-launch contracts when they are asked for
/// (`prelaunch`): linear and inverse have them apart; spot has none, and options always
/// include them.
fn includes_prelaunch(prelaunch: bool, market: &Market) -> bool {
    prelaunch && matches!(market.category(), Category::Linear | Category::Inverse)
}

/// `name` (a key or lease name of `market`), ending in `+prelaunch` when `market`'s lists
/// include pre-launch contracts: the one place that decides it, so that a process's keys,
/// its fetch lease and the keys a clear removes cannot disagree.
fn in_form(name: String, market: &Market, prelaunch: bool) -> String {
    if includes_prelaunch(prelaunch, market) {
        name + "+prelaunch"
    } else {
        name
    }
}
