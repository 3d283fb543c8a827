//! How often a read verifies an entry's checksum, as cache-core's `testing::take_checksums` counts.

use std::time::Duration;

use cache_core::testing::{restamp, take_checksums};
use cache_core::{Cache, Codec, MemoryCache, TypedCache};

use crate::{Freshness, ReadThrough, Source};

const HOUR: Duration = Duration::from_secs(3600);

/// Runs on this thread alone (small values decode inline), so that the thread's count of
/// checksums is the call's.
#[tokio::test(flavor = "current_thread")]
async fn each_read_of_an_entry_verifies_its_checksum_once() {
    let backend = MemoryCache::new(1 << 20);
    let cache: ReadThrough<Vec<u32>, String, _> = ReadThrough::new(
        TypedCache::new(backend.clone(), Codec::msgpack()),
        Freshness::new(HOUR).with_max_stale(HOUR),
    );
    cache.put("k", &vec![1, 2, 3]).await.unwrap();
    take_checksums();
    let hit = cache.get("k", || async { Err("unused".to_owned()) }).await;
    assert_eq!(hit.unwrap().source, Source::Cache);
    assert_eq!(take_checksums(), 1, "a hit reads the entry once");

    let stored = backend.get("k").await.unwrap().unwrap();
    let (header, _) = cache_core::envelope::open(&stored).unwrap();
    let old = header.written_at - HOUR * 3 / 2;
    let stale = Codec::msgpack().encode(&vec![0_u32]).unwrap();
    backend
        .set("old", restamp(stale, old).into(), HOUR)
        .await
        .unwrap();
    take_checksums();
    let served = cache
        .get("old", || async { Err("HTTP 503".to_owned()) })
        .await;
    assert_eq!(served.unwrap().source, Source::Stale);
    assert_eq!(
        take_checksums(),
        2,
        "two reads (before the fetch, and the recheck in it), each verified once"
    );
}
