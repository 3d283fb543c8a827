//! How a [`LocalCache`](crate::LocalCache) follows a backend's notifications: which held
//! values it may serve without asking the shared cache.
//!
//! A value is trusted unchecked only when it was validated (its stamp read from the shared
//! cache) recently, while the subscription was up, and no announcement that may concern its
//! key arrived since that validation *started*. The last condition closes the race of a
//! change announced while the validation's read was on its way: the read may have seen the
//! old version. Keys are hashed onto counters (stripes), bumped by each announcement: a
//! collision costs one extra validation, never a stale serve.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::{Signal, Subscription};
use crate::Stamp;

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
    changes: Mutex<Option<UnboundedSender<Change>>>,
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
    pub(crate) fn attach(
        &self,
        subscription: Subscription,
        changes: Option<UnboundedSender<Change>>,
    ) {
        *self.changes.lock().unwrap_or_else(PoisonError::into_inner) = changes;
        *self
            .subscription
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(subscription);
    }

    /// Applies a signal: called by the backend, so it only touches atomics and a channel.
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
                    let change = Change {
                        key: (*key).to_owned(),
                        stamp: signal.stamp(),
                    };
                    // A closed channel means the local cache is going away.
                    let _ = changes.send(change);
                }
            }
        }
    }
}
