//! [`FileCacheBuilder`]: the options a [`FileCache`] is opened with, and opening it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cache_core::{Error, Result};

use tokio::sync::Semaphore;

use crate::backend::FileCache;
use crate::entry::{self, Dir};
use crate::slots::Slots;
use crate::sweep::Schedule;

/// How often writes start a background sweep unless [`FileCacheBuilder::sweep_interval`]
/// says otherwise.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// How long an operation may take unless [`FileCacheBuilder::operation_timeout`] says
/// otherwise. A local disk answers in microseconds to milliseconds; this leaves room for a
/// batch of synced writes on a slow disk, and bounds a call on a file system that stalls.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// How many of tokio's blocking threads a cache's file system work may hold at once unless
/// [`FileCacheBuilder::max_blocking_threads`] says otherwise.
///
/// A local disk answers an operation in microseconds to milliseconds, so sixteen in flight
/// (a batch is one) serve far more calls than a market-data process makes, and the threads
/// mostly wait on the disk, so they need not match the cores. It is small beside tokio's
/// default of 512 blocking threads: a cache directory that stops answering ties up at most
/// sixteen, and the rest stay free for the process's other blocking work, such as decoding.
pub const DEFAULT_MAX_BLOCKING_THREADS: usize = 16;

/// What a write waits for before it returns. Every level replaces an entry atomically, so a
/// crashed process never leaves a torn entry; they differ in what survives a power loss or a
/// kernel crash, and every write pays for it in `fsync` calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Durability {
    /// No `fsync`. After a power loss an entry may read as missing (its checksum catches
    /// the loss), never as wrong data.
    NoSync,
    /// `fsync` each file before it is renamed into place, so that after a power loss each
    /// entry is whole: the new value or the old one. The default.
    #[default]
    SyncFile,
    /// Also `fsync` the directory after the renames, so that a write that returned survives
    /// a power loss.
    SyncFileAndDir,
}

/// Options for opening a [`FileCache`].
#[derive(Debug, Clone)]
#[must_use]
pub struct FileCacheBuilder {
    path: PathBuf,
    durability: Durability,
    sweep_interval: Option<Duration>,
    operation_timeout: Duration,
    max_blocking_threads: usize,
}

impl FileCacheBuilder {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            durability: Durability::default(),
            sweep_interval: Some(DEFAULT_SWEEP_INTERVAL),
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            max_blocking_threads: DEFAULT_MAX_BLOCKING_THREADS,
        }
    }

    /// How writes are made durable; [`Durability::SyncFile`] by default.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// How often writes also start a background sweep (the first write after opening
    /// does); `None` leaves sweeping to [`FileCache::purge_expired`].
    pub fn sweep_interval(mut self, interval: Option<Duration>) -> Self {
        self.sweep_interval = interval;
        self
    }

    /// How long each operation, opening included, may take before it fails with
    /// [`Error::Timeout`]; [`DEFAULT_OPERATION_TIMEOUT`] by default.
    ///
    /// The file system work of an operation that timed out cannot be stopped: it goes on in
    /// the background, so a write that timed out may still take effect. See the
    /// [crate docs](crate#timeouts-and-exiting) for what that means when a program exits.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// How many of tokio's blocking threads the cache's file system work (entries, leases,
    /// [`FileCache::purge_expired`]) may hold at once; [`DEFAULT_MAX_BLOCKING_THREADS`] by
    /// default. Clones of the cache share them; each cache opened has its own.
    ///
    /// Work that timed out keeps its thread until the file system answers, so the bound is
    /// what keeps a hung directory from taking the whole blocking pool. An operation waits
    /// for a free thread within its operation timeout; when every one is held by work whose
    /// caller already gave up, it fails at once with
    /// [`Error::Unavailable`](cache_core::Error::Unavailable), which a read-through takes
    /// for a miss. See the [crate docs](crate#blocking-threads).
    pub fn max_blocking_threads(mut self, threads: usize) -> Self {
        self.max_blocking_threads = threads;
        self
    }

    /// Creates the directory (and its parents) if needed and checks that it can be written,
    /// by writing and syncing a small temporary file: a full disk fails here rather than at
    /// the first write.
    ///
    /// A path that is a file, or lies under one, a zero operation timeout, and a number of
    /// blocking threads that is zero or above [`Semaphore::MAX_PERMITS`] are
    /// [`Error::InvalidArgument`]; a directory that cannot be created or written is
    /// [`Error::Backend`]; a file system that does not answer in time is [`Error::Timeout`].
    pub async fn open(self) -> Result<FileCache> {
        if self.operation_timeout.is_zero() {
            return Err(Error::invalid_argument(
                "the operation timeout must be greater than zero",
            ));
        }
        if !(1..=Semaphore::MAX_PERMITS).contains(&self.max_blocking_threads) {
            return Err(Error::invalid_argument(format!(
                "the blocking threads must be from 1 to {}",
                Semaphore::MAX_PERMITS
            )));
        }
        let path = self.path.clone();
        let slots = Slots::new(self.max_blocking_threads);
        slots
            .run(self.operation_timeout, move || prepare(&path))
            .await?;
        Ok(FileCache::new(
            Dir::new(self.path, self.durability),
            Schedule::new(self.sweep_interval),
            self.operation_timeout,
            slots,
        ))
    }
}

fn prepare(path: &Path) -> Result<()> {
    if let Err(e) = fs::create_dir_all(path) {
        let under_a_file = path.ancestors().any(|p| p.is_file());
        return Err(if under_a_file {
            Error::invalid_argument(format!(
                "cache directory {} is a file or lies under one",
                path.display()
            ))
        } else {
            entry::io_error("create cache directory", path, e)
        });
    }
    // Fail at startup rather than at the first write. An empty file can still be made on
    // a full disk, and a write can land in the page cache only to fail when it is flushed:
    // the probe writes a byte and syncs it, as a write does. Dropping it removes it.
    let probe = || -> std::io::Result<()> {
        let mut file = tempfile::Builder::new()
            .prefix(crate::paths::TEMP_PREFIX)
            .tempfile_in(path)?;
        file.write_all(b"probe")?;
        file.as_file().sync_data()
    };
    probe().map_err(|e| entry::io_error("write in cache directory", path, e))
}
