//! [`SingleFlight`]: concurrent callers of one key share one call.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

type Flight<T, E> = Shared<BoxFuture<'static, Result<Arc<T>, Arc<E>>>>;

/// Deduplicates concurrent calls per key: while a call for a key is in flight, every other
/// caller of that key awaits the same call and gets its result.
///
/// The call runs as long as any caller still awaits it; when every caller has gone, it stops
/// where it is and the next caller of the key starts it over. A result is not remembered
/// once the call is over: that is the cache's job.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use cache_core::SingleFlight;
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
    flights: Mutex<HashMap<String, Flight<T, E>>>,
}

impl<T, E> Default for SingleFlight<T, E> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<T, E> std::fmt::Debug for SingleFlight<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let in_flight = self.lock().len();
        f.debug_struct("SingleFlight")
            .field("in_flight", &in_flight)
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

    /// Runs `call` for `key`, or joins the call already in flight for it.
    ///
    /// # Errors
    /// The call's error, shared by every caller that joined it.
    pub async fn run<F, Fut>(&self, key: &str, call: F) -> Result<Arc<T>, Arc<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
    {
        let flight = {
            let mut flights = self.lock();
            match flights.get(key) {
                Some(flight) => flight.clone(),
                None => {
                    let flight = call()
                        .map(|result| result.map(Arc::new).map_err(Arc::new))
                        .boxed()
                        .shared();
                    flights.insert(key.to_owned(), flight.clone());
                    flight
                }
            }
        };
        let result = flight.clone().await;
        // Whoever sees the end first retires the flight, unless a newer one took its place;
        // the first caller alone would leave a finished flight behind if it was cancelled.
        let mut flights = self.lock();
        if flights.get(key).is_some_and(|f| f.ptr_eq(&flight)) {
            flights.remove(key);
        }
        result
    }

    /// How many keys have a call in flight.
    pub fn in_flight(&self) -> usize {
        self.lock().len()
    }
}

impl<T, E> SingleFlight<T, E> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Flight<T, E>>> {
        // The map is consistent after every statement, so a panic elsewhere cannot poison it.
        self.flights.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
