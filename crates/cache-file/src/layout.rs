//! The byte layout of an entry file: encoding, and the checks that make a torn, corrupt or
//! foreign file read as invalid rather than as a value.
//!
//! The header has its own checksum so that the TTL, the delete and the sweep decide from the
//! first few dozen bytes without reading a value of many megabytes. The exact file length is
//! part of the check, so a file cut short anywhere is invalid before the value is read.

use std::io::{self, Read};

/// The first bytes of every entry file.
pub(crate) const MAGIC: [u8; 4] = *b"MDCF";
/// The layout version written; a reader refuses any other.
pub(crate) const VERSION: u8 = 1;
/// Magic, version, reserved bytes, expiry, key length and value length.
const FIXED_LEN: u64 = 28;
const CRC_LEN: u64 = 4;

/// The longest key accepted, in bytes: Redis's limit, so that switching backends never
/// changes which keys fit. A longer write is
/// [`Error::InvalidArgument`](cache_core::Error::InvalidArgument); a file that declares a
/// longer key is invalid, so no forged header makes a reader allocate more.
pub const MAX_KEY_LEN: usize = 512 << 20;
/// The longest value accepted, in bytes, for the same reasons as [`MAX_KEY_LEN`].
pub const MAX_VALUE_LEN: usize = 512 << 20;

/// Why bytes are not a valid entry; logged, never shown as a value.
pub(crate) type Invalid = &'static str;

/// The longest key and value a reader accepts, and so the most it allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) key_len: u64,
    pub(crate) value_len: u64,
}

impl Limits {
    /// [`MAX_KEY_LEN`] and [`MAX_VALUE_LEN`].
    pub(crate) const DEFAULT: Self = Self {
        key_len: MAX_KEY_LEN as u64,
        value_len: MAX_VALUE_LEN as u64,
    };
}

/// The checked header of an entry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// When the entry expires, in milliseconds since the Unix epoch.
    pub(crate) expires_at_ms: u64,
    /// The full key the entry was written under.
    pub(crate) key: Vec<u8>,
    /// The length of the value that follows the header, within the reader's limit.
    pub(crate) value_len: u64,
}

impl Header {
    /// The header's encoding, its checksum included.
    pub(crate) fn encode(key: &[u8], value_len: u64, expires_at_ms: u64) -> Vec<u8> {
        let key_len = u32::try_from(key.len()).expect("key length checked by the caller");
        let mut out = Vec::with_capacity(FIXED_LEN as usize + key.len() + CRC_LEN as usize);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&[0; 3]);
        out.extend_from_slice(&expires_at_ms.to_le_bytes());
        out.extend_from_slice(&key_len.to_le_bytes());
        out.extend_from_slice(&value_len.to_le_bytes());
        out.extend_from_slice(key);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }
}

/// The length of the whole file of a key and a value of these lengths; `None` past `u64`.
fn entry_len(key_len: u64, value_len: u64) -> Option<u64> {
    (FIXED_LEN + CRC_LEN + CRC_LEN)
        .checked_add(key_len)?
        .checked_add(value_len)
}

/// The trailer written after the value: its checksum.
pub(crate) fn value_trailer(value: &[u8]) -> [u8; 4] {
    crc32fast::hash(value).to_le_bytes()
}

/// Reads and checks the header at the start of `reader`, a file of `file_len` bytes.
///
/// Every length is checked against `limits` and against `file_len` before anything is
/// allocated for it. I/O errors other than a short read are returned as errors; everything
/// about the bytes themselves is an [`Invalid`].
pub(crate) fn read_header(
    reader: &mut impl Read,
    file_len: u64,
    limits: Limits,
) -> io::Result<Result<Header, Invalid>> {
    let mut fixed = [0u8; FIXED_LEN as usize];
    if !read_exact_or_eof(reader, &mut fixed)? {
        return Ok(Err("shorter than a header"));
    }
    if fixed[..4] != MAGIC {
        return Ok(Err("bad magic"));
    }
    if fixed[4] != VERSION {
        return Ok(Err("unknown version"));
    }
    if fixed[5..8] != [0; 3] {
        return Ok(Err("reserved bytes set"));
    }
    let expires_at_ms = u64::from_le_bytes(fixed[8..16].try_into().expect("8 bytes"));
    let key_len = u64::from(u32::from_le_bytes(
        fixed[16..20].try_into().expect("4 bytes"),
    ));
    let value_len = u64::from_le_bytes(fixed[20..28].try_into().expect("8 bytes"));
    if key_len > limits.key_len {
        return Ok(Err("key longer than the limit"));
    }
    if value_len > limits.value_len {
        return Ok(Err("value longer than the limit"));
    }
    if entry_len(key_len, value_len) != Some(file_len) {
        return Ok(Err("file length differs from the header's"));
    }
    let Ok(key_len) = usize::try_from(key_len) else {
        return Ok(Err("key longer than memory"));
    };
    let mut key = vec![0u8; key_len];
    let mut crc = [0u8; CRC_LEN as usize];
    if !read_exact_or_eof(reader, &mut key)? || !read_exact_or_eof(reader, &mut crc)? {
        return Ok(Err("shorter than its key"));
    }
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&fixed);
    hasher.update(&key);
    if hasher.finalize().to_le_bytes() != crc {
        return Ok(Err("header checksum mismatch"));
    }
    Ok(Ok(Header {
        expires_at_ms,
        key,
        value_len,
    }))
}

/// Reads and checks the value that follows `header` in `reader`. It allocates exactly the
/// value's length, which [`read_header`] checked against its limits.
pub(crate) fn read_value(
    reader: &mut impl Read,
    header: &Header,
) -> io::Result<Result<Vec<u8>, Invalid>> {
    let Ok(len) = usize::try_from(header.value_len) else {
        return Ok(Err("value longer than memory"));
    };
    let mut value = Vec::new();
    value
        .try_reserve_exact(len)
        .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
    reader.take(header.value_len).read_to_end(&mut value)?;
    let mut crc = [0u8; CRC_LEN as usize];
    if value.len() != len || !read_exact_or_eof(reader, &mut crc)? {
        return Ok(Err("shorter than its value"));
    }
    if value_trailer(&value) != crc {
        return Ok(Err("value checksum mismatch"));
    }
    Ok(Ok(value))
}

/// Decodes a whole entry held in memory: its header and its checked value.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn decode(bytes: &[u8], limits: Limits) -> Result<(Header, Vec<u8>), Invalid> {
    let mut reader = bytes;
    let len = bytes.len() as u64;
    let header = read_header(&mut reader, len, limits).expect("a slice reads without error")?;
    let value = read_value(&mut reader, &header).expect("a slice reads without error")?;
    Ok((header, value))
}

/// The whole entry file of `key` and `value`, as a write lays it out in three parts.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn encode(key: &[u8], value: &[u8], expires_at_ms: u64) -> Vec<u8> {
    let mut bytes = Header::encode(key, value.len() as u64, expires_at_ms);
    bytes.extend_from_slice(value);
    bytes.extend_from_slice(&value_trailer(value));
    bytes
}

/// Fills `buf`; `false` when the input ends first.
fn read_exact_or_eof(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    match reader.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &[u8], value: &[u8], expires_at_ms: u64) -> Vec<u8> {
        encode(key, value, expires_at_ms)
    }

    fn decode(bytes: &[u8]) -> Result<(Header, Vec<u8>), Invalid> {
        super::decode(bytes, Limits::DEFAULT)
    }

    #[test]
    fn round_trips() {
        let bytes = file("k:é".as_bytes(), b"the value", 1_700_000_000_123);
        let (header, value) = decode(&bytes).unwrap();
        assert_eq!(header.key, "k:é".as_bytes());
        assert_eq!(header.expires_at_ms, 1_700_000_000_123);
        assert_eq!(value, b"the value");
        let len = entry_len(header.key.len() as u64, header.value_len);
        assert_eq!(len, Some(bytes.len() as u64));
    }

    #[test]
    fn empty_key_and_value_round_trip() {
        let (header, value) = decode(&file(b"", b"", 1)).unwrap();
        assert!(header.key.is_empty() && value.is_empty());
    }

    #[test]
    fn every_truncation_is_invalid() {
        let bytes = file(b"key", b"some value bytes", 42);
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "cut at {len} was accepted");
        }
    }

    #[test]
    fn every_single_bit_flip_is_invalid() {
        let bytes = file(b"key", b"some value bytes", 42);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                assert!(
                    decode(&flipped).is_err(),
                    "flip of bit {bit} at {i} accepted"
                );
            }
        }
    }

    #[test]
    fn trailing_bytes_are_invalid() {
        let mut bytes = file(b"key", b"value", 42);
        bytes.push(0);
        assert_eq!(
            decode(&bytes).unwrap_err(),
            "file length differs from the header's"
        );
    }

    #[test]
    fn a_huge_declared_key_is_refused_before_allocating() {
        let mut bytes = file(b"key", b"value", 42);
        bytes[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bytes).unwrap_err(), "key longer than the limit");
        let small = Limits {
            key_len: u64::from(u32::MAX),
            value_len: 100,
        };
        assert_eq!(
            super::decode(&bytes, small).unwrap_err(),
            "file length differs from the header's"
        );
    }

    /// A value length near 2^64 makes the whole file's length wrap around to the length of
    /// the bytes present, whatever part of the trailer is there.
    #[test]
    fn a_value_length_that_wraps_the_file_length_is_invalid() {
        let unlimited = Limits {
            key_len: u64::MAX,
            value_len: u64::MAX,
        };
        for present in 0..4u64 {
            let value_len = (u64::MAX - 3).wrapping_add(present);
            let mut bytes = Header::encode(b"key", value_len, 42);
            bytes.resize(bytes.len() + present as usize, 0);
            for limits in [Limits::DEFAULT, unlimited] {
                assert!(
                    super::decode(&bytes, limits).is_err(),
                    "{present} trailer bytes, {limits:?}"
                );
            }
        }
        let bytes = Header::encode(b"key", u64::MAX, 42);
        assert_eq!(
            super::decode(&bytes, unlimited).unwrap_err(),
            "file length differs from the header's"
        );
    }

    #[test]
    fn a_value_past_the_limit_is_invalid_before_it_is_read() {
        let bytes = file(b"key", &[7; 100], 42);
        let limits = |value_len| Limits {
            key_len: 3,
            value_len,
        };
        assert_eq!(super::decode(&bytes, limits(100)).unwrap().1, [7; 100]);
        assert_eq!(
            super::decode(&bytes, limits(99)).unwrap_err(),
            "value longer than the limit"
        );
    }

    #[test]
    fn a_value_is_read_into_exactly_its_length() {
        for len in [0, 1, 31, 32, 33, 4096, 70_000] {
            let value = vec![9u8; len];
            let (_, read) = decode(&file(b"k", &value, 1)).unwrap();
            assert_eq!((read.len(), read.capacity()), (len, len));
        }
    }

    #[test]
    fn foreign_bytes_are_invalid() {
        assert_eq!(
            decode(b"{\"json\": true}").unwrap_err(),
            "shorter than a header"
        );
        assert_eq!(decode(&[7u8; 64]).unwrap_err(), "bad magic");
    }
}
