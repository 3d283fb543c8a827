//! `InstrumentList::merge` of a default list and a `status=PreLaunch` list.
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::testing::fixtures::{self, LINEAR_214};
use bybit_client::{Category, InstrumentList, ListError};
use serde_json::{Value, json};

fn list(category: Category, values: &[Value]) -> InstrumentList {
    fixtures::typed_list(category, values).unwrap()
}

#[test]
fn pre_market_contracts_join_the_trading_list_after_it() {
    let trading = fixtures::values(LINEAR_214);
    let mut prelaunch = fixtures::values("instruments-linear-bybitdocs-prelaunch-biousdt.json");
    prelaunch.extend(fixtures::values(
        "instruments-linear-prelisting-jkorf-docsderived.json",
    ));
    let merged = list(Category::Linear, &trading)
        .merge(list(Category::Linear, &prelaunch))
        .unwrap();
    assert_eq!(merged.category(), Category::Linear);
    assert_eq!(merged.len(), 216);
    let expected: Vec<Value> = trading.iter().chain(&prelaunch).cloned().collect();
    assert_eq!(
        serde_json::to_value(&merged).unwrap()["list"],
        Value::Array(expected)
    );
}

#[test]
fn the_first_entry_of_a_symbol_wins() {
    let a = vec![
        json!({"symbol": "BTCUSDT", "status": "Trading"}),
        json!({"symbol": "ETHUSDT", "status": "Trading"}),
        json!({"symbol": "BTCUSDT", "status": "Closed"}),
    ];
    let b = vec![
        json!({"symbol": "NEWUSDT", "status": "PreLaunch"}),
        json!({"symbol": "ETHUSDT", "status": "PreLaunch"}),
        json!({"symbol": "NEWUSDT", "status": "Trading"}),
    ];
    let merged = list(Category::Spot, &a)
        .merge(list(Category::Spot, &b))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&merged).unwrap(),
        json!({"category": "spot", "list": [a[0], a[1], b[0]]})
    );
    // Merging with an empty list dedups only.
    let alone = list(Category::Spot, &a)
        .merge(list(Category::Spot, &[]))
        .unwrap();
    assert_eq!(alone.symbols(), ["BTCUSDT", "ETHUSDT"]);
    let options = [json!({"symbol": "BTC-1JAN27-1-C"})];
    let merged = list(Category::Option, &[])
        .merge(list(Category::Option, &options))
        .unwrap();
    assert_eq!(merged.symbols(), ["BTC-1JAN27-1-C"]);
}

#[test]
fn lists_of_different_categories_do_not_merge() {
    let values = [json!({"symbol": "BTCUSD"})];
    let err = list(Category::Inverse, &values)
        .merge(list(Category::Linear, &values))
        .unwrap_err();
    assert!(matches!(
        err,
        ListError::CategoryMismatch {
            left: Category::Inverse,
            right: Category::Linear
        }
    ));
}
