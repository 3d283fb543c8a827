//! A stale copy is served only within the reader's `max_stale`, whatever the writer kept.

use std::time::Duration;

use cache_core::MemoryCache;
use cache_policy::{Freshness, Source};

mod support;
use support::{HOUR, list, over, store_written_ago};

const MINUTE: Duration = Duration::from_secs(60);

/// An entry written two hours ago and kept a day, as by a writer whose `max_stale` is a day,
/// read by a reader with a one-hour fresh time and `reader_max_stale`.
async fn read_two_hours_old(reader_max_stale: Duration) -> Result<Source, String> {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], HOUR * 2).await;
    let reader = over(
        backend,
        Freshness::new(HOUR).with_max_stale(reader_max_stale),
    );
    match reader
        .get("k", || async { Err("HTTP 503".to_owned()) })
        .await
    {
        Ok(lookup) => {
            assert_eq!(*lookup.value, list(&["OLD"]));
            Ok(lookup.source)
        }
        Err(error) => Err(error.to_string()),
    }
}

#[tokio::test]
async fn a_reader_that_keeps_no_stale_copy_is_served_none() {
    assert_eq!(
        read_two_hours_old(Duration::ZERO).await,
        Err("HTTP 503".to_owned())
    );
}

#[tokio::test]
async fn a_stale_copy_older_than_the_readers_bound_is_not_served() {
    assert_eq!(
        read_two_hours_old(MINUTE * 30).await,
        Err("HTTP 503".to_owned())
    );
}

#[tokio::test]
async fn a_stale_copy_within_the_readers_bound_is_served() {
    assert_eq!(read_two_hours_old(MINUTE * 90).await, Ok(Source::Stale));
}

#[tokio::test]
async fn a_copy_too_old_for_the_reader_is_refetched_and_overwritten() {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], HOUR * 2).await;
    let reader = over(backend, Freshness::new(HOUR));
    let fetched = reader
        .get("k", || async { Ok(list(&["NEW"])) })
        .await
        .unwrap();
    assert_eq!(
        (fetched.source, &*fetched.value),
        (Source::Upstream, &list(&["NEW"]))
    );
    let again = reader
        .get("k", || async { Err("unused".to_owned()) })
        .await
        .unwrap();
    assert_eq!(
        (again.source, &*again.value),
        (Source::Cache, &list(&["NEW"]))
    );
    assert_eq!(reader.stats().cache_errors, 0, "a copy too old is no error");
}
