//! A decimal that keeps the exact digits Bybit sent.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::field::{Blank, FieldValue, Slot};
use super::scalar::{self, Scalar};

/// A fixed-point decimal as Bybit sends it (`"0.10"`, `"-0.00375"`), scale included:
/// `"12.50"` reads as 12.50 with scale 2 and writes back as `"12.50"`.
///
/// It dereferences to [`rust_decimal::Decimal`] for arithmetic. Equality is numeric
/// (`12.50 == 12.5`); its `Display` (`to_string()`) gives the exact text.
///
/// In human-readable formats (JSON) it is a string. In compact formats (MessagePack) it is
/// one integer, `mantissa * 32 + scale`, when the mantissa fits in 58 bits (every price and
/// quantity Bybit sends), and otherwise the 16 bytes of [`rust_decimal::Decimal::serialize`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decimal(pub rust_decimal::Decimal);

/// Mantissas in this range pack with their scale into one `i64`.
const PACKED_LIMIT: i128 = 1 << 58;

impl Decimal {
    /// The underlying [`rust_decimal::Decimal`].
    pub fn value(self) -> rust_decimal::Decimal {
        self.0
    }
}

impl Deref for Decimal {
    type Target = rust_decimal::Decimal;

    fn deref(&self) -> &rust_decimal::Decimal {
        &self.0
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Self(value)
    }
}

impl From<Decimal> for rust_decimal::Decimal {
    fn from(value: Decimal) -> Self {
        value.0
    }
}

impl FromStr for Decimal {
    type Err = rust_decimal::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        rust_decimal::Decimal::from_str_exact(s).map(Self)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Scalar for Decimal {
    const EXPECTING: &'static str = "a decimal number as a string";

    fn from_text(s: &str) -> Option<Self> {
        s.parse().ok()
    }

    // Inline, and built from its parts: `try_new` behind a call returned the decimal through
    // memory in narrower stores than the caller reads back, a stall on every price.
    #[inline]
    fn from_int(v: i128, human_readable: bool) -> Option<Self> {
        if human_readable {
            return rust_decimal::Decimal::try_from_i128_with_scale(v, 0)
                .ok()
                .map(Self);
        }
        // Arithmetic shift and mask undo `mantissa * 32 + scale`, negative mantissas included.
        let scale = (v & 31) as u32;
        let mantissa = i64::try_from(v >> 5).ok()?;
        if scale > rust_decimal::Decimal::MAX_SCALE {
            return None;
        }
        let magnitude = mantissa.unsigned_abs();
        Some(Self(rust_decimal::Decimal::from_parts(
            magnitude as u32,
            (magnitude >> 32) as u32,
            0,
            mantissa < 0,
            scale,
        )))
    }

    fn from_float(v: f64) -> Option<Self> {
        // The shortest text that reads back as the same f64 is the number the sender wrote.
        v.to_string().parse().ok()
    }

    fn from_bytes(v: &[u8]) -> Option<Self> {
        let bytes: [u8; 16] = v.try_into().ok()?;
        // Byte 2 holds the scale; anything above 28 is not a valid decimal.
        (bytes[2] <= 28).then(|| Self(rust_decimal::Decimal::deserialize(bytes)))
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            return serializer.collect_str(&self.0);
        }
        let mantissa = self.0.mantissa();
        if (-PACKED_LIMIT..PACKED_LIMIT).contains(&mantissa) {
            let packed = mantissa * 32 + i128::from(self.0.scale());
            // In range by construction: |mantissa| < 2^58, so |packed| < 2^63.
            serializer.serialize_i64(packed as i64)
        } else {
            serializer.serialize_bytes(&self.0.serialize())
        }
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        scalar::required(deserializer)
    }
}

impl FieldValue for Decimal {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The packed form is read as `rust_decimal::Decimal::try_new` read it before it was built
    /// from its parts: the same decimal, flags included, and `None` where it failed.
    #[test]
    fn packed_decimals_read_as_try_new_reads_them() {
        let mantissas = [
            0,
            1,
            -1,
            5,
            -1250,
            i64::from(u32::MAX),
            -i64::from(u32::MAX) - 1,
            (1 << 58) - 1,
            -(1 << 58),
        ];
        for mantissa in mantissas {
            for scale in [0u32, 1, 2, 8, 27, 28, 29, 31] {
                let packed = i128::from(mantissa) * 32 + i128::from(scale);
                let read = Decimal::from_int(packed, false).map(|d| d.0.serialize());
                let expected = rust_decimal::Decimal::try_new(mantissa, scale)
                    .ok()
                    .map(|d| d.serialize());
                assert_eq!(read, expected, "{mantissa} at scale {scale}");
            }
        }
        // A mantissa past i64 is no packed decimal.
        assert_eq!(Decimal::from_int(i128::from(i64::MAX) * 64, false), None);
    }
}
