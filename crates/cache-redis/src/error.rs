//! redis-rs errors as cache-core errors, without secrets.

use std::fmt;
use std::time::Duration;

use cache_core::Error;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use redis::{ErrorKind, RedisError, ServerErrorKind};

/// What the backend knows when it turns a redis-rs error into a [`cache_core::Error`].
#[derive(Clone)]
pub(crate) struct ErrorContext {
    /// Removed from every message: a server or driver could echo it back.
    pub(crate) password: Option<String>,
    /// What a timeout reports.
    pub(crate) timeout: Duration,
}

impl ErrorContext {
    /// Maps `error` from `operation` (such as `"GET"`):
    /// - the connection cannot be made, was dropped or is being re-established, the cluster
    ///   is down or resharding, the server is loading: [`Error::Unavailable`];
    /// - an I/O timeout: [`Error::Timeout`];
    /// - anything the server refused (OOM, WRONGTYPE, NOAUTH, ...): [`Error::Backend`].
    pub(crate) fn map(&self, operation: &str, error: RedisError) -> Error {
        if error.is_timeout() {
            return Error::Timeout(self.timeout);
        }
        let message = self.redact(&format!("{operation}: {error}"));
        let source = Redacted {
            message: self.redact(&error.to_string()),
        };
        if is_unavailable(&error) {
            Error::unavailable(message, source)
        } else {
            Error::backend(message, source)
        }
    }

    /// `text` without the password, whether it appears as it is or percent-encoded, as in
    /// a URL a driver might echo.
    fn redact(&self, text: &str) -> String {
        match self.password.as_deref() {
            Some(password) if !password.is_empty() => {
                let encoded = utf8_percent_encode(password, NON_ALPHANUMERIC).to_string();
                text.replace(password, "***").replace(&encoded, "***")
            }
            _ => text.to_owned(),
        }
    }
}

impl fmt::Debug for ErrorContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorContext")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Whether the server could not be reached or cannot serve now, as opposed to a refusal
/// that trying again would repeat.
pub(crate) fn is_unavailable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_refusal()
        || error.is_connection_dropped()
        || matches!(
            error.kind(),
            ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::ClusterDown
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::BusyLoading
                        | ServerErrorKind::MasterDown
                )
        )
}

/// A redis-rs error's text with the password removed: the `source` of a mapped error.
///
/// The original error is not kept, because its chain is printed by error reporters and is
/// outside this crate's control.
#[derive(Debug)]
struct Redacted {
    message: String,
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Redacted {}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(password: &str) -> ErrorContext {
        ErrorContext {
            password: Some(password.to_owned()),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn the_password_is_removed_as_it_is_and_percent_encoded() {
        let error = RedisError::from((
            ErrorKind::Client,
            "refused",
            "redis://:p@ss/w0rd@h:1 and redis://:p%40ss%2Fw0rd@h:1".to_owned(),
        ));
        let mapped = context("p@ss/w0rd").map("GET", error);
        let shown = format!(
            "{mapped} {mapped:?} {}",
            std::error::Error::source(&mapped).unwrap()
        );
        assert!(!shown.contains("w0rd"), "{shown}");
        assert!(shown.contains("redis://:***@h:1"), "{shown}");
    }

    #[test]
    fn kinds_of_failure() {
        let refused = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(
            context("x").map("GET", refused),
            Error::Unavailable { .. }
        ));
        let auth = RedisError::from((
            ErrorKind::AuthenticationFailed,
            "Password authentication failed",
        ));
        assert!(matches!(
            context("x").map("connect", auth),
            Error::Backend { .. }
        ));
    }
}
