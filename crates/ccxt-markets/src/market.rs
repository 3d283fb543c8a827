//! ccxt's unified market structure, field for field in ccxt's order.

use bybit_client::{LinearInverseInstrument, OptionInstrument, SpotInstrument};
use serde::Serialize;

/// One market as ccxt's `bybit().fetch_markets()` gives it; serialized with serde it is
/// ccxt's JSON: every key present, `null` where ccxt has `None`, floats where ccxt has
/// floats and integers (`expiry`, `created`) where it has integers.
///
/// Fields ccxt's Bybit parser never sets are kept for the structure's sake and are always
/// `None`: `lowercase_id`, `sub_type`, `margin_modes`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Market {
    /// Bybit's symbol, e.g. `BTCUSDT`.
    pub id: Option<String>,
    /// Always `None` (ccxt leaves it unset for Bybit).
    pub lowercase_id: Option<String>,
    /// ccxt's symbol: `BTC/USDT`, `BTC/USDT:USDT`, `BTC/USDT:USDT-250328`,
    /// `BTC/USD:USDC-250328-60000-C`.
    pub symbol: String,
    /// Unified base currency (`XBT` read as `BTC`, `BCHSV` as `BSV`).
    pub base: String,
    /// Unified quote currency.
    pub quote: String,
    /// Unified settle currency; `None` for spot.
    pub settle: Option<String>,
    /// Bybit's `baseCoin`.
    pub base_id: Option<String>,
    /// Bybit's `quoteCoin`.
    pub quote_id: Option<String>,
    /// Bybit's `settleCoin` (or the coin ccxt assumes when it is missing); `None` for spot.
    pub settle_id: Option<String>,
    /// `spot`, `swap`, `future` or `option`; `None` for a contract of unknown type.
    #[serde(rename = "type")]
    pub market_type: Option<MarketType>,
    /// A spot pair.
    pub spot: Option<bool>,
    /// Margin trading allowed (spot); `None` for linear and inverse contracts.
    pub margin: Option<bool>,
    /// A perpetual contract.
    pub swap: Option<bool>,
    /// A dated future.
    pub future: Option<bool>,
    /// An option.
    pub option: Option<bool>,
    /// `false` for spot, `None` otherwise.
    pub index: Option<bool>,
    /// Bybit's status is `Trading`.
    pub active: Option<bool>,
    /// A contract (not spot).
    pub contract: Option<bool>,
    /// Settled in the quote currency; `None` for spot.
    pub linear: Option<bool>,
    /// Settled in the base currency; `None` for spot.
    pub inverse: Option<bool>,
    /// Always `None` from `fetch_markets` (ccxt's `set_markets` fills it in).
    pub sub_type: Option<String>,
    /// Taker fee: ccxt's defaults (0.001 spot, 0.0006 contracts) unless Bybit sends one.
    pub taker: Option<f64>,
    /// Maker fee: ccxt's defaults (0.001 spot, 0.0001 contracts) unless Bybit sends one.
    pub maker: Option<f64>,
    /// Contract size; `None` for spot.
    pub contract_size: Option<f64>,
    /// Delivery time of a dated future or option, in milliseconds.
    pub expiry: Option<i64>,
    /// `expiry` as `2025-03-28T08:00:00.000Z`.
    pub expiry_datetime: Option<String>,
    /// Strike of an option.
    pub strike: Option<f64>,
    /// `call` or `put`.
    pub option_type: Option<String>,
    /// Amount and price steps (ccxt's `TICK_SIZE` mode).
    pub precision: Precision,
    /// Order limits.
    pub limits: Limits,
    /// Always `{cross: None, isolated: None}` from `fetch_markets`.
    pub margin_modes: MarginModes,
    /// Bybit's `launchTime`, in milliseconds.
    pub created: Option<i64>,
    /// Bybit's own object, every field as Bybit sent it.
    pub info: Info,
}

/// ccxt's market `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MarketType {
    /// A spot pair.
    Spot,
    /// A perpetual.
    Swap,
    /// A dated future.
    Future,
    /// An option.
    Option,
}

/// `precision`: the steps of an order's amount and price. ccxt's Bybit parser sets only
/// these two, so the keys `cost`, `base` and `quote` of the generic structure are absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Precision {
    /// Amount step.
    pub amount: Option<f64>,
    /// Price step (tick size).
    pub price: Option<f64>,
}

/// `limits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Limits {
    /// Leverage.
    pub leverage: MinMax,
    /// Order amount.
    pub amount: MinMax,
    /// Order price.
    pub price: MinMax,
    /// Order cost (amount times price).
    pub cost: MinMax,
}

/// A `{min, max}` pair of `limits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MinMax {
    /// Lower bound.
    pub min: Option<f64>,
    /// Upper bound.
    pub max: Option<f64>,
}

/// `marginModes`; ccxt's `fetch_markets` leaves both unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MarginModes {
    /// Cross margin.
    pub cross: Option<bool>,
    /// Isolated margin.
    pub isolated: Option<bool>,
}

/// Bybit's instrument behind a market, serialized as Bybit's own object.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Info {
    /// A spot pair.
    Spot(Box<SpotInstrument>),
    /// A linear or inverse contract.
    Contract(Box<LinearInverseInstrument>),
    /// An option.
    Option(Box<OptionInstrument>),
}
