//! Linear and inverse contracts: ccxt's `fetch_future_markets`.

use bybit_client::{Category, LinearInverseInstrument};
use serde_json::Value;

use crate::currency;
use crate::market::{Info, Limits, MarginModes, Market, MarketType, MinMax, Precision};
use crate::safe;
use crate::time;

/// ccxt's fees for a contract that does not carry its own `takerFee` and `makerFee`.
const TAKER_FEE: f64 = 0.0006;
const MAKER_FEE: f64 = 0.0001;

/// The market of a linear or inverse contract; `None` where ccxt leaves it out (no base or
/// quote coin) or fails (a delivery time that is not a number or past year 9999).
pub(crate) fn market(
    instrument: &LinearInverseInstrument,
    raw: &Value,
    category: Category,
) -> Option<Market> {
    let m = Some(raw);
    let linear = category == Category::Linear;
    let inverse = category == Category::Inverse;
    let contract_type = safe::string(m, "contractType");
    let is = |t: &str| contract_type.as_deref() == Some(t);
    let linear_perpetual = is("LinearPerpetual");
    let swap = linear_perpetual || is("InversePerpetual");
    let future = is("LinearFutures") || is("InverseFutures");

    let base_id = safe::string(m, "baseCoin");
    let quote_id = safe::string(m, "quoteCoin");
    let default_settle_id = if linear { &quote_id } else { &base_id };
    let settle_id = safe::string(m, "settleCoin").or_else(|| default_settle_id.clone());
    let base = currency::code(base_id.as_deref())?;
    let quote = currency::code(quote_id.as_deref())?;
    // Bybit's USDC perpetuals (`BTCPERP`) say they settle in "USD".
    let settle = if linear_perpetual && settle_id.as_deref() == Some("USD") {
        Some("USDC".to_owned())
    } else {
        currency::code(settle_id.as_deref())
    };

    // A perpetual's `deliveryTime` is when it is delisted, not an expiry.
    let expiry = if swap { None } else { delivery_time(m)? };
    let mut symbol = format!("{base}/{quote}:{}", settle.as_deref().unwrap_or_default());
    if let Some(expiry) = expiry {
        symbol = format!("{symbol}-{}", time::yymmdd(expiry)?);
    }

    let lot = safe::dict(m, "lotSizeFilter");
    let price = safe::dict(m, "priceFilter");
    let leverage = safe::dict(m, "leverageFilter");
    let min_amount = safe::number_2(lot, "minTradingQty", "minOrderQty");
    Some(Market {
        id: safe::string(m, "symbol"),
        lowercase_id: None,
        symbol,
        base,
        quote,
        settle,
        base_id,
        quote_id,
        settle_id,
        market_type: if swap {
            Some(MarketType::Swap)
        } else if future {
            Some(MarketType::Future)
        } else {
            None
        },
        spot: Some(false),
        margin: None,
        swap: Some(swap),
        future: Some(future),
        option: Some(false),
        index: None,
        active: Some(safe::string(m, "status").as_deref() == Some("Trading")),
        contract: Some(true),
        linear: Some(linear),
        inverse: Some(inverse),
        sub_type: None,
        taker: safe::number(m, "takerFee").or(Some(TAKER_FEE)),
        maker: safe::number(m, "makerFee").or(Some(MAKER_FEE)),
        contract_size: if inverse { min_amount } else { Some(1.0) },
        expiry,
        expiry_datetime: expiry.and_then(time::iso8601),
        strike: None,
        option_type: None,
        precision: Precision {
            amount: safe::number(lot, "qtyStep"),
            price: safe::number(price, "tickSize"),
        },
        limits: Limits {
            leverage: MinMax {
                min: safe::number(leverage, "minLeverage"),
                max: safe::number(leverage, "maxLeverage"),
            },
            amount: MinMax {
                min: min_amount,
                max: safe::number_2(lot, "maxTradingQty", "maxOrderQty"),
            },
            price: MinMax {
                min: safe::number(price, "minPrice"),
                max: safe::number(price, "maxPrice"),
            },
            cost: MinMax {
                min: if linear {
                    safe::number(lot, "minNotionalValue")
                } else {
                    None
                },
                max: None,
            },
        },
        margin_modes: MarginModes::default(),
        created: safe::integer(m, "launchTime"),
        info: Info::Contract(Box::new(instrument.clone())),
    })
}

/// ccxt's expiry of a dated contract: `Some(None)` when `deliveryTime` is missing, `""` or
/// zero, `Some(Some(ms))` for a time, and `None` for what ccxt fails on (not a number, NaN,
/// infinite).
fn delivery_time(m: Option<&Value>) -> Option<Option<i64>> {
    let Some(text) = safe::string(m, "deliveryTime") else {
        return Some(None);
    };
    let value = safe::py_float(&text)?;
    if value == 0.0 {
        return Some(None);
    }
    safe::to_int(value).map(Some)
}
