//! The market a request names: `{category}` in the path, `baseCoin` in the query.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use bybit_client::Category;
use market_data::Market;
use serde::Deserialize;

use crate::error::ApiError;

/// The query of a dataset's route; other parameters are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct MarketQuery {
    #[serde(rename = "baseCoin")]
    base_coin: Option<String>,
}

/// The market of `/v1/bybit/{category}/...[?baseCoin=B]`.
pub(crate) fn market(
    Path(category): Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
) -> Result<Market, ApiError> {
    let category = Category::ALL
        .into_iter()
        .find(|c| c.as_str() == category)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown category {category:?}: expected spot, linear, inverse or option"
            ))
        })?;
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Market::with_base_coin(category, query.base_coin)?)
}
