//! How long the fleet backs off after a failed fetch of a market, by what Bybit answered;
//! the back-off itself is [`cache_policy::Backoff`]'s, kept beside the market's fetch lease.

use std::time::SystemTime;

use cache_policy::{BackingOff, FailureClass};

use crate::vet::RefreshError;

/// What kind of failure `error` is: HTTP 403 is Bybit's IP ban ("access too frequent"),
/// which asks for minutes of silence and is extended by each request before that; a rate
/// limit lasts until the reset time Bybit sent, when it sent one; anything else (5xx,
/// timeouts, connection errors, a refused answer) may pass by itself.
pub(crate) fn classify(error: &RefreshError) -> FailureClass {
    if let RefreshError::Upstream(upstream) = error {
        if upstream.is_ban() {
            return FailureClass::Banned;
        }
        if let bybit_client::Error::RateLimited {
            retry_after: Some(after),
            ..
        } = &**upstream
        {
            return FailureClass::Until(SystemTime::now() + *after);
        }
    }
    FailureClass::Transient
}

impl From<BackingOff> for RefreshError {
    fn from(later: BackingOff) -> Self {
        Self::BackingOff {
            cause: later.cause,
            left: later.retry_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use cache_policy::{Backoff, DEFAULT_BAN_PAUSE, DEFAULT_LONGEST_PAUSE};

    use super::*;

    fn http(status: u16) -> RefreshError {
        RefreshError::from(bybit_client::Error::Http {
            status,
            body: String::new(),
        })
    }

    #[test]
    fn transient_pauses_double_from_one_second_to_a_minute() {
        let backoff = Backoff::new();
        for (failures, least) in [(1, 1), (2, 2), (3, 4), (7, 60), (40, 60)] {
            let pause = backoff.pause(classify(&http(500)), failures);
            let least = Duration::from_secs(least);
            let most = (least * 3 / 2).min(DEFAULT_LONGEST_PAUSE);
            assert!(pause >= least && pause <= most, "{failures}: {pause:?}");
        }
        let late = RefreshError::Deadline(Duration::from_secs(30));
        assert_eq!(classify(&late), FailureClass::Transient);
    }

    #[test]
    fn a_ban_waits_ten_minutes_and_a_rate_limit_until_its_reset() {
        let backoff = Backoff::new();
        assert_eq!(backoff.pause(classify(&http(403)), 1), DEFAULT_BAN_PAUSE);
        let banned = RefreshError::from(bybit_client::Error::RateLimited {
            status: 403,
            ret_code: None,
            retry_after: Some(Duration::from_secs(7)),
        });
        assert_eq!(
            classify(&banned),
            FailureClass::Banned,
            "a ban before its reset"
        );
        let limited = RefreshError::from(bybit_client::Error::RateLimited {
            status: 200,
            ret_code: Some(10006),
            retry_after: Some(Duration::from_secs(7)),
        });
        let pause = backoff.pause(classify(&limited), 5);
        assert!(
            pause > Duration::from_secs(6) && pause <= Duration::from_secs(7),
            "{pause:?}"
        );
        let no_reset = RefreshError::from(bybit_client::Error::RateLimited {
            status: 429,
            ret_code: None,
            retry_after: None,
        });
        assert_eq!(classify(&no_reset), FailureClass::Transient);
    }
}
