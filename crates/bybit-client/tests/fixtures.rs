//! Every recorded fixture decodes, with the right counts and exact values, and writes back
//! exactly what Bybit sent, through JSON and through MessagePack maps.
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::models::{
    AuctionPhase, ContractType, Flag, LinearInverseInstrument, ModeSupport, OptionInstrument,
    OptionsType, SpotInstrument, Status,
};
use bybit_client::testing::fixtures::{self, FIXTURES, LINEAR_214, OPTION_500};
use bybit_client::{Category, Decimal, TimestampMs};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn dec(s: &str) -> Option<Decimal> {
    Some(s.parse().unwrap())
}

/// Decodes a fixture's list from text (as the client does), checking both round trips.
fn decode<T: DeserializeOwned + Serialize>(name: &str) -> Vec<T> {
    let raw = fixtures::values(name);
    let text = serde_json::to_string(&raw).unwrap();
    let list: Vec<T> = serde_json::from_str(&text).unwrap();
    assert_eq!(list.len(), raw.len(), "{name}");
    assert_eq!(
        serde_json::to_value(&list).unwrap(),
        Value::Array(raw.clone()),
        "{name}: JSON"
    );
    let packed = rmp_serde::to_vec_named(&list).unwrap();
    let unpacked: Vec<T> = rmp_serde::from_slice(&packed).unwrap();
    assert_eq!(
        serde_json::to_value(&unpacked).unwrap(),
        Value::Array(raw),
        "{name}: msgpack"
    );
    list
}

#[test]
fn every_fixture_decodes_and_round_trips_exactly() {
    let mut decoded = 0;
    for f in FIXTURES {
        let n = match f.category {
            Some(Category::Spot) => decode::<SpotInstrument>(f.name).len(),
            Some(Category::Linear | Category::Inverse) => {
                decode::<LinearInverseInstrument>(f.name).len()
            }
            Some(Category::Option) => decode::<OptionInstrument>(f.name).len(),
            None => continue,
        };
        assert!(n > 0, "{}", f.name);
        decoded += 1;
    }
    assert_eq!(
        decoded,
        FIXTURES.len() - 1,
        "every fixture but the error one"
    );
}

#[test]
fn linear_testnet_list_has_214_perpetuals() {
    let list = decode::<LinearInverseInstrument>(LINEAR_214);
    assert_eq!(list.len(), 214);
    assert_eq!(
        list.iter().filter(|i| i.symbol.ends_with("PERP")).count(),
        21
    );
    let first = &list[0];
    assert_eq!(first.symbol, "10000NFTUSDT");
    assert_eq!(first.contract_type, Some(ContractType::LinearPerpetual));
    assert_eq!(first.launch_time, Some(TimestampMs(1_643_007_175_000)));
    assert_eq!(first.delivery_time, Some(TimestampMs(0)));
    assert_eq!(first.delivery_fee_rate, None);
    assert!(!first.blanks.is_none(), "deliveryFeeRate \"\" is recorded");
    let lev = first.leverage_filter.as_ref().unwrap();
    assert_eq!(lev.max_leverage.unwrap().to_string(), "12.50");
    assert_eq!(
        first
            .price_filter
            .as_ref()
            .unwrap()
            .max_price
            .unwrap()
            .to_string(),
        "9.999990"
    );
    assert!(
        list.iter()
            .all(|i| i.funding_interval.is_some() && i.extra.is_empty())
    );
}

#[test]
fn option_testnet_list_has_500_with_old_statuses() {
    let list = decode::<OptionInstrument>(OPTION_500);
    assert_eq!(list.len(), 500);
    let count = |s: &str| {
        list.iter()
            .filter(|i| i.status.as_ref().unwrap().as_str() == s)
            .count()
    };
    assert_eq!(
        (count("ONLINE"), count("DELIVERING"), count("OFFLINE")),
        (358, 74, 68)
    );
    assert_eq!(list[0].status, Some(Status::Other("ONLINE".into())));
    assert_eq!(list[0].symbol, "BTC-30JUN23-100000-C");
    assert_eq!(list[0].options_type, Some(OptionsType::Call));
    assert_eq!(list[0].delivery_fee_rate, dec("0.00015"));
    assert_eq!(
        list[0].lot_size_filter.as_ref().unwrap().qty_step,
        dec("0.01")
    );
}

#[test]
fn official_linear_example_decodes_every_field() {
    let i = &decode::<LinearInverseInstrument>("instruments-linear-bybitdocs-btcusdt.json")[0];
    assert_eq!((i.symbol.as_str(), i.symbol_id), ("BTCUSDT", Some(5)));
    assert_eq!(i.copy_trading, Some(ModeSupport::Both));
    assert_eq!(i.lower_funding_rate.unwrap().to_string(), "-0.00375");
    assert_eq!(
        i.lot_size_filter.as_ref().unwrap().min_notional_value,
        dec("5")
    );
    assert_eq!(
        i.lot_size_filter
            .as_ref()
            .unwrap()
            .max_mkt_order_qty
            .unwrap()
            .to_string(),
        "500.000"
    );
    assert_eq!(
        i.risk_parameters.as_ref().unwrap().price_limit_ratio_y,
        dec("0.02")
    );
    assert_eq!(i.is_pre_listing, Some(false));
    assert_eq!(i.pre_listing_info, None, "null");
    assert_eq!(i.funding_interval, Some(480));
    assert!(i.extra.is_empty(), "{:?}", i.extra);
}

#[test]
fn prelaunch_example_keeps_auction_phases_and_open_end() {
    let i =
        &decode::<LinearInverseInstrument>("instruments-linear-bybitdocs-prelaunch-biousdt.json")
            [0];
    assert_eq!(i.status, Some(Status::PreLaunch));
    let info = i.pre_listing_info.as_ref().unwrap();
    assert_eq!(
        info.cur_auction_phase,
        Some(AuctionPhase::ContinuousTrading)
    );
    let phases = info.phases.as_ref().unwrap();
    assert_eq!(phases.len(), 4);
    assert_eq!(phases[0].start_time, Some(TimestampMs(1_735_113_600_000)));
    assert_eq!(
        phases[3].end_time, None,
        "\"\" for the open-ended last phase"
    );
    assert_eq!(
        info.auction_fee_info.as_ref().unwrap().maker_fee_rate,
        dec("0.0004")
    );
}

#[test]
fn spot_examples_decode_2026_fields() {
    let i = &decode::<SpotInstrument>("instruments-spot-fastmm-testnet-2026.json")[0];
    assert_eq!(i.st_tag, Some(Flag::No));
    assert_eq!(i.margin_trading, Some(ModeSupport::UtaOnly));
    assert_eq!(i.xstock_multiplier, dec("1"));
    let lot = i.lot_size_filter.as_ref().unwrap();
    assert_eq!(lot.quote_precision.unwrap().to_string(), "0.0000001");
    assert_eq!(lot.post_only_max_limit_order_size, dec("110"));
    let docs = &decode::<SpotInstrument>("instruments-spot-bybitdocs.json")[0];
    assert_eq!(
        docs.lot_size_filter
            .as_ref()
            .unwrap()
            .max_market_order_qty
            .unwrap()
            .to_string(),
        "41.5"
    );
}

#[test]
fn inverse_and_option_examples() {
    let inv = decode::<LinearInverseInstrument>("instruments-inverse-roq-bybit.json");
    assert_eq!(inv[1].symbol, "BITUSD");
    assert_eq!(inv[1].contract_type, Some(ContractType::InversePerpetual));
    assert_eq!(inv[1].unified_margin_trade, Some(false));
    let opt = &decode::<OptionInstrument>("instruments-option-bybitdocs.json")[0];
    assert_eq!(opt.display_name.as_deref(), Some("BTCUSDT-27MAR26-70000-P"));
    assert_eq!(opt.options_type, Some(OptionsType::Put));
    // A lot-size field options do not have, sent as null, is kept as an unknown field.
    let nautilus = &decode::<OptionInstrument>("instruments-option-nautilus-py.json")[0];
    let lot = nautilus.lot_size_filter.as_ref().unwrap();
    assert_eq!(lot.extra.get("postOnlyMaxOrderQty"), Some(Value::Null));
}
