//! [`unix_millis`]: one conversion of wall-clock times to the integer stored on disk and in
//! envelopes, so that every crate of the workspace rounds and saturates the same way.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds from the Unix epoch to `at`, rounded down.
///
/// Saturates rather than failing: a time before the epoch (a badly set clock) is `0`, and one
/// beyond `u64::MAX` milliseconds (about 584 million years) is `u64::MAX`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cache_core::unix_millis;
///
/// assert_eq!(unix_millis(UNIX_EPOCH + Duration::from_micros(1_500_999)), 1_500);
/// assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
/// ```
pub fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::unix_millis;

    #[test]
    fn rounds_down_and_saturates_at_both_ends() {
        assert_eq!(unix_millis(UNIX_EPOCH), 0);
        assert_eq!(unix_millis(UNIX_EPOCH + Duration::from_nanos(999_999)), 0);
        assert_eq!(unix_millis(UNIX_EPOCH + Duration::from_millis(1)), 1);
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_millis(1)), 0);
        let now = unix_millis(std::time::SystemTime::now());
        assert!(now > 1_600_000_000_000, "{now} is after September 2020");
        // Where the platform can represent a time past u64::MAX ms, it saturates.
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_millis(u64::MAX) * 2) {
            assert_eq!(unix_millis(far), u64::MAX);
        }
    }
}
