//! The length of the first MessagePack value in a buffer, found without decoding it.
//!
//! rmp-serde's zero-copy slice reader does not say where the value ended, and its reader
//! that does copies every string on the way; walking the markers first keeps decoding
//! zero-copy and still catches bytes left over after the value.

/// The number of bytes the first value of `bytes` occupies, or `None` when it runs past the
/// end or uses the reserved marker `0xc1`.
pub(crate) fn value_len(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    let mut pending = 1u64;
    while pending > 0 {
        pending -= 1;
        let marker = *bytes.get(pos)?;
        let (header, body, children) = match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (1, 0, 0),
            0x80..=0x8f => (1, 0, 2 * u64::from(marker & 0x0f)),
            0x90..=0x9f => (1, 0, u64::from(marker & 0x0f)),
            0xa0..=0xbf => (1, usize::from(marker & 0x1f), 0),
            0xc4 | 0xd9 => (2, be(bytes, pos + 1, 1)?, 0),
            0xc5 | 0xda => (3, be(bytes, pos + 1, 2)?, 0),
            0xc6 | 0xdb => (5, be(bytes, pos + 1, 4)?, 0),
            0xc7 => (3, be(bytes, pos + 1, 1)?, 0),
            0xc8 => (4, be(bytes, pos + 1, 2)?, 0),
            0xc9 => (6, be(bytes, pos + 1, 4)?, 0),
            0xca => (5, 0, 0),
            0xcb => (9, 0, 0),
            0xcc | 0xd0 => (2, 0, 0),
            0xcd | 0xd1 => (3, 0, 0),
            0xce | 0xd2 => (5, 0, 0),
            0xcf | 0xd3 => (9, 0, 0),
            0xd4 => (3, 0, 0),
            0xd5 => (4, 0, 0),
            0xd6 => (6, 0, 0),
            0xd7 => (10, 0, 0),
            0xd8 => (18, 0, 0),
            0xdc => (3, 0, be(bytes, pos + 1, 2)? as u64),
            0xdd => (5, 0, be(bytes, pos + 1, 4)? as u64),
            0xde => (3, 0, 2 * be(bytes, pos + 1, 2)? as u64),
            0xdf => (5, 0, 2 * be(bytes, pos + 1, 4)? as u64),
            0xc1 => return None,
        };
        pos = pos.checked_add(header)?.checked_add(body)?;
        pending += children;
        // Every pending value needs at least one more byte: stop a forged count early.
        if pos > bytes.len() || pending > (bytes.len() - pos) as u64 {
            return None;
        }
    }
    Some(pos)
}

/// A big-endian length of `width` bytes at `at`.
fn be(bytes: &[u8], at: usize, width: usize) -> Option<usize> {
    let field = bytes.get(at..at.checked_add(width)?)?;
    Some(field.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::value_len;

    #[test]
    fn measures_what_rmp_serde_writes() {
        let mut map = BTreeMap::new();
        map.insert(
            "k".repeat(40),
            (vec![1u64, 300, 70_000, u64::MAX], -5i64, 1.5f64),
        );
        map.insert("bytes".to_owned(), (vec![0u64; 70_000], i64::MIN, f64::NAN));
        let values = [
            rmp_serde::to_vec_named(&map).unwrap(),
            rmp_serde::to_vec_named(&"x".repeat(70_000)).unwrap(),
            rmp_serde::to_vec_named(&serde_bytes_like(300)).unwrap(),
            rmp_serde::to_vec_named(&(None::<u8>, true, -1i8, 200u8, "é")).unwrap(),
        ];
        for value in values {
            assert_eq!(value_len(&value), Some(value.len()));
            let mut padded = value.clone();
            padded.push(0xc0);
            assert_eq!(
                value_len(&padded),
                Some(value.len()),
                "stops at the value's end"
            );
            assert_eq!(value_len(&value[..value.len() - 1]), None, "truncated");
        }
    }

    #[test]
    fn refuses_forged_counts_and_the_reserved_marker() {
        assert_eq!(value_len(&[0xdd, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(value_len(&[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
        assert_eq!(value_len(&[0xc1]), None);
        assert_eq!(value_len(&[]), None);
    }

    #[test]
    fn lengths_near_four_gib_run_past_the_end_without_wrapping() {
        // bin32, str32, ext32; then array32 and map32 counts.
        for marker in [0xc6, 0xdb, 0xc9, 0xdd, 0xdf] {
            for len in [u32::MAX, u32::MAX - 5, 1 << 31] {
                let mut bytes = vec![marker];
                bytes.extend(len.to_be_bytes());
                bytes.extend([0; 32]);
                assert_eq!(value_len(&bytes), None, "{marker:#x} {len}");
            }
        }
    }

    #[test]
    fn nesting_is_walked_without_recursion() {
        let mut deep = vec![0x91; 100_000];
        deep.push(0xc0);
        assert_eq!(value_len(&deep), Some(deep.len()));
        deep.pop();
        assert_eq!(value_len(&deep), None);
    }

    fn serde_bytes_like(len: usize) -> Vec<Vec<u8>> {
        vec![vec![7; len]; 3]
    }
}
