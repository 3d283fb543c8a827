//! The datasets' routes: `/v1/bybit/{category}/{instruments,symbols,funding-intervals}`,
//! each the JSON `market-data <dataset> --json` prints.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bybit_client::InstrumentList;
use market_data::Market;

use crate::bodies::{BodyOf, Held, Part};
use crate::error::ApiError;
use crate::params::{self, MarketQuery};
use crate::respond::{self, Served};
use crate::state::AppState;

pub(crate) async fn instruments(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let lookup = state.data.instruments(&market).await?;
    let list = lookup.value.clone();
    let to_json = Box::new(move || instruments_json(&list));
    let held = Held::Instruments(lookup.value.clone());
    answer(
        &state,
        &headers,
        "instruments",
        market,
        held,
        Served::of(&lookup),
        to_json,
    )
    .await
}

pub(crate) async fn symbols(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let lookup = state.data.symbols(&market).await?;
    let symbols = lookup.value.clone();
    let to_json = Box::new(move || serde_json::to_vec(&*symbols));
    let held = Held::Symbols(lookup.value.clone());
    answer(
        &state,
        &headers,
        "symbols",
        market,
        held,
        Served::of(&lookup),
        to_json,
    )
    .await
}

pub(crate) async fn funding_intervals(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let lookup = state.data.funding_intervals(&market).await?;
    let intervals = lookup.value.clone();
    let to_json = Box::new(move || serde_json::to_vec(&*intervals));
    let held = Held::FundingIntervals(lookup.value.clone());
    let served = Served::of(&lookup);
    answer(
        &state,
        &headers,
        "funding-intervals",
        market,
        held,
        served,
        to_json,
    )
    .await
}

/// Answers with the body of `route` for `market`, made from `held` (by `to_json`, once per
/// stored version).
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    route: &'static str,
    market: Market,
    held: Held,
    served: Served,
    to_json: Box<dyn FnOnce() -> serde_json::Result<Vec<u8>> + Send>,
) -> Result<Response, ApiError> {
    let of = BodyOf {
        route,
        params: market.to_string(),
        parts: vec![Part { market, held }],
        to_json,
    };
    let built = state.bodies.get(&state.data, of, &state.metrics).await?;
    respond::versioned(state, headers, served, &built).await
}

/// The instruments as `market-data instruments --json` prints them: Bybit's objects, every
/// field it sent.
fn instruments_json(list: &InstrumentList) -> serde_json::Result<Vec<u8>> {
    match list {
        InstrumentList::Spot(l) => serde_json::to_vec(l),
        InstrumentList::Linear(l) | InstrumentList::Inverse(l) => serde_json::to_vec(l),
        InstrumentList::Option(l) => serde_json::to_vec(l),
    }
}
