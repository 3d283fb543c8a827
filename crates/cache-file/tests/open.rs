//! Opening a directory: creating it, refusing what cannot be one, and persistence across
//! instances.

use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Entry, Error};
use cache_file::{FileCache, MAX_TTL};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn open_creates_the_directory_and_its_parents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b/market-data");
    let cache = FileCache::open(&dir).await.unwrap();
    assert!(dir.is_dir());
    assert_eq!(cache.dir(), dir);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "the write probe is gone"
    );
}

#[tokio::test]
async fn a_path_that_is_a_file_or_under_one_is_an_invalid_argument() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("cache");
    std::fs::write(&file, b"a file").unwrap();
    for path in [file.clone(), file.join("sub")] {
        let err = FileCache::open(&path).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument(_)),
            "{path:?}: {err:?}"
        );
        assert!(err.to_string().contains("is a file"), "{err}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"a file", "left untouched");
}

#[tokio::test]
async fn entries_persist_across_instances() {
    let tmp = tempfile::tempdir().unwrap();
    let first = FileCache::open(tmp.path()).await.unwrap();
    let batch = vec![
        Entry::new("x", Bytes::from_static(b"1"), MINUTE),
        Entry::new("y", Bytes::from_static(b"2"), 10 * MINUTE),
    ];
    first.set_many(batch).await.unwrap();
    drop(first);

    let second = FileCache::open(tmp.path()).await.unwrap();
    let keys = ["x", "y", "z"].map(String::from);
    let values = second.get_many(&keys).await.unwrap();
    assert_eq!(
        values,
        vec![
            Some(Bytes::from_static(b"1")),
            Some(Bytes::from_static(b"2")),
            None
        ]
    );
    let ttl = second.ttl("y").await.unwrap().unwrap();
    assert!(ttl > 9 * MINUTE && ttl <= 10 * MINUTE, "{ttl:?}");
}

#[tokio::test]
async fn a_removed_directory_is_made_again_by_the_next_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cache");
    let cache = FileCache::open(&dir).await.unwrap();
    cache
        .set("k", Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache
        .set("k", Bytes::from_static(b"again"), MINUTE)
        .await
        .unwrap();
    assert_eq!(
        cache.get("k").await.unwrap().as_deref(),
        Some(&b"again"[..])
    );
}

#[tokio::test]
async fn the_longest_ttl_is_accepted_and_counted_down_from() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = FileCache::open(tmp.path()).await.unwrap();
    assert_eq!(cache.max_ttl(), MAX_TTL);
    cache
        .set("k", Bytes::from_static(b"v"), MAX_TTL)
        .await
        .unwrap();
    let ttl = cache.ttl("k").await.unwrap().unwrap();
    assert!(ttl <= MAX_TTL && ttl > MAX_TTL - MINUTE, "{ttl:?}");
}
