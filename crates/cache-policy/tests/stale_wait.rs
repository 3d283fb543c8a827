//! A stale copy ages while its caller waits for the fetch: it is served with its age at the
//! time it is served, and not at all once that age passes the reader's bound. Time is paused.

use std::time::Duration;

use cache_core::MemoryCache;
use cache_policy::{FetchError, FetchTimeouts, Freshness, Source};
use tokio::time::Instant;

mod support;
use support::{HOUR, Symbols, list, over, store_written_ago};

/// Fresh for an hour, served stale for an hour more.
const POLICY: Freshness = Freshness::new(HOUR).with_max_stale(HOUR);

/// A read-through whose backend holds a copy of `["OLD"]` under "k" written `ago`.
async fn with_copy_written(ago: Duration) -> Symbols {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], ago).await;
    over(backend, POLICY)
}

async fn slow(after: Duration) -> Result<Vec<String>, String> {
    tokio::time::sleep(after).await;
    Ok(list(&["NEW"]))
}

#[tokio::test(start_paused = true)]
async fn a_copy_served_after_the_soft_timeout_is_as_old_as_it_is_then() {
    let cache = with_copy_written(HOUR * 3 / 2).await;
    let lookup = cache
        .get("k", || slow(Duration::from_secs(20)))
        .await
        .unwrap();
    assert_eq!(lookup.source, Source::Stale);
    let at_least = HOUR * 3 / 2 + FetchTimeouts::DEFAULT_SOFT;
    // Generous: the write time is kept to the millisecond, and the test's own time counts.
    let at_most = at_least + Duration::from_secs(5);
    assert!(
        (at_least..at_most).contains(&lookup.age),
        "{:?} not in {at_least:?}..{at_most:?}",
        lookup.age
    );
}

#[tokio::test(start_paused = true)]
async fn a_copy_that_ages_past_the_bound_during_the_soft_wait_is_not_served() {
    // Usable when the caller looks, two seconds short of the bound; the soft timeout is five.
    let cache = with_copy_written(HOUR * 2 - Duration::from_secs(2)).await;
    let started = Instant::now();
    let lookup = cache
        .get("k", || slow(Duration::from_secs(20)))
        .await
        .unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Upstream, &list(&["NEW"])),
        "the caller waited for the fetch instead"
    );
    assert!(started.elapsed() >= Duration::from_secs(20));
    let stats = cache.stats();
    assert_eq!((stats.stale, stats.soft_timeouts), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_copy_that_ages_past_the_bound_before_the_hard_deadline_is_not_served() {
    let cache = with_copy_written(HOUR * 2 - Duration::from_secs(2))
        .await
        .with_timeouts(FetchTimeouts::NONE.with_hard(Duration::from_secs(10)));
    let outcome = cache.get("k", std::future::pending).await;
    assert!(
        matches!(outcome, Err(FetchError::Deadline(d)) if d == Duration::from_secs(10)),
        "{outcome:?}"
    );
    assert_eq!(cache.stats().stale, 0);
}

#[tokio::test(start_paused = true)]
async fn a_copy_still_within_the_bound_when_the_fetch_fails_is_served() {
    let cache = with_copy_written(HOUR * 2 - Duration::from_secs(30))
        .await
        .with_timeouts(FetchTimeouts::NONE.with_hard(Duration::from_secs(10)));
    let lookup = cache.get("k", std::future::pending).await.unwrap();
    assert_eq!(lookup.source, Source::Stale);
    assert!(
        lookup.age >= HOUR * 2 - Duration::from_secs(20),
        "{:?}",
        lookup.age
    );
}
