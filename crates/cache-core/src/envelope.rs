//! The stored-value envelope: a fixed header in front of every value the typed layer writes.
//!
//! # Byte layout (version 1)
//! All integers are little-endian. The header is [`HEADER_LEN`] = 28 bytes:
//!
//! | offset | size | field | meaning |
//! |-------:|-----:|-------|---------|
//! | 0  | 4 | magic | `89 43 43 45` (`\x89CCE`); the high first byte is neither text, JSON nor MessagePack's usual start |
//! | 4  | 1 | version | `1`; a reader rejects any other |
//! | 5  | 1 | format | `1` JSON, `2` MessagePack (structs as maps) |
//! | 6  | 1 | compression | `0` none, `1` zlib, `2` zstd |
//! | 7  | 1 | flags | reserved, `0` |
//! | 8  | 8 | written at | milliseconds since the Unix epoch, by the writer's clock |
//! | 16 | 4 | decoded length | bytes of the serialized value after decompression |
//! | 20 | 4 | payload length | bytes of payload that follow the header |
//! | 24 | 4 | checksum | CRC-32 (IEEE) of bytes 0 to 23 and the payload |
//! | 28 | n | payload | the serialized value, compressed as `compression` says |
//!
//! A reader decodes whatever format and compression the header names, whatever it is
//! configured to write. The decoded length lets it refuse an oversized value before
//! allocating it, and the checksum catches a corrupted header or payload before anything is
//! decompressed or deserialized, so a flipped bit never yields a wrong value or a wrong age.
//!
//! The write time, the lengths and the checksum together are the value's [`Stamp`]: which
//! stored version it is, read from the header alone.

mod stamp;

use std::time::{Duration, SystemTime};

use crate::DecodeError;
use crate::codec::{CompressionKind, Format};

pub use stamp::{Stamp, stamp};

/// The first four bytes of every envelope.
pub const MAGIC: [u8; 4] = *b"\x89CCE";
/// The layout version this crate writes and reads.
pub const VERSION: u8 = 1;
/// The length of the header in bytes.
pub const HEADER_LEN: usize = 28;

/// The decoded header of a stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The serialization format of the payload.
    pub format: Format,
    /// How the payload is compressed.
    pub compression: CompressionKind,
    /// When the writer wrote the value, by its own clock, to the millisecond.
    pub written_at: SystemTime,
    /// The serialized length after decompression.
    pub decoded_len: u32,
}

impl Header {
    /// How long ago the value was written, by this machine's clock; zero when the writer's
    /// clock was ahead.
    pub fn age(&self) -> Duration {
        SystemTime::now()
            .duration_since(self.written_at)
            .unwrap_or_default()
    }
}

/// Writes the header for `payload` followed by the payload itself.
pub(crate) fn seal(header: &Header, payload: &[u8]) -> Result<Vec<u8>, String> {
    let payload_len = u32::try_from(payload.len())
        .map_err(|_| format!("payload of {} bytes exceeds 4 GiB", payload.len()))?;
    let millis = crate::unix_millis(header.written_at);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[VERSION, header.format.id(), header.compression.id(), 0]);
    out.extend_from_slice(&millis.to_le_bytes());
    out.extend_from_slice(&header.decoded_len.to_le_bytes());
    out.extend_from_slice(&payload_len.to_le_bytes());
    let checksum = checksum(&out, payload);
    out.extend_from_slice(&checksum.to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Reads and checks the header of `bytes`, returning it and the payload it covers.
///
/// # Errors
/// Any [`DecodeError`] about the envelope itself: magic, version, unknown ids, reserved
/// flags, truncation, trailing bytes and checksum. The payload is not decompressed here.
pub fn open(bytes: &[u8]) -> Result<(Header, &[u8]), DecodeError> {
    let (format, compression, stamp) = stamp::read_head(bytes)?;
    let payload_len = stamp.payload_len() as usize;
    let payload = &bytes[HEADER_LEN..];
    if payload.len() < payload_len {
        return Err(DecodeError::Truncated {
            // Saturating: a length near 4 GiB would wrap a 32-bit usize.
            expected: HEADER_LEN.saturating_add(payload_len),
            actual: bytes.len(),
        });
    }
    if payload.len() > payload_len {
        return Err(DecodeError::TrailingBytes {
            extra: payload.len() - payload_len,
        });
    }
    if checksum(&bytes[..24], payload) != stamp.checksum() {
        return Err(DecodeError::ChecksumMismatch);
    }
    let header = Header {
        format,
        compression,
        // In range: `read_head` refused a write time past what SystemTime holds.
        written_at: stamp.written_at(),
        decoded_len: stamp.decoded_len(),
    };
    Ok((header, payload))
}

#[cfg(feature = "testing")]
thread_local! {
    /// How many checksums this thread computed: tests count verifications with it.
    pub(crate) static CHECKSUMS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn checksum(head: &[u8], payload: &[u8]) -> u32 {
    #[cfg(feature = "testing")]
    CHECKSUMS.with(|n| n.set(n.get() + 1));
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(head);
    hasher.update(payload);
    hasher.finalize()
}
