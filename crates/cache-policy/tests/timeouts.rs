//! FetchTimeouts at their edges: a soft timeout at or past the hard deadline, and a zero
//! hard deadline. Time is paused.

use std::time::Duration;

use cache_core::MemoryCache;
use cache_policy::{FetchError, FetchTimeouts, Freshness, Source};

mod support;
use support::{HOUR, Symbols, list, over, store_written_ago};

const HARD: Duration = Duration::from_secs(10);

/// A read-through with `timeouts` whose backend holds a two-hour-old copy of `["OLD"]` under
/// "k", within its `max_stale`.
async fn with_stale_copy(timeouts: FetchTimeouts) -> Symbols {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], HOUR * 2).await;
    over(backend, Freshness::new(HOUR).with_max_stale(HOUR * 24)).with_timeouts(timeouts)
}

#[tokio::test(start_paused = true)]
async fn a_soft_timeout_at_or_past_the_hard_deadline_is_the_hard_deadline() {
    for soft in [HARD, HARD * 6] {
        let cache = with_stale_copy(FetchTimeouts::new(soft, HARD)).await;
        let started = tokio::time::Instant::now();
        let lookup = cache.get("k", std::future::pending).await.unwrap();
        assert_eq!(
            (lookup.source, &*lookup.value),
            (Source::Stale, &list(&["OLD"])),
            "soft {soft:?}"
        );
        assert!(started.elapsed() >= HARD, "soft {soft:?}");
        let stats = cache.stats();
        assert_eq!(
            (stats.stale, stats.deadlines, stats.soft_timeouts),
            (1, 1, 0),
            "soft {soft:?}: served at the deadline, not at a soft timeout"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_zero_hard_deadline_abandons_a_fetch_that_is_not_done_at_once() {
    let cache = with_stale_copy(FetchTimeouts::default().with_hard(Duration::ZERO)).await;
    let outcome = cache
        .get("other", || async {
            tokio::task::yield_now().await;
            Ok(list(&["NEW"]))
        })
        .await;
    assert!(
        matches!(outcome, Err(FetchError::Deadline(Duration::ZERO))),
        "{outcome:?}"
    );
}

#[test]
fn validate_refuses_a_zero_hard_deadline_only() {
    let zero = FetchTimeouts::default().with_hard(Duration::ZERO);
    let refused = zero.validate().unwrap_err();
    assert!(refused.to_string().contains("hard deadline"), "{refused}");
    for fine in [
        FetchTimeouts::default(),
        FetchTimeouts::NONE,
        FetchTimeouts::new(Duration::ZERO, HARD),
        FetchTimeouts::new(HARD * 6, HARD),
    ] {
        assert_eq!(fine.validate().unwrap(), fine);
    }
}
