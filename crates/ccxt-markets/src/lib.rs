//! Bybit v5 instrument lists as markets in ccxt's unified structure, exactly as ccxt 4.5's
//! own `bybit().fetch_markets()` gives them for the same Bybit answers, so that a ccxt user
//! can load them with `exchange.set_markets(...)` instead of asking Bybit.
//!
//! ```
//! use bybit_client::InstrumentList;
//! use ccxt_markets::{markets, Options};
//!
//! let linear: InstrumentList = serde_json::from_str(r#"{"category": "linear", "list": [{
//!     "symbol": "BTCUSDT", "contractType": "LinearPerpetual", "status": "Trading",
//!     "baseCoin": "BTC", "quoteCoin": "USDT", "settleCoin": "USDT",
//!     "launchTime": "1585526400000", "deliveryTime": "0",
//!     "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80", "tickSize": "0.10"},
//!     "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": "0.001", "qtyStep": "0.001"}
//! }]}"#)?;
//!
//! let markets = markets(&[&linear], &Options::default());
//! assert_eq!(markets[0].symbol, "BTC/USDT:USDT");
//! let json = serde_json::to_value(&markets)?;
//! assert_eq!(json[0]["precision"]["price"], 0.1);
//! assert_eq!(json[0]["created"], 1585526400000_i64);
//! assert_eq!(json[0]["info"]["priceFilter"]["tickSize"], "0.10");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! # Behavior
//! - A [`Market`] serializes to ccxt's JSON: every key of ccxt's market, `null` where ccxt
//!   has `None`, Python floats as floats and integers as integers, and `info` as Bybit's own
//!   object, every field as Bybit sent it. `crates/ccxt-markets/tests/oracle.rs` compares
//!   it, field by field, with ccxt itself run on the same recorded answers.
//! - Fields are read as ccxt reads them, from Bybit's object (fields unknown to the models
//!   included, such as a `takerFee`): `""` and `null` count as missing, `active` is status
//!   `Trading`, fees are ccxt's defaults, precision is the amount and price steps.
//! - Where ccxt leaves an instrument out, so does [`markets`]: one without a base or quote
//!   coin, and an option that is not trading (unless [`Options::with_expired_options`]).
//!   Where ccxt fails on one (an option whose symbol has no strike, a date past year 9999),
//!   [`markets`] leaves that one out and makes the others.
//!
//! # Differences from asking Bybit through ccxt
//! ccxt reads only the first page (500) of each base coin's options unless told to load all
//! of them (`loadAllOptions`, which also loads expired ones); [`markets`] makes the options
//! of every page of the lists it is given. ccxt concatenates the default and `PreLaunch`
//! lists of a category, so a symbol in both appears twice; a list merged by
//! [`InstrumentList::merge`] holds it once.

mod contract;
mod currency;
mod market;
mod option;
mod options;
mod safe;
mod spot;
#[cfg(test)]
mod tests;
mod time;

use bybit_client::{Category, InstrumentList};
use serde_json::Value;

pub use market::{Info, Limits, MarginModes, Market, MarketType, MinMax, Precision};
pub use options::{DEFAULT_OPTION_BASE_COINS, Options, UnknownType};

/// The markets of `lists`, in ccxt's order: by [`Options::types`], the lists of a type in
/// the order given, options by [`Options::option_base_coins`].
///
/// Pass the answers to [`Options::queries`], pages followed: the default and `PreLaunch`
/// lists of a category one after the other, or merged by [`InstrumentList::merge`]. A type
/// not in the options is skipped, and so is an option whose `baseCoin` is not one of the
/// option base coins (compared ignoring ASCII case, as ccxt passes a coin to Bybit as it is
/// given); a type without a list has no markets.
pub fn markets(lists: &[&InstrumentList], options: &Options) -> Vec<Market> {
    let mut out = Vec::new();
    for &category in options.types() {
        let of_category = lists.iter().filter(|l| l.category() == category);
        match category {
            Category::Spot => {
                for list in of_category {
                    if let InstrumentList::Spot(l) = list {
                        out.extend(l.iter().filter_map(|i| spot::market(i, &raw(i))));
                    }
                }
            }
            Category::Linear | Category::Inverse => {
                for list in of_category {
                    if let InstrumentList::Linear(l) | InstrumentList::Inverse(l) = list {
                        out.extend(
                            l.iter()
                                .filter_map(|i| contract::market(i, &raw(i), category)),
                        );
                    }
                }
            }
            Category::Option => {
                let option_lists: Vec<_> = of_category.collect();
                for coin in options.option_base_coins() {
                    for list in &option_lists {
                        if let InstrumentList::Option(l) = list {
                            out.extend(
                                l.iter()
                                    .filter(|i| {
                                        i.base_coin
                                            .as_deref()
                                            .is_some_and(|b| b.eq_ignore_ascii_case(coin))
                                    })
                                    .filter_map(|i| {
                                        option::market(i, &raw(i), options.expired_options())
                                    }),
                            );
                        }
                    }
                }
            }
        }
    }
    out
}

/// Bybit's object as ccxt holds it; the models serialize to exactly what Bybit sent.
fn raw(instrument: &impl serde::Serialize) -> Value {
    // Serializing a model into a `Value` cannot fail: every key is a string.
    serde_json::to_value(instrument).unwrap_or(Value::Null)
}
