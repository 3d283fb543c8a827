//! Read-through caching over any [`cache_core::Cache`]: fresh values from the cache, one
//! shared fetch on a miss, a stale copy when the upstream fails or is slow, and values kept
//! decoded in the process.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use cache_core::{Codec, MemoryCache, TypedCache};
//! use cache_policy::{Freshness, ReadThrough, Source};
//!
//! let cache = TypedCache::new(MemoryCache::new(64 << 20), Codec::msgpack());
//! let policy = Freshness::new(Duration::from_secs(3600)).with_max_stale(Duration::from_secs(86400));
//! let symbols = ReadThrough::<Vec<String>, std::io::Error, _>::new(cache, policy);
//!
//! let fetch = || async { Ok(vec!["BTCUSDT".to_owned()]) };
//! assert_eq!(symbols.get("symbols:linear", fetch).await?.source, Source::Upstream);
//! assert_eq!(symbols.get("symbols:linear", fetch).await?.source, Source::Cache);
//! # Ok(()) }
//! ```
//!
//! # Layers
//! - [`ReadThrough`]: per-dataset read-through with a [`Freshness`] policy (TTL, jitter, how
//!   long a stale copy is kept to serve when the upstream fails or is slow),
//!   [`FetchTimeouts`] (a soft timeout after which a stale copy is served, a hard deadline
//!   after which the fetch is abandoned), [`SingleFlight`] so that concurrent misses share
//!   one fetch, [`FetchError`] for a fetch that failed, panicked or ran out of time, and
//!   [`Stats`] counters.
//! - [`LocalCache`]: the decoded values a read-through keeps in the process, each served
//!   again only once the cache is found to hold its [`Stamp`](cache_core::Stamp) still, or,
//!   following the backend's [`Notifications`](cache_core::Notifications)
//!   ([`LocalCache::follow`]), without a round trip while no write was announced and the
//!   value was checked within the last [`DEFAULT_RECHECK_AFTER`].
//! - [`Fleet`]: the processes sharing a cache take turns at a piece of work through the
//!   cache's [`Lease`](cache_core::Lease), one doing it while the others wait for its result
//!   ([`ReadThrough::with_fleet`]).
//! - [`Backoff`]: after failed work, a short-lived marker beside its lease holds back every
//!   process sharing the cache until the pause its caller's [`FailureClass`] calls for is over
//!   ([`ReadThrough::with_backoff`]): exponential with jitter after transient failures, until
//!   the time the upstream named, or a long pause after a ban.
//!
//! The byte-level [`Cache`](cache_core::Cache) trait, the codecs, the envelope and the
//! backends are `cache-core`'s and the backend crates'.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod backoff;
mod fetch_error;
mod fleet;
mod flight;
mod follow;
mod freshness;
mod jitter;
mod read_through;
mod stats;
mod timeouts;

pub use backoff::{
    BackingOff, Backoff, BackoffMarker, DEFAULT_BAN_PAUSE, DEFAULT_FIRST_PAUSE,
    DEFAULT_LONGEST_PAUSE, FailureClass,
};
pub use fetch_error::FetchError;
pub use fleet::{DEFAULT_LEASE_TTL, DEFAULT_MAX_WAIT, Fleet, FleetStats};
pub use flight::SingleFlight;
pub use freshness::Freshness;
#[allow(deprecated)]
pub use read_through::{
    CLOCK_SKEW_TOLERANCE, DEFAULT_LOCAL_CAPACITY, DEFAULT_RECHECK_AFTER, LocalCache, Lookup,
    ReadThrough, Refreshed, Source,
};
pub use stats::Stats;
pub use timeouts::FetchTimeouts;
