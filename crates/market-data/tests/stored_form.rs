//! What the instruments entry holds: each instrument in the positional form (an array of its
//! fields, no names), over memory and a real Redis; and an entry written by an earlier
//! version, with each instrument a map of its fields, is still served without a fetch.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, Category, ClientConfig, InstrumentList, LinearInverseInstrument};
use cache_core::{Cache, Codec, Compression, MemoryCache, TypedCache};
use cache_redis::RedisCache;
use market_data::{Dataset, Market, MarketData, Policy, Source};
use redis_test_server::RedisServer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Whether a value is an array or a map, its content skipped.
#[derive(Debug, PartialEq)]
enum Shape {
    Array,
    Map,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shape;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array or a map")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Shape::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Shape::Map)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The outline of a stored list: its category and the shape of each instrument.
#[derive(Debug, Deserialize)]
struct Outline {
    category: String,
    list: Vec<Shape>,
}

/// A linear list as versions before the positional form stored it: every instrument a map.
#[derive(Serialize)]
#[serde(tag = "category", content = "list", rename_all = "lowercase")]
enum MapForm<'a> {
    Linear(&'a [LinearInverseInstrument]),
}

fn linear() -> Market {
    Market::new(Category::Linear).unwrap()
}

fn client(bybit: &MockBybit) -> Arc<BybitClient> {
    Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap())
}

async fn redis(server: &RedisServer) -> Arc<dyn Cache> {
    Arc::new(RedisCache::from_url(&server.url()).await.unwrap())
}

/// Fetches the linear list into `cache` and checks the shape of what was stored.
async fn stores_positionally(cache: Arc<dyn Cache>) {
    let bybit = MockBybit::start().await;
    let data = MarketData::new(cache.clone(), client(&bybit), Policy::default());
    let fetched = data.instruments(&linear()).await.unwrap();
    assert_eq!(fetched.source, Source::Upstream);
    let key = data.key(Dataset::Instruments, &linear());
    let stored = cache.get(&key).await.unwrap().expect("stored");
    // Any codec decodes any entry by its own header.
    let outline: Outline = Codec::msgpack().decode(&stored).unwrap().value;
    assert_eq!(outline.category, "linear");
    assert_eq!(outline.list.len(), 214);
    assert!(
        outline.list.iter().all(|s| *s == Shape::Array),
        "{outline:?}"
    );
    // And a reader of its own reads it back whole.
    let other = MarketData::new(cache, client(&bybit), Policy::default());
    let read = other.instruments(&linear()).await.unwrap();
    assert_eq!(read.source, Source::Cache);
    assert_eq!(*read.value, *fetched.value);
}

/// Writes the linear list as earlier versions did, then reads it through a new MarketData.
async fn reads_the_map_form(cache: Arc<dyn Cache>) {
    let bybit = MockBybit::start().await;
    let InstrumentList::Linear(list) = client(&bybit)
        .instruments(&bybit_client::InstrumentsQuery::linear())
        .await
        .unwrap()
    else {
        panic!("a linear list");
    };
    let asked = bybit.request_count();
    let data = MarketData::new(cache.clone(), client(&bybit), Policy::default());
    let key = data.key(Dataset::Instruments, &linear());
    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .unwrap();
    let old = TypedCache::new(cache.clone(), codec);
    // A view of borrowed parts cannot be copied off the runtime: it is encoded here.
    let bytes = old.encode(&MapForm::Linear(&list)).await.unwrap();
    cache
        .set(&key, bytes, Duration::from_secs(60))
        .await
        .unwrap();
    // Control: the entry really is in the map form.
    let stored = cache.get(&key).await.unwrap().expect("stored");
    let outline: Outline = Codec::msgpack().decode(&stored).unwrap().value;
    assert!(outline.list.iter().all(|s| *s == Shape::Map), "{outline:?}");

    let read = data.instruments(&linear()).await.unwrap();
    assert_eq!(read.source, Source::Cache);
    assert_eq!(*read.value, InstrumentList::Linear(list));
    assert_eq!(data.stats().upstream_fetches, 0);
    assert_eq!(bybit.request_count(), asked, "nothing fetched");
}

#[tokio::test]
async fn the_memory_cache_holds_instruments_positionally() {
    stores_positionally(Arc::new(MemoryCache::new(64 << 20))).await;
}

#[tokio::test]
async fn redis_holds_instruments_positionally() {
    let server = RedisServer::start().unwrap();
    stores_positionally(redis(&server).await).await;
}

#[tokio::test]
async fn a_list_stored_as_maps_is_read_from_memory() {
    reads_the_map_form(Arc::new(MemoryCache::new(64 << 20))).await;
}

#[tokio::test]
async fn a_list_stored_as_maps_is_read_from_redis() {
    let server = RedisServer::start().unwrap();
    reads_the_map_form(redis(&server).await).await;
}
