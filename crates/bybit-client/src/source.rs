//! The seam between consumers and the client.

use async_trait::async_trait;

use crate::client::BybitClient;
use crate::error::Error;
use crate::models::InstrumentList;
use crate::query::InstrumentsQuery;

/// A source of instrument lists: the Bybit client, or a mock in consumers' tests
/// (`MockInstrumentSource`, with the `mock` feature).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait InstrumentSource: Send + Sync {
    /// Every instrument matching `query`, complete, or an error; never part of a list.
    async fn instruments(&self, query: &InstrumentsQuery) -> Result<InstrumentList, Error>;
}

#[async_trait]
impl InstrumentSource for BybitClient {
    async fn instruments(&self, query: &InstrumentsQuery) -> Result<InstrumentList, Error> {
        BybitClient::instruments(self, query).await
    }
}
