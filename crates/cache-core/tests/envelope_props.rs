//! The envelope: arbitrary and mutated bytes never panic, and every value round-trips through
//! every format and compression.

mod support;

use cache_core::envelope::{self, HEADER_LEN};
use cache_core::testing::reseal;
use cache_core::{Codec, Compression, CompressionKind, Format, fuzzing};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use support::with_header;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Instrument {
    symbol: String,
    tick: u64,
    funding: i64,
    listed: Option<bool>,
    raw: Vec<u8>,
}

fn instrument() -> impl Strategy<Value = Instrument> {
    (
        ".{0,24}",
        any::<u64>(),
        any::<i64>(),
        any::<Option<bool>>(),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(symbol, tick, funding, listed, raw)| Instrument {
            symbol,
            tick,
            funding,
            listed,
            raw,
        })
}

fn codec() -> impl Strategy<Value = Codec> {
    (
        prop::sample::select(vec![Format::Json, Format::MessagePack]),
        prop::sample::select(vec![
            Compression::None,
            Compression::Zlib { level: 1 },
            Compression::ZLIB,
            Compression::Zstd { level: -3 },
            Compression::ZSTD,
        ]),
        prop::sample::select(vec![0usize, 512]),
    )
        .prop_map(|(format, compression, min)| {
            Codec::new(format)
                .with_compression(compression)
                .unwrap()
                .with_compress_min_size(min)
        })
}

/// A change to stored bytes: flip bits at a position, cut, or extend.
#[derive(Debug, Clone)]
enum Mutation {
    Xor(usize, u8),
    Truncate(usize),
    Extend(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(at, bits)| Mutation::Xor(at, bits)),
        any::<usize>().prop_map(Mutation::Truncate),
        prop::collection::vec(any::<u8>(), 1..8).prop_map(Mutation::Extend),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match mutation {
        Mutation::Xor(at, bits) => {
            let at = at % bytes.len();
            bytes[at] ^= bits;
        }
        Mutation::Truncate(at) => bytes.truncate(at % bytes.len()),
        Mutation::Extend(more) => bytes.extend(more),
    }
}

proptest! {
    #[test]
    fn values_round_trip_through_every_codec(
        values in prop::collection::vec(instrument(), 0..40),
        codec in codec(),
    ) {
        let bytes = codec.encode(&values).unwrap();
        let stored = Codec::json().decode::<Vec<Instrument>>(&bytes).unwrap();
        prop_assert_eq!(&stored.value, &values);
        prop_assert_eq!(stored.header.format, codec.format());
        let kind = stored.header.compression;
        prop_assert!(kind == codec.compression().kind() || kind == CompressionKind::None);
        fuzzing::envelope(&bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::envelope(&data);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_never_panic(
        format in 0u8..4,
        compression in 0u8..4,
        decoded_len in prop_oneof![0u32..2048, any::<u32>()],
        payload in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        fuzzing::envelope(&with_header(format, compression, decoded_len, &payload));
    }

    #[test]
    fn mutated_envelopes_never_panic(
        values in prop::collection::vec(instrument(), 1..20),
        codec in codec(),
        mutations in prop::collection::vec(mutation(), 1..4),
        fix_checksum in any::<bool>(),
    ) {
        let good = codec.encode(&values).unwrap();
        let mut bytes = good.clone();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        if fix_checksum && bytes.len() >= HEADER_LEN {
            bytes = reseal(bytes);
        }
        fuzzing::envelope(&bytes);
        // A change the checksum has not been told about is always caught.
        if !fix_checksum && bytes != good {
            prop_assert!(envelope::open(&bytes).is_err());
        }
    }
}
