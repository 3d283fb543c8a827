//! What changed between two instrument lists of one category: listings, delistings, status
//! changes and changed fields, for programs that react to Bybit changing its list.
//!
//! ```
//! use bybit_client::diff::{Change, diff};
//! use bybit_client::models::Status;
//! use bybit_client::InstrumentList;
//!
//! let old: InstrumentList = serde_json::from_str(r#"{"category": "linear", "list": [
//!     {"symbol": "BTCUSDT", "status": "Trading", "priceFilter": {"tickSize": "0.10"}},
//!     {"symbol": "ETHUSDT", "status": "Trading"}]}"#)?;
//! let new: InstrumentList = serde_json::from_str(r#"{"category": "linear", "list": [
//!     {"symbol": "BTCUSDT", "status": "Closed", "priceFilter": {"tickSize": "0.5"}},
//!     {"symbol": "BIOUSDT", "status": "Trading"}]}"#)?;
//!
//! let changes = diff(&old, &new)?;
//! assert_eq!(changes, vec![
//!     Change::Listed { symbol: "BIOUSDT".into() },
//!     Change::Status {
//!         symbol: "BTCUSDT".into(),
//!         from: Some(Status::Trading),
//!         to: Some(Status::Closed),
//!     },
//!     Change::Changed { symbol: "BTCUSDT".into(), fields: vec!["priceFilter.tickSize".into()] },
//!     Change::Delisted { symbol: "ETHUSDT".into() },
//! ]);
//! assert!(diff(&new, &new)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Behavior
//! - Instruments are matched by symbol, so the order of either list does not matter. A
//!   symbol that appears twice in one list (Bybit sends none) is taken at its first place.
//! - The changes come sorted by symbol; one symbol's come as listed or delisted, or as a
//!   status change followed by a field change.
//! - Fields are compared as the JSON the models write, which is Bybit's own, so fields
//!   this crate does not know (kept in the models' `extra`) are compared too. Two decimal
//!   strings of one number (`"5.00"`, `"5"`) are equal; `""`, `null` and a missing field
//!   differ from each other and from any value.
//! - Objects are compared field by field (`lotSizeFilter.qtyStep`); an array is one field,
//!   named by its path (`preListingInfo.phases`) when any element differs.
//! - `status` is reported as [`Change::Status`] only, never among the fields of a
//!   [`Change::Changed`]; a status that went from missing to `null` (both read as no
//!   status) is a field change of `status`.

mod change;
mod paths;

use std::collections::{BTreeMap, BTreeSet};

pub use change::Change;

use crate::escape::Escaped;
use crate::instrument::Instrument;
use crate::models::{Category, InstrumentList};

/// Why two instrument lists cannot be compared or merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The lists are of different categories.
    #[error("cannot combine instrument lists of two categories: {left} and {right}")]
    CategoryMismatch {
        /// The category of the first (older) list.
        left: Category,
        /// The category of the second (newer) list.
        right: Category,
    },
    /// An instrument could not be written as JSON. Instruments read from Bybit's JSON
    /// always can be.
    #[error("instrument {} cannot be written as JSON: {source}", Escaped(symbol))]
    Encode {
        /// The instrument's symbol.
        symbol: String,
        /// The serializer's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The changes from `old` to `new`, two lists of one category, sorted by symbol; empty
/// when they hold the same instruments in any order. See the [module docs](self).
///
/// # Errors
/// [`ListError::CategoryMismatch`] when the lists are of different categories (linear
/// and inverse too, though they share one instrument type).
pub fn diff(old: &InstrumentList, new: &InstrumentList) -> Result<Vec<Change>, ListError> {
    match (old, new) {
        (InstrumentList::Spot(a), InstrumentList::Spot(b)) => diff_instruments(a, b),
        (InstrumentList::Linear(a), InstrumentList::Linear(b))
        | (InstrumentList::Inverse(a), InstrumentList::Inverse(b)) => diff_instruments(a, b),
        (InstrumentList::Option(a), InstrumentList::Option(b)) => diff_instruments(a, b),
        _ => Err(ListError::CategoryMismatch {
            left: old.category(),
            right: new.category(),
        }),
    }
}

impl InstrumentList {
    /// The changes from this list to `newer`: [`diff`]`(self, newer)`.
    ///
    /// # Errors
    /// As [`diff`].
    pub fn diff(&self, newer: &InstrumentList) -> Result<Vec<Change>, ListError> {
        diff(self, newer)
    }
}

fn by_symbol<T: Instrument>(list: &[T]) -> BTreeMap<&str, &T> {
    let mut map = BTreeMap::new();
    for instrument in list {
        map.entry(instrument.symbol()).or_insert(instrument);
    }
    map
}

fn diff_instruments<T: Instrument>(old: &[T], new: &[T]) -> Result<Vec<Change>, ListError> {
    let old = by_symbol(old);
    let new = by_symbol(new);
    let symbols: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
    let mut out = Vec::new();
    for symbol in symbols {
        match (old.get(symbol), new.get(symbol)) {
            (None, Some(_)) => out.push(Change::Listed {
                symbol: symbol.to_owned(),
            }),
            (Some(_), None) => out.push(Change::Delisted {
                symbol: symbol.to_owned(),
            }),
            // Equal models write equal JSON, so most instruments cost one comparison.
            (Some(a), Some(b)) if a != b => compare(symbol, *a, *b, &mut out)?,
            _ => {}
        }
    }
    Ok(out)
}

fn compare<T: Instrument>(
    symbol: &str,
    old: &T,
    new: &T,
    out: &mut Vec<Change>,
) -> Result<(), ListError> {
    let json = |instrument: &T| {
        serde_json::to_value(instrument).map_err(|source| ListError::Encode {
            symbol: symbol.to_owned(),
            source,
        })
    };
    let mut fields = paths::differing_paths(&json(old)?, &json(new)?);
    if old.status() != new.status() {
        out.push(Change::Status {
            symbol: symbol.to_owned(),
            from: old.status().cloned(),
            to: new.status().cloned(),
        });
        fields.retain(|f| f != "status");
    }
    if !fields.is_empty() {
        out.push(Change::Changed {
            symbol: symbol.to_owned(),
            fields,
        });
    }
    Ok(())
}
