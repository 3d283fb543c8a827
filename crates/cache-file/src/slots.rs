//! [`Slots`]: the bound on how many of tokio's blocking threads the file system work of one
//! [`FileCache`](crate::FileCache) holds at once.
//!
//! Tokio cannot stop a blocking task: an operation that timed out keeps its thread until the
//! file system answers. On a hung mount (NFS, FUSE) such threads would pile up to the blocking
//! pool's limit, and every other blocking task of the process (decoding a page, a large
//! value) would queue behind them. Work takes a slot before it is spawned and gives it back
//! only when the work itself returns, however long after its caller stopped waiting, so the
//! cache never holds more threads than it has slots, whatever its file system does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;

use cache_core::{Error, Result};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slots of one cache, shared by its clones.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    free: Arc<Semaphore>,
    bound: usize,
    /// Work still running whose caller stopped waiting for it (timed out, or dropped its
    /// future): what a file system that does not answer leaves behind.
    stranded: Arc<AtomicUsize>,
    /// Holds every piece of work before it starts while it is set, as a hung file system
    /// would.
    #[cfg(test)]
    pub(crate) stall: Arc<stall::Stall>,
}

// A piece of work's progress, shared by the work and its caller, so that exactly one of
// them accounts for a stranded slot.
const RUNNING: u8 = 0;
const DONE: u8 = 1;
const STRANDED: u8 = 2;

impl Slots {
    /// `bound` slots; the caller has checked that it is within [`Semaphore::MAX_PERMITS`]
    /// and not zero.
    pub(crate) fn new(bound: usize) -> Self {
        Self {
            free: Arc::new(Semaphore::new(bound)),
            bound,
            stranded: Arc::default(),
            #[cfg(test)]
            stall: Arc::default(),
        }
    }

    /// How many slots there are.
    pub(crate) fn bound(&self) -> usize {
        self.bound
    }

    /// Runs `work` on the blocking pool in a slot, waiting at most `limit` for the slot and
    /// the work together. If the caller stops waiting, by the limit or by dropping the
    /// future, work that started still runs to its end, so an entry is written whole or not
    /// at all, and keeps its slot until then.
    ///
    /// When every slot is held by stranded work the file system has stopped answering, and
    /// waiting for a slot would only cost the caller its time limit: the call fails at once
    /// with [`Error::Unavailable`], which the read-through layer takes, like a timeout, for a
    /// cache it cannot reach (a read is a miss, a write is skipped). Otherwise it waits for a
    /// slot within `limit`, as a burst of calls on a healthy disk does.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        limit: Duration,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let in_slot = async {
            let slot = self.acquire().await?;
            slot.run(work).await
        };
        tokio::time::timeout(limit, in_slot)
            .await
            .unwrap_or(Err(Error::Timeout(limit)))
    }

    /// A free slot, waited for unless every slot is stranded.
    async fn acquire(&self) -> Result<Slot> {
        if self.stranded.load(Ordering::Acquire) >= self.bound {
            return Err(Error::Unavailable {
                message: format!(
                    "the cache directory does not answer: all {} file operations in flight \
                     outlived their callers",
                    self.bound
                ),
                source: None,
            });
        }
        self.wait_for_slot().await
    }

    async fn wait_for_slot(&self) -> Result<Slot> {
        let permit = Arc::clone(&self.free)
            .acquire_owned()
            .await
            .map_err(|e| Error::backend("file cache slots closed", e))?;
        Ok(Slot {
            permit,
            slots: self.clone(),
        })
    }

    /// Drops `value`, whose drop is file system work (closing a locked file), on the blocking
    /// pool in a slot, waiting for one as long as it takes, without the caller waiting for
    /// it. Outside a runtime it is dropped here.
    pub(crate) fn drop_later<T: Send + 'static>(&self, value: T) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return drop(value);
        };
        let slots = self.clone();
        drop(runtime.spawn(async move {
            if let Ok(slot) = slots.wait_for_slot().await {
                let closed = slot.run(move || {
                    drop(value);
                    Ok(())
                });
                // Only a runtime shutting down fails it; the value went with the task.
                drop(closed.await);
            }
        }));
    }

    /// `value`, to be dropped in the work it is moved into, or handed to
    /// [`Slots::drop_later`] if that work never runs.
    pub(crate) fn drop_in_work<T: Send + 'static>(&self, value: T) -> DropInWork<T> {
        DropInWork {
            value: Some(value),
            slots: self.clone(),
        }
    }
}

/// A held slot, given back when the work run in it returns.
struct Slot {
    permit: OwnedSemaphorePermit,
    slots: Slots,
}

impl Slot {
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let progress = Arc::new(AtomicU8::new(RUNNING));
        let running = Running {
            progress: Arc::clone(&progress),
            stranded: Arc::clone(&self.slots.stranded),
            _permit: self.permit,
        };
        #[cfg(test)]
        let stall = Arc::clone(&self.slots.stall);
        let task = tokio::task::spawn_blocking(move || {
            let _running = running;
            #[cfg(test)]
            stall.wait();
            work()
        });
        let _waiting = Waiting {
            progress,
            stranded: Arc::clone(&self.slots.stranded),
        };
        task.await
            .map_err(|e| Error::backend("file cache task failed", e))?
    }
}

/// Owned by the work: marks it done, and gives its slot back, when the work returns or
/// unwinds.
struct Running {
    progress: Arc<AtomicU8>,
    stranded: Arc<AtomicUsize>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Running {
    fn drop(&mut self) {
        // Before the permit (a field) is dropped: the count of stranded work never exceeds
        // the slots held.
        if self.progress.swap(DONE, Ordering::AcqRel) == STRANDED {
            self.stranded.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Owned by the caller: counts the work as stranded if the caller stops waiting before it
/// returns.
struct Waiting {
    progress: Arc<AtomicU8>,
    stranded: Arc<AtomicUsize>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.progress.load(Ordering::Acquire) == DONE {
            return;
        }
        // Counted first, so that the work, once it sees the mark, never takes away a count
        // that is not there yet.
        self.stranded.fetch_add(1, Ordering::AcqRel);
        let marked =
            self.progress
                .compare_exchange(RUNNING, STRANDED, Ordering::AcqRel, Ordering::Acquire);
        if marked.is_err() {
            self.stranded.fetch_sub(1, Ordering::AcqRel); // it returned meanwhile
        }
    }
}

/// A value whose drop is file system work, moved into a piece of work that drops it with
/// [`DropInWork::drop_here`]. If the work never runs (no slot in time, the caller gone), it
/// goes to [`Slots::drop_later`] instead of being dropped on a runtime thread.
pub(crate) struct DropInWork<T: Send + 'static> {
    value: Option<T>,
    slots: Slots,
}

impl<T: Send + 'static> DropInWork<T> {
    /// Drops the value here, on the blocking thread the work runs on.
    pub(crate) fn drop_here(mut self) {
        drop(self.value.take());
    }
}

impl<T: Send + 'static> Drop for DropInWork<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.slots.drop_later(value);
        }
    }
}

#[cfg(test)]
pub(crate) mod stall {
    use std::sync::{Condvar, Mutex, PoisonError};

    /// While set, every piece of work waits before it starts, as on a file system that does
    /// not answer.
    #[derive(Debug, Default)]
    pub(crate) struct Stall {
        set: Mutex<bool>,
        changed: Condvar,
    }

    impl Stall {
        pub(crate) fn set(&self, set: bool) {
            *self.set.lock().unwrap_or_else(PoisonError::into_inner) = set;
            self.changed.notify_all();
        }

        pub(super) fn wait(&self) {
            let set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
            drop(
                self.changed
                    .wait_while(set, |set| *set)
                    .unwrap_or_else(PoisonError::into_inner),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use bytes::Bytes;
    use cache_core::{Cache, Codec, Lease, TypedCache};

    use super::*;
    use crate::FileCache;

    /// The cache's bound, and how many more operations hang than it allows.
    const BOUND: usize = 4;
    const EXTRA: usize = 4;
    const LIMIT: Duration = Duration::from_millis(200);
    /// How long a step may take before the test fails instead of hanging.
    const WATCHDOG: Duration = Duration::from_secs(10);
    const MINUTE: Duration = Duration::from_secs(60);

    /// A runtime whose blocking pool has room for the cache's bound and a few threads more,
    /// as tokio's 512 have for its default.
    fn run<F: Future<Output = ()>>(test: impl FnOnce(tempfile::TempDir) -> F) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(BOUND + EXTRA)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(test(tempfile::tempdir().unwrap()));
    }

    /// Lets the stalled work go when dropped, a failed assertion included, so that the
    /// runtime, which waits for its blocking tasks, can be dropped.
    struct Hung(Arc<stall::Stall>);

    impl Drop for Hung {
        fn drop(&mut self) {
            self.0.set(false);
        }
    }

    /// A cache of `BOUND` slots whose directory stops answering, after more operations than
    /// the bound, of every kind, were started on it and timed out.
    async fn hung_cache(dir: &tempfile::TempDir) -> (FileCache, Hung) {
        let cache = FileCache::builder(dir.path())
            .max_blocking_threads(BOUND)
            .operation_timeout(LIMIT)
            .sweep_interval(None)
            .open()
            .await
            .unwrap();
        let stall = Arc::clone(&cache.slots().stall);
        stall.set(true);
        let calls: Vec<_> = (0..BOUND + EXTRA)
            .map(|i| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    match i % 4 {
                        0 => cache.get("k").await.map(drop),
                        1 => cache.set("k", Bytes::from_static(b"v"), MINUTE).await,
                        2 => cache.try_acquire("n", MINUTE).await.map(drop),
                        _ => cache.purge_expired().await.map(drop),
                    }
                })
            })
            .collect();
        for call in calls {
            let done = tokio::time::timeout(WATCHDOG, call).await;
            let failed = done.expect("an operation outlived its timeout").unwrap();
            assert!(
                failed.as_ref().is_err_and(Error::is_temporary),
                "{failed:?}"
            );
        }
        (cache, Hung(stall))
    }

    #[test]
    fn a_hung_directory_leaves_the_blocking_pool_room_for_other_work() {
        run(|dir| async move {
            let (_cache, _hung) = hung_cache(&dir).await;
            // Other blocking work, such as decoding a page, still finds a thread.
            let other = tokio::time::timeout(WATCHDOG, tokio::task::spawn_blocking(|| 42)).await;
            assert!(
                matches!(other, Ok(Ok(42))),
                "the cache's stuck work filled the blocking pool"
            );
        });
    }

    #[test]
    fn operations_on_a_hung_directory_fail_at_once_then_recover() {
        run(|dir| async move {
            let (cache, hung) = hung_cache(&dir).await;
            // Unavailable, not a timeout: no call waited for a slot.
            let get = cache.get("k").await;
            assert!(matches!(get, Err(Error::Unavailable { .. })), "{get:?}");
            let set = cache.set("k", Bytes::from_static(b"v"), MINUTE).await;
            assert!(matches!(set, Err(Error::Unavailable { .. })), "{set:?}");
            let lease = cache.try_acquire("n", MINUTE).await;
            assert!(matches!(lease, Err(Error::Unavailable { .. })), "{lease:?}");

            // Once the file system answers, the stranded work returns every slot.
            drop(hung);
            let slots = cache.slots();
            let recovered = tokio::time::timeout(WATCHDOG, async {
                while slots.stranded.load(Ordering::Acquire) > 0
                    || slots.free.available_permits() < BOUND
                {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            });
            assert!(recovered.await.is_ok(), "the slots never came back");
            let get = cache.get("k").await;
            assert!(get.is_ok(), "{get:?}");
        });
    }

    /// The user's view: a read through a cache whose directory hangs returns the fetched
    /// value, encoded (threshold zero) on the blocking pool the hung directory shares.
    #[test]
    fn get_or_fetch_over_a_hung_directory_returns_the_fetched_value() {
        run(|dir| async move {
            let (cache, _hung) = hung_cache(&dir).await;
            let typed = TypedCache::new(cache, Codec::msgpack().with_blocking_threshold(0));
            let fetch = || async { Ok::<_, Error>(vec![7_u32; 100]) };
            let read = typed.get_or_fetch("k", MINUTE, fetch);
            let value = tokio::time::timeout(WATCHDOG, read).await;
            let value = value.expect("the read never returned").unwrap();
            assert_eq!(value, vec![7; 100]);
        });
    }

    /// A release that finds no slot closes the lock file later, off the runtime's threads:
    /// the lease stays taken until a slot is free, then another cache can take it.
    #[test]
    fn a_release_without_a_slot_closes_the_lock_file_once_one_is_free() {
        run(|dir| async move {
            let cache = FileCache::builder(dir.path())
                .max_blocking_threads(1)
                .operation_timeout(LIMIT)
                .open()
                .await
                .unwrap();
            let other = FileCache::open(dir.path()).await.unwrap();
            let token = cache.try_acquire("n", MINUTE).await.unwrap().unwrap();
            let hung = Hung(Arc::clone(&cache.slots().stall));
            hung.0.set(true);
            let stuck = cache.get("k").await;
            assert!(matches!(stuck, Err(Error::Timeout(_))), "{stuck:?}");
            let released = cache.release("n", &token).await;
            assert!(
                matches!(released, Err(Error::Unavailable { .. })),
                "{released:?}"
            );
            assert_eq!(other.try_acquire("n", MINUTE).await.unwrap(), None);

            drop(hung);
            let taken = tokio::time::timeout(WATCHDOG, async {
                loop {
                    if let Some(token) = other.try_acquire("n", MINUTE).await.unwrap() {
                        return token;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            });
            assert!(taken.await.is_ok(), "the lock file was never closed");
        });
    }

    #[tokio::test]
    async fn work_past_the_limit_is_a_timeout() {
        let limit = Duration::from_millis(50);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let err = Slots::new(1)
            .run(limit, move || {
                let _ = wait.recv();
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout(d) if d == limit), "{err:?}");
        assert!(err.is_temporary());
        // Ends the work, which the runtime waits for when the test drops it.
        drop(release);
    }

    #[tokio::test]
    async fn the_bound_is_configured_and_zero_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FileCache::open(dir.path()).await.unwrap();
        assert_eq!(
            cache.max_blocking_threads(),
            crate::DEFAULT_MAX_BLOCKING_THREADS
        );
        let builder = FileCache::builder(dir.path());
        let cache = builder.clone().max_blocking_threads(3).open().await;
        assert_eq!(cache.unwrap().max_blocking_threads(), 3);
        for refused in [0, Semaphore::MAX_PERMITS + 1] {
            let opened = builder.clone().max_blocking_threads(refused).open().await;
            assert!(
                matches!(opened, Err(Error::InvalidArgument(_))),
                "{refused}: {opened:?}"
            );
        }
    }
}
