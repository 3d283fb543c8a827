//! Linear and inverse contracts (`category=linear` and `category=inverse` share one shape).

use compact_str::CompactString;

use super::decimal::Decimal;
use super::enums::{ContractType, ModeSupport, Status, SymbolType};
use super::filters::{LeverageFilter, LotSizeFilter, PreListingInfo, PriceFilter, RiskParameters};
use super::macros::bybit_model;
use super::time::TimestampMs;

bybit_model! {
    /// A linear (USDT/USDC margined) or inverse (coin margined) contract.
    ///
    /// Only `symbol` is required; any other field may be missing from some symbols or some
    /// years of the API, so it is an `Option`.
    pub struct LinearInverseInstrument {
        required {
            /// `symbol`, e.g. `BTCUSDT`.
            symbol: CompactString = "symbol",
        }
        optional {
            /// `symbolId`.
            symbol_id: i64 = "symbolId",
            /// `contractType`.
            contract_type: ContractType = "contractType",
            /// `status`.
            status: Status = "status",
            /// `baseCoin`.
            base_coin: CompactString = "baseCoin",
            /// `quoteCoin`.
            quote_coin: CompactString = "quoteCoin",
            /// `settleCoin`.
            settle_coin: CompactString = "settleCoin",
            /// `launchTime`.
            launch_time: TimestampMs = "launchTime",
            /// `deliveryTime`; 0 for perpetuals.
            delivery_time: TimestampMs = "deliveryTime",
            /// `deliveryFeeRate`; `""` (so `None`) for perpetuals.
            delivery_fee_rate: Decimal = "deliveryFeeRate",
            /// `priceScale`: decimal places of the price.
            price_scale: Decimal = "priceScale",
            /// `leverageFilter`.
            leverage_filter: LeverageFilter = "leverageFilter",
            /// `priceFilter`.
            price_filter: PriceFilter = "priceFilter",
            /// `lotSizeFilter`.
            lot_size_filter: LotSizeFilter = "lotSizeFilter",
            /// `unifiedMarginTrade`.
            unified_margin_trade: bool = "unifiedMarginTrade",
            /// `fundingInterval`, in minutes.
            funding_interval: i64 = "fundingInterval",
            /// `copyTrading`.
            copy_trading: ModeSupport = "copyTrading",
            /// `upperFundingRate`.
            upper_funding_rate: Decimal = "upperFundingRate",
            /// `lowerFundingRate`.
            lower_funding_rate: Decimal = "lowerFundingRate",
            /// `isPreListing`.
            is_pre_listing: bool = "isPreListing",
            /// `preListingInfo`; `null` (so `None`) unless pre-listed.
            pre_listing_info: PreListingInfo = "preListingInfo",
            /// `riskParameters`.
            risk_parameters: RiskParameters = "riskParameters",
            /// `symbolType`.
            symbol_type: SymbolType = "symbolType",
            /// `displayName`.
            display_name: CompactString = "displayName",
        }
    }
}

/// A `category=linear` instrument.
pub type LinearInstrument = LinearInverseInstrument;
/// A `category=inverse` instrument.
pub type InverseInstrument = LinearInverseInstrument;
