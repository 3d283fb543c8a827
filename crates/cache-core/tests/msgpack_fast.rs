//! The MessagePack decoder's fast path reads what rmp-serde reads: the same values from what
//! rmp-serde writes (maps of field names and arrays alike), the same verdict and length on
//! arbitrary or damaged bytes, and never a panic. Where it declines, the codec falls back to
//! rmp-serde, so `Codec::decode` must then agree with rmp-serde as well.
#![allow(clippy::unwrap_used, missing_docs)]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::io::Cursor;

use cache_core::{Codec, DecodeError, Error, fuzzing};
use proptest::prelude::*;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use support::envelope_of;

/// rmp-serde's depth limit, as the codec sets it.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Ints {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    e: i8,
    f: i16,
    g: i32,
    h: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Unit,
    Newtype(i32),
    Tuple(u8, String),
    Struct { x: Option<u64>, y: Vec<i8> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meters(f64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Marker;

/// Bytes written as MessagePack bin (what `serde_bytes` does), read back from bytes or a seq.
#[derive(Debug, Clone, PartialEq)]
struct Bin(Vec<u8>);

impl Serialize for Bin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bin;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bin, E> {
                Ok(Bin(v.to_vec()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Bin, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(Bin(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    name: String,
    tag: Option<String>,
    ints: Ints,
    floats: (f32, f64),
    flag: bool,
    unit: (),
    meters: Meters,
    marker: Marker,
    tuple: (u8, i64, String),
    kinds: Vec<Kind>,
    by_name: BTreeMap<String, Vec<u16>>,
    by_id: BTreeMap<u32, Option<bool>>,
    bin: Bin,
    raw: Vec<u8>,
    json: serde_json::Value,
    children: Vec<Record>,
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<i64>().prop_map(|i| i as f64),
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
        Just(f64::INFINITY),
        Just(f64::MIN),
    ]
}

fn ints() -> impl Strategy<Value = Ints> {
    // Edges included: each width's extremes pick the marker rmp-serde writes at its limits.
    let u64s = prop_oneof![Just(u64::MAX), Just(0), any::<u64>(), 0..300u64];
    let i64s = prop_oneof![
        Just(i64::MIN),
        Just(i64::MAX),
        Just(-33),
        any::<i64>(),
        -40..40i64
    ];
    (
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        u64s,
        any::<i8>(),
        any::<i16>(),
        any::<i32>(),
        i64s,
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| Ints {
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
        })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        Just(Kind::Unit),
        any::<i32>().prop_map(Kind::Newtype),
        (any::<u8>(), ".{0,40}").prop_map(|(a, b)| Kind::Tuple(a, b)),
        (
            any::<Option<u64>>(),
            prop::collection::vec(any::<i8>(), 0..5)
        )
            .prop_map(|(x, y)| Kind::Struct { x, y }),
    ]
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        finite_f64()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn leaf_record() -> impl Strategy<Value = Record> {
    (
        (".{0,300}", any::<Option<String>>(), ints()),
        (
            any::<f32>().prop_filter("not NaN", |f| !f.is_nan()),
            finite_f64(),
        ),
        (
            any::<bool>(),
            finite_f64(),
            (any::<u8>(), any::<i64>(), ".{0,4}"),
        ),
        prop::collection::vec(kind(), 0..4),
        prop::collection::btree_map(".{0,6}", prop::collection::vec(any::<u16>(), 0..4), 0..4),
        prop::collection::btree_map(any::<u32>(), any::<Option<bool>>(), 0..4),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(any::<u8>(), 0..20),
        json(),
    )
        .prop_map(
            |(
                (name, tag, ints),
                floats,
                (flag, m, tuple),
                kinds,
                by_name,
                by_id,
                bin,
                raw,
                json,
            )| {
                Record {
                    name,
                    tag,
                    ints,
                    floats,
                    flag,
                    unit: (),
                    meters: Meters(m),
                    marker: Marker,
                    tuple,
                    kinds,
                    by_name,
                    by_id,
                    bin: Bin(bin),
                    raw,
                    json,
                    children: Vec::new(),
                }
            },
        )
}

fn record() -> impl Strategy<Value = Record> {
    (leaf_record(), prop::collection::vec(leaf_record(), 0..3)).prop_map(|(mut r, children)| {
        r.children = children;
        r
    })
}

/// What rmp-serde reads from `bytes` with the codec's depth limit, and how far it read.
fn rmp<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, usize), String> {
    // The slice reader, as the codec uses it (strings are borrowed: `visit_borrowed_str`),
    // says nothing of where it stopped; the reader that does copies strings (`visit_str`).
    // A value read whole ends where the first value does, which it measures.
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    let value = T::deserialize(&mut de).map_err(|e| e.to_string())?;
    let mut measure = rmp_serde::Deserializer::new(Cursor::new(bytes));
    measure.set_max_depth(MAX_DEPTH);
    IgnoredAny::deserialize(&mut measure).map_err(|e| e.to_string())?;
    Ok((value, measure.position() as usize))
}

/// Equal, or the same but for a NaN (damaged bytes decode into floats of any bits), which
/// prints the same. Every map in the values compared is ordered, so their text is too.
fn same<T: PartialEq + Debug>(a: &T, b: &T) -> bool {
    a == b || format!("{a:?}") == format!("{b:?}")
}

/// The fast path and the codec both read `bytes` as rmp-serde does (none of the types tested
/// with it reads ext data, the one thing the fast path leaves to rmp-serde).
fn agrees<T: DeserializeOwned + PartialEq + Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
    let expected = rmp::<T>(bytes);
    let fast = fuzzing::msgpack_fast::<T>(bytes);
    match (&expected, &fast) {
        (Ok((value, read)), Some((fast, extra))) => {
            prop_assert!(same(fast, value), "fast {fast:?}, rmp-serde {value:?}");
            prop_assert_eq!(bytes.len() - extra, *read, "another length read");
        }
        (Err(_), None) => {}
        (Ok(_), None) => prop_assert!(false, "the fast path declined what rmp-serde reads"),
        (Err(e), Some((fast, _))) => prop_assert!(false, "rmp-serde: {e}; fast: {fast:?}"),
    }
    let decoded = Codec::msgpack().decode::<T>(&envelope_of(2, bytes));
    match (expected, decoded) {
        (Ok((value, read)), Ok(stored)) if read == bytes.len() => {
            prop_assert!(
                same(&stored.value, &value),
                "codec {:?}, rmp-serde {value:?}",
                stored.value
            )
        }
        (Ok((_, read)), Err(Error::Decode(DecodeError::TrailingBytes { extra }))) => {
            prop_assert_eq!(extra, bytes.len() - read)
        }
        (Err(_), Err(Error::Decode(_))) => {}
        (expected, decoded) => prop_assert!(false, "rmp-serde {expected:?}, codec {decoded:?}"),
    }
    Ok(())
}

/// Every shape the tests decode arbitrary bytes into.
fn agrees_as_anything(bytes: &[u8]) -> Result<(), TestCaseError> {
    agrees::<IgnoredAnyEq>(bytes)?;
    agrees::<serde_json::Value>(bytes)?;
    agrees::<Record>(bytes)?;
    agrees::<Vec<Kind>>(bytes)?;
    agrees::<(Option<u8>, Kind, Marker)>(bytes)?;
    agrees::<HashMap<String, Bin>>(bytes)?;
    agrees::<Vec<u8>>(bytes)?;
    agrees::<Vec<Visited>>(bytes)?;
    agrees::<Ints>(bytes)
}

/// Which visitor method a scalar reached, with its value: integers must keep their width.
#[derive(Debug, PartialEq)]
struct Visited(&'static str, String);

impl<'de> Deserialize<'de> for Visited {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        macro_rules! visits {
            ($($method:ident: $t:ty),*) => {$(
                fn $method<E: serde::de::Error>(self, v: $t) -> Result<Visited, E> {
                    Ok(Visited(stringify!($method), format!("{v:?}")))
                }
            )*};
        }
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Visited;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a scalar")
            }
            visits!(visit_bool: bool, visit_u8: u8, visit_u16: u16, visit_u32: u32,
                visit_u64: u64, visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64,
                visit_f32: f32, visit_f64: f64, visit_borrowed_str: &'de str,
                visit_borrowed_bytes: &'de [u8]);
            fn visit_unit<E: serde::de::Error>(self) -> Result<Visited, E> {
                Ok(Visited("visit_unit", String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `IgnoredAny`, comparable.
#[derive(Debug, PartialEq)]
struct IgnoredAnyEq;

impl<'de> Deserialize<'de> for IgnoredAnyEq {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| IgnoredAnyEq)
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, bits)| Mutation::Flip(at, bits)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    let len = bytes.len();
    match *mutation {
        Mutation::Flip(at, bits) => bytes[at % len] ^= bits,
        Mutation::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
        Mutation::Remove(at) => {
            bytes.remove(at % bytes.len());
        }
        Mutation::Cut(at) => bytes.truncate(at % bytes.len()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn values_read_back_as_rmp_serde_reads_them(value in record()) {
        for bytes in [rmp_serde::to_vec_named(&value).unwrap(), rmp_serde::to_vec(&value).unwrap()] {
            let (fast, extra) = fuzzing::msgpack_fast::<Record>(&bytes).unwrap();
            prop_assert_eq!(extra, 0);
            prop_assert_eq!(&fast, &value);
            agrees::<Record>(&bytes)?;
            agrees::<serde_json::Value>(&bytes)?;
            agrees::<IgnoredAnyEq>(&bytes)?;
        }
    }

    #[test]
    fn scalars_keep_their_widths(ints in ints(), f in any::<f32>(), d in any::<f64>()) {
        for bytes in [rmp_serde::to_vec(&ints).unwrap(), rmp_serde::to_vec(&(f, d)).unwrap()] {
            agrees::<Ints>(&bytes)?;
            agrees::<Vec<Visited>>(&bytes)?;
            agrees::<(f32, f64)>(&bytes).or_else(|_| {
                // NaN is unequal to itself: compare bits instead.
                let (a, b): (f32, f64) = fuzzing::msgpack_fast(&bytes).unwrap().0;
                let (x, y): (f32, f64) = rmp_serde::from_slice(&bytes).unwrap();
                prop_assert_eq!((a.to_bits(), b.to_bits()), (x.to_bits(), y.to_bits()));
                Ok(())
            })?;
            agrees::<serde_json::Value>(&bytes)?;
        }
    }

    #[test]
    fn arbitrary_bytes_agree_with_rmp_serde(data in prop::collection::vec(any::<u8>(), 0..512)) {
        agrees_as_anything(&data)?;
    }

    #[test]
    fn damaged_encodings_agree_with_rmp_serde(
        value in record(),
        named in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut bytes = if named {
            rmp_serde::to_vec_named(&value).unwrap()
        } else {
            rmp_serde::to_vec(&value).unwrap()
        };
        for m in &mutations {
            mutate(&mut bytes, m);
        }
        agrees_as_anything(&bytes)?;
    }

    #[test]
    fn bytes_after_the_value_are_counted(
        value in record(),
        junk in prop::collection::vec(any::<u8>(), 1..16),
    ) {
        let mut bytes = rmp_serde::to_vec_named(&value).unwrap();
        bytes.extend(&junk);
        let (fast, extra) = fuzzing::msgpack_fast::<Record>(&bytes).unwrap();
        prop_assert_eq!((&fast, extra), (&value, junk.len()));
        let decoded = Codec::msgpack().decode::<Record>(&envelope_of(2, &bytes));
        let counted = matches!(
            decoded,
            Err(Error::Decode(DecodeError::TrailingBytes { extra })) if extra == junk.len()
        );
        prop_assert!(counted, "{:?}", decoded);
    }
}

/// `depth` one-element arrays around `inner`.
fn nested(depth: usize, inner: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x91; depth];
    bytes.extend(inner);
    bytes
}

#[test]
fn nesting_stops_where_rmp_serde_stops() {
    // Arrays, maps, and an empty array as the deepest level, which counts as one too.
    for inner in [
        &[0xc0][..],
        &[0x81, 0x01, 0xc0],
        &[0x90],
        &[0x80],
        &[0xd4, 1, 2],
    ] {
        for depth in [
            MAX_DEPTH - 3,
            MAX_DEPTH - 2,
            MAX_DEPTH - 1,
            MAX_DEPTH,
            MAX_DEPTH + 1,
        ] {
            let bytes = nested(depth, inner);
            agrees::<IgnoredAnyEq>(&bytes).unwrap();
            agrees::<serde_json::Value>(&bytes).unwrap();
        }
    }
    assert!(fuzzing::msgpack_fast::<IgnoredAny>(&nested(MAX_DEPTH - 2, &[0x90])).is_some());
    assert!(fuzzing::msgpack_fast::<IgnoredAny>(&nested(MAX_DEPTH - 1, &[0x90])).is_none());
}

/// A recursive enum: rmp-serde does not count its levels.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Chain {
    Link(Box<Chain>),
    End,
}

#[test]
fn deep_enums_are_refused_within_a_tokio_sized_stack() {
    let chain = |depth: usize| {
        let mut bytes = Vec::new();
        for _ in 0..depth {
            bytes.extend([0x81, 0xa4]);
            bytes.extend(b"Link");
        }
        bytes.extend([0xa3]);
        bytes.extend(b"End");
        bytes
    };
    let decode = |bytes: Vec<u8>| {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                Codec::msgpack()
                    .decode::<Chain>(&envelope_of(2, &bytes))
                    .map(|_| ())
            })
            .unwrap()
            .join()
            .unwrap()
    };
    assert!(decode(chain(MAX_DEPTH - 2)).is_ok());
    let refused = decode(chain(100_000));
    assert!(
        matches!(&refused, Err(Error::Decode(DecodeError::Deserialize { message, .. }))
            if message.contains("depth")),
        "{refused:?}"
    );
}

#[test]
fn ext_types_are_left_to_rmp_serde() {
    mod serde_bytes_like {
        #[derive(Debug, PartialEq)]
        pub(super) struct Buf(pub(super) Vec<u8>);
        impl<'de> serde::Deserialize<'de> for Buf {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = Buf;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("bytes")
                    }
                    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Buf, E> {
                        Ok(Buf(v.to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
    }
    // rmp-serde reads an ext through a newtype of this name: its type, then its data.
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename = "_ExtStruct")]
    struct Ext((i8, serde_bytes_like::Buf));

    let bytes = [0x91, 0xd5, 0x07, 0xaa, 0xbb]; // [ext type 7, 2 bytes]
    assert!(fuzzing::msgpack_fast::<Vec<Ext>>(&bytes).is_none());
    let decoded = Codec::msgpack().decode::<Vec<Ext>>(&envelope_of(2, &bytes));
    let expected = Ext((7, serde_bytes_like::Buf(vec![0xaa, 0xbb])));
    assert_eq!(decoded.unwrap().value, vec![expected]);
}

#[test]
fn a_nan_read_by_both_agrees() {
    // Damaged bytes decode into floats of any bits; a NaN is never equal to itself.
    let bytes = rmp_serde::to_vec(&(f64::NAN, vec![f32::NAN, 1.5])).unwrap();
    agrees::<(f64, Vec<f32>)>(&bytes).unwrap();
}
