//! Refresh ahead and stale-while-revalidate: a read that finds its value old enough is
//! served at once, and one refresh runs in the background; and processes sharing a cache
//! take turns at fetching through a `Fleet`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cache_core::MemoryCache;
use cache_policy::{Fleet, Freshness, Source};
use tokio::sync::Notify;

mod support;
use support::{HOUR, Symbols, list, over, store_written_ago};

const MINUTE: Duration = Duration::from_secs(60);

/// Fresh for a minute, refreshed after 48 s, served stale at once up to a minute past that,
/// and kept an hour.
fn policy() -> Freshness {
    Freshness::new(MINUTE)
        .with_refresh_ahead(0.8)
        .unwrap()
        .with_stale_while_revalidate(MINUTE)
        .with_max_stale(HOUR)
}

async fn with_copy_written(ago: Duration) -> (MemoryCache, Symbols) {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], ago).await;
    (backend.clone(), over(backend, policy()))
}

/// A fetch that waits for `gate` (so a read that returns cannot have waited for it), and
/// counts its calls.
#[derive(Clone, Default)]
struct Gated {
    gate: Arc<Notify>,
    calls: Arc<AtomicUsize>,
}

impl Gated {
    fn fetch(&self) -> impl Future<Output = Result<Vec<String>, String>> + Send + 'static {
        let (gate, calls) = (self.gate.clone(), self.calls.clone());
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            gate.notified().await;
            Ok(list(&["NEW"]))
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Reads until the cache serves `["NEW"]`: the background refresh stored it.
async fn until_refreshed(cache: &Symbols) {
    let unused = || async { Err::<Vec<String>, _>("a read after the refresh fetches".to_owned()) };
    loop {
        let lookup = cache.get("k", unused).await.unwrap();
        if *lookup.value == list(&["NEW"]) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_past_the_refresh_point_is_served_at_once_and_refreshed_once() {
    let (_, cache) = with_copy_written(Duration::from_secs(50)).await;
    let upstream = Gated::default();
    for _ in 0..20 {
        let lookup = cache.get("k", || upstream.fetch()).await.unwrap();
        assert_eq!(
            (lookup.source, &*lookup.value),
            (Source::Cache, &list(&["OLD"]))
        );
    }
    while upstream.calls() == 0 {
        tokio::task::yield_now().await;
    }
    upstream.gate.notify_one();
    until_refreshed(&cache).await;
    assert_eq!(upstream.calls(), 1, "one refresh for twenty reads");
    let stats = cache.stats();
    assert_eq!(
        (stats.refreshes_ahead, stats.misses, stats.fetches),
        (1, 0, 1),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_before_the_refresh_point_is_not_refreshed() {
    let (_, cache) = with_copy_written(Duration::from_secs(40)).await;
    let upstream = Gated::default();
    let lookup = cache.get("k", || upstream.fetch()).await.unwrap();
    assert_eq!(lookup.source, Source::Cache);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(upstream.calls(), 0);
    assert_eq!(cache.stats().refreshes_ahead, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_copy_within_the_window_is_served_at_once_while_refreshed() {
    let (_, cache) = with_copy_written(MINUTE + Duration::from_secs(30)).await;
    let upstream = Gated::default();
    let lookup = cache.get("k", || upstream.fetch()).await.unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Revalidating, &list(&["OLD"]))
    );
    assert!(lookup.age >= MINUTE + Duration::from_secs(30));
    while upstream.calls() == 0 {
        tokio::task::yield_now().await;
    }
    upstream.gate.notify_one();
    until_refreshed(&cache).await;
    let stats = cache.stats();
    // The reads that wait for the refresh to land are served the stale copy too.
    assert!(stats.stale >= 1, "{stats:?}");
    assert_eq!(stats.served_while_refreshing, stats.stale, "{stats:?}");
    assert_eq!((stats.refreshes_ahead, stats.fetches), (1, 1), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_older_than_the_window_waits_for_the_refresh() {
    let (_, cache) = with_copy_written(MINUTE * 3).await;
    let fresh = || async { Ok::<_, String>(list(&["NEW"])) };
    let lookup = cache.get("k", fresh).await.unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Upstream, &list(&["NEW"]))
    );
    assert_eq!(cache.stats().served_while_refreshing, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_throughs_in_a_fleet_make_one_fetch_between_them() {
    let backend = MemoryCache::new(1 << 20);
    let fleet = Fleet::new()
        .with_poll(Duration::from_millis(2), Duration::from_millis(10))
        .unwrap();
    // Each as another process would be: its own read-through, flights and local cache.
    let replicas: Vec<Symbols> = (0..4)
        .map(|_| over(backend.clone(), policy()).with_fleet(fleet.clone()))
        .collect();
    let upstream = Gated::default();
    let reads: Vec<_> = replicas
        .iter()
        .map(|cache| cache.get("k", || upstream.fetch()))
        .collect();
    let release = async {
        while upstream.calls() == 0 {
            tokio::task::yield_now().await;
        }
        // Give the others time to find the lease taken before the holder stores.
        tokio::time::sleep(Duration::from_millis(30)).await;
        upstream.gate.notify_one();
    };
    let (served, ()) = tokio::join!(futures_util::future::join_all(reads), release);
    for lookup in served {
        assert_eq!(*lookup.unwrap().value, list(&["NEW"]));
    }
    assert_eq!(upstream.calls(), 1);
    let stats = fleet.stats();
    assert_eq!(
        (stats.won, stats.lost, stats.waited),
        (1, 3, 3),
        "{stats:?}"
    );
}

#[test]
fn refresh_ahead_must_be_a_fraction_above_zero() {
    for bad in [0.0, -0.1, 1.5, f64::NAN] {
        assert!(
            Freshness::new(MINUTE).with_refresh_ahead(bad).is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        Freshness::new(MINUTE).refresh_after("k"),
        MINUTE,
        "off by default"
    );
}
