//! Bybit's cached datasets over HTTP, for clients in any language: an axum [`Router`] over a
//! [`MarketData`], to serve on its own (`market-data serve`) or to mount in a service of
//! your own.
//!
//! | route (all `GET`) | answer |
//! |---|---|
//! | `/v1/bybit/{category}/instruments[?baseCoin=B]` | JSON array, as `market-data instruments --json` |
//! | `/v1/bybit/{category}/symbols[?baseCoin=B]` | JSON array, as `symbols --json` |
//! | `/v1/bybit/{category}/funding-intervals` | JSON object, as `funding-intervals --json` |
//! | `/v1/bybit/{category}/events[?baseCoin=B]` | Server-Sent Events: a `snapshot`, then each change |
//! | `/v1/ccxt/bybit/markets[?types=spot,linear,inverse,option&optionBaseCoins=BTC,ETH]` | JSON array of markets in ccxt's unified structure, as ccxt 4.5's `bybit().fetch_markets()` makes them (the `ccxt-markets` crate); ccxt's defaults: every type, options of BTC, ETH, SOL, XRP, MNT and DOGE |
//! | `/metrics` | Prometheus text, `market_data_*` |
//! | `/healthz`, `/readyz` | liveness; readiness (data can be had) |
//!
//! # Behavior
//! - **HTTP caching.** A strong `ETag` names the stored version served (its stamp: write
//!   time, checksum and length, which every process sharing the cache reads alike) and the
//!   content coding; `If-None-Match` naming it gets `304`. `Cache-Control: max-age` is the
//!   version's fresh time and `Age` its age, so that the freshness left is their difference;
//!   `stale-while-revalidate` and `stale-if-error` come from the policy. `Cache-Status`
//!   (RFC 9211) says `hit`, `fwd=stale` or `fwd=miss; stored`.
//! - **Compression.** `Accept-Encoding: gzip` or `zstd` gets that coding. Each version's JSON
//!   and each of its codings is built once, at the first request for it, and shared.
//! - **Errors** are `{"error": "..."}`: `400` for an unknown category or options without
//!   `baseCoin`, `404` for an unknown route, `405` for another method, `503` with
//!   `Retry-After` when nothing is cached and Bybit fails (a stale copy is served instead
//!   when there is one).
//! - **Bounds.** A request not answered within [`Options::request_timeout`] gets `504`; at
//!   most [`Options::max_in_flight`] are handled at once; no request body is read. Serve it
//!   with [`serve`] and [`ConnectionLimit`] to bound connections and the time a client may
//!   take to send a request's headers too.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode, header};
//! use bybit_client::testing::MockBybit;
//! use bybit_client::{BybitClient, ClientConfig};
//! use cache_core::MemoryCache;
//! use market_data::{MarketData, Policy};
//! use market_data_http::{Options, router};
//! use tower::ServiceExt;
//!
//! let bybit = MockBybit::start().await; // a local server with recorded responses
//! let client = BybitClient::new(ClientConfig::new(bybit.base_url()))?;
//! let cache = Arc::new(MemoryCache::new(64 << 20));
//! let data = Arc::new(MarketData::new(cache, Arc::new(client), Policy::default()));
//! let app = router(data, Options::default());
//!
//! let request = Request::get("/v1/bybit/linear/symbols").body(Body::empty())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert!(response.headers().contains_key(header::ETAG));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod bodies;
mod ccxt;
mod datasets;
mod encoding;
mod error;
mod events;
mod health;
mod listener;
mod metrics;
mod options;
mod params;
mod respond;
mod routes;
mod serve;
mod state;

pub use listener::{ConnectionLimit, DEFAULT_MAX_CONNECTIONS, LimitedStream};
pub use options::{
    DEFAULT_EVENT_RETENTION, DEFAULT_EVENTS_KEPT, DEFAULT_KEEP_ALIVE, DEFAULT_MAX_EVENT_MARKETS,
    DEFAULT_MAX_IN_FLIGHT, DEFAULT_REQUEST_TIMEOUT, Options,
};
pub use routes::router;
pub use serve::{DEFAULT_HEADER_TIMEOUT, serve};

/// Re-exported: the type [`router`] serves.
pub use axum::Router;
/// Re-exported: what [`router`] serves.
pub use market_data::MarketData;
