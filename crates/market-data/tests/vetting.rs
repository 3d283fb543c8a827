//! An upstream answer that would wipe or gut a good cached list is refused like a failed
//! fetch: the stale copy is served and nothing is stored.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bybit_client::testing::MockBybit;
use bybit_client::{
    BybitClient, Category, ClientConfig, InstrumentList, InstrumentSource, InstrumentsQuery,
};
use cache_core::{Cache, MemoryCache};
use market_data::{Dataset, Error, Market, MarketData, Policy, Source};

/// What the source makes of the real list before answering it.
type Edit = fn(InstrumentList) -> InstrumentList;

/// Answers the real recorded list, then whatever `answer` makes of it.
struct Shrinking {
    full: InstrumentList,
    answer: Mutex<Option<Edit>>,
}

impl Shrinking {
    async fn new() -> Arc<Self> {
        let bybit = MockBybit::start().await;
        let client = BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap();
        let full = client
            .instruments(&InstrumentsQuery::new(Category::Linear))
            .await
            .unwrap();
        Arc::new(Self {
            full,
            answer: Mutex::new(None),
        })
    }

    fn answer(&self, answer: Edit) {
        *self.answer.lock().unwrap() = Some(answer);
    }
}

#[async_trait::async_trait]
impl InstrumentSource for Shrinking {
    async fn instruments(
        &self,
        _: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        let answer = *self.answer.lock().unwrap();
        Ok(answer.map_or_else(|| self.full.clone(), |shrink| shrink(self.full.clone())))
    }
}

fn empty(_: InstrumentList) -> InstrumentList {
    InstrumentList::Linear(Vec::new())
}

fn a_third(list: InstrumentList) -> InstrumentList {
    match list {
        InstrumentList::Linear(mut contracts) => {
            contracts.truncate(contracts.len() / 3);
            InstrumentList::Linear(contracts)
        }
        other => other,
    }
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

const TTL: Duration = Duration::from_millis(100);

fn short_lived(policy: Policy) -> Policy {
    Dataset::ALL
        .into_iter()
        .fold(policy, |policy, dataset| policy.with_ttl(dataset, TTL))
}

#[tokio::test]
async fn an_empty_answer_serves_the_stale_copy_and_stores_nothing() {
    let source = Shrinking::new().await;
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        source.clone(),
        short_lived(Policy::default()),
    );
    assert_eq!(data.symbols(&linear()).await.unwrap().value.len(), 214);
    tokio::time::sleep(TTL * 3).await;

    source.answer(empty);
    for _ in 0..2 {
        let symbols = data.symbols(&linear()).await.unwrap();
        assert_eq!(symbols.source, Source::Stale);
        assert_eq!(symbols.value.len(), 214);
        let instruments = data.instruments(&linear()).await.unwrap();
        assert_eq!(
            (instruments.source, instruments.value.len()),
            (Source::Stale, 214)
        );
    }
    assert!(data.stats().upstream_fetches >= 2, "asked again each time");
}

#[tokio::test]
async fn an_empty_answer_to_a_reader_that_wants_no_stale_copy_is_a_clear_error() {
    let source = Shrinking::new().await;
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let writer = MarketData::new(
        cache.clone(),
        source.clone(),
        short_lived(Policy::default()),
    );
    writer.symbols(&linear()).await.unwrap();
    tokio::time::sleep(TTL * 3).await;
    source.answer(empty);

    let strict = MarketData::new(
        cache,
        source,
        short_lived(Policy::default().with_max_stale(Duration::ZERO)),
    );
    match strict.symbols(&linear()).await {
        Err(Error::Refused(refusal)) => {
            assert_eq!((refusal.answered, refusal.cached), (0, 214));
            assert_eq!(refusal.market, linear());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let kept = writer.instruments(&linear()).await.unwrap();
    assert_eq!(
        (kept.source, kept.value.len()),
        (Source::Stale, 214),
        "nothing stored"
    );
}

#[tokio::test]
async fn an_empty_answer_is_refused_while_only_the_symbols_are_cached() {
    let source = Shrinking::new().await;
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let data = MarketData::new(
        cache.clone(),
        source.clone(),
        short_lived(Policy::default()),
    );
    data.symbols(&linear()).await.unwrap();
    // As when the instruments entry, kept a shorter time, is gone before the symbols.
    let instruments = data.key(Dataset::Instruments, &linear());
    assert!(cache.delete(&instruments).await.unwrap());
    tokio::time::sleep(TTL * 3).await;
    source.answer(empty);

    let symbols = data.symbols(&linear()).await.unwrap();
    assert_eq!((symbols.source, symbols.value.len()), (Source::Stale, 214));
}

#[tokio::test]
async fn an_empty_list_is_stored_when_nothing_was_cached() {
    let source = Shrinking::new().await;
    source.answer(empty);
    let data = MarketData::new(
        Arc::new(MemoryCache::new(64 << 20)),
        source,
        Policy::default(),
    );
    let symbols = data.symbols(&linear()).await.unwrap();
    assert_eq!((symbols.source, symbols.value.len()), (Source::Upstream, 0));
    let again = data.symbols(&linear()).await.unwrap();
    assert_eq!(again.source, Source::Cache, "stored");
}

#[tokio::test]
async fn a_large_shrink_is_refused_only_when_the_policy_says_so() {
    for (policy, refused) in [
        (Policy::default(), false),
        (Policy::default().with_max_shrink(0.5).unwrap(), true),
    ] {
        let source = Shrinking::new().await;
        let data = MarketData::new(
            Arc::new(MemoryCache::new(64 << 20)),
            source.clone(),
            short_lived(policy),
        );
        data.symbols(&linear()).await.unwrap();
        tokio::time::sleep(TTL * 3).await;
        source.answer(a_third);
        let symbols = data.symbols(&linear()).await.unwrap();
        let expected = if refused {
            (Source::Stale, 214)
        } else {
            (Source::Upstream, 71)
        };
        assert_eq!(
            (symbols.source, symbols.value.len()),
            expected,
            "refusing: {refused}"
        );
    }
}

#[test]
fn the_shrink_limit_is_a_fraction() {
    assert!(Policy::default().with_max_shrink(1.5).is_err());
    assert!(Policy::default().with_max_shrink(-0.1).is_err());
    assert!(Policy::default().with_max_shrink(f64::NAN).is_err());
}
