//! Spot pairs: ccxt's `fetch_spot_markets`.

use bybit_client::SpotInstrument;
use serde_json::Value;

use crate::currency;
use crate::market::{Info, Limits, MarginModes, Market, MarketType, MinMax, Precision};
use crate::safe;

/// ccxt's fee for every spot pair, whatever Bybit sends.
const FEE: f64 = 0.001;

/// The market of a spot pair; `None` where ccxt leaves it out (no base or quote coin).
pub(crate) fn market(instrument: &SpotInstrument, raw: &Value) -> Option<Market> {
    let m = Some(raw);
    let base_id = safe::string(m, "baseCoin");
    let quote_id = safe::string(m, "quoteCoin");
    let base = currency::code(base_id.as_deref())?;
    let quote = currency::code(quote_id.as_deref())?;
    let lot = safe::dict(m, "lotSizeFilter");
    let price = safe::dict(m, "priceFilter");
    // ccxt reads a missing `marginTrading` as "none".
    let margin = safe::string(m, "marginTrading").is_some_and(|s| s != "none");
    Some(Market {
        id: safe::string(m, "symbol"),
        lowercase_id: None,
        symbol: format!("{base}/{quote}"),
        base,
        quote,
        settle: None,
        base_id,
        quote_id,
        settle_id: None,
        market_type: Some(MarketType::Spot),
        spot: Some(true),
        margin: Some(margin),
        swap: Some(false),
        future: Some(false),
        option: Some(false),
        index: Some(false),
        active: Some(safe::string(m, "status").as_deref() == Some("Trading")),
        contract: Some(false),
        linear: None,
        inverse: None,
        sub_type: None,
        taker: Some(FEE),
        maker: Some(FEE),
        contract_size: None,
        expiry: None,
        expiry_datetime: None,
        strike: None,
        option_type: None,
        precision: Precision {
            amount: safe::number(lot, "basePrecision"),
            price: safe::number(price, "tickSize").or(safe::number(lot, "quotePrecision")),
        },
        limits: Limits {
            leverage: MinMax {
                min: Some(1.0),
                max: None,
            },
            amount: MinMax {
                min: safe::number(lot, "minOrderQty"),
                max: safe::number(lot, "maxOrderQty"),
            },
            price: MinMax::default(),
            cost: MinMax {
                min: safe::number(lot, "minOrderAmt"),
                max: safe::number(lot, "maxOrderAmt"),
            },
        },
        margin_modes: MarginModes::default(),
        created: None,
        info: Info::Spot(Box::new(instrument.clone())),
    })
}
