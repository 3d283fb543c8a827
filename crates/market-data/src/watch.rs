//! [`MarketData::watch`]: a market's instrument list kept fresh, and its changes as events.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bybit_client::{Change, InstrumentList};
use cache_core::Stamp;
use futures_util::Stream;
use serde::Serialize;

use crate::{Dataset, Market, MarketData};

/// What [`MarketData::watch`] yields.
///
/// As JSON (its `Serialize`), one flat object named by `event`, with the market's `category`
/// (and `baseCoin` when it has one): `{"event":"snapshot","category":"linear","count":214}`,
/// `{"event":"listed","category":"linear","symbol":"NEWUSDT"}`, `delisted` likewise,
/// `{"event":"status","category":"linear","symbol":"ETHUSDT","from":"Trading","to":"Closed"}`,
/// `{"event":"changed","category":"linear","symbol":"XRPUSDT","fields":["priceFilter.tickSize"]}`,
/// `{"event":"failed","category":"linear","error":"..."}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MarketEvent {
    /// The first list the watch got: what later changes are counted from.
    Snapshot {
        /// The market watched.
        market: Market,
        /// How many instruments it lists.
        count: usize,
    },
    /// One change between the last list the watch saw and a newer one.
    Change {
        /// The market watched.
        market: Market,
        /// What changed.
        change: Change,
    },
    /// A read failed (Bybit failed with nothing usable cached, say); the watch goes on and
    /// reads again after its interval.
    Failed {
        /// The market watched.
        market: Market,
        /// Why.
        error: String,
    },
}

impl MarketEvent {
    /// The market watched.
    pub fn market(&self) -> &Market {
        match self {
            Self::Snapshot { market, .. }
            | Self::Change { market, .. }
            | Self::Failed { market, .. } => market,
        }
    }
}

impl Serialize for MarketEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        let event = match self {
            Self::Snapshot { .. } => "snapshot",
            Self::Change { change, .. } => change.kind(),
            Self::Failed { .. } => "failed",
        };
        map.serialize_entry("event", event)?;
        let market = self.market();
        map.serialize_entry("category", &market.category())?;
        if let Some(coin) = market.base_coin() {
            map.serialize_entry("baseCoin", coin)?;
        }
        match self {
            Self::Snapshot { count, .. } => map.serialize_entry("count", count)?,
            Self::Failed { error, .. } => map.serialize_entry("error", error)?,
            Self::Change { change, .. } => {
                map.serialize_entry("symbol", change.symbol())?;
                match change {
                    Change::Status { from, to, .. } => {
                        map.serialize_entry("from", from)?;
                        map.serialize_entry("to", to)?;
                    }
                    Change::Changed { fields, .. } => map.serialize_entry("fields", fields)?,
                    _ => {}
                }
            }
        }
        map.end()
    }
}

impl std::fmt::Display for MarketEvent {
    /// One line: `linear: 214 instruments`, `linear: listed NEWUSDT`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Snapshot { market, count } => write!(f, "{market}: {count} instruments"),
            Self::Change { market, change } => write!(f, "{market}: {change}"),
            Self::Failed { market, error } => {
                write!(f, "{market}: read failed: {}", bybit_client::Escaped(error))
            }
        }
    }
}

/// How often a watch reads the list by default: a quarter of the instruments' TTL, between
/// 50 ms and 1 s. Reads are served from the process's values in memory while they are current,
/// so frequent reads cost little; each one also refreshes the list ahead of its expiry.
pub fn default_interval(data: &MarketData) -> Duration {
    let ttl = data.policy().dataset(Dataset::Instruments).freshness.ttl();
    (ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(1))
}

impl MarketData {
    /// Watches `market`'s instrument list: reads it every [`default_interval`], which keeps
    /// it fresh in the cache (refreshed ahead, once for every process sharing the cache), and
    /// yields a [`MarketEvent::Snapshot`] once the first list is in hand, then one
    /// [`MarketEvent::Change`] per change each time a newer list is seen, whoever fetched
    /// it: this process, or another that stored it in the shared cache. A list that changed
    /// nothing yields nothing. The stream never ends; drop it to stop watching.
    ///
    /// A newer list is one the watch has not seen yet, known by the stored bytes it came
    /// from, whatever its write time: the writers' clocks may differ, and the version the
    /// shared cache holds is the latest written. A version seen already (served again by a
    /// read that raced a write) yields nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use bybit_client::testing::MockBybit;
    /// use bybit_client::{BybitClient, Category, ClientConfig};
    /// use cache_core::MemoryCache;
    /// use futures_util::StreamExt;
    /// use market_data::{Market, MarketData, MarketEvent, Policy};
    ///
    /// let bybit = MockBybit::start().await;
    /// let client = BybitClient::new(ClientConfig::new(bybit.base_url()))?;
    /// let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), Arc::new(client), Policy::default());
    /// let linear = Market::new(Category::Linear)?;
    ///
    /// let mut events = Box::pin(data.watch(&linear));
    /// let first = events.next().await;
    /// assert!(matches!(first, Some(MarketEvent::Snapshot { count: 214, .. })));
    /// # Ok(()) }
    /// ```
    pub fn watch(&self, market: &Market) -> impl Stream<Item = MarketEvent> + Send + 'static {
        self.watch_every(market, default_interval(self))
    }

    /// Like [`MarketData::watch`], reading the list every `interval`.
    pub fn watch_every(
        &self,
        market: &Market,
        interval: Duration,
    ) -> impl Stream<Item = MarketEvent> + Send + 'static {
        let watch = Watch {
            data: self.clone(),
            market: market.clone(),
            interval,
            last: None,
            seen: VecDeque::with_capacity(REMEMBERED),
            pending: VecDeque::new(),
            started: false,
        };
        futures_util::stream::unfold(watch, |mut watch| async move {
            let event = watch.next().await;
            Some((event, watch))
        })
    }
}

/// How many versions a watch remembers having seen. A version read again after a newer
/// one comes from a read that raced the newer one's write: one or two versions back.
const REMEMBERED: usize = 8;

/// Which version of the list is newer is not judged by write times: those are each
/// writer's clock, and hosts' clocks differ. The cache's current version is the latest by
/// definition (the last write wins), so a version never seen before is new, and compared
/// with the last one; a version seen already, served again by a read that raced a write,
/// is passed over. Versions are known by the stamps of their stored bytes, which every
/// reader agrees on, as the values held in memory have them: without those
/// ([`Policy::local_capacity`](crate::Policy::local_capacity) 0), every list read is
/// compared with the last, and a version served again after a newer one counts as new.
struct Watch {
    data: MarketData,
    market: Market,
    interval: Duration,
    /// The last list seen, which a new version is compared with.
    last: Option<Arc<InstrumentList>>,
    /// The stamps of the versions seen lately, the latest last.
    seen: VecDeque<Stamp>,
    pending: VecDeque<MarketEvent>,
    started: bool,
}

impl Watch {
    async fn next(&mut self) -> MarketEvent {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return event;
            }
            if self.started {
                tokio::time::sleep(self.interval).await;
            }
            self.started = true;
            let lookup = match self.data.instruments(&self.market).await {
                Ok(lookup) => lookup,
                Err(error) => return self.failed(error.to_string()),
            };
            let stamp = (self.data)
                .instruments_stamp(&self.market, &lookup.value)
                .await;
            let Some(last) = self.last.take() else {
                let count = lookup.value.len();
                self.remember(stamp);
                self.last = Some(lookup.value);
                return MarketEvent::Snapshot {
                    market: self.market.clone(),
                    count,
                };
            };
            // The same version, held in memory; or one seen already (a read that raced a
            // write): nothing new.
            let held = Arc::ptr_eq(&last, &lookup.value);
            if held || stamp.is_some_and(|stamp| self.seen.contains(&stamp)) {
                self.remember(stamp);
                self.last = Some(last);
                continue;
            }
            // A version of unknown stamp (no longer, or never, held in memory) counts as new:
            // compared with the last, it yields only what changed.
            self.remember(stamp);
            let new = lookup.value;
            let (old, newer) = (last, new.clone());
            // A diff of large lists takes milliseconds: off the runtime's threads.
            let changes = tokio::task::spawn_blocking(move || old.diff(&newer)).await;
            self.last = Some(new);
            match changes {
                Ok(Ok(changes)) => {
                    self.pending
                        .extend(changes.into_iter().map(|change| MarketEvent::Change {
                            market: self.market.clone(),
                            change,
                        }))
                }
                Ok(Err(error)) => return self.failed(error.to_string()),
                Err(error) => return self.failed(format!("comparing the lists failed: {error}")),
            }
        }
    }

    /// Remembers `stamp` as seen, the latest, unless it is already; forgetting the oldest
    /// beyond [`REMEMBERED`].
    fn remember(&mut self, stamp: Option<Stamp>) {
        let Some(stamp) = stamp else { return };
        if self.seen.contains(&stamp) {
            return;
        }
        if self.seen.len() == REMEMBERED {
            self.seen.pop_front();
        }
        self.seen.push_back(stamp);
    }

    fn failed(&self, error: String) -> MarketEvent {
        tracing::warn!(market = %self.market, %error, "watch: cannot read the instruments");
        MarketEvent::Failed {
            market: self.market.clone(),
            error,
        }
    }
}
