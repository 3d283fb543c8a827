//! cache-core's [`Cache`](cache_core::Cache) on Redis, and on Redis Cluster by changing the URL.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> cache_core::Result<()> {
//! use std::time::Duration;
//! use cache_core::{Cache, Codec, Compression, TypedCache};
//! use cache_redis::RedisCache;
//!
//! // One server; `redis+cluster://10.0.0.1:7000,10.0.0.2:7000` would be a cluster.
//! let redis = RedisCache::builder()
//!     .url("redis://127.0.0.1:6380/0")
//!     .key_prefix("market-data:")
//!     .operation_timeout(Duration::from_millis(500))
//!     .build()
//!     .await?;
//! redis.set("hello", "world".into(), Duration::from_secs(60)).await?;
//!
//! let typed = TypedCache::new(redis, Codec::msgpack().with_compression(Compression::ZSTD)?);
//! typed.set("symbols", &["BTCUSDT", "ETHUSDT"], Duration::from_secs(3600)).await?;
//! let symbols: Option<Vec<String>> = typed.get("symbols").await?;
//! # Ok(()) }
//! ```
//!
//! # Where it connects
//! [`RedisUrl`] lists the URL forms: `redis://[:password@]host:port/db`, `rediss://…` for TLS
//! (feature `tls`), and `redis+cluster://host1:port1,host2:port2` (or `rediss+cluster://`)
//! for a cluster given by its seed nodes. A program that takes a `--cache URL` calls
//! [`RedisUrl::parse`] to check it, or hands it to [`RedisConfig::url`]. A redis-rs
//! [`Client`](redis::Client) or [`ClusterClient`](redis::cluster::ClusterClient) the program
//! already has works too.
//!
//! # Behaviour
//! - One multiplexed connection (a `ConnectionManager`, or the cluster connection) shared by
//!   every clone and call; it reconnects by itself after a restart or a dropped connection.
//! - Every call finishes within the operation timeout: [`Error::Timeout`](cache_core::Error)
//!   beyond it, [`Error::Unavailable`](cache_core::Error) as soon as a connection is refused
//!   or dropped, [`Error::Backend`](cache_core::Error) when the server refuses a command.
//! - TTLs are sent as `PX` milliseconds in the `SET` itself, up to [`MAX_TTL`].
//! - Leases ([`Cache::lease`](cache_core::Cache::lease)) are keys of their own, taken with
//!   `SET NX PX` and a random token, extended and released by Lua scripts that check it; each
//!   touches one key, so they work on a cluster too.
//! - Every write and delete is announced on a pub/sub channel under the key prefix, in the
//!   same pipeline as the write; [`Cache::notifications`](cache_core::Cache::notifications)
//!   follows it on a connection of its own, reconnecting with backoff, so that a
//!   `cache_policy::LocalCache` serves the values it holds without a round trip.
//!   An announcement is best-effort: one the server refuses never fails the write
//!   ([`RedisConfig::announce`] turns them off).
//! - An optional key prefix namespaces every key; on a cluster, see
//!   [`RedisConfig::key_prefix`] for how it affects hash slots.
//! - No `Debug`, `Display` or error message contains the password; [`redact_url`] hides it
//!   in a URL-shaped text that does not parse.
//!
//! # Features
//! - `tls`: `rediss://` and `rediss+cluster://` with rustls (ring), trusting the system's
//!   roots or a CA given to `RedisConfig::tls_root_cert`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod announce;
mod backend;
mod cluster;
mod config;
mod connect;
mod error;
mod lease;
mod notify;
mod redact;
mod run;
mod url;

pub use backend::{MAX_TTL, RedisCache};
pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, RedisConfig};
pub use redact::redact_url;
pub use url::RedisUrl;
