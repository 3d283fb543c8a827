//! The positional (MessagePack array) form loses nothing either, and refuses arrays of
//! another length (another schema).
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::models::{
    LinearInverseInstrument, OptionInstrument, Positional, SpotInstrument, WritePositional,
};
use bybit_client::testing::fixtures::{self, FIXTURES};
use bybit_client::{Category, InstrumentList};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn round_trip<T: DeserializeOwned + Serialize + WritePositional>(raw: Vec<Value>) {
    let list: Vec<T> = serde_json::from_value(Value::Array(raw.clone())).unwrap();
    let bytes = rmp_serde::to_vec(&Positional(&list)).unwrap();
    let back: Vec<T> = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), Value::Array(raw));
}

#[test]
fn every_fixture_round_trips_positionally() {
    for f in FIXTURES {
        let raw = fixtures::values(f.name);
        match f.category {
            Some(Category::Spot) => round_trip::<SpotInstrument>(raw),
            Some(Category::Linear | Category::Inverse) => {
                round_trip::<LinearInverseInstrument>(raw)
            }
            Some(Category::Option) => round_trip::<OptionInstrument>(raw),
            None => {}
        }
    }
}

#[test]
fn unknown_fields_and_blanks_survive_positionally() {
    let mut raw = fixtures::values("instruments-linear-bybitdocs-prelaunch-biousdt.json").remove(0);
    raw["brandNew"] = json!({"nested": [1, "x"]});
    raw["lotSizeFilter"]["newCap"] = json!("7.50");
    raw["upperFundingRate"] = json!("");
    raw["riskParameters"] = json!(null);
    round_trip::<LinearInverseInstrument>(vec![raw]);
}

#[test]
fn an_instrument_list_round_trips_positionally() {
    let raw = fixtures::values(fixtures::OPTION_500);
    let list = InstrumentList::Option(serde_json::from_value(Value::Array(raw)).unwrap());
    let bytes = rmp_serde::to_vec(&Positional(&list)).unwrap();
    let back: InstrumentList = rmp_serde::from_slice(&bytes).unwrap();
    assert_eq!(back.len(), 500);
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(&list).unwrap()
    );
}

/// Today's shape: nested objects present and `null`, pre-market phases, one unknown field on
/// every instrument. A list comes back value for value through the positional form (how a
/// cache stores it) and through MessagePack maps (how earlier versions stored it).
#[test]
fn the_today_shaped_list_round_trips_through_both_binary_forms() {
    let raw = fixtures::values(fixtures::LINEAR_TODAY_214);
    let items: Vec<LinearInverseInstrument> =
        serde_json::from_value(Value::Array(raw.clone())).unwrap();
    assert_eq!(items.len(), 214);
    assert!(
        items
            .iter()
            .all(|i| i.extra.get("skipCallAuction") == Some(json!(false)) && i.extra.len() == 1)
    );
    assert_eq!(
        items
            .iter()
            .filter(|i| i.pre_listing_info.is_some())
            .count(),
        4
    );
    #[derive(Serialize)]
    struct Named<'a> {
        category: &'static str,
        list: &'a [LinearInverseInstrument],
    }
    let named = rmp_serde::to_vec_named(&Named {
        category: "linear",
        list: &items,
    })
    .unwrap();
    let list = InstrumentList::Linear(items);
    let positional = rmp_serde::to_vec_named(&list).unwrap();
    assert!(positional.len() < named.len(), "no field names");
    for bytes in [positional, named] {
        let back: InstrumentList = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(back, list);
        assert_eq!(
            serde_json::to_value(&back).unwrap()["list"],
            Value::Array(raw.clone())
        );
    }
}

/// The masks and unknown fields are written only when there are some, and an array with them
/// but all empty reads as one without.
#[test]
fn the_tail_of_masks_and_unknown_fields_is_optional() {
    let plain: LinearInverseInstrument = serde_json::from_str(r#"{"symbol":"BTCUSDT"}"#).unwrap();
    let short: Vec<rmpv_like::Any> =
        rmp_serde::from_slice(&rmp_serde::to_vec(&Positional(&plain)).unwrap()).unwrap();
    let blank: LinearInverseInstrument =
        serde_json::from_str(r#"{"symbol":"BTCUSDT","status":null}"#).unwrap();
    let long: Vec<rmpv_like::Any> =
        rmp_serde::from_slice(&rmp_serde::to_vec(&Positional(&blank)).unwrap()).unwrap();
    assert_eq!(long.len(), short.len() + 3);
    let mut padded = short.clone();
    padded.extend([
        rmpv_like::Any::Int(0),
        rmpv_like::Any::Int(0),
        rmpv_like::Any::Nil(()),
    ]);
    let back: LinearInverseInstrument =
        rmp_serde::from_slice(&rmp_serde::to_vec(&padded).unwrap()).unwrap();
    assert_eq!(back, plain);
}

#[test]
fn an_array_of_another_length_is_refused() {
    let i: LinearInverseInstrument = serde_json::from_str(r#"{"symbol":"BTCUSDT"}"#).unwrap();
    let mut value: Vec<rmpv_like::Any> =
        rmp_serde::from_slice(&rmp_serde::to_vec(&Positional(&i)).unwrap()).unwrap();
    // Control: the edited copy decodes while unedited.
    let same =
        rmp_serde::from_slice::<LinearInverseInstrument>(&rmp_serde::to_vec(&value).unwrap());
    assert_eq!(same.unwrap(), i);
    value.push(rmpv_like::Any::Int(1));
    assert!(
        rmp_serde::from_slice::<LinearInverseInstrument>(&rmp_serde::to_vec(&value).unwrap())
            .is_err()
    );
    value.truncate(value.len() - 3);
    assert!(
        rmp_serde::from_slice::<LinearInverseInstrument>(&rmp_serde::to_vec(&value).unwrap())
            .is_err()
    );
}

/// Enough of a MessagePack value to edit a positional array.
mod rmpv_like {
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Serialize, Deserialize)]
    #[serde(untagged)]
    pub(crate) enum Any {
        Nil(()),
        Int(i64),
        Str(String),
        Map(std::collections::BTreeMap<String, serde_json::Value>),
        Seq(Vec<Any>),
    }
}
