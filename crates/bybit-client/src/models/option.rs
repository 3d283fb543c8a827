//! Options (`category=option`).

use compact_str::CompactString;

use super::decimal::Decimal;
use super::enums::{OptionsType, Status};
use super::filters::PriceFilter;
use super::macros::bybit_model;
use super::time::TimestampMs;

bybit_model! {
    /// An option contract.
    pub struct OptionInstrument {
        required {
            /// `symbol`, e.g. `BTC-27MAR26-70000-P-USDT`.
            symbol: CompactString = "symbol",
        }
        optional {
            /// `status`.
            status: Status = "status",
            /// `baseCoin`.
            base_coin: CompactString = "baseCoin",
            /// `quoteCoin`.
            quote_coin: CompactString = "quoteCoin",
            /// `settleCoin`.
            settle_coin: CompactString = "settleCoin",
            /// `optionsType`.
            options_type: OptionsType = "optionsType",
            /// `launchTime`.
            launch_time: TimestampMs = "launchTime",
            /// `deliveryTime`.
            delivery_time: TimestampMs = "deliveryTime",
            /// `deliveryFeeRate`.
            delivery_fee_rate: Decimal = "deliveryFeeRate",
            /// `priceFilter`.
            price_filter: PriceFilter = "priceFilter",
            /// `lotSizeFilter`.
            lot_size_filter: OptionLotSizeFilter = "lotSizeFilter",
            /// `displayName`.
            display_name: CompactString = "displayName",
        }
    }
}

bybit_model! {
    /// `lotSizeFilter` of an option.
    pub struct OptionLotSizeFilter {
        required {}
        optional {
            /// `maxOrderQty`.
            max_order_qty: Decimal = "maxOrderQty",
            /// `minOrderQty`.
            min_order_qty: Decimal = "minOrderQty",
            /// `qtyStep`.
            qty_step: Decimal = "qtyStep",
        }
    }
}
