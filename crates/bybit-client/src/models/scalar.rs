//! Decoding shared by the number types Bybit sends as strings ([`Decimal`](super::Decimal),
//! [`TimestampMs`](super::TimestampMs)): `""` and `null` become blanks, and the compact forms
//! written to MessagePack are read back.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserializer, Error, Unexpected, Visitor};

use super::field::{Blank, Slot};

/// A number that Bybit sends as a string.
pub(crate) trait Scalar: Sized {
    /// What the visitor says it expected, in error messages.
    const EXPECTING: &'static str;
    /// Parses Bybit's text form.
    fn from_text(s: &str) -> Option<Self>;
    /// Reads an integer: the value itself in JSON, the compact form in MessagePack.
    fn from_int(v: i128, human_readable: bool) -> Option<Self>;
    /// Reads a float (only JSON numbers get here).
    fn from_float(v: f64) -> Option<Self>;
    /// Reads the compact binary form.
    fn from_bytes(v: &[u8]) -> Option<Self>;
}

pub(crate) fn slot<'de, T: Scalar, D: Deserializer<'de>>(d: D) -> Result<Slot<T>, D::Error> {
    let human_readable = d.is_human_readable();
    d.deserialize_any(ScalarVisitor::<T>(human_readable, PhantomData))
}

/// Decodes an optional scalar field into `place`, returning the blank it was sent as. The
/// visitor writes the value where it goes: returning it as a `Slot` moved it through the
/// stack twice, a fifth of decoding a cached instrument list.
pub(crate) fn fill<'de, T: Scalar, D: Deserializer<'de>>(
    d: D,
    place: &mut Option<T>,
) -> Result<Option<Blank>, D::Error> {
    let human_readable = d.is_human_readable();
    d.deserialize_any(FillVisitor {
        human_readable,
        place,
    })
}

/// Decodes a scalar that must be present (not `""` nor `null`).
pub(crate) fn required<'de, T: Scalar, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    match slot::<T, D>(d)? {
        Slot::Value(v) => Ok(v),
        Slot::Empty => Err(D::Error::invalid_value(Unexpected::Str(""), &T::EXPECTING)),
        Slot::Null => Err(D::Error::invalid_type(Unexpected::Unit, &T::EXPECTING)),
    }
}

struct ScalarVisitor<T>(bool, PhantomData<T>);

impl<'de, T: Scalar> Visitor<'de> for ScalarVisitor<T> {
    type Value = Slot<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Slot<T>, E> {
        if v.is_empty() {
            return Ok(Slot::Empty);
        }
        T::from_text(v)
            .map(Slot::Value)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<Slot<T>, E> {
        T::from_int(i128::from(v), self.0)
            .map(Slot::Value)
            .ok_or_else(|| E::invalid_value(Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<Slot<T>, E> {
        T::from_int(i128::from(v), self.0)
            .map(Slot::Value)
            .ok_or_else(|| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Slot<T>, E> {
        T::from_float(v)
            .map(Slot::Value)
            .ok_or_else(|| E::invalid_value(Unexpected::Float(v), &self))
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Slot<T>, E> {
        T::from_bytes(v)
            .map(Slot::Value)
            .ok_or_else(|| E::invalid_value(Unexpected::Bytes(v), &self))
    }

    fn visit_unit<E: Error>(self) -> Result<Slot<T>, E> {
        Ok(Slot::Null)
    }

    fn visit_none<E: Error>(self) -> Result<Slot<T>, E> {
        Ok(Slot::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Slot<T>, D::Error> {
        d.deserialize_any(self)
    }
}

struct FillVisitor<'a, T> {
    human_readable: bool,
    place: &'a mut Option<T>,
}

impl<T> FillVisitor<'_, T> {
    #[inline]
    fn put<E: Error>(
        self,
        value: Option<T>,
        unexpected: Unexpected<'_>,
        expected: &str,
    ) -> Result<Option<Blank>, E> {
        match value {
            Some(v) => {
                *self.place = Some(v);
                Ok(None)
            }
            None => Err(E::invalid_value(unexpected, &expected)),
        }
    }
}

impl<'de, T: Scalar> Visitor<'de> for FillVisitor<'_, T> {
    type Value = Option<Blank>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Option<Blank>, E> {
        if v.is_empty() {
            return Ok(Some(Blank::Empty));
        }
        self.put(T::from_text(v), Unexpected::Str(v), T::EXPECTING)
    }

    #[inline]
    fn visit_i64<E: Error>(self, v: i64) -> Result<Option<Blank>, E> {
        let value = T::from_int(i128::from(v), self.human_readable);
        self.put(value, Unexpected::Signed(v), T::EXPECTING)
    }

    #[inline]
    fn visit_u64<E: Error>(self, v: u64) -> Result<Option<Blank>, E> {
        let value = T::from_int(i128::from(v), self.human_readable);
        self.put(value, Unexpected::Unsigned(v), T::EXPECTING)
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<Option<Blank>, E> {
        self.put(T::from_float(v), Unexpected::Float(v), T::EXPECTING)
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Option<Blank>, E> {
        self.put(T::from_bytes(v), Unexpected::Bytes(v), T::EXPECTING)
    }

    fn visit_unit<E: Error>(self) -> Result<Option<Blank>, E> {
        Ok(Some(Blank::Null))
    }

    fn visit_none<E: Error>(self) -> Result<Option<Blank>, E> {
        Ok(Some(Blank::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Blank>, D::Error> {
        d.deserialize_any(self)
    }
}
