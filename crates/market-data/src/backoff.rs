//! The fleet's shared back-off: a short-lived marker in the cache, beside a market's fetch
//! lease, that says the last fetch failed and when the next may be made. Every process reads
//! it before it asks Bybit, so that a failing or banning Bybit is asked once per back-off by
//! the whole fleet, not once per read by each process.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::Market;
use crate::service::Inner;
use crate::vet::RefreshError;

/// The first pause after a failure; it doubles with each failure in a row.
const FIRST: Duration = Duration::from_secs(1);
/// The longest pause after transient failures (5xx, timeouts, connection errors).
const LONGEST: Duration = Duration::from_secs(60);
/// The pause after HTTP 403: Bybit's IP ban ("access too frequent") asks for at least ten
/// minutes of silence, and each request before that extends it.
const BANNED: Duration = Duration::from_secs(600);
/// How long a marker outlives its pause, so that the next failure in a row finds its count.
const MEMORY: Duration = Duration::from_secs(120);
/// The most of a cause kept in a marker.
const MAX_CAUSE: usize = 200;

/// A failed fetch's marker: how many failed in a row, until when no process asks again, and
/// why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    pub(crate) failures: u32,
    pub(crate) until: SystemTime,
    pub(crate) cause: String,
}

impl Marker {
    /// How long from now until the next attempt; zero once it is due.
    pub(crate) fn left(&self) -> Duration {
        self.until
            .duration_since(SystemTime::now())
            .unwrap_or_default()
    }

    fn encode(&self) -> Bytes {
        let until = self.until.duration_since(UNIX_EPOCH).unwrap_or_default();
        let cause: String = self
            .cause
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_CAUSE)
            .collect();
        Bytes::from(format!("{} {} {cause}", self.failures, until.as_millis()))
    }

    /// The marker in `bytes`; `None` for anything else found under its key.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, ' ');
        let failures = parts.next()?.parse().ok()?;
        let until_ms: u64 = parts.next()?.parse().ok()?;
        let cause = parts.next().unwrap_or_default().to_owned();
        Some(Self {
            failures,
            until: UNIX_EPOCH.checked_add(Duration::from_millis(until_ms))?,
            cause,
        })
    }
}

/// The markers this process recorded, kept beside the cache's so that a process that
/// cannot reach the cache still backs off on its own. One per market it fetched.
#[derive(Debug, Default)]
pub(crate) struct Local(Mutex<HashMap<String, Marker>>);

impl Local {
    fn get(&self, key: &str) -> Option<Marker> {
        let markers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        markers.get(key).cloned()
    }

    fn set(&self, key: &str, marker: Option<Marker>) {
        let mut markers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match marker {
            Some(marker) => markers.insert(key.to_owned(), marker),
            None => markers.remove(key),
        };
    }
}

fn marker_key(lease: &str) -> String {
    format!("{lease}:failed")
}

/// How long the fleet waits after `error`, the `failures`-th failure in a row: Bybit's own
/// reset time for a rate limit when it sent one, ten minutes for an IP ban, else
/// exponentially from 1 s to 60 s, each lengthened by up to half so that hosts spread.
pub(crate) fn pause(error: &RefreshError, failures: u32) -> Duration {
    if let RefreshError::Upstream(upstream) = error {
        if upstream.is_ban() {
            return BANNED;
        }
        if let bybit_client::Error::RateLimited {
            retry_after: Some(after),
            ..
        } = &**upstream
        {
            return (*after).clamp(FIRST, BANNED);
        }
    }
    let doubled = FIRST.saturating_mul(1 << failures.saturating_sub(1).min(16));
    doubled
        .mul_f64(1.0 + rand::random::<f64>() / 2.0)
        .min(LONGEST)
}

impl Inner {
    /// The cache key of `market`'s marker, beside its lease.
    fn marker_key(&self, market: &Market) -> String {
        marker_key(&self.policy.lease_name(market))
    }

    /// Removes every back-off marker of `market`, with and without pre-launch contracts: a
    /// cleared market is asked for again at its next read.
    pub(crate) async fn clear_markers(&self, market: &Market) -> Result<(), cache_core::Error> {
        for lease in self.policy.every_lease_name(market) {
            let key = marker_key(&lease);
            self.backoffs.set(&key, None);
            self.cache.delete(&key).await?;
        }
        Ok(())
    }

    /// `market`'s marker: the cache's, or this process's own when it is later (the cache
    /// could not be read or written, or holds bytes that are not a marker, as when it is
    /// down); `None` when neither has one.
    pub(crate) async fn marker(&self, market: &Market) -> Option<Marker> {
        let key = self.marker_key(market);
        let shared = match self.cache.get(&key).await {
            Ok(Some(bytes)) => {
                let marker = Marker::decode(&bytes);
                if marker.is_none() {
                    tracing::debug!(key, "ignored a back-off marker that is not one");
                }
                marker
            }
            Ok(None) => None,
            Err(error) => {
                tracing::debug!(key, %error, "cannot read the back-off marker");
                None
            }
        };
        let own = self.backoffs.get(&key);
        match (shared, own) {
            (Some(shared), Some(own)) if own.until > shared.until => Some(own),
            (shared, own) => shared.or(own),
        }
    }

    /// The error for a fetch not made because `marker` is not due, if it is not.
    pub(crate) fn backing_off(marker: Option<&Marker>) -> Option<RefreshError> {
        let marker = marker?;
        let left = marker.left();
        (!left.is_zero()).then(|| RefreshError::BackingOff {
            cause: marker.cause.clone(),
            left,
        })
    }

    /// Records the failure `error` of a fetch of `market` after `previous`, for every process.
    pub(crate) async fn record_failure(
        &self,
        market: &Market,
        previous: Option<&Marker>,
        error: &RefreshError,
    ) {
        let failures = previous.map_or(1, |marker| marker.failures.saturating_add(1));
        let pause = pause(error, failures);
        let marker = Marker {
            failures,
            until: SystemTime::now() + pause,
            cause: error.to_string(),
        };
        tracing::warn!(%market, failures, ?pause, cause = %marker.cause, "fetch failed; the fleet waits before asking Bybit again");
        let key = self.marker_key(market);
        self.backoffs.set(&key, Some(marker.clone()));
        if let Err(error) = self.cache.set(&key, marker.encode(), pause + MEMORY).await {
            tracing::debug!(key, %error, "cannot store the back-off marker");
        }
    }

    /// Forgets `market`'s failures after a fetch that succeeded, when there were some.
    pub(crate) async fn record_success(&self, market: &Market, previous: Option<&Marker>) {
        if previous.is_none() {
            return;
        }
        let key = self.marker_key(market);
        self.backoffs.set(&key, None);
        if let Err(error) = self.cache.delete(&key).await {
            tracing::debug!(key, %error, "cannot remove the back-off marker");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_junk_is_none() {
        let marker = Marker {
            failures: 3,
            until: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            cause: "HTTP 500 from Bybit:\nbusy".to_owned(),
        };
        let decoded = Marker::decode(&marker.encode()).unwrap();
        assert_eq!(decoded.failures, 3);
        assert_eq!(decoded.until, marker.until);
        assert_eq!(decoded.cause, "HTTP 500 from Bybit: busy");
        for junk in [&b""[..], b"x 1 y", b"1", b"\xff\xfe", b"1 -5 z"] {
            assert_eq!(Marker::decode(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn transient_pauses_double_from_one_second_to_a_minute() {
        let http = |status| {
            RefreshError::from(bybit_client::Error::Http {
                status,
                body: String::new(),
            })
        };
        for (failures, least) in [(1, 1), (2, 2), (3, 4), (7, 60), (40, 60)] {
            let pause = pause(&http(500), failures);
            let least = Duration::from_secs(least);
            let most = (least * 3 / 2).min(LONGEST);
            assert!(pause >= least && pause <= most, "{failures}: {pause:?}");
        }
        assert_eq!(pause(&http(403), 1), BANNED);
        let limited = RefreshError::from(bybit_client::Error::RateLimited {
            status: 200,
            ret_code: Some(10006),
            retry_after: Some(Duration::from_secs(7)),
        });
        assert_eq!(pause(&limited, 5), Duration::from_secs(7));
    }
}
