//! The positional (MessagePack array) form of the models: the same values without the field
//! names, which makes a cached list markedly cheaper to decode (no key to validate and match).
//!
//! It is only safe when reader and writer agree on the field order, so the cache key (or a
//! header) must carry [`SCHEMA_VERSION`]. The models' `Deserialize` reads both forms.
//!
//! ```
//! use bybit_client::models::{LinearInverseInstrument, Positional};
//!
//! let list: Vec<LinearInverseInstrument> =
//!     vec![serde_json::from_str(r#"{"symbol":"BTCUSDT","priceScale":"2","newField":1}"#).unwrap()];
//! let bytes = rmp_serde::to_vec(&Positional(&list)).unwrap();
//! let back: Vec<LinearInverseInstrument> = rmp_serde::from_slice(&bytes).unwrap();
//! assert_eq!(back, list);
//! ```

use compact_str::CompactString;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use super::decimal::Decimal;
use super::time::TimestampMs;

/// Changes whenever a model gains, loses or reorders a known field, a string enum gains,
/// loses or reorders a variant, or the positional form itself changes; part of any cache key
/// under which positional data is stored.
///
/// 2: the masks and unknown fields are left out when there are none, unknown fields are the
/// bytes of a MessagePack map (bin) rather than the map itself, and a string enum's known
/// value is its index among the variants.
pub const SCHEMA_VERSION: u32 = 2;

/// Serializes a model, a list of models or an `Option` of one in the positional form:
/// each model is an array of its known fields in declaration order (`nil` when absent; a
/// known value of a string enum as its index),
/// then, only if some field was sent as `""` or `null` or is unknown to the model, the
/// `""`/`null` masks and the unknown fields as the bytes of a MessagePack map (`nil` when
/// none).
#[derive(Clone, Copy, Debug)]
pub struct Positional<'a, T: ?Sized>(pub &'a T);

/// A value with a positional form.
pub trait WritePositional {
    /// Writes the positional form.
    fn write_positional<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

impl<T: WritePositional + ?Sized> Serialize for Positional<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.write_positional(serializer)
    }
}

impl<T: WritePositional> WritePositional for Option<T> {
    fn write_positional<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => serializer.serialize_some(&Positional(v)),
            None => serializer.serialize_none(),
        }
    }
}

impl<T: WritePositional> WritePositional for [T] {
    fn write_positional<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for item in self {
            seq.serialize_element(&Positional(item))?;
        }
        seq.end()
    }
}

impl<T: WritePositional> WritePositional for Vec<T> {
    fn write_positional<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_slice().write_positional(serializer)
    }
}

/// Leaf values are written as usual.
macro_rules! leaf_positional {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::models::positional::WritePositional for $t {
            fn write_positional<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                ::serde::Serialize::serialize(self, serializer)
            }
        }
    )*};
}

leaf_positional!(bool, i64, CompactString, Decimal, TimestampMs);
