//! Helpers shared by the read-through tests.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::time::{Duration, SystemTime};

use cache_core::{Cache, Codec, Freshness, MemoryCache, ReadThrough, TypedCache, unix_millis};

pub(crate) type Symbols = ReadThrough<Vec<String>, String, MemoryCache>;

pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// A read-through of symbol lists over a memory cache of its own.
pub(crate) fn symbols(policy: Freshness) -> Symbols {
    over(MemoryCache::new(64 << 20), policy)
}

/// A read-through of symbol lists over `backend`, which other read-throughs may share.
pub(crate) fn over(backend: MemoryCache, policy: Freshness) -> Symbols {
    ReadThrough::new(TypedCache::new(backend, Codec::msgpack()), policy)
}

pub(crate) fn list(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

/// Rewrites the write time of an envelope, fixing its checksum.
pub(crate) fn written_at(mut bytes: Vec<u8>, at: SystemTime) -> Vec<u8> {
    bytes[8..16].copy_from_slice(&unix_millis(at).to_le_bytes());
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&bytes[..24]);
    hasher.update(&bytes[cache_core::envelope::HEADER_LEN..]);
    let crc = hasher.finalize();
    bytes[24..28].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// Stores `names` under `key` as if written `ago`, kept by the backend for a day.
pub(crate) async fn store_written_ago(
    backend: &MemoryCache,
    key: &str,
    names: &[&str],
    ago: Duration,
) {
    let encoded = Codec::msgpack().encode(&list(names)).unwrap();
    let bytes = written_at(encoded, SystemTime::now() - ago);
    backend.set(key, bytes.into(), HOUR * 24).await.unwrap();
}
