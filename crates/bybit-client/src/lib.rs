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
//! A list is fetched whole or not at all: every page is followed (`limit=1000`) until the
//! cursor is empty or a page is empty, a repeated cursor or more than
//! [`ClientConfig::max_pages`] pages is an [`Error::Pagination`], and rate limits, 5xx and
//! timeouts are retried a bounded number of times ([`RetryPolicy`]).
//!
//! # Behavior
//! - A page whose `X-Bapi-Limit-Status` is 0 delays the next request until
//!   `X-Bapi-Limit-Reset-Timestamp` (at most [`RetryPolicy::max_delay`]); the last page
//!   delays nothing.
//! - A body over [`ClientConfig::max_body_size`] (32 MiB by default) is
//!   [`Error::BodyTooLarge`], by its `Content-Length` or while it streams, and a page that
//!   would need a single allocation past that size to decode is [`Error::Malformed`].
//!   Neither is retried.
//! - Pages over 16 KiB are decoded on tokio's blocking pool, so that decoding does not hold
//!   up the caller's runtime thread.
//!
//! The [`models`] keep Bybit's field names and exact values (decimals keep their scale,
//! `""`/`null` and unknown fields are kept), so serializing them to JSON or to MessagePack
//! maps (`rmp_serde::to_vec_named`) and back loses nothing. [`models::Positional`] writes the
//! cheaper-to-decode array form, for caches keyed by [`models::SCHEMA_VERSION`].
//!
//! Lists are values to compare and combine: [`diff::diff`] gives the listings,
//! delistings, status changes and changed fields between two lists of a category,
//! [`InstrumentList::merge`] joins the default list with a `status=PreLaunch` one, and
//! [`InstrumentList::next_boundary_after`] says when Bybit has announced the list will
//! change (a delivery, a launch, a pre-market auction phase).
//!
//! Features: `mock` exposes `MockInstrumentSource` (mockall); `testing` exposes
//! `testing`, a local mock Bybit serving the recorded fixtures in pages with injectable
//! faults (`testing::MockBybit::start().await.base_url()`), and the `mock-bybit` binary
//! (`mock-bybit --port 18080` prints its base URL and serves until interrupted;
//! `--instruments CATEGORY=FILE` serves a file read again on every request).

mod body;
mod client;
mod config;
pub mod diff;
mod error;
mod escape;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod guard;
mod instrument;
mod merge;
pub mod models;
mod offload;
mod pagination;
mod query;
mod response;
mod retry;
mod schedule;
mod source;
#[cfg(feature = "testing")]
pub mod testing;

pub use client::BybitClient;
pub use config::{ClientConfig, RetryPolicy};
pub use diff::{Change, ListError};
pub use error::{Error, PaginationError};
pub use escape::Escaped;
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
