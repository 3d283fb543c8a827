//! Read-through fetches that are slow, never finish or panic. Time is paused: the runtime
//! jumps to the next timer whenever every task waits, so these take no real time.

use std::sync::Arc;
use std::time::Duration;

use cache_core::MemoryCache;
use cache_policy::{FetchError, FetchTimeouts, Fleet, Freshness, Source};
use tokio::sync::Notify;
use tokio::time::Instant;

mod support;
use support::{HOUR, NotifyOnDrop, Symbols, list, over, store_written_ago};

/// A read-through whose backend holds a two-hour-old copy of `["OLD"]` under "k", stale but
/// within its `max_stale`.
async fn with_stale_copy() -> Symbols {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], HOUR * 2).await;
    over(backend, Freshness::new(HOUR).with_max_stale(HOUR * 24))
}

async fn slow(after: Duration, names: &'static [&'static str]) -> Result<Vec<String>, String> {
    tokio::time::sleep(after).await;
    Ok(list(names))
}

#[tokio::test(start_paused = true)]
async fn past_the_soft_timeout_the_stale_copy_is_served_and_the_fetch_still_stores() {
    let cache = with_stale_copy().await;
    let started = Instant::now();
    let lookup = cache
        .get("k", || slow(Duration::from_secs(20), &["NEW"]))
        .await
        .unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Stale, &list(&["OLD"]))
    );
    let waited = started.elapsed();
    assert!(
        waited >= FetchTimeouts::DEFAULT_SOFT && waited < Duration::from_secs(20),
        "{waited:?}"
    );

    tokio::time::sleep(Duration::from_secs(20)).await;
    let later = cache
        .get("k", || async { Err("unused".to_owned()) })
        .await
        .unwrap();
    assert_eq!(
        (later.source, &*later.value),
        (Source::Cache, &list(&["NEW"]))
    );
    let stats = cache.stats();
    assert_eq!((stats.soft_timeouts, stats.stale, stats.fetches), (1, 1, 1));
    assert_eq!((stats.fetch_errors, stats.deadlines), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn without_a_stale_copy_a_caller_waits_past_the_soft_timeout() {
    let cache = with_stale_copy().await;
    let started = Instant::now();
    let lookup = cache
        .get("other", || slow(Duration::from_secs(20), &["NEW"]))
        .await
        .unwrap();
    assert_eq!(lookup.source, Source::Upstream);
    assert!(started.elapsed() >= Duration::from_secs(20));
    assert_eq!(cache.stats().soft_timeouts, 0);
}

#[tokio::test(start_paused = true)]
async fn a_zero_soft_timeout_serves_the_stale_copy_at_once_and_refreshes_it() {
    let cache = with_stale_copy()
        .await
        .with_timeouts(FetchTimeouts::default().with_soft(Duration::ZERO));
    let started = Instant::now();
    let lookup = cache
        .get("k", || slow(Duration::from_secs(1), &["NEW"]))
        .await
        .unwrap();
    assert_eq!(
        (lookup.source, started.elapsed()),
        (Source::Stale, Duration::ZERO)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = cache
        .get("k", || async { Err("unused".to_owned()) })
        .await
        .unwrap();
    assert_eq!(
        (later.source, &*later.value),
        (Source::Cache, &list(&["NEW"]))
    );
}

async fn never(dropped: Arc<Notify>) -> Result<Vec<String>, String> {
    let _guard = NotifyOnDrop(dropped);
    std::future::pending().await
}

#[tokio::test(start_paused = true)]
async fn a_fetch_that_never_ends_is_abandoned_at_the_hard_deadline() {
    let cache = with_stale_copy().await;
    let dropped = Arc::new(Notify::new());
    let started = Instant::now();
    let all = async {
        tokio::join!(
            cache.get("nothing-cached", || never(dropped.clone())),
            cache.get("nothing-cached", || never(dropped.clone())),
            dropped.notified(),
        )
    };
    let (a, b, ()) = tokio::time::timeout(HOUR, all)
        .await
        .expect("the fetch was not abandoned");
    for outcome in [a, b] {
        assert!(
            matches!(outcome, Err(FetchError::Deadline(d)) if d == FetchTimeouts::DEFAULT_HARD),
            "{outcome:?}"
        );
    }
    assert!(started.elapsed() >= FetchTimeouts::DEFAULT_HARD);
    let stats = cache.stats();
    assert_eq!(
        (stats.fetches, stats.deadlines, stats.fetch_errors),
        (1, 1, 1)
    );

    let fetched = cache
        .get("nothing-cached", || slow(Duration::ZERO, &["A"]))
        .await;
    assert_eq!(
        fetched.unwrap().source,
        Source::Upstream,
        "the key is free again"
    );
}

#[tokio::test(start_paused = true)]
async fn at_the_hard_deadline_the_stale_copy_is_served() {
    let deadline = Duration::from_secs(10);
    let cache = with_stale_copy()
        .await
        .with_timeouts(FetchTimeouts::NONE.with_hard(deadline));
    let lookup = cache
        .get("k", || never(Arc::new(Notify::new())))
        .await
        .unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Stale, &list(&["OLD"]))
    );
    let stats = cache.stats();
    assert_eq!(
        (stats.stale, stats.deadlines, stats.soft_timeouts),
        (1, 1, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panicking_fetch_is_an_error_for_every_caller_or_their_stale_copy() {
    let cache = Arc::new(with_stale_copy().await);
    let mut callers = tokio::task::JoinSet::new();
    for i in 0..40 {
        let cache = cache.clone();
        let key = if i % 2 == 0 { "k" } else { "nothing-cached" };
        callers.spawn(async move {
            let outcome = cache
                .get(key, || async {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    panic!("parser bug")
                })
                .await;
            (key, outcome)
        });
    }
    let all = async {
        let mut outcomes = Vec::new();
        while let Some(joined) = callers.join_next().await {
            outcomes.push(joined.expect("a caller panicked"));
        }
        outcomes
    };
    let outcomes = tokio::time::timeout(Duration::from_secs(10), all)
        .await
        .expect("a caller was stranded");
    for (key, outcome) in outcomes {
        match (key, outcome) {
            // Those with a stale copy are served it; only the others see the panic.
            ("k", Ok(lookup)) => assert_eq!(lookup.source, Source::Stale),
            ("nothing-cached", Err(FetchError::Panicked(message))) => {
                assert_eq!(message, "parser bug");
            }
            (key, other) => panic!("{key}: {other:?}"),
        }
    }
    let stats = cache.stats();
    assert_eq!(
        stats.fetches, stats.fetch_errors,
        "every fetch failed, and was counted"
    );
    assert!(stats.fetches >= 2, "one fetch per key at least");
}

#[tokio::test(start_paused = true)]
async fn waiting_on_the_fleet_and_fetching_share_one_deadline() {
    let backend = MemoryCache::new(1 << 20);
    let hard = Duration::from_secs(30);
    let fleet = Fleet::new().with_max_wait(hard);
    let holder = over(backend.clone(), Freshness::new(HOUR))
        .with_timeouts(FetchTimeouts::default().with_hard(HOUR))
        .with_fleet(fleet.clone());
    let waiter = over(backend, Freshness::new(HOUR))
        .with_timeouts(FetchTimeouts::default().with_hard(hard))
        .with_fleet(fleet);
    // Takes the lease, and hangs longer than the waiter's whole deadline.
    let holding = tokio::spawn(async move { holder.get("k", || slow(HOUR, &["LATE"])).await });
    tokio::time::sleep(Duration::from_millis(10)).await;

    let started = Instant::now();
    let waited = waiter.get("k", || slow(HOUR, &["MINE"])).await;
    assert!(
        matches!(waited, Err(FetchError::Deadline(d)) if d == hard),
        "{waited:?}"
    );
    assert!(
        started.elapsed() <= hard + Duration::from_millis(100),
        "the wait and the fetch took {:?} of one {hard:?} deadline",
        started.elapsed()
    );
    holding.abort();
}
