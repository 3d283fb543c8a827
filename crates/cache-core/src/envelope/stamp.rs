//! [`Stamp`]: which stored version of a value an envelope holds, read from its header alone.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::DecodeError;
use crate::codec::{CompressionKind, Format};
use crate::envelope::{HEADER_LEN, MAGIC, VERSION};

/// Identifies one stored version of a value: the write time, lengths and checksum of its
/// envelope, read from the header alone (the first [`HEADER_LEN`] bytes).
///
/// Two different stored values share a stamp only if they were written in the same
/// millisecond, with the same lengths, and their CRC-32s (which cover the whole header and
/// payload) collide: one chance in 2^32 for two values of the same length written in the same
/// millisecond under one key. A process that holds a value decoded together with its stamp
/// knows, by reading the stamp again, whether the shared cache still holds that version.
///
/// A stamp is not verified: the checksum it carries covers the payload, which is not read.
/// A corrupted header yields another stamp (so a mismatch, and a full read that finds the
/// corruption); a corrupted payload behind an intact header yields the same stamp, whose
/// decoded value the holder already has.
///
/// ```
/// use cache_core::Codec;
/// use cache_core::envelope::{self, HEADER_LEN};
///
/// let bytes = Codec::msgpack().encode(&["BTCUSDT"]).unwrap();
/// let stamp = envelope::stamp(&bytes[..HEADER_LEN]).unwrap();
/// assert_eq!(stamp, envelope::stamp(&bytes).unwrap());
/// assert_eq!(stamp.payload_len() as usize, bytes.len() - HEADER_LEN);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stamp {
    written_at_ms: u64,
    decoded_len: u32,
    payload_len: u32,
    checksum: u32,
}

impl Stamp {
    /// When the writer wrote the value, by its own clock, to the millisecond.
    pub fn written_at(&self) -> SystemTime {
        // Checked when the stamp was read.
        UNIX_EPOCH + Duration::from_millis(self.written_at_ms)
    }

    /// The serialized length of the value after decompression.
    pub const fn decoded_len(&self) -> u32 {
        self.decoded_len
    }

    /// The length of the payload that follows the header.
    pub const fn payload_len(&self) -> u32 {
        self.payload_len
    }

    /// The CRC-32 of the header and the payload, as the header states it.
    pub const fn checksum(&self) -> u32 {
        self.checksum
    }
}

/// Reads the [`Stamp`] of an envelope from its first [`HEADER_LEN`] bytes, ignoring any that
/// follow: a header alone (such as [`Cache::get_prefix`](crate::Cache::get_prefix) returns)
/// is enough.
///
/// # Errors
/// [`DecodeError::BadMagic`], [`DecodeError::UnsupportedVersion`], unknown format or
/// compression ids, [`DecodeError::ReservedFlags`], [`DecodeError::BadTimestamp`], and
/// [`DecodeError::Truncated`] for fewer than [`HEADER_LEN`] bytes.
pub fn stamp(bytes: &[u8]) -> Result<Stamp, DecodeError> {
    read_head(bytes).map(|(_, _, stamp)| stamp)
}

/// Checks the fixed fields of the header at the start of `bytes` (everything but the
/// payload and its checksum) and reads them: shared by [`stamp`] and
/// [`open`](super::open).
pub(super) fn read_head(bytes: &[u8]) -> Result<(Format, CompressionKind, Stamp), DecodeError> {
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let Some(head) = bytes.get(..HEADER_LEN) else {
        return Err(DecodeError::Truncated {
            expected: HEADER_LEN,
            actual: bytes.len(),
        });
    };
    if head[4] != VERSION {
        return Err(DecodeError::UnsupportedVersion(head[4]));
    }
    let format = Format::from_id(head[5]).ok_or(DecodeError::UnknownFormat(head[5]))?;
    let compression =
        CompressionKind::from_id(head[6]).ok_or(DecodeError::UnknownCompression(head[6]))?;
    if head[7] != 0 {
        return Err(DecodeError::ReservedFlags(head[7]));
    }
    let written_at_ms = u64::from_le_bytes(field(head, 8));
    if UNIX_EPOCH
        .checked_add(Duration::from_millis(written_at_ms))
        .is_none()
    {
        return Err(DecodeError::BadTimestamp(written_at_ms));
    }
    let stamp = Stamp {
        written_at_ms,
        decoded_len: u32::from_le_bytes(field(head, 16)),
        payload_len: u32::from_le_bytes(field(head, 20)),
        checksum: u32::from_le_bytes(field(head, 24)),
    };
    Ok((format, compression, stamp))
}

fn field<const N: usize>(head: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&head[at..at + N]);
    out
}
