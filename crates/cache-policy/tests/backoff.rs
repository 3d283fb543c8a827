//! `ReadThrough::with_backoff`: after a failed fetch, no process sharing the cache fetches
//! again before the pause is over; its readers get their stale copy, or an error saying when
//! the next attempt is, at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cache_core::{Cache, MemoryCache};
use cache_policy::{Backoff, FailureClass, FetchError, FetchTimeouts, Fleet, Freshness, Source};

mod support;
use support::{HOUR, QuietPanics, Symbols, list, over, store_written_ago};

/// One process's read-through of `backend`, taking turns and backing off with the others:
/// an error that starts with "HTTP 403" is a ban, any other a transient failure.
fn process(backend: &MemoryCache) -> Symbols {
    let policy = Freshness::new(HOUR).with_max_stale(HOUR * 24);
    let classify = |error: &String| {
        if error.starts_with("HTTP 403") {
            FailureClass::Banned
        } else {
            FailureClass::Transient
        }
    };
    over(backend.clone(), policy)
        .with_fleet(Fleet::new())
        .with_backoff(Backoff::new(), classify)
}

/// A fetch's future, as the read-through is handed it.
type Fetching = std::pin::Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send>>;

/// A fetch that fails with `status`, counting the calls made upstream: when it runs, not
/// when the read-through makes its future.
fn failing(calls: &Arc<AtomicUsize>, status: u16) -> impl FnOnce() -> Fetching + use<> {
    let calls = calls.clone();
    move || {
        Box::pin(async move {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(format!("HTTP {status}"))
        })
    }
}

#[tokio::test]
async fn after_a_failure_another_process_does_not_fetch_and_is_told_when_it_will() {
    let backend = MemoryCache::new(1 << 20);
    let (here, elsewhere) = (process(&backend), process(&backend));
    let calls = Arc::new(AtomicUsize::new(0));

    let failed = here.get("k", failing(&calls, 500)).await.unwrap_err();
    assert_eq!(failed.to_string(), "HTTP 500");
    assert_eq!(failed.retry_in(), None, "the fetch was made");

    let later = elsewhere.get("k", failing(&calls, 500)).await.unwrap_err();
    assert!(matches!(&later, FetchError::BackingOff(_)), "{later:?}");
    let retry_in = later.retry_in().unwrap();
    assert!(retry_in <= Duration::from_millis(1500), "{retry_in:?}");
    assert!(later.to_string().contains("HTTP 500"), "{later}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the other process did not fetch"
    );

    // Once the pause is over, the next reader fetches, and its success clears the marker.
    tokio::time::sleep(retry_in).await;
    let fetch = || async { Ok(list(&["NEW"])) };
    let lookup = elsewhere.get("k", fetch).await.unwrap();
    assert_eq!(
        (lookup.source, &*lookup.value),
        (Source::Upstream, &list(&["NEW"]))
    );
    assert_eq!(
        backend.get("k:failed").await.unwrap(),
        None,
        "the marker went with the success"
    );
}

#[tokio::test]
async fn while_backing_off_a_reader_with_a_stale_copy_is_served_it() {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], HOUR * 2).await;
    let (here, elsewhere) = (process(&backend), process(&backend));
    let calls = Arc::new(AtomicUsize::new(0));

    let first = here.get("k", failing(&calls, 403)).await.unwrap();
    assert_eq!(
        (first.source, &*first.value),
        (Source::Stale, &list(&["OLD"]))
    );
    let second = elsewhere.get("k", failing(&calls, 403)).await.unwrap();
    assert_eq!(
        (second.source, &*second.value),
        (Source::Stale, &list(&["OLD"]))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1, "asked once during the ban");

    let marker = backend.get("k:failed").await.unwrap().unwrap();
    let text = std::str::from_utf8(&marker).unwrap();
    assert!(
        text.starts_with("1 ") && text.ends_with(" HTTP 403"),
        "{text}"
    );
}

#[tokio::test]
async fn without_a_backoff_every_failure_is_fetched_again() {
    // The same two processes without `with_backoff`: the test above is not passing by
    // accident of the fleet.
    let backend = MemoryCache::new(1 << 20);
    let plain = || over(backend.clone(), Freshness::new(HOUR)).with_fleet(Fleet::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let _ = plain().get("k", failing(&calls, 500)).await;
    let again = plain().get("k", failing(&calls, 500)).await.unwrap_err();
    assert_eq!(again.retry_in(), None);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_fetch_past_its_deadline_backs_off_and_a_panic_does_not() {
    let backend = MemoryCache::new(1 << 20);
    let timeouts = FetchTimeouts::default().with_hard(Duration::from_millis(50));
    let reader = process(&backend).with_timeouts(timeouts);
    let silent = || std::future::pending::<Result<Vec<String>, String>>();
    let late = reader.get("late", silent).await.unwrap_err();
    assert!(late.is_deadline(), "{late:?}");
    let marker = backend.get("late:failed").await.unwrap();
    assert!(
        marker.is_some(),
        "an upstream that does not answer is backed off from"
    );

    let _quiet = QuietPanics::new("a bug, not the upstream");
    let buggy = || async { panic!("a bug, not the upstream") };
    let panicked = reader.get("buggy", buggy).await.unwrap_err();
    assert!(panicked.is_panic(), "{panicked:?}");
    assert_eq!(backend.get("buggy:failed").await.unwrap(), None);
}
