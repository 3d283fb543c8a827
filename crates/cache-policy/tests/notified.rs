//! Local caches that follow the backend's notifications: served without a round trip while
//! nothing is announced, dropped on an announced change (a value of the same length and
//! millisecond included), validated on every read while the subscription is down and once
//! again after it is back, re-read when a change was never announced, within their byte
//! bound, and unsubscribed when dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::envelope;
use cache_core::testing::restamp;
use cache_core::{
    Cache, Codec, Entry, MemoryCache, Notifications, Result, Subscribers, Subscription, TypedCache,
};
use cache_policy::{Freshness, LocalCache, ReadThrough, Source};

const HOUR: Duration = Duration::from_secs(3600);

type Symbols<C> = ReadThrough<Vec<String>, String, C>;

fn reader<C: Cache + Clone + 'static>(backend: C, local: LocalCache) -> Symbols<C> {
    ReadThrough::new(
        TypedCache::new(backend, Codec::msgpack()),
        Freshness::new(HOUR),
    )
    .with_local(local)
}

fn followed(backend: &impl Cache) -> LocalCache {
    let local = LocalCache::new(16 << 20);
    assert!(local.follow(backend), "the backend has notifications");
    local
}

fn list(names: &[&str]) -> Arc<Vec<String>> {
    Arc::new(names.iter().map(|&n| n.to_owned()).collect())
}

async fn read<C: Cache + Clone + 'static>(cache: &Symbols<C>, key: &str) -> Vec<String> {
    let unused = || async { Err("the upstream is not called".to_owned()) };
    let found = cache.get(key, unused).await.unwrap();
    assert_eq!(found.source, Source::Cache);
    found.value.to_vec()
}

#[tokio::test]
async fn held_values_are_served_on_notices_and_dropped_on_announced_changes() {
    let backend = MemoryCache::new(64 << 20);
    let a = reader(backend.clone(), followed(&backend));
    let b = reader(backend.clone(), followed(&backend));
    assert!(b.local().unwrap().is_notified());

    a.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    for _ in 0..5 {
        assert_eq!(read(&b, "k").await, ["BTCUSDT"]);
    }
    let stats = b.stats();
    // Read in full, validated once, then four reads on notices alone.
    assert_eq!(
        (stats.local_hits, stats.validations, stats.notified_hits),
        (4, 1, 3),
        "{stats:?}"
    );

    a.put_shared("k", list(&["ETHUSDT"])).await.unwrap();
    // This runtime has one thread: the task that drops announced values runs now.
    tokio::task::yield_now().await;
    assert_eq!(b.stats().notices, 1, "{:?}", b.stats());
    assert_eq!(read(&b, "k").await, ["ETHUSDT"], "announced to b at once");

    // Same length, same millisecond: the announced stamp differs in its checksum alone.
    assert_eq!(read(&b, "k").await, ["ETHUSDT"]);
    let held = backend.get("k").await.unwrap().unwrap();
    let written_at = envelope::stamp(&held).unwrap().written_at();
    let other = restamp(Codec::msgpack().encode(&["SOLUSDT"]).unwrap(), written_at);
    assert_eq!((other.len(), &other[..24]), (held.len(), &held[..24]));
    backend.set("k", other.into(), HOUR).await.unwrap();
    assert_eq!(read(&b, "k").await, ["SOLUSDT"]);
    assert_eq!(read(&a, "k").await, ["SOLUSDT"]);

    assert!(a.remove("k").await.unwrap());
    let refetched = b
        .get("k", || async { Ok(vec!["XRPUSDT".to_owned()]) })
        .await;
    assert_eq!(refetched.unwrap().source, Source::Upstream);
    assert!(b.stats().notices > 0, "{:?}", b.stats());
    assert_eq!(b.stats().fallbacks, 0, "the memory backend is always up");
}

/// A memory backend whose announcements the test turns off and on, as a lost Redis
/// subscription would: while off, changes are not announced.
#[derive(Clone)]
struct Flaky {
    inner: MemoryCache,
    subscribers: Subscribers,
    /// Loses every announcement while set, the subscription still up.
    muted: Arc<AtomicBool>,
    _inner_subscription: Arc<Subscription>,
}

impl Flaky {
    fn new() -> Self {
        let inner = MemoryCache::new(64 << 20);
        let subscribers = Subscribers::new(true);
        let relay = subscribers.clone();
        let muted = Arc::new(AtomicBool::new(false));
        let mute = muted.clone();
        let subscription = inner.notifications().unwrap().subscribe(Arc::new(move |s| {
            if relay.is_up() && !mute.load(Ordering::SeqCst) && s.key().is_some() {
                relay.announce(s);
            }
        }));
        Self {
            inner,
            subscribers,
            muted,
            _inner_subscription: Arc::new(subscription),
        }
    }
}

#[async_trait]
impl Cache for Flaky {
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.inner.get(key).await
    }
    async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
        self.inner.get_prefix(key, len).await
    }
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
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
    fn notifications(&self) -> Option<&dyn Notifications> {
        Some(self)
    }
}

impl Notifications for Flaky {
    fn subscribe(&self, listener: cache_core::Listener) -> Subscription {
        self.subscribers.subscribe(listener)
    }
}

#[tokio::test]
async fn while_the_subscription_is_down_reads_validate_and_after_it_every_value_is_checked_again() {
    let backend = Flaky::new();
    let writer = reader(backend.clone(), LocalCache::new(1 << 20));
    let cache = reader(backend.clone(), followed(&backend));
    writer.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    writer.put_shared("j", list(&["ADAUSDT"])).await.unwrap();
    for _ in 0..3 {
        assert_eq!(read(&cache, "k").await, ["BTCUSDT"]);
        assert_eq!(read(&cache, "j").await, ["ADAUSDT"]);
    }
    let before = cache.stats();
    assert_eq!((before.validations, before.notified_hits), (2, 2));

    backend.subscribers.set_up(false);
    assert!(!cache.local().unwrap().is_notified());
    writer.put_shared("k", list(&["ETHUSDT"])).await.unwrap();
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"], "seen by validation");
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    let down = cache.stats();
    assert_eq!(down.notified_hits, before.notified_hits, "{down:?}");
    assert_eq!(down.fallbacks, 2, "{down:?}");
    assert_eq!(down.validations, before.validations + 2, "{down:?}");

    // Back up: every value held, validated or not while down, is checked once more.
    writer.put_shared("j", list(&["DOTUSDT"])).await.unwrap();
    backend.subscribers.set_up(true);
    assert_eq!(
        read(&cache, "j").await,
        ["DOTUSDT"],
        "unannounced, yet seen"
    );
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    let up = cache.stats();
    assert_eq!(up.fallbacks, down.fallbacks, "{up:?}");
    assert_eq!(up.validations, down.validations + 2, "{up:?}");
    assert_eq!(up.notified_hits, down.notified_hits + 1, "{up:?}");
}

#[tokio::test]
async fn a_change_never_announced_is_seen_once_the_value_is_due_for_a_check() {
    let backend = Flaky::new();
    let local = followed(&backend).with_recheck_after(Duration::from_millis(100));
    let cache = reader(backend.clone(), local);
    cache.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    assert_eq!(read(&cache, "k").await, ["BTCUSDT"]);
    assert_eq!(read(&cache, "k").await, ["BTCUSDT"]);
    assert_eq!(cache.stats().notified_hits, 1);

    // Lost on its way, while the subscription looks up.
    backend.muted.store(true, Ordering::SeqCst);
    let writer = reader(backend.clone(), LocalCache::new(1 << 20));
    writer.put_shared("k", list(&["ETHUSDT"])).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = read(&cache, "k").await;
        if seen == ["ETHUSDT"] {
            break;
        }
        assert_eq!(seen, ["BTCUSDT"]);
        assert!(tokio::time::Instant::now() < deadline, "never seen");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(cache.stats().fallbacks, 0, "{:?}", cache.stats());
}

#[tokio::test]
async fn a_followed_local_cache_keeps_its_bound_and_unsubscribes_when_dropped() {
    const BOUND: u64 = 32 << 10;
    let backend = Flaky::new();
    let local = LocalCache::new(BOUND);
    assert!(local.follow(&backend));
    assert_eq!(backend.subscribers.len(), 1);
    let cache = reader(backend.clone(), local.clone());
    let value = Arc::new(vec!["x".repeat(500)]);
    for i in 0..200 {
        let key = format!("k{i}");
        cache.put_shared(&key, value.clone()).await.unwrap();
        read(&cache, &key).await;
        read(&cache, &key).await;
    }
    let size = local.weighted_size().await;
    assert!(
        size <= BOUND && size > BOUND / 2,
        "{size} bytes held, bound {BOUND}"
    );
    assert!(cache.stats().local_evictions > 0);
    assert!(cache.stats().notified_hits > 0);

    drop((local, cache));
    assert_eq!(
        backend.subscribers.len(),
        0,
        "unsubscribed with the last clone"
    );
}

#[tokio::test]
async fn a_backend_without_notifications_is_not_followed() {
    let backend = Arc::new(cache_core::MockCache::new());
    let local = LocalCache::new(1 << 20);
    assert!(!local.follow(&backend));
    assert!(!local.is_notified());
}
