//! One refresh makes one decoded list and one of each dataset derived from it: the caller
//! that fetched, and every later read served from the values held in memory, share them.

use std::sync::Arc;

use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_core::MemoryCache;
use market_data::{Market, MarketData, Policy, Source};

async fn instance() -> (MarketData, MockBybit) {
    let bybit = MockBybit::start().await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        client,
        Policy::default(),
    );
    (data, bybit)
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

#[tokio::test]
async fn the_fetched_list_is_the_one_held_in_memory() {
    let (data, _bybit) = instance().await;
    let fetched = data.instruments(&linear()).await.unwrap();
    let held = data.instruments(&linear()).await.unwrap();
    assert_eq!(
        (fetched.source, held.source),
        (Source::Upstream, Source::Cache)
    );
    assert_eq!(data.stats().instruments.local_hits, 1);
    assert!(
        Arc::ptr_eq(&fetched.value, &held.value),
        "the list stored and held is the caller's, not a copy"
    );
}

#[tokio::test]
async fn the_derived_datasets_served_are_the_ones_stored() {
    let (data, _bybit) = instance().await;
    let fetched = data.symbols(&linear()).await.unwrap();
    let held = data.symbols(&linear()).await.unwrap();
    assert_eq!(
        (fetched.source, held.source),
        (Source::Upstream, Source::Cache)
    );
    assert_eq!(data.stats().symbols.local_hits, 1);
    assert!(
        Arc::ptr_eq(&fetched.value, &held.value),
        "the symbols were derived once, to store and to serve"
    );

    // The funding intervals came with the same fetch, derived once as well.
    data.clear(&linear()).await.unwrap();
    let fetched = data.funding_intervals(&linear()).await.unwrap();
    let held = data.funding_intervals(&linear()).await.unwrap();
    assert_eq!(
        (fetched.source, held.source),
        (Source::Upstream, Source::Cache)
    );
    assert!(Arc::ptr_eq(&fetched.value, &held.value));
    assert_eq!(data.stats().upstream_fetches, 2);
}
