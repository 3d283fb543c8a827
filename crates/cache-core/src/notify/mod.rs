//! [`Notifications`]: every write and delete through a backend, announced to every process
//! that uses the same cache, so that values held decoded in a process are dropped as soon as
//! the shared cache holds another version, without a round trip per read.

mod subscribers;

use std::fmt;
use std::sync::Arc;

pub use subscribers::Subscribers;

use crate::envelope::{self, Stamp};

/// What a backend tells its subscribers.
///
/// `Written` and `Removed` come in the order the backend applied the changes as far as one
/// connection can tell; a listener treats each as "the version I may hold of this key is no
/// longer to be trusted unchecked", never as the value itself, so an announcement that
/// arrives late or twice does no harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal<'a> {
    /// The subscription is established (first, or again after a loss): every change from now
    /// on is announced. Changes made while it was down were not, so what was checked before
    /// is to be checked again.
    Up,
    /// The subscription is lost: changes may go unannounced until the next [`Signal::Up`].
    Down,
    /// `key` was written; `head` is the first [`HEADER_LEN`](envelope::HEADER_LEN) bytes of
    /// the new value (all of it when shorter), from which [`Signal::stamp`] reads its
    /// [`Stamp`].
    Written {
        /// The key, as the cache's callers name it (without a backend's prefix).
        key: &'a str,
        /// The start of the value written.
        head: &'a [u8],
    },
    /// `key` was deleted.
    Removed {
        /// The key, as the cache's callers name it.
        key: &'a str,
    },
}

impl Signal<'_> {
    /// The key a change concerns; `None` for [`Signal::Up`] and [`Signal::Down`].
    pub const fn key(&self) -> Option<&str> {
        match self {
            Self::Written { key, .. } | Self::Removed { key } => Some(key),
            Self::Up | Self::Down => None,
        }
    }

    /// The stamp of the value written; `None` for a delete, or a value that is not an
    /// envelope.
    pub fn stamp(&self) -> Option<Stamp> {
        match self {
            Self::Written { head, .. } => envelope::stamp(head).ok(),
            _ => None,
        }
    }
}

/// What a subscriber is called with, on the backend's own task or in the writer's call: it
/// must return quickly, without blocking, and must not subscribe from within. It may drop a
/// [`Subscription`] (for instance by dropping the last owner of one).
pub type Listener = Arc<dyn Fn(&Signal<'_>) + Send + Sync>;

/// A backend's announcements of its writes and deletes, found through
/// [`Cache::notifications`](crate::Cache::notifications).
///
/// # Behavior
/// - Every `set`, `set_many` and `delete` through the backend (from any process using the
///   same cache) is announced to every subscriber, after it is applied.
/// - Delivery may be at most once (Redis pub/sub): a listener learns that it may have missed
///   announcements through [`Signal::Down`], and that they flow again through
///   [`Signal::Up`]. A subscriber gets `Up` or `Down` first, telling the state at the time
///   it subscribes.
/// - Writes made around the backend (another program writing the same keys by hand) are not
///   announced.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use cache_core::{Cache, MemoryCache, Signal};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cache_core::Result<()> {
/// let cache = MemoryCache::new(1 << 20);
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let notifications = cache.notifications().expect("the memory backend announces");
/// let subscription = notifications.subscribe(Arc::new(move |signal: &Signal<'_>| {
///     log.lock().unwrap().push(format!("{signal:?}"));
/// }));
/// cache.set("k", "v".into(), Duration::from_secs(60)).await?;
/// cache.delete("k").await?;
/// drop(subscription);
/// cache.delete("k").await?;
/// assert_eq!(
///     *seen.lock().unwrap(),
///     ["Up", r#"Written { key: "k", head: [118] }"#, r#"Removed { key: "k" }"#]
/// );
/// # Ok(()) }
/// ```
pub trait Notifications: Send + Sync {
    /// Calls `listener` with every signal from now on, until the returned [`Subscription`]
    /// is dropped.
    fn subscribe(&self, listener: Listener) -> Subscription;
}

/// A listener's registration with a backend's [`Notifications`]; dropping it unsubscribes.
#[must_use = "dropping a subscription ends it"]
pub struct Subscription {
    _guard: Box<dyn Send + Sync>,
}

impl Subscription {
    /// A subscription that ends by dropping `guard` (such as a handle whose `Drop`
    /// unregisters the listener), for backends that keep their own registry.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self {
            _guard: Box::new(guard),
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Subscription")
    }
}
