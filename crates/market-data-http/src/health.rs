//! `/healthz` and `/readyz`.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// Liveness: the process answers.
pub(crate) async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: data can be had, from the cache or from Bybit: the symbols of the ready market
/// (see [`Options::with_ready_market`](crate::Options::with_ready_market)) are read as any
/// request reads them.
pub(crate) async fn ready(State(state): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let market = state.options.ready_market();
    let lookup = state.data.symbols(market).await.map_err(|error| {
        let retry = match &error {
            market_data::Error::BackingOff { retry_in, .. } => *retry_in,
            _ => Duration::from_secs(5),
        };
        ApiError::unavailable(format!("not ready: {error}"), retry)
    })?;
    Ok(Json(json!({
        "status": "ready",
        "market": market.to_string(),
        "symbols": lookup.value.len(),
    })))
}
