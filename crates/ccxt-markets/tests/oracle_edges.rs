//! Edge cases checked against ccxt itself: real recorded instruments with one field changed
//! each (a dated future, a blank or missing field, an unknown status, a field the models do
//! not know), so that what ccxt makes of them, not a hand-written expectation, is the answer.

mod support;

use bybit_client::testing::fixtures;
use bybit_client::{Category, InstrumentsQuery};
use ccxt_markets::Options;
use serde_json::{Value, json};

use support::answers::Answer;
use support::scenario::{ccxt_options, check, filled, prelaunch};

type Edit = (&'static str, fn(&mut Value));

/// The first instrument of fixture `name`, once per edit, each edited.
fn variants(name: &str, edits: &[Edit]) -> Vec<Value> {
    let original = fixtures::values(name).remove(0);
    edits
        .iter()
        .map(|(_, edit)| {
            let mut instrument = original.clone();
            edit(&mut instrument);
            instrument
        })
        .collect()
}

fn remove(i: &mut Value, key: &str) {
    i.as_object_mut().expect("an object").remove(key);
}

const LINEAR: &[Edit] = &[
    ("as recorded", |_| {}),
    ("dated future", |i| {
        i["symbol"] = json!("BTC-28MAR25");
        i["contractType"] = json!("LinearFutures");
        i["deliveryTime"] = json!("1743148800000");
    }),
    ("delivery at half a second rounds to the even second", |i| {
        i["contractType"] = json!("LinearFutures");
        i["deliveryTime"] = json!("1743206399500");
    }),
    ("perpetual to be delisted", |i| {
        i["deliveryTime"] = json!("1743148800000");
    }),
    ("unknown status", |i| i["status"] = json!("Suspended")),
    ("2023 status", |i| i["status"] = json!("ONLINE")),
    ("no contract type", |i| remove(i, "contractType")),
    ("unknown contract type", |i| {
        i["contractType"] = json!("LinearSpread")
    }),
    ("no settle coin", |i| remove(i, "settleCoin")),
    ("USDC perpetual settled in \"USD\"", |i| {
        i["quoteCoin"] = json!("USD");
        i["settleCoin"] = json!("USD");
    }),
    ("base coin blank", |i| i["baseCoin"] = json!("")),
    ("quote coin missing", |i| remove(i, "quoteCoin")),
    ("lower-case XBT", |i| i["baseCoin"] = json!("xbt")),
    ("fees of its own", |i| {
        i["takerFee"] = json!("0.00055");
        i["makerFee"] = json!("0.0002");
    }),
    ("minTradingQty and maxTradingQty", |i| {
        i["lotSizeFilter"]["minTradingQty"] = json!("0.01");
        i["lotSizeFilter"]["maxTradingQty"] = json!("500");
    }),
    ("filters missing or blank", |i| {
        remove(i, "lotSizeFilter");
        i["priceFilter"] = Value::Null;
        i["leverageFilter"] = Value::Null;
    }),
    ("blank launch time", |i| i["launchTime"] = json!("")),
    ("blank numbers in the filters", |i| {
        i["priceFilter"]["tickSize"] = json!("");
        i["lotSizeFilter"]["minNotionalValue"] = Value::Null;
    }),
];

const INVERSE: &[Edit] = &[
    ("as recorded", |_| {}),
    ("dated future", |i| {
        i["symbol"] = json!("ADAUSDH25");
        i["contractType"] = json!("InverseFutures");
        i["deliveryTime"] = json!("1743148800000");
    }),
    ("no minimum order quantity", |i| {
        i["lotSizeFilter"]
            .as_object_mut()
            .expect("an object")
            .remove("minOrderQty");
    }),
    ("no settle coin", |i| remove(i, "settleCoin")),
    ("minTradingQty as the contract size", |i| {
        i["lotSizeFilter"]["minTradingQty"] = json!("10");
    }),
];

const SPOT: &[Edit] = &[
    ("as recorded", |_| {}),
    ("no margin trading", |i| i["marginTrading"] = json!("none")),
    ("margin trading missing", |i| remove(i, "marginTrading")),
    ("margin for unified accounts only", |i| {
        i["marginTrading"] = json!("utaOnly")
    }),
    ("no tick size: the quote precision", |i| {
        remove(i, "priceFilter");
        i["lotSizeFilter"]["quotePrecision"] = json!("0.0000001");
    }),
    ("pre-launch", |i| i["status"] = json!("PreLaunch")),
    ("no quote coin", |i| remove(i, "quoteCoin")),
    ("no lot size filter", |i| remove(i, "lotSizeFilter")),
    ("BCHSV renamed", |i| i["baseCoin"] = json!("BCHSV")),
];

const OPTION: &[Edit] = &[
    ("as recorded", |_| {}),
    ("settled in its base coin", |i| {
        i["settleCoin"] = json!("BTC")
    }),
    ("options type missing", |i| remove(i, "optionsType")),
    ("options type upper-case", |i| {
        i["optionsType"] = json!("CALL")
    }),
    ("delivering", |i| i["status"] = json!("Delivering")),
    ("blank filters", |i| {
        i["priceFilter"]["tickSize"] = json!("");
        i["lotSizeFilter"] = Value::Null;
    }),
    ("launch time missing", |i| remove(i, "launchTime")),
];

fn run(category: Category, name: &str, edits: &[Edit], expired_options: bool) -> usize {
    let options = Options::default()
        .with_types([category])
        .with_option_base_coins(["BTC"])
        .with_expired_options(expired_options);
    let query = match category {
        Category::Option => InstrumentsQuery::option("BTC"),
        other => InstrumentsQuery::new(other),
    };
    let answers = filled(
        &options,
        vec![Answer::instruments(query, variants(name, edits))],
    );
    let labels: Vec<&str> = edits.iter().map(|(label, _)| *label).collect();
    check(
        &format!("{name} edited ({})", labels.join("; ")),
        &options,
        ccxt_options(&options),
        &answers,
    )
}

#[test]
fn linear_edge_cases() {
    let made = run(
        Category::Linear,
        "instruments-linear-bybitdocs-btcusdt.json",
        LINEAR,
        false,
    );
    assert!(made > LINEAR.len() / 2, "ccxt made only {made} markets");
}

#[test]
fn inverse_edge_cases() {
    let made = run(
        Category::Inverse,
        "instruments-inverse-roq-bybit.json",
        INVERSE,
        false,
    );
    assert_eq!(made, INVERSE.len());
}

#[test]
fn spot_edge_cases() {
    let made = run(
        Category::Spot,
        "instruments-spot-bybitdocs.json",
        SPOT,
        false,
    );
    assert!(made > SPOT.len() / 2, "ccxt made only {made} markets");
}

#[test]
fn option_edge_cases() {
    let name = "instruments-option-bybitdocs.json";
    // ccxt fails on an option it cannot name, unless it leaves it out for not trading.
    let closed_unnamed: Edit = ("closed, symbol without strike", |i| {
        i["status"] = json!("Closed");
        i["symbol"] = json!("BTC-27MAR26");
    });
    let trading_only = [OPTION, &[closed_unnamed]].concat();
    let trading = run(Category::Option, name, &trading_only, false);
    let all = run(Category::Option, name, OPTION, true);
    assert!(
        trading > 0 && all > trading,
        "{trading} trading, {all} in all"
    );
}

#[test]
fn prelaunch_contract_also_in_the_default_list() {
    // ccxt concatenates the two answers; a symbol in both is made twice.
    let options = Options::default().with_types([Category::Linear]);
    let answers = filled(
        &options,
        vec![
            Answer::fixture(
                InstrumentsQuery::linear(),
                "instruments-linear-bybitdocs-prelaunch-biousdt.json",
            ),
            Answer::fixture(
                prelaunch(Category::Linear),
                "instruments-linear-bybitdocs-prelaunch-biousdt.json",
            ),
        ],
    );
    assert_eq!(
        check("twice", &options, ccxt_options(&options), &answers),
        2
    );
}
