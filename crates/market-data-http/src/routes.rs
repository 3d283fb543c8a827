//! [`router`]: the route table, and what every request goes through.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, http::HeaderValue};
use market_data::MarketData;
use tower::limit::ConcurrencyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::error::ApiError;
use crate::options::Options;
use crate::state::AppState;
use crate::{ccxt, datasets, events, health};

/// The routes over `data`, served by `options`. Each route is one handler over the shared
/// state: another is one more line here.
///
/// See the [crate docs](crate) for the routes and how they answer.
pub fn router(data: Arc<MarketData>, options: Options) -> Router {
    let state = Arc::new(AppState::new(data, options));
    let options = &state.options;
    Router::new()
        .route(
            "/v1/bybit/{category}/instruments",
            get(datasets::instruments),
        )
        .route("/v1/bybit/{category}/symbols", get(datasets::symbols))
        .route(
            "/v1/bybit/{category}/funding-intervals",
            get(datasets::funding_intervals),
        )
        .route("/v1/bybit/{category}/events", get(events::stream_events))
        .route("/v1/ccxt/bybit/markets", get(ccxt::markets))
        .route("/metrics", get(metrics))
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(ConcurrencyLimitLayer::new(options.max_in_flight()))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            options.request_timeout(),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), count))
        .with_state(state)
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let text = state.metrics.render(&state.data);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "only GET is served")
}

/// Counts each request by route and status, and the time to its response's headers.
async fn count(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || "unmatched".into(),
        |path| Arc::<str>::from(path.as_str()),
    );
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state.metrics.request(&route, status, started.elapsed());
    if response.status().is_server_error() {
        tracing::warn!(%route, status, "request failed");
    } else {
        tracing::debug!(%route, status, "request served");
    }
    response
}
