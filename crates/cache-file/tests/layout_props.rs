//! The entry layout under arbitrary and mutated bytes: nothing panics, nothing is allocated
//! past the limits, nothing but a write's exact bytes decodes, and valid entries round-trip.
//! The invariants are those `cache_file::fuzzing::entry` checks for the fuzz targets; the
//! encoder here is written from the layout in the crate docs, not taken from the crate.

use cache_file::fuzzing::{self, Decoded, MAX_KEY_LEN, MAX_VALUE_LEN};
use proptest::collection::vec;
use proptest::prelude::*;

/// Offsets of the fields in the fixed part of the header.
const KEY_LEN_AT: usize = 16;
const VALUE_LEN_AT: usize = 20;
const FIXED_LEN: usize = 28;

/// The entry file the crate docs describe.
fn documented(key: &[u8], value: &[u8], expires_at_ms: u64) -> Vec<u8> {
    let mut out = b"MDCF\x01\0\0\0".to_vec();
    out.extend_from_slice(&expires_at_ms.to_le_bytes());
    out.extend_from_slice(&u32::try_from(key.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    out.extend_from_slice(key);
    reseal(&mut out, key.len());
    out.extend_from_slice(value);
    out.extend_from_slice(&crc32fast::hash(value).to_le_bytes());
    out
}

/// Writes the header checksum after a key of `key_len` bytes, over whatever the header
/// holds, so that a forged header passes it and reaches the checks behind it.
fn reseal(bytes: &mut Vec<u8>, key_len: usize) {
    let end = FIXED_LEN + key_len;
    if bytes.len() < end {
        return;
    }
    let crc = crc32fast::hash(&bytes[..end]).to_le_bytes();
    if bytes.len() < end + 4 {
        bytes.resize(end + 4, 0);
    }
    bytes[end..end + 4].copy_from_slice(&crc);
}

fn decode(bytes: &[u8]) -> Option<Decoded> {
    fuzzing::decode(bytes, MAX_KEY_LEN, MAX_VALUE_LEN)
}

/// A key, a value and an expiry within the hook's limits.
fn valid() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, u64)> {
    (
        vec(any::<u8>(), 0..=MAX_KEY_LEN as usize),
        vec(any::<u8>(), 0..=MAX_VALUE_LEN as usize),
        any::<u64>(),
    )
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(prop::sample::Index, u8),
    SetByte(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Append(Vec<u8>),
    Remove(prop::sample::Index),
    KeyLen(u32),
    ValueLen(u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Lengths near the edges, where arithmetic overflows.
    let value_len = prop_oneof![
        any::<u64>(),
        (0u64..8).prop_map(|d| u64::MAX - d),
        (0u64..2 * MAX_VALUE_LEN),
    ];
    let key_len = prop_oneof![
        any::<u32>(),
        (0u32..8).prop_map(|d| u32::MAX - d),
        0u32..256
    ];
    prop_oneof![
        (any::<prop::sample::Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        vec(any::<u8>(), 1..16).prop_map(Mutation::Append),
        any::<prop::sample::Index>().prop_map(Mutation::Remove),
        key_len.prop_map(Mutation::KeyLen),
        value_len.prop_map(Mutation::ValueLen),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len();
    match mutation {
        Mutation::FlipBit(i, bit) if len > 0 => bytes[i.index(len)] ^= 1 << bit,
        Mutation::SetByte(i, v) if len > 0 => bytes[i.index(len)] = *v,
        Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
        Mutation::Append(more) => bytes.extend_from_slice(more),
        Mutation::Remove(i) if len > 0 => {
            bytes.remove(i.index(len));
        }
        Mutation::KeyLen(n) if len >= FIXED_LEN => {
            bytes[KEY_LEN_AT..KEY_LEN_AT + 4].copy_from_slice(&n.to_le_bytes());
        }
        Mutation::ValueLen(n) if len >= FIXED_LEN => {
            bytes[VALUE_LEN_AT..VALUE_LEN_AT + 8].copy_from_slice(&n.to_le_bytes());
        }
        _ => {}
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_hold_the_invariants(data in vec(any::<u8>(), 0..2048)) {
        fuzzing::entry(&data);
    }

    /// Arbitrary bytes behind a valid start, so that they reach the length checks.
    #[test]
    fn arbitrary_headers_hold_the_invariants(
        rest in vec(any::<u8>(), 0..512),
        key_len in 0usize..80,
        resealed in any::<bool>(),
    ) {
        let mut data = b"MDCF\x01\0\0\0".to_vec();
        data.extend_from_slice(&rest);
        if resealed {
            reseal(&mut data, key_len);
        }
        fuzzing::entry(&data);
    }

    #[test]
    fn valid_entries_round_trip((key, value, expires_at_ms) in valid()) {
        let bytes = documented(&key, &value, expires_at_ms);
        prop_assert_eq!(&fuzzing::encode(&key, &value, expires_at_ms), &bytes);
        let expected = Decoded { expires_at_ms, key, value };
        prop_assert_eq!(decode(&bytes), Some(expected));
        fuzzing::entry(&bytes);
    }

    #[test]
    fn mutated_entries_hold_the_invariants(
        (key, value, expires_at_ms) in valid(),
        mutations in vec(mutation(), 1..4),
        resealed in any::<bool>(),
    ) {
        let original = documented(&key, &value, expires_at_ms);
        let mut bytes = original.clone();
        for mutation in &mutations {
            apply(&mut bytes, mutation);
        }
        if resealed {
            reseal(&mut bytes, key.len());
        }
        fuzzing::entry(&bytes);
        if let Some(decoded) = decode(&bytes) {
            prop_assert_eq!(
                documented(&decoded.key, &decoded.value, decoded.expires_at_ms),
                bytes,
                "decoded bytes that are not an entry"
            );
        }
    }

    /// CRC-32 and the exact length catch every single flipped bit.
    #[test]
    fn a_single_flipped_bit_is_refused(
        (key, value, expires_at_ms) in valid(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let mut bytes = documented(&key, &value, expires_at_ms);
        apply(&mut bytes, &Mutation::FlipBit(at, bit));
        prop_assert_eq!(decode(&bytes), None);
    }

    /// A declared value length other than the true one is refused, even behind a header
    /// checksum that matches it.
    #[test]
    fn a_forged_value_length_is_refused(
        (key, value, expires_at_ms) in valid(),
        declared in prop_oneof![any::<u64>(), (0u64..8).prop_map(|d| u64::MAX - d)],
    ) {
        prop_assume!(declared != value.len() as u64);
        let mut bytes = documented(&key, &value, expires_at_ms);
        apply(&mut bytes, &Mutation::ValueLen(declared));
        reseal(&mut bytes, key.len());
        fuzzing::entry(&bytes);
        prop_assert_eq!(decode(&bytes), None);
    }

    /// A declared value length of 2^64 - 4 + `present`, behind a matching header checksum
    /// and `present` bytes, makes the whole file's length wrap around to the length it has.
    #[test]
    fn a_value_length_that_wraps_around_is_refused(
        key in vec(any::<u8>(), 0..=MAX_KEY_LEN as usize),
        expires_at_ms in any::<u64>(),
        present in 0usize..4,
    ) {
        let mut bytes = documented(&key, &[], expires_at_ms);
        bytes.truncate(FIXED_LEN + key.len() + 4 + present);
        let declared = (u64::MAX - 3).wrapping_add(present as u64);
        apply(&mut bytes, &Mutation::ValueLen(declared));
        reseal(&mut bytes, key.len());
        fuzzing::entry(&bytes);
        prop_assert_eq!(decode(&bytes), None);
    }
}
