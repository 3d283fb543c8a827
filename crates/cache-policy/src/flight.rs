//! [`SingleFlight`]: concurrent callers of one key share one call.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use crate::FetchError;
use crate::timeouts::within;

type Outcome<T, E> = Result<Arc<T>, FetchError<E>>;
type Flight<T, E> = Shared<BoxFuture<'static, Outcome<T, E>>>;
type Table<T, E> = HashMap<String, (u64, Flight<T, E>)>;
type Flights<T, E> = Mutex<Table<T, E>>;

/// Deduplicates concurrent calls per key: while a call for a key is in flight, every other
/// caller of that key awaits the same call and gets its result.
///
/// # Behavior
/// - The call runs on a task of its own (`tokio::spawn`, so a tokio runtime is needed): it
///   finishes even when every caller has gone away (timed out or cancelled), and the next
///   caller after it finished starts a new call. A half-done call is never resumed later.
/// - A result is not remembered once the call is over: that is the cache's job.
/// - A call that panics does not panic its callers: each of them gets
///   [`FetchError::Panicked`] with the panic's message. The key is then free, and the next
///   caller starts a new call.
/// - [`SingleFlight::run_within`] abandons a call that outlives its deadline.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use cache_policy::SingleFlight;
///
/// let flights = SingleFlight::<u32, String>::new();
/// let calls = Arc::new(AtomicUsize::new(0));
/// let call = || {
///     let calls = calls.clone();
///     flights.run("instruments:linear", move || async move {
///         calls.fetch_add(1, Ordering::SeqCst);
///         tokio::task::yield_now().await;
///         Ok(42)
///     })
/// };
/// let (a, b) = tokio::join!(call(), call());
/// assert_eq!((*a.unwrap(), *b.unwrap()), (42, 42));
/// assert_eq!(calls.load(Ordering::SeqCst), 1);
/// # }
/// ```
pub struct SingleFlight<T, E> {
    flights: Arc<Flights<T, E>>,
    next_id: AtomicU64,
}

impl<T, E> Default for SingleFlight<T, E> {
    fn default() -> Self {
        Self {
            flights: Arc::default(),
            next_id: AtomicU64::new(0),
        }
    }
}

impl<T, E> std::fmt::Debug for SingleFlight<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleFlight")
            .field("in_flight", &lock(&self.flights).len())
            .finish()
    }
}

impl<T, E> SingleFlight<T, E>
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
{
    /// An empty set of flights.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `call` for `key`, or joins the call already in flight for it. `call` only builds
    /// the future; it is not called when a flight is joined.
    ///
    /// # Errors
    /// [`FetchError::Failed`] with the call's error, shared by every caller that joined it;
    /// [`FetchError::Panicked`] when the call panicked; [`FetchError::Cancelled`] when the
    /// runtime shut down before it finished.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub async fn run<F, Fut>(&self, key: &str, call: F) -> Outcome<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.join(key, || {
            let pending = call();
            async move { pending.await.map_err(FetchError::failed) }
        })
        .await
    }

    /// Like [`SingleFlight::run`], abandoning the call (dropping its future) when it has not
    /// finished `deadline` after it started. A caller that joins a call in flight shares that
    /// call's deadline, not its own. [`Duration::MAX`] arms no timer.
    ///
    /// # Errors
    /// As [`SingleFlight::run`], and [`FetchError::Deadline`] when the deadline passed.
    ///
    /// # Panics
    /// Outside a tokio runtime, and within one whose timer is disabled (unless the deadline is
    /// [`Duration::MAX`]).
    pub async fn run_within<F, Fut>(&self, key: &str, deadline: Duration, call: F) -> Outcome<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        self.join(key, || {
            let pending = call();
            async move {
                match within(deadline, pending).await {
                    Some(done) => done.map_err(FetchError::failed),
                    None => Err(FetchError::Deadline(deadline)),
                }
            }
        })
        .await
    }

    /// Runs or joins the call for `key`, whose future gives its own [`FetchError`].
    pub(crate) async fn join<F, Fut>(&self, key: &str, call: F) -> Outcome<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, FetchError<E>>> + Send + 'static,
    {
        let joined = lock(&self.flights)
            .get(key)
            .map(|(_, flight)| flight.clone());
        if let Some(flight) = joined {
            return flight.await;
        }
        // Built outside the lock: `call` is the caller's code.
        let (flight, _) = self.begin(key, call());
        flight.await
    }

    /// Starts the call for `key` in the background, unless one is in flight; returns whether
    /// it started one. Its outcome goes to whoever joins it meanwhile.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub(crate) fn start<F, Fut>(&self, key: &str, call: F) -> bool
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, FetchError<E>>> + Send + 'static,
    {
        if lock(&self.flights).contains_key(key) {
            return false;
        }
        self.begin(key, call()).1
    }

    /// The flight of `key`: the one in flight, else `pending` launched (and then `true`).
    fn begin<Fut>(&self, key: &str, pending: Fut) -> (Flight<T, E>, bool)
    where
        Fut: Future<Output = Result<T, FetchError<E>>> + Send + 'static,
    {
        let mut flights = lock(&self.flights);
        match flights.get(key) {
            // Another caller started one meanwhile; ours is dropped unstarted.
            Some((_, flight)) => (flight.clone(), false),
            None => {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                let flight = self.launch(key.to_owned(), id, pending);
                flights.insert(key.to_owned(), (id, flight.clone()));
                (flight, true)
            }
        }
    }

    /// How many keys have a call in flight.
    pub fn in_flight(&self) -> usize {
        lock(&self.flights).len()
    }

    fn launch<Fut>(&self, key: String, id: u64, pending: Fut) -> Flight<T, E>
    where
        Fut: Future<Output = Result<T, FetchError<E>>> + Send + 'static,
    {
        let retire = Retire {
            flights: Arc::downgrade(&self.flights),
            key,
            id,
        };
        let task = tokio::spawn(async move {
            let _retire = retire;
            pending.await.map(Arc::new)
        });
        // This future must never panic: a `Shared` whose inner future panics is poisoned, and
        // the waiters parked on it are never woken.
        async move {
            match task.await {
                Ok(outcome) => outcome,
                Err(error) if error.is_panic() => Err(FetchError::from_panic(&*error.into_panic())),
                Err(_) => Err(FetchError::Cancelled),
            }
        }
        .boxed()
        .shared()
    }
}

/// Frees the key when its call ends, by returning or by panicking, unless a newer flight
/// already took the key.
struct Retire<T, E> {
    flights: std::sync::Weak<Flights<T, E>>,
    key: String,
    id: u64,
}

impl<T, E> Drop for Retire<T, E> {
    fn drop(&mut self) {
        if let Some(flights) = self.flights.upgrade() {
            let mut flights = lock(&flights);
            if flights.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
                flights.remove(&self.key);
            }
        }
    }
}

fn lock<T, E>(flights: &Flights<T, E>) -> std::sync::MutexGuard<'_, Table<T, E>> {
    // The map is consistent after every statement, so a panic elsewhere cannot poison it.
    flights.lock().unwrap_or_else(PoisonError::into_inner)
}
