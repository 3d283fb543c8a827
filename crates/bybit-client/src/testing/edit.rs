//! Changing the lists of a running [`MockBybit`], for tests of programs that watch them.

use serde_json::{Value, json};

use super::lists::{Source, set_path, symbol_of};
use super::server::{MockBybit, lock};
use crate::models::{Category, InstrumentList, Status};

/// Replacing and editing the served lists while the server runs. Pagination, faults and the
/// request log carry on as before; the next request is served from the new list.
///
/// ```no_run
/// use bybit_client::models::Status;
/// use bybit_client::testing::MockBybit;
/// use bybit_client::{BybitClient, Category, ClientConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mock = MockBybit::start().await;
/// let client = BybitClient::new(ClientConfig::new(mock.base_url()))?;
/// let before = client.linear_instruments().await?;
///
/// mock.delist(Category::Linear, "BTCUSDT");
/// mock.set_status(Category::Linear, "ETHUSDT", Status::Closed);
/// mock.set_field(Category::Linear, "XRPUSDT", "priceFilter.tickSize", "0.001".into());
/// let after = client.linear_instruments().await?;
/// assert_eq!(after.len(), before.len() - 1);
/// # Ok(())
/// # }
/// ```
impl MockBybit {
    /// Serves these instruments (raw Bybit JSON objects) for a category from now on, in
    /// place of its fixture, its file or an earlier list.
    pub fn set_instruments(&self, category: Category, list: Vec<Value>) {
        lock(&self.state.lists)
            .main
            .insert(category, Source::values(list));
    }

    /// Serves this list for its category from now on, as [`MockBybit::set_instruments`].
    pub fn set_instrument_list(&self, list: &InstrumentList) {
        // The models write plain JSON objects; nothing in them can fail to serialize.
        let mut doc = serde_json::to_value(list).expect("an instrument list serializes to JSON");
        let values = match doc.get_mut("list").map(Value::take) {
            Some(Value::Array(values)) => values,
            _ => Vec::new(),
        };
        self.set_instruments(list.category(), values);
    }

    /// Serves these instruments to requests for a category with this `status` (e.g.
    /// pre-market contracts for `status=PreLaunch`) from now on. Without such a list, those
    /// requests get the category's list filtered to the status.
    pub fn set_status_instruments(&self, category: Category, status: Status, list: Vec<Value>) {
        lock(&self.state.lists)
            .by_status
            .insert((category, status.as_str().to_owned()), Source::values(list));
    }

    /// Edits a category's list in place and serves the result from now on. A list read
    /// from a file is edited as read now, and served from memory after.
    /// The mock is locked while `edit` runs: it must not call the mock.
    pub fn edit_instruments<R>(
        &self,
        category: Category,
        edit: impl FnOnce(&mut Vec<Value>) -> R,
    ) -> R {
        let mut lists = lock(&self.state.lists);
        let mut list = lists
            .main_list(category)
            .map(|l| l.to_vec())
            .unwrap_or_default();
        let out = edit(&mut list);
        lists.main.insert(category, Source::values(list));
        out
    }

    /// Removes a symbol from a category's list; false when it was not there.
    pub fn delist(&self, category: Category, symbol: &str) -> bool {
        self.edit_instruments(category, |list| {
            let before = list.len();
            list.retain(|v| symbol_of(v) != Some(symbol));
            list.len() != before
        })
    }

    /// Adds an instrument to the end of a category's list, or replaces the one with the
    /// same `symbol` where it stands.
    pub fn list_instrument(&self, category: Category, instrument: Value) {
        self.edit_instruments(category, |list| {
            let symbol = symbol_of(&instrument).map(str::to_owned);
            match list
                .iter_mut()
                .find(|v| symbol.is_some() && symbol_of(v) == symbol.as_deref())
            {
                Some(slot) => *slot = instrument,
                None => list.push(instrument),
            }
        });
    }

    /// Sets a field of one instrument at Bybit's dotted path (`status`,
    /// `priceFilter.tickSize`, or a field no model knows), making objects on the way; false
    /// when the symbol is not listed or the path crosses a non-object.
    pub fn set_field(&self, category: Category, symbol: &str, path: &str, value: Value) -> bool {
        self.edit_instruments(category, |list| {
            list.iter_mut()
                .find(|v| symbol_of(v) == Some(symbol))
                .is_some_and(|v| set_path(v, path, value))
        })
    }

    /// Sets one instrument's `status`; false when the symbol is not listed.
    pub fn set_status(&self, category: Category, symbol: &str, status: Status) -> bool {
        self.set_field(category, symbol, "status", json!(status.as_str()))
    }

    /// Sets one instrument's `priceFilter.tickSize` (a decimal string, as Bybit sends it);
    /// false when the symbol is not listed.
    pub fn set_tick_size(&self, category: Category, symbol: &str, tick_size: &str) -> bool {
        self.set_field(category, symbol, "priceFilter.tickSize", json!(tick_size))
    }
}
