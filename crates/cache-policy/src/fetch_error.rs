//! [`FetchError`]: why a shared fetch gave no value.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

/// Why a fetch run through [`SingleFlight`](crate::SingleFlight) or
/// [`ReadThrough`](crate::ReadThrough) gave no value. Every caller that shared the fetch gets
/// a clone of the same error.
///
/// `Failed` shows as the fetch's own error (its `Display` and `source`), so a caller that
/// only prints errors sees what the upstream said.
///
/// ```
/// use std::time::Duration;
/// use cache_policy::FetchError;
///
/// let failed = FetchError::failed("HTTP 503");
/// assert_eq!(failed.to_string(), "HTTP 503");
/// assert_eq!(failed.upstream().map(|e| **e), Some("HTTP 503"));
///
/// let late = FetchError::<&str>::Deadline(Duration::from_secs(30));
/// assert!(late.is_deadline());
/// assert_eq!(late.to_string(), "the fetch did not finish within its deadline of 30s");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError<E> {
    /// The fetch returned this error.
    #[error(transparent)]
    Failed(Arc<E>),
    /// The fetch did not finish within its deadline, and was abandoned (dropped).
    #[error("the fetch did not finish within its deadline of {0:?}")]
    Deadline(Duration),
    /// The fetch panicked; the panic's message, or a placeholder for a payload that is not
    /// text.
    #[error("the fetch panicked: {0}")]
    Panicked(String),
    /// The fetch's task was cancelled before it finished, because its runtime is shutting
    /// down.
    #[error("the fetch was cancelled: its runtime is shutting down")]
    Cancelled,
    /// The fetch was not made: it failed recently, in this process or another sharing the
    /// cache, and the next attempt is not due yet (see
    /// [`ReadThrough::with_backoff`](crate::ReadThrough::with_backoff)).
    #[error(transparent)]
    BackingOff(crate::BackingOff),
}

impl<E> FetchError<E> {
    /// A [`FetchError::Failed`] holding `error`.
    pub fn failed(error: E) -> Self {
        Self::Failed(Arc::new(error))
    }

    /// The fetch's own error, if it returned one.
    pub const fn upstream(&self) -> Option<&Arc<E>> {
        match self {
            Self::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// Whether the fetch was abandoned at its deadline.
    pub const fn is_deadline(&self) -> bool {
        matches!(self, Self::Deadline(_))
    }

    /// Whether the fetch panicked.
    pub const fn is_panic(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// How long until the next attempt, when the fetch was not made because it is backing
    /// off.
    pub const fn retry_in(&self) -> Option<Duration> {
        match self {
            Self::BackingOff(later) => Some(later.retry_in),
            _ => None,
        }
    }

    /// Turns the payload of a caught panic into [`FetchError::Panicked`].
    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> Self {
        Self::Panicked(panic_message(payload))
    }
}

/// The message of a caught panic, or a placeholder for a payload that is not text.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a payload that is not text)".to_owned())
}

impl<E> FetchError<FetchError<E>> {
    /// Unnests the error of a fetch that itself awaited a shared fetch, such as a
    /// [`ReadThrough`](crate::ReadThrough) fetch that joins a [`SingleFlight`](crate::SingleFlight)
    /// call shared by several datasets: the inner error when it failed, else the outer one.
    pub fn flatten(self) -> FetchError<E> {
        match self {
            Self::Failed(inner) => FetchError::clone(&inner),
            Self::Deadline(after) => FetchError::Deadline(after),
            Self::Panicked(message) => FetchError::Panicked(message),
            Self::Cancelled => FetchError::Cancelled,
            Self::BackingOff(later) => FetchError::BackingOff(later),
        }
    }
}

// By hand: a derive would require `E: Clone`, and the error is shared, not copied.
impl<E> Clone for FetchError<E> {
    fn clone(&self) -> Self {
        match self {
            Self::Failed(error) => Self::Failed(Arc::clone(error)),
            Self::Deadline(after) => Self::Deadline(*after),
            Self::Panicked(message) => Self::Panicked(message.clone()),
            Self::Cancelled => Self::Cancelled,
            Self::BackingOff(later) => Self::BackingOff(later.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::FetchError;

    #[test]
    fn failed_is_transparent_and_others_say_what_happened() {
        let io = std::io::Error::other("connection reset");
        let failed = FetchError::failed(cache_core::Error::unavailable("redis down", io));
        assert_eq!(failed.to_string(), "cache backend unavailable: redis down");
        assert_eq!(
            failed.source().map(ToString::to_string).as_deref(),
            Some("connection reset"),
            "the source is the fetch error's own source"
        );
        let panicked = FetchError::<String>::from_panic(&"index out of bounds");
        assert_eq!(
            panicked.to_string(),
            "the fetch panicked: index out of bounds"
        );
        assert!(panicked.is_panic() && !panicked.is_deadline());
        let owned = FetchError::<String>::from_panic(&format!("bad {}", 7));
        assert!(matches!(owned, FetchError::Panicked(m) if m == "bad 7"));
        let opaque = FetchError::<String>::from_panic(&42_u8);
        assert!(matches!(opaque, FetchError::Panicked(m) if m.contains("not text")));
    }

    #[test]
    fn flatten_keeps_the_innermost_cause() {
        let inner = FetchError::<String>::Panicked("bug".to_owned());
        let nested = FetchError::failed(inner);
        assert!(matches!(nested.flatten(), FetchError::Panicked(m) if m == "bug"));
        let outer = FetchError::<FetchError<String>>::Cancelled;
        assert!(matches!(outer.flatten(), FetchError::Cancelled));
    }
}
