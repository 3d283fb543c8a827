//! How an `InstrumentList` serializes: Bybit's objects in JSON, the positional form in
//! MessagePack (what the caches store), and the map form older versions stored still read.
#![allow(clippy::unwrap_used, missing_docs)]

use std::fmt;

use bybit_client::models::{LinearInverseInstrument, OptionInstrument, SpotInstrument};
use bybit_client::testing::fixtures::{self, FIXTURES};
use bybit_client::{Category, InstrumentList};
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `InstrumentList`'s `Serialize` as it was derived before the positional form: every
/// instrument a map of its fields, whatever the format.
#[derive(Serialize)]
#[serde(tag = "category", content = "list", rename_all = "lowercase")]
enum MapForm<'a> {
    Spot(&'a [SpotInstrument]),
    Linear(&'a [LinearInverseInstrument]),
    Inverse(&'a [LinearInverseInstrument]),
    Option(&'a [OptionInstrument]),
}

impl<'a> From<&'a InstrumentList> for MapForm<'a> {
    fn from(list: &'a InstrumentList) -> Self {
        match list {
            InstrumentList::Spot(l) => Self::Spot(l),
            InstrumentList::Linear(l) => Self::Linear(l),
            InstrumentList::Inverse(l) => Self::Inverse(l),
            InstrumentList::Option(l) => Self::Option(l),
        }
    }
}

/// Whether a MessagePack value is an array or a map, its content skipped.
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

/// Every recorded list of a known category, typed.
fn recorded() -> Vec<(&'static str, InstrumentList, Vec<Value>)> {
    FIXTURES
        .iter()
        .filter_map(|f| {
            let raw = fixtures::values(f.name);
            let json = json!({"category": f.category?.as_str(), "list": raw});
            Some((f.name, serde_json::from_value(json).unwrap(), raw))
        })
        .collect()
}

#[test]
fn message_pack_holds_every_instrument_as_an_array() {
    let recorded = recorded();
    assert!(recorded.len() >= 4, "a list of each category at least");
    for (name, list, _) in recorded {
        for packed in [
            rmp_serde::to_vec_named(&list).unwrap(),
            rmp_serde::to_vec(&list).unwrap(),
        ] {
            let outline: Outline = rmp_serde::from_slice(&packed).unwrap();
            assert_eq!(outline.category, list.category().as_str(), "{name}");
            assert_eq!(outline.list.len(), list.len(), "{name}");
            assert!(outline.list.iter().all(|s| *s == Shape::Array), "{name}");
            assert_eq!(
                rmp_serde::from_slice::<InstrumentList>(&packed).unwrap(),
                list
            );
        }
    }
}

#[test]
fn json_is_what_it_was_bybits_objects() {
    for (name, list, raw) in recorded() {
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(json, serde_json::to_string(&MapForm::from(&list)).unwrap());
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            json!({"category": list.category().as_str(), "list": raw}),
            "{name}"
        );
    }
}

#[test]
fn lists_stored_as_maps_by_earlier_versions_still_read() {
    for (name, list, _) in recorded() {
        let old = rmp_serde::to_vec_named(&MapForm::from(&list)).unwrap();
        // Control: the old form is made of maps, so this reads the other branch.
        let outline: Outline = rmp_serde::from_slice(&old).unwrap();
        assert!(outline.list.iter().all(|s| *s == Shape::Map), "{name}");
        let back: InstrumentList = rmp_serde::from_slice(&old).unwrap();
        assert_eq!(back, list, "{name}");
    }
}

#[test]
fn unknown_fields_and_blanks_survive_the_binary_form_of_a_list() {
    let mut raw = fixtures::values(fixtures::LINEAR_214);
    raw[0]["brandNew"] = json!({"nested": [1, "x", null]});
    raw[0]["lotSizeFilter"]["newCap"] = json!("7.50");
    raw[1]["deliveryFeeRate"] = json!("");
    raw[1]["riskParameters"] = json!(null);
    let list = InstrumentList::Inverse(serde_json::from_value(Value::Array(raw.clone())).unwrap());
    let back: InstrumentList =
        rmp_serde::from_slice(&rmp_serde::to_vec_named(&list).unwrap()).unwrap();
    assert_eq!(back.category(), Category::Inverse);
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        json!({"category": "inverse", "list": raw})
    );
}

#[test]
fn a_list_reads_whatever_the_order_of_its_members() {
    let raw = fixtures::values(fixtures::LINEAR_214);
    let first = json!({"category": "linear", "list": raw});
    let last = json!({"list": raw, "category": "linear"});
    let a: InstrumentList = serde_json::from_value(first).unwrap();
    let b: InstrumentList = serde_json::from_str(&last.to_string()).unwrap();
    assert_eq!(a.len(), 214);
    assert_eq!(a, b);
}

#[test]
fn a_bad_instrument_fails_the_whole_list() {
    for bad in [json!(null), json!(7), json!({"symbol": 7}), json!({})] {
        let list = json!({"category": "spot", "list": [{"symbol": "BTCUSDT"}, bad]});
        assert!(
            serde_json::from_value::<InstrumentList>(list.clone()).is_err(),
            "{list}"
        );
    }
    let empty: InstrumentList =
        serde_json::from_value(json!({"category": "option", "list": []})).unwrap();
    assert_eq!(empty, InstrumentList::Option(vec![]));
}
