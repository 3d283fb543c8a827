//! [`FileCache`]: the [`Cache`] implementation over a directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::{Cache, Entry, Error, Lease, Result, check_ttl};

use crate::builder::FileCacheBuilder;
use crate::entry::{self, Dir, Pending};
use crate::layout::{MAX_KEY_LEN, MAX_VALUE_LEN};
use crate::lock::Locks;
use crate::slots::Slots;
use crate::sweep::{self, Schedule, SweepReport};

/// The longest TTL accepted: a century, as for cache-core's in-memory backend, so that
/// switching backends never changes which TTLs are valid. Expiries are stored as Unix
/// milliseconds in 64 bits, far beyond it.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
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
    timeout: Duration,
    slots: Slots,
    locks: Locks,
}

impl FileCache {
    pub(crate) fn new(dir: Dir, schedule: Schedule, timeout: Duration, slots: Slots) -> Self {
        let inner = Inner {
            dir,
            schedule,
            timeout,
            slots,
            locks: Locks::default(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Opens the cache in `dir` with the default options; see [`FileCacheBuilder::open`].
    pub async fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        Self::builder(dir).open().await
    }

    /// A builder for a cache in `dir`.
    pub fn builder(dir: impl Into<PathBuf>) -> FileCacheBuilder {
        FileCacheBuilder::new(dir.into())
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        self.inner.dir.path()
    }

    /// The limit on each operation; see [`FileCacheBuilder::operation_timeout`].
    pub fn operation_timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The most threads of tokio's blocking pool the cache's file system work holds at once;
    /// see [`FileCacheBuilder::max_blocking_threads`].
    pub fn max_blocking_threads(&self) -> usize {
        self.inner.slots.bound()
    }

    /// The leases this process holds in this directory.
    pub(crate) fn locks(&self) -> &Locks {
        &self.inner.locks
    }

    /// The bound on the cache's blocking work.
    pub(crate) fn slots(&self) -> &Slots {
        &self.inner.slots
    }

    /// Runs file system work on the blocking pool, in one of the cache's slots, within the
    /// operation timeout; see [`Slots::run`].
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.inner.slots.run(self.inner.timeout, work).await
    }

    /// Removes expired and invalid entry files, and temporary files older than
    /// [`STRAY_TEMP_AGE`](crate::STRAY_TEMP_AGE) that crashed writers left behind.
    ///
    /// Like every operation it is bounded by the operation timeout, which a directory of
    /// very many entries on a slow disk may need raised; a sweep that timed out goes on to
    /// its end in the background.
    pub async fn purge_expired(&self) -> Result<SweepReport> {
        let inner = self.inner.clone();
        self.blocking(move || sweep::sweep(&inner.dir, SystemTime::now()))
            .await
    }

    /// Starts a background sweep if one is due, returning its thread.
    ///
    /// The sweep runs on a thread of its own rather than on tokio's blocking pool: dropping
    /// a runtime waits for the blocking pool's tasks, while a process exits without waiting
    /// for other threads, and a sweep cut short loses nothing.
    fn maybe_sweep(&self) -> Option<std::thread::JoinHandle<()>> {
        let claim = self
            .inner
            .schedule
            .claim(cache_core::unix_millis(SystemTime::now()))?;
        let inner = self.inner.clone();
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let spawned = std::thread::Builder::new()
            .name("cache-file-sweep".into())
            .spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    match sweep::sweep(&inner.dir, SystemTime::now()) {
                        Ok(report) => tracing::debug!(?report, "swept the file cache"),
                        Err(e) => tracing::warn!(error = %e, "cannot sweep the file cache"),
                    }
                });
                drop(claim);
            });
        // Without a thread the claim was dropped with the closure: the next write tries again.
        spawned
            .inspect_err(|e| tracing::warn!(error = %e, "cannot start a file cache sweep"))
            .ok()
    }

    async fn write(&self, entries: Vec<Entry>) -> Result<()> {
        for entry in &entries {
            check_ttl(entry.ttl, MAX_TTL)?;
            if entry.key.len() > MAX_KEY_LEN {
                return Err(Error::invalid_argument("key longer than 512 MiB"));
            }
            if entry.value.len() > MAX_VALUE_LEN {
                return Err(Error::invalid_argument("value longer than 512 MiB"));
            }
        }
        if entries.is_empty() {
            return Ok(());
        }
        let now_ms = cache_core::unix_millis(SystemTime::now());
        let pending: Vec<Pending> = entries
            .into_iter()
            .map(|e| Pending {
                expires_at_ms: entry::expiry_ms(now_ms, e.ttl),
                key: e.key,
                value: e.value,
            })
            .collect();
        let inner = self.inner.clone();
        self.blocking(move || inner.dir.write(&pending)).await?;
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
        self.blocking(move || op(&inner.dir, &key, cache_core::unix_millis(SystemTime::now())))
            .await
    }
}

#[async_trait]
impl Cache for FileCache {
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.read(key, Dir::get).await
    }

    async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
        let (inner, key) = (self.inner.clone(), key.to_owned());
        self.blocking(move || {
            let now_ms = cache_core::unix_millis(SystemTime::now());
            inner.dir.get_prefix(&key, len, now_ms)
        })
        .await
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
        self.blocking(move || {
            let now_ms = cache_core::unix_millis(SystemTime::now());
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

    fn lease(&self) -> Option<&dyn Lease> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_OPERATION_TIMEOUT;

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
            .join()
            .unwrap();
        assert!(!dir.path().join(&name).exists(), "the sweep removed it");
        assert!(
            cache.maybe_sweep().is_none(),
            "the next is an interval away"
        );
    }

    /// The background sweep meets a FIFO under an entry name (which a blocking open would
    /// wait on forever), goes past it and ends. Writes never wait for the sweep, so only
    /// joining its thread, with a bound, can tell that it ends.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_background_sweep_over_a_fifo_ends() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(crate::paths::entry_name("fifo"));
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo {}", fifo.display());
        let cache = FileCache::open(dir.path()).await.unwrap();
        let expired = Pending {
            key: "short".into(),
            value: Bytes::from_static(b"v"),
            expires_at_ms: 1,
        };
        cache.inner.dir.write(&[expired]).unwrap();
        let sweep = cache.maybe_sweep().expect("the first sweep is due");
        let (done, ended) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(sweep.join().is_ok()));
        let joined = ended.recv_timeout(Duration::from_secs(20));
        assert_eq!(joined, Ok(true), "the sweep hangs or panicked");
        let short = dir.path().join(crate::paths::entry_name("short"));
        assert!(!short.exists(), "the sweep removed the expired entry");
        assert!(fifo.exists(), "and left the FIFO alone");
    }

    #[tokio::test]
    async fn the_operation_timeout_is_configured_and_zero_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path()).await.unwrap();
        assert_eq!(cache.operation_timeout(), DEFAULT_OPERATION_TIMEOUT);
        let limit = Duration::from_millis(1500);
        let builder = FileCache::builder(dir.path());
        let cache = builder.clone().operation_timeout(limit).open().await;
        assert_eq!(cache.unwrap().operation_timeout(), limit);
        let zero = builder.operation_timeout(Duration::ZERO).open().await;
        assert!(matches!(zero, Err(Error::InvalidArgument(_))), "{zero:?}");
    }
}
