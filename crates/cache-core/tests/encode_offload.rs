//! Large values, owned, shared or borrowed, are serialized off the runtime's threads, small
//! ones inline.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use cache_core::{BORROWED_INLINE_LIMIT, Cache, Codec, Compression, MemoryCache, TypedCache};
use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const TTL: Duration = Duration::from_secs(60);

/// A list of strings whose serialization, once complete, waits for a task on the runtime to
/// run: it can only finish off the runtime's one thread.
struct Gate {
    items: Vec<String>,
    opened: Mutex<Receiver<()>>,
}

impl Gate {
    fn new(items: Vec<String>) -> (Self, Sender<()>) {
        let (open, opened) = channel();
        let opened = Mutex::new(opened);
        (Self { items, opened }, open)
    }
}

/// Read back, a gate is a plain list (its serialization would never be let through).
impl<'de> Deserialize<'de> for Gate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::new(Vec::deserialize(deserializer)?).0)
    }
}

impl Serialize for Gate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.items.len()))?;
        for item in &self.items {
            // The inline size probe stops here, past the threshold.
            seq.serialize_element(item)?;
        }
        // Generous: this waits only when the runtime's thread is the one waiting.
        let opened = self
            .opened
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(10));
        if opened.is_err() {
            return Err(S::Error::custom("serialized on the runtime's only thread"));
        }
        seq.end()
    }
}

fn large() -> Vec<String> {
    vec!["x".repeat(100); 100]
}

fn cache() -> TypedCache<MemoryCache> {
    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .unwrap()
        .with_blocking_threshold(4096);
    TypedCache::new(MemoryCache::new(64 << 20), codec)
}

#[tokio::test(flavor = "current_thread")]
async fn get_or_fetch_serializes_a_large_value_off_the_runtime_thread() {
    let cache = cache();
    let (gate, open) = Gate::new(large());
    tokio::spawn(async move { open.send(()).unwrap() });
    let value = cache
        .get_or_fetch("k", TTL, || async { Ok::<_, cache_core::Error>(gate) })
        .await
        .unwrap();
    assert_eq!(value.items, large());
    assert_eq!(cache.get::<Vec<String>>("k").await.unwrap(), Some(large()));
}

#[tokio::test(flavor = "current_thread")]
async fn set_shared_serializes_a_large_value_off_the_runtime_thread() {
    let cache = cache();
    let (gate, open) = Gate::new(large());
    tokio::spawn(async move { open.send(()).unwrap() });
    cache.set_shared("k", Arc::new(gate), TTL).await.unwrap();
    assert_eq!(cache.get::<Vec<String>>("k").await.unwrap(), Some(large()));
}

/// A list that records which thread completed its serialization.
#[derive(Clone)]
struct Traced {
    items: Vec<String>,
    threads: Arc<Mutex<Vec<ThreadId>>>,
}

impl Serialize for Traced {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let done = self.items.serialize(serializer)?;
        self.threads
            .lock()
            .unwrap()
            .push(std::thread::current().id());
        Ok(done)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_small_value_is_serialized_once_inline_and_a_large_one_once_on_the_pool() {
    let cache = cache();
    let here = std::thread::current().id();
    for (items, inline) in [(vec!["x".to_owned(); 10], true), (large(), false)] {
        let threads = Arc::default();
        let traced = Traced {
            items,
            threads: Arc::clone(&threads),
        };
        cache.set_shared("k", Arc::new(traced), TTL).await.unwrap();
        let threads = threads.lock().unwrap().clone();
        assert_eq!(threads.len(), 1, "one complete serialization");
        assert_eq!(threads[0] == here, inline, "inline: {inline}");
    }
}

/// Which threads completed the serialization of `items` stored with a borrowed `set`.
async fn borrowed_set_threads(
    cache: &TypedCache<MemoryCache>,
    items: Vec<String>,
) -> Vec<ThreadId> {
    let threads = Arc::default();
    let traced = Traced {
        items: items.clone(),
        threads: Arc::clone(&threads),
    };
    cache.set("k", &traced, TTL).await.unwrap();
    assert_eq!(cache.get::<Vec<String>>("k").await.unwrap(), Some(items));
    threads.lock().unwrap().clone()
}

#[tokio::test(flavor = "current_thread")]
async fn a_borrowed_value_is_serialized_inline_when_small_and_from_a_copy_on_the_pool_when_large() {
    let cache = cache();
    let here = std::thread::current().id();
    assert_eq!(
        borrowed_set_threads(&cache, vec!["x".to_owned(); 10]).await,
        [here]
    );
    let large = borrowed_set_threads(&cache, large()).await;
    assert_eq!(large.len(), 1, "one complete serialization");
    assert_ne!(large[0], here, "serialized off the runtime's thread");
}

#[tokio::test(flavor = "current_thread")]
async fn a_borrowed_value_leaves_past_its_own_limit_below_the_blocking_threshold() {
    // The default threshold (24 KiB) keeps a shared value of 10 KB inline; a borrowed one
    // is copied from 4 KiB on, where a copy costs less than serializing on to the threshold.
    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .unwrap();
    let cache = TypedCache::new(MemoryCache::new(64 << 20), codec);
    let items = large();
    let size = rmp_serde::to_vec(&items).unwrap().len();
    assert!(BORROWED_INLINE_LIMIT < size && size < codec.blocking_threshold());
    let here = std::thread::current().id();

    let threads = Arc::default();
    let traced = Traced {
        items: items.clone(),
        threads: Arc::clone(&threads),
    };
    cache.set_shared("k", Arc::new(traced), TTL).await.unwrap();
    assert_eq!(*threads.lock().unwrap(), [here], "a shared value stays");
    let borrowed = borrowed_set_threads(&cache, items).await;
    assert_eq!(borrowed.len(), 1);
    assert_ne!(borrowed[0], here, "a borrowed one leaves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_borrowed_value_is_serialized_on_the_codec_threads() {
    let name = Arc::new(Mutex::new(None));
    struct Named(Vec<String>, Arc<Mutex<Option<String>>>);
    impl Clone for Named {
        fn clone(&self) -> Self {
            Self(self.0.clone(), Arc::clone(&self.1))
        }
    }
    impl Serialize for Named {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let done = self.0.serialize(serializer)?;
            *self.1.lock().unwrap() = std::thread::current().name().map(str::to_owned);
            Ok(done)
        }
    }
    cache()
        .set("k", &Named(large(), Arc::clone(&name)), TTL)
        .await
        .unwrap();
    let name = name.lock().unwrap().clone();
    assert!(
        name.as_deref()
            .is_some_and(|n| n.starts_with("cache-codec-")),
        "{name:?}"
    );
}

/// A list whose serialization panics once past the inline size probe, wherever it runs.
#[derive(Clone)]
struct Panics(Vec<String>);

impl Serialize for Panics {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        let thread = std::thread::current();
        panic!("serializing panicked on {}", thread.name().unwrap_or("?"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "serializing panicked")]
async fn a_panic_on_the_codec_threads_resumes_in_the_caller() {
    let _ = cache()
        .set_shared("k", Arc::new(Panics(large())), TTL)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "serializing panicked on cache-codec-")]
async fn a_panic_while_a_borrowed_value_is_serialized_off_the_runtime_resumes_in_the_caller() {
    let _ = cache().set("k", &Panics(large()), TTL).await;
}

/// A list whose serialization fails once past the inline size probe.
#[derive(Clone)]
struct FailsLate(Vec<String>);

impl Serialize for FailsLate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in &self.0 {
            seq.serialize_element(item)?;
        }
        Err(S::Error::custom("refused at the end"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_borrowed_value_that_fails_to_serialize_is_an_encode_error_and_stores_nothing() {
    let cache = cache();
    let error = cache.set("k", &FailsLate(large()), TTL).await.unwrap_err();
    assert!(
        matches!(&error, cache_core::Error::Encode(e) if e.to_string().contains("refused at the end")),
        "{error:?}"
    );
    assert_eq!(cache.cache().get("k").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_inline_serializes_a_large_value_that_cannot_be_copied_on_the_calling_thread() {
    /// Not `Clone`: `set` does not take it.
    struct Once(Traced);
    impl Serialize for Once {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.serialize(serializer)
        }
    }
    let cache = cache();
    let threads = Arc::default();
    let value = Once(Traced {
        items: large(),
        threads: Arc::clone(&threads),
    });
    let here = std::thread::current().id();
    cache.set_inline("k", &value, TTL).await.unwrap();
    assert_eq!(*threads.lock().unwrap(), [here]);
    assert_eq!(cache.get::<Vec<String>>("k").await.unwrap(), Some(large()));
}
