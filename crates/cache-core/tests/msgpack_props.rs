//! The MessagePack length walk: arbitrary bytes never panic, and every encoding of a value,
//! in any of the widths the format allows, measures exactly its own length.

mod support;

use cache_core::fuzzing;
use proptest::prelude::*;
use support::{decode_err, envelope_of};

use cache_core::DecodeError;

/// A MessagePack value, with the width of each length spelled out, so that the encodings
/// rmp-serde never writes (a three-byte str32, say) are measured too.
#[derive(Debug, Clone)]
enum Node {
    Scalar(Vec<u8>),
    Str(Vec<u8>, u8),
    Bin(Vec<u8>, u8),
    Ext(Vec<u8>, u8),
    Array(Vec<Node>, u8),
    Map(Vec<(Node, Node)>, u8),
}

fn scalar() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u8..=0x7f).prop_map(|b| vec![b]),
        (0xe0u8..=0xff).prop_map(|b| vec![b]),
        prop::sample::select(vec![0xc0u8, 0xc2, 0xc3]).prop_map(|b| vec![b]),
        (
            prop::sample::select(vec![
                (0xcau8, 4usize),
                (0xcb, 8),
                (0xcc, 1),
                (0xcd, 2),
                (0xce, 4),
                (0xcf, 8),
                (0xd0, 1),
                (0xd1, 2),
                (0xd2, 4),
                (0xd3, 8),
                (0xd4, 2),
                (0xd5, 3),
                (0xd6, 5),
                (0xd7, 9),
                (0xd8, 17),
            ]),
            any::<[u8; 17]>(),
        )
            .prop_map(|((marker, len), body)| {
                let mut out = vec![marker];
                out.extend_from_slice(&body[..len]);
                out
            }),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        scalar().prop_map(Node::Scalar),
        (prop::collection::vec(any::<u8>(), 0..40), 0u8..4).prop_map(|(b, w)| Node::Str(b, w)),
        (prop::collection::vec(any::<u8>(), 0..300), 1u8..4).prop_map(|(b, w)| Node::Bin(b, w)),
        (prop::collection::vec(any::<u8>(), 0..40), 1u8..4).prop_map(|(b, w)| Node::Ext(b, w)),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..8), 0u8..3)
                .prop_map(|(items, w)| Node::Array(items, w)),
            (prop::collection::vec((inner.clone(), inner), 0..6), 0u8..3)
                .prop_map(|(pairs, w)| Node::Map(pairs, w)),
        ]
    })
}

/// Writes `len` after `markers[width]`, or in the fix marker `fix | len` for width 0.
fn head(out: &mut Vec<u8>, fix: Option<(u8, usize)>, markers: [u8; 3], width: u8, len: usize) {
    match (width, fix) {
        (0, Some((base, max))) if len <= max => out.push(base | len as u8),
        (0 | 1, _) if len <= 0xff && markers[0] != 0 => out.extend([markers[0], len as u8]),
        (0..=2, _) if len <= 0xffff => {
            out.push(markers[1]);
            out.extend((len as u16).to_be_bytes());
        }
        _ => {
            out.push(markers[2]);
            out.extend((len as u32).to_be_bytes());
        }
    }
}

fn encode(node: &Node, out: &mut Vec<u8>) {
    match node {
        Node::Scalar(bytes) => out.extend(bytes),
        Node::Str(bytes, w) => {
            head(out, Some((0xa0, 31)), [0xd9, 0xda, 0xdb], *w, bytes.len());
            out.extend(bytes);
        }
        Node::Bin(bytes, w) => {
            head(out, None, [0xc4, 0xc5, 0xc6], *w, bytes.len());
            out.extend(bytes);
        }
        Node::Ext(bytes, w) => {
            head(out, None, [0xc7, 0xc8, 0xc9], *w, bytes.len());
            out.push(7); // the ext type
            out.extend(bytes);
        }
        Node::Array(items, w) => {
            let width = if *w == 0 { 0 } else { w + 1 };
            head(out, Some((0x90, 15)), [0, 0xdc, 0xdd], width, items.len());
            items.iter().for_each(|item| encode(item, out));
        }
        Node::Map(pairs, w) => {
            let width = if *w == 0 { 0 } else { w + 1 };
            head(out, Some((0x80, 15)), [0, 0xde, 0xdf], width, pairs.len());
            for (key, value) in pairs {
                encode(key, out);
                encode(value, out);
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_measure_consistently(data in prop::collection::vec(any::<u8>(), 0..512)) {
        fuzzing::msgpack_len(&data);
    }

    #[test]
    fn every_encoding_measures_its_own_length(
        value in node(),
        junk in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut bytes = Vec::new();
        encode(&value, &mut bytes);
        fuzzing::msgpack_len(&bytes);
        let len = bytes.len();
        bytes.extend(&junk);
        fuzzing::msgpack_len(&bytes);
        // The decoder measures the value and refuses exactly the bytes after it.
        let stored = envelope_of(2, &bytes);
        match decode_err(&stored) {
            Some(DecodeError::TrailingBytes { extra }) => prop_assert_eq!(extra, junk.len()),
            other => prop_assert!(junk.is_empty(), "{} junk bytes, got {:?}", junk.len(), other),
        }
        // Cut anywhere inside, the value no longer measures: the decoder never reads past it.
        for cut in [len / 2, len - 1] {
            let stored = envelope_of(2, &bytes[..cut]);
            let err = decode_err(&stored);
            let wrong = matches!(err, None | Some(DecodeError::TrailingBytes { .. }));
            prop_assert!(!wrong, "cut at {} of {}: {:?}", cut, len, err);
        }
    }
}
