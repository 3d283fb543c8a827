//! Bad stored bytes: every case is a `DecodeError` naming it, never a panic or a wrong value.

use cache_core::envelope::HEADER_LEN;
use cache_core::testing::reseal;
use cache_core::{Codec, Compression, DecodeError, Error};
use serde::Deserialize;

fn instruments() -> Vec<String> {
    (0..400).map(|i| format!("SYMBOL{i}USDT")).collect()
}

fn decode_err(codec: &Codec, bytes: &[u8]) -> DecodeError {
    match codec.decode::<Vec<String>>(bytes) {
        Err(Error::Decode(reason)) => reason,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

/// Replaces the payload, fixing both lengths and the checksum.
fn with_payload(bytes: &[u8], decoded_len: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = bytes[..HEADER_LEN].to_vec();
    out[16..20].copy_from_slice(&decoded_len.to_le_bytes());
    out[20..24].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    reseal(out)
}

fn zstd_codec() -> Codec {
    Codec::msgpack()
        .with_compression(Compression::ZSTD)
        .unwrap()
}

fn zlib_codec() -> Codec {
    Codec::msgpack()
        .with_compression(Compression::ZLIB)
        .unwrap()
}

#[test]
fn foreign_bytes_have_bad_magic() {
    let codec = Codec::msgpack();
    for foreign in [
        &b""[..],
        b"\x89C",
        b"hello",
        br#"{"a":1}"#,
        b"\x92\xa1a\xa1b",
    ] {
        assert!(
            matches!(decode_err(&codec, foreign), DecodeError::BadMagic),
            "{foreign:?}"
        );
    }
}

#[test]
fn unknown_version_format_compression_and_flags_are_named() {
    let codec = Codec::msgpack();
    let good = codec.encode(&instruments()).unwrap();
    let at = |i: usize, v: u8| {
        let mut b = good.clone();
        b[i] = v;
        reseal(b)
    };
    assert!(matches!(
        decode_err(&codec, &at(4, 2)),
        DecodeError::UnsupportedVersion(2)
    ));
    assert!(matches!(
        decode_err(&codec, &at(5, 9)),
        DecodeError::UnknownFormat(9)
    ));
    assert!(matches!(
        decode_err(&codec, &at(6, 7)),
        DecodeError::UnknownCompression(7)
    ));
    assert!(matches!(
        decode_err(&codec, &at(7, 1)),
        DecodeError::ReservedFlags(1)
    ));
}

#[test]
fn truncated_header_and_payload() {
    let codec = zstd_codec();
    let good = codec.encode(&instruments()).unwrap();
    let header_cut = decode_err(&codec, &good[..10]);
    assert!(matches!(
        header_cut,
        DecodeError::Truncated {
            expected: HEADER_LEN,
            actual: 10
        }
    ));
    let payload_cut = decode_err(&codec, &good[..good.len() - 1]);
    assert!(
        matches!(payload_cut, DecodeError::Truncated { .. }),
        "{payload_cut:?}"
    );
}

#[test]
fn trailing_bytes_after_the_envelope() {
    let codec = Codec::json();
    let mut bytes = codec.encode(&instruments()).unwrap();
    bytes.extend_from_slice(b"xx");
    assert!(matches!(
        decode_err(&codec, &bytes),
        DecodeError::TrailingBytes { extra: 2 }
    ));
}

#[test]
fn trailing_bytes_inside_the_payload() {
    let codec = Codec::msgpack();
    let template = codec.encode(&instruments()).unwrap();
    let mut msgpack = rmp_serde::to_vec_named(&instruments()).unwrap();
    msgpack.push(0xc0);
    let bytes = with_payload(&template, msgpack.len() as u32, &msgpack);
    assert!(matches!(
        decode_err(&codec, &bytes),
        DecodeError::TrailingBytes { extra: 1 }
    ));

    for codec in [zlib_codec(), zstd_codec()] {
        let good = codec.encode(&instruments()).unwrap();
        let declared = u32::from_le_bytes(good[16..20].try_into().unwrap());
        let mut payload = good[HEADER_LEN..].to_vec();
        payload.extend_from_slice(b"junk");
        let bytes = with_payload(&good, declared, &payload);
        let err = decode_err(&codec, &bytes);
        assert!(
            matches!(err, DecodeError::TrailingBytes { extra: 4 }),
            "{err:?}"
        );
    }
}

#[test]
fn a_flipped_bit_anywhere_is_caught() {
    for codec in [Codec::json(), Codec::msgpack(), zlib_codec(), zstd_codec()] {
        let good = codec.encode(&vec!["BTCUSDT"; 200]).unwrap();
        for bit in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                codec.decode::<Vec<String>>(&bad).is_err(),
                "bit {bit} not caught"
            );
        }
    }
}

#[test]
fn corrupt_compressed_streams() {
    for codec in [zlib_codec(), zstd_codec()] {
        let good = codec.encode(&instruments()).unwrap();
        let mut bad = good.clone();
        let middle = HEADER_LEN + (good.len() - HEADER_LEN) / 2;
        for byte in &mut bad[middle..middle + 8] {
            *byte = !*byte;
        }
        let err = decode_err(&codec, &reseal(bad));
        assert!(
            matches!(
                err,
                DecodeError::Decompress(_) | DecodeError::LengthMismatch { .. }
            ),
            "{codec:?}: {err:?}"
        );
    }
}

#[test]
fn a_failed_decompression_leaves_the_next_one_on_the_thread_intact() {
    // One zstd context per thread is reused: a stream cut off mid-frame, or damaged, must not
    // leave state that the next value on the same thread decodes into.
    let codec = zstd_codec();
    let good = codec.encode(&instruments()).unwrap();
    let other = codec.encode(&vec!["ONLYUSDT".to_owned()]).unwrap();
    let payload = &good[HEADER_LEN..];
    let cut = with_payload(&good, 4 * 1024, &payload[..payload.len() / 2]);
    let mut damaged = good.clone();
    let middle = HEADER_LEN + payload.len() / 2;
    for byte in &mut damaged[middle..middle + 8] {
        *byte = !*byte;
    }
    for bad in [cut, reseal(damaged)] {
        decode_err(&codec, &bad);
        let next = codec.decode::<Vec<String>>(&other).unwrap().value;
        assert_eq!(next, ["ONLYUSDT"]);
        assert_eq!(
            codec.decode::<Vec<String>>(&good).unwrap().value,
            instruments()
        );
    }
}

#[test]
fn a_declared_size_above_the_maximum_is_refused_before_decoding() {
    let writer = zstd_codec();
    let bytes = writer.encode(&instruments()).unwrap();
    let reader = Codec::msgpack().with_max_decoded_size(1000);
    let err = decode_err(&reader, &bytes);
    assert!(
        matches!(err, DecodeError::TooLarge { max: 1000, .. }),
        "{err:?}"
    );
}

#[test]
fn a_decompression_bomb_stops_at_the_declared_size() {
    // 64 MiB of zeros that claim to be 1000 bytes: decoding must stop at 1001.
    let zeros = vec![0u8; 64 * 1024 * 1024];
    let zlib = {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&zeros).unwrap();
        e.finish().unwrap()
    };
    let zstd_sized = zstd::bulk::compress(&zeros, 3).unwrap();
    let zstd_unsized = {
        let mut e = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        e.include_contentsize(false).unwrap();
        std::io::copy(&mut &zeros[..], &mut e).unwrap();
        e.finish().unwrap()
    };
    drop(zeros);
    let reader = Codec::msgpack().with_max_decoded_size(1 << 20);
    let cases = [
        ("zlib", zlib_codec(), zlib, Some(1001)),
        // The frame header states 64 MiB: refused before anything is inflated.
        (
            "zstd with content size",
            zstd_codec(),
            zstd_sized,
            Some(64 << 20),
        ),
        // No size in the frame: decompression runs out of room at the declared size.
        (
            "zstd without content size",
            zstd_codec(),
            zstd_unsized,
            None,
        ),
    ];
    for (name, codec, payload, reported) in cases {
        let template = codec.encode(&instruments()).unwrap();
        let bomb = with_payload(&template, 1000, &payload);
        match (decode_err(&reader, &bomb), reported) {
            (
                DecodeError::LengthMismatch {
                    declared: 1000,
                    actual,
                },
                Some(expected),
            ) => {
                assert_eq!(actual, expected, "{name}");
            }
            (DecodeError::Decompress(_), None) => {}
            (other, _) => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_declared_length_longer_than_the_stream_is_a_mismatch() {
    for codec in [Codec::msgpack(), zlib_codec(), zstd_codec()] {
        let good = codec.encode(&instruments()).unwrap();
        let declared = u32::from_le_bytes(good[16..20].try_into().unwrap());
        let bytes = with_payload(&good, declared + 5, &good[HEADER_LEN..]);
        let err = decode_err(&codec, &bytes);
        assert!(
            matches!(err, DecodeError::LengthMismatch { .. }),
            "{codec:?}: {err:?}"
        );
    }
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoding is under test")]
struct Instrument {
    symbol: String,
    status: String,
}

#[test]
fn a_value_of_another_type_is_a_deserialize_error() {
    for codec in [Codec::json(), Codec::msgpack(), zstd_codec()] {
        let bytes = codec.encode(&instruments()).unwrap();
        match codec.decode::<Instrument>(&bytes) {
            Err(Error::Decode(DecodeError::Deserialize { format, .. })) => {
                assert_eq!(format, codec.format().name());
            }
            other => panic!("expected a deserialize error, got {other:?}"),
        }
    }
}
