//! When to retry and how long to wait: Bybit's rate-limit headers when present, otherwise
//! exponential backoff with jitter.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

use crate::config::RetryPolicy;

/// What the `X-Bapi-Limit-*` and `Retry-After` headers of one response said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimitHeaders {
    /// `X-Bapi-Limit-Status`: requests left in the current window.
    pub(crate) remaining: Option<u64>,
    /// `X-Bapi-Limit-Reset-Timestamp`: when the window resets, in ms since the epoch.
    pub(crate) reset_at_ms: Option<u64>,
    /// `Retry-After`, in seconds.
    pub(crate) retry_after_s: Option<u64>,
}

impl RateLimitHeaders {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Self {
            remaining: number("x-bapi-limit-status"),
            reset_at_ms: number("x-bapi-limit-reset-timestamp"),
            retry_after_s: number("retry-after"),
        }
    }

    /// How long the server asked to wait, measured from `now_ms`.
    pub(crate) fn wait(&self, now_ms: u64) -> Option<Duration> {
        if let Some(seconds) = self.retry_after_s {
            return Some(Duration::from_secs(seconds));
        }
        self.reset_at_ms
            .map(|reset| Duration::from_millis(reset.saturating_sub(now_ms)))
    }

    /// The wait before the next request when the window is used up, if it is.
    pub(crate) fn exhausted_wait(&self, now_ms: u64) -> Option<Duration> {
        match self.remaining {
            Some(0) => self.wait(now_ms).filter(|d| !d.is_zero()),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch, the clock Bybit's reset timestamps use.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The wait before retry number `attempt` (0 for the first retry).
///
/// A wait the server asked for is honoured as is (it is a deadline, jitter would only add
/// to it); otherwise the backoff doubles from `base_delay` and is drawn uniformly from its
/// upper half, so that many clients refused together do not come back together. Either
/// way it never exceeds `max_delay`.
pub(crate) fn retry_delay(
    policy: &RetryPolicy,
    attempt: u32,
    server_wait: Option<Duration>,
) -> Duration {
    if let Some(wait) = server_wait {
        return wait.min(policy.max_delay);
    }
    let backoff = policy
        .base_delay
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(policy.max_delay);
    let max_us = u64::try_from(backoff.as_micros()).unwrap_or(u64::MAX);
    if max_us < 2 {
        return backoff;
    }
    Duration::from_micros(rand::random_range(max_us / 2..=max_us))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(2))
    }

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_is_capped() {
        for attempt in 0..6 {
            let d = retry_delay(&policy(), attempt, None);
            let full = Duration::from_millis(100 * 2u64.pow(attempt)).min(Duration::from_secs(2));
            assert!(
                d >= full / 2 && d <= full,
                "attempt {attempt}: {d:?} vs {full:?}"
            );
        }
    }

    #[test]
    fn server_wait_is_honoured_and_capped() {
        assert_eq!(
            retry_delay(&policy(), 0, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            retry_delay(&policy(), 0, Some(Duration::from_secs(600))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn headers_give_the_wait_until_reset() {
        let mut h = HeaderMap::new();
        h.insert("X-Bapi-Limit-Status", HeaderValue::from_static("0"));
        h.insert("X-Bapi-Limit", HeaderValue::from_static("600"));
        h.insert(
            "X-Bapi-Limit-Reset-Timestamp",
            HeaderValue::from_static("1700000001500"),
        );
        let parsed = RateLimitHeaders::from_headers(&h);
        assert_eq!(parsed.remaining, Some(0));
        assert_eq!(
            parsed.wait(1_700_000_001_000),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parsed.exhausted_wait(1_700_000_001_000),
            Some(Duration::from_millis(500))
        );
        // A reset already past means no wait.
        assert_eq!(parsed.exhausted_wait(1_700_000_002_000), None);
    }

    #[test]
    fn retry_after_wins_and_remaining_quota_means_no_wait() {
        let mut h = HeaderMap::new();
        h.insert("Retry-After", HeaderValue::from_static("3"));
        h.insert("X-Bapi-Limit-Status", HeaderValue::from_static("42"));
        h.insert(
            "X-Bapi-Limit-Reset-Timestamp",
            HeaderValue::from_static("1700000001500"),
        );
        let parsed = RateLimitHeaders::from_headers(&h);
        assert_eq!(parsed.wait(1_700_000_001_000), Some(Duration::from_secs(3)));
        assert_eq!(parsed.exhausted_wait(1_700_000_001_000), None);
    }
}
