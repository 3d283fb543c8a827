//! `ReadThrough::stored_stamp` and `get_stamped`: what the shared cache holds now, whatever
//! the read-through holds in memory.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, MemoryCache};
use cache_policy::Freshness;

mod support;
use support::{HOUR, list, over, store_written_ago};

#[tokio::test]
async fn another_writers_entry_is_seen_with_its_stamp() {
    let backend = MemoryCache::new(1 << 20);
    let (here, elsewhere) = (
        over(backend.clone(), Freshness::new(HOUR)),
        over(backend.clone(), Freshness::new(HOUR)),
    );
    assert_eq!(here.stored_stamp("k").await.unwrap(), None);
    assert!(here.get_stamped("k").await.unwrap().is_none());

    here.put_shared("k", Arc::new(list(&["OLD"])))
        .await
        .unwrap();
    let stamp = elsewhere
        .put_shared_stamped("k", Arc::new(list(&["NEW"])))
        .await
        .unwrap();
    assert_eq!(here.stored_stamp("k").await.unwrap(), Some(stamp));
    let (stored, read_stamp) = here.get_stamped("k").await.unwrap().unwrap();
    assert_eq!((stored.value, read_stamp), (list(&["NEW"]), stamp));
    assert_eq!(stored.header.written_at, stamp.written_at());
}

#[tokio::test]
async fn a_stale_entry_is_read_whatever_its_age() {
    let backend = MemoryCache::new(1 << 20);
    store_written_ago(&backend, "k", &["OLD"], HOUR * 2).await;
    let reader = over(backend, Freshness::new(Duration::from_secs(60)));
    let (stored, stamp) = reader.get_stamped("k").await.unwrap().unwrap();
    assert_eq!(stored.value, list(&["OLD"]));
    assert!(stamp.written_at().elapsed().unwrap() >= HOUR * 2);
}

#[tokio::test]
async fn bytes_that_are_not_an_entry_are_an_error() {
    let backend = MemoryCache::new(1 << 20);
    backend
        .set(
            "k",
            Bytes::from_static(b"not an envelope at all, long enough"),
            HOUR,
        )
        .await
        .unwrap();
    let reader = over(backend, Freshness::new(HOUR));
    assert!(reader.stored_stamp("k").await.is_err());
    assert!(reader.get_stamped("k").await.is_err());
}
