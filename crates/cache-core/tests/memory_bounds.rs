//! The memory backend's byte bound.

use std::time::Duration;

use cache_core::{Cache, Error, MemoryCache};

const TTL: Duration = Duration::from_secs(60);

#[tokio::test]
async fn an_entry_larger_than_the_capacity_is_refused() {
    let cache = MemoryCache::new(1024);
    let err = cache.set("k", vec![0; 2048].into(), TTL).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(cache.get("k").await.unwrap(), None);
}

#[tokio::test]
async fn total_bytes_stay_within_the_bound() {
    let capacity = 64 * 1024;
    let cache = MemoryCache::new(capacity);
    for i in 0..100 {
        cache
            .set(&format!("k{i}"), vec![7; 4096].into(), TTL)
            .await
            .unwrap();
    }
    let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
    let present = cache
        .get_many(&keys)
        .await
        .unwrap()
        .into_iter()
        .flatten()
        .count();
    assert!(present > 0, "some entries are kept");
    assert!(
        present as u64 * 4096 <= capacity,
        "{present} entries of 4 KiB exceed {capacity} bytes"
    );
}
