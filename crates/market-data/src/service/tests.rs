//! The announced moments a refresh learns, over a store that takes its time.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, Category, ClientConfig};
use bytes::Bytes;
use cache_core::{Cache, Entry, Lease, MemoryCache, Notifications};

use crate::expiry::SCANS;
use crate::{Market, MarketData, Policy, Source};

/// Each write takes this long: far beyond what tells two versions of a list apart.
const SLOW_WRITE: Duration = Duration::from_millis(150);

/// A memory cache whose writes each take [`SLOW_WRITE`].
#[derive(Clone)]
struct SlowWrites(MemoryCache);

#[async_trait]
impl Cache for SlowWrites {
    async fn get(&self, key: &str) -> cache_core::Result<Option<Bytes>> {
        self.0.get(key).await
    }
    async fn get_prefix(&self, key: &str, len: usize) -> cache_core::Result<Option<Bytes>> {
        self.0.get_prefix(key, len).await
    }
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> cache_core::Result<()> {
        tokio::time::sleep(SLOW_WRITE).await;
        self.0.set(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> cache_core::Result<bool> {
        self.0.delete(key).await
    }
    async fn ttl(&self, key: &str) -> cache_core::Result<Option<Duration>> {
        self.0.ttl(key).await
    }
    async fn get_many(&self, keys: &[String]) -> cache_core::Result<Vec<Option<Bytes>>> {
        self.0.get_many(keys).await
    }
    async fn set_many(&self, entries: Vec<Entry>) -> cache_core::Result<()> {
        tokio::time::sleep(SLOW_WRITE).await;
        self.0.set_many(entries).await
    }
    fn max_ttl(&self) -> Duration {
        self.0.max_ttl()
    }
    fn lease(&self) -> Option<&dyn Lease> {
        self.0.lease()
    }
    fn notifications(&self) -> Option<&dyn Notifications> {
        self.0.notifications()
    }
}

/// Every read decodes the list anew (nothing is held in memory), and each is recognised as
/// the version the refresh stored, by the write time stored with it: the list is scanned
/// for its announced moments once, by the refresh, however long the store took.
#[tokio::test(flavor = "current_thread")]
async fn reads_of_a_slowly_stored_list_do_not_scan_it_again() {
    let bybit = MockBybit::start().await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let cache = Arc::new(SlowWrites(MemoryCache::new(64 << 20)));
    let data = MarketData::new(cache, client, Policy::default().with_local_capacity(0));
    let linear = Market::new(Category::Linear).unwrap();

    let before = SCANS.with(std::cell::Cell::get);
    let fetched = data.instruments(&linear).await.unwrap();
    assert_eq!(fetched.source, Source::Upstream);
    for _ in 0..3 {
        let read = data.instruments(&linear).await.unwrap();
        assert_eq!(read.source, Source::Cache);
        assert!(!Arc::ptr_eq(&read.value, &fetched.value), "decoded anew");
    }
    assert_eq!(data.stats().upstream_fetches, 1);
    assert_eq!(
        SCANS.with(std::cell::Cell::get) - before,
        1,
        "one scan, by the refresh"
    );
}

/// A fetch that fails is counted among the fetches, and as a failure.
#[tokio::test(flavor = "current_thread")]
async fn a_failed_fetch_counts_as_an_upstream_failure() {
    let bybit = MockBybit::builder()
        .fault(bybit_client::testing::Fault::forbidden(0))
        .start()
        .await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        client,
        Policy::default(),
    );
    let linear = Market::new(Category::Linear).unwrap();
    assert!(data.instruments(&linear).await.is_err());
    let stats = data.stats();
    assert_eq!((stats.upstream_fetches, stats.upstream_failures), (1, 1));
    data.clear(&linear).await.unwrap();
    data.instruments(&linear).await.unwrap();
    let stats = data.stats();
    assert_eq!((stats.upstream_fetches, stats.upstream_failures), (2, 1));
}
