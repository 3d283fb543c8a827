//! Options: ccxt's `fetch_option_markets`.

use bybit_client::OptionInstrument;
use serde_json::Value;

use crate::currency;
use crate::market::{Info, Limits, MarginModes, Market, MarketType, MinMax, Precision};
use crate::safe;
use crate::time;

/// ccxt's fees for an option that does not carry its own `takerFee` and `makerFee`.
const TAKER_FEE: f64 = 0.0006;
const MAKER_FEE: f64 = 0.0001;

/// The market of an option. `None` where ccxt leaves it out: no base or quote coin, or not
/// trading unless `expired` is set; and where ccxt fails: no symbol, or one it cannot split
/// into strike and type (`BTC-28MAR25-60000-C`), no settle coin or delivery time.
pub(crate) fn market(instrument: &OptionInstrument, raw: &Value, expired: bool) -> Option<Market> {
    let m = Some(raw);
    let id = safe::string(m, "symbol");
    let base_id = safe::string(m, "baseCoin");
    let quote_id = safe::string(m, "quoteCoin");
    let settle_id = safe::string(m, "settleCoin");
    let base = currency::code(base_id.as_deref())?;
    let quote = currency::code(quote_id.as_deref())?;
    let settle = currency::code(settle_id.as_deref());
    let expiry = safe::integer(m, "deliveryTime");
    let parts: Vec<&str> = id.as_deref()?.split('-').collect();
    let part = |i: usize| {
        parts
            .get(i)
            .filter(|p| !p.is_empty())
            .map(|p| p.to_string())
    };
    let (strike, letter) = (part(2), part(3));
    let active = safe::string(m, "status").as_deref() == Some("Trading");
    if !active && !expired {
        return None;
    }

    let symbol = format!(
        "{base}/{quote}:{}-{}-{}-{}",
        settle.as_deref()?,
        time::yymmdd(expiry?)?,
        strike.as_deref()?,
        letter?
    );
    let lot = safe::dict(m, "lotSizeFilter");
    let price = safe::dict(m, "priceFilter");
    // ccxt compares codes: an option settled in its base coin is inverse.
    let inverse = settle.as_deref() == Some(base.as_str());
    Some(Market {
        id,
        lowercase_id: None,
        symbol,
        base,
        quote,
        settle,
        base_id,
        quote_id,
        settle_id,
        market_type: Some(MarketType::Option),
        spot: Some(false),
        margin: Some(false),
        swap: Some(false),
        future: Some(false),
        option: Some(true),
        index: None,
        active: Some(active),
        contract: Some(true),
        linear: Some(!inverse),
        inverse: Some(inverse),
        sub_type: None,
        taker: safe::number(m, "takerFee").or(Some(TAKER_FEE)),
        maker: safe::number(m, "makerFee").or(Some(MAKER_FEE)),
        contract_size: Some(1.0),
        expiry,
        expiry_datetime: expiry.and_then(time::iso8601),
        strike: strike.as_deref().and_then(safe::py_float),
        option_type: safe::string_lower(m, "optionsType"),
        precision: Precision {
            amount: safe::number(lot, "qtyStep"),
            price: safe::number(price, "tickSize"),
        },
        limits: Limits {
            leverage: MinMax::default(),
            amount: MinMax {
                min: safe::number(lot, "minOrderQty"),
                max: safe::number(lot, "maxOrderQty"),
            },
            price: MinMax {
                min: safe::number(price, "minPrice"),
                max: safe::number(price, "maxPrice"),
            },
            cost: MinMax::default(),
        },
        margin_modes: MarginModes::default(),
        created: safe::integer(m, "launchTime"),
        info: Info::Option(Box::new(instrument.clone())),
    })
}
