//! How a [`LocalCache`](crate::LocalCache) follows a backend's notifications: which held
//! values it may serve without asking the shared cache.
//!
//! A value is trusted unchecked only when it was validated (its stamp read from the shared
//! cache) recently, while the subscription was up, and no announcement that may concern its
//! key arrived since that validation *started*. The last condition closes the race of a
//! change announced while the validation's read was on its way: the read may have seen the
//! old version. Keys are hashed onto counters (stripes), bumped by each announcement: a
//! collision costs one extra validation, never a stale serve.
//!
//! Announced changes also go, through a bounded queue, to a task that drops the held values
//! they outdate. That only frees memory early: the stripe is bumped before the change is
//! queued, so a held value it outdates is validated before it is served again whether the
//! change reaches the task or not. Hence the queue may lose changes: those of keys not held
//! are not queued at all, and those that find it full are dropped (see [`Changes`]).

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use cache_core::{Signal, Stamp, Subscription};
use tokio::sync::mpsc::Sender;
use tokio::sync::mpsc::error::TrySendError;

const STRIPES: usize = 256;

/// The state of one local cache's subscription, shared by its clones and read by its
/// listener.
pub(crate) struct Following {
    hasher: RandomState,
    stripes: Box<[AtomicU64]>,
    /// Bumped each time the subscription is (re)established: what was validated before is
    /// validated again.
    epoch: AtomicU64,
    up: AtomicBool,
    subscription: Mutex<Option<Subscription>>,
    /// Where announced changes go to drop the held values they outdate.
    changes: Mutex<Option<Changes>>,
    /// Whether the last change announced for a held key found the queue full: the first
    /// one dropped is logged, not each.
    overflowing: AtomicBool,
}

/// The queue of announced changes on their way to drop the held values they outdate, and
/// which keys are held.
///
/// # Overflow
/// A change is queued only when its key is held at the time it is announced, and dropped
/// when the queue is full (the task that empties it lags behind a burst). Either way nothing
/// stale is served: the change's stripe is bumped first, so a value of its key validated
/// before is validated again before it is served, and finds the newer version; one
/// inserted after the check is not trusted before a validation that starts after the bump.
/// So no resynchronization is needed after an overflow (bumping the epoch would only make
/// every other held value pay a round trip): what a dropped change costs is the early drop
/// of one outdated value, which stays held, within the local cache's byte bound, until a
/// read of its key replaces it or it is evicted, and one notice left uncounted.
pub(crate) struct Changes {
    send: Sender<Change>,
    holds: Box<dyn Fn(&str) -> bool + Send + Sync>,
}

impl Changes {
    /// Sends to `send` the changes of the keys for which `holds` is true. `holds` is called
    /// by the backend with each announcement: it must not block nor take a lock.
    pub(crate) fn new(
        send: Sender<Change>,
        holds: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            send,
            holds: Box::new(holds),
        }
    }

    /// How many changes wait in the queue.
    fn queued(&self) -> usize {
        self.send.max_capacity() - self.send.capacity()
    }
}

/// A change announced for a key: drop the held value unless it is this version.
pub(crate) struct Change {
    pub(crate) key: String,
    pub(crate) stamp: Option<Stamp>,
}

/// What the subscription looked like for one key when a validation started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    epoch: u64,
    seq: u64,
}

/// When a held value was last found current, and under which [`Token`]; shared by the
/// clones of its entry.
#[derive(Debug, Default)]
pub(crate) struct Trust(Mutex<Option<(Token, Instant)>>);

impl Trust {
    /// Records a validation that started under `token` and found the value current.
    pub(crate) fn set(&self, token: Token) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((token, Instant::now()));
    }

    fn get(&self) -> Option<(Token, Instant)> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Following {
    pub(crate) fn new() -> Self {
        Self {
            hasher: RandomState::new(),
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            epoch: AtomicU64::new(0),
            up: AtomicBool::new(false),
            subscription: Mutex::new(None),
            changes: Mutex::new(None),
            overflowing: AtomicBool::new(false),
        }
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        // Truncation is the point: the hash picks a stripe.
        #[allow(clippy::cast_possible_truncation)]
        let at = self.hasher.hash_one(key) as usize % STRIPES;
        &self.stripes[at]
    }

    /// Whether a subscription is held (up or not).
    pub(crate) fn is_following(&self) -> bool {
        self.subscription
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Whether announcements flow now.
    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }

    /// The token a validation of `key` starting now runs under; `None` while announcements
    /// do not flow, when no validation can earn trust.
    pub(crate) fn token(&self, key: &str) -> Option<Token> {
        if !self.is_up() {
            return None;
        }
        Some(Token {
            epoch: self.epoch.load(Ordering::SeqCst),
            seq: self.stripe(key).load(Ordering::SeqCst),
        })
    }

    /// Whether a value of `key` with `trust` may be served unchecked now.
    pub(crate) fn trusts(&self, key: &str, trust: &Trust, within: Duration) -> bool {
        let Some((token, at)) = trust.get() else {
            return false;
        };
        at.elapsed() < within && self.token(key) == Some(token)
    }

    /// Holds `subscription`, and sends announced changes to `changes` from now on.
    pub(crate) fn attach(&self, subscription: Subscription, changes: Option<Changes>) {
        *self.changes.lock().unwrap_or_else(PoisonError::into_inner) = changes;
        *self
            .subscription
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(subscription);
    }

    /// How many announced changes wait for the task that drops outdated values.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        let changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        changes.as_ref().map_or(0, Changes::queued)
    }

    /// Applies a signal: called by the backend, so it only touches atomics, a lookup in the
    /// held values that takes no lock, and a channel it never waits for.
    pub(crate) fn signal(&self, signal: &Signal<'_>) {
        match signal {
            Signal::Up => {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                self.up.store(true, Ordering::SeqCst);
                tracing::info!("notifications up: held values are served without a round trip");
            }
            Signal::Down => {
                self.up.store(false, Ordering::SeqCst);
                tracing::info!("notifications down: held values are validated on every read");
            }
            Signal::Written { key, .. } | Signal::Removed { key } => {
                self.stripe(key).fetch_add(1, Ordering::SeqCst);
                let changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(changes) = changes.as_ref() {
                    self.queue(changes, key, signal.stamp());
                }
            }
            // A signal of a newer cache-core: whatever it says, nothing validated before is
            // trusted unchecked until validated again.
            _ => {
                self.epoch.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// Queues the change of `key` if it is held; drops it when the queue is full, which is
    /// safe (see [`Changes`]).
    fn queue(&self, changes: &Changes, key: &str, stamp: Option<Stamp>) {
        if !(changes.holds)(key) {
            return;
        }
        let change = Change {
            key: key.to_owned(),
            stamp,
        };
        match changes.send.try_send(change) {
            Ok(()) => self.overflowing.store(false, Ordering::Relaxed),
            Err(TrySendError::Full(change)) => {
                if !self.overflowing.swap(true, Ordering::Relaxed) {
                    tracing::debug!(
                        key = change.key,
                        queued = changes.queued(),
                        "announced changes queue full: outdated values are dropped on their \
                         next read instead"
                    );
                }
            }
            // The local cache is going away.
            Err(TrySendError::Closed(_)) => {}
        }
    }
}
