//! What a market-data call can fail with.

use std::sync::Arc;

use bybit_client::Category;
use cache_policy::FetchError;

use crate::Dataset;
use crate::vet::RefreshError;

/// A market-data call failed: nothing usable was cached and the upstream could not answer,
/// or the call asked for something that does not exist.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The upstream failed and no fresh or stale copy was cached. The error is shared with
    /// every concurrent caller that waited on the same fetch.
    #[error("no data: {0}")]
    Upstream(#[source] Arc<bybit_client::Error>),
    /// The upstream's answer would have wiped or gutted the cached list (see
    /// [`Policy::with_max_shrink`](crate::Policy::with_max_shrink)), and no stale copy
    /// within the reader's bound was left to serve.
    #[error("no data: {0}")]
    Refused(crate::Refused),
    /// The upstream did not answer within the fetch deadline (see
    /// [`Policy::with_timeouts`](crate::Policy::with_timeouts)), and no stale copy within the
    /// reader's bound was left to serve.
    #[error("no data: the upstream did not answer within the deadline of {0:?}")]
    Deadline(std::time::Duration),
    /// A fetch failed recently, in this process or another sharing the cache, and the fleet
    /// waits before asking Bybit again (from 1 s, doubling to 60 s after transient failures;
    /// Bybit's own reset time after a rate limit; 10 minutes after HTTP 403, its IP ban); no
    /// stale copy within the reader's bound was left to serve. Bybit was not asked.
    #[error("no data: Bybit failed recently ({cause}); next attempt in {}", crate::vet::next_attempt(*retry_in))]
    BackingOff {
        /// What the last fetch failed with.
        cause: String,
        /// How long until the next attempt may be made.
        retry_in: std::time::Duration,
    },
    /// The fetch ended without an answer: it panicked, or its runtime shut down.
    #[error("no data: {0}")]
    Interrupted(String),
    /// The category has no such dataset (funding intervals of spot or options).
    #[error("category {category} has no {}", .dataset.name().replace('_', " "))]
    Unsupported {
        /// The dataset asked for.
        dataset: Dataset,
        /// The category asked about.
        category: Category,
    },
    /// The cache failed an operation that has no upstream to fall back on, such as clearing.
    #[error("cache: {0}")]
    Cache(#[from] cache_core::Error),
    /// A bad argument, such as options without a base coin.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// The error a reader gets for a shared refresh that gave no value.
    pub(crate) fn from_fetch(error: FetchError<RefreshError>) -> Self {
        match error {
            FetchError::Failed(failed) => match &*failed {
                RefreshError::Upstream(upstream) => Self::Upstream(Arc::clone(upstream)),
                RefreshError::Refused(refused) => Self::Refused(refused.clone()),
                RefreshError::Deadline(after) => Self::Deadline(*after),
                RefreshError::BackingOff { cause, left } => Self::BackingOff {
                    cause: cause.clone(),
                    retry_in: *left,
                },
            },
            FetchError::Deadline(after) => Self::Deadline(after),
            FetchError::BackingOff(later) => Self::BackingOff {
                cause: later.cause,
                retry_in: later.retry_in,
            },
            other => Self::Interrupted(other.to_string()),
        }
    }
}
