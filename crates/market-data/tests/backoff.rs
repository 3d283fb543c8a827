//! The fleet's shared back-off: after a failed fetch, no process sharing the cache asks
//! Bybit again before the pause is over; readers are served their stale copy, or told when
//! the next attempt is, at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bybit_client::testing::fixtures::{LINEAR_214, values};
use bybit_client::{Category, InstrumentList, InstrumentSource, InstrumentsQuery};
use cache_core::MemoryCache;
use market_data::{Dataset, Error, Market, MarketData, Policy, Source};
use serde_json::Value;

/// The recorded list, or `status` for every call while `failing`; counts the calls.
struct Upstream {
    list: InstrumentList,
    status: u16,
    failing: AtomicBool,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl InstrumentSource for Upstream {
    async fn instruments(
        &self,
        _: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(bybit_client::Error::Http {
                status: self.status,
                body: "failing".into(),
            });
        }
        Ok(self.list.clone())
    }
}

fn upstream(status: u16, failing: bool) -> Arc<Upstream> {
    let contracts = serde_json::from_value(Value::Array(values(LINEAR_214))).unwrap();
    Arc::new(Upstream {
        list: InstrumentList::Linear(contracts),
        status,
        failing: AtomicBool::new(failing),
        calls: AtomicUsize::new(0),
    })
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

#[tokio::test]
async fn processes_sharing_a_cache_ask_a_failing_bybit_once_per_pause() {
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let bybit = upstream(500, true);
    let fleet: Vec<MarketData> = (0..3)
        .map(|_| MarketData::new(cache.clone(), bybit.clone(), Policy::default()))
        .collect();

    let started = Instant::now();
    let mut backing_off = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        for data in &fleet {
            match data.symbols(&linear()).await {
                Err(Error::BackingOff { retry_in, .. }) => {
                    assert!(retry_in <= Duration::from_secs(60));
                    backing_off += 1;
                }
                Err(Error::Upstream(_)) => {}
                other => panic!("expected a failure, got {other:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Pauses of at least 1 s and 2 s after the first and second failures: no more than
    // two calls fit in 2.5 s.
    let calls = bybit.calls.load(Ordering::SeqCst);
    assert!((1..=2).contains(&calls), "{calls} calls to a failing Bybit");
    assert!(backing_off > 50, "readers were told at once: {backing_off}");
}

#[tokio::test]
async fn a_ban_silences_every_process_and_the_cached_copy_is_served_meanwhile() {
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let bybit = upstream(403, false);
    let policy = Policy::default()
        .with_ttl(Dataset::Instruments, Duration::from_millis(100))
        .with_ttl(Dataset::Symbols, Duration::from_millis(100))
        .with_stale_while_revalidate(Duration::ZERO);
    let first = MarketData::new(cache.clone(), bybit.clone(), policy.clone());
    assert_eq!(
        first.symbols(&linear()).await.unwrap().source,
        Source::Upstream
    );
    bybit.failing.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let served = first.symbols(&linear()).await.unwrap();
    assert_eq!(
        served.source,
        Source::Stale,
        "the ban is met with the stale copy"
    );
    let calls = bybit.calls.load(Ordering::SeqCst);

    // A process started during the ban: served from the cache, Bybit not asked.
    let newcomer = MarketData::new(cache.clone(), bybit.clone(), policy);
    for _ in 0..5 {
        let served = newcomer.symbols(&linear()).await.unwrap();
        assert_eq!(served.source, Source::Stale);
        assert_eq!(served.value.len(), 214);
    }
    assert_eq!(
        bybit.calls.load(Ordering::SeqCst),
        calls,
        "nobody asks during the ban"
    );
}

#[tokio::test]
async fn with_nothing_cached_the_reader_is_told_when_the_next_attempt_is() {
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let bybit = upstream(403, true);
    let data = MarketData::new(cache.clone(), bybit.clone(), Policy::default());
    assert!(matches!(
        data.instruments(&linear()).await,
        Err(Error::Upstream(_))
    ));
    let other = MarketData::new(cache, bybit.clone(), Policy::default());
    match other.instruments(&linear()).await {
        Err(error @ Error::BackingOff { retry_in, .. }) => {
            assert!(retry_in > Duration::from_secs(9 * 60), "{retry_in:?}");
            assert!(error.to_string().contains("next attempt in"), "{error}");
            assert!(error.to_string().contains("HTTP 403"), "{error}");
        }
        other => panic!("expected the back-off, got {other:?}"),
    }
    assert_eq!(bybit.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_process_that_cannot_reach_the_cache_still_backs_off_on_its_own() {
    let down =
        || cache_core::Error::unavailable("connection refused", std::io::Error::other("refused"));
    let mut cache = cache_core::MockCache::new();
    cache
        .expect_max_ttl()
        .return_const(Duration::from_secs(86400 * 365));
    cache.expect_get().returning(move |_| Err(down()));
    cache.expect_set().returning(move |_, _, _| Err(down()));
    let bybit = upstream(403, true);
    let data = MarketData::new(Arc::new(cache), bybit.clone(), Policy::default());
    assert!(matches!(
        data.symbols(&linear()).await,
        Err(Error::Upstream(_))
    ));
    for _ in 0..5 {
        let read = data.symbols(&linear()).await;
        assert!(matches!(read, Err(Error::BackingOff { .. })), "{read:?}");
    }
    assert_eq!(bybit.calls.load(Ordering::SeqCst), 1, "Bybit asked once");
}
