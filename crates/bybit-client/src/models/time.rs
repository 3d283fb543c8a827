//! Millisecond timestamps, which Bybit sends as strings of digits.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::field::{Blank, FieldValue, Slot};
use super::scalar::{self, Scalar};

/// Milliseconds since the Unix epoch, as in `"launchTime": "1585526400000"`.
///
/// `"deliveryTime": "0"` (no delivery, e.g. a perpetual) is kept as 0 so that it writes back
/// as `"0"`. JSON carries it as a string of digits, as Bybit does; MessagePack as an integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimestampMs(pub i64);

impl TimestampMs {
    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for TimestampMs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Scalar for TimestampMs {
    const EXPECTING: &'static str = "a millisecond timestamp as a string of digits";

    fn from_text(s: &str) -> Option<Self> {
        s.parse().ok().map(Self)
    }

    #[inline]
    fn from_int(v: i128, _human_readable: bool) -> Option<Self> {
        i64::try_from(v).ok().map(Self)
    }

    fn from_float(_v: f64) -> Option<Self> {
        None
    }

    fn from_bytes(_v: &[u8]) -> Option<Self> {
        None
    }
}

impl Serialize for TimestampMs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(&self.0)
        } else {
            serializer.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for TimestampMs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar::required(deserializer)
    }
}

impl FieldValue for TimestampMs {
    fn slot<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
        scalar::slot(deserializer)
    }

    fn fill<'de, D: Deserializer<'de>>(
        deserializer: D,
        place: &mut Option<Self>,
    ) -> Result<Option<Blank>, D::Error> {
        scalar::fill(deserializer, place)
    }
}
