//! Failures the mock server can inject, each on one page and a given number of times.

use std::time::Duration;

/// A failure served instead of (or on top of) a normal page.
///
/// Pages count from 0 (the request without a cursor). A fault fires the first `times`
/// requests for its page, in any category, then the page is served normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub(crate) page: usize,
    pub(crate) times: u32,
    pub(crate) kind: FaultKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FaultKind {
    Status {
        status: u16,
        content_type: &'static str,
        body: String,
        retry_after_s: Option<u64>,
    },
    RetCode {
        ret_code: i64,
        ret_msg: String,
        reset_after: Option<Duration>,
    },
    Truncated,
    RepeatCursor,
    Hang(Duration),
    WindowExhausted(Duration),
    Padded {
        len: usize,
        chunked: bool,
    },
}

/// Bybit's message for `retCode` 10006.
pub const TOO_MANY_VISITS: &str = "Too many visits!";

const HTML_ERROR: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

const HTML_FORBIDDEN: &str = "<html><head><title>403 Forbidden</title></head>\
<body><h1>403 Forbidden</h1><p>The request could not be satisfied.</p></body></html>";

impl Fault {
    fn new(page: usize, kind: FaultKind) -> Self {
        Self {
            page,
            times: 1,
            kind,
        }
    }

    /// HTTP 500 with a plain-text body.
    pub fn server_error(page: usize) -> Self {
        Self::new(
            page,
            FaultKind::Status {
                status: 500,
                content_type: "text/plain",
                body: "Internal Server Error".into(),
                retry_after_s: None,
            },
        )
    }

    /// HTTP 200 with `retCode` 10006 and `X-Bapi-Limit-*` headers saying the window resets
    /// in `reset_after`.
    pub fn rate_limit(page: usize, reset_after: Duration) -> Self {
        Self::new(
            page,
            FaultKind::RetCode {
                ret_code: 10006,
                ret_msg: TOO_MANY_VISITS.into(),
                reset_after: Some(reset_after),
            },
        )
    }

    /// HTTP 200 with any nonzero `retCode`.
    pub fn ret_code(page: usize, ret_code: i64, ret_msg: &str) -> Self {
        Self::new(
            page,
            FaultKind::RetCode {
                ret_code,
                ret_msg: ret_msg.into(),
                reset_after: None,
            },
        )
    }

    /// HTTP 403, Bybit's IP rate-limit refusal, as an HTML page.
    pub fn forbidden(page: usize) -> Self {
        Self::new(
            page,
            FaultKind::Status {
                status: 403,
                content_type: "text/html",
                body: HTML_FORBIDDEN.into(),
                retry_after_s: None,
            },
        )
    }

    /// HTTP 429 with `Retry-After`.
    pub fn too_many_requests(page: usize, retry_after_s: u64) -> Self {
        Self::new(
            page,
            FaultKind::Status {
                status: 429,
                content_type: "text/plain",
                body: "Too Many Requests".into(),
                retry_after_s: Some(retry_after_s),
            },
        )
    }

    /// A proxy's HTML error page with the given status (200 included).
    pub fn html_error_page(page: usize, status: u16) -> Self {
        Self::new(
            page,
            FaultKind::Status {
                status,
                content_type: "text/html",
                body: HTML_ERROR.into(),
                retry_after_s: None,
            },
        )
    }

    /// The page's JSON cut off halfway, with HTTP 200.
    pub fn truncated_json(page: usize) -> Self {
        Self::new(page, FaultKind::Truncated)
    }

    /// The page, but its `nextPageCursor` leads back to itself.
    pub fn repeat_cursor(page: usize) -> Self {
        Self::new(page, FaultKind::RepeatCursor)
    }

    /// The page, sent only after `delay`.
    pub fn hang(page: usize, delay: Duration) -> Self {
        Self::new(page, FaultKind::Hang(delay))
    }

    /// The page, served normally, but with `X-Bapi-Limit-Status: 0` and a
    /// `X-Bapi-Limit-Reset-Timestamp` `reset_after` from now: the request succeeded and used
    /// up the rate-limit window.
    pub fn window_exhausted(page: usize, reset_after: Duration) -> Self {
        Self::new(page, FaultKind::WindowExhausted(reset_after))
    }

    /// The page followed by spaces up to `len` bytes: still valid JSON, only too large.
    /// Sent with `Content-Length`.
    pub fn padded_body(page: usize, len: usize) -> Self {
        Self::new(
            page,
            FaultKind::Padded {
                len,
                chunked: false,
            },
        )
    }

    /// Like [`Fault::padded_body`], but sent chunked, without `Content-Length`, so that only
    /// counting the bytes as they come can tell its size.
    pub fn padded_chunked_body(page: usize, len: usize) -> Self {
        Self::new(page, FaultKind::Padded { len, chunked: true })
    }

    /// Fires `times` times (default once).
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Fires on every request for its page.
    pub fn always(self) -> Self {
        self.times(u32::MAX)
    }
}
