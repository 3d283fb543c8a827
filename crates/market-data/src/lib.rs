//! Cached Bybit market data: each dataset of each market read through any `cache-core`
//! backend on its own schedule, from any instruments source.
//!
//! | dataset | default TTL | stored as |
//! |---|---|---|
//! | [`Dataset::Instruments`] | 60 s | MessagePack + zstd |
//! | [`Dataset::Symbols`] | 24 h | MessagePack (+ zstd when large) |
//! | [`Dataset::FundingIntervals`] | 1 h | MessagePack (+ zstd when large) |
//!
//! [`MarketData`] is the entry point; [`Policy`] configures freshness and encoding per
//! dataset. Keys are `market-data:{dataset}:v{schema}:{market}`, so a new model version
//! never reads old bytes.
#![deny(missing_docs)]

mod backoff;
mod derive;
mod error;
mod expiry;
mod fresh;
mod market;
mod markets;
mod policy;
mod recent;
mod service;
mod vet;
mod watch;

pub use cache_core::Stamp;
pub use cache_policy::{FetchTimeouts, FleetStats, Lookup, Source, Stats};
pub use derive::FundingIntervals;
pub use error::Error;
pub use expiry::BOUNDARY_GRACE;
pub use market::{Dataset, Market, cache_key};
pub use policy::{
    DEFAULT_MAX_MARKETS, DEFAULT_MAX_STALE, DEFAULT_NAMESPACE, DEFAULT_REFRESH_AHEAD,
    DatasetPolicy, Policy,
};
pub use service::{MarketData, MarketStats};
pub use vet::Refused;
pub use watch::{MarketEvent, default_interval};
