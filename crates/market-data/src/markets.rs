//! What a [`MarketData`](crate::MarketData) keeps per market: its datasets' cache keys,
//! formatted once rather than on every read (formatting two keys took a sixth of a read
//! served from memory), and its next announced change ([`Boundary`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use bybit_client::Category;

use crate::expiry::Boundary;
use crate::{Dataset, Market, Policy};

/// One market's state.
#[derive(Debug)]
pub(crate) struct MarketState {
    /// The keys, in the order of [`Dataset::ALL`].
    keys: [String; 3],
    pub(crate) boundary: Boundary,
}

impl MarketState {
    fn new(policy: &Policy, market: &Market) -> Self {
        Self {
            keys: Dataset::ALL.map(|dataset| policy.cache_key(dataset, market)),
            boundary: Boundary::new(policy.longest_ttl()),
        }
    }

    /// The cache key of `dataset`.
    pub(crate) fn key(&self, dataset: Dataset) -> &str {
        let index = match dataset {
            Dataset::Instruments => 0,
            Dataset::Symbols => 1,
            Dataset::FundingIntervals => 2,
        };
        &self.keys[index]
    }
}

/// Every market's state, made on its first read. A whole category (spot, linear, inverse)
/// has a slot of its own, found without hashing or locking; a market by base coin is in a
/// map of at most [`Policy::max_markets`] entries, since callers may name any coin.
///
/// # Eviction
/// Beyond the bound, naming a new market drops the state of the one read least recently
/// (counted in insertions: markets read since the last one are equally recent). Nothing is
/// lost that matters: the keys are made again from the policy, and the boundary state is
/// learned again from the next list read or fetched, as by a process that just started.
/// At worst a refresh at a passed boundary starts sooner than the second it waits after the
/// last one; it is still one flight per market (flights are keyed by market, not by
/// state). A reader still holding the evicted state (an `Arc`) goes on with it unharmed.
/// Finding the least recent scans the map, under the write lock that inserting takes
/// anyway: a few microseconds at the default bound, paid only by a market named anew.
pub(crate) struct Markets {
    categories: [OnceLock<Arc<MarketState>>; 3],
    by_base_coin: RwLock<HashMap<Market, Recent>>,
    max: usize,
    /// Markets inserted into `by_base_coin` so far: the clock of its reads.
    inserted: AtomicU64,
}

/// A market's state, and when it was last read, by the clock of insertions.
struct Recent {
    state: Arc<MarketState>,
    read_at: AtomicU64,
}

impl Markets {
    /// No state yet; at most `max` markets by base coin (at least one).
    pub(crate) fn new(max: usize) -> Self {
        Self {
            categories: Default::default(),
            by_base_coin: RwLock::default(),
            max: max.max(1),
            inserted: AtomicU64::new(0),
        }
    }

    /// The state of `market` under `policy` (always the same policy for one `Markets`).
    pub(crate) fn of(&self, policy: &Policy, market: &Market) -> Arc<MarketState> {
        let slot = match (market.category(), market.base_coin()) {
            (Category::Spot, None) => Some(0),
            (Category::Linear, None) => Some(1),
            (Category::Inverse, None) => Some(2),
            _ => None,
        };
        if let Some(slot) = slot {
            return self.categories[slot]
                .get_or_init(|| Arc::new(MarketState::new(policy, market)))
                .clone();
        }
        let known = self
            .by_base_coin
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = known.get(market) {
            // Written only when the clock moved: a hot market's reads share the line.
            let now = self.inserted.load(Ordering::Relaxed);
            if known.read_at.load(Ordering::Relaxed) != now {
                known.read_at.store(now, Ordering::Relaxed);
            }
            return known.state.clone();
        }
        drop(known);
        let mut known = self
            .by_base_coin
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = known.get(market) {
            return known.state.clone();
        }
        if known.len() >= self.max {
            let least = known
                .iter()
                .min_by_key(|(_, recent)| recent.read_at.load(Ordering::Relaxed))
                .map(|(market, _)| market.clone());
            if let Some(least) = least {
                known.remove(&least);
                tracing::debug!(market = %least, max = self.max, "market state evicted");
            }
        }
        let now = self.inserted.fetch_add(1, Ordering::Relaxed) + 1;
        let state = Arc::new(MarketState::new(policy, market));
        let recent = Recent {
            state: state.clone(),
            read_at: AtomicU64::new(now),
        };
        known.insert(market.clone(), recent);
        state
    }

    /// How many markets by base coin have a state held.
    #[cfg(test)]
    pub(crate) fn by_base_coin(&self) -> usize {
        self.by_base_coin
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_MAX_MARKETS;

    #[test]
    fn each_market_has_the_policys_keys_and_one_state() {
        let policy = Policy::default().with_prelaunch(true);
        let markets = Markets::new(DEFAULT_MAX_MARKETS);
        for market in [
            Market::new(Category::Linear).unwrap(),
            Market::new(Category::Spot).unwrap(),
            Market::new(Category::Inverse).unwrap(),
            Market::with_base_coin(Category::Linear, Some("BTC".into())).unwrap(),
            Market::option("BTC").unwrap(),
            Market::option("ETH").unwrap(),
        ] {
            let state = markets.of(&policy, &market);
            for dataset in Dataset::ALL {
                assert_eq!(
                    state.key(dataset),
                    policy.cache_key(dataset, &market),
                    "{market}"
                );
            }
            assert!(
                Arc::ptr_eq(&state, &markets.of(&policy, &market)),
                "{market}"
            );
        }
        let btc = markets.of(&policy, &Market::option("BTC").unwrap());
        let eth = markets.of(&policy, &Market::option("ETH").unwrap());
        assert!(!Arc::ptr_eq(&btc, &eth));
    }
    #[test]
    fn markets_by_base_coin_stay_within_the_bound_the_least_recently_read_evicted() {
        let policy = Policy::default();
        let markets = Markets::new(4);
        let btc = Market::option("BTC").unwrap();
        let kept = markets.of(&policy, &btc);
        let first = Market::option("COIN0").unwrap();
        let evicted = markets.of(&policy, &first);
        for i in 1..20 {
            let market = Market::option(format!("COIN{i}")).unwrap();
            let state = markets.of(&policy, &market);
            assert_eq!(
                state.key(Dataset::Symbols),
                policy.cache_key(Dataset::Symbols, &market)
            );
            assert!(
                Arc::ptr_eq(&kept, &markets.of(&policy, &btc)),
                "read after every other: never the least recently read"
            );
            assert!(
                markets.by_base_coin() <= 4,
                "{} held",
                markets.by_base_coin()
            );
        }
        assert_eq!(markets.by_base_coin(), 4);
        for category in [Category::Spot, Category::Linear, Category::Inverse] {
            markets.of(&policy, &Market::new(category).unwrap());
        }
        assert_eq!(
            markets.by_base_coin(),
            4,
            "whole categories have slots of their own"
        );

        // Evicted, yet still in use by whoever holds it; named again, it starts anew.
        assert_eq!(
            evicted.key(Dataset::Instruments),
            policy.cache_key(Dataset::Instruments, &first)
        );
        let renewed = markets.of(&policy, &first);
        assert!(!Arc::ptr_eq(&evicted, &renewed));
        assert_eq!(
            renewed.key(Dataset::Instruments),
            evicted.key(Dataset::Instruments)
        );
        assert_eq!(markets.by_base_coin(), 4);
    }
}
