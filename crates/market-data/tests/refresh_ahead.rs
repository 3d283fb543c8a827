//! Refresh ahead under steady reads: no read waits for Bybit once the list is cached, the
//! upstream is called about once per TTL, and nothing served is older than twice the TTL.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bybit_client::testing::{Fault, MockBybit};
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_core::MemoryCache;
use market_data::{Dataset, Market, MarketData, Policy, Source};

const TTL: Duration = Duration::from_secs(2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_reads_never_wait_for_bybit_and_refresh_about_once_per_ttl() {
    let bybit = MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_millis(300)).always())
        .start()
        .await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let policy = Policy::default().with_ttl(Dataset::Instruments, TTL);
    let data = MarketData::new(Arc::new(MemoryCache::new(64 << 20)), client, policy);
    let linear = Market::new(Category::Linear).unwrap();

    let first = data.instruments(&linear).await.unwrap();
    assert_eq!(first.source, Source::Upstream);
    let started = Instant::now();
    let mut served = Vec::new();
    while started.elapsed() < TTL * 3 {
        let lookup = data.instruments(&linear).await.unwrap();
        served.push((lookup.source, lookup.age));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    let waited: Vec<_> = served
        .iter()
        .filter(|(source, _)| *source != Source::Cache)
        .collect();
    assert!(
        waited.is_empty(),
        "reads not served from the cache: {waited:?}"
    );
    let oldest = served.iter().map(|(_, age)| *age).max().unwrap();
    assert!(oldest < TTL * 2, "served a list {oldest:?} old");
    let stats = data.stats();
    // One fetch per refresh-ahead period (80 % of the TTL, stretched by up to 10 % jitter,
    // plus the fetch itself), give or take one at either end.
    let periods = elapsed.as_secs_f64() / (TTL.as_secs_f64() * 0.8);
    let fetched = stats.upstream_fetches as f64 - 1.0;
    assert!(
        (periods * 0.6 - 1.0..=periods + 1.0).contains(&fetched),
        "{fetched} refreshes in {elapsed:?}: {stats:?}"
    );
    assert_eq!(stats.instruments.misses, 1, "only the first read missed");
    assert_eq!(
        stats.instruments.refreshes_ahead as f64, fetched,
        "each refresh was one ahead"
    );
}
