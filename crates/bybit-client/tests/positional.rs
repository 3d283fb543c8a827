//! The positional (MessagePack array) form loses nothing either, and refuses arrays of
//! another length (another schema).
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::models::{
    LinearInverseInstrument, OptionInstrument, Positional, SCHEMA_VERSION, SpotInstrument,
    WritePositional,
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

/// The positional form writes a known string-enum value as its index among the variants,
/// so a change to any list below needs a new `SCHEMA_VERSION` (and this test updated).
#[test]
fn enum_indexes_are_pinned_to_the_schema_version() {
    assert_eq!(SCHEMA_VERSION, 2, "pin the lists below for the new version");
    fn pinned<T>(names: &[&str], parse: fn(&str) -> T)
    where
        T: WritePositional + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for (index, name) in names.iter().enumerate() {
            let value = parse(name);
            let bytes = rmp_serde::to_vec(&Positional(&value)).unwrap();
            assert_eq!(bytes, [index as u8], "{name}");
            assert_eq!(rmp_serde::from_slice::<T>(&bytes).unwrap(), value);
        }
        let past = [names.len() as u8];
        assert!(
            rmp_serde::from_slice::<T>(&past).is_err(),
            "{names:?} has more"
        );
        // A value the crate does not know keeps its name.
        let other = rmp_serde::to_vec(&Positional(&parse("Unheard"))).unwrap();
        assert_eq!(other, rmp_serde::to_vec("Unheard").unwrap());
    }
    use bybit_client::models::{
        AuctionPhase, ContractType, Flag, ModeSupport, OptionsType, Status, SymbolType,
    };
    pinned(
        &["PreLaunch", "Trading", "Delivering", "Closed"],
        Status::parse,
    );
    pinned(
        &[
            "LinearPerpetual",
            "LinearFutures",
            "InversePerpetual",
            "InverseFutures",
        ],
        ContractType::parse,
    );
    pinned(&["Call", "Put"], OptionsType::parse);
    pinned(
        &["none", "both", "utaOnly", "normalOnly"],
        ModeSupport::parse,
    );
    pinned(
        &["", "innovation", "adventure", "xstocks"],
        SymbolType::parse,
    );
    pinned(&["0", "1"], Flag::parse);
    pinned(
        &[
            "NotStarted",
            "Finished",
            "CallAuction",
            "CallAuctionNoCancel",
            "CrossMatching",
            "ContinuousTrading",
        ],
        AuctionPhase::parse,
    );
}

/// JSON spells every value: an index is not a name there.
#[test]
fn json_refuses_an_enum_index() {
    let err = serde_json::from_str::<bybit_client::models::Status>("1").unwrap_err();
    assert!(err.to_string().contains("a Status string"), "{err}");
    let err = serde_json::from_str::<LinearInverseInstrument>(r#"{"symbol":"X","status":1}"#)
        .unwrap_err();
    assert!(err.to_string().contains("a Status string"), "{err}");
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
