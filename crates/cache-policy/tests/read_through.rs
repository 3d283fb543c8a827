//! Read-through with freshness, stale copies and shared fetches.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cache_core::{Cache, Codec, Error, MockCache, TypedCache};
use cache_policy::{Freshness, ReadThrough, Refreshed, Source};

mod support;
use cache_core::testing::restamp;
use support::{HOUR, list, symbols};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_cold_callers_share_one_fetch() {
    let cache = Arc::new(symbols(Freshness::new(HOUR)));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..1000 {
        let (cache, fetches) = (cache.clone(), fetches.clone());
        callers.spawn(async move {
            cache
                .get("symbols:linear", move || async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(list(&["BTCUSDT", "ETHUSDT"]))
                })
                .await
                .unwrap()
        });
    }
    while let Some(lookup) = callers.join_next().await {
        assert_eq!(*lookup.unwrap().value, list(&["BTCUSDT", "ETHUSDT"]));
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let stats = cache.stats();
    assert_eq!(stats.fetches, 1);
    assert_eq!(stats.hits + stats.misses, 1000);
}

#[tokio::test]
async fn a_fresh_value_is_served_from_the_cache() {
    let cache = symbols(Freshness::new(HOUR));
    let first = cache.get("k", || async { Ok(list(&["A"])) }).await.unwrap();
    let second = cache.get("k", || async { Ok(list(&["B"])) }).await.unwrap();
    assert_eq!(
        (first.source, second.source),
        (Source::Upstream, Source::Cache)
    );
    assert_eq!(*second.value, list(&["A"]));
}

#[tokio::test]
async fn a_stale_copy_is_served_when_the_fetch_fails() {
    let policy = Freshness::new(Duration::from_millis(200)).with_max_stale(HOUR);
    let cache = symbols(policy);
    cache.put("k", &list(&["OLD"])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let lookup = cache
        .get("k", || async { Err("HTTP 503".to_owned()) })
        .await
        .unwrap();
    assert_eq!(lookup.source, Source::Stale);
    assert_eq!(*lookup.value, list(&["OLD"]));
    assert!(lookup.age >= Duration::from_millis(200));
    let stats = cache.stats();
    assert_eq!((stats.stale, stats.fetch_errors), (1, 1));

    let refreshed = cache
        .get("k", || async { Ok(list(&["NEW"])) })
        .await
        .unwrap();
    assert_eq!(
        (refreshed.source, &*refreshed.value),
        (Source::Upstream, &list(&["NEW"]))
    );
    let again = cache
        .get("k", || async { Err("unused".to_owned()) })
        .await
        .unwrap();
    assert_eq!(
        (again.source, &*again.value),
        (Source::Cache, &list(&["NEW"]))
    );
}

#[tokio::test]
async fn past_max_stale_a_failed_fetch_is_an_error() {
    let policy =
        Freshness::new(Duration::from_millis(100)).with_max_stale(Duration::from_millis(100));
    let cache = symbols(policy);
    cache.put("k", &list(&["OLD"])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let err = cache
        .get("k", || async { Err("HTTP 503".to_owned()) })
        .await
        .unwrap_err();
    assert_eq!(err.upstream().map(|e| e.as_str()), Some("HTTP 503"));
}

#[tokio::test]
async fn a_failed_fetch_with_nothing_cached_is_an_error_and_writes_nothing() {
    let cache = symbols(Freshness::new(HOUR).with_max_stale(HOUR));
    let err = cache
        .get("k", || async { Err("retCode 10006".to_owned()) })
        .await
        .unwrap_err();
    assert_eq!(err.upstream().map(|e| e.as_str()), Some("retCode 10006"));
    assert_eq!(cache.cache().cache().get("k").await.unwrap(), None);
}

#[tokio::test]
async fn a_corrupt_entry_is_refetched_and_overwritten() {
    let cache = symbols(Freshness::new(HOUR));
    cache
        .cache()
        .cache()
        .set("k", "foreign bytes".into(), HOUR)
        .await
        .unwrap();
    let lookup = cache.get("k", || async { Ok(list(&["A"])) }).await.unwrap();
    assert_eq!(lookup.source, Source::Upstream);
    assert_eq!(
        cache.stats().cache_errors,
        1,
        "the bad entry, read once: not again in the fetch"
    );
    let again = cache
        .get("k", || async { Err("unused".to_owned()) })
        .await
        .unwrap();
    assert_eq!(
        (again.source, &*again.value),
        (Source::Cache, &list(&["A"]))
    );
}

#[tokio::test]
async fn a_backend_that_is_down_never_fails_the_call() {
    let down = || Error::unavailable("connection refused", std::io::Error::other("refused"));
    let mut mock = MockCache::new();
    mock.expect_max_ttl().return_const(HOUR * 24);
    mock.expect_get().times(1).returning(move |_| Err(down()));
    mock.expect_set()
        .times(1)
        .returning(move |_, _, _| Err(down()));
    let cache: ReadThrough<Vec<String>, String, _> = ReadThrough::new(
        TypedCache::new(Arc::new(mock), Codec::msgpack()),
        Freshness::new(HOUR),
    );
    let lookup = cache.get("k", || async { Ok(list(&["A"])) }).await.unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Upstream, &list(&["A"]))
    );
    assert_eq!(
        cache.stats().cache_errors,
        2,
        "one failed read (not repeated within the miss) and one failed write"
    );
}

#[test]
fn jitter_stretches_each_key_the_same_way_everywhere() {
    let policy = Freshness::new(Duration::from_secs(100))
        .with_jitter(0.2)
        .unwrap();
    let stretched: Vec<Duration> = (0..50)
        .map(|i| policy.fresh_for(&format!("k{i}")))
        .collect();
    assert!(
        stretched
            .iter()
            .all(|d| *d >= Duration::from_secs(100) && *d < Duration::from_secs(120))
    );
    assert!(
        stretched.windows(2).any(|w| w[0] != w[1]),
        "keys get different stretches"
    );
    assert_eq!(policy.fresh_for("k7"), stretched[7]);
    assert_eq!(
        Freshness::new(HOUR).fresh_for("k"),
        HOUR,
        "no jitter, no stretch"
    );
    for bad in [-0.1, 1.5, f64::NAN] {
        assert!(Freshness::new(HOUR).with_jitter(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn get_refreshed_leaves_the_write_to_the_refresh() {
    let mut mock = MockCache::new();
    mock.expect_max_ttl().return_const(HOUR * 24);
    mock.expect_get().returning(|_| Ok(None));
    mock.expect_set().times(0);
    let cache: ReadThrough<Vec<String>, String, _> = ReadThrough::new(
        TypedCache::new(Arc::new(mock), Codec::msgpack()),
        Freshness::new(HOUR),
    );
    let lookup = cache
        .get_refreshed("k", || async { Ok(Arc::new(list(&["A"]))) })
        .await
        .unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Upstream, &list(&["A"]))
    );
    assert_eq!(cache.stats().fetches, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_finds_the_value_stored_serves_it_as_cached_to_every_caller() {
    let cache = Arc::new(symbols(Freshness::new(HOUR)));
    let found = Duration::from_secs(3);
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let cache = cache.clone();
        callers.spawn(async move {
            cache
                .get_refreshed("k", move || async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(Refreshed::found(Arc::new(list(&["B"])), found))
                })
                .await
                .unwrap()
        });
    }
    while let Some(lookup) = callers.join_next().await {
        let lookup = lookup.unwrap();
        assert_eq!(
            (lookup.source, lookup.age, &*lookup.value),
            (Source::Cache, found, &list(&["B"]))
        );
    }
    let stats = cache.stats();
    assert_eq!(
        (stats.misses, stats.fetches),
        (20, 0),
        "no upstream call: {stats:?}"
    );
}

#[tokio::test]
async fn entries_from_clocks_ahead_are_fresh_from_their_first_sight_however_far_ahead() {
    let cache = symbols(Freshness::new(Duration::from_secs(60)).with_max_stale(HOUR));
    let encoded = Codec::msgpack()
        .encode(&list(&["FROM-THE-FUTURE"]))
        .unwrap();
    let now = std::time::SystemTime::now();
    for (key, ahead) in [("far", HOUR), ("slightly", Duration::from_secs(2))] {
        let bytes = restamp(encoded.clone(), now + ahead);
        cache
            .cache()
            .cache()
            .set(key, bytes.into(), HOUR)
            .await
            .unwrap();
        let lookup = cache
            .get(key, || async { Ok(list(&["NOW"])) })
            .await
            .unwrap();
        assert_eq!(
            (lookup.source, &*lookup.value),
            (Source::Cache, &list(&["FROM-THE-FUTURE"])),
            "{key} ahead"
        );
    }
}

#[tokio::test]
async fn a_stale_time_beyond_the_backend_is_kept_as_long_as_the_backend_allows() {
    let centuries = Duration::from_secs(200 * 365 * 86400);
    let cache = symbols(Freshness::new(HOUR).with_max_stale(centuries));
    cache.put("k", &list(&["A"])).await.unwrap();
    let ttl = cache.cache().cache().ttl("k").await.unwrap().unwrap();
    assert!(
        ttl <= cache.cache().cache().max_ttl() && ttl > HOUR,
        "{ttl:?}"
    );
    assert_eq!(cache.stats().cache_errors, 0);
}
