//! `diff` on the recorded lists with edits: every kind of change, unknown fields, reordering
//! and identity, for linear, inverse, spot and option lists; properties over random edits.
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::diff::{Change, ListError, diff};
use bybit_client::models::Status;
use bybit_client::testing::fixtures::{self, LINEAR_214, OPTION_500};
use bybit_client::{Category, InstrumentList};
use proptest::prelude::*;
use serde_json::{Value, json};

const PRELAUNCH: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";

fn list(category: Category, values: &[Value]) -> InstrumentList {
    fixtures::typed_list(category, values).unwrap()
}

/// Sets the value at a dotted path of an instrument, creating objects on the way.
fn set(instrument: &mut Value, path: &str, value: Value) {
    let mut at = instrument;
    for key in path.split('.') {
        at = at.as_object_mut().unwrap().entry(key).or_insert(json!({}));
    }
    *at = value;
}

fn find<'a>(values: &'a mut [Value], symbol: &str) -> &'a mut Value {
    values.iter_mut().find(|v| v["symbol"] == symbol).unwrap()
}

fn listed(s: &str) -> Change {
    Change::Listed { symbol: s.into() }
}

fn delisted(s: &str) -> Change {
    Change::Delisted { symbol: s.into() }
}

fn status(s: &str, from: &str, to: &str) -> Change {
    Change::Status {
        symbol: s.into(),
        from: Some(Status::parse(from)),
        to: Some(Status::parse(to)),
    }
}

fn changed(s: &str, fields: &[&str]) -> Change {
    Change::Changed {
        symbol: s.into(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
    }
}

fn linear() -> Vec<Value> {
    fixtures::values(LINEAR_214)
}

/// Diffs the fixture against an edited copy of it.
fn diff_edited(
    category: Category,
    old: &[Value],
    edit: impl FnOnce(&mut Vec<Value>),
) -> Vec<Change> {
    let mut new = old.to_vec();
    edit(&mut new);
    diff(&list(category, old), &list(category, &new)).unwrap()
}

#[test]
fn identical_and_reordered_lists_have_no_change() {
    for (category, name) in [
        (Category::Linear, LINEAR_214),
        (Category::Option, OPTION_500),
        (Category::Spot, "instruments-spot-roq-bybit.json"),
        (Category::Inverse, "instruments-inverse-roq-bybit.json"),
        (Category::Linear, PRELAUNCH),
    ] {
        let values = fixtures::values(name);
        let a = list(category, &values);
        assert_eq!(diff(&a, &a).unwrap(), vec![], "{name}");
        let mut reversed = values.clone();
        reversed.reverse();
        reversed.rotate_left(values.len() / 3);
        assert_eq!(
            diff(&a, &list(category, &reversed)).unwrap(),
            vec![],
            "{name}"
        );
        assert!(
            list(category, &[])
                .diff(&list(category, &[]))
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn a_new_symbol_is_listed_and_a_missing_one_delisted() {
    let old = linear();
    let changes = diff_edited(Category::Linear, &old, |new| {
        new.retain(|v| v["symbol"] != "1000BONKUSDT");
        let mut bio = new[5].clone();
        set(&mut bio, "symbol", json!("BIOUSDT"));
        new.push(bio);
    });
    assert_eq!(changes, vec![delisted("1000BONKUSDT"), listed("BIOUSDT")]);
    // Everything is new against an empty list, and gone the other way.
    let all = diff(&list(Category::Linear, &[]), &list(Category::Linear, &old)).unwrap();
    assert_eq!(all.len(), 214);
    assert!(all.iter().all(|c| matches!(c, Change::Listed { .. })));
}

#[test]
fn a_status_change_is_a_status_event_and_not_a_field() {
    let changes = diff_edited(Category::Linear, &linear(), |new| {
        set(find(new, "BTCUSDT"), "status", json!("Closed"));
    });
    assert_eq!(changes, vec![status("BTCUSDT", "Trading", "Closed")]);
}

#[test]
fn tick_size_and_lot_size_changes_name_their_dotted_fields() {
    let changes = diff_edited(Category::Linear, &linear(), |new| {
        set(find(new, "ETHUSDT"), "priceFilter.tickSize", json!("0.05"));
        set(find(new, "ETHUSDT"), "lotSizeFilter.qtyStep", json!("0.1"));
        set(find(new, "10000NFTUSDT"), "fundingInterval", json!(240));
    });
    assert_eq!(
        changes,
        vec![
            changed("10000NFTUSDT", &["fundingInterval"]),
            changed(
                "ETHUSDT",
                &["lotSizeFilter.qtyStep", "priceFilter.tickSize"]
            ),
        ]
    );
}

#[test]
fn status_and_tick_size_changed_together_give_both_events_in_order() {
    let changes = diff_edited(Category::Linear, &linear(), |new| {
        let btc = find(new, "BTCUSDT");
        set(btc, "status", json!("Delivering"));
        set(btc, "priceFilter.tickSize", json!("1.00"));
    });
    assert_eq!(
        changes,
        vec![
            status("BTCUSDT", "Trading", "Delivering"),
            changed("BTCUSDT", &["priceFilter.tickSize"]),
        ]
    );
}

#[test]
fn unknown_fields_added_changed_and_removed_are_reported() {
    let mut old = linear();
    set(find(&mut old, "XRPUSDT"), "riskLevel", json!({"tier": 1}));
    let changes = diff_edited(Category::Linear, &old, |new| {
        set(find(new, "BTCUSDT"), "isTokenised", json!(false));
        set(
            find(new, "ETHUSDT"),
            "lotSizeFilter.maxIcebergQty",
            json!("50"),
        );
        set(find(new, "XRPUSDT"), "riskLevel.tier", json!(2));
        find(new, "SOLUSDT")
            .as_object_mut()
            .unwrap()
            .remove("deliveryFeeRate");
    });
    assert_eq!(
        changes,
        vec![
            changed("BTCUSDT", &["isTokenised"]),
            changed("ETHUSDT", &["lotSizeFilter.maxIcebergQty"]),
            changed("SOLUSDT", &["deliveryFeeRate"]),
            changed("XRPUSDT", &["riskLevel.tier"]),
        ]
    );
}

#[test]
fn a_reformatted_number_is_no_change_but_a_blank_filled_in_is() {
    let changes = diff_edited(Category::Linear, &linear(), |new| {
        set(
            find(new, "10000NFTUSDT"),
            "leverageFilter.maxLeverage",
            json!("12.5"),
        );
        set(find(new, "BTCUSDT"), "deliveryFeeRate", json!("0.0005"));
    });
    assert_eq!(changes, vec![changed("BTCUSDT", &["deliveryFeeRate"])]);
}

#[test]
fn pre_market_phases_compare_as_one_field_and_the_current_phase_by_name() {
    let old = fixtures::values(PRELAUNCH);
    let changes = diff_edited(Category::Linear, &old, |new| {
        let bio = &mut new[0];
        set(bio, "preListingInfo.curAuctionPhase", json!("CallAuction"));
        bio["preListingInfo"]["phases"][1]["endTime"] = json!("1735117000000");
        set(
            bio,
            "preListingInfo.auctionFeeInfo.takerFeeRate",
            json!("0.002"),
        );
        set(bio, "status", json!("Trading"));
    });
    assert_eq!(
        changes,
        vec![
            status("BIOUSDT", "PreLaunch", "Trading"),
            changed(
                "BIOUSDT",
                &[
                    "preListingInfo.auctionFeeInfo.takerFeeRate",
                    "preListingInfo.curAuctionPhase",
                    "preListingInfo.phases",
                ]
            ),
        ]
    );
    // preListingInfo going from an object to null is one field.
    let changes = diff_edited(Category::Linear, &old, |new| {
        new[0]["preListingInfo"] = Value::Null;
        new[0]["isPreListing"] = json!(false);
    });
    assert_eq!(
        changes,
        vec![changed("BIOUSDT", &["isPreListing", "preListingInfo"])]
    );
}

#[test]
fn a_missing_status_is_none_and_missing_to_null_is_a_field_change() {
    let mut old = fixtures::values("instruments-inverse-roq-bybit.json");
    old[0].as_object_mut().unwrap().remove("status");
    let changes = diff_edited(Category::Inverse, &old, |new| {
        new[0]["status"] = json!("Trading");
        new[1]["status"] = Value::Null;
    });
    assert_eq!(
        changes,
        vec![
            Change::Status {
                symbol: "ADAUSD".into(),
                from: None,
                to: Some(Status::Trading),
            },
            Change::Status {
                symbol: "BITUSD".into(),
                from: Some(Status::Trading),
                to: None,
            },
        ]
    );
    let changes = diff_edited(Category::Inverse, &old, |new| {
        new[0]["status"] = Value::Null;
    });
    assert_eq!(changes, vec![changed("ADAUSD", &["status"])]);
}

#[test]
fn spot_changes() {
    let old = fixtures::values("instruments-spot-roq-bybit.json");
    let changes = diff_edited(Category::Spot, &old, |new| {
        set(find(new, "BTCUSDT"), "priceFilter.tickSize", json!("0.1"));
        set(
            find(new, "BTCUSDT"),
            "lotSizeFilter.basePrecision",
            json!("0.0001"),
        );
        set(find(new, "ETHUSDT"), "status", json!("Closed"));
        set(find(new, "ETHUSDT"), "innovation", json!("1"));
        let mut fastmm = fixtures::values("instruments-spot-fastmm-testnet-2026.json");
        set(&mut fastmm[0], "symbol", json!("SOLUSDT"));
        new.push(fastmm.remove(0));
    });
    assert_eq!(
        changes,
        vec![
            changed(
                "BTCUSDT",
                &["lotSizeFilter.basePrecision", "priceFilter.tickSize"]
            ),
            status("ETHUSDT", "Trading", "Closed"),
            changed("ETHUSDT", &["innovation"]),
            listed("SOLUSDT"),
        ]
    );
}

#[test]
fn option_changes_with_old_status_values() {
    let old = fixtures::values(OPTION_500);
    let online = old.iter().find(|v| v["status"] == "ONLINE").unwrap()["symbol"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = old.last().unwrap()["symbol"].as_str().unwrap().to_owned();
    let changes = diff_edited(Category::Option, &old, |new| {
        set(find(new, &online), "status", json!("DELIVERING"));
        set(
            find(new, &online),
            "lotSizeFilter.minOrderQty",
            json!("0.1"),
        );
        new.pop();
    });
    let mut expected = vec![
        Change::Status {
            symbol: online.clone(),
            from: Some(Status::Other("ONLINE".into())),
            to: Some(Status::Other("DELIVERING".into())),
        },
        changed(&online, &["lotSizeFilter.minOrderQty"]),
        delisted(&last),
    ];
    expected.sort_by(|a, b| a.symbol().cmp(b.symbol()));
    assert_eq!(changes, expected);
}

#[test]
fn lists_of_different_categories_are_refused() {
    let values = fixtures::values("instruments-inverse-roq-bybit.json");
    let linear = list(Category::Linear, &values);
    let inverse = list(Category::Inverse, &values);
    let err = diff(&linear, &inverse).unwrap_err();
    assert!(matches!(
        err,
        ListError::CategoryMismatch {
            left: Category::Linear,
            right: Category::Inverse
        }
    ));
    assert_eq!(
        err.to_string(),
        "cannot combine instrument lists of two categories: linear and inverse"
    );
    let spot = list(Category::Spot, &[]);
    assert!(diff(&spot, &list(Category::Option, &[])).is_err());
}

#[test]
fn a_symbol_sent_twice_is_taken_at_its_first_place() {
    let old = linear();
    let changes = diff_edited(Category::Linear, &old, |new| {
        let mut second = find(new, "BTCUSDT").clone();
        set(&mut second, "status", json!("Closed"));
        new.push(second);
    });
    assert_eq!(changes, vec![]);
}

#[test]
fn changes_print_as_tagged_json_and_as_one_escaped_line() {
    let hostile = "EVIL\u{1b}]0;x\u{7}\nUSDT";
    let changes = [
        listed(hostile),
        delisted("ETHUSDT"),
        Change::Status {
            symbol: "BTCUSDT".into(),
            from: Some(Status::Trading),
            to: None,
        },
        changed(hostile, &["priceFilter.tickSize", "odd\u{202e}field"]),
    ];
    let json: Vec<String> = changes
        .iter()
        .map(|c| serde_json::to_string(c).unwrap())
        .collect();
    assert_eq!(
        json,
        [
            r#"{"event":"listed","symbol":"EVIL\u001b]0;x\u0007\nUSDT"}"#,
            r#"{"event":"delisted","symbol":"ETHUSDT"}"#,
            r#"{"event":"status","symbol":"BTCUSDT","from":"Trading","to":null}"#,
            "{\"event\":\"changed\",\"symbol\":\"EVIL\\u001b]0;x\\u0007\\nUSDT\",\"fields\":[\"priceFilter.tickSize\",\"odd\u{202e}field\"]}",
        ]
    );
    for (c, text) in changes.iter().zip(&json) {
        assert_eq!(&serde_json::from_str::<Change>(text).unwrap(), c);
    }
    let shown: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            r"listed EVIL\u{1b}]0;x\u{7}\u{a}USDT",
            "delisted ETHUSDT",
            "status BTCUSDT Trading -> (none)",
            r"changed EVIL\u{1b}]0;x\u{7}\u{a}USDT priceFilter.tickSize, odd\u{202e}field",
        ]
    );
}

/// One random edit of an instrument: a status, a tick size, an unknown field.
fn edit(instrument: &mut Value, kind: u8) {
    match kind % 3 {
        0 => set(instrument, "status", json!("Closed")),
        1 => set(instrument, "priceFilter.tickSize", json!("0.123")),
        _ => set(instrument, "someNewField", json!([kind])),
    }
}

/// The changes seen from the other side: listed and delisted swap, statuses swap.
fn reversed(change: &Change) -> Change {
    match change.clone() {
        Change::Listed { symbol } => Change::Delisted { symbol },
        Change::Delisted { symbol } => Change::Listed { symbol },
        Change::Status { symbol, from, to } => Change::Status {
            symbol,
            from: to,
            to: from,
        },
        other => other,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn diff_is_order_independent_and_reverses_exactly(
        keep_old in proptest::collection::vec(any::<bool>(), 214),
        keep_new in proptest::collection::vec(any::<bool>(), 214),
        edits in proptest::collection::vec((0usize..214, any::<u8>()), 0..20),
        seed in any::<u64>(),
    ) {
        let all = linear();
        let old: Vec<Value> = all.iter().zip(&keep_old).filter(|(_, k)| **k).map(|(v, _)| v.clone()).collect();
        let mut new: Vec<Value> = all.iter().zip(&keep_new).filter(|(_, k)| **k).map(|(v, _)| v.clone()).collect();
        for (at, kind) in &edits {
            if let Some(v) = new.get_mut(*at) {
                edit(v, *kind);
            }
        }
        let a = list(Category::Linear, &old);
        let b = list(Category::Linear, &new);
        prop_assert!(diff(&a, &a).unwrap().is_empty());
        prop_assert!(diff(&b, &b).unwrap().is_empty());

        let forward = diff(&a, &b).unwrap();
        let mut shuffled_old = old.clone();
        let mut shuffled_new = new.clone();
        let n = shuffled_old.len().max(1);
        shuffled_old.rotate_left((seed as usize) % n);
        shuffled_new.reverse();
        let shuffled = diff(&list(Category::Linear, &shuffled_old), &list(Category::Linear, &shuffled_new)).unwrap();
        prop_assert_eq!(&forward, &shuffled);

        let backward: Vec<Change> = diff(&b, &a).unwrap();
        prop_assert_eq!(backward, forward.iter().map(reversed).collect::<Vec<_>>());

        // Listed and delisted are exactly the set differences of the symbols.
        let old_symbols: std::collections::BTreeSet<&str> = a.symbols().into_iter().collect();
        let new_symbols: std::collections::BTreeSet<&str> = b.symbols().into_iter().collect();
        let got_listed: Vec<&str> = forward.iter().filter(|c| matches!(c, Change::Listed { .. })).map(Change::symbol).collect();
        let got_delisted: Vec<&str> = forward.iter().filter(|c| matches!(c, Change::Delisted { .. })).map(Change::symbol).collect();
        prop_assert_eq!(got_listed, new_symbols.difference(&old_symbols).copied().collect::<Vec<_>>());
        prop_assert_eq!(got_delisted, old_symbols.difference(&new_symbols).copied().collect::<Vec<_>>());
        // Sorted by symbol.
        prop_assert!(forward.windows(2).all(|w| w[0].symbol() <= w[1].symbol()));
    }
}
