//! Stamps: read from the header alone, and never shared by two different stored values in
//! practice, even when both were written in the same millisecond.

use std::time::{Duration, SystemTime};

use cache_core::envelope::{self, HEADER_LEN, Stamp};
use cache_core::testing::restamp;
use cache_core::{Codec, Compression, DecodeError, MemoryCache, TypedCache};
use proptest::prelude::*;

fn stamp(bytes: &[u8]) -> Stamp {
    envelope::stamp(bytes).unwrap()
}

#[test]
fn the_header_alone_gives_the_stamp_of_the_whole_envelope() {
    let bytes = Codec::msgpack().encode(&vec!["BTCUSDT"; 100]).unwrap();
    let whole = stamp(&bytes);
    assert_eq!(stamp(&bytes[..HEADER_LEN]), whole);
    let (header, payload) = envelope::open(&bytes).unwrap();
    assert_eq!(whole.written_at(), header.written_at);
    assert_eq!(whole.decoded_len(), header.decoded_len);
    assert_eq!(whole.payload_len() as usize, payload.len());
    assert_eq!(whole.checksum().to_le_bytes(), bytes[24..28]);
}

#[test]
fn a_short_or_foreign_header_has_no_stamp() {
    let bytes = Codec::msgpack().encode(&1u8).unwrap();
    assert!(matches!(
        envelope::stamp(&bytes[..HEADER_LEN - 1]),
        Err(DecodeError::Truncated {
            expected: HEADER_LEN,
            ..
        })
    ));
    assert!(matches!(envelope::stamp(b"{}"), Err(DecodeError::BadMagic)));
    let mut version = bytes.clone();
    version[4] = 9;
    assert!(matches!(
        envelope::stamp(&version),
        Err(DecodeError::UnsupportedVersion(9))
    ));
}

/// Two values of the same length written in the same millisecond differ by their checksum.
#[test]
fn values_written_in_the_same_millisecond_have_different_stamps() {
    let at = SystemTime::now();
    let codec = Codec::msgpack();
    let first = restamp(codec.encode(&"BTCUSDT").unwrap().to_vec(), at);
    let second = restamp(codec.encode(&"ETHUSDT").unwrap().to_vec(), at);
    assert_eq!(first.len(), second.len());
    let (a, b) = (stamp(&first), stamp(&second));
    assert_eq!(
        (a.written_at(), a.payload_len(), a.decoded_len()),
        (b.written_at(), b.payload_len(), b.decoded_len())
    );
    assert_ne!(a, b, "only the checksum tells them apart, and it does");
}

/// The same value written twice, a millisecond apart, is two versions.
#[test]
fn one_value_written_at_two_times_has_two_stamps() {
    let at = SystemTime::now();
    let bytes = Codec::msgpack().encode(&"BTCUSDT").unwrap().to_vec();
    let later = restamp(bytes.clone(), at + Duration::from_millis(1));
    assert_ne!(stamp(&restamp(bytes, at)), stamp(&later));
}

/// Written back to back through a cache, as fast as it goes: many land in the same
/// millisecond, and each has a stamp of its own.
#[tokio::test]
async fn back_to_back_writes_through_a_cache_each_have_their_own_stamp() {
    let backend = MemoryCache::new(64 << 20);
    let cache = TypedCache::new(
        backend,
        Codec::msgpack()
            .with_compression(Compression::ZSTD)
            .unwrap(),
    );
    let mut seen = std::collections::HashSet::new();
    let mut same_millisecond = 0;
    let mut last = None;
    for i in 0..2000u32 {
        let stamp = cache
            .set_stamped("k", &format!("value {i:05}"), Duration::from_secs(60))
            .await
            .unwrap();
        let bytes = cache_core::Cache::get_prefix(cache.cache(), "k", HEADER_LEN)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            envelope::stamp(&bytes).unwrap(),
            stamp,
            "the stamp of the bytes written"
        );
        same_millisecond += usize::from(last == Some(stamp.written_at()));
        last = Some(stamp.written_at());
        assert!(seen.insert(stamp), "write {i} repeats a stamp");
    }
    assert!(
        same_millisecond > 0,
        "no two writes fell in one millisecond: nothing was shown"
    );
}

proptest! {
    #[test]
    fn different_payloads_of_one_length_and_time_have_different_stamps(
        // Below 128, and flipped below the high bit: MessagePack writes each as one byte,
        // itself, so the payloads differ in that one bit and nothing else.
        a in prop::collection::vec(0..128u8, 1..256),
        flip in any::<prop::sample::Index>(),
        bit in 0..7u8,
    ) {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
        let mut b = a.clone();
        b[flip.index(a.len())] ^= 1 << bit;
        let codec = Codec::msgpack();
        let first = restamp(codec.encode(&a).unwrap().to_vec(), at);
        let second = restamp(codec.encode(&b).unwrap().to_vec(), at);
        prop_assert_eq!(first.len(), second.len());
        // CRC-32 detects every single-bit change: this holds for all inputs, not by chance.
        prop_assert_ne!(stamp(&first), stamp(&second));
    }
}
