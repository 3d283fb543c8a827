//! What ccxt cannot be asked: instruments it fails on (here left out, the others made), and
//! how lists and options are put together. Everything ccxt can answer is checked against it
//! in `tests/oracle.rs` and `tests/oracle_edges.rs`.

use bybit_client::models::Status;
use bybit_client::{Category, InstrumentList};
use serde_json::{Value, json};

use crate::{Options, markets};

fn list(category: &str, instruments: Vec<Value>) -> InstrumentList {
    serde_json::from_value(json!({"category": category, "list": instruments})).expect("a list")
}

fn option(symbol: &str, base: &str) -> Value {
    json!({"symbol": symbol, "status": "Trading", "baseCoin": base, "quoteCoin": "USDT",
           "settleCoin": "USDT", "optionsType": "Call", "deliveryTime": "1774598400000"})
}

fn symbols(lists: &[&InstrumentList], options: &Options) -> Vec<String> {
    markets(lists, options)
        .into_iter()
        .map(|m| m.symbol)
        .collect()
}

#[test]
fn options_ccxt_cannot_name_are_left_out() {
    let mut no_expiry = option("BTC-27MAR26-1-C-USDT", "BTC");
    no_expiry.as_object_mut().map(|o| o.remove("deliveryTime"));
    let mut no_settle = option("BTC-27MAR26-2-C-USDT", "BTC");
    no_settle["settleCoin"] = json!("");
    let options = list(
        "option",
        vec![
            option("BTC-27MAR26", "BTC"),
            no_expiry,
            no_settle,
            option("BTC-27MAR26--C", "BTC"),
            option("BTC-27MAR26-70000-C-USDT", "BTC"),
        ],
    );
    assert_eq!(
        symbols(&[&options], &Options::default()),
        ["BTC/USDT:USDT-260327-70000-C"]
    );
}

#[test]
fn contracts_delivered_past_year_9999_are_left_out() {
    let future = |symbol: &str, delivery: &str| {
        json!({"symbol": symbol, "contractType": "LinearFutures", "status": "Trading",
               "baseCoin": "BTC", "quoteCoin": "USDT", "deliveryTime": delivery})
    };
    let linear = list(
        "linear",
        vec![
            future("FAR", "253402300800000"),
            future("BTC-28MAR25", "1743148800000"),
        ],
    );
    assert_eq!(
        symbols(&[&linear], &Options::default()),
        ["BTC/USDT:USDT-250328"]
    );
}

#[test]
fn unknown_status_is_not_active() {
    let spot = list(
        "spot",
        vec![json!({"symbol": "AB", "baseCoin": "A", "quoteCoin": "B", "status": "Halted"})],
    );
    let made = markets(&[&spot], &Options::default());
    assert_eq!(made[0].active, Some(false));
}

#[test]
fn empty_lists_make_no_market() {
    let empty = [
        list("spot", vec![]),
        list("linear", vec![]),
        list("inverse", vec![]),
        list("option", vec![]),
    ];
    let refs: Vec<&InstrumentList> = empty.iter().collect();
    assert!(markets(&refs, &Options::default()).is_empty());
    assert!(markets(&[], &Options::default()).is_empty());
}

#[test]
fn types_and_option_coins_in_the_order_of_the_options() {
    let spot = list(
        "spot",
        vec![json!({"symbol": "AB", "baseCoin": "A", "quoteCoin": "B", "status": "Trading"})],
    );
    let linear = list(
        "linear",
        vec![json!({"symbol": "CD", "contractType": "LinearPerpetual",
                                     "baseCoin": "C", "quoteCoin": "D"})],
    );
    let options = list(
        "option",
        vec![
            option("BTC-27MAR26-1-C", "BTC"),
            option("ETH-27MAR26-2-C", "ETH"),
            option("DOGE-27MAR26-3-C", "DOGE"),
        ],
    );
    let chosen = Options::default()
        .with_types([Category::Option, Category::Linear])
        .with_option_base_coins(["eth", "BTC"]);
    assert_eq!(
        symbols(&[&spot, &linear, &options], &chosen),
        [
            "ETH/USDT:USDT-260327-2-C",
            "BTC/USDT:USDT-260327-1-C",
            "C/D:D"
        ]
    );
}

#[test]
fn queries_are_ccxts_requests_in_its_order() {
    let options = Options::default()
        .with_types([Category::Inverse, Category::Option, Category::Spot])
        .with_option_base_coins(["SOL"]);
    let queries: Vec<_> = options
        .queries()
        .into_iter()
        .map(|q| (q.category, q.base_coin, q.status))
        .collect();
    assert_eq!(
        queries,
        [
            (Category::Inverse, None, None),
            (Category::Inverse, None, Some(Status::PreLaunch)),
            (Category::Option, Some("SOL".to_owned()), None),
            (Category::Spot, None, None),
        ]
    );
}
