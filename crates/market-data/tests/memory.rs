//! MarketData over the memory backend and the local mock Bybit: shared fetches, one fetch
//! for every dataset, stale copies, partial results and bad entries.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bybit_client::testing::fixtures::LINEAR_214;
use bybit_client::testing::{Fault, MockBybit};
use bybit_client::{
    BybitClient, Category, ClientConfig, InstrumentList, InstrumentSource, InstrumentsQuery,
    RetryPolicy,
};
use cache_core::{Cache, MemoryCache};
use market_data::{Dataset, Error, Market, MarketData, Policy, Source};

fn client(bybit: &MockBybit) -> Arc<BybitClient> {
    let config = ClientConfig::new(bybit.base_url())
        .with_retry(RetryPolicy::none())
        .with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
    Arc::new(BybitClient::new(config).unwrap())
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_cold_calls_make_one_pagination_run() {
    let bybit = MockBybit::start().await;
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        client(&bybit),
        Policy::default(),
    );
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let data = data.clone();
        calls.spawn(async move {
            match i % 3 {
                0 => data.symbols(&linear()).await.map(|l| l.value.len()),
                1 => data.instruments(&linear()).await.map(|l| l.value.len()),
                _ => data
                    .funding_intervals(&linear())
                    .await
                    .map(|l| l.value.len()),
            }
        });
    }
    while let Some(call) = calls.join_next().await {
        let len = call.unwrap().unwrap();
        assert_eq!(len, 214, "every instrument, symbol and funding interval");
    }
    assert_eq!(data.stats().upstream_fetches, 1);
    let requests = bybit.requests();
    let first_pages = requests.iter().filter(|r| r.cursor.is_none()).count();
    assert_eq!(first_pages, 1, "one pagination run: {requests:?}");
    let pages_with_items = 214usize.div_ceil(bybit_client::testing::DEFAULT_PAGE_SIZE);
    assert_eq!(
        requests.len(),
        pages_with_items + 1,
        "and the empty page that ends it"
    );
}

#[tokio::test]
async fn one_fetch_refreshes_every_dataset_of_the_market() {
    let bybit = MockBybit::start().await;
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        client(&bybit),
        Policy::default(),
    );
    let instruments = data.instruments(&linear()).await.unwrap();
    assert_eq!(instruments.source, Source::Upstream);
    let symbols = data.symbols(&linear()).await.unwrap();
    let funding = data.funding_intervals(&linear()).await.unwrap();
    assert_eq!(
        (symbols.source, funding.source),
        (Source::Cache, Source::Cache)
    );
    let recorded = bybit_client::testing::fixtures::values(LINEAR_214);
    let recorded: Vec<&str> = recorded
        .iter()
        .map(|i| i["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(*symbols.value, recorded, "every symbol, in Bybit's order");
    assert!(
        funding
            .value
            .values()
            .all(|minutes| [60, 120, 240, 480].contains(minutes))
    );
    assert_eq!(data.stats().upstream_fetches, 1);
}

/// The real client until `fail` is set, then a 503 for every call.
struct Flaky {
    client: Arc<BybitClient>,
    fail: AtomicBool,
}

#[async_trait::async_trait]
impl InstrumentSource for Flaky {
    async fn instruments(
        &self,
        query: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(bybit_client::Error::Http {
                status: 503,
                body: "unavailable".into(),
            });
        }
        self.client.instruments(query).await
    }
}

#[tokio::test]
async fn a_stale_copy_is_served_when_the_upstream_fails_and_refreshed_when_it_is_back() {
    let bybit = MockBybit::start().await;
    let source = Arc::new(Flaky {
        client: client(&bybit),
        fail: AtomicBool::new(false),
    });
    // Served stale only after the failed fetch, not at once while it runs.
    let policy = Policy::default()
        .with_ttl(Dataset::Symbols, Duration::from_millis(200))
        .with_stale_while_revalidate(Duration::ZERO);
    let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), source.clone(), policy);

    let first = data.symbols(&linear()).await.unwrap();
    assert_eq!(first.source, Source::Upstream);
    tokio::time::sleep(Duration::from_millis(400)).await;
    source.fail.store(true, Ordering::SeqCst);
    let stale = data.symbols(&linear()).await.unwrap();
    assert_eq!(stale.source, Source::Stale);
    assert_eq!(stale.value, first.value);
    assert!(stale.age >= Duration::from_millis(200));
    assert_eq!(
        (
            data.stats().symbols.stale,
            data.stats().symbols.fetch_errors
        ),
        (1, 1)
    );

    source.fail.store(false, Ordering::SeqCst);
    // Bybit is not asked again before the fleet's first pause (1 to 1.5 s) is over.
    let waiting = data.symbols(&linear()).await.unwrap();
    assert_eq!(waiting.source, Source::Stale);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fresh = data.symbols(&linear()).await.unwrap();
    assert_eq!(fresh.source, Source::Upstream);
}

#[tokio::test]
async fn past_max_stale_an_upstream_failure_is_an_error() {
    let bybit = MockBybit::start().await;
    let source = Arc::new(Flaky {
        client: client(&bybit),
        fail: AtomicBool::new(false),
    });
    let policy = Policy::default()
        .with_ttl(Dataset::Symbols, Duration::from_millis(100))
        .with_max_stale(Duration::from_millis(100));
    let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), source.clone(), policy);
    data.symbols(&linear()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    source.fail.store(true, Ordering::SeqCst);
    let err = data.symbols(&linear()).await.unwrap_err();
    assert!(matches!(err, Error::Upstream(_)), "{err:?}");
}

#[tokio::test]
async fn a_failed_page_writes_nothing() {
    let bybit = MockBybit::builder()
        .fault(Fault::server_error(1).always())
        .start()
        .await;
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let data = MarketData::new(cache.clone(), client(&bybit), Policy::default());
    let err = data.instruments(&linear()).await.unwrap_err();
    assert!(matches!(err, Error::Upstream(_)), "{err:?}");
    assert!(
        bybit.request_count() >= 2,
        "the first page was fetched before the failure"
    );
    for dataset in Dataset::ALL {
        assert_eq!(
            cache.get(&data.key(dataset, &linear())).await.unwrap(),
            None,
            "{dataset}"
        );
    }
}

#[tokio::test]
async fn a_corrupt_or_foreign_entry_under_our_key_is_refetched_and_overwritten() {
    let bybit = MockBybit::start().await;
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let data = MarketData::new(cache.clone(), client(&bybit), Policy::default());
    let key = data.key(Dataset::Symbols, &linear());
    cache
        .set(&key, "[\"BTCUSDT\"]".into(), Duration::from_secs(60))
        .await
        .unwrap();

    let symbols = data.symbols(&linear()).await.unwrap();
    assert_eq!(
        (symbols.source, symbols.value.len()),
        (Source::Upstream, 214)
    );
    let again = data.symbols(&linear()).await.unwrap();
    assert_eq!(again.source, Source::Cache, "the bad entry was overwritten");
}

#[tokio::test]
async fn keys_name_namespace_dataset_schema_and_market() {
    let data = MarketData::new(
        Arc::new(MemoryCache::new(1 << 20)),
        Arc::new(Flaky {
            client: client(&MockBybit::start().await),
            fail: AtomicBool::new(true),
        }),
        Policy::default().with_namespace("bot-7"),
    );
    assert_eq!(
        data.key(Dataset::Instruments, &linear()),
        "bot-7:instruments:v2:linear"
    );
    assert_eq!(
        data.key(Dataset::FundingIntervals, &Market::option("ETH").unwrap()),
        "bot-7:funding_intervals:v2:option-ETH"
    );
}

/// Two instances sharing one cache take turns at the fetch: the one that waited is served
/// the other's list as cached (with its age), not as if it had fetched it, and holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_waited_for_another_s_fetch_is_served_it_as_cached() {
    let bybit = MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_millis(300)).always())
        .start()
        .await;
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
    let a = MarketData::new(cache.clone(), client(&bybit), Policy::default());
    let b = MarketData::new(cache, client(&bybit), Policy::default());
    let first = tokio::spawn({
        let a = a.clone();
        async move { a.instruments(&linear()).await.unwrap() }
    });
    // b starts once a holds the lease and is fetching.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let market = linear();
    let (waited, symbols) = tokio::join!(b.instruments(&market), b.symbols(&market));
    let (fetched, waited, symbols) = (first.await.unwrap(), waited.unwrap(), symbols.unwrap());
    assert_eq!(
        (a.stats().upstream_fetches, b.stats().upstream_fetches),
        (1, 0)
    );
    assert_eq!(
        (fetched.source, fetched.age),
        (Source::Upstream, Duration::ZERO)
    );
    assert_eq!(b.stats().fleet.waited, 1, "{:?}", b.stats().fleet);
    for (name, source, age) in [
        ("instruments", waited.source, waited.age),
        ("symbols", symbols.source, symbols.age),
    ] {
        assert_eq!(source, Source::Cache, "{name}");
        assert!(age < Duration::from_secs(5), "{name}: {age:?}");
    }
    assert_eq!(waited.value.len(), 214);
    // Held with the stamp of the bytes it came from: the next read decodes nothing.
    let next = b.instruments(&market).await.unwrap();
    assert!(
        Arc::ptr_eq(&waited.value, &next.value),
        "the same decoded list"
    );
    assert_eq!(b.stats().instruments.local_hits, 1, "{:?}", b.stats());
}
