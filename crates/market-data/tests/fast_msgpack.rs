//! Every recorded Bybit list decodes through the codec to what rmp-serde reads, in both the
//! named and the positional form, and on the MessagePack fast path (no retry with rmp-serde).
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::models::{LinearInverseInstrument, OptionInstrument, SpotInstrument};
use bybit_client::testing::fixtures::{self, FIXTURES};
use bybit_client::{Category, InstrumentList};
use cache_core::{Codec, Compression, fuzzing};
use serde_json::Value;

fn list(category: Category, raw: Vec<Value>) -> InstrumentList {
    fixtures::typed_list(category, &raw).unwrap()
}

fn rmp<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    rmp_serde::from_slice(bytes).unwrap()
}

#[test]
fn every_fixture_list_decodes_as_rmp_serde_reads_it() {
    let codec = Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .unwrap();
    let mut lists = 0;
    for f in FIXTURES {
        let Some(category) = f.category else { continue };
        let list = list(category, fixtures::values(f.name));
        assert!(!list.is_empty(), "{}", f.name);
        // The codec's own form: positional instruments (InstrumentList is not human-readable).
        let stored = codec.encode(&list).unwrap();
        let decoded: InstrumentList = codec.decode(&stored).unwrap().value;
        let packed = rmp_serde::to_vec_named(&list).unwrap();
        assert_eq!(decoded, rmp::<InstrumentList>(&packed), "{}", f.name);
        assert_eq!(decoded, list, "{}", f.name);
        let (fast, extra) = fuzzing::msgpack_fast::<InstrumentList>(&packed).unwrap();
        assert_eq!((fast, extra), (list, 0), "{}", f.name);
        // The instruments alone, as maps of field names and as arrays.
        let raw = Value::Array(fixtures::values(f.name));
        match category {
            Category::Spot => same_both_ways::<SpotInstrument>(raw, f.name),
            Category::Linear | Category::Inverse => {
                same_both_ways::<LinearInverseInstrument>(raw, f.name)
            }
            Category::Option => same_both_ways::<OptionInstrument>(raw, f.name),
        }
        lists += 1;
    }
    assert!(lists >= 16, "{lists} lists");
}

fn same_both_ways<T>(raw: Value, name: &str)
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let models: Vec<T> = serde_json::from_value(raw).unwrap();
    for packed in [
        rmp_serde::to_vec_named(&models).unwrap(),
        rmp_serde::to_vec(&models).unwrap(),
    ] {
        let expected = rmp::<Vec<T>>(&packed);
        assert_eq!(expected, models, "{name}");
        let stored = Codec::msgpack().encode(&models).unwrap();
        let decoded: Vec<T> = Codec::msgpack().decode(&stored).unwrap().value;
        assert_eq!(decoded, expected, "{name}");
        let (fast, extra) = fuzzing::msgpack_fast::<Vec<T>>(&packed).unwrap();
        assert_eq!(extra, 0, "{name}");
        assert_eq!(fast, expected, "{name}");
    }
}
