//! MarketData with a mocked cache and a mocked source: what it asks of each, and what it
//! does when either fails.

use std::sync::Arc;
use std::time::Duration;

use bybit_client::testing::fixtures::{LINEAR_214, values};
use bybit_client::{Category, InstrumentList, MockInstrumentSource};
use cache_core::{Error as CacheError, MockCache};
use market_data::{Error, Market, MarketData, Policy, Source};

fn linear_list() -> InstrumentList {
    let list = serde_json::json!({ "category": "linear", "list": values(LINEAR_214) });
    serde_json::from_value(list).unwrap()
}

fn down() -> CacheError {
    CacheError::unavailable("connection refused", std::io::Error::other("refused"))
}

#[tokio::test]
async fn a_cache_that_is_down_never_breaks_a_call_the_upstream_answers() {
    let mut cache = MockCache::new();
    cache
        .expect_max_ttl()
        .return_const(Duration::from_secs(86400 * 365));
    cache.expect_get().returning(|_| Err(down()));
    cache.expect_set().times(3).returning(|_, _, _| Err(down()));
    let mut source = MockInstrumentSource::new();
    source
        .expect_instruments()
        .withf(|query| query.category == Category::Linear)
        .times(1)
        .returning(|_| Ok(linear_list()));

    let data = MarketData::new(Arc::new(cache), Arc::new(source), Policy::default());
    let symbols = data
        .symbols(&Market::new(Category::Linear).unwrap())
        .await
        .unwrap();
    assert_eq!(symbols.source, Source::Upstream);
    assert_eq!(symbols.value.len(), 214);
    assert!(data.stats().total().cache_errors >= 3, "{:?}", data.stats());
}

#[tokio::test]
async fn an_upstream_failure_with_nothing_cached_is_an_error_and_writes_nothing() {
    let mut cache = MockCache::new();
    cache
        .expect_max_ttl()
        .return_const(Duration::from_secs(86400 * 365));
    cache.expect_get().returning(|_| Ok(None));
    // Only the fleet's back-off marker, beside the lease: no data.
    cache
        .expect_set()
        .withf(|key, _, _| key.ends_with(":failed"))
        .times(1)
        .returning(|_, _, _| Ok(()));
    let mut source = MockInstrumentSource::new();
    source.expect_instruments().times(1).returning(|_| {
        Err(bybit_client::Error::Api {
            ret_code: 10016,
            ret_msg: "server error".into(),
        })
    });

    let data = MarketData::new(Arc::new(cache), Arc::new(source), Policy::default());
    let err = data
        .instruments(&Market::new(Category::Linear).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Upstream(_)), "{err:?}");
    assert!(err.to_string().contains("10016"), "{err}");
}

#[tokio::test]
async fn funding_intervals_of_spot_and_options_without_a_coin_are_refused_up_front() {
    let data = MarketData::new(
        Arc::new(MockCache::new()),
        Arc::new(MockInstrumentSource::new()),
        Policy::default(),
    );
    let spot = Market::new(Category::Spot).unwrap();
    let err = data.funding_intervals(&spot).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                category: Category::Spot,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        Market::new(Category::Option),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(Market::option("btc").unwrap().to_string(), "option-BTC");
}
