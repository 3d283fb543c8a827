//! Exchange-aware expiry: a list that announces a delivery is refetched once the delivery has
//! passed (by the grace), long before its TTL, and so are the datasets derived from it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bybit_client::models::Status;
use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, Category, ClientConfig, InstrumentList};
use cache_core::MemoryCache;
use market_data::{BOUNDARY_GRACE, Dataset, Market, MarketData, Policy, Source};

const SYMBOL: &str = "ETHUSDT";

fn status_of(list: &InstrumentList) -> String {
    let json = serde_json::to_value(list).unwrap();
    let item = json["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["symbol"] == SYMBOL)
        .unwrap();
    item["status"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_expires_the_lists_long_before_their_ttl() {
    let bybit = MockBybit::start().await;
    let delivery = SystemTime::now() + Duration::from_millis(1500);
    let millis = delivery
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    assert!(bybit.set_field(Category::Linear, SYMBOL, "deliveryTime", millis.into()));
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let policy = Policy::default().with_ttl(Dataset::Instruments, Duration::from_secs(60));
    let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), client, policy);
    let linear = Market::new(Category::Linear).unwrap();

    let first = data.instruments(&linear).await.unwrap();
    assert_eq!(status_of(&first.value), "Trading");
    assert!(
        data.symbols(&linear)
            .await
            .unwrap()
            .value
            .iter()
            .any(|s| s == SYMBOL)
    );
    // What Bybit lists once the contract is delivered.
    assert!(bybit.set_status(Category::Linear, SYMBOL, Status::Closed));
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));

    let before = data.instruments(&linear).await.unwrap();
    assert_eq!(
        (before.source, status_of(&before.value)),
        (Source::Cache, "Trading".to_owned())
    );
    assert_eq!(data.stats().upstream_fetches, 1, "fresh until the delivery");

    let after = delivery + BOUNDARY_GRACE;
    tokio::time::sleep(after.duration_since(SystemTime::now()).unwrap_or_default()).await;
    // The derived symbols, read first, also predate the delivery: they start the refresh.
    data.symbols(&linear).await.unwrap();
    assert!(data.settle(Duration::from_secs(20)).await);
    assert_eq!(
        data.stats().upstream_fetches,
        2,
        "one refetch at the delivery"
    );
    let refreshed = data.instruments(&linear).await.unwrap();
    assert_eq!(status_of(&refreshed.value), "Closed");
    let symbols = data.symbols(&linear).await.unwrap();
    assert!(
        !symbols.value.iter().any(|s| s == "BTCUSDT"),
        "symbols refreshed too"
    );
    // The new list announces nothing more: no further refetch.
    data.instruments(&linear).await.unwrap();
    assert!(data.settle(Duration::from_secs(20)).await);
    assert_eq!(data.stats().upstream_fetches, 2);
}
