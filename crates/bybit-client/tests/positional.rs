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

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    pub(crate) enum Any {
        Nil(()),
        Int(i64),
        Str(String),
        Map(std::collections::BTreeMap<String, serde_json::Value>),
        Seq(Vec<Any>),
    }
}
