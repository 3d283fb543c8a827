//! ccxt itself as the oracle: for each scenario, ccxt 4.5's `bybit().fetch_markets()` runs on
//! Bybit answers built from the recorded fixtures (`tests/oracle/ccxt_fetch_markets.py`
//! replaces only its HTTP session), and [`ccxt_markets::markets`] runs on the same answers
//! decoded by bybit-client. Every market must match ccxt's key for key, `info` included.
//!
//! The test fails, never skips, without Python and the pinned ccxt:
//! `pip install -r crates/ccxt-markets/tests/oracle/requirements.txt`.

mod support;

use bybit_client::{Category, InstrumentsQuery};
use ccxt_markets::{DEFAULT_OPTION_BASE_COINS, Options};
use serde_json::json;

use support::answers::{self, Answer};
use support::scenario::{ccxt_options, check, filled, prelaunch};

#[test]
fn every_type_with_ccxts_defaults() {
    let options = Options::default();
    let answers = filled(
        &options,
        vec![
            Answer::fixture(InstrumentsQuery::spot(), "instruments-spot-bybitdocs.json"),
            Answer::fixture(
                InstrumentsQuery::linear(),
                "instruments-linear-bybitdocs-btcusdt.json",
            ),
            Answer::fixture(
                prelaunch(Category::Linear),
                "instruments-linear-bybitdocs-prelaunch-biousdt.json",
            ),
            Answer::fixture(
                InstrumentsQuery::inverse(),
                "instruments-inverse-roq-bybit.json",
            ),
            Answer::options_of("instruments-option-bybitdocs.json", "BTC"),
        ],
    );
    // ccxt's own defaults, not ours said again: the ccxt side gets no options at all.
    let made = check("defaults", &options, json!({}), &answers);
    assert!(made > 0, "ccxt made no market");
    assert_eq!(options.option_base_coins(), DEFAULT_OPTION_BASE_COINS);
}

/// Each fixture of `category` alone, as the default list of its type; how many markets
/// ccxt made of each.
fn each_fixture_of(category: Category, expired_options: bool) -> Vec<(&'static str, usize)> {
    let mut made = Vec::new();
    for name in answers::of_category(category) {
        let coins = answers::base_coins(name);
        let options = Options::default()
            .with_types([category])
            .with_option_base_coins(coins.clone())
            .with_expired_options(expired_options);
        let mut given = Vec::new();
        if category == Category::Option {
            given.extend(coins.iter().map(|c| Answer::options_of(name, c)));
        } else {
            given.push(Answer::fixture(InstrumentsQuery::new(category), name));
        }
        let count = check(
            name,
            &options,
            ccxt_options(&options),
            &filled(&options, given),
        );
        made.push((name, count));
    }
    made
}

fn assert_each_made_markets(made: &[(&str, usize)]) {
    assert!(!made.is_empty(), "no fixture");
    for (name, count) in made {
        assert!(*count > 0, "ccxt made no market of {name}");
    }
}

#[test]
fn every_spot_fixture() {
    assert_each_made_markets(&each_fixture_of(Category::Spot, false));
}

#[test]
fn every_linear_fixture() {
    assert_each_made_markets(&each_fixture_of(Category::Linear, false));
}

#[test]
fn every_inverse_fixture() {
    assert_each_made_markets(&each_fixture_of(Category::Inverse, false));
}

#[test]
fn every_option_fixture_trading_only() {
    let made = each_fixture_of(Category::Option, false);
    // The 2023 testnet page uses the old statuses (`ONLINE`, ...), none of them `Trading`.
    assert!(
        made.iter().any(|(_, n)| *n > 0),
        "ccxt made no option market"
    );
}

#[test]
fn every_option_fixture_expired_included() {
    assert_each_made_markets(&each_fixture_of(Category::Option, true));
}

#[test]
fn prelaunch_fixtures_as_the_prelaunch_answer() {
    let options = Options::default().with_types([Category::Linear, Category::Inverse]);
    for name in [
        "instruments-linear-bybitdocs-prelaunch-biousdt.json",
        "instruments-linear-prelisting-jkorf-docsderived.json",
    ] {
        let answers = filled(
            &options,
            vec![
                Answer::fixture(
                    InstrumentsQuery::linear(),
                    "instruments-linear-roq-bybit.json",
                ),
                Answer::fixture(prelaunch(Category::Linear), name),
            ],
        );
        let made = check(name, &options, ccxt_options(&options), &answers);
        assert!(
            made > 2,
            "{name}: the pre-launch contract is not among ccxt's markets"
        );
    }
}

#[test]
fn empty_lists_and_types_in_another_order() {
    let options = Options::default()
        .with_types([Category::Option, Category::Inverse, Category::Spot])
        .with_option_base_coins(["ETH", "BTC"]);
    let made = check(
        "empty",
        &options,
        ccxt_options(&options),
        &filled(&options, Vec::new()),
    );
    assert_eq!(made, 0);
    let answers = filled(
        &options,
        vec![
            Answer::fixture(InstrumentsQuery::spot(), "instruments-spot-roq-bybit.json"),
            Answer::options_of("instruments-option-roq-bybit.json", "BTC"),
            Answer::options_of("instruments-option-roq-bybit.json", "ETH"),
        ],
    );
    let made = check("reordered", &options, ccxt_options(&options), &answers);
    assert!(made > 0, "ccxt made no market");
}
