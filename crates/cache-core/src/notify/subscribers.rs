//! [`Subscribers`]: the listeners of one backend, and whether announcements flow.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use super::{Listener, Signal, Subscription};

/// The listeners subscribed to one backend's [`Notifications`](super::Notifications), for a
/// backend to keep: it calls [`Subscribers::announce`] after each change and
/// [`Subscribers::set_up`] as its source of announcements comes and goes. Clones share the
/// listeners.
///
/// Listeners are called one announcement at a time, in order, so that each sees the state
/// changes and announcements in one order; a new subscriber is told the current state first.
/// They are called on a snapshot of the list, outside the lock that guards it: a listener may
/// drop a [`Subscription`] (its own or another's, say by dropping the last owner of one)
/// without deadlocking, and a listener whose subscription is dropped while an announcement is
/// under way may be called once more by that announcement.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use cache_core::{Signal, Subscribers};
///
/// let subscribers = Subscribers::new(false);
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let subscription =
///     subscribers.subscribe(Arc::new(move |s: &Signal<'_>| log.lock().unwrap().push(format!("{s:?}"))));
/// subscribers.set_up(true);
/// subscribers.announce(&Signal::Removed { key: "k" });
/// subscribers.set_up(false);
/// drop(subscription);
/// subscribers.announce(&Signal::Removed { key: "unheard" });
/// assert_eq!(*seen.lock().unwrap(), ["Down", "Up", r#"Removed { key: "k" }"#, "Down"]);
/// ```
#[derive(Clone)]
pub struct Subscribers {
    shared: Arc<Shared>,
}

struct Shared {
    /// Held while listeners are called, so that announcements reach them in one order.
    delivery: Mutex<()>,
    /// Held only to read or change the list, never while a listener runs: an unsubscribe
    /// from within a listener takes it.
    state: Mutex<State>,
}

struct State {
    up: bool,
    next_id: u64,
    /// Replaced, not changed in place, while an announcement may be iterating a snapshot.
    listeners: Arc<Vec<(u64, Listener)>>,
}

type Snapshot = Arc<Vec<(u64, Listener)>>;

impl Subscribers {
    /// No listeners yet; `up` tells whether announcements flow now.
    pub fn new(up: bool) -> Self {
        let state = State {
            up,
            next_id: 0,
            listeners: Arc::new(Vec::new()),
        };
        let shared = Shared {
            delivery: Mutex::new(()),
            state: Mutex::new(state),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    fn deliver(&self) -> MutexGuard<'_, ()> {
        // A listener that panicked left nothing half-changed; announcing goes on.
        self.shared
            .delivery
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `listener`, calling it at once with [`Signal::Up`] or [`Signal::Down`].
    pub fn subscribe(&self, listener: Listener) -> Subscription {
        let delivery = self.deliver();
        let (id, up) = {
            let mut state = self.state();
            let id = state.next_id;
            state.next_id += 1;
            Arc::make_mut(&mut state.listeners).push((id, listener.clone()));
            (id, state.up)
        };
        listener(if up { &Signal::Up } else { &Signal::Down });
        drop(delivery);
        Subscription::new(Unsubscribe {
            shared: Arc::downgrade(&self.shared),
            id,
        })
    }

    /// Calls every listener with `signal`.
    pub fn announce(&self, signal: &Signal<'_>) {
        let delivery = self.deliver();
        let listeners = self.state().listeners.clone();
        broadcast(&listeners, signal);
        // The snapshot may hold the last reference to a listener unsubscribed meanwhile,
        // whose captures are dropped here: not under the delivery lock.
        drop(delivery);
        drop(listeners);
    }

    /// Records whether announcements flow, telling every listener when that changes.
    pub fn set_up(&self, up: bool) {
        let delivery = self.deliver();
        let listeners = {
            let mut state = self.state();
            if state.up == up {
                return;
            }
            state.up = up;
            state.listeners.clone()
        };
        broadcast(&listeners, if up { &Signal::Up } else { &Signal::Down });
        drop(delivery);
        drop(listeners);
    }

    /// Whether announcements flow now.
    pub fn is_up(&self) -> bool {
        self.state().up
    }

    /// How many listeners are subscribed.
    pub fn len(&self) -> usize {
        self.state().listeners.len()
    }

    /// Whether no listener is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn broadcast(listeners: &Snapshot, signal: &Signal<'_>) {
    for (_, listener) in listeners.iter() {
        listener(signal);
    }
}

impl std::fmt::Debug for Subscribers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("Subscribers")
            .field("up", &state.up)
            .field("listeners", &state.listeners.len())
            .finish()
    }
}

/// Removes a listener when its [`Subscription`] is dropped.
struct Unsubscribe {
    shared: Weak<Shared>,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            // The removed listener is dropped after the lock is released: its captures may
            // own further subscriptions.
            let removed = {
                let mut state = shared.state();
                let kept = state
                    .listeners
                    .iter()
                    .filter(|(id, _)| *id != self.id)
                    .cloned()
                    .collect();
                std::mem::replace(&mut state.listeners, Arc::new(kept))
            };
            drop(removed);
        }
    }
}
