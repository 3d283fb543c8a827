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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::models::{Decimal, TimestampMs};

    /// `fill` writes what `slot` returns, reports the same blank, and fails with the same
    /// message.
    fn same_as_slot<'de, T, D>(fill_from: D, slot_from: D)
    where
        T: Scalar + PartialEq + fmt::Debug,
        D: Deserializer<'de>,
    {
        let mut place = None;
        let filled = fill::<T, D>(fill_from, &mut place).map_err(|e| e.to_string());
        let slotted = slot::<T, D>(slot_from).map_err(|e| e.to_string());
        match (filled, slotted) {
            (Ok(None), Ok(Slot::Value(v))) => assert_eq!(place, Some(v)),
            (Ok(Some(Blank::Empty)), Ok(Slot::Empty)) | (Ok(Some(Blank::Null)), Ok(Slot::Null)) => {
                assert_eq!(place, None);
            }
            (Err(filled), Err(slotted)) => assert_eq!(filled, slotted),
            (filled, slotted) => panic!("fill gave {filled:?}, slot {:?}", slotted.is_ok()),
        }
    }

    fn inputs() -> Vec<serde_json::Value> {
        vec![
            json!(null),
            json!(""),
            json!("12.50"),
            json!("-0.00375"),
            json!("1700000000000"),
            json!("not a number"),
            json!(7),
            json!(-3),
            json!(1.25),
            json!(true),
            json!(["1"]),
        ]
    }

    #[test]
    fn fill_reads_json_as_slot_does() {
        for input in inputs() {
            same_as_slot::<Decimal, _>(&input, &input);
            same_as_slot::<TimestampMs, _>(&input, &input);
        }
    }

    #[test]
    fn fill_reads_messagepack_as_slot_does() {
        let mut inputs: Vec<Vec<u8>> = inputs()
            .iter()
            .map(|v| rmp_serde::to_vec(v).unwrap())
            .collect();
        // The compact forms: a packed decimal (12.50 is 1250 * 32 + 2), a scale past 28, a
        // mantissa past i64, and the 16-byte form.
        inputs.extend([
            rmp_serde::to_vec(&(1250i64 * 32 + 2)).unwrap(),
            rmp_serde::to_vec(&(-1250i64 * 32 + 2)).unwrap(),
            rmp_serde::to_vec(&(5i64 * 32 + 29)).unwrap(),
            rmp_serde::to_vec(&u64::MAX).unwrap(),
            rmp_serde::to_vec(&serde_bytes_of(
                &rust_decimal::Decimal::new(-125, 1).serialize(),
            ))
            .unwrap(),
        ]);
        for bytes in &inputs {
            let de = || rmp_serde::Deserializer::from_read_ref(bytes);
            same_as_slot::<Decimal, _>(&mut de(), &mut de());
            same_as_slot::<TimestampMs, _>(&mut de(), &mut de());
        }
    }

    /// Bytes written as MessagePack bin.
    fn serde_bytes_of(bytes: &[u8]) -> impl serde::Serialize + '_ {
        struct Bin<'a>(&'a [u8]);
        impl serde::Serialize for Bin<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        Bin(bytes)
    }
}
