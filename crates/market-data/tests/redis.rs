//! MarketData on real Redis servers (started for the test) and the local mock Bybit.

use std::sync::Arc;
use std::time::Duration;

use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_core::Cache;
use cache_redis::RedisCache;
use market_data::{Market, MarketData, Policy, Source};
use redis_test_server::{RedisCluster, RedisServer};

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

fn client(bybit: &MockBybit) -> Arc<BybitClient> {
    Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap())
}

async fn redis(url: &str) -> Arc<dyn Cache> {
    let cache = RedisCache::builder()
        .url(url)
        .operation_timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap();
    Arc::new(cache)
}

#[tokio::test]
async fn a_second_process_reads_what_the_first_fetched() {
    let server = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let first = MarketData::new(
        redis(&server.url()).await,
        client(&bybit),
        Policy::default(),
    );
    assert_eq!(
        first.instruments(&linear()).await.unwrap().source,
        Source::Upstream
    );
    let requests = bybit.request_count();

    let second = MarketData::new(
        redis(&server.url()).await,
        client(&bybit),
        Policy::default(),
    );
    for lookup in [
        second.symbols(&linear()).await.unwrap().source,
        second.funding_intervals(&linear()).await.unwrap().source,
        second.instruments(&linear()).await.unwrap().source,
    ] {
        assert_eq!(lookup, Source::Cache);
    }
    assert_eq!(bybit.request_count(), requests, "nothing fetched twice");
    assert_eq!(second.stats().upstream_fetches, 0);
}

#[tokio::test]
async fn redis_going_down_never_breaks_a_call_and_caching_resumes_when_it_is_back() {
    let mut server = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let data = MarketData::new(
        redis(&server.url()).await,
        client(&bybit),
        Policy::default(),
    );
    assert_eq!(
        data.symbols(&linear()).await.unwrap().source,
        Source::Upstream
    );

    server.stop();
    let while_down = data.symbols(&linear()).await.unwrap();
    assert_eq!(
        (while_down.source, while_down.value.len()),
        (Source::Upstream, 214)
    );
    assert!(data.stats().total().cache_errors > 0);

    server.restart().unwrap();
    let mut source = Source::Upstream;
    for _ in 0..50 {
        // The first calls after a restart may still meet the old connection.
        data.symbols(&linear()).await.unwrap();
        source = data.symbols(&linear()).await.unwrap().source;
        if source == Source::Cache {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(source, Source::Cache, "cached again once Redis is back");
}

#[tokio::test]
async fn datasets_live_on_a_cluster() {
    let cluster = RedisCluster::start(3).unwrap();
    let url = format!("redis+cluster://{}", cluster.addrs().join(","));
    let bybit = MockBybit::start().await;
    let data = MarketData::new(redis(&url).await, client(&bybit), Policy::default());
    let fetched = data.funding_intervals(&linear()).await.unwrap();
    assert_eq!(fetched.source, Source::Upstream);
    let cached = data.symbols(&linear()).await.unwrap();
    assert_eq!((cached.source, cached.value.len()), (Source::Cache, 214));
}
