//! What a read of a 214-instrument linear list (the recorded 2023 one, then the same list in
//! today's shape) costs through a read-through that
//! holds it decoded (a stamp read by `GETRANGE` of the 28-byte header, then a clone of the
//! `Arc`), against a full typed get (`GET` of the zstd-3 MessagePack value and its decode),
//! one after the other in the same run, over a `redis-server` started for it.
//!
//! Also timed: a notified hit (a read-through whose local cache follows Redis's
//! notifications, so that it serves the held value with no round trip, reading the stamp
//! again only every 500 ms), the stamp read alone (the round trip a validated hit cannot
//! avoid), and the read-through without its local cache (every read a full get).

use std::sync::Arc;
use std::time::Duration;

use benches::List;
use bybit_client::LinearInverseInstrument;
use cache_core::envelope::HEADER_LEN;
use cache_core::{Cache, Codec, Compression, TypedCache};
use cache_policy::{DEFAULT_LOCAL_CAPACITY, Freshness, LocalCache, ReadThrough, Source};
use cache_redis::RedisCache;
use criterion::{Criterion, criterion_group, criterion_main};
use redis_test_server::RedisServer;

type Instruments = Vec<LinearInverseInstrument>;
type Reader = ReadThrough<Instruments, String, RedisCache>;
const KEY: &str = "bench:instruments:linear";

async fn read(reader: &Reader) -> Arc<Instruments> {
    let unused = || async { Err("the upstream is not called".to_owned()) };
    let found = reader.get(KEY, unused).await.expect("cached");
    assert_eq!(found.source, Source::Cache);
    found.value
}

fn local_hit(c: &mut Criterion) {
    for list in List::ALL {
        local_hit_of(c, list);
    }
}

/// Each list over a `redis-server` of its own, so that both are read under the same key.
fn local_hit_of(c: &mut Criterion, list_kind: List) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = RedisServer::start().expect("redis-server starts");
    let redis = runtime
        .block_on(RedisCache::from_url(&server.url()))
        .expect("connects");
    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .expect("valid level");
    let typed = TypedCache::new(redis.clone(), codec);
    let policy = Freshness::new(Duration::from_secs(24 * 3600));
    let held = ReadThrough::new(typed.clone(), policy);
    let plain = ReadThrough::new(typed.clone(), policy).without_local();
    let notified = runtime.block_on(async {
        let local = LocalCache::new(DEFAULT_LOCAL_CAPACITY);
        assert!(local.follow(&redis), "Redis has notifications");
        for _ in 0..1000 {
            if local.is_notified() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(local.is_notified(), "the subscription is up");
        ReadThrough::new(typed.clone(), policy).with_local(local)
    });
    let list = Arc::new(list_kind.instruments());
    runtime
        .block_on(held.put_shared(KEY, list.clone()))
        .expect("stored");
    // Every subject reads the same stored version.
    runtime.block_on(async {
        assert!(Arc::ptr_eq(&read(&held).await, &list), "a validated hit");
        assert_eq!(read(&plain).await.len(), 214);
        // Read in full, then validated: served on notices from here on.
        read(&notified).await;
        let held = read(&notified).await;
        assert!(Arc::ptr_eq(&read(&notified).await, &held));
        assert!(notified.stats().notified_hits > 0);
    });

    let mut group = c.benchmark_group(format!("local_hit/{}", list_kind.name()));
    group.bench_function("validated L1 hit (ReadThrough)", |b| {
        b.to_async(&runtime).iter(|| read(&held));
    });
    group.bench_function("notified L1 hit (ReadThrough, following notices)", |b| {
        b.to_async(&runtime).iter(|| read(&notified));
    });
    group.bench_function("full typed get (TypedCache::get)", |b| {
        b.to_async(&runtime).iter(|| async {
            let list: Instruments = typed.get(KEY).await.expect("reads").expect("cached");
            assert_eq!(list.len(), 214);
            list
        });
    });
    group.bench_function("ReadThrough without L1", |b| {
        b.to_async(&runtime).iter(|| read(&plain));
    });
    group.bench_function("stamp read alone (GETRANGE 0 27)", |b| {
        b.to_async(&runtime).iter(|| async {
            let head = redis.get_prefix(KEY, HEADER_LEN).await.expect("reads");
            assert_eq!(head.map(|h| h.len()), Some(HEADER_LEN));
        });
    });
    group.finish();
    let stats = held.stats();
    assert_eq!(stats.local_hits, stats.hits, "every read was a local hit");
    let stats = notified.stats();
    assert_eq!(
        stats.hits,
        stats.local_hits + 1,
        "every read but the first was local"
    );
    assert!(
        stats.notified_hits > 100 * stats.validations,
        "almost every read on notices alone: {stats:?}"
    );
}

criterion_group!(benches, local_hit);
criterion_main!(benches);
