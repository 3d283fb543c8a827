//! [`BackoffMarker`]: what the cache holds beside a lease after its work failed, in a text
//! form every process reads alike, and this process's own copies of the markers it wrote.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// The most of a cause kept in a marker: enough to say what failed, and no more of a
/// hostile upstream's answer than that.
const MAX_CAUSE: usize = 200;

/// The back-off recorded after failed work: how many times in a row it failed, until when no
/// process does it again, and why the last attempt failed.
///
/// Stored under [`Backoff::marker_key`](crate::Backoff::marker_key) of the lease as
/// `<failures> <until, in ms since the Unix epoch> <cause>`, so that every process sharing
/// the cache, whatever its version, reads it alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackoffMarker {
    pub(crate) failures: u32,
    pub(crate) until: SystemTime,
    pub(crate) cause: String,
}

impl BackoffMarker {
    /// How many attempts failed in a row.
    pub const fn failures(&self) -> u32 {
        self.failures
    }

    /// When the next attempt may be made.
    pub const fn until(&self) -> SystemTime {
        self.until
    }

    /// What the last attempt failed with.
    pub fn cause(&self) -> &str {
        &self.cause
    }

    /// How long from now until the next attempt may be made; zero once it is due.
    pub fn retry_in(&self) -> Duration {
        self.until
            .duration_since(SystemTime::now())
            .unwrap_or_default()
    }

    pub(crate) fn encode(&self) -> Bytes {
        let until = self.until.duration_since(UNIX_EPOCH).unwrap_or_default();
        // Control characters would let a cause forge log lines wherever it is printed.
        let cause: String = self
            .cause
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_CAUSE)
            .collect();
        Bytes::from(format!("{} {} {cause}", self.failures, until.as_millis()))
    }

    /// The marker in `bytes`; `None` for anything else found under its key.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
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
/// cannot reach the cache still backs off on its own. One per lease whose work failed last.
#[derive(Debug, Default)]
pub(crate) struct Own(Mutex<HashMap<String, BackoffMarker>>);

impl Own {
    pub(crate) fn get(&self, key: &str) -> Option<BackoffMarker> {
        let markers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        markers.get(key).cloned()
    }

    pub(crate) fn set(&self, key: &str, marker: Option<BackoffMarker>) {
        let mut markers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match marker {
            Some(marker) => markers.insert(key.to_owned(), marker),
            None => markers.remove(key),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_junk_is_none() {
        let marker = BackoffMarker {
            failures: 3,
            until: UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
            cause: "HTTP 500 from upstream:\nbusy".to_owned(),
        };
        let decoded = BackoffMarker::decode(&marker.encode()).unwrap();
        assert_eq!(decoded.failures, 3);
        assert_eq!(decoded.until, marker.until);
        assert_eq!(decoded.cause, "HTTP 500 from upstream: busy");
        for junk in [&b""[..], b"x 1 y", b"1", b"\xff\xfe", b"1 -5 z"] {
            assert_eq!(BackoffMarker::decode(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn markers_written_before_the_move_are_read() {
        // The form deployed processes store: failures, until in ms, cause.
        let deployed = b"2 1700000000123 HTTP 503 from Bybit: busy";
        let marker = BackoffMarker::decode(deployed).unwrap();
        assert_eq!(marker.failures(), 2);
        assert_eq!(
            marker.until(),
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)
        );
        assert_eq!(marker.cause(), "HTTP 503 from Bybit: busy");
        assert_eq!(&marker.encode()[..], &deployed[..]);
    }

    #[test]
    fn causes_are_cut_to_their_bound() {
        let marker = BackoffMarker {
            failures: 1,
            until: UNIX_EPOCH,
            cause: "é".repeat(MAX_CAUSE * 2),
        };
        let decoded = BackoffMarker::decode(&marker.encode()).unwrap();
        assert_eq!(decoded.cause.chars().count(), MAX_CAUSE);
    }
}
