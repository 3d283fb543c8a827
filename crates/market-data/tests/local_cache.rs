//! Decoded values kept in each MarketData's process: two instances over one cache (memory,
//! and a real Redis) see each other's writes (on their next read over memory, once the
//! announcement arrives over Redis), serve repeated reads without decoding, and never serve
//! a held value unchecked while the cache cannot be read.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bybit_client::testing::MockBybit;
use bybit_client::{
    BybitClient, Category, ClientConfig, InstrumentList, InstrumentSource, InstrumentsQuery,
};
use cache_core::{Cache, MemoryCache};
use cache_redis::RedisCache;
use market_data::{Market, MarketData, Policy, Source};
use redis_test_server::RedisServer;

/// Answers the first `len` instruments of the real recorded list, or an HTTP 503 at 0.
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

    fn answer(&self, len: usize) {
        self.len.store(len, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl InstrumentSource for Versions {
    async fn instruments(
        &self,
        _: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        match self.len.load(Ordering::SeqCst) {
            0 => Err(bybit_client::Error::Http {
                status: 503,
                body: "down for the test".into(),
            }),
            len => Ok(InstrumentList::Linear(self.full[..len].to_vec())),
        }
    }
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
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

/// `a` refreshes; `b` reads what `a` wrote, then holds it; `a` refreshes another version,
/// which `b`'s next read shows.
async fn each_sees_the_others_writes(a: &MarketData, b: &MarketData, source: &Versions) {
    let market = linear();
    let fetched = a.instruments(&market).await.unwrap();
    assert_eq!(
        (fetched.source, fetched.value.len()),
        (Source::Upstream, 214)
    );
    let first = b.instruments(&market).await.unwrap();
    assert_eq!((first.source, first.value.len()), (Source::Cache, 214));
    let second = b.instruments(&market).await.unwrap();
    let third = b.instruments(&market).await.unwrap();
    assert_eq!(second.source, Source::Cache);
    // A decode makes a new value: the same allocation three times is none.
    assert!(Arc::ptr_eq(&first.value, &second.value) && Arc::ptr_eq(&second.value, &third.value));
    let stats = b.stats().instruments;
    assert_eq!((stats.hits, stats.local_hits), (3, 2));
    // Each local hit read the stamp, or was served on notices once it had.
    assert_eq!(stats.local_hits, stats.validations + stats.notified_hits);
    assert!(stats.validations >= 1, "{stats:?}");

    source.answer(100);
    assert_eq!(a.clear(&market).await.unwrap(), 3);
    let refreshed = a.instruments(&market).await.unwrap();
    assert_eq!(
        (refreshed.source, refreshed.value.len()),
        (Source::Upstream, 100)
    );
    // Over Redis the announcement takes a moment to arrive; until then b serves what it
    // holds, and nothing else.
    let mut held_meanwhile = 0;
    let seen = loop {
        let seen = b.instruments(&market).await.unwrap();
        if seen.value.len() == 100 {
            break seen;
        }
        assert_eq!((seen.source, seen.value.len()), (Source::Cache, 214));
        held_meanwhile += 1;
        assert!(held_meanwhile < 10_000, "b never sees a's write");
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert_eq!(seen.source, Source::Cache, "b sees a's write");
    assert_eq!(b.symbols(&market).await.unwrap().value.len(), 100);
    let stats = b.stats();
    assert_eq!(
        (
            stats.instruments.local_hits - held_meanwhile,
            stats.upstream_fetches
        ),
        (2, 0)
    );

    // a holds what it stored: its own next reads decode nothing.
    let held = a.symbols(&market).await.unwrap();
    assert_eq!((held.source, held.value.len()), (Source::Cache, 100));
    assert_eq!(a.stats().symbols.local_hits, 1);
}

#[tokio::test]
async fn two_instances_over_one_memory_cache_see_each_others_writes() {
    let source = Versions::new().await;
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
    let a = MarketData::new(cache.clone(), source.clone(), Policy::default());
    let b = MarketData::new(cache, source.clone(), Policy::default());
    each_sees_the_others_writes(&a, &b, &source).await;
}

#[tokio::test]
async fn two_instances_over_one_redis_see_each_others_writes() {
    let server = RedisServer::start().unwrap();
    let source = Versions::new().await;
    let a = MarketData::new(
        redis(&server.url()).await,
        source.clone(),
        Policy::default(),
    );
    let b = MarketData::new(
        redis(&server.url()).await,
        source.clone(),
        Policy::default(),
    );
    each_sees_the_others_writes(&a, &b, &source).await;
}

#[tokio::test]
async fn with_redis_down_a_held_value_is_never_served() {
    let mut server = RedisServer::start().unwrap();
    let source = Versions::new().await;
    let data = MarketData::new(
        redis(&server.url()).await,
        source.clone(),
        Policy::default(),
    );
    let market = linear();
    data.instruments(&market).await.unwrap();
    let held = data.instruments(&market).await.unwrap();
    assert_eq!(
        (held.source, data.stats().instruments.local_hits),
        (Source::Cache, 1)
    );

    server.stop();
    // A value checked less than `recheck_after` ago may be served on notices alone, the
    // subscription not yet found lost; past that, never unchecked.
    tokio::time::sleep(cache_policy::DEFAULT_RECHECK_AFTER).await;
    source.answer(100);
    let while_down = data.instruments(&market).await.unwrap();
    assert_eq!(
        (while_down.source, while_down.value.len()),
        (Source::Upstream, 100)
    );
    source.answer(0);
    let error = data.instruments(&market).await.unwrap_err();
    assert!(error.to_string().contains("503"), "{error}");
    let stats = data.stats().instruments;
    assert_eq!(stats.local_hits, 1, "no local hit while Redis is down");
    // The hit, and the failed check while down; the failed store then dropped the value.
    assert_eq!(stats.validations, 2, "{stats:?}");
    assert!(stats.cache_errors >= 2, "{stats:?}");
}

#[tokio::test]
async fn a_policy_without_a_local_cache_decodes_every_read() {
    let source = Versions::new().await;
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
    let data = MarketData::new(cache, source, Policy::default().with_local_capacity(0));
    let market = linear();
    data.instruments(&market).await.unwrap();
    let first = data.instruments(&market).await.unwrap();
    let second = data.instruments(&market).await.unwrap();
    assert!(
        !Arc::ptr_eq(&first.value, &second.value),
        "each read decoded"
    );
    let stats = data.stats().instruments;
    assert_eq!((stats.hits, stats.local_hits, stats.validations), (2, 0, 0));
}

/// A held list counts at what it takes decoded (each instrument's structure and what it
/// owns), several times its stored bytes: a bound below that keeps none of it.
#[tokio::test]
async fn held_values_count_at_their_decoded_size_against_the_bound() {
    let source = Versions::new().await;
    let market = linear();
    let decoded = 214 * size_of::<bybit_client::LinearInverseInstrument>() as u64;
    let stored = {
        let cache = MemoryCache::new(64 << 20);
        let data = MarketData::new(Arc::new(cache.clone()), source.clone(), Policy::default());
        data.instruments(&market).await.unwrap();
        let key = data.key(market_data::Dataset::Instruments, &market);
        let bytes = cache.get(&key).await.unwrap().unwrap().len() as u64;
        let held = data.held_bytes().await;
        // The list, its symbols and their keys; the symbols take a few KiB.
        assert!(
            (decoded..decoded + (32 << 10)).contains(&held),
            "{held} bytes held for a list of {decoded} bytes of instruments"
        );
        bytes
    };
    assert!(stored * 4 < decoded, "{stored} bytes stored");

    // Room for the stored bytes many times over, not for the decoded list.
    let bound = decoded / 2;
    let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
    let policy = Policy::default().with_local_capacity(bound);
    let data = MarketData::new(cache, source.clone(), policy);
    for _ in 0..3 {
        assert_eq!(data.instruments(&market).await.unwrap().value.len(), 214);
    }
    // The symbols stored beside the list (a few KiB) are held; the list is not.
    let held = data.held_bytes().await;
    assert!(held < 16 << 10, "{held} bytes held, bound {bound}");
}
