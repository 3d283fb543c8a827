//! What a read of the real 214-instrument linear list costs through a read-through that
//! holds it decoded (a stamp read by `GETRANGE` of the 28-byte header, then a clone of the
//! `Arc`), against a full typed get (`GET` of the zstd-3 MessagePack value and its decode),
//! one after the other in the same run, over a `redis-server` started for it.
//!
//! Also timed: the stamp read alone (the round trip a validated hit cannot avoid), and the
//! read-through without its local cache (every read a full get).

use std::sync::Arc;
use std::time::Duration;

use bybit_client::LinearInverseInstrument;
use cache_core::envelope::HEADER_LEN;
use cache_core::{Cache, Codec, Compression, Freshness, ReadThrough, Source, TypedCache};
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
    let list = Arc::new(benches::linear_instruments());
    runtime
        .block_on(held.put_shared(KEY, list.clone()))
        .expect("stored");
    // Every subject reads the same stored version.
    runtime.block_on(async {
        assert!(Arc::ptr_eq(&read(&held).await, &list), "a validated hit");
        assert_eq!(read(&plain).await.len(), 214);
    });

    let mut group = c.benchmark_group("local_hit/linear_214");
    group.bench_function("validated L1 hit (ReadThrough)", |b| {
        b.to_async(&runtime).iter(|| read(&held));
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
}

criterion_group!(benches, local_hit);
criterion_main!(benches);
