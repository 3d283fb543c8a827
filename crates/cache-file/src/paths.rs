//! File names in the cache directory: which file holds a key, and what a name found in the
//! directory is.

use std::ffi::OsStr;

/// The suffix of every entry file; its stem is 32 lowercase hex digits.
pub(crate) const ENTRY_SUFFIX: &str = ".entry";
/// The prefix of the temporary files a write goes through before its rename.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// What a file found in the cache directory is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// An entry file (whatever its content turns out to be).
    Entry,
    /// A temporary file of a write, in progress or abandoned by a crashed writer.
    Temp,
    /// Anything else: not ours, never touched.
    Other,
}

/// The name of the file that holds `key`.
///
/// Hashing makes any key a safe, fixed-length file name on every file system; the full key
/// is stored in the file, so a collision reads as a miss, never as another key's value.
pub(crate) fn entry_name(key: &str) -> String {
    format!("{:032x}{ENTRY_SUFFIX}", fnv1a_128(key.as_bytes()))
}

/// The name of the lock file of the lease `name`, in the lease directory.
pub(crate) fn lock_name(name: &str) -> String {
    format!("{:032x}.lock", fnv1a_128(name.as_bytes()))
}

/// Classifies a directory entry by its name alone.
pub(crate) fn classify(name: &OsStr) -> FileKind {
    let Some(name) = name.to_str() else {
        return FileKind::Other;
    };
    if name.starts_with(TEMP_PREFIX) {
        return FileKind::Temp;
    }
    match name.strip_suffix(ENTRY_SUFFIX) {
        Some(stem)
            if stem.len() == 32 && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            FileKind::Entry
        }
        _ => FileKind::Other,
    }
}

/// FNV-1a, 128 bits: specified independently of any crate or compiler version, so every
/// process and every future build maps a key to the same file.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET_BASIS: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u128::from(byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_128_matches_the_published_vectors() {
        assert_eq!(fnv1a_128(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(fnv1a_128(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
        assert_eq!(fnv1a_128(b"foobar"), 0x343e1662793c64bf6f0d3597ba446f18);
    }

    #[test]
    fn entry_names_are_fixed_length_and_classified_as_entries() {
        for key in [
            "",
            "a",
            "funding:linear",
            "../../etc/passwd",
            "鍵🔑 \r\n/\\:*?",
        ] {
            let name = entry_name(key);
            assert_eq!(name.len(), 32 + ENTRY_SUFFIX.len(), "{name}");
            assert_eq!(classify(OsStr::new(&name)), FileKind::Entry, "{name}");
        }
        assert_ne!(entry_name("a"), entry_name("b"));
    }

    #[test]
    fn other_names_are_classified() {
        assert_eq!(classify(OsStr::new(".tmp-abc123")), FileKind::Temp);
        for other in [
            "notes.txt",
            "0123.entry",
            "0123456789ABCDEF0123456789abcdef.entry",
            "0123456789abcdef0123456789abcdef.entry.bak",
            "0123456789abcdeg0123456789abcdef.entry",
        ] {
            assert_eq!(classify(OsStr::new(other)), FileKind::Other, "{other}");
        }
    }
}
