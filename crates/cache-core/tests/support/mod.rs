//! Helpers shared by the test binaries: envelopes built by hand, and why bytes do not decode.

#![allow(dead_code, reason = "each test binary uses its own part")]

use cache_core::envelope::{MAGIC, VERSION};
use cache_core::testing::reseal;
use cache_core::{Codec, DecodeError, Error};
use serde::de::IgnoredAny;

/// An envelope of format `format` (1 JSON, 2 MessagePack), uncompressed, holding `payload`.
pub(crate) fn envelope_of(format: u8, payload: &[u8]) -> Vec<u8> {
    with_header(format, 0, payload.len() as u32, payload)
}

/// An envelope naming `compression` and declaring `decoded_len`, holding `payload`.
pub(crate) fn with_header(
    format: u8,
    compression: u8,
    decoded_len: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend([VERSION, format, compression, 0]);
    out.extend(1_700_000_000_000u64.to_le_bytes());
    out.extend(decoded_len.to_le_bytes());
    // The length and the checksum are filled in by `reseal`.
    out.extend([0; 8]);
    out.extend(payload);
    reseal(out)
}

/// Why `bytes` do not decode (into anything at all), or `None` when they do.
pub(crate) fn decode_err(bytes: &[u8]) -> Option<DecodeError> {
    match Codec::msgpack().decode::<IgnoredAny>(bytes) {
        Ok(_) => None,
        Err(Error::Decode(reason)) => Some(reason),
        Err(other) => panic!("not a decode error: {other:?}"),
    }
}
