//! Values kept decoded in the process by a read-through: served only while the cache holds
//! their stamp, so that another instance's write is seen by the next read; nothing decoded
//! on a local hit; the byte bound kept; nothing served unchecked when the cache is down.

mod support;

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::envelope;
use cache_core::testing::restamp;
use cache_core::{Cache, Codec, Entry, Error, MemoryCache, Result, TypedCache};
use cache_policy::{FetchError, Freshness, LocalCache, ReadThrough, Source};
use serde::{Deserialize, Deserializer, Serialize};
use support::HOUR;

thread_local! {
    /// Values decoded on this thread. Each test runs on a current-thread runtime, and these
    /// values are small enough to be decoded inline: the count is the test's.
    static DECODES: Cell<usize> = const { Cell::new(0) };
}

fn decodes() -> usize {
    DECODES.with(Cell::get)
}

/// A list of symbols that counts its decodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Counted(Vec<String>);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        DECODES.with(|n| n.set(n.get() + 1));
        Vec::deserialize(deserializer).map(Self)
    }
}

fn counted(names: &[&str]) -> Counted {
    Counted(names.iter().map(|&n| n.to_owned()).collect())
}

type Reader<C> = ReadThrough<Counted, String, C>;

fn reader<C: Cache + Clone + 'static>(backend: C, policy: Freshness) -> Reader<C> {
    ReadThrough::new(TypedCache::new(backend, Codec::msgpack()), policy)
}

async fn read<C: Cache + Clone + 'static>(
    reader: &Reader<C>,
    fallback: Result<Counted, String>,
) -> std::result::Result<cache_policy::Lookup<Counted>, FetchError<String>> {
    reader.get("k", || async move { fallback }).await
}

fn unused() -> Result<Counted, String> {
    Err("the upstream is not called".to_owned())
}

#[tokio::test(flavor = "current_thread")]
async fn a_write_by_another_instance_is_seen_by_the_next_read() {
    let backend = MemoryCache::new(64 << 20);
    let (a, b) = (
        reader(backend.clone(), Freshness::new(HOUR)),
        reader(backend, Freshness::new(HOUR)),
    );
    a.put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    assert_eq!(read(&b, unused()).await.unwrap().value.0, ["BTCUSDT"]);
    assert_eq!(read(&b, unused()).await.unwrap().value.0, ["BTCUSDT"]);
    assert_eq!(b.stats().local_hits, 1, "the second read of b is local");

    a.put_shared("k", Arc::new(counted(&["ETHUSDT"])))
        .await
        .unwrap();
    let seen = read(&b, unused()).await.unwrap();
    assert_eq!(
        (seen.value.0.as_slice(), seen.source),
        (&["ETHUSDT".to_owned()][..], Source::Cache)
    );
    let stats = b.stats();
    assert_eq!(
        (stats.local_hits, stats.validations, stats.fetches),
        (1, 2, 0)
    );
    assert_eq!(read(&a, unused()).await.unwrap().value.0, ["ETHUSDT"]);
    assert_eq!(a.stats().local_hits, 1, "a holds what it wrote");
}

#[tokio::test(flavor = "current_thread")]
async fn a_local_hit_decodes_nothing_and_a_read_without_the_local_cache_always_does() {
    let backend = MemoryCache::new(64 << 20);
    let writer = reader(backend.clone(), Freshness::new(HOUR));
    let (held, plain) = (
        reader(backend.clone(), Freshness::new(HOUR)),
        reader(backend, Freshness::new(HOUR)).without_local(),
    );
    writer
        .put("k", &counted(&["BTCUSDT", "ETHUSDT"]))
        .await
        .unwrap();
    let before = decodes();
    for _ in 0..100 {
        assert_eq!(read(&held, unused()).await.unwrap().value.0.len(), 2);
    }
    assert_eq!(decodes() - before, 1, "decoded by the first read alone");
    assert_eq!(
        (
            held.stats().hits,
            held.stats().local_hits,
            held.stats().validations
        ),
        (100, 99, 99)
    );

    let before = decodes();
    for _ in 0..100 {
        assert_eq!(read(&plain, unused()).await.unwrap().value.0.len(), 2);
    }
    assert_eq!(decodes() - before, 100);
    assert_eq!(
        (plain.stats().local_hits, plain.stats().validations),
        (0, 0)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn read_throughs_made_sharing_one_local_cache_serve_each_other_s_decodes() {
    let backend = MemoryCache::new(64 << 20);
    let local = LocalCache::new(1 << 20);
    let sharing = |local: Option<LocalCache>| -> Reader<MemoryCache> {
        ReadThrough::sharing(
            TypedCache::new(backend.clone(), Codec::msgpack()),
            Freshness::new(HOUR),
            local,
        )
    };
    let (first, second, none) = (
        sharing(Some(local.clone())),
        sharing(Some(local.clone())),
        sharing(None),
    );
    assert!(none.local().is_none());
    first.put("k", &counted(&["BTCUSDT"])).await.unwrap();
    let before = decodes();
    read(&first, unused()).await.unwrap();
    read(&second, unused()).await.unwrap();
    assert_eq!(
        decodes() - before,
        1,
        "the second read served the first one's decode"
    );
    assert_eq!(second.stats().local_hits, 1);
    read(&none, unused()).await.unwrap();
    assert_eq!(
        decodes() - before,
        2,
        "without a local cache every read decodes"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_fetched_value_is_held_with_the_stamp_of_the_bytes_written() {
    let cache = reader(MemoryCache::new(64 << 20), Freshness::new(HOUR));
    let fetched = read(&cache, Ok(counted(&["BTCUSDT"]))).await.unwrap();
    assert_eq!(fetched.source, Source::Upstream);
    let before = decodes();
    let again = read(&cache, unused()).await.unwrap();
    assert!(
        Arc::ptr_eq(&fetched.value, &again.value),
        "the fetched value itself"
    );
    assert_eq!((decodes() - before, cache.stats().local_hits), (0, 1));
}

/// A served value's held stamp is that of the bytes it was read from, until another version
/// replaces it; a value not held (a copy, or one without a local cache) has none.
#[tokio::test(flavor = "current_thread")]
async fn a_served_value_is_known_by_the_stamp_it_is_held_with() {
    let backend = MemoryCache::new(64 << 20);
    let writer = reader(backend.clone(), Freshness::new(HOUR));
    let cache = reader(backend.clone(), Freshness::new(HOUR));
    writer
        .put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    let first = read(&cache, unused()).await.unwrap();
    let stored = envelope::stamp(&backend.get("k").await.unwrap().unwrap()).unwrap();
    assert_eq!(cache.held_stamp("k", &first.value).await, Some(stored));
    let copy = Arc::new(Counted::clone(&first.value));
    assert_eq!(
        cache.held_stamp("k", &copy).await,
        None,
        "a copy is not held"
    );
    assert_eq!(cache.held_stamp("other", &first.value).await, None);

    let second = writer
        .put_shared_stamped("k", Arc::new(counted(&["ETHUSDT"])))
        .await
        .unwrap();
    let now = read(&cache, unused()).await.unwrap();
    assert_eq!(cache.held_stamp("k", &now.value).await, Some(second));
    assert_eq!(cache.held_stamp("k", &first.value).await, None, "replaced");
    let plain = reader(backend, Freshness::new(HOUR)).without_local();
    let read_plain = read(&plain, unused()).await.unwrap();
    assert_eq!(plain.held_stamp("k", &read_plain.value).await, None);
}

/// Another value of the same length, written in the same millisecond: only the checksum in
/// the stamp differs, and the held value is not served for it.
#[tokio::test(flavor = "current_thread")]
async fn a_stamp_does_not_match_another_value_written_in_the_same_millisecond() {
    let backend = MemoryCache::new(64 << 20);
    let cache = reader(backend.clone(), Freshness::new(HOUR));
    cache
        .put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    let held = backend.get("k").await.unwrap().unwrap();
    let written_at = envelope::stamp(&held).unwrap().written_at();
    let other = Codec::msgpack().encode(&counted(&["ETHUSDT"])).unwrap();
    let other = restamp(other, written_at);
    assert_eq!(other.len(), held.len());
    assert_eq!(other[..24], held[..24], "all but the checksum alike");
    backend.set("k", other.into(), HOUR).await.unwrap();
    assert_eq!(read(&cache, unused()).await.unwrap().value.0, ["ETHUSDT"]);
    assert_eq!(cache.stats().local_hits, 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_key_removed_here_or_elsewhere_is_not_served_from_memory() {
    let backend = MemoryCache::new(64 << 20);
    let cache = reader(backend.clone(), Freshness::new(HOUR));
    cache
        .put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    backend.delete("k").await.unwrap();
    let refetched = read(&cache, Ok(counted(&["SOLUSDT"]))).await.unwrap();
    assert_eq!(
        (refetched.source, refetched.value.0.as_slice()),
        (Source::Upstream, &["SOLUSDT".to_owned()][..])
    );

    assert!(cache.remove("k").await.unwrap());
    let after_remove = read(&cache, Ok(counted(&["XRPUSDT"]))).await.unwrap();
    assert_eq!(after_remove.source, Source::Upstream);
    assert_eq!(cache.stats().local_hits, 0);
}

/// Past its fresh time, a held value whose stamp is still stored is the stale copy: served
/// when the fetch fails, without being decoded again.
#[tokio::test(flavor = "current_thread")]
async fn a_held_value_past_its_fresh_time_is_the_stale_copy() {
    let policy = Freshness::new(Duration::from_millis(30)).with_max_stale(HOUR);
    let cache = reader(MemoryCache::new(64 << 20), policy);
    cache
        .put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(40)).await;
    let before = decodes();
    let served = read(&cache, Err("HTTP 503".to_owned())).await.unwrap();
    assert_eq!(
        (served.source, served.value.0.as_slice()),
        (Source::Stale, &["BTCUSDT".to_owned()][..])
    );
    assert!(served.age >= Duration::from_millis(30));
    assert_eq!(decodes() - before, 0);
    let stats = cache.stats();
    assert_eq!(
        (stats.local_hits, stats.stale, stats.fetch_errors),
        (0, 1, 1)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_local_cache_stays_within_its_bound_under_many_keys() {
    const BOUND: u64 = 64 << 10;
    let local = LocalCache::new(BOUND);
    let cache = reader(MemoryCache::new(64 << 20), Freshness::new(HOUR)).with_local(local.clone());
    let value = Arc::new(Counted(vec!["x".repeat(1000)]));
    for i in 0..500 {
        cache
            .put_shared(&format!("key:{i}"), value.clone())
            .await
            .unwrap();
    }
    let size = local.weighted_size().await;
    assert!(size <= BOUND, "{size} bytes held, above {BOUND}");
    assert!(
        size > BOUND / 2,
        "{size} bytes held: the bound is hardly used"
    );
    let count = local.entry_count().await;
    assert!((32..=64).contains(&count), "{count} entries of about 1 KiB");
    assert!(
        cache.stats().local_evictions >= 500 - count,
        "{:?}",
        cache.stats()
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_weigher_sets_what_each_value_counts_against_the_bound() {
    const BOUND: u64 = 64 << 10;
    let local = LocalCache::new(BOUND);
    // Each value says it takes 8 KiB, whatever its few serialized bytes.
    let cache = reader(MemoryCache::new(64 << 20), Freshness::new(HOUR))
        .with_local(local.clone())
        .with_weigher(|value: &Counted| value.0.len() * (8 << 10));
    let fetched = |i: usize| async move { Ok(counted(&[&i.to_string()])) };
    for i in 0..64 {
        let key = format!("k{i}");
        cache.get(&key, || fetched(i)).await.unwrap();
    }
    let size = local.weighted_size().await;
    let count = local.entry_count().await;
    assert!(size <= BOUND, "{size} bytes held, above {BOUND}");
    assert!((4..=8).contains(&count), "{count} entries of 8 KiB each");
    // Keys are 2 or 3 bytes: every entry held weighs its key and the weigher's figure.
    assert!(
        (count * (8 << 10) + count * 2..=count * (8 << 10) + count * 3).contains(&size),
        "{size} bytes for {count} entries"
    );
}

/// A backend that can be made to fail every read, or only stamp reads.
#[derive(Clone)]
struct Faulty {
    inner: MemoryCache,
    down: Arc<AtomicBool>,
    prefix_down: Arc<AtomicBool>,
}

impl Faulty {
    fn check(&self, down: &AtomicBool) -> Result<()> {
        if down.load(Ordering::SeqCst) {
            return Err(Error::Unavailable {
                message: "down for the test".into(),
                source: None,
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Cache for Faulty {
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.check(&self.down)?;
        self.inner.get(key).await
    }
    async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
        self.check(&self.down)?;
        self.check(&self.prefix_down)?;
        self.inner.get_prefix(key, len).await
    }
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
        self.check(&self.down)?;
        self.inner.set(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key).await
    }
    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        self.inner.ttl(key).await
    }
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
        self.inner.get_many(keys).await
    }
    async fn set_many(&self, entries: Vec<Entry>) -> Result<()> {
        self.inner.set_many(entries).await
    }
    fn max_ttl(&self) -> Duration {
        self.inner.max_ttl()
    }
}

fn faulty() -> Faulty {
    Faulty {
        inner: MemoryCache::new(64 << 20),
        down: Arc::default(),
        prefix_down: Arc::default(),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_cache_that_cannot_be_read_never_gets_a_held_value_served() {
    let backend = faulty();
    let cache = reader(backend.clone(), Freshness::new(HOUR).with_max_stale(HOUR));
    cache
        .put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    backend.down.store(true, Ordering::SeqCst);

    let failed = read(&cache, Err("HTTP 503".to_owned())).await.unwrap_err();
    assert_eq!(failed.to_string(), "HTTP 503");
    let fetched = read(&cache, Ok(counted(&["ETHUSDT"]))).await.unwrap();
    assert_eq!(
        (fetched.source, fetched.value.0.as_slice()),
        (Source::Upstream, &["ETHUSDT".to_owned()][..])
    );
    let stats = cache.stats();
    assert_eq!((stats.local_hits, stats.validations), (0, 2));

    backend.down.store(false, Ordering::SeqCst);
    let back = read(&cache, unused()).await.unwrap();
    assert_eq!(
        (back.source, back.value.0.as_slice()),
        (Source::Cache, &["BTCUSDT".to_owned()][..])
    );
    assert_eq!(
        cache.stats().local_hits,
        1,
        "the held value is current again"
    );
}

/// A stamp that cannot be read sends the read to the whole entry, which is decoded.
#[tokio::test(flavor = "current_thread")]
async fn a_failed_stamp_read_falls_back_to_reading_the_entry() {
    let backend = faulty();
    let cache = reader(backend.clone(), Freshness::new(HOUR));
    cache
        .put_shared("k", Arc::new(counted(&["BTCUSDT"])))
        .await
        .unwrap();
    backend.prefix_down.store(true, Ordering::SeqCst);
    let before = decodes();
    let read_whole = read(&cache, unused()).await.unwrap();
    assert_eq!((read_whole.source, decodes() - before), (Source::Cache, 1));
    let stats = cache.stats();
    assert_eq!(
        (stats.local_hits, stats.validations, stats.cache_errors),
        (0, 1, 1)
    );
}
