//! [`ApiError`]: a failed request, answered as `{"error": "..."}`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// How long a client is told to wait after a failure with no better hint: the fleet's
/// back-off starts at 1 s and doubles.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// A request that failed: its status, its message, and when to try again.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `503` with `Retry-After`.
    pub(crate) fn unavailable(message: impl Into<String>, retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
        }
    }
}

impl From<market_data::Error> for ApiError {
    fn from(error: market_data::Error) -> Self {
        use market_data::Error;
        match error {
            Error::Unsupported { .. } | Error::InvalidArgument(_) => {
                Self::bad_request(error.to_string())
            }
            Error::BackingOff { retry_in, .. } => Self::unavailable(error.to_string(), retry_in),
            other => Self::unavailable(other.to_string(), RETRY_AFTER),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(after) = self.retry_after {
            // Whole seconds, rounded up: a client told 0 would ask again at once.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }
}
