//! Fields Bybit adds, drops or blanks later neither break decoding nor get lost.
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::models::{LinearInverseInstrument, SymbolType};
use bybit_client::testing::fixtures;
use bybit_client::{Decimal, InstrumentList};
use serde_json::{Value, json};

fn btcusdt() -> Value {
    fixtures::values("instruments-linear-bybitdocs-btcusdt.json").remove(0)
}

fn through_msgpack(i: &LinearInverseInstrument) -> LinearInverseInstrument {
    rmp_serde::from_slice(&rmp_serde::to_vec_named(i).unwrap()).unwrap()
}

#[test]
fn added_fields_are_kept_at_every_level() {
    let mut raw = btcusdt();
    raw["forbidUplWithdrawal"] = json!(false);
    raw["newLimits"] = json!({"a": [1, "2", null], "b": 1.5});
    raw["lotSizeFilter"]["maxMktOrderAmt"] = json!("1000000");
    let i: LinearInverseInstrument = serde_json::from_str(&raw.to_string()).unwrap();
    assert_eq!(i.extra.get("forbidUplWithdrawal"), Some(json!(false)));
    assert_eq!(
        i.lot_size_filter
            .as_ref()
            .unwrap()
            .extra
            .get("maxMktOrderAmt"),
        Some(json!("1000000"))
    );
    assert_eq!(serde_json::to_value(&i).unwrap(), raw);
    let back = through_msgpack(&i);
    assert_eq!(back, i);
    assert_eq!(serde_json::to_value(&back).unwrap(), raw);
}

#[test]
fn dropped_fields_read_as_none_and_stay_dropped() {
    let mut raw = btcusdt();
    let obj = raw.as_object_mut().unwrap();
    for k in [
        "priceScale",
        "leverageFilter",
        "fundingInterval",
        "status",
        "launchTime",
    ] {
        obj.remove(k);
    }
    raw["priceFilter"]
        .as_object_mut()
        .unwrap()
        .remove("tickSize");
    let i: LinearInverseInstrument = serde_json::from_str(&raw.to_string()).unwrap();
    assert_eq!(
        (i.price_scale, i.funding_interval, i.status.as_ref()),
        (None, None, None)
    );
    assert!(i.leverage_filter.is_none() && i.price_filter.as_ref().unwrap().tick_size.is_none());
    assert_eq!(serde_json::to_value(&i).unwrap(), raw);
    assert_eq!(serde_json::to_value(through_msgpack(&i)).unwrap(), raw);
}

#[test]
fn blank_and_null_values_read_as_none_and_write_back_as_sent() {
    let mut raw = btcusdt();
    raw["upperFundingRate"] = json!("");
    raw["lowerFundingRate"] = json!(null);
    raw["priceFilter"]["tickSize"] = json!("");
    raw["riskParameters"] = json!(null);
    let i: LinearInverseInstrument = serde_json::from_str(&raw.to_string()).unwrap();
    assert_eq!((i.upper_funding_rate, i.lower_funding_rate), (None, None));
    assert!(i.risk_parameters.is_none());
    assert_eq!(serde_json::to_value(&i).unwrap(), raw);
    assert_eq!(serde_json::to_value(through_msgpack(&i)).unwrap(), raw);
}

#[test]
fn new_enum_values_are_kept_verbatim() {
    let mut raw = btcusdt();
    raw["status"] = json!("Suspended");
    raw["symbolType"] = json!("memezone");
    let i: LinearInverseInstrument = serde_json::from_str(&raw.to_string()).unwrap();
    assert_eq!(i.symbol_type, Some(SymbolType::Other("memezone".into())));
    assert_eq!(serde_json::to_value(through_msgpack(&i)).unwrap(), raw);
}

#[test]
fn a_missing_symbol_or_a_mistyped_value_is_an_error() {
    let mut raw = btcusdt();
    raw.as_object_mut().unwrap().remove("symbol");
    assert!(serde_json::from_str::<LinearInverseInstrument>(&raw.to_string()).is_err());
    let mut raw = btcusdt();
    raw["priceFilter"]["tickSize"] = json!("0.1.0");
    let err = serde_json::from_str::<LinearInverseInstrument>(&raw.to_string()).unwrap_err();
    assert!(err.to_string().contains("0.1.0"), "{err}");
}

#[test]
fn decimals_keep_their_scale_and_precision_in_both_formats() {
    for text in [
        "12.50",
        "0.000000010",
        "-0.00375",
        "0",
        "1999999.80",
        "79228162514264337593543950335",
        "-1.0000000000000000000000000001",
    ] {
        let d: Decimal = text.parse().unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{text}\""));
        let back: Decimal = rmp_serde::from_slice(&rmp_serde::to_vec_named(&d).unwrap()).unwrap();
        assert_eq!(back.to_string(), text);
    }
    // More digits than a decimal holds is refused, not rounded.
    assert!(
        "0.12345678901234567890123456789"
            .parse::<Decimal>()
            .is_err()
    );
}

#[test]
fn an_instrument_list_round_trips_as_category_and_list() {
    let list = InstrumentList::Linear(vec![serde_json::from_value(btcusdt()).unwrap()]);
    let json = serde_json::to_value(&list).unwrap();
    assert_eq!(json["category"], "linear");
    assert_eq!(json["list"][0], btcusdt());
    let back: InstrumentList =
        rmp_serde::from_slice(&rmp_serde::to_vec_named(&list).unwrap()).unwrap();
    assert_eq!(back.symbols(), vec!["BTCUSDT"]);
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
}
