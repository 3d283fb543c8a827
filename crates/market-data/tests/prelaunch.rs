//! Pre-launch contracts, which Bybit lists only when asked for, fetched too when the policy
//! says so, and kept apart from the lists without them.

use std::sync::Arc;
use std::time::Duration;

use bybit_client::models::Status;
use bybit_client::testing::fixtures::values;
use bybit_client::testing::{Fault, MockBybit};
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_core::{Cache, Codec, MemoryCache};
use market_data::{DEFAULT_NAMESPACE, Dataset, Market, MarketData, Policy, cache_key};

const PRELAUNCH: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";

/// A mock Bybit that lists the recorded pre-launch contract when asked, and a client of it.
async fn prelaunch_bybit() -> (MockBybit, Arc<BybitClient>) {
    let bybit = MockBybit::builder()
        .status_instruments(Category::Linear, Status::PreLaunch, values(PRELAUNCH))
        .start()
        .await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    (bybit, client)
}

#[tokio::test]
async fn prelaunch_contracts_are_merged_into_the_list_under_keys_of_their_own() {
    let (bybit, client) = prelaunch_bybit().await;
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

/// A Bybit that answers every page of every run after `per_page`, the pre-launch list of
/// linear contracts included.
async fn slow_bybit(per_page: Duration) -> MockBybit {
    let mut builder = MockBybit::builder()
        .status_instruments(Category::Linear, Status::PreLaunch, values(PRELAUNCH))
        .page_size(50);
    for page in 0..=214_usize.div_ceil(50) {
        builder = builder.fault(Fault::hang(page, per_page).always());
    }
    builder.start().await
}

/// Lists with and without pre-launch contracts are kept apart, so a fetch of one is no
/// reason to wait for the other: each fetches under a lease of its own, in whichever order
/// they start, and neither waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_with_and_without_prelaunch_contracts_never_wait_on_each_other() {
    for first_prelaunch in [true, false] {
        let bybit = slow_bybit(Duration::from_millis(200)).await;
        let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
        let cache = Arc::new(MemoryCache::new(64 << 20));
        let linear = Market::new(Category::Linear).unwrap();
        let data = |prelaunch| {
            let policy = Policy::default().with_prelaunch(prelaunch);
            MarketData::new(cache.clone(), client.clone(), policy)
        };
        let (first, second) = (data(first_prelaunch), data(!first_prelaunch));
        let started = tokio::spawn({
            let (first, linear) = (first.clone(), linear.clone());
            async move { first.symbols(&linear).await.unwrap() }
        });
        // The second starts once the first holds its lease and is fetching.
        while bybit.request_count() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let other = second.symbols(&linear).await.unwrap();
        let first_symbols = started.await.unwrap();
        let served = |prelaunch| if prelaunch { 215 } else { 214 };
        assert_eq!(first_symbols.value.len(), served(first_prelaunch));
        assert_eq!(other.value.len(), served(!first_prelaunch));
        for (data, name) in [(&first, "first"), (&second, "second")] {
            let stats = data.stats();
            assert_eq!(stats.upstream_fetches, 1, "{name}: {stats:?}");
            assert_eq!(
                (stats.fleet.won, stats.fleet.lost),
                (1, 0),
                "{name} (first with pre-launch: {first_prelaunch}): {:?}",
                stats.fleet
            );
        }
    }
}

/// The key a caller is given for a dataset is the one its entry is stored under, with and
/// without pre-launch contracts, from the policy as from the instance that follows it; the
/// namespace-wide [`cache_key`] is the key without them.
#[tokio::test]
async fn the_key_given_is_the_key_stored_under() {
    let (_bybit, client) = prelaunch_bybit().await;
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let linear = Market::new(Category::Linear).unwrap();
    for (prelaunch, listed) in [(true, 215), (false, 214)] {
        let policy = Policy::default().with_prelaunch(prelaunch);
        let data = MarketData::new(cache.clone(), client.clone(), policy.clone());
        data.funding_intervals(&linear).await.unwrap();
        for dataset in Dataset::ALL {
            let key = policy.cache_key(dataset, &linear);
            assert_eq!(data.key(dataset, &linear), key);
            assert!(cache.get(&key).await.unwrap().is_some(), "{key}");
        }
        let key = policy.cache_key(Dataset::Symbols, &linear);
        let stored = cache.get(&key).await.unwrap().unwrap();
        let symbols: Vec<String> = Codec::msgpack().decode(&stored).unwrap().value;
        assert_eq!(symbols.len(), listed, "{key}");
        let without = cache_key(DEFAULT_NAMESPACE, Dataset::Symbols, &linear);
        assert_eq!(key == without, !prelaunch, "{key}");
    }
}
