//! A version written by a host whose clock runs ahead is aged from when this process first
//! saw it: fresh for its fresh time, then refreshed once, never stale at age zero.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use cache_core::testing::restamp;
use cache_core::{Cache, Codec, MemoryCache};
use cache_policy::{Freshness, Source};

mod support;
use support::{HOUR, list, over};

const FRESH: Duration = Duration::from_millis(300);

#[tokio::test]
async fn a_version_written_by_a_clock_ahead_is_fresh_from_when_it_is_first_seen() {
    let backend = MemoryCache::new(1 << 20);
    let ahead = SystemTime::now() + Duration::from_secs(60);
    let bytes = restamp(Codec::msgpack().encode(&list(&["AHEAD"])).unwrap(), ahead);
    backend.set("k", bytes.into(), HOUR).await.unwrap();
    let reader = over(backend, Freshness::new(FRESH));
    let calls = Arc::new(AtomicUsize::new(0));
    let fetch = || {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(list(&["FETCHED"]))
        }
    };

    for _ in 0..3 {
        let lookup = reader.get("k", fetch).await.unwrap();
        assert_eq!(
            (lookup.source, &*lookup.value),
            (Source::Cache, &list(&["AHEAD"])),
            "a version from a clock ahead is fresh when first seen"
        );
        assert!(
            lookup.age < FRESH,
            "aged from its first sight: {:?}",
            lookup.age
        );
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "nothing fetched while fresh"
    );

    tokio::time::sleep(FRESH + Duration::from_millis(100)).await;
    let refreshed = reader.get("k", fetch).await.unwrap();
    assert_eq!(
        (refreshed.source, &*refreshed.value),
        (Source::Upstream, &list(&["FETCHED"])),
        "past its fresh time since first seen, it is refetched"
    );
    let settled = reader.get("k", fetch).await.unwrap();
    assert_eq!(
        settled.source,
        Source::Cache,
        "and the refetched value settles it"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_version_written_in_the_past_is_aged_by_this_clock() {
    let backend = MemoryCache::new(1 << 20);
    let written = SystemTime::now() - Duration::from_secs(10);
    let bytes = restamp(Codec::msgpack().encode(&list(&["OLD"])).unwrap(), written);
    backend.set("k", bytes.into(), HOUR).await.unwrap();
    let reader = over(backend, Freshness::new(Duration::from_secs(60)));
    let lookup = reader
        .get("k", || async { Err::<Vec<String>, _>("unused".to_owned()) })
        .await
        .unwrap();
    assert_eq!(lookup.source, Source::Cache);
    assert!(lookup.age >= Duration::from_secs(10), "{:?}", lookup.age);
}
