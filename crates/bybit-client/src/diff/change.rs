//! One difference between two instrument lists.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::escape::Escaped;
use crate::models::Status;

/// One difference between an older and a newer instrument list of one category, as found
/// by [`diff`](crate::diff::diff).
///
/// It serializes as one flat JSON object tagged by `event`:
///
/// ```
/// use bybit_client::diff::Change;
/// use bybit_client::models::Status;
///
/// let listed = Change::Listed { symbol: "BIOUSDT".into() };
/// assert_eq!(serde_json::to_string(&listed)?, r#"{"event":"listed","symbol":"BIOUSDT"}"#);
///
/// let closed = Change::Status {
///     symbol: "BTCUSDT".into(),
///     from: Some(Status::Trading),
///     to: Some(Status::Closed),
/// };
/// assert_eq!(
///     serde_json::to_string(&closed)?,
///     r#"{"event":"status","symbol":"BTCUSDT","from":"Trading","to":"Closed"}"#
/// );
/// assert_eq!(closed.to_string(), "status BTCUSDT Trading -> Closed");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Change {
    /// The symbol is in the newer list only.
    Listed {
        /// The symbol.
        symbol: String,
    },
    /// The symbol is in the older list only. Bybit lists `Trading` symbols only unless
    /// asked for a status, so a symbol that stops trading usually shows up as delisted
    /// rather than as a [`Change::Status`] to `Closed`.
    Delisted {
        /// The symbol.
        symbol: String,
    },
    /// The symbol's `status` changed. `None` is a status that was missing or `null`.
    Status {
        /// The symbol.
        symbol: String,
        /// The status in the older list.
        from: Option<Status>,
        /// The status in the newer list.
        to: Option<Status>,
    },
    /// Other fields of the symbol changed.
    Changed {
        /// The symbol.
        symbol: String,
        /// Bybit's JSON names of the fields that differ, dotted for nested objects
        /// (`priceFilter.tickSize`), sorted. A field added or removed counts as differing;
        /// an array (`preListingInfo.phases`) is one field.
        fields: Vec<String>,
    },
}

impl Change {
    /// The symbol the change is about.
    pub fn symbol(&self) -> &str {
        match self {
            Self::Listed { symbol }
            | Self::Delisted { symbol }
            | Self::Status { symbol, .. }
            | Self::Changed { symbol, .. } => symbol,
        }
    }

    /// The `event` tag: `listed`, `delisted`, `status` or `changed`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Listed { .. } => "listed",
            Self::Delisted { .. } => "delisted",
            Self::Status { .. } => "status",
            Self::Changed { .. } => "changed",
        }
    }
}

/// One line, with text from Bybit (symbols, statuses, unknown field names) escaped so that
/// it cannot drive a terminal: `listed BIOUSDT`, `status BTCUSDT Trading -> Closed`,
/// `changed BTCUSDT priceFilter.tickSize, lotSizeFilter.qtyStep`. A missing status shows
/// as `(none)`.
impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), Escaped(self.symbol()))?;
        match self {
            Self::Listed { .. } | Self::Delisted { .. } => Ok(()),
            Self::Status { from, to, .. } => {
                write!(f, " {} -> {}", StatusText(from), StatusText(to))
            }
            Self::Changed { fields, .. } => {
                for (i, field) in fields.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{}", Escaped(field))?;
                }
                Ok(())
            }
        }
    }
}

struct StatusText<'a>(&'a Option<Status>);

impl fmt::Display for StatusText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(status) => write!(f, "{}", Escaped(status.as_str())),
            None => f.write_str("(none)"),
        }
    }
}
