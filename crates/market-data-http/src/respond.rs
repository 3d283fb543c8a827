//! A dataset's answer: its body in the coding asked for, and the headers HTTP caches and
//! clients read (`ETag`, `Cache-Control`, `Age`, `Cache-Status`), or `304`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use market_data::{Lookup, Source};

use crate::bodies::Built;
use crate::encoding;
use crate::error::ApiError;
use crate::state::AppState;

/// RFC 9211's `Cache-Status` field.
static CACHE_STATUS: HeaderName = HeaderName::from_static("cache-status");

/// Answers the request with `headers` by `built`, the body of the version `lookup` served.
pub(crate) async fn versioned<T>(
    state: &AppState,
    headers: &HeaderMap,
    lookup: &Lookup<T>,
    built: &Built,
    dataset: market_data::Dataset,
) -> Result<Response, ApiError> {
    let encoding = encoding::negotiate(headers);
    let etag = format!("\"{}{}\"", built.tag, encoding.tag_suffix());
    let policy = state.data.policy().dataset(dataset);
    let cache_control = format!(
        "public, max-age={}, stale-while-revalidate={}, stale-if-error={}",
        built.fresh_for.as_secs(),
        policy.freshness.stale_while_revalidate().as_secs(),
        policy.freshness.max_stale().as_secs(),
    );
    let status = cache_status(lookup.source, built.fresh_for, lookup.age);
    let not_modified = matches(headers, &etag);
    let mut response = if not_modified {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let body = built.body(encoding, &state.metrics).await?;
        let mut response = Response::new(Body::from(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(coding) = encoding.header() {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        response
    };
    let out = response.headers_mut();
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    for (name, value) in [
        (&header::ETAG, etag),
        (&header::CACHE_CONTROL, cache_control),
        (&header::AGE, lookup.age.as_secs().to_string()),
        (&CACHE_STATUS, status),
    ] {
        // Made of digits, hex and fixed words: always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&value) {
            out.insert(name.clone(), value);
        }
    }
    Ok(response)
}

/// RFC 9211's `Cache-Status`: `hit` for a fresh copy, `fwd=stale` for a stale one served
/// while it is refreshed or because Bybit failed or was slow, `fwd=miss; stored` for one
/// fetched now; `ttl` is the freshness left, negative once stale.
fn cache_status(source: Source, fresh_for: Duration, age: Duration) -> String {
    let ttl = fresh_for.as_secs() as i64 - age.as_secs() as i64;
    match source {
        Source::Cache => format!("market-data; hit; ttl={ttl}"),
        Source::Upstream => format!("market-data; fwd=miss; stored; ttl={ttl}"),
        Source::Revalidating => format!("market-data; fwd=stale; ttl={ttl}; detail=revalidating"),
        _ => format!("market-data; fwd=stale; ttl={ttl}; detail=upstream-unavailable"),
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`), by the weak comparison RFC 9110
/// prescribes for it.
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        let mut headers = HeaderMap::new();
        assert!(!matches(&headers, "\"a\""));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"a\""),
        );
        assert!(matches(&headers, "\"a\""));
        assert!(!matches(&headers, "\"a-gzip\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&headers, "\"b\""));
    }

    #[test]
    fn cache_status_says_hit_stale_or_fetched() {
        let (ttl, age) = (Duration::from_secs(60), Duration::from_secs(15));
        assert_eq!(
            cache_status(Source::Cache, ttl, age),
            "market-data; hit; ttl=45"
        );
        assert_eq!(
            cache_status(Source::Upstream, ttl, Duration::ZERO),
            "market-data; fwd=miss; stored; ttl=60"
        );
        assert_eq!(
            cache_status(Source::Stale, ttl, Duration::from_secs(90)),
            "market-data; fwd=stale; ttl=-30; detail=upstream-unavailable"
        );
        assert_eq!(
            cache_status(Source::Revalidating, ttl, Duration::from_secs(61)),
            "market-data; fwd=stale; ttl=-1; detail=revalidating"
        );
    }
}
