//! Spot pairs (`category=spot`).

use compact_str::CompactString;

use super::decimal::Decimal;
use super::enums::{Flag, ModeSupport, Status, SymbolType};
use super::filters::RiskParameters;
use super::macros::bybit_model;

bybit_model! {
    /// A spot trading pair.
    pub struct SpotInstrument {
        required {
            /// `symbol`, e.g. `BTCUSDT`.
            symbol: CompactString = "symbol",
        }
        optional {
            /// `symbolId`.
            symbol_id: i64 = "symbolId",
            /// `baseCoin`.
            base_coin: CompactString = "baseCoin",
            /// `quoteCoin`.
            quote_coin: CompactString = "quoteCoin",
            /// `innovation`: in the innovation zone.
            innovation: Flag = "innovation",
            /// `status`.
            status: Status = "status",
            /// `marginTrading`.
            margin_trading: ModeSupport = "marginTrading",
            /// `stTag`: flagged as a special-treatment pair.
            st_tag: Flag = "stTag",
            /// `lotSizeFilter`.
            lot_size_filter: SpotLotSizeFilter = "lotSizeFilter",
            /// `priceFilter`.
            price_filter: SpotPriceFilter = "priceFilter",
            /// `riskParameters`.
            risk_parameters: RiskParameters = "riskParameters",
            /// `symbolType`.
            symbol_type: SymbolType = "symbolType",
            /// `xstockMultiplier`.
            xstock_multiplier: Decimal = "xstockMultiplier",
        }
    }
}

bybit_model! {
    /// `lotSizeFilter` of a spot pair.
    pub struct SpotLotSizeFilter {
        required {}
        optional {
            /// `basePrecision`.
            base_precision: Decimal = "basePrecision",
            /// `quotePrecision`.
            quote_precision: Decimal = "quotePrecision",
            /// `minOrderQty`.
            min_order_qty: Decimal = "minOrderQty",
            /// `maxOrderQty`.
            max_order_qty: Decimal = "maxOrderQty",
            /// `minOrderAmt`.
            min_order_amt: Decimal = "minOrderAmt",
            /// `maxOrderAmt`.
            max_order_amt: Decimal = "maxOrderAmt",
            /// `maxLimitOrderQty`.
            max_limit_order_qty: Decimal = "maxLimitOrderQty",
            /// `maxMarketOrderQty`.
            max_market_order_qty: Decimal = "maxMarketOrderQty",
            /// `postOnlyMaxLimitOrderSize`.
            post_only_max_limit_order_size: Decimal = "postOnlyMaxLimitOrderSize",
        }
    }
}

bybit_model! {
    /// `priceFilter` of a spot pair.
    pub struct SpotPriceFilter {
        required {}
        optional {
            /// `tickSize`.
            tick_size: Decimal = "tickSize",
        }
    }
}
