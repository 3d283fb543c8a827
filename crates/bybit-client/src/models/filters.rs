//! Trading filters and the small objects nested in instruments.

use super::decimal::Decimal;
use super::enums::AuctionPhase;
use super::macros::bybit_model;
use super::time::TimestampMs;

bybit_model! {
    /// `leverageFilter` of a linear or inverse contract.
    pub struct LeverageFilter {
        required {}
        optional {
            /// `minLeverage`.
            min_leverage: Decimal = "minLeverage",
            /// `maxLeverage`.
            max_leverage: Decimal = "maxLeverage",
            /// `leverageStep`.
            leverage_step: Decimal = "leverageStep",
        }
    }
}

bybit_model! {
    /// `priceFilter` of a linear, inverse or option contract.
    pub struct PriceFilter {
        required {}
        optional {
            /// `minPrice`.
            min_price: Decimal = "minPrice",
            /// `maxPrice`.
            max_price: Decimal = "maxPrice",
            /// `tickSize`.
            tick_size: Decimal = "tickSize",
        }
    }
}

bybit_model! {
    /// `lotSizeFilter` of a linear or inverse contract.
    pub struct LotSizeFilter {
        required {}
        optional {
            /// `maxOrderQty`: largest limit order.
            max_order_qty: Decimal = "maxOrderQty",
            /// `minOrderQty`.
            min_order_qty: Decimal = "minOrderQty",
            /// `qtyStep`.
            qty_step: Decimal = "qtyStep",
            /// `postOnlyMaxOrderQty` (deprecated by Bybit, still sent).
            post_only_max_order_qty: Decimal = "postOnlyMaxOrderQty",
            /// `maxMktOrderQty`: largest market order.
            max_mkt_order_qty: Decimal = "maxMktOrderQty",
            /// `minNotionalValue`.
            min_notional_value: Decimal = "minNotionalValue",
        }
    }
}

bybit_model! {
    /// `riskParameters`: how far a limit order may be from the market.
    pub struct RiskParameters {
        required {}
        optional {
            /// `priceLimitRatioX`.
            price_limit_ratio_x: Decimal = "priceLimitRatioX",
            /// `priceLimitRatioY`.
            price_limit_ratio_y: Decimal = "priceLimitRatioY",
            /// `limitParameter` (spot, before 2025).
            limit_parameter: Decimal = "limitParameter",
            /// `marketParameter` (spot, before 2025).
            market_parameter: Decimal = "marketParameter",
        }
    }
}

bybit_model! {
    /// `preListingInfo` of a pre-market contract.
    pub struct PreListingInfo {
        required {}
        optional {
            /// `curAuctionPhase`.
            cur_auction_phase: AuctionPhase = "curAuctionPhase",
            /// `phases`, in order.
            phases: Vec<AuctionPhaseWindow> = "phases",
            /// `auctionFeeInfo`.
            auction_fee_info: AuctionFeeInfo = "auctionFeeInfo",
        }
    }
}

bybit_model! {
    /// One entry of `preListingInfo.phases`.
    pub struct AuctionPhaseWindow {
        required {}
        optional {
            /// `phase`.
            phase: AuctionPhase = "phase",
            /// `startTime`.
            start_time: TimestampMs = "startTime",
            /// `endTime`; `""` (so `None`) for the open-ended last phase.
            end_time: TimestampMs = "endTime",
        }
    }
}

bybit_model! {
    /// `preListingInfo.auctionFeeInfo`.
    pub struct AuctionFeeInfo {
        required {}
        optional {
            /// `auctionFeeRate`.
            auction_fee_rate: Decimal = "auctionFeeRate",
            /// `takerFeeRate`.
            taker_fee_rate: Decimal = "takerFeeRate",
            /// `makerFeeRate`.
            maker_fee_rate: Decimal = "makerFeeRate",
        }
    }
}
