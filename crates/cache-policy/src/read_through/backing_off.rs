//! A read-through's fetches under a [`Backoff`]: not made while the fleet backs off, and
//! their failures recorded for every process.

use std::fmt::Display;
use std::sync::Arc;

use cache_core::Cache;

use crate::{Backoff, BackoffMarker, FailureClass, FetchError};

/// The back-off and how the fetch's errors are classified.
pub(super) struct Classified<E> {
    backoff: Backoff,
    classify: Arc<dyn Fn(&E) -> FailureClass + Send + Sync>,
}

impl<E> Clone for Classified<E> {
    fn clone(&self) -> Self {
        Self {
            backoff: self.backoff.clone(),
            classify: self.classify.clone(),
        }
    }
}

impl<E: Display> Classified<E> {
    pub(super) fn new(
        backoff: Backoff,
        classify: impl Fn(&E) -> FailureClass + Send + Sync + 'static,
    ) -> Self {
        Self {
            backoff,
            classify: Arc::new(classify),
        }
    }

    /// The marker of `key`'s fetch, when the fetch is due.
    ///
    /// # Errors
    /// [`FetchError::BackingOff`] when it is not.
    pub(super) async fn due<C: Cache + ?Sized>(
        &self,
        cache: &C,
        key: &str,
    ) -> Result<Option<BackoffMarker>, FetchError<E>> {
        let previous = self.backoff.marker(cache, key).await;
        Backoff::check(previous.as_ref()).map_err(FetchError::BackingOff)?;
        Ok(previous)
    }

    /// Records how `key`'s fetch after `previous` went. A fetch past its deadline failed as
    /// an upstream that does not answer does; one that panicked or was cancelled says nothing
    /// about the upstream.
    pub(super) async fn record<C: Cache + ?Sized, T>(
        &self,
        cache: &C,
        key: &str,
        previous: Option<&BackoffMarker>,
        outcome: &Result<T, FetchError<E>>,
    ) {
        let (class, cause) = match outcome {
            Ok(_) => return self.backoff.record_success(cache, key, previous).await,
            Err(error @ FetchError::Failed(failed)) => ((self.classify)(failed), error.to_string()),
            Err(error @ FetchError::Deadline(_)) => (FailureClass::Transient, error.to_string()),
            Err(_) => return,
        };
        self.backoff
            .record_failure(cache, key, previous, class, &cause)
            .await;
    }
}
