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
const FIXED_LEN: usize = 28;
const CRC_LEN: usize = 4;

/// Why bytes are not a valid entry; logged, never shown as a value.
pub(crate) type Invalid = &'static str;

/// The checked header of an entry file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// When the entry expires, in milliseconds since the Unix epoch.
    pub(crate) expires_at_ms: u64,
    /// The full key the entry was written under.
    pub(crate) key: Vec<u8>,
    /// The length of the value that follows the header.
    pub(crate) value_len: u64,
}

impl Header {
    /// The header's encoding, its checksum included.
    pub(crate) fn encode(key: &[u8], value_len: u64, expires_at_ms: u64) -> Vec<u8> {
        let key_len = u32::try_from(key.len()).expect("key length checked by the caller");
        let mut out = Vec::with_capacity(FIXED_LEN + key.len() + CRC_LEN);
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

    /// The length of the whole file this header describes.
    fn file_len(&self) -> u64 {
        (FIXED_LEN + self.key.len() + CRC_LEN) as u64 + self.value_len + CRC_LEN as u64
    }
}

/// The trailer written after the value: its checksum.
pub(crate) fn value_trailer(value: &[u8]) -> [u8; 4] {
    crc32fast::hash(value).to_le_bytes()
}

/// Reads and checks the header at the start of `reader`, a file of `file_len` bytes.
///
/// I/O errors other than a short read are returned as errors; everything about the bytes
/// themselves is an [`Invalid`].
pub(crate) fn read_header(
    reader: &mut impl Read,
    file_len: u64,
) -> io::Result<Result<Header, Invalid>> {
    let mut fixed = [0u8; FIXED_LEN];
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
    let key_len = u32::from_le_bytes(fixed[16..20].try_into().expect("4 bytes"));
    let value_len = u64::from_le_bytes(fixed[20..28].try_into().expect("8 bytes"));
    // Checked against the real length before allocating, so a foreign header cannot make
    // the reader allocate what the file does not hold.
    let rest_len = u64::from(key_len) + CRC_LEN as u64;
    if rest_len > file_len.saturating_sub(FIXED_LEN as u64) {
        return Ok(Err("key longer than the file"));
    }
    let mut rest = vec![0u8; rest_len as usize];
    if !read_exact_or_eof(reader, &mut rest)? {
        return Ok(Err("shorter than its key"));
    }
    let (key, crc) = rest.split_at(key_len as usize);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&fixed);
    hasher.update(key);
    if hasher.finalize().to_le_bytes() != crc {
        return Ok(Err("header checksum mismatch"));
    }
    rest.truncate(key_len as usize);
    let header = Header {
        expires_at_ms,
        key: rest,
        value_len,
    };
    if header.file_len() != file_len {
        return Ok(Err("file length differs from the header's"));
    }
    Ok(Ok(header))
}

/// Reads and checks the value that follows `header` in `reader`.
pub(crate) fn read_value(
    reader: &mut impl Read,
    header: &Header,
) -> io::Result<Result<Vec<u8>, Invalid>> {
    let len = header.value_len + CRC_LEN as u64;
    let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    reader.take(len).read_to_end(&mut buf)?;
    if buf.len() as u64 != len {
        return Ok(Err("shorter than its value"));
    }
    let (value, crc) = buf.split_at(header.value_len as usize);
    if value_trailer(value) != crc {
        return Ok(Err("value checksum mismatch"));
    }
    buf.truncate(header.value_len as usize);
    Ok(Ok(buf))
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
        let mut bytes = Header::encode(key, value.len() as u64, expires_at_ms);
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(&value_trailer(value));
        bytes
    }

    fn decode(bytes: &[u8]) -> Result<(Header, Vec<u8>), Invalid> {
        let mut reader = bytes;
        let header = read_header(&mut reader, bytes.len() as u64).unwrap()?;
        let value = read_value(&mut reader, &header).unwrap()?;
        Ok((header, value))
    }

    #[test]
    fn round_trips() {
        let bytes = file("k:é".as_bytes(), b"the value", 1_700_000_000_123);
        let (header, value) = decode(&bytes).unwrap();
        assert_eq!(header.key, "k:é".as_bytes());
        assert_eq!(header.expires_at_ms, 1_700_000_000_123);
        assert_eq!(value, b"the value");
        assert_eq!(header.file_len(), bytes.len() as u64);
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
        assert_eq!(decode(&bytes).unwrap_err(), "key longer than the file");
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
