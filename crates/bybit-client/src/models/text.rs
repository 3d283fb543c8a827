//! Fields read from a string that any string is a value of: names and coins
//! ([`CompactString`]) and the string enums, with their `Other` arm. They are decoded into
//! their place in the model: returned by value through a `Slot`, each was copied back in
//! narrower pieces than it was written, a stall per field on every cached instrument.
//!
//! The visitors accept what the types' own `Deserialize` accepts, and say the same in errors.

use std::fmt;

use compact_str::CompactString;
use serde::de::{Deserializer, Error, Unexpected, Visitor};

use super::field::{Blank, FieldValue, Slot};

/// A type read from any string.
pub(crate) trait Text: Sized {
    /// What the type's own visitor says it expected, in error messages.
    const EXPECTING: &'static str;
    /// Whether its own visitor also takes UTF-8 bytes (as `CompactString`'s does).
    const TAKES_BYTES: bool;
    /// The value of `s`.
    fn from_text(s: &str) -> Self;
    /// The value written in binary formats as `index` (a string enum's known variants).
    fn from_index(_index: u64) -> Option<Self> {
        None
    }
}

/// Decodes an optional text field into `place`, returning `Some(Blank::Null)` for `null`, as
/// `Option<T>`'s own `Deserialize` reads it (`""` is a value here, not a blank).
pub(crate) fn fill<'de, T: Text, D: Deserializer<'de>>(
    deserializer: D,
    place: &mut Option<T>,
) -> Result<Option<Blank>, D::Error> {
    let binary = !deserializer.is_human_readable();
    deserializer.deserialize_option(OptionText(place, binary))
}

/// The place, and whether the format is binary (where an index stands for a value).
struct OptionText<'a, T>(&'a mut Option<T>, bool);

impl<'de, T: Text> Visitor<'de> for OptionText<'_, T> {
    type Value = Option<Blank>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // serde's own word for an `Option`.
        f.write_str("option")
    }

    fn visit_unit<E: Error>(self) -> Result<Option<Blank>, E> {
        Ok(Some(Blank::Null))
    }

    fn visit_none<E: Error>(self) -> Result<Option<Blank>, E> {
        Ok(Some(Blank::Null))
    }

    #[inline]
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Blank>, D::Error> {
        d.deserialize_str(WriteText(self.0, self.1))?;
        Ok(None)
    }
}

struct WriteText<'a, T>(&'a mut Option<T>, bool);

impl<T: Text> Visitor<'_> for WriteText<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    #[inline]
    fn visit_str<E: Error>(self, v: &str) -> Result<(), E> {
        *self.0 = Some(T::from_text(v));
        Ok(())
    }

    #[inline]
    fn visit_u64<E: Error>(self, v: u64) -> Result<(), E> {
        match T::from_index(v).filter(|_| self.1) {
            Some(value) => {
                *self.0 = Some(value);
                Ok(())
            }
            None => Err(E::invalid_type(Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<(), E> {
        if !T::TAKES_BYTES {
            return Err(E::invalid_type(Unexpected::Bytes(v), &self));
        }
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::invalid_value(Unexpected::Bytes(v), &self)),
        }
    }
}

impl Text for CompactString {
    const EXPECTING: &'static str = "a string";
    const TAKES_BYTES: bool = true;

    #[inline]
    fn from_text(s: &str) -> Self {
        Self::from(s)
    }
}

impl FieldValue for CompactString {
    fn slot<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
        super::field::nullable(deserializer)
    }

    #[inline]
    fn fill<'de, D: Deserializer<'de>>(
        deserializer: D,
        place: &mut Option<Self>,
    ) -> Result<Option<Blank>, D::Error> {
        fill(deserializer, place)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde::Deserialize;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    use super::*;
    use crate::models::{ContractType, Status};

    /// What `fill` makes of `input`, beside what `Option<T>`'s own `Deserialize` makes of it:
    /// the same value, `null` as the blank, and the same error message.
    fn same_as_own<'de, T, D>(fill_from: D, own_from: D)
    where
        T: Text + DeserializeOwned + PartialEq + fmt::Debug,
        D: Deserializer<'de>,
    {
        let mut place = None;
        let filled = fill::<T, D>(fill_from, &mut place).map_err(|e| e.to_string());
        let own = Option::<T>::deserialize(own_from).map_err(|e| e.to_string());
        match (filled, own) {
            (Ok(blank), Ok(value)) => {
                assert_eq!(place, value);
                assert_eq!(blank.is_some(), value.is_none(), "null is the only blank");
            }
            (Err(filled), Err(own)) => assert_eq!(filled, own),
            (filled, own) => panic!("fill gave {filled:?}, the type's own {own:?}"),
        }
    }

    fn json_inputs() -> Vec<serde_json::Value> {
        vec![
            json!(null),
            json!(""),
            json!("BTCUSDT"),
            json!(1),
            json!("Trading"),
            json!("LinearPerpetual"),
            json!("a name longer than twenty-four bytes, so on the heap"),
            json!(7),
            json!(true),
            json!(["BTC"]),
            json!({"a": 1}),
        ]
    }

    #[test]
    fn text_fields_read_json_as_their_own_deserialize_does() {
        for input in json_inputs() {
            same_as_own::<CompactString, _>(&input, &input);
            same_as_own::<Status, _>(&input, &input);
            same_as_own::<ContractType, _>(&input, &input);
        }
    }

    #[test]
    fn text_fields_read_messagepack_as_their_own_deserialize_does() {
        let mut inputs: Vec<Vec<u8>> = json_inputs()
            .iter()
            .map(|v| rmp_serde::to_vec(v).unwrap())
            .collect();
        // Bin data: UTF-8 and not.
        inputs.push(vec![0xc4, 3, b'B', b'T', b'C']);
        inputs.push(vec![0xc4, 2, 0xff, 0xfe]);
        // A str of invalid UTF-8, which rmp-serde offers as bytes.
        inputs.push(vec![0xa2, 0xff, 0xfe]);
        for bytes in &inputs {
            let de = || rmp_serde::Deserializer::from_read_ref(bytes);
            same_as_own::<CompactString, _>(&mut de(), &mut de());
            same_as_own::<Status, _>(&mut de(), &mut de());
            same_as_own::<ContractType, _>(&mut de(), &mut de());
        }
    }
}
