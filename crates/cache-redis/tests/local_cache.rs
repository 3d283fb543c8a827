//! Read-throughs over one real Redis keep decoded values in process: the stamp read through
//! `GETRANGE` sends another instance's write to the next read, a value of one length written
//! in the same millisecond included; the local cache keeps its byte bound; a stopped server
//! never gets a held value served.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cache_core::envelope;
use cache_core::testing::restamp;
use cache_core::{Cache, Codec, TypedCache};
use cache_policy::{Freshness, LocalCache, ReadThrough, Source};
use cache_redis::RedisCache;
use common::Standalone;

const HOUR: Duration = Duration::from_secs(3600);

type Symbols = ReadThrough<Vec<String>, String, RedisCache>;

/// A read-through on a connection of its own to `fixture`'s server.
async fn symbols(fixture: &Standalone) -> Symbols {
    let cache = RedisCache::builder()
        .url(fixture.server.url())
        .key_prefix("local:")
        .operation_timeout(Duration::from_millis(500))
        .build()
        .await
        .unwrap();
    ReadThrough::new(
        TypedCache::new(cache, Codec::msgpack()),
        Freshness::new(HOUR),
    )
}

fn list(names: &[&str]) -> Arc<Vec<String>> {
    Arc::new(names.iter().map(|&n| n.to_owned()).collect())
}

async fn read(cache: &Symbols, key: &str) -> Vec<String> {
    let unused = || async { Err("the upstream is not called".to_owned()) };
    let found = cache.get(key, unused).await.unwrap();
    assert_eq!(found.source, Source::Cache);
    found.value.to_vec()
}

#[tokio::test]
async fn another_instances_writes_are_seen_by_the_next_read() {
    let fixture = Standalone::start("local:").await;
    let (a, b) = (symbols(&fixture).await, symbols(&fixture).await);
    a.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    assert_eq!(read(&b, "k").await, ["BTCUSDT"]);
    assert_eq!(read(&b, "k").await, ["BTCUSDT"]);
    assert_eq!(b.stats().local_hits, 1);

    a.put_shared("k", list(&["ETHUSDT"])).await.unwrap();
    assert_eq!(read(&b, "k").await, ["ETHUSDT"]);

    // Same length, same millisecond: only the checksum tells the versions apart.
    let held = fixture.cache.get("k").await.unwrap().unwrap();
    let written_at = envelope::stamp(&held).unwrap().written_at();
    let other = Codec::msgpack().encode(&["SOLUSDT"]).unwrap();
    let other = restamp(other, written_at);
    assert_eq!((other.len(), &other[..24]), (held.len(), &held[..24]));
    fixture.cache.set("k", other.into(), HOUR).await.unwrap();
    assert_eq!(read(&b, "k").await, ["SOLUSDT"]);
    assert_eq!(read(&a, "k").await, ["SOLUSDT"]);

    assert!(a.remove("k").await.unwrap());
    let refetched = b
        .get("k", || async { Ok(vec!["XRPUSDT".to_owned()]) })
        .await;
    assert_eq!(refetched.unwrap().source, Source::Upstream);
    let (a, b) = (a.stats(), b.stats());
    assert_eq!((a.local_hits, b.local_hits), (0, 1), "{a:?} {b:?}");
}

#[tokio::test]
async fn the_local_cache_keeps_its_bound_under_many_keys() {
    const BOUND: u64 = 32 << 10;
    let fixture = Standalone::start("local:").await;
    let local = LocalCache::new(BOUND);
    let cache = symbols(&fixture).await.with_local(local.clone());
    let value = Arc::new(vec!["x".repeat(500)]);
    for i in 0..200 {
        cache
            .put_shared(&format!("k{i}"), value.clone())
            .await
            .unwrap();
    }
    let size = local.weighted_size().await;
    assert!(
        size <= BOUND && size > BOUND / 2,
        "{size} bytes held, bound {BOUND}"
    );
    assert!(cache.stats().local_evictions > 0);
}

#[tokio::test]
async fn a_stopped_server_never_gets_a_held_value_served() {
    let mut fixture = Standalone::start("local:").await;
    let cache = symbols(&fixture).await;
    cache.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    assert_eq!(read(&cache, "k").await, ["BTCUSDT"]);
    fixture.server.stop();
    let fetched = cache
        .get("k", || async { Ok(vec!["ETHUSDT".to_owned()]) })
        .await;
    let fetched = fetched.unwrap();
    assert_eq!(
        (fetched.source, fetched.value.as_slice()),
        (Source::Upstream, &["ETHUSDT".to_owned()][..])
    );
    let failed = cache
        .get("k", || async { Err("HTTP 503".to_owned()) })
        .await;
    assert_eq!(failed.unwrap_err().to_string(), "HTTP 503");
    assert_eq!(cache.stats().local_hits, 1, "{:?}", cache.stats());
}
