//! Envelopes changed on purpose, for tests and fuzzers: a deliberate change to a header or a
//! payload reaches the layer behind the checksum only when the envelope is sealed again.

#![cfg_attr(
    not(feature = "testing"),
    allow(
        dead_code,
        unreachable_pub,
        reason = "public through `testing` only; the fuzzing hooks use part of it"
    )
)]

use std::time::SystemTime;

use crate::envelope::HEADER_LEN;

/// `bytes`, an envelope whose header or payload was changed, with the payload length and
/// checksum its header and payload now call for; the rest of the header is left as it is.
///
/// # Panics
/// When `bytes` are shorter than [`HEADER_LEN`].
pub fn reseal(mut bytes: Vec<u8>) -> Vec<u8> {
    let payload_len = u32::try_from(bytes.len() - HEADER_LEN).unwrap_or(u32::MAX);
    bytes[20..24].copy_from_slice(&payload_len.to_le_bytes());
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&bytes[..24]);
    hasher.update(&bytes[HEADER_LEN..]);
    let checksum = hasher.finalize();
    bytes[24..28].copy_from_slice(&checksum.to_le_bytes());
    bytes
}

/// `bytes`, an envelope, as if written at `at` (to the millisecond), sealed again.
///
/// # Panics
/// When `bytes` are shorter than [`HEADER_LEN`].
pub fn restamp(mut bytes: Vec<u8>, at: SystemTime) -> Vec<u8> {
    bytes[8..16].copy_from_slice(&crate::unix_millis(at).to_le_bytes());
    reseal(bytes)
}
