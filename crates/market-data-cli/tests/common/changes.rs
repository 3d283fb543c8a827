//! One edit of the mock Bybit's linear list that makes each kind of change once, and the lines
//! `market-data watch --json` prints for it.

use std::collections::BTreeSet;

use bybit_client::Category;
use bybit_client::models::Status;
use bybit_client::testing::MockBybit;
use serde_json::{Value, json};

/// Delists BTCUSDT, lists NEWUSDT, closes ETHUSDT and changes XRPUSDT's tick size.
pub(crate) fn change_four(bybit: &MockBybit) {
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let mut listed = bybit.instruments(Category::Linear)[0].clone();
    listed["symbol"] = "NEWUSDT".into();
    bybit.list_instrument(Category::Linear, listed);
    assert!(bybit.set_status(Category::Linear, "ETHUSDT", Status::Closed));
    assert!(bybit.set_tick_size(Category::Linear, "XRPUSDT", "0.00005"));
}

/// The lines `market-data watch --json` prints for [`change_four`].
pub(crate) fn four_changes() -> BTreeSet<String> {
    [
        json!({"event": "delisted", "category": "linear", "symbol": "BTCUSDT"}),
        json!({"event": "listed", "category": "linear", "symbol": "NEWUSDT"}),
        json!({"event": "status", "category": "linear", "symbol": "ETHUSDT",
               "from": "Trading", "to": "Closed"}),
        json!({"event": "changed", "category": "linear", "symbol": "XRPUSDT",
               "fields": ["priceFilter.tickSize"]}),
    ]
    .iter()
    .map(Value::to_string)
    .collect()
}

/// The snapshot line of a linear list of `count` instruments.
pub(crate) fn snapshot(count: usize) -> Value {
    json!({"event": "snapshot", "category": "linear", "count": count})
}
