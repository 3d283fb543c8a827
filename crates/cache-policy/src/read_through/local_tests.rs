//! Unit tests that look inside a followed local cache: how many announced changes wait for
//! the task that drops outdated values, while that task cannot run.

use std::sync::Arc;
use std::time::Duration;

use cache_core::envelope::HEADER_LEN;
use cache_core::{Cache, Codec, MemoryCache, Signal, TypedCache};

use super::local::{LocalCache, QUEUED_CHANGES};
use crate::{Freshness, ReadThrough, Source};

const HOUR: Duration = Duration::from_secs(3600);

type Symbols = ReadThrough<Vec<String>, String, MemoryCache>;

fn reader(backend: &MemoryCache, local: LocalCache) -> Symbols {
    let typed = TypedCache::new(backend.clone(), Codec::msgpack());
    ReadThrough::new(typed, Freshness::new(HOUR)).with_local(local)
}

async fn read(cache: &Symbols, key: &str) -> Vec<String> {
    let unused = || async { Err("the upstream is not called".to_owned()) };
    let found = cache.get(key, unused).await.unwrap();
    assert_eq!(found.source, Source::Cache);
    found.value.to_vec()
}

/// Runs on this thread alone, so that the task draining the announced changes runs only
/// when the test awaits something that yields: between those points, every announcement
/// stays queued.
#[tokio::test(flavor = "current_thread")]
async fn announced_changes_queue_within_a_bound_and_a_dropped_one_serves_nothing_stale() {
    let backend = MemoryCache::new(1 << 20);
    let local = LocalCache::new(1 << 20);
    assert!(local.follow(&backend));
    let cache = reader(&backend, local.clone());
    cache
        .put_shared("held", Arc::new(vec!["BTCUSDT".to_owned()]))
        .await
        .unwrap();
    assert_eq!(read(&cache, "held").await, ["BTCUSDT"]);
    assert_eq!(read(&cache, "held").await, ["BTCUSDT"]);
    assert_eq!(cache.stats().notified_hits, 1, "trusted on notices");
    assert_eq!(local.queued_changes(), 0);

    // Announcements of keys this process does not hold, as a busy prefix brings them.
    for i in 0..QUEUED_CHANGES * 4 {
        local.announce(&Signal::Removed {
            key: &format!("foreign{i}"),
        });
    }
    assert_eq!(local.queued_changes(), 0, "keys not held are not queued");

    // Announcements of the held version itself: the drain would keep the value.
    let stored = backend.get("held").await.unwrap().unwrap();
    let head = &stored[..HEADER_LEN.min(stored.len())];
    for _ in 0..QUEUED_CHANGES * 2 {
        local.announce(&Signal::Written { key: "held", head });
    }
    assert_eq!(local.queued_changes(), QUEUED_CHANGES, "full, not beyond");

    // A change whose announcement finds the queue full, and is dropped.
    let newer = Codec::msgpack().encode(&["ETHUSDT"]).unwrap();
    backend.set("held", newer.into(), HOUR).await.unwrap();
    assert_eq!(
        local.queued_changes(),
        QUEUED_CHANGES,
        "the drain has not run: the last announcement found the queue full"
    );
    assert_eq!(read(&cache, "held").await, ["ETHUSDT"], "not served stale");
}
