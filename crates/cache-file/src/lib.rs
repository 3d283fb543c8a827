//! A persistent [`Cache`](cache_core::Cache) in a directory: one file per key, replaced
//! atomically, shared safely by several processes, with no server to run.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use cache_core::Cache;
//! use cache_file::FileCache;
//!
//! let tmp = tempfile::tempdir()?;
//! let dir = tmp.path().join("market-data");
//!
//! let cache = FileCache::open(&dir).await?;
//! cache.set("instruments:linear", "[...]".into(), Duration::from_secs(3600)).await?;
//!
//! // Another process, or this one after a restart, sees the entry.
//! let reopened = FileCache::open(&dir).await?;
//! assert_eq!(reopened.get("instruments:linear").await?.as_deref(), Some(&b"[...]"[..]));
//! assert!(reopened.ttl("instruments:linear").await?.unwrap() <= Duration::from_secs(3600));
//! # Ok(()) }
//! ```
//!
//! # Files
//! The entry of a key lives in `<32 hex digits>.entry`, the FNV-1a 128-bit hash of the key's
//! UTF-8 bytes, so any key makes a safe name. A write goes to a fresh `.tmp-<random>` file in
//! the same directory, which is then renamed over the entry file. Rename is atomic on POSIX
//! file systems, so a reader opens either the old file or the new one, never part of one,
//! whichever process wrote it. A writer killed mid-write leaves at worst a temporary file,
//! which nothing reads and a sweep removes once it is [`STRAY_TEMP_AGE`] old. Files with
//! other names are never touched, so the directory may be shared with other files. Files
//! are created readable and writable by their owner only, so the processes sharing a
//! directory run as one user. The directory is flat, which suits the tens of thousands of
//! entries a market-data cache holds.
//!
//! An entry file is, with integers little-endian:
//!
//! ```text
//! offset     size  field
//! 0          4     magic "MDCF"
//! 4          1     layout version, 1
//! 5          3     reserved, zero
//! 8          8     expiry: Unix time in milliseconds
//! 16         4     key length K
//! 20         8     value length V
//! 28         K     key (UTF-8)
//! 28+K       4     CRC-32 of bytes 0 .. 28+K
//! 32+K       V     value
//! 32+K+V     4     CRC-32 of the value
//! ```
//!
//! Keys and values are at most [`MAX_KEY_LEN`] and [`MAX_VALUE_LEN`] bytes (512 MiB, as in
//! Redis); a longer write is [`Error::InvalidArgument`](cache_core::Error::InvalidArgument).
//! A file of any other length, a wrong magic, version or checksum, or a declared length
//! past those limits, is invalid: it reads as missing and is removed (if it is still the
//! same file). Every length is checked against the file's before anything is allocated. A whole entry of another key (a
//! hash collision, or a copied file) reads as missing and is left to be overwritten. The TTL,
//! the delete and the sweep read only the header; a get also checks the value's checksum. A
//! [`get_prefix`](cache_core::Cache::get_prefix) reads the header and the prefix alone: the
//! header's checksum is checked, the value's (which covers all of it) cannot be.
//!
//! Anything but a regular file under an entry name (a FIFO, a socket, a device, a directory,
//! a symbolic link) is not ours either: entry files are opened without following links and
//! without waiting (`O_NOFOLLOW | O_NONBLOCK`), so a FIFO never blocks a reader or a sweep,
//! and what was opened is checked to be a regular file before a byte is read. Such a file
//! reads as missing and is left alone; a write renames its entry over it where it can.
//!
//! # Time to live
//! The expiry is absolute wall-clock time, so every process agrees on it; a clock set
//! backwards lengthens the remaining TTL. TTLs are stored in whole milliseconds, rounded
//! up. Zero, or more than [`MAX_TTL`] (a century), is
//! [`Error::InvalidArgument`](cache_core::Error::InvalidArgument) and writes nothing; a
//! batch is checked whole before any of it is written. An expired entry reads as missing
//! and is removed by the reader that finds it, by [`FileCache::purge_expired`], or by the
//! background sweep that writes start now and then ([`FileCacheBuilder::sweep_interval`]).
//!
//! # Durability
//! [`Durability`] chooses the `fsync` calls: by default each file is synced before its
//! rename, so after a power loss every entry is whole; the directory is not synced, so the
//! last writes may be lost, which a cache can afford. Whatever the choice, checksums make a
//! torn file read as missing, never as wrong data.
//!
//! # Concurrency
//! Every filesystem call of an operation runs on tokio's blocking pool; batches run as one
//! blocking task, and a cache runs at most
//! [`max_blocking_threads`](FileCacheBuilder::max_blocking_threads) of them at once (see
//! [Blocking threads](#blocking-threads)). Processes need no lock: the last rename of a key wins. Removing a stale
//! file can race with another process's write of the same key and lose that write (a later
//! miss), never mix values. Atomic rename over an open file is a POSIX guarantee; other
//! platforms build but are not the target.
//!
//! # Leases
//! The cache's [`Lease`](cache_core::Lease) ([`Cache::lease`](cache_core::Cache::lease)) is
//! an operating-system file lock (`flock` on Unix) on one file per lease name, in the
//! `leases` subdirectory, which nothing removes. Another process can take a lease as soon
//! as its holder's process exits or is killed; within the holding process the lease also
//! ends after its TTL unless extended, as in the other backends. Lease names never meet
//! cache keys.
//!
//! # Timeouts and exiting
//! Each operation, opening included, fails with
//! [`Error::Timeout`](cache_core::Error::Timeout) once it has taken longer than
//! [`FileCacheBuilder::operation_timeout`] ([`DEFAULT_OPERATION_TIMEOUT`] by default), as
//! the Redis backend's do. The runtime must have its time driver enabled, as
//! `#[tokio::main]` and `Builder::enable_all` do.
//!
//! Tokio cannot stop a blocking task: the file system work of an operation that timed out
//! goes on, and a write that timed out may still take effect. Dropping a runtime, as the end
//! of `#[tokio::main]` does, waits for every blocking task to finish, so on a file system
//! that never answers (a hung network mount) the program would not exit. A program that must
//! exit whatever the file system does shuts its runtime down with a bound,
//! `Runtime::shutdown_timeout`, instead of dropping it:
//!
//! ```no_run
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     // ... use the cache ...
//! });
//! runtime.shutdown_timeout(std::time::Duration::from_secs(5));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The background sweep does not hold up an exit: it runs on a thread of its own, which the
//! process does not wait for (a sweep cut short only removes fewer files).
//!
//! # Blocking threads
//! Since a blocking task cannot be stopped, each operation that times out on a file system
//! that never answers leaves a thread of tokio's blocking pool behind. Unbounded, they would
//! fill the pool (512 threads by default), and the process's other blocking work, such as
//! decoding a large value or a page of upstream data, would queue behind them until its
//! callers' deadlines passed: the cache would fail calls the upstream could answer.
//!
//! So a cache holds at most [`FileCacheBuilder::max_blocking_threads`]
//! ([`DEFAULT_MAX_BLOCKING_THREADS`], 16, by default) of the pool's threads; each operation
//! takes one before its work is spawned and gives it back when that work returns, not when
//! its caller stops waiting. Every operation shares the bound: entries, batches, leases,
//! [`FileCache::purge_expired`], and opening (each cache opened has its own bound). The
//! background sweep runs on its own thread, one at a time.
//!
//! An operation waits for a free thread within its operation timeout, so a burst of calls on
//! a healthy disk queues briefly rather than failing. Once every thread is held by work
//! whose caller has already timed out or gone, the directory is taken for hung, and each
//! operation fails at once with [`Error::Unavailable`](cache_core::Error::Unavailable), until
//! some of that work returns. Like [`Error::Timeout`](cache_core::Error::Timeout), that is a
//! temporary error: cache-policy's read-through layers treat it as a cache they cannot reach, so
//! a read becomes a miss that is fetched from the upstream, a write is skipped with a warning,
//! and a lease that cannot be taken leaves the caller to do its work itself.

mod backend;
mod builder;
mod entry;
mod layout;
mod lock;
mod paths;
mod slots;
mod sweep;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use backend::{FileCache, MAX_TTL};
pub use builder::{
    DEFAULT_MAX_BLOCKING_THREADS, DEFAULT_OPERATION_TIMEOUT, DEFAULT_SWEEP_INTERVAL, Durability,
    FileCacheBuilder,
};
pub use layout::{MAX_KEY_LEN, MAX_VALUE_LEN};
pub use sweep::{STRAY_TEMP_AGE, SweepReport};
