//! The [`Lease`] of [`FileCache`]: an operating-system lock on one file per lease name,
//! which dies with the process that holds it.
//!
//! Lock files live in the `leases` subdirectory of the cache directory, named
//! `<32 hex digits>.lock` after the FNV-1a hash of the lease name. The sweep looks only at
//! the files of the cache directory itself, so it never touches them; nothing removes them
//! either, since removing a lock file while another process opens it would let two processes
//! lock two different files of one name. A name costs one empty file.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::{Cache, Error, Lease, LeaseToken, Result, check_ttl};

use crate::entry::io_error;
use crate::paths::lock_name;
use crate::slots::Slots;
use crate::{FileCache, MAX_TTL};

/// The subdirectory of the cache directory that holds the lock files.
pub(crate) const LEASE_DIR: &str = "leases";

/// The leases this process holds in one cache directory, shared by the cache's clones: each
/// with its locked file, whose lock the operating system drops when the file is closed or
/// the process dies.
#[derive(Debug, Default)]
pub(crate) struct Locks {
    held: Arc<Mutex<HashMap<String, Held>>>,
}

#[derive(Debug)]
struct Held {
    token: LeaseToken,
    expires_at: Instant,
    /// Kept open for its lock, which closing it gives back.
    _locked: File,
}

type Map = Mutex<HashMap<String, Held>>;

fn lock_map(map: &Map) -> MutexGuard<'_, HashMap<String, Held>> {
    // Every critical section leaves the map consistent, so a panic elsewhere is no reason
    // to refuse leases from then on.
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Locks {
    /// The holding of `name`, taken out of the map if it has expired; whether a live one
    /// remains.
    fn take_expired(&self, name: &str, now: Instant) -> (Option<Held>, bool) {
        let mut held = lock_map(&self.held);
        match held.get(name) {
            Some(lease) if lease.expires_at <= now => (held.remove(name), false),
            Some(_) => (None, true),
            None => (None, false),
        }
    }
}

/// Ends the lease `name` held with `token` when its TTL passes without an extension, so
/// that a holder that stops working without releasing, while its process lives on, frees
/// the name for the other processes too.
async fn expire_when_due(map: Weak<Map>, slots: Slots, name: String, token: LeaseToken) {
    loop {
        let due = {
            let Some(map) = map.upgrade() else { return };
            let held = lock_map(&map);
            match held.get(&name) {
                Some(lease) if lease.token == token => lease.expires_at,
                _ => return,
            }
        };
        tokio::time::sleep_until(due.into()).await;
        let Some(map) = map.upgrade() else { return };
        let mut held = lock_map(&map);
        match held.get(&name) {
            Some(lease) if lease.token == token && lease.expires_at <= Instant::now() => {
                if let Some(expired) = held.remove(&name) {
                    // Closing the file is file system work: off the runtime's threads, in
                    // one of the cache's slots.
                    slots.drop_later(expired);
                }
                return;
            }
            Some(lease) if lease.token == token => {} // extended: sleep again
            _ => return,
        }
    }
}

/// Opens (creating it and its directory if needed) and tries to lock the lock file of
/// `name`, without waiting: the file if it is ours now, `None` if another holds it.
fn try_lock(dir: &Path, name: &str) -> Result<Option<File>> {
    let leases = dir.join(LEASE_DIR);
    let path = leases.join(lock_name(name));
    let file = match open_lock_file(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create_lease_dir(&leases).map_err(|e| io_error("create", &leases, e))?;
            open_lock_file(&path)
        }
        opened => opened,
    }
    .map_err(|e| io_error("open lock file", &path, e))?;
    let kind = file.metadata().map_err(|e| io_error("inspect", &path, e))?;
    if !kind.is_file() {
        return Err(Error::backend(
            format!("cannot lock {}", path.display()),
            "not a regular file",
        ));
    }
    // Called through the trait: std's File::try_lock (Rust 1.89) would shadow it.
    match fs4::FileExt::try_lock(&file) {
        Ok(()) => Ok(Some(file)),
        Err(fs4::TryLockError::WouldBlock) => Ok(None),
        Err(fs4::TryLockError::Error(e)) => Err(io_error("lock", &path, e)),
    }
}

/// Opens a lock file read-write, creating it for its owner only. A link is not followed and
/// a FIFO does not block (then it is refused as not a regular file). std opens every file
/// close-on-exec, so a child program never inherits, and keeps, a lock.
#[cfg(unix)]
fn open_lock_file(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_lock_file(path: &Path) -> io::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

fn create_lease_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        created => created,
    }
}

/// Leases as operating-system file locks (`flock` on Unix), one lock file per name.
///
/// - **Across processes**, a lease is held while its holder's process holds the lock: the
///   operating system drops it when the process exits or is killed, so another process can
///   take the name at once, with no TTL to wait out.
/// - **Within the process**, the TTL applies as in the other backends: a lease not extended
///   in time ends, its file is closed, and the name is free for every process again. Two
///   tasks of one process exclude each other as two processes do.
/// - Every file operation runs on tokio's blocking pool within the operation timeout, in
///   one of the cache's blocking threads
///   ([`FileCacheBuilder::max_blocking_threads`](crate::FileCacheBuilder::max_blocking_threads)),
///   and the lock is only ever tried, never waited for. `extend` touches no file. When the
///   directory does not answer, a lease cannot be taken: the call fails as entry operations
///   do, and a caller such as cache-policy's `Fleet` does its work itself, as when the cache
///   cannot be reached.
/// - Locks on a network file system are only as good as its support for `flock`.
#[async_trait]
impl Lease for FileCache {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LeaseToken>> {
        check_ttl(ttl, MAX_TTL)?;
        let token = LeaseToken::random()?;
        let locks = self.locks();
        let (expired, live) = locks.take_expired(name, Instant::now());
        if live {
            return Ok(None);
        }
        let (dir, owned_name) = (self.dir().to_owned(), name.to_owned());
        let expired = expired.map(|held| self.slots().drop_in_work(held));
        let locked = self
            .blocking(move || {
                // Our own expired lock first, or the attempt would fail on it.
                if let Some(held) = expired {
                    held.drop_here();
                }
                try_lock(&dir, &owned_name)
            })
            .await?;
        // Dropped with the blocking task's output, a lock won after the caller stopped
        // waiting is let go at once.
        let Some(file) = locked else { return Ok(None) };
        let lease = Held {
            token: token.clone(),
            expires_at: Instant::now() + ttl,
            _locked: file,
        };
        lock_map(&locks.held).insert(name.to_owned(), lease);
        let timer = expire_when_due(
            Arc::downgrade(&locks.held),
            self.slots().clone(),
            name.to_owned(),
            token.clone(),
        );
        drop(tokio::spawn(timer));
        Ok(Some(token))
    }

    async fn extend(&self, name: &str, token: &LeaseToken, ttl: Duration) -> Result<bool> {
        check_ttl(ttl, MAX_TTL)?;
        let now = Instant::now();
        let mut held = lock_map(&self.locks().held);
        match held.get_mut(name) {
            Some(lease) if lease.token == *token && lease.expires_at > now => {
                lease.expires_at = now + ttl;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release(&self, name: &str, token: &LeaseToken) -> Result<bool> {
        let released = {
            let mut held = lock_map(&self.locks().held);
            match held.get(name) {
                Some(lease) if lease.token == *token => held.remove(name),
                _ => None,
            }
        };
        let Some(lease) = released else {
            return Ok(false);
        };
        let live = lease.expires_at > Instant::now();
        // Waited for, so that the name is free for the next taker once this returns. Without
        // a slot in time the file is closed later, as soon as one is free.
        let lease = self.slots().drop_in_work(lease);
        self.blocking(move || {
            lease.drop_here();
            Ok(())
        })
        .await?;
        Ok(live)
    }

    async fn set_if_held(
        &self,
        name: &str,
        token: &LeaseToken,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool> {
        // The lock file stays locked until the lease expires or is released, and only this
        // process can do either: pinned past the write's own time limit, the lease cannot
        // change hands while the entry is written.
        let now = Instant::now();
        let pinned = {
            let mut held = lock_map(&self.locks().held);
            match held.get_mut(name) {
                Some(lease) if lease.token == *token && lease.expires_at > now => {
                    let before = lease.expires_at;
                    lease.expires_at = before.max(now + self.operation_timeout());
                    Some((before, lease.expires_at))
                }
                _ => None,
            }
        };
        let Some((before, pinned)) = pinned else {
            return Ok(false);
        };
        let written = self.set(key, value, ttl).await;
        let mut held = lock_map(&self.locks().held);
        if let Some(lease) = held.get_mut(name)
            && lease.token == *token
            && lease.expires_at == pinned
        {
            lease.expires_at = before;
        }
        written.map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;
    use crate::paths::{FileKind, classify};

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn two_caches_on_one_directory_in_one_process_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            FileCache::open(dir.path()).await.unwrap(),
            FileCache::open(dir.path()).await.unwrap(),
        );
        let token = a.try_acquire("n", MINUTE).await.unwrap().unwrap();
        assert_eq!(b.try_acquire("n", MINUTE).await.unwrap(), None);
        assert!(!b.release("n", &token).await.unwrap(), "b holds nothing");
        assert!(a.release("n", &token).await.unwrap());
        assert!(b.try_acquire("n", MINUTE).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_sweep_leaves_lock_files_and_held_leases_alone() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path()).await.unwrap();
        let token = cache.try_acquire("n", MINUTE).await.unwrap().unwrap();
        let lock_file = dir.path().join(LEASE_DIR).join(lock_name("n"));
        assert!(lock_file.is_file());
        let report = cache.purge_expired().await.unwrap();
        assert_eq!(report, crate::SweepReport::default());
        assert!(lock_file.is_file());
        assert!(cache.release("n", &token).await.unwrap());
        assert!(lock_file.is_file(), "lock files are never removed");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_link_or_fifo_in_place_of_a_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path()).await.unwrap();
        let leases = dir.path().join(LEASE_DIR);
        fs::create_dir(&leases).unwrap();
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, leases.join(lock_name("link"))).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(leases.join(lock_name("fifo")))
            .status()
            .unwrap();
        assert!(status.success());
        for name in ["link", "fifo"] {
            let taken = cache.try_acquire(name, MINUTE).await;
            assert!(
                matches!(taken, Err(Error::Backend { .. })),
                "{name}: {taken:?}"
            );
        }
        assert!(!target.exists(), "the link was not followed");
    }

    #[test]
    fn the_sweep_leaves_the_lease_directory_alone() {
        assert_eq!(classify(OsStr::new(LEASE_DIR)), FileKind::Other);
        let name = lock_name("fetch:linear");
        assert_eq!(name.len(), 32 + ".lock".len());
    }
}
