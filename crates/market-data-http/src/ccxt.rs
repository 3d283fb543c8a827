//! `/v1/ccxt/bybit/markets`: the cached instrument lists as markets in ccxt's unified
//! structure, as ccxt's own `bybit().fetch_markets()` makes them from the same answers (see
//! the `ccxt-markets` crate), for `exchange.set_markets(...)`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use bybit_client::{Category, InstrumentList};
use ccxt_markets::Options;
use futures_util::future::try_join_all;
use market_data::Market;
use serde::Deserialize;

use crate::bodies::{BodyOf, Held, Part};
use crate::error::ApiError;
use crate::respond::{self, Served};
use crate::state::AppState;

/// The query: ccxt's `options['fetchMarkets']`, comma-separated; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct CcxtQuery {
    types: Option<String>,
    #[serde(rename = "optionBaseCoins")]
    option_base_coins: Option<String>,
}

pub(crate) async fn markets(
    State(state): State<Arc<AppState>>,
    query: Result<Query<CcxtQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let options = options(&query)?;
    let markets = markets_of(&options)?;
    let reads = try_join_all(markets.iter().map(|market| state.data.instruments(market))).await?;
    let served = reads
        .iter()
        .map(Served::of)
        .reduce(Served::and)
        .ok_or_else(|| ApiError::bad_request("no market types asked for"))?;
    let lists: Vec<Arc<InstrumentList>> = reads.iter().map(|read| read.value.clone()).collect();
    let parts = markets
        .into_iter()
        .zip(&lists)
        .map(|(market, list)| Part {
            market,
            held: Held::Instruments(list.clone()),
        })
        .collect();
    let params = format!(
        "types={:?};options={:?};expired={}",
        options.types(),
        options.option_base_coins(),
        options.expired_options()
    );
    let to_json = Box::new(move || {
        let lists: Vec<&InstrumentList> = lists.iter().map(Arc::as_ref).collect();
        serde_json::to_vec(&ccxt_markets::markets(&lists, &options))
    });
    let of = BodyOf {
        route: "ccxt-markets",
        params,
        parts,
        to_json,
    };
    let built = state.bodies.get(&state.data, of, &state.metrics).await?;
    respond::versioned(&state, &headers, served, &built).await
}

/// ccxt's options from the query, ccxt's defaults where it names none.
fn options(query: &CcxtQuery) -> Result<Options, ApiError> {
    let mut options = Options::default();
    if let Some(types) = &query.types {
        let types =
            Options::parse_types(types).map_err(|e| ApiError::bad_request(e.to_string()))?;
        options = options.with_types(types);
    }
    if let Some(coins) = &query.option_base_coins {
        let coins: Vec<String> = coins
            .split(',')
            .map(str::trim)
            .filter(|coin| !coin.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        options = options.with_option_base_coins(coins);
    }
    Ok(options)
}

/// The markets whose lists ccxt's markets of `options` are made from: each category once,
/// options once per base coin.
fn markets_of(options: &Options) -> Result<Vec<Market>, ApiError> {
    let mut markets: Vec<Market> = Vec::new();
    for &category in options.types() {
        let asked = if category == Category::Option {
            options
                .option_base_coins()
                .iter()
                .map(|coin| Market::with_base_coin(category, Some(coin.clone())))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            vec![Market::new(category)?]
        };
        for market in asked {
            if !markets.contains(&market) {
                markets.push(market);
            }
        }
    }
    Ok(markets)
}
