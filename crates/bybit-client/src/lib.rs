//! A client for Bybit v5 public market data: `GET /v5/market/instruments-info` with cursor
//! pagination, retries and typed, lossless models.
//!
//! ```no_run
//! use bybit_client::{BybitClient, ClientConfig, InstrumentList, InstrumentsQuery};
//!
//! # async fn run() -> Result<(), bybit_client::Error> {
//! let client = BybitClient::new(ClientConfig::mainnet())?;
//! let list = client.instruments(&InstrumentsQuery::linear()).await?;
//! if let InstrumentList::Linear(instruments) = &list {
//!     for i in instruments {
//!         println!("{} tick {:?} funding every {:?} min", i.symbol,
//!             i.price_filter.as_ref().and_then(|p| p.tick_size), i.funding_interval);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Features: `mock` exposes [`MockInstrumentSource`] (mockall); `testing` exposes
//! [`testing`], a local mock Bybit server serving the recorded fixtures, and the
//! `mock-bybit` binary.

mod client;
mod config;
mod error;
pub mod models;
mod pagination;
mod query;
mod response;
mod retry;
mod source;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::BybitClient;
pub use config::{ClientConfig, RetryPolicy};
pub use error::{Error, PaginationError};
pub use models::{
    Category, Decimal, InstrumentList, LinearInverseInstrument, OptionInstrument, SpotInstrument,
    TimestampMs,
};
pub use query::InstrumentsQuery;
pub use source::InstrumentSource;
#[cfg(feature = "mock")]
pub use source::MockInstrumentSource;

/// The decimal library behind [`Decimal`], for arithmetic on prices and quantities.
pub use rust_decimal;
