//! [`Subscribers`]: the listeners of one backend, and whether announcements flow.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use super::{Listener, Signal, Subscription};

/// The listeners subscribed to one backend's [`Notifications`](super::Notifications), for a
/// backend to keep: it calls [`Subscribers::announce`] after each change and
/// [`Subscribers::set_up`] as its source of announcements comes and goes. Clones share the
/// listeners.
///
/// Listeners are called under a lock, in order, so that each sees the state changes and
/// announcements in one order; a new subscriber is told the current state first.
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
    shared: Arc<Mutex<State>>,
}

struct State {
    up: bool,
    next_id: u64,
    listeners: Vec<(u64, Listener)>,
}

impl Subscribers {
    /// No listeners yet; `up` tells whether announcements flow now.
    pub fn new(up: bool) -> Self {
        let state = State {
            up,
            next_id: 0,
            listeners: Vec::new(),
        };
        Self {
            shared: Arc::new(Mutex::new(state)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A listener that panicked left the list whole; announcing goes on.
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds `listener`, calling it at once with [`Signal::Up`] or [`Signal::Down`].
    pub fn subscribe(&self, listener: Listener) -> Subscription {
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        listener(if state.up { &Signal::Up } else { &Signal::Down });
        state.listeners.push((id, listener));
        Subscription::new(Unsubscribe {
            shared: Arc::downgrade(&self.shared),
            id,
        })
    }

    /// Calls every listener with `signal`.
    pub fn announce(&self, signal: &Signal<'_>) {
        broadcast(&self.lock(), signal);
    }

    /// Records whether announcements flow, telling every listener when that changes.
    pub fn set_up(&self, up: bool) {
        let mut state = self.lock();
        if state.up != up {
            state.up = up;
            broadcast(&state, if up { &Signal::Up } else { &Signal::Down });
        }
    }

    /// Whether announcements flow now.
    pub fn is_up(&self) -> bool {
        self.lock().up
    }

    /// How many listeners are subscribed.
    pub fn len(&self) -> usize {
        self.lock().listeners.len()
    }

    /// Whether no listener is subscribed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn broadcast(state: &State, signal: &Signal<'_>) {
    for (_, listener) in &state.listeners {
        listener(signal);
    }
}

impl std::fmt::Debug for Subscribers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Subscribers")
            .field("up", &state.up)
            .field("listeners", &state.listeners.len())
            .finish()
    }
}

/// Removes a listener when its [`Subscription`] is dropped.
struct Unsubscribe {
    shared: Weak<Mutex<State>>,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
            state.listeners.retain(|(id, _)| *id != self.id);
        }
    }
}
