//! The fetch deadline bounds the upstream call, not the vetting and storing of an answer
//! that came in time.

use std::sync::Arc;
use std::time::Duration;

use bybit_client::testing::fixtures::{LINEAR_214, values};
use bybit_client::{Category, InstrumentList, InstrumentSource, InstrumentsQuery};
use cache_core::MemoryCache;
use cache_policy::FetchTimeouts;
use market_data::{Error, Market, MarketData, Policy, Source};
use serde_json::Value;

/// The real recorded list, answered after `delay`.
struct Slow {
    list: InstrumentList,
    delay: Duration,
}

#[async_trait::async_trait]
impl InstrumentSource for Slow {
    async fn instruments(
        &self,
        _: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        tokio::time::sleep(self.delay).await;
        Ok(self.list.clone())
    }
}

fn slow(delay: Duration) -> Arc<Slow> {
    let contracts = serde_json::from_value(Value::Array(values(LINEAR_214))).unwrap();
    Arc::new(Slow {
        list: InstrumentList::Linear(contracts),
        delay,
    })
}

fn within(hard: Duration) -> Policy {
    Policy::default().with_timeouts(FetchTimeouts::default().with_hard(hard))
}

#[tokio::test(start_paused = true)]
async fn an_upstream_past_the_deadline_is_a_deadline_error() {
    let source = slow(Duration::from_secs(600));
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        source,
        within(Duration::from_secs(30)),
    );
    let linear = Market::new(Category::Linear).unwrap();
    match data.symbols(&linear).await {
        Err(Error::Deadline(after)) => assert_eq!(after, Duration::from_secs(30)),
        other => panic!("expected the deadline, got {other:?}"),
    }
    assert!(
        data.settle(Duration::ZERO).await,
        "the abandoned fetch left nothing in flight"
    );
}

#[tokio::test(start_paused = true)]
async fn an_answer_in_time_is_stored_whatever_the_deadline_left() {
    let source = slow(Duration::from_millis(29_990));
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        source,
        within(Duration::from_secs(30)),
    );
    let linear = Market::new(Category::Linear).unwrap();
    let fetched = data.instruments(&linear).await.unwrap();
    assert_eq!(
        (fetched.source, fetched.value.len()),
        (Source::Upstream, 214)
    );
    let again = data.symbols(&linear).await.unwrap();
    assert_eq!(again.source, Source::Cache, "every dataset was stored");
}

#[tokio::test(start_paused = true)]
async fn waiting_on_a_peer_and_fetching_share_one_deadline() {
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let hard = Duration::from_secs(30);
    let linear = Market::new(Category::Linear).unwrap();
    // A holder that hangs longer than the waiter's whole deadline.
    let holder = MarketData::new(
        cache.clone(),
        slow(Duration::from_secs(600)),
        within(Duration::from_secs(3600)),
    );
    let waiter = MarketData::new(cache, slow(Duration::from_secs(600)), within(hard));
    let holding = tokio::spawn({
        let linear = linear.clone();
        async move { holder.symbols(&linear).await.map(|_| ()) }
    });
    // The holder has taken the lease when its fetch is under way.
    tokio::time::sleep(Duration::from_millis(10)).await;

    let started = tokio::time::Instant::now();
    let waited = waiter.symbols(&linear).await;
    assert!(
        matches!(waited, Err(Error::Deadline(_))),
        "expected the deadline, got {waited:?}"
    );
    assert!(
        started.elapsed() <= hard + Duration::from_millis(100),
        "the wait and the fetch took {:?} of one {hard:?} deadline",
        started.elapsed()
    );
    assert!(
        waiter.stats().fleet.lost >= 1,
        "the waiter waited on the holder"
    );
    holding.abort();
}
