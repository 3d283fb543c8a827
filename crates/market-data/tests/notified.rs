//! Two MarketData instances over one Redis and over one Redis Cluster, each following the
//! cache's notifications: repeated reads are served without a round trip, and a refresh by
//! one is seen by the other once announced, with only the version it held served meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bybit_client::testing::MockBybit;
use bybit_client::{
    BybitClient, Category, ClientConfig, InstrumentList, InstrumentSource, InstrumentsQuery,
};
use cache_core::Cache;
use cache_redis::RedisCache;
use market_data::{Market, MarketData, Policy, Source};
use redis_test_server::{RedisCluster, RedisServer};

/// Answers the first `len` instruments of the real recorded list.
struct Versions {
    full: Vec<bybit_client::LinearInverseInstrument>,
    len: AtomicUsize,
}

impl Versions {
    async fn new() -> Arc<Self> {
        let bybit = MockBybit::start().await;
        let client = BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap();
        let list = client
            .instruments(&InstrumentsQuery::new(Category::Linear))
            .await
            .unwrap();
        let InstrumentList::Linear(full) = list else {
            panic!("a linear list");
        };
        let len = AtomicUsize::new(full.len());
        Arc::new(Self { full, len })
    }
}

#[async_trait::async_trait]
impl InstrumentSource for Versions {
    async fn instruments(
        &self,
        _: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        let len = self.len.load(Ordering::SeqCst);
        Ok(InstrumentList::Linear(self.full[..len].to_vec()))
    }
}

async fn redis(url: &str) -> Arc<dyn Cache> {
    let cache = RedisCache::builder()
        .url(url)
        .operation_timeout(Duration::from_secs(2))
        .build()
        .await
        .unwrap();
    Arc::new(cache)
}

/// Reads `b`'s instruments until it serves `len` of them; meanwhile only `held` are served.
async fn read_until(b: &MarketData, market: &Market, held: usize, len: usize) {
    for _ in 0..10_000 {
        let seen = b.instruments(market).await.unwrap();
        assert_eq!(seen.source, Source::Cache);
        if seen.value.len() == len {
            return;
        }
        assert_eq!(seen.value.len(), held, "only the held version meanwhile");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("{len} instruments never served");
}

async fn a_refresh_by_one_is_seen_by_the_other(url: &str) {
    let source = Versions::new().await;
    let a = MarketData::new(redis(url).await, source.clone(), Policy::default());
    let b = MarketData::new(redis(url).await, source.clone(), Policy::default());
    let market = Market::new(Category::Linear).unwrap();
    assert_eq!(
        a.instruments(&market).await.unwrap().source,
        Source::Upstream
    );

    // The subscription comes up on its own connection: until then b validates.
    read_until(&b, &market, 214, 214).await;
    for _ in 0..10_000 {
        b.instruments(&market).await.unwrap();
        if b.stats().instruments.notified_hits >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let stats = b.stats().instruments;
    assert!(stats.notified_hits >= 3, "{stats:?}");
    // Every local hit read the stamp, or was served on notices alone.
    assert!(
        stats.local_hits <= stats.validations + stats.notified_hits,
        "{stats:?}"
    );
    assert_eq!(b.stats().upstream_fetches, 0);

    source.len.store(100, Ordering::SeqCst);
    a.clear(&market).await.unwrap();
    let refreshed = a.instruments(&market).await.unwrap();
    assert_eq!(
        (refreshed.source, refreshed.value.len()),
        (Source::Upstream, 100)
    );
    read_until(&b, &market, 214, 100).await;
    assert_eq!(
        b.stats().upstream_fetches,
        0,
        "b fetched nothing: it read a's write"
    );
    assert!(b.stats().instruments.notices >= 1, "{:?}", b.stats());
}

#[tokio::test]
async fn over_one_redis_a_refresh_by_one_is_seen_by_the_other() {
    let server = RedisServer::start().unwrap();
    a_refresh_by_one_is_seen_by_the_other(&server.url()).await;
}

#[tokio::test]
async fn over_a_redis_cluster_a_refresh_by_one_is_seen_by_the_other() {
    let cluster = RedisCluster::start(3).unwrap();
    let url = format!("redis+cluster://{}", cluster.addrs().join(","));
    a_refresh_by_one_is_seen_by_the_other(&url).await;
}
