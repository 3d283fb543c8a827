//! [`Extra`]: the fields a model does not know.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::field::Key;
use super::heap::HeapSize;
use super::msgpack_value;
use super::positional::WritePositional;

/// Fields a model does not know, kept with Bybit's key and value so that they survive a
/// trip through JSON or MessagePack.
///
/// They are held as one MessagePack map rather than as a tree of values: a cached list
/// decodes each instrument's unknown fields with one copy of their bytes, and a model with
/// none holds no allocation. Reading a field parses it; none is read on a cache hit.
///
/// Keys are unique and in order, as in a `BTreeMap` (a key Bybit repeats keeps its last
/// value). Values nested more than 128 levels deep are refused when a model is decoded (JSON
/// parsers refuse them before).
///
/// ```
/// use bybit_client::models::LinearInverseInstrument;
/// use serde_json::json;
///
/// let i: LinearInverseInstrument =
///     serde_json::from_str(r#"{"symbol":"BTCUSDT","skipCallAuction":false}"#)?;
/// assert_eq!(i.extra.get("skipCallAuction"), Some(json!(false)));
/// assert_eq!(i.extra.len(), 1);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Extra {
    /// A map accepted by [`msgpack_value::is_object`], its keys unique and sorted; `None` when
    /// there is no field.
    packed: Option<Box<[u8]>>,
}

impl Extra {
    /// No field.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when there is no field.
    pub fn is_empty(&self) -> bool {
        self.packed.is_none()
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.to_map().len()
    }

    /// The value of the field `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.to_map().remove(key)
    }

    /// True when there is a field `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.to_map().contains_key(key)
    }

    /// The fields, by key.
    pub fn to_map(&self) -> BTreeMap<String, Value> {
        match &self.packed {
            Some(bytes) => msgpack_value::entries(bytes).into_iter().collect(),
            None => BTreeMap::new(),
        }
    }

    /// Sets the field `key`, returning its previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let mut map = self.to_map();
        let previous = map.insert(key.into(), value);
        *self = Self::from(map);
        previous
    }

    /// Removes the field `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let mut map = self.to_map();
        let previous = map.remove(key);
        *self = Self::from(map);
        previous
    }

    /// The fields of `map`, or `None` when a value nests too deep to be read back.
    pub(crate) fn checked(map: &BTreeMap<String, Value>) -> Option<Self> {
        let extra = Self::from(map);
        extra
            .packed
            .as_deref()
            .is_none_or(msgpack_value::is_object)
            .then_some(extra)
    }

    /// The fields read from a map, in the order read, packed without building a map first:
    /// a `BTreeMap` of owned keys was most of what one unknown field cost. As `BTreeMap`
    /// does, a repeated key keeps its last value. `None` when a value nests too deep.
    pub(crate) fn from_entries(mut entries: Vec<(Key<'_>, Value)>) -> Option<Self> {
        // Stable: the entries of one key stay in the order read, so reversed, the last
        // comes first and is the one `dedup_by` keeps.
        entries.sort_by(|(a, _), (b, _)| a.as_str().cmp(b.as_str()));
        entries.reverse();
        entries.dedup_by(|(later, _), (kept, _)| later.as_str() == kept.as_str());
        entries.reverse();
        let kept = || entries.iter().map(|(k, v)| (k.as_str(), v));
        let mut out = Vec::with_capacity(packed_capacity(kept()));
        msgpack_value::write_object(&mut out, entries.len(), kept());
        msgpack_value::is_object(&out).then(|| Self {
            packed: Some(out.into_boxed_slice()),
        })
    }

    /// Reads the positional form's bytes; `None` unless they are a map of JSON values.
    fn from_packed(bytes: &[u8]) -> Option<Self> {
        if !msgpack_value::is_object(bytes) {
            return None;
        }
        Some(Self {
            // An empty map is no field: equal to, and as cheap as, a model that never had one.
            packed: (bytes != [0x80]).then(|| bytes.into()),
        })
    }
}

impl From<&BTreeMap<String, Value>> for Extra {
    fn from(map: &BTreeMap<String, Value>) -> Self {
        if map.is_empty() {
            return Self::default();
        }
        let entries = || map.iter().map(|(k, v)| (k.as_str(), v));
        let mut out = Vec::with_capacity(packed_capacity(entries()));
        msgpack_value::write_object(&mut out, map.len(), entries());
        Self {
            packed: Some(out.into_boxed_slice()),
        }
    }
}

/// Room for the packed entries when their values are scalars, as unknown fields nearly always
/// are: growing the buffer a few bytes at a time cost more than the packing itself.
fn packed_capacity<'a>(entries: impl Iterator<Item = (&'a str, &'a Value)>) -> usize {
    // A map head, and per entry a key head and a value of up to nine bytes (a number).
    entries.fold(5, |n, (k, v)| {
        let value = match v {
            Value::String(s) => s.len() + 5,
            _ => 9,
        };
        n + k.len() + 5 + value
    })
}

impl From<BTreeMap<String, Value>> for Extra {
    fn from(map: BTreeMap<String, Value>) -> Self {
        Self::from(&map)
    }
}

impl From<Extra> for BTreeMap<String, Value> {
    fn from(extra: Extra) -> Self {
        extra.to_map()
    }
}

impl FromIterator<(String, Value)> for Extra {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl PartialEq for Extra {
    fn eq(&self, other: &Self) -> bool {
        // Bytes read from elsewhere may spell a number in a wider form than this crate writes.
        self.packed == other.packed || self.to_map() == other.to_map()
    }
}

impl fmt::Debug for Extra {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_map(), f)
    }
}

/// A map, as the `BTreeMap` it stands for.
impl Serialize for Extra {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Extra {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Value>::deserialize(deserializer)?;
        Self::checked(&map).ok_or_else(|| D::Error::custom(TOO_DEEP))
    }
}

pub(crate) const TOO_DEEP: &str = "an unknown field nested more than 128 levels deep";

impl HeapSize for Extra {
    fn heap_size(&self) -> usize {
        self.packed.as_ref().map_or(0, |b| b.len())
    }
}

/// The positional form: the map's bytes as MessagePack bin, or nil when there is no field.
impl WritePositional for Extra {
    fn write_positional<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.packed {
            Some(bytes) => serializer.serialize_bytes(bytes),
            None => serializer.serialize_none(),
        }
    }
}

/// Reads the positional form into a model's (empty) `extra`.
pub(crate) struct ExtraSeed<'a>(pub(crate) &'a mut Extra);

impl<'de> DeserializeSeed<'de> for ExtraSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(PackedVisitor(self.0))
    }
}

struct PackedVisitor<'a>(&'a mut Extra);

impl PackedVisitor<'_> {
    fn put<E: Error>(self, bytes: &[u8]) -> Result<(), E> {
        match Extra::from_packed(bytes) {
            Some(extra) => {
                *self.0 = extra;
                Ok(())
            }
            None => Err(E::invalid_value(Unexpected::Bytes(bytes), &self)),
        }
    }
}

impl<'de> Visitor<'de> for PackedVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown fields as the bytes of a MessagePack map, or nil")
    }

    fn visit_none<E: Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_bytes(self)
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<(), E> {
        self.put(v)
    }

    /// Bytes as a human-readable format writes them: an array of numbers.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            bytes.push(b);
        }
        self.put(&bytes)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn extra(v: Value) -> Extra {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn reads_and_edits_like_a_map() {
        let mut e = extra(json!({"b": [1, "x"], "a": {"c": null}}));
        assert_eq!((e.len(), e.is_empty()), (2, false));
        assert_eq!(e.get("b"), Some(json!([1, "x"])));
        assert_eq!(e.get("z"), None);
        assert!(e.contains_key("a") && !e.contains_key("c"));
        assert_eq!(e.insert("b", json!(2)), Some(json!([1, "x"])));
        assert_eq!(e.insert("d", json!(true)), None);
        assert_eq!(e.remove("a"), Some(json!({"c": null})));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"b": 2, "d": true})
        );
        e.remove("b");
        e.remove("d");
        assert!(e.is_empty());
        assert_eq!(e, Extra::new());
        assert_eq!(e.heap_size(), 0);
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let e: Extra = serde_json::from_str(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(e.to_map(), BTreeMap::from([("a".to_owned(), json!(2))]));
    }

    /// Unknown fields read from a map are what a `BTreeMap` of them would hold: sorted, the
    /// last value of a repeated key, and packed as a map is.
    #[test]
    fn entries_read_from_a_map_pack_as_the_map_of_them() {
        let entries = [("b", 1), ("a", 2), ("c", 3), ("a", 4), ("b", 5), ("b", 6)];
        let map: BTreeMap<String, Value> = entries
            .iter()
            .map(|&(k, v)| (k.to_owned(), json!(v)))
            .collect();
        let packed = Extra::from_entries(
            entries
                .iter()
                .map(|&(k, v)| (Key::Borrowed(k), json!(v)))
                .collect(),
        )
        .unwrap();
        assert_eq!(packed.packed, Extra::from(&map).packed);
        assert_eq!(packed.to_map(), map);
    }

    #[test]
    fn equal_maps_are_equal_however_their_numbers_were_packed() {
        // {"a": 1} with the 1 as a 64-bit integer rather than a fixint.
        let wide = Extra::from_packed(&[0x81, 0xa1, b'a', 0xd3, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap();
        assert_eq!(wide, extra(json!({"a": 1})));
        assert_ne!(wide, extra(json!({"a": 2})));
    }

    #[test]
    fn positional_bytes_are_checked() {
        let mut e = Extra::new();
        let bad = rmp_serde::to_vec(&serde_bytes_of(&[0x81, 0x01, 0x01])).unwrap();
        let err = ExtraSeed(&mut e)
            .deserialize(&mut rmp_serde::Deserializer::from_read_ref(&bad))
            .unwrap_err();
        assert!(err.to_string().contains("MessagePack map"), "{err}");
        let good = rmp_serde::to_vec(&serde_bytes_of(&[0x81, 0xa1, b'a', 0xc3])).unwrap();
        ExtraSeed(&mut e)
            .deserialize(&mut rmp_serde::Deserializer::from_read_ref(&good))
            .unwrap();
        assert_eq!(e.get("a"), Some(json!(true)));
    }

    #[test]
    fn too_deep_a_value_is_refused_not_kept_unreadable() {
        let mut deep = json!(1);
        for _ in 0..msgpack_value::MAX_DEPTH {
            deep = json!([deep]);
        }
        let map = BTreeMap::from([("a".to_owned(), deep)]);
        assert!(Extra::checked(&map).is_none());
        let err = rmp_serde::from_slice::<Extra>(&rmp_serde::to_vec(&map).unwrap()).unwrap_err();
        assert!(err.to_string().contains("128 levels"), "{err}");
    }

    struct Bin<'a>(&'a [u8]);
    impl Serialize for Bin<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    fn serde_bytes_of(bytes: &[u8]) -> Bin<'_> {
        Bin(bytes)
    }
}
