//! The datasets' routes: `/v1/bybit/{category}/{instruments,symbols,funding-intervals}`,
//! each the JSON `market-data <dataset> --json` prints.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bybit_client::InstrumentList;
use market_data::{Dataset, Lookup, Market};

use crate::bodies::BodyOf;
use crate::error::ApiError;
use crate::params::{self, MarketQuery};
use crate::respond;
use crate::state::AppState;

pub(crate) async fn instruments(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let lookup = state.data.instruments(&market).await?;
    let dataset = Dataset::Instruments;
    let answer = Answer::new(&state, "instruments", dataset, &market, &lookup);
    answer.send(&headers, instruments_json).await
}

pub(crate) async fn symbols(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let lookup = state.data.symbols(&market).await?;
    let answer = Answer::new(&state, "symbols", Dataset::Symbols, &market, &lookup);
    answer.send(&headers, json).await
}

pub(crate) async fn funding_intervals(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let lookup = state.data.funding_intervals(&market).await?;
    let dataset = Dataset::FundingIntervals;
    let answer = Answer::new(&state, "funding-intervals", dataset, &market, &lookup);
    answer.send(&headers, json).await
}

/// A dataset's version, served by a read, to answer a request with.
struct Answer<'a, T> {
    state: &'a AppState,
    route: &'static str,
    dataset: Dataset,
    market: &'a Market,
    lookup: &'a Lookup<T>,
}

impl<'a, T: Send + Sync + 'static> Answer<'a, T> {
    const fn new(
        state: &'a AppState,
        route: &'static str,
        dataset: Dataset,
        market: &'a Market,
        lookup: &'a Lookup<T>,
    ) -> Self {
        Self {
            state,
            route,
            dataset,
            market,
            lookup,
        }
    }

    /// The version's body (built with `to_json` once per version) and its headers.
    async fn send(
        self,
        headers: &HeaderMap,
        to_json: fn(&T) -> serde_json::Result<Vec<u8>>,
    ) -> Result<Response, ApiError> {
        let state = self.state;
        let built = (state.bodies)
            .get(
                &state.data,
                BodyOf {
                    route: self.route,
                    dataset: self.dataset,
                    market: self.market,
                },
                &self.lookup.value,
                to_json,
                &state.metrics,
            )
            .await?;
        respond::versioned(state, headers, self.lookup, &built, self.dataset).await
    }
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

fn json<T: serde::Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(value)
}
