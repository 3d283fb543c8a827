//! The hook fuzz targets call: the on-disk entry layout, fed arbitrary bytes. Not a stable
//! API; built only with the `fuzzing` feature.
//!
//! [`entry`] panics only when an invariant of the layout is broken, never for bytes that are
//! merely not an entry.

use crate::layout::{self, Limits};

/// The longest key [`entry`] accepts: small, so that fuzzed inputs reach past it.
pub const MAX_KEY_LEN: u64 = 64;
/// The longest value [`entry`] accepts: small, so that fuzzed inputs reach past it.
pub const MAX_VALUE_LEN: u64 = 1024;

/// An entry file's content, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The expiry, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// The key, as stored.
    pub key: Vec<u8>,
    /// The value, checked against its checksum.
    pub value: Vec<u8>,
}

/// Decodes `data` as a whole entry file, accepting keys and values up to these lengths;
/// `None` when it is not a valid entry.
pub fn decode(data: &[u8], max_key_len: u64, max_value_len: u64) -> Option<Decoded> {
    let limits = Limits {
        key_len: max_key_len,
        value_len: max_value_len,
    };
    let (header, value) = layout::decode(data, limits).ok()?;
    Some(Decoded {
        expires_at_ms: header.expires_at_ms,
        key: header.key,
        value,
    })
}

/// The entry file a write makes for `key` and `value`.
///
/// # Panics
/// If `key` is longer than `u32::MAX` bytes, which writes refuse before encoding.
pub fn encode(key: &[u8], value: &[u8], expires_at_ms: u64) -> Vec<u8> {
    layout::encode(key, value, expires_at_ms)
}

/// Feeds `data` to the entry layout, as a file's content and as the key and value of an
/// entry to encode, and checks the layout's invariants:
///
/// - decoding never allocates past [`MAX_KEY_LEN`] and [`MAX_VALUE_LEN`];
/// - bytes that decode are exactly the encoding of what they decode to, so a decoder
///   accepts no file a write would not make;
/// - the header alone is accepted whenever the whole entry is, and reads the same;
/// - an entry within the limits round-trips, and one past them is refused.
pub fn entry(data: &[u8]) {
    let limits = Limits {
        key_len: MAX_KEY_LEN,
        value_len: MAX_VALUE_LEN,
    };
    check_file(data, limits);

    // The first byte splits the rest into a key and a value; the first eight are the expiry.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let (key, value) = rest.split_at(usize::from(split).min(rest.len()));
    let mut expiry = [0u8; 8];
    let n = data.len().min(8);
    expiry[..n].copy_from_slice(&data[..n]);
    let expires_at_ms = u64::from_le_bytes(expiry);
    let bytes = encode(key, value, expires_at_ms);
    let decoded = decode(&bytes, MAX_KEY_LEN, MAX_VALUE_LEN);
    if key.len() as u64 <= MAX_KEY_LEN && value.len() as u64 <= MAX_VALUE_LEN {
        let expected = Decoded {
            expires_at_ms,
            key: key.to_vec(),
            value: value.to_vec(),
        };
        assert_eq!(decoded, Some(expected), "a valid entry does not round-trip");
    } else {
        assert_eq!(decoded, None, "an entry past the limits was accepted");
    }
    check_file(&bytes, limits);
}

/// Checks the invariants on `data` read as the content of an entry file.
fn check_file(data: &[u8], limits: Limits) {
    let mut reader = data;
    let header = layout::read_header(&mut reader, data.len() as u64, limits)
        .expect("a slice reads without error");
    let Ok((whole_header, value)) = layout::decode(data, limits) else {
        return;
    };
    assert!(
        whole_header.key.capacity() as u64 <= limits.key_len,
        "a key allocated past the limit"
    );
    assert!(
        value.capacity() as u64 <= limits.value_len,
        "a value allocated past the limit"
    );
    assert_eq!(whole_header.value_len, value.len() as u64);
    assert_eq!(
        header.as_ref(),
        Ok(&whole_header),
        "the header alone reads otherwise than the whole entry"
    );
    let again = layout::encode(&whole_header.key, &value, whole_header.expires_at_ms);
    assert!(again == data, "accepted bytes that no write makes");
}
