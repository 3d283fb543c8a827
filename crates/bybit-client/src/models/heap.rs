//! [`HeapSize`]: what a model owns on the heap, so that a cache bounded by bytes can count
//! a decoded list at what it takes in memory.

use std::collections::BTreeMap;
use std::mem::size_of;

use compact_str::CompactString;
use serde_json::Value;

use super::{Decimal, InstrumentList, TimestampMs};

/// The bytes a value owns on the heap, beyond its own `size_of`: allocations of lists,
/// strings too long to be kept inline, and unknown fields.
///
/// Exact for lists, strings and models (whose unknown fields are one packed allocation), so
/// a list takes exactly `size_of::<InstrumentList>() + list.heap_size()` bytes. An estimate
/// for maps of JSON values, whose nodes are counted as full.
///
/// The estimate of a map assumes serde_json's default maps (B-trees): with its
/// `preserve_order` feature, maps are hash-indexed and take somewhat more; with
/// `arbitrary_precision`, numbers own text that is not counted. A map of more than 11
/// entries has internal nodes and partly filled leaves, counted low by up to half.
///
/// ```
/// use bybit_client::models::{HeapSize, LinearInverseInstrument};
/// use bybit_client::InstrumentList;
///
/// let list = InstrumentList::Linear(Vec::with_capacity(10));
/// assert_eq!(list.heap_size(), 10 * size_of::<LinearInverseInstrument>());
/// ```
pub trait HeapSize {
    /// The bytes owned on the heap.
    fn heap_size(&self) -> usize;
}

macro_rules! owns_nothing {
    ($($t:ty),*) => {
        $( impl HeapSize for $t {
            fn heap_size(&self) -> usize {
                0
            }
        } )*
    };
}
owns_nothing!(bool, i64, Decimal, TimestampMs);

impl HeapSize for CompactString {
    fn heap_size(&self) -> usize {
        if self.is_heap_allocated() {
            self.capacity()
        } else {
            0
        }
    }
}

impl HeapSize for String {
    fn heap_size(&self) -> usize {
        self.capacity()
    }
}

impl<T: HeapSize> HeapSize for Option<T> {
    fn heap_size(&self) -> usize {
        self.as_ref().map_or(0, HeapSize::heap_size)
    }
}

impl<T: HeapSize> HeapSize for Vec<T> {
    fn heap_size(&self) -> usize {
        let items: usize = self.iter().map(HeapSize::heap_size).sum();
        self.capacity() * size_of::<T>() + items
    }
}

/// Entries a B-tree node of the standard library has room for.
const NODE_CAPACITY: usize = 11;

/// The nodes of a map of `len` entries of `entry` bytes each, counted as full leaves: a
/// small map (the usual unknown fields) takes one whole node.
fn map_nodes(len: usize, entry: usize) -> usize {
    // A leaf also holds its parent's pointer, its index there and its length.
    len.div_ceil(NODE_CAPACITY) * (NODE_CAPACITY * entry + 16)
}

/// A map of `len` entries of `entry` bytes each: its nodes and what its keys and values own.
fn map_size<'a, V: HeapSize + 'a>(
    len: usize,
    entry: usize,
    entries: impl Iterator<Item = (&'a String, &'a V)>,
) -> usize {
    // Most models hold no unknown field: walking an empty tree still costs its setup.
    if len == 0 {
        return 0;
    }
    let owned: usize = entries.map(|(k, v)| k.heap_size() + v.heap_size()).sum();
    map_nodes(len, entry) + owned
}

impl<V: HeapSize> HeapSize for BTreeMap<String, V> {
    fn heap_size(&self) -> usize {
        map_size(
            self.len(),
            size_of::<String>() + size_of::<V>(),
            self.iter(),
        )
    }
}

impl HeapSize for serde_json::Map<String, Value> {
    fn heap_size(&self) -> usize {
        map_size(
            self.len(),
            size_of::<String>() + size_of::<Value>(),
            self.iter(),
        )
    }
}

impl HeapSize for Value {
    fn heap_size(&self) -> usize {
        match self {
            Value::Null | Value::Bool(_) | Value::Number(_) => 0,
            Value::String(s) => s.heap_size(),
            Value::Array(items) => items.heap_size(),
            Value::Object(map) => map.heap_size(),
        }
    }
}

impl HeapSize for InstrumentList {
    fn heap_size(&self) -> usize {
        match self {
            Self::Spot(items) => items.heap_size(),
            Self::Linear(items) | Self::Inverse(items) => items.heap_size(),
            Self::Option(items) => items.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::models::LinearInverseInstrument;

    #[test]
    fn strings_count_only_when_spilled_to_the_heap() {
        assert_eq!(CompactString::from("BTCUSDT").heap_size(), 0);
        let long = CompactString::from("a".repeat(100));
        assert!(long.heap_size() >= 100);
        assert_eq!(String::with_capacity(40).heap_size(), 40);
    }

    #[test]
    fn an_instrument_counts_its_unknown_fields_and_nested_objects() {
        let plain: LinearInverseInstrument =
            serde_json::from_str(r#"{"symbol":"BTCUSDT","leverageFilter":{"maxLeverage":"100"}}"#)
                .unwrap();
        assert_eq!(plain.heap_size(), 0, "nothing spilled, no unknown field");
        let long = "x".repeat(64);
        let extra: LinearInverseInstrument = serde_json::from_str(&format!(
            r#"{{"symbol":"BTCUSDT","newField":"{long}","leverageFilter":{{"later":[1,2]}}}}"#
        ))
        .unwrap();
        // The unknown fields are kept packed: at least their keys' and the string's bytes.
        let least = "newField".len() + "later".len() + 64;
        assert!(
            extra.heap_size() >= least,
            "{} < {least}",
            extra.heap_size()
        );
    }

    #[test]
    fn a_list_counts_every_instrument_it_has_room_for() {
        let one: LinearInverseInstrument = serde_json::from_str(
            r#"{"symbol":"BTCUSDT","comment":"an unknown field makes a heap entry"}"#,
        )
        .unwrap();
        let mut items = Vec::with_capacity(4);
        items.push(one.clone());
        items.push(one.clone());
        let list = InstrumentList::Linear(items);
        let slots = 4 * size_of::<LinearInverseInstrument>();
        assert_eq!(list.heap_size(), slots + 2 * one.heap_size());
        assert!(one.heap_size() > 0);
    }
}
