//! The wire-level plumbing shared by every model: how a field that Bybit sent as `""` or
//! `null` is told apart from a missing one.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, Visitor};
use serde::ser::SerializeMap;

/// What an optional field held on the wire, besides a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blank {
    /// The field was `""`.
    Empty,
    /// The field was `null`.
    Null,
}

/// Which optional fields of a model Bybit sent as `""` or `null` rather than leaving out.
///
/// Such a field reads as `None`; this record lets serialization write it back the way
/// Bybit sent it (`"deliveryFeeRate": ""`, `"preListingInfo": null`) instead of dropping it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Blanks {
    empty: u64,
    null: u64,
}

impl Blanks {
    /// True when no field was sent as `""` or `null`.
    pub fn is_none(&self) -> bool {
        self.empty == 0 && self.null == 0
    }

    pub(crate) fn masks(&self) -> (u64, u64) {
        (self.empty, self.null)
    }

    pub(crate) fn from_masks(empty: u64, null: u64) -> Self {
        Self { empty, null }
    }

    pub(crate) fn get(&self, bit: u32) -> Option<Blank> {
        let mask = 1u64 << bit;
        if self.empty & mask != 0 {
            Some(Blank::Empty)
        } else if self.null & mask != 0 {
            Some(Blank::Null)
        } else {
            None
        }
    }

    pub(crate) fn set(&mut self, bit: u32, blank: Blank) {
        let mask = 1u64 << bit;
        match blank {
            Blank::Empty => self.empty |= mask,
            Blank::Null => self.null |= mask,
        }
    }
}

/// Writes a blank field back as Bybit sent it; a field that was absent stays absent.
pub(crate) fn serialize_blank<M: SerializeMap>(
    map: &mut M,
    key: &'static str,
    blank: Option<Blank>,
) -> Result<(), M::Error> {
    match blank {
        Some(Blank::Empty) => map.serialize_entry(key, ""),
        Some(Blank::Null) => map.serialize_entry(key, &Option::<()>::None),
        None => Ok(()),
    }
}

/// One decoded field value, or the blank it was sent as.
pub(crate) enum Slot<T> {
    Value(T),
    Empty,
    Null,
}

/// A type that can sit in an optional model field.
pub(crate) trait FieldValue: Sized {
    /// Decodes the field, reporting `""` (for scalars only) and `null` as blanks.
    fn slot<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error>;

    /// Decodes the field into `place`, returning the blank it was sent as, if any. Models
    /// override this to decode in place: moving them through `Slot` and `Option` copies
    /// hundreds of bytes per nested object, a large share of decoding a cached list.
    fn fill<'de, D: Deserializer<'de>>(
        deserializer: D,
        place: &mut Option<Self>,
    ) -> Result<Option<Blank>, D::Error> {
        Ok(match Self::slot(deserializer)? {
            Slot::Value(v) => {
                *place = Some(v);
                None
            }
            Slot::Empty => Some(Blank::Empty),
            Slot::Null => Some(Blank::Null),
        })
    }
}

/// Types for which `""` is a real value (strings, enums) or impossible (numbers, objects).
macro_rules! plain_field {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::models::field::FieldValue for $t {
            fn slot<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<$crate::models::field::Slot<Self>, D::Error> {
                $crate::models::field::nullable(deserializer)
            }
        }
    )*};
}

plain_field!(bool, i64);

impl<T: DeserializeOwned> FieldValue for Vec<T> {
    fn slot<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Slot<Self>, D::Error> {
        nullable(deserializer)
    }
}

/// Reads a field for which only `null` is a blank, through the type's own `Deserialize`.
pub(crate) fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Slot<T>, D::Error> {
    Ok(match Option::<T>::deserialize(deserializer)? {
        Some(v) => Slot::Value(v),
        None => Slot::Null,
    })
}

/// Drives [`FieldValue::fill`] from `MapAccess::next_value_seed`.
pub(crate) struct FillSeed<'a, T>(pub(crate) &'a mut Option<T>);

impl<'de, T: FieldValue> DeserializeSeed<'de> for FillSeed<'_, T> {
    type Value = Option<Blank>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Blank>, D::Error> {
        T::fill(deserializer, self.0)
    }
}

/// A model that can decode a map's entries into an existing value.
pub(crate) trait FillFromMap: Default {
    fn fill_from_seq<'de, A: serde::de::SeqAccess<'de>>(&mut self, seq: A) -> Result<(), A::Error>;
    fn fill_from_map<'de, A: serde::de::MapAccess<'de>>(&mut self, map: A) -> Result<(), A::Error>;
}

/// Decodes an optional model in place: `null` is a blank, a map fills a default value.
pub(crate) fn fill_model<'de, T: FillFromMap, D: Deserializer<'de>>(
    deserializer: D,
    place: &mut Option<T>,
) -> Result<Option<Blank>, D::Error> {
    struct OptionVisitor<'a, T>(&'a mut Option<T>);

    impl<'de, T: FillFromMap> Visitor<'de> for OptionVisitor<'_, T> {
        type Value = Option<Blank>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object or null")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Option<Blank>, E> {
            Ok(Some(Blank::Null))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Blank>, E> {
            Ok(Some(Blank::Null))
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Blank>, D::Error> {
            d.deserialize_map(MapVisitor(self.0.insert(T::default())))?;
            Ok(None)
        }
    }

    struct MapVisitor<'a, T>(&'a mut T);

    impl<'de, T: FillFromMap> Visitor<'de> for MapVisitor<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            self.0.fill_from_map(map)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            self.0.fill_from_seq(seq)
        }
    }

    deserializer.deserialize_option(OptionVisitor(place))
}

/// A map key, borrowed from the input whenever the format allows, so that matching known
/// keys allocates nothing.
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Decodes a list of models, each filled in place at the end of the vector: returning a
/// model through `Deserialize` moves it (a linear instrument is over a kilobyte) several
/// times on its way into the list, a tenth of decoding a cached list.
pub(crate) fn fill_list<'de, T: FillFromMap, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    struct ListVisitor<T>(std::marker::PhantomData<T>);

    impl<'de, T: FillFromMap> Visitor<'de> for ListVisitor<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of objects")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            // Bounded as serde bounds its own: a length is only the input's claim.
            // One more than the items: the loop pushes a default before it learns the list
            // has ended, and growing then would copy every model already read.
            let cautious = (1 << 20) / std::mem::size_of::<T>().max(1);
            let hint = seq.size_hint().unwrap_or(0).saturating_add(1);
            let mut list = Vec::with_capacity(hint.min(cautious));
            loop {
                list.push(T::default());
                let last = list.last_mut().expect("just pushed");
                if seq.next_element_seed(InPlace(last))?.is_none() {
                    list.pop();
                    return Ok(list);
                }
            }
        }
    }

    /// Fills one model from a map or an array.
    struct InPlace<'a, T>(&'a mut T);

    impl<'de, T: FillFromMap> DeserializeSeed<'de> for InPlace<'_, T> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(ModelVisitor(self.0))
        }
    }

    struct ModelVisitor<'a, T>(&'a mut T);

    impl<'de, T: FillFromMap> Visitor<'de> for ModelVisitor<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a Bybit object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            self.0.fill_from_map(map)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
            self.0.fill_from_seq(seq)
        }
    }

    deserializer.deserialize_seq(ListVisitor(std::marker::PhantomData))
}
