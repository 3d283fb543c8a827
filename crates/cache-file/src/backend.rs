//! [`FileCache`]: the [`Cache`] implementation over a directory, and its builder.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::{Cache, Entry, Error, Result, check_ttl};
use tokio::task::JoinHandle;

use crate::entry::{self, Dir, Pending};
use crate::sweep::{self, Schedule, SweepReport};

/// The longest TTL accepted: a century, as for cache-core's in-memory backend, so that
/// switching backends never changes which TTLs are valid. Expiries are stored as Unix
/// milliseconds in 64 bits, far beyond it.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
/// How often writes start a background sweep unless [`FileCacheBuilder::sweep_interval`]
/// says otherwise.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60 * 60);

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

/// A [`Cache`] that keeps one file per key in a directory, shared safely by every process
/// that opens it. See the [crate docs](crate) for the layout and the guarantees.
///
/// Clones share the same directory handle and sweep schedule.
#[derive(Debug, Clone)]
pub struct FileCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: Dir,
    schedule: Schedule,
}

/// Options for opening a [`FileCache`].
#[derive(Debug, Clone)]
#[must_use]
pub struct FileCacheBuilder {
    path: PathBuf,
    durability: Durability,
    sweep_interval: Option<Duration>,
}

impl FileCacheBuilder {
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

    /// Creates the directory (and its parents) if needed and checks that it can be written.
    ///
    /// A path that is a file, or lies under one, is [`Error::InvalidArgument`]; a directory
    /// that cannot be created or written is [`Error::Backend`].
    pub async fn open(self) -> Result<FileCache> {
        let path = self.path.clone();
        blocking(move || prepare(&path)).await?;
        Ok(FileCache {
            inner: Arc::new(Inner {
                dir: Dir::new(self.path, self.durability),
                schedule: Schedule::new(self.sweep_interval),
            }),
        })
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
    // Fail at startup rather than at the first write.
    tempfile::Builder::new()
        .prefix(crate::paths::TEMP_PREFIX)
        .tempfile_in(path)
        .map(drop)
        .map_err(|e| entry::io_error("write in cache directory", path, e))
}

impl FileCache {
    /// Opens the cache in `dir` with the default options; see [`FileCacheBuilder::open`].
    pub async fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        Self::builder(dir).open().await
    }

    /// A builder for a cache in `dir`.
    pub fn builder(dir: impl Into<PathBuf>) -> FileCacheBuilder {
        FileCacheBuilder {
            path: dir.into(),
            durability: Durability::default(),
            sweep_interval: Some(DEFAULT_SWEEP_INTERVAL),
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        self.inner.dir.path()
    }

    /// Removes expired and invalid entry files, and temporary files older than
    /// [`STRAY_TEMP_AGE`](crate::STRAY_TEMP_AGE) that crashed writers left behind.
    pub async fn purge_expired(&self) -> Result<SweepReport> {
        let inner = self.inner.clone();
        blocking(move || sweep::sweep(&inner.dir, SystemTime::now())).await
    }

    /// Starts a background sweep if one is due, returning its task.
    fn maybe_sweep(&self) -> Option<JoinHandle<()>> {
        if !self.inner.schedule.claim(entry::unix_ms(SystemTime::now())) {
            return None;
        }
        let inner = self.inner.clone();
        Some(tokio::task::spawn_blocking(move || {
            match sweep::sweep(&inner.dir, SystemTime::now()) {
                Ok(report) => tracing::debug!(?report, "swept the file cache"),
                Err(e) => tracing::warn!(error = %e, "cannot sweep the file cache"),
            }
            inner.schedule.finished();
        }))
    }

    async fn write(&self, entries: Vec<Entry>) -> Result<()> {
        for entry in &entries {
            check_ttl(entry.ttl, MAX_TTL)?;
            if u32::try_from(entry.key.len()).is_err() {
                return Err(Error::invalid_argument("key longer than 4 GiB"));
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        let now_ms = entry::unix_ms(SystemTime::now());
        let pending: Vec<Pending> = entries
            .into_iter()
            .map(|e| Pending {
                expires_at_ms: entry::expiry_ms(now_ms, e.ttl),
                key: e.key,
                value: e.value,
            })
            .collect();
        let inner = self.inner.clone();
        blocking(move || inner.dir.write(&pending)).await?;
        // Detached: the write does not wait for the sweep.
        drop(self.maybe_sweep());
        Ok(())
    }

    async fn read<T: Send + 'static>(
        &self,
        key: &str,
        op: fn(&Dir, &str, u64) -> Result<T>,
    ) -> Result<T> {
        let (inner, key) = (self.inner.clone(), key.to_owned());
        blocking(move || op(&inner.dir, &key, entry::unix_ms(SystemTime::now()))).await
    }
}

#[async_trait]
impl Cache for FileCache {
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.read(key, Dir::get).await
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
        self.write(vec![Entry::new(key, value, ttl)]).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.read(key, Dir::delete).await
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        self.read(key, Dir::ttl).await
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
        let (inner, keys) = (self.inner.clone(), keys.to_vec());
        blocking(move || {
            let now_ms = entry::unix_ms(SystemTime::now());
            keys.iter().map(|key| inner.dir.get(key, now_ms)).collect()
        })
        .await
    }

    async fn set_many(&self, entries: Vec<Entry>) -> Result<()> {
        self.write(entries).await
    }

    fn max_ttl(&self) -> Duration {
        MAX_TTL
    }
}

/// Runs filesystem work on the blocking pool. If the caller's future is dropped, the work
/// still runs to its end, so an entry is written whole or not at all.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::backend("file cache task failed", e))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_starts_a_due_sweep_that_removes_expired_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::builder(dir.path())
            .sweep_interval(None)
            .open()
            .await
            .unwrap();
        cache
            .set("short", Bytes::from_static(b"v"), Duration::from_millis(1))
            .await
            .unwrap();
        let name = crate::paths::entry_name("short");
        // Past its expiry whatever the clock's resolution; the entry is not read before the
        // sweep, which would remove it itself.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(cache.maybe_sweep().is_none(), "no interval, no sweep");
        assert!(dir.path().join(&name).exists());

        let cache = FileCache::builder(dir.path()).open().await.unwrap();
        cache
            .maybe_sweep()
            .expect("the first sweep is due")
            .await
            .unwrap();
        assert!(!dir.path().join(&name).exists(), "the sweep removed it");
        assert!(
            cache.maybe_sweep().is_none(),
            "the next is an interval away"
        );
    }
}
