//! `MarketData::watch`: a snapshot, then each change of Bybit's list once, seen alike by an
//! instance that fetched it and one that read it from the shared cache.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bybit_client::models::Status;
use bybit_client::testing::{MockBybit, fixtures};
use bybit_client::{
    BybitClient, Category, Change, ClientConfig, InstrumentList, InstrumentSource, InstrumentsQuery,
};
use cache_core::testing::restamp;
use cache_core::{Cache, MemoryCache};
use futures_util::{Stream, StreamExt};
use market_data::{Dataset, Market, MarketData, MarketEvent, Policy};

const TTL: Duration = Duration::from_millis(400);
const EVERY: Duration = Duration::from_millis(20);
/// Far beyond what the changes take to be seen; catches a watch that never sees them.
const HANG_BOUND: Duration = Duration::from_secs(20);

fn instance(cache: &MemoryCache, bybit: &MockBybit) -> MarketData {
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap());
    let policy = Policy::default().with_ttl(Dataset::Instruments, TTL);
    MarketData::new(Arc::new(cache.clone()), client, policy)
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

async fn next(events: &mut (impl Stream<Item = MarketEvent> + Unpin)) -> MarketEvent {
    tokio::time::timeout(HANG_BOUND, events.next())
        .await
        .expect("an event in time")
        .expect("a watch never ends")
}

/// The next `n` changes, whatever else comes between.
async fn changes(
    events: &mut (impl Stream<Item = MarketEvent> + Unpin),
    n: usize,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    while seen.len() < n {
        match next(events).await {
            MarketEvent::Change { change, .. } => {
                assert!(seen.insert(change.to_string()), "seen twice: {change}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_see_the_same_changes_once() {
    let bybit = MockBybit::start().await;
    let cache = MemoryCache::new(64 << 20);
    let (a, b) = (instance(&cache, &bybit), instance(&cache, &bybit));
    let started = std::time::Instant::now();
    let mut watch_a = Box::pin(a.watch_every(&linear(), EVERY));
    let mut watch_b = Box::pin(b.watch_every(&linear(), EVERY));
    for events in [&mut watch_a, &mut watch_b] {
        assert!(matches!(
            next(events).await,
            MarketEvent::Snapshot { count: 214, .. }
        ));
    }

    let listed = bybit.instruments(Category::Linear)[0].clone();
    let mut listed = listed;
    listed["symbol"] = "NEWUSDT".into();
    bybit.list_instrument(Category::Linear, listed);
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    assert!(bybit.set_status(Category::Linear, "ETHUSDT", Status::Closed));
    assert!(bybit.set_tick_size(Category::Linear, "XRPUSDT", "0.00005"));
    let expected: BTreeSet<String> = [
        Change::Listed {
            symbol: "NEWUSDT".into(),
        },
        Change::Delisted {
            symbol: "BTCUSDT".into(),
        },
        Change::Status {
            symbol: "ETHUSDT".into(),
            from: Some(Status::Trading),
            to: Some(Status::Closed),
        },
        Change::Changed {
            symbol: "XRPUSDT".into(),
            fields: vec!["priceFilter.tickSize".into()],
        },
    ]
    .iter()
    .map(ToString::to_string)
    .collect();

    assert_eq!(changes(&mut watch_a, 4).await, expected);
    assert_eq!(changes(&mut watch_b, 4).await, expected);
    // Nothing more: later refreshes bring the same list.
    for events in [&mut watch_a, &mut watch_b] {
        let more = tokio::time::timeout(TTL * 3, events.next()).await;
        assert!(more.is_err(), "{more:?}");
    }
    // Between them, about one fetch per refresh-ahead period (80 % of the TTL), not one each.
    let fetches = (a.stats().upstream_fetches + b.stats().upstream_fetches) as f64;
    let periods = started.elapsed().as_secs_f64() / (TTL.as_secs_f64() * 0.8);
    assert!(
        fetches <= periods + 2.0,
        "{fetches} fetches in {periods} periods"
    );
}

/// Answers nothing: the watch below reads only what the test writes.
struct Down;

#[async_trait::async_trait]
impl InstrumentSource for Down {
    async fn instruments(
        &self,
        _: &InstrumentsQuery,
    ) -> Result<InstrumentList, bybit_client::Error> {
        Err(bybit_client::Error::Http {
            status: 503,
            body: "down for the test".into(),
        })
    }
}

/// The recorded linear instruments `from..to`.
fn slice(from: usize, to: usize) -> InstrumentList {
    let values = fixtures::values(fixtures::LINEAR_214);
    fixtures::typed_list(Category::Linear, &values[from..to]).unwrap()
}

fn symbol(at: usize) -> String {
    fixtures::values(fixtures::LINEAR_214)[at]["symbol"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Writers whose clocks differ store versions of the list one after the other, each
/// stamped earlier than the one before by its writer's clock: each is new all the same,
/// and its changes are yielded once, version after version. A version seen before, read
/// again, yields nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_ordered_as_stored_whatever_the_writers_clocks() {
    const HOUR: Duration = Duration::from_secs(3600);
    let cache = MemoryCache::new(64 << 20);
    let policy = Policy::default().with_ttl(Dataset::Instruments, HOUR);
    let data = MarketData::new(Arc::new(cache.clone()), Arc::new(Down), policy);
    let key = data.key(Dataset::Instruments, &linear());
    let codec = data.policy().dataset(Dataset::Instruments).codec;
    let stored = |list: &InstrumentList, at: SystemTime| restamp(codec.encode(list).unwrap(), at);
    let now = SystemTime::now();
    let (v1, v2, v3) = (
        // By a writer whose clock is right.
        stored(&slice(0, 100), now - Duration::from_secs(1)),
        // Later, by one whose clock is 10 s behind.
        stored(&slice(1, 101), now - Duration::from_secs(10)),
        // Later still, by one 20 s behind.
        stored(&slice(2, 102), now - Duration::from_secs(20)),
    );
    let write = |bytes: &Vec<u8>| cache.set(&key, bytes.clone().into(), HOUR);

    write(&v1).await.unwrap();
    let mut events = Box::pin(data.watch_every(&linear(), EVERY));
    assert!(matches!(
        next(&mut events).await,
        MarketEvent::Snapshot { count: 100, .. }
    ));
    write(&v2).await.unwrap();
    let expected = |gone: usize, new: usize| -> BTreeSet<String> {
        [
            Change::Delisted {
                symbol: symbol(gone),
            },
            Change::Listed {
                symbol: symbol(new),
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect()
    };
    assert_eq!(changes(&mut events, 2).await, expected(0, 100));
    write(&v3).await.unwrap();
    assert_eq!(changes(&mut events, 2).await, expected(1, 101));

    // The second version again, as a read that raced a write would serve it: seen already.
    write(&v2).await.unwrap();
    let more = tokio::time::timeout(EVERY * 20, events.next()).await;
    assert!(more.is_err(), "{more:?}");
    assert_eq!(data.stats().upstream_fetches, 0, "only what was written");
}

#[test]
fn events_print_as_one_flat_json_object() {
    let market = linear();
    let status = MarketEvent::Change {
        market: market.clone(),
        change: Change::Status {
            symbol: "ETHUSDT".into(),
            from: Some(Status::Trading),
            to: Some(Status::Closed),
        },
    };
    let json = serde_json::to_string(&status).unwrap();
    assert_eq!(
        json,
        r#"{"event":"status","category":"linear","symbol":"ETHUSDT","from":"Trading","to":"Closed"}"#
    );
    let snapshot = MarketEvent::Snapshot { market, count: 214 };
    assert_eq!(
        serde_json::to_string(&snapshot).unwrap(),
        r#"{"event":"snapshot","category":"linear","count":214}"#
    );
    let option = MarketEvent::Change {
        market: Market::option("BTC").unwrap(),
        change: Change::Changed {
            symbol: "BTC-1JAN27-1000-C".into(),
            fields: vec!["priceFilter.tickSize".into()],
        },
    };
    assert_eq!(
        serde_json::to_string(&option).unwrap(),
        r#"{"event":"changed","category":"option","baseCoin":"BTC","symbol":"BTC-1JAN27-1000-C","fields":["priceFilter.tickSize"]}"#
    );
}
