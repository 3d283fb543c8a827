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

/// How the reads a body is made from were served: for several, the stalest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Served {
    source: Source,
    age: Duration,
}

impl Served {
    pub(crate) const fn of<T>(lookup: &Lookup<T>) -> Self {
        Self {
            source: lookup.source,
            age: lookup.age,
        }
    }

    /// The staler of the two: a stale part makes the whole stale, the oldest part its age.
    pub(crate) fn and(self, other: Self) -> Self {
        let rank = |source: Source| match source {
            Source::Cache | Source::Upstream => 0,
            Source::Revalidating => 1,
            _ => 2,
        };
        let source = if rank(other.source) > rank(self.source)
            || (self.source == Source::Upstream && other.source == Source::Cache)
        {
            other.source
        } else {
            self.source
        };
        Self {
            source,
            age: self.age.max(other.age),
        }
    }
}

/// Answers the request with `headers` by `built`, the body of the version `served`.
pub(crate) async fn versioned(
    state: &AppState,
    headers: &HeaderMap,
    served: Served,
    built: &Built,
) -> Result<Response, ApiError> {
    let encoding = encoding::negotiate(headers);
    let etag = format!("\"{}{}\"", built.tag, encoding.tag_suffix());
    let cache_control = format!(
        "public, max-age={}, stale-while-revalidate={}, stale-if-error={}",
        built.fresh_for.as_secs(),
        built.stale_while_revalidate.as_secs(),
        built.max_stale.as_secs(),
    );
    let status = cache_status(served.source, built.fresh_for, served.age);
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
        (&header::AGE, served.age.as_secs().to_string()),
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
    fn several_reads_are_served_as_the_stalest() {
        let served = |source, secs| Served {
            source,
            age: Duration::from_secs(secs),
        };
        let both = served(Source::Cache, 5).and(served(Source::Upstream, 0));
        assert_eq!((both.source, both.age.as_secs()), (Source::Cache, 5));
        let both = served(Source::Upstream, 0).and(served(Source::Cache, 5));
        assert_eq!((both.source, both.age.as_secs()), (Source::Cache, 5));
        let both = served(Source::Stale, 90).and(served(Source::Revalidating, 70));
        assert_eq!((both.source, both.age.as_secs()), (Source::Stale, 90));
        let both = served(Source::Cache, 1).and(served(Source::Revalidating, 70));
        assert_eq!(
            (both.source, both.age.as_secs()),
            (Source::Revalidating, 70)
        );
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
