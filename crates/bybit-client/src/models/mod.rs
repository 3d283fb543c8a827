//! Typed, lossless models of `instruments-info` responses.
//!
//! Every model uses Bybit's field names, keeps fields it does not know in `extra`, records
//! fields sent as `""` or `null` in `blanks`, and keeps decimals digit for digit, so that
//! serializing a model gives back what Bybit sent, in JSON and through MessagePack maps
//! (`rmp_serde::to_vec_named`) alike. An [`InstrumentList`] is written in the
//! [positional form](positional) by binary formats (see its docs); a single model only
//! through [`Positional`].

mod decimal;
mod enums;
pub(crate) mod extra;
pub(crate) mod field;
mod filters;
mod heap;
mod linear;
pub(crate) mod macros;
mod msgpack_value;
mod option;
pub mod positional;
mod scalar;
mod spot;
pub(crate) mod text;
mod time;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use decimal::Decimal;
pub use enums::{AuctionPhase, ContractType, Flag, ModeSupport, OptionsType, Status, SymbolType};
pub use extra::Extra;
pub use field::Blanks;
pub use filters::{
    AuctionFeeInfo, AuctionPhaseWindow, LeverageFilter, LotSizeFilter, PreListingInfo, PriceFilter,
    RiskParameters,
};
pub use heap::HeapSize;
pub use linear::{InverseInstrument, LinearInstrument, LinearInverseInstrument};
pub use option::{OptionInstrument, OptionLotSizeFilter};
pub use positional::{Positional, SCHEMA_VERSION, WritePositional};
pub use spot::{SpotInstrument, SpotLotSizeFilter, SpotPriceFilter};
pub use time::TimestampMs;

/// A product category, the `category` query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Spot pairs.
    Spot,
    /// USDT and USDC margined contracts.
    Linear,
    /// Coin-margined contracts.
    Inverse,
    /// Options.
    Option,
}

impl Category {
    /// All four categories.
    pub const ALL: [Category; 4] = [Self::Spot, Self::Linear, Self::Inverse, Self::Option];

    /// The value as Bybit spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spot => "spot",
            Self::Linear => "linear",
            Self::Inverse => "inverse",
            Self::Option => "option",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The complete instrument list of one category, serialized like Bybit's `result`:
/// `{"category": "linear", "list": [...]}`.
///
/// # Serialization
/// A human-readable format (JSON) gets each instrument as Bybit's object, every field by
/// name. A binary one (MessagePack through rmp-serde, as the caches store a list) gets the
/// [positional form](positional): each instrument an array of its fields without their
/// names, which decodes in about half the time. Unknown fields and blanks survive both.
/// `Deserialize` reads either form, so entries written as maps by earlier versions are
/// still read; a store of the positional form must carry [`SCHEMA_VERSION`] in its key.
///
/// ```
/// use bybit_client::InstrumentList;
///
/// let list: InstrumentList = serde_json::from_str(
///     r#"{"category": "linear", "list": [{"symbol": "BTCUSDT", "newField": 1}]}"#,
/// )?;
/// let json = serde_json::to_string(&list)?;
/// assert_eq!(json, r#"{"category":"linear","list":[{"symbol":"BTCUSDT","newField":1}]}"#);
///
/// // MessagePack carries no field name of an instrument, but loses nothing.
/// let packed = rmp_serde::to_vec_named(&list)?;
/// assert!(!packed.windows(6).any(|w| w == b"symbol"));
/// assert_eq!(rmp_serde::from_slice::<InstrumentList>(&packed)?, list);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "category", content = "list", rename_all = "lowercase")]
pub enum InstrumentList {
    /// `category=spot`.
    #[serde(deserialize_with = "field::fill_list")]
    Spot(Vec<SpotInstrument>),
    /// `category=linear`.
    #[serde(deserialize_with = "field::fill_list")]
    Linear(Vec<LinearInverseInstrument>),
    /// `category=inverse`.
    #[serde(deserialize_with = "field::fill_list")]
    Inverse(Vec<LinearInverseInstrument>),
    /// `category=option`.
    #[serde(deserialize_with = "field::fill_list")]
    Option(Vec<OptionInstrument>),
}

impl InstrumentList {
    /// The category of the list.
    pub fn category(&self) -> Category {
        match self {
            Self::Spot(_) => Category::Spot,
            Self::Linear(_) => Category::Linear,
            Self::Inverse(_) => Category::Inverse,
            Self::Option(_) => Category::Option,
        }
    }

    /// How many instruments the list holds.
    pub fn len(&self) -> usize {
        match self {
            Self::Spot(l) => l.len(),
            Self::Linear(l) | Self::Inverse(l) => l.len(),
            Self::Option(l) => l.len(),
        }
    }

    /// True when the list holds no instrument.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The symbols, in Bybit's order.
    pub fn symbols(&self) -> Vec<&str> {
        match self {
            Self::Spot(l) => l.iter().map(|i| i.symbol.as_str()).collect(),
            Self::Linear(l) | Self::Inverse(l) => l.iter().map(|i| i.symbol.as_str()).collect(),
            Self::Option(l) => l.iter().map(|i| i.symbol.as_str()).collect(),
        }
    }
}

impl Serialize for InstrumentList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !serializer.is_human_readable() {
            return self.write_positional(serializer);
        }
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("InstrumentList", 2)?;
        s.serialize_field("category", &self.category())?;
        match self {
            Self::Spot(l) => s.serialize_field("list", l)?,
            Self::Linear(l) | Self::Inverse(l) => s.serialize_field("list", l)?,
            Self::Option(l) => s.serialize_field("list", l)?,
        }
        s.end()
    }
}

impl WritePositional for InstrumentList {
    /// `{"category": ..., "list": [positional instruments]}`, read back by `Deserialize`.
    fn write_positional<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("InstrumentList", 2)?;
        s.serialize_field("category", &self.category())?;
        match self {
            Self::Spot(l) => s.serialize_field("list", &Positional(l))?,
            Self::Linear(l) | Self::Inverse(l) => s.serialize_field("list", &Positional(l))?,
            Self::Option(l) => s.serialize_field("list", &Positional(l))?,
        }
        s.end()
    }
}

/// The `result` object of one page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageBody<T> {
    #[serde(default)]
    pub(crate) category: Option<String>,
    pub(crate) list: Vec<T>,
    #[serde(default)]
    pub(crate) next_page_cursor: Option<String>,
}
