//! An async cache of bytes with per-entry TTL, and a typed, compressed layer on top of it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cache_core::Error> {
//! use std::time::Duration;
//! use cache_core::{Codec, Compression, MemoryCache, TypedCache};
//!
//! // Any backend: the in-memory one here, Redis or a directory in other crates.
//! let backend = MemoryCache::new(64 * 1024 * 1024);
//! let cache = TypedCache::new(backend, Codec::msgpack().with_compression(Compression::ZSTD)?);
//!
//! cache.set("funding:linear", &[("BTCUSDT", 480u32)], Duration::from_secs(3600)).await?;
//! let funding: Option<Vec<(String, u32)>> = cache.get("funding:linear").await?;
//! assert_eq!(funding, Some(vec![("BTCUSDT".to_owned(), 480)]));
//! # Ok(()) }
//! ```
//!
//! # Layers
//! - [`Cache`]: the byte-level trait every backend implements (get, set with a TTL, delete,
//!   remaining TTL, batches). It is object safe: `Arc<dyn Cache>` is a `Cache`.
//! - [`Codec`]: a [`Format`] (JSON or MessagePack) and a [`Compression`] (none, zlib, zstd,
//!   each with a level), and the limits within which stored bytes are read.
//! - [`envelope`]: the header every stored value carries (format, compression, decoded length,
//!   write time, checksum), so any reader decodes what any writer wrote and recognizes foreign
//!   or corrupt bytes. Its module docs give the byte layout; a value's [`Stamp`] tells which
//!   stored version it is from the header alone.
//! - [`TypedCache`]: serde values over any `Cache` and `Codec`, with
//!   [`TypedCache::get_or_fetch`] for simple read-through.
//! - [`Lease`] (through [`Cache::lease`]): an expiring, exclusive claim on a name, shared by
//!   every process on the same cache, so that one of them fetches while the others wait; a
//!   [`Fence`] refuses the writes of a holder whose lease lapsed.
//! - [`Notifications`] (through [`Cache::notifications`]): every write and delete through a
//!   backend, announced to every process that uses the same cache.
//! - [`unix_millis`]: the one conversion of write times to stored milliseconds.
//! - [`MemoryCache`] (feature `memory`, on by default): a bounded in-process backend.
//! - `testing` (feature `testing`): the conformance suite every backend passes.
//! - `MockCache` (feature `mock`): a mockall mock of [`Cache`] for other crates' tests.
//!
//! The `cache-policy` crate builds on these: read-through per dataset with freshness, stale
//! copies, shared fetches, fetch timeouts, values kept decoded in the process, and turns at
//! the work across processes through the lease.
//!
//! # Bad stored bytes
//! Decoding never panics and never returns a wrong value: unknown magic or version, a
//! truncated entry, trailing bytes, a checksum mismatch, a corrupt compressed stream, a
//! declared or actual decoded size above [`Codec::with_max_decoded_size`] (refused before it
//! is allocated), or a value of another type are all [`Error::Decode`] with a
//! [`DecodeError`] that says which.
//!
//! # Decoding off the runtime
//! A task should not run more than 10 to 100 µs between two `.await`s, or it holds up every
//! other task on its thread. Decoding a long instrument list takes longer than that, so
//! [`TypedCache`] decodes values whose decoded size exceeds
//! [`DEFAULT_BLOCKING_THRESHOLD`] (24 KiB) off the runtime's threads, and smaller ones inline,
//! where the hop would cost more than the work. On a multi-thread runtime the work goes to a
//! few codec threads of the crate's own, one per core, which run at the lowest CPU priority:
//! tokio's blocking pool runs at the runtime's priority, and on a machine whose cores are all
//! busy the kernel would share each one between a worker and a codec thread by time slice,
//! leaving a task waiting milliseconds for its worker. A current-thread runtime uses tokio's
//! blocking pool, where its paused test clock sees work in progress.
//!
//! Encoding follows the same line. [`TypedCache::set_shared`] serializes and compresses a
//! value above the threshold off the runtime's threads. A borrowed [`TypedCache::set`] whose
//! serialized form passes [`BORROWED_INLINE_LIMIT`] (4 KiB, or the threshold if lower) first
//! copies the value, which takes a quarter of serializing it (today's list: 17 µs against
//! 65 µs), and sends the copy the same way; smaller values are encoded inline. A value that
//! cannot be copied is stored with [`TypedCache::set_inline`], serialized on the calling
//! thread.
//!
//! The figures behind the threshold, from the `offload` bench (`cargo bench -p benches
//! --bench offload`; Bybit linear instruments, MessagePack + zstd-3, typed models as maps of
//! field names, and the positional `InstrumentList` market-data stores, for the recorded 2023
//! list and for the same list in today's shape; Intel Xeon @ 2.50 GHz, 2 vCPUs, one run of
//! `cargo xtask bench --warm-up-time 1 --measurement-time 2` on an otherwise quiet machine):
//!
//! | decoded bytes | 2023, positional | decoded bytes | today, positional | decoded bytes | today, maps |
//! |---:|---:|---:|---:|---:|---:|
//! | 8 723 | 23 µs | 8 202 | 23 µs | 10 076 | 19 µs |
//! | 11 610 | 30 µs | 16 346 | 42 µs | 20 414 | 37 µs |
//! | 19 373 (214 instruments) | 49 µs | 27 286 (214 instruments) | 68 µs | 40 435 | 72 µs |
//! | 77 417 | 171 µs | 109 069 | 245 µs | 135 284 (214) | 240 µs |
//!
//! The positional form is the slowest per byte (about 2.6 µs per KiB here, the maps 1.8); at
//! 24 KiB its inline decode takes about 60 µs, and about 100 µs on a machine kept busy by
//! other work (4.2 µs per KiB was measured so, before schema 2 made the form smaller). The
//! 2023 list decodes inline, today's leaves the runtime. A hop to the codec threads and back
//! cost 4 µs in a run where other builds kept every core busy (tokio's `spawn_blocking`
//! 29 µs), and 17 µs in the quiet run above (`spawn_blocking` the same), where the codec
//! thread's core had gone idle and had to be woken first.
//! [`Codec::with_blocking_threshold`] changes the line; a type that decodes slower per byte
//! than these models (`serde_json::Value`, many small allocations) may want a lower one.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod cache;
mod clock;
mod codec;
pub mod envelope;
mod error;
mod fence;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod lease;
#[cfg(feature = "memory")]
mod memory;
#[cfg(feature = "memory")]
mod memory_lease;
mod notify;
mod offload;
#[cfg(any(test, feature = "testing", feature = "fuzzing"))]
mod tamper;
#[cfg(feature = "testing")]
pub mod testing;
mod typed;

#[cfg(feature = "mock")]
pub use cache::MockCache;
pub use cache::{Cache, Entry, check_ttl};
pub use clock::unix_millis;
pub use codec::{
    Codec, Compression, CompressionKind, DEFAULT_BLOCKING_THRESHOLD, DEFAULT_COMPRESS_MIN_SIZE,
    DEFAULT_MAX_DECODED_SIZE, Format, Stored,
};
pub use envelope::Stamp;
pub use error::{BoxError, DecodeError, Error, Result};
pub use fence::Fence;
#[cfg(feature = "mock")]
pub use lease::MockLease;
pub use lease::{Lease, LeaseToken};
#[cfg(feature = "memory")]
pub use memory::MemoryCache;
pub use notify::{Listener, Notifications, Signal, Subscribers, Subscription};
pub use typed::{BORROWED_INLINE_LIMIT, TypedCache};
