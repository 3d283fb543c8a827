//! What to ask `instruments-info` for.

use crate::error::Error;
use crate::models::{Category, Status};

/// The parameters of one instrument list request (the client adds `limit` and `cursor`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstrumentsQuery {
    /// `category`.
    pub category: Category,
    /// `baseCoin`. Required for options: without it Bybit answers with BTC options only.
    pub base_coin: Option<String>,
    /// `symbol`, to fetch one instrument.
    pub symbol: Option<String>,
    /// `status`. Without it Bybit lists only `Trading` symbols (options: also
    /// `PreLaunch` and `Delivering`); ask for `PreLaunch` separately to get pre-market ones,
    /// and join the two lists with [`InstrumentList::merge`](crate::InstrumentList::merge).
    pub status: Option<Status>,
}

impl InstrumentsQuery {
    /// All instruments of a category. For options use [`InstrumentsQuery::option`].
    pub fn new(category: Category) -> Self {
        Self {
            category,
            base_coin: None,
            symbol: None,
            status: None,
        }
    }

    /// All spot pairs.
    pub fn spot() -> Self {
        Self::new(Category::Spot)
    }

    /// All linear contracts.
    pub fn linear() -> Self {
        Self::new(Category::Linear)
    }

    /// All inverse contracts.
    pub fn inverse() -> Self {
        Self::new(Category::Inverse)
    }

    /// All options on one base coin, e.g. `"BTC"`.
    pub fn option(base_coin: impl Into<String>) -> Self {
        Self::new(Category::Option).with_base_coin(base_coin)
    }

    /// Sets `baseCoin`.
    pub fn with_base_coin(mut self, base_coin: impl Into<String>) -> Self {
        self.base_coin = Some(base_coin.into());
        self
    }

    /// Sets `symbol`.
    pub fn with_symbol(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = Some(symbol.into());
        self
    }

    /// Sets `status`: list only the instruments in this state, e.g. [`Status::PreLaunch`]
    /// for pre-market contracts, which Bybit leaves out of the default list. A status of
    /// [`Status::Other`] is sent as spelled; an empty one is refused by the client
    /// ([`Error::InvalidQuery`]), since Bybit reads `status=` as no status.
    ///
    /// ```
    /// use bybit_client::InstrumentsQuery;
    /// use bybit_client::models::Status;
    ///
    /// let prelaunch = InstrumentsQuery::linear().with_status(Status::PreLaunch);
    /// assert_eq!(prelaunch.status, Some(Status::PreLaunch));
    /// ```
    pub fn with_status(mut self, status: Status) -> Self {
        self.status = Some(status);
        self
    }

    /// Refuses queries whose answer would silently be partial.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.category == Category::Option && self.base_coin.is_none() && self.symbol.is_none() {
            return Err(Error::InvalidQuery(
                "category=option needs a base coin: without one Bybit returns BTC options only"
                    .into(),
            ));
        }
        if self.status.as_ref().is_some_and(|s| s.as_str().is_empty()) {
            return Err(Error::InvalidQuery(
                "status is empty: Bybit would read it as no status and list Trading symbols only"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The query string pairs, without `limit` and `cursor`.
    pub(crate) fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = vec![("category", self.category.as_str().to_owned())];
        if let Some(base_coin) = &self.base_coin {
            params.push(("baseCoin", base_coin.clone()));
        }
        if let Some(symbol) = &self.symbol {
            params.push(("symbol", symbol.clone()));
        }
        if let Some(status) = &self.status {
            params.push(("status", status.as_str().to_owned()));
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_sent_as_bybit_spells_it_and_an_empty_one_is_refused() {
        let q = InstrumentsQuery::linear().with_status(Status::PreLaunch);
        assert!(q.validate().is_ok());
        assert!(q.params().contains(&("status", "PreLaunch".to_owned())));
        let other = InstrumentsQuery::spot().with_status(Status::parse("Settling"));
        assert!(other.params().contains(&("status", "Settling".to_owned())));
        let empty = InstrumentsQuery::linear().with_status(Status::parse(""));
        assert!(matches!(empty.validate(), Err(Error::InvalidQuery(m)) if m.contains("status")));
        assert!(
            !InstrumentsQuery::linear()
                .params()
                .iter()
                .any(|(k, _)| *k == "status")
        );
    }
}
