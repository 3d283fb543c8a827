//! A fetched value whose serialization panics: the fetch succeeded, so its callers get the
//! value; the failed write is counted and logged as a cache error, and nothing is stored.

use std::time::Duration;

use cache_core::{Cache, Codec, MemoryCache, TypedCache};
use cache_policy::{Freshness, ReadThrough, Source};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};

const THRESHOLD: usize = 1024;

/// A list whose serialization panics once every item is written: inline when the list is
/// small, on the blocking pool when it is larger than [`THRESHOLD`].
#[derive(Debug, PartialEq, Deserialize)]
#[serde(transparent)]
struct Unwritable(Vec<String>);

impl Serialize for Unwritable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            // The inline size probe of a large list stops here, past the threshold.
            seq.serialize_element(item)?;
        }
        panic!("serializer bug")
    }
}

fn small() -> Vec<String> {
    vec!["x".to_owned(); 10]
}

fn large() -> Vec<String> {
    vec!["x".repeat(100); 100]
}

fn read_through() -> ReadThrough<Unwritable, String, MemoryCache> {
    let codec = Codec::msgpack().with_blocking_threshold(THRESHOLD);
    ReadThrough::new(
        TypedCache::new(MemoryCache::new(64 << 20), codec),
        Freshness::new(Duration::from_secs(3600)),
    )
}

async fn callers_get_the_value_whose_write_panicked(items: Vec<String>) {
    let cache = read_through();
    let call = || {
        let items = items.clone();
        cache.get("k", move || async move {
            // Long enough for the other caller to join (time is paused).
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok(Unwritable(items))
        })
    };
    let (a, b) = tokio::join!(call(), call());
    for outcome in [a, b] {
        let lookup = outcome.unwrap_or_else(|error| panic!("the fetch succeeded: {error}"));
        assert_eq!((lookup.source, &lookup.value.0), (Source::Upstream, &items));
    }
    let stats = cache.stats();
    assert_eq!(
        (stats.fetches, stats.fetch_errors, stats.cache_errors),
        (1, 0, 1)
    );
    let stored = cache.cache().cache().get("k").await.unwrap();
    assert!(stored.is_none(), "nothing was written");
}

#[tokio::test(start_paused = true)]
async fn a_value_whose_serialization_panics_inline_is_served() {
    callers_get_the_value_whose_write_panicked(small()).await;
}

#[tokio::test(start_paused = true)]
async fn a_value_whose_serialization_panics_on_the_pool_is_served() {
    callers_get_the_value_whose_write_panicked(large()).await;
}

#[tokio::test]
#[should_panic(expected = "serializer bug")]
async fn set_shared_resumes_the_panic_of_a_serialization_on_the_pool() {
    let cache = TypedCache::new(
        MemoryCache::new(64 << 20),
        Codec::msgpack().with_blocking_threshold(THRESHOLD),
    );
    let _ = cache
        .set_shared(
            "k",
            std::sync::Arc::new(Unwritable(large())),
            Duration::from_secs(60),
        )
        .await;
}
