//! What a [`MarketData`](crate::MarketData) keeps per market: its datasets' cache keys,
//! formatted once rather than on every read (formatting two keys took a sixth of a read
//! served from memory), and its next announced change ([`Boundary`]).

use std::collections::HashMap;
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
            keys: Dataset::ALL.map(|dataset| policy.key(dataset, market)),
            boundary: Boundary::default(),
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
/// map, which grows by one entry per such market read (programs read a handful).
#[derive(Default)]
pub(crate) struct Markets {
    categories: [OnceLock<Arc<MarketState>>; 3],
    by_base_coin: RwLock<HashMap<Market, Arc<MarketState>>>,
}

impl Markets {
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
        if let Some(state) = known.get(market) {
            return state.clone();
        }
        drop(known);
        self.by_base_coin
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(market.clone())
            .or_insert_with(|| Arc::new(MarketState::new(policy, market)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_market_has_the_policys_keys_and_one_state() {
        let policy = Policy::default().with_prelaunch(true);
        let markets = Markets::default();
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
                assert_eq!(state.key(dataset), policy.key(dataset, &market), "{market}");
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
}
