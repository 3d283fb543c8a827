//! Large values are decoded on tokio's blocking pool, small ones inline.

use std::thread::ThreadId;
use std::time::Duration;

use cache_core::{Codec, MemoryCache, TypedCache};
use serde::{Deserialize, Deserializer};

/// A list that remembers which thread deserialized it.
#[derive(Debug)]
struct Traced {
    thread: ThreadId,
}

impl<'de> Deserialize<'de> for Traced {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(deserializer)?;
        Ok(Self {
            thread: std::thread::current().id(),
        })
    }
}

#[tokio::test(flavor = "current_thread")]
async fn large_values_leave_the_runtime_thread_and_small_ones_do_not() {
    let codec = Codec::msgpack().with_blocking_threshold(4096);
    let cache = TypedCache::new(MemoryCache::new(64 << 20), codec);
    let ttl = Duration::from_secs(60);
    cache
        .set("small", &vec!["x".to_owned(); 10], ttl)
        .await
        .unwrap();
    cache
        .set("large", &vec!["x".repeat(100); 100], ttl)
        .await
        .unwrap();

    let here = std::thread::current().id();
    let small: Traced = cache.get("small").await.unwrap().unwrap();
    let large: Traced = cache.get("large").await.unwrap().unwrap();
    assert_eq!(small.thread, here, "small values decode inline");
    assert_ne!(
        large.thread, here,
        "large values decode on the blocking pool"
    );
}
