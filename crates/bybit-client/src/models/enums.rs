//! Bybit's string enums. Each keeps a value it does not know in `Other`, so a status or type
//! Bybit adds later neither fails parsing nor changes on its way through a cache.

use super::macros::string_enum;

string_enum! {
    /// `status` of an instrument. Older responses used `ONLINE`, `DELIVERING` and `OFFLINE`,
    /// which are kept as [`Status::Other`].
    pub enum Status {
        /// Listed but not yet trading (pre-market included).
        PreLaunch = "PreLaunch",
        /// Trading.
        Trading = "Trading",
        /// Being delivered or settled.
        Delivering = "Delivering",
        /// Delisted.
        Closed = "Closed",
    }
}

string_enum! {
    /// `contractType` of a linear or inverse contract.
    pub enum ContractType {
        /// USDT or USDC margined perpetual.
        LinearPerpetual = "LinearPerpetual",
        /// USDT or USDC margined dated future.
        LinearFutures = "LinearFutures",
        /// Coin-margined perpetual.
        InversePerpetual = "InversePerpetual",
        /// Coin-margined dated future.
        InverseFutures = "InverseFutures",
    }
}

string_enum! {
    /// `optionsType` of an option.
    pub enum OptionsType {
        /// A call.
        Call = "Call",
        /// A put.
        Put = "Put",
    }
}

string_enum! {
    /// Which account kinds may use a feature (`copyTrading`, spot `marginTrading`).
    pub enum ModeSupport {
        /// Not available (`"none"`).
        Unsupported = "none",
        /// Available to unified and classic accounts.
        Both = "both",
        /// Available to unified trading accounts only.
        UtaOnly = "utaOnly",
        /// Available to classic accounts only.
        NormalOnly = "normalOnly",
    }
}

string_enum! {
    /// `symbolType`: the zone a symbol trades in.
    pub enum SymbolType {
        /// The main zone (`""`).
        Normal = "",
        /// The innovation zone.
        Innovation = "innovation",
        /// The adventure zone.
        Adventure = "adventure",
        /// Tokenised stocks.
        Xstocks = "xstocks",
    }
}

string_enum! {
    /// A `"0"`/`"1"` flag (spot `innovation`, `stTag`).
    pub enum Flag {
        /// `"0"`.
        No = "0",
        /// `"1"`.
        Yes = "1",
    }
}

string_enum! {
    /// A phase of a pre-market contract's auction.
    pub enum AuctionPhase {
        /// The auction has not started.
        NotStarted = "NotStarted",
        /// The auction is over.
        Finished = "Finished",
        /// Orders may be placed and cancelled, none match.
        CallAuction = "CallAuction",
        /// Orders may be placed but not cancelled.
        CallAuctionNoCancel = "CallAuctionNoCancel",
        /// Orders are being matched.
        CrossMatching = "CrossMatching",
        /// Normal continuous trading.
        ContinuousTrading = "ContinuousTrading",
    }
}
