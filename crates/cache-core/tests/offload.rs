//! Large values are decoded off the runtime's threads, small ones inline.

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

/// Where a value was deserialized: the thread's name and, on Linux, its nice value.
#[derive(Debug)]
struct Placed {
    thread: Option<String>,
    nice: Option<i32>,
}

impl<'de> Deserialize<'de> for Placed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(deserializer)?;
        Ok(Self {
            thread: std::thread::current().name().map(str::to_owned),
            nice: own_nice(),
        })
    }
}

/// The calling thread's nice value: the 19th field of its `stat`, counted after the name.
fn own_nice() -> Option<i32> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(16)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_runtime_decodes_large_values_on_low_priority_codec_threads() {
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

    let small: Placed = cache.get("small").await.unwrap().unwrap();
    let large: Placed = cache.get("large").await.unwrap().unwrap();
    let codec_thread = |p: &Placed| {
        p.thread
            .as_deref()
            .is_some_and(|n| n.starts_with("cache-codec-"))
    };
    assert!(
        !codec_thread(&small),
        "small values decode inline: {small:?}"
    );
    assert!(
        codec_thread(&large),
        "large values leave the runtime: {large:?}"
    );
    if cfg!(target_os = "linux") {
        assert_eq!(large.nice, Some(19), "below the runtime's threads");
        assert_eq!(small.nice, own_nice(), "the runtime's threads keep theirs");
    }
}
