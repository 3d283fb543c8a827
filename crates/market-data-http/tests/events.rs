//! The event route mounted in a service of one's own: keep-alive comments, and the bound on
//! the markets watched.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, ClientConfig};
use cache_core::MemoryCache;
use http_body_util::BodyExt;
use market_data::{MarketData, Policy};
use market_data_http::{Options, Router, router};
use tower::ServiceExt;

/// Far beyond what a frame takes to come.
const FRAME_BOUND: Duration = Duration::from_secs(20);

async fn app(options: Options) -> (MockBybit, Router) {
    let bybit = MockBybit::start().await;
    let client = BybitClient::new(ClientConfig::new(bybit.base_url())).unwrap();
    let cache = Arc::new(MemoryCache::new(64 << 20));
    let data = MarketData::new(cache, Arc::new(client), Policy::default());
    (bybit, router(Arc::new(data), options))
}

async fn open(app: &Router, path: &str) -> axum::response::Response {
    let request = Request::get(path).body(Body::empty()).unwrap();
    app.clone().oneshot(request).await.unwrap()
}

/// The text of the body's frames until one holds `wanted`.
async fn until(body: &mut Body, wanted: &str) -> String {
    let mut text = String::new();
    while !text.contains(wanted) {
        let frame = tokio::time::timeout(FRAME_BOUND, body.frame())
            .await
            .unwrap_or_else(|_| panic!("no {wanted:?} in {text:?}"))
            .expect("the stream ended")
            .unwrap();
        if let Some(data) = frame.data_ref() {
            text.push_str(std::str::from_utf8(data).unwrap());
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_stream_carries_keep_alive_comments() {
    let options = Options::default().with_keep_alive(Duration::from_millis(100));
    let (_bybit, app) = app(options).await;
    let response = open(&app, "/v1/bybit/linear/events").await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let start = until(&mut body, "event: snapshot").await;
    assert!(start.starts_with("retry: 1000\n"), "{start:?}");
    // A comment line: nothing changed, and the stream is alive.
    until(&mut body, ":\n\n").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_of_more_markets_than_allowed_are_refused() {
    let options = Options::default().with_max_event_markets(1);
    let (_bybit, app) = app(options).await;
    let linear = open(&app, "/v1/bybit/linear/events").await;
    assert_eq!(linear.status(), StatusCode::OK);
    let again = open(&app, "/v1/bybit/linear/events").await;
    assert_eq!(again.status(), StatusCode::OK, "the same market");
    let spot = open(&app, "/v1/bybit/spot/events").await;
    assert_eq!(spot.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(spot.headers().contains_key("retry-after"));
}
