//! Errors a caller can match on.

use std::time::Duration;

use crate::escape::Escaped;

/// Bybit's `retCode` for "too many visits".
pub(crate) const RET_CODE_RATE_LIMIT: i64 = 10006;
/// Bybit's `retCode`s for a server-side timeout and a server error: worth retrying.
const RET_CODES_TRANSIENT: [i64; 2] = [10000, 10016];

/// Why fetching instruments failed.
///
/// Text that came from the server (bodies, `retMsg`, decoder messages quoting the body) is
/// kept exact in the fields, and shown by `Display` with control and bidi characters
/// escaped as `\u{..}`, so that printing an error cannot drive the reader's terminal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an HTTP error status and no Bybit error code.
    #[error("HTTP {status} from Bybit: {}", Escaped(body))]
    Http {
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// Bybit answered with a nonzero `retCode` (other than a rate limit).
    #[error("Bybit retCode {ret_code}: {}", Escaped(ret_msg))]
    Api {
        /// `retCode`.
        ret_code: i64,
        /// `retMsg`.
        ret_msg: String,
    },
    /// Bybit refused the request for its rate limit: `retCode` 10006, HTTP 403 or 429.
    #[error("rate limited by Bybit (HTTP {status}, retCode {ret_code:?})")]
    RateLimited {
        /// HTTP status code (200 when Bybit signalled it with `retCode` only).
        status: u16,
        /// `retCode`, when the body carried one.
        ret_code: Option<i64>,
        /// How long Bybit asked to wait (`X-Bapi-Limit-Reset-Timestamp` or `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The body was not the JSON Bybit sends (truncated, HTML, wrong shape).
    #[error(
        "malformed response from Bybit: {}; body starts \"{}\"",
        Escaped(reason),
        Escaped(snippet)
    )]
    Malformed {
        /// What was wrong.
        reason: String,
        /// Start of the response body.
        snippet: String,
    },
    /// The response body was larger than [`ClientConfig::max_body_size`](crate::ClientConfig),
    /// by its `Content-Length` or by the bytes received. Not retried: the same request
    /// would bring the same body.
    #[error(
        "response from Bybit is larger than the body cap of {limit} bytes (ClientConfig::max_body_size){}",
        declared.map(|d| format!("; Content-Length {d}")).unwrap_or_default()
    )]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
        /// The `Content-Length` the response declared, when that is how it was refused;
        /// `None` when the body was refused while being received.
        declared: Option<u64>,
    },
    /// No answer within the configured timeout.
    #[error("request to Bybit timed out")]
    Timeout,
    /// The connection failed (refused, reset, TLS, DNS).
    #[error("connection to Bybit failed: {}", Escaped(&.0.to_string()))]
    Transport(#[source] reqwest::Error),
    /// The pages did not form a complete list.
    #[error(transparent)]
    Pagination(#[from] PaginationError),
    /// The query cannot be sent as is.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The async runtime could not run part of the work, such as a large page's decoding
    /// on its blocking pool (it was shutting down).
    #[error("async runtime: {0}")]
    Runtime(String),
    /// The client configuration is unusable.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// Why the pages did not form a complete list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// A cursor came back that was already followed, with a non-empty page: following it
    /// again would loop.
    #[error("cursor \"{}\" repeated on page {page}", Escaped(cursor))]
    RepeatedCursor {
        /// The repeated cursor.
        cursor: String,
        /// The page (1-based) that returned it.
        page: u32,
    },
    /// More pages than the configured maximum.
    #[error("more than {max_pages} pages")]
    TooManyPages {
        /// The configured maximum.
        max_pages: u32,
    },
    /// A page was for another category than the one asked for.
    #[error(
        "asked for category {}, page {page} is {}",
        Escaped(expected),
        Escaped(got)
    )]
    CategoryMismatch {
        /// The category asked for.
        expected: String,
        /// The category the page carried.
        got: String,
        /// The page (1-based).
        page: u32,
    },
}

impl Error {
    /// True when the same request may succeed later: rate limits (but an IP ban, see
    /// [`Error::is_ban`]), 5xx, timeouts, connection failures and Bybit's own
    /// timeout/server-error codes. Parameter errors are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Http { status, .. } => *status >= 500,
            Error::Api { ret_code, .. } => RET_CODES_TRANSIENT.contains(ret_code),
            // HTTP 403 is Bybit's IP ban: every request before it lifts extends it.
            Error::RateLimited { status, .. } => *status != 403,
            Error::Timeout | Error::Transport(_) => true,
            Error::Malformed { .. }
            | Error::BodyTooLarge { .. }
            | Error::Pagination(_)
            | Error::InvalidQuery(_)
            | Error::Runtime(_)
            | Error::Config(_) => false,
        }
    }

    /// True for a rate-limit refusal.
    pub fn is_rate_limit(&self) -> bool {
        matches!(self, Error::RateLimited { .. })
    }

    /// True for HTTP 403, Bybit's IP ban ("access too frequent"): it asks for at least ten
    /// minutes without a request, and each one before that extends it. Not retried.
    pub fn is_ban(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { status: 403, .. } | Error::Http { status: 403, .. }
        )
    }

    pub(crate) fn from_reqwest(mut err: reqwest::Error) -> Self {
        // reqwest moves a URL's userinfo into a header before sending; this keeps any that
        // is left (e.g. in a redirect's URL) out of the message all the same.
        if let Some(url) = err.url_mut() {
            *url = crate::config::redacted(url.clone());
        }
        if err.is_timeout() {
            Error::Timeout
        } else {
            Error::Transport(err)
        }
    }
}

/// The start of a body, for error messages; bodies can be whole HTML pages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]);
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "\x1b]0;pwned\x07\u{202e}txt.exe\u{9b}2J";

    fn assert_inert(err: &Error) {
        let shown = err.to_string();
        let raw = shown
            .chars()
            .find(|c| c.is_control() || matches!(c, '\u{202e}'));
        assert_eq!(raw, None, "{shown:?}");
        assert!(shown.contains(r"\u{1b}]0;pwned\u{7}"), "{shown}");
        assert!(shown.contains(r"\u{202e}txt.exe\u{9b}2J"), "{shown}");
    }

    #[test]
    fn text_from_the_server_is_escaped_when_shown_and_kept_exact() {
        let http = Error::Http {
            status: 400,
            body: snippet(HOSTILE.as_bytes()),
        };
        assert!(matches!(&http, Error::Http { body, .. } if body == HOSTILE));
        assert_inert(&http);
        assert_inert(&Error::Api {
            ret_code: 10001,
            ret_msg: HOSTILE.into(),
        });
        assert_inert(&Error::Malformed {
            reason: format!("unknown variant `{HOSTILE}`"),
            snippet: HOSTILE.into(),
        });
        assert_inert(
            &PaginationError::CategoryMismatch {
                expected: "linear".into(),
                got: HOSTILE.into(),
                page: 1,
            }
            .into(),
        );
        assert_inert(
            &PaginationError::RepeatedCursor {
                cursor: HOSTILE.into(),
                page: 2,
            }
            .into(),
        );
    }
}
