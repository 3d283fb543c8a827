//! Pre-launch contracts, which Bybit lists only when asked for, fetched too when the policy
//! says so, and kept apart from the lists without them.

use std::sync::Arc;

use bybit_client::models::Status;
use bybit_client::testing::MockBybit;
use bybit_client::testing::fixtures::values;
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_core::MemoryCache;
use market_data::{Dataset, Market, MarketData, Policy};

const PRELAUNCH: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";

#[tokio::test]
async fn prelaunch_contracts_are_merged_into_the_list_under_keys_of_their_own() {
    let bybit = MockBybit::builder()
        .status_instruments(Category::Linear, Status::PreLaunch, values(PRELAUNCH))
        .start()
        .await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let linear = Market::new(Category::Linear).unwrap();
    let with = MarketData::new(
        cache.clone(),
        client.clone(),
        Policy::default().with_prelaunch(true),
    );
    let without = MarketData::new(cache, client, Policy::default());

    let symbols = with.symbols(&linear).await.unwrap();
    assert_eq!(symbols.value.len(), 215);
    assert!(symbols.value.iter().any(|symbol| symbol == "BIOUSDT"));
    let statuses: Vec<_> = bybit.requests().iter().map(|r| r.status.clone()).collect();
    assert!(
        statuses.contains(&Some("PreLaunch".to_owned())),
        "{statuses:?}"
    );

    assert_eq!(without.symbols(&linear).await.unwrap().value.len(), 214);
    let (a, b) = (
        with.key(Dataset::Symbols, &linear),
        without.key(Dataset::Symbols, &linear),
    );
    assert_eq!(a, format!("{b}+prelaunch"));
}

#[tokio::test]
async fn spot_never_asks_for_prelaunch_contracts() {
    let bybit = MockBybit::start().await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        client,
        Policy::default().with_prelaunch(true),
    );
    let spot = Market::new(Category::Spot).unwrap();
    data.symbols(&spot).await.unwrap();
    assert!(bybit.requests().iter().all(|r| r.status.is_none()));
    assert!(!data.key(Dataset::Symbols, &spot).ends_with("+prelaunch"));
}
