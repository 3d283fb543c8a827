//! One list from two fetches of a category, e.g. the default one and `status=PreLaunch`.

use std::collections::HashSet;

use crate::diff::ListError;
use crate::instrument::Instrument;
use crate::models::InstrumentList;

impl InstrumentList {
    /// This list followed by the instruments of `other` whose symbols it lacks: one entry
    /// per symbol, the first seen winning (this list's over `other`'s, an earlier entry over
    /// a later one), in this list's order then `other`'s.
    ///
    /// Bybit lists pre-market (`PreLaunch`) linear, inverse and spot instruments only when
    /// asked for that status, so a complete list takes two fetches merged:
    ///
    /// ```no_run
    /// use bybit_client::{BybitClient, ClientConfig, InstrumentsQuery};
    /// use bybit_client::models::Status;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = BybitClient::new(ClientConfig::mainnet())?;
    /// let trading = client.instruments(&InstrumentsQuery::linear()).await?;
    /// let prelaunch = client
    ///     .instruments(&InstrumentsQuery::linear().with_status(Status::PreLaunch))
    ///     .await?;
    /// let all = trading.merge(prelaunch)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// ```
    /// use bybit_client::InstrumentList;
    ///
    /// let a: InstrumentList = serde_json::from_str(
    ///     r#"{"category": "linear", "list": [{"symbol": "B", "status": "Trading"}]}"#)?;
    /// let b: InstrumentList = serde_json::from_str(
    ///     r#"{"category": "linear", "list": [{"symbol": "P", "status": "PreLaunch"},
    ///                                         {"symbol": "B", "status": "Closed"}]}"#)?;
    /// let merged = a.merge(b)?;
    /// assert_eq!(merged.symbols(), ["B", "P"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ListError::CategoryMismatch`] when the lists are of different categories.
    pub fn merge(self, other: InstrumentList) -> Result<InstrumentList, ListError> {
        Ok(match (self, other) {
            (Self::Spot(a), Self::Spot(b)) => Self::Spot(merge(a, b)),
            (Self::Linear(a), Self::Linear(b)) => Self::Linear(merge(a, b)),
            (Self::Inverse(a), Self::Inverse(b)) => Self::Inverse(merge(a, b)),
            (Self::Option(a), Self::Option(b)) => Self::Option(merge(a, b)),
            (a, b) => {
                return Err(ListError::CategoryMismatch {
                    left: a.category(),
                    right: b.category(),
                });
            }
        })
    }
}

fn merge<T: Instrument>(first: Vec<T>, second: Vec<T>) -> Vec<T> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(first.len() + second.len());
    for instrument in first.into_iter().chain(second) {
        if seen.insert(instrument.symbol().to_owned()) {
            out.push(instrument);
        }
    }
    out
}
