//! The single-caller conformance cases.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::key;
use crate::{Cache, Entry, Error};

const MINUTE: Duration = Duration::from_secs(60);

/// A value written is read back byte for byte.
pub async fn round_trip(cache: Arc<dyn Cache>) {
    let k = key("round_trip", "k");
    cache
        .set(&k, Bytes::from_static(b"value"), MINUTE)
        .await
        .unwrap();
    assert_eq!(cache.get(&k).await.unwrap().as_deref(), Some(&b"value"[..]));
}

/// A second write replaces the value and its TTL.
pub async fn overwrite(cache: Arc<dyn Cache>) {
    let k = key("overwrite", "k");
    cache
        .set(&k, Bytes::from_static(b"first, and longer"), MINUTE)
        .await
        .unwrap();
    cache
        .set(&k, Bytes::from_static(b"second"), 10 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        cache.get(&k).await.unwrap().as_deref(),
        Some(&b"second"[..])
    );
    let ttl = cache
        .ttl(&k)
        .await
        .unwrap()
        .expect("overwritten key has a TTL");
    assert!(
        ttl > MINUTE,
        "the second write's TTL replaces the first: {ttl:?}"
    );
}

/// Deleting removes the entry and says whether there was one.
pub async fn delete(cache: Arc<dyn Cache>) {
    let k = key("delete", "k");
    cache
        .set(&k, Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();
    assert!(cache.delete(&k).await.unwrap(), "delete of a present key");
    assert_eq!(cache.get(&k).await.unwrap(), None);
    assert_eq!(cache.ttl(&k).await.unwrap(), None);
    assert!(!cache.delete(&k).await.unwrap(), "delete of a missing key");
}

/// A key never written is missing, with no TTL.
pub async fn missing_key(cache: Arc<dyn Cache>) {
    let k = key("missing_key", "never-written");
    assert_eq!(cache.get(&k).await.unwrap(), None);
    assert_eq!(cache.ttl(&k).await.unwrap(), None);
}

/// An entry is gone after its TTL; one with a longer TTL is not.
pub async fn ttl_expiry(cache: Arc<dyn Cache>) {
    let short = key("ttl_expiry", "short");
    let long = key("ttl_expiry", "long");
    cache
        .set(&short, Bytes::from_static(b"s"), Duration::from_millis(300))
        .await
        .unwrap();
    cache
        .set(&long, Bytes::from_static(b"l"), MINUTE)
        .await
        .unwrap();
    assert!(
        cache.get(&short).await.unwrap().is_some(),
        "alive before its TTL"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        cache.get(&short).await.unwrap(),
        None,
        "expired after its TTL"
    );
    assert_eq!(cache.ttl(&short).await.unwrap(), None);
    assert!(
        !cache.delete(&short).await.unwrap(),
        "an expired key is not there to delete"
    );
    assert_eq!(cache.get(&long).await.unwrap().as_deref(), Some(&b"l"[..]));
}

/// The remaining TTL counts down from the TTL written.
pub async fn remaining_ttl(cache: Arc<dyn Cache>) {
    let k = key("remaining_ttl", "k");
    cache
        .set(&k, Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();
    let first = cache.ttl(&k).await.unwrap().expect("a TTL");
    assert!(
        first <= MINUTE && first > MINUTE - Duration::from_secs(5),
        "{first:?}"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = cache.ttl(&k).await.unwrap().expect("still alive");
    assert!(later < first, "counts down: {first:?} then {later:?}");

    let short = key("remaining_ttl", "short");
    cache
        .set(
            &short,
            Bytes::from_static(b"v"),
            Duration::from_millis(1500),
        )
        .await
        .unwrap();
    let ttl = cache.ttl(&short).await.unwrap().expect("a TTL");
    assert!(
        ttl <= Duration::from_millis(1500) && ttl > Duration::from_millis(500),
        "{ttl:?}"
    );
}

/// A zero TTL, or one beyond the backend's maximum, is refused and writes nothing.
pub async fn invalid_ttl(cache: Arc<dyn Cache>) {
    let k = key("invalid_ttl", "k");
    let too_long = cache.max_ttl() + Duration::from_secs(1);
    for ttl in [Duration::ZERO, too_long, Duration::MAX] {
        let err = cache
            .set(&k, Bytes::from_static(b"v"), ttl)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidArgument(_)),
            "ttl {ttl:?}: {err:?}"
        );
    }
    assert_eq!(cache.get(&k).await.unwrap(), None, "nothing written");

    let good = key("invalid_ttl", "good");
    let batch = vec![
        Entry::new(good.clone(), Bytes::from_static(b"v"), MINUTE),
        Entry::new(k.clone(), Bytes::from_static(b"v"), Duration::ZERO),
    ];
    let err = cache.set_many(batch).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(
        cache.get(&good).await.unwrap(),
        None,
        "a refused batch writes nothing"
    );
}

/// Batches write and read many keys, in order, with `None` for the missing ones.
pub async fn batch_get_set(cache: Arc<dyn Cache>) {
    let keys: Vec<String> = (0..20)
        .map(|i| key("batch_get_set", &format!("k{i}")))
        .collect();
    let entries = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(i, k)| Entry::new(k.clone(), format!("value {i}"), MINUTE * (i as u32 + 1)))
        .collect();
    cache.set_many(entries).await.unwrap();

    let values = cache.get_many(&keys).await.unwrap();
    assert_eq!(values.len(), keys.len());
    for (i, value) in values.iter().enumerate() {
        let expected = (i % 3 != 0).then(|| format!("value {i}"));
        assert_eq!(
            value.as_deref(),
            expected.as_deref().map(str::as_bytes),
            "key {i}"
        );
    }
    let ttl = cache.ttl(&keys[19]).await.unwrap().expect("a TTL");
    assert!(ttl > MINUTE * 19, "each entry keeps its own TTL: {ttl:?}");

    assert!(cache.get_many(&[]).await.unwrap().is_empty());
    cache.set_many(Vec::new()).await.unwrap();
}

/// Every byte value survives, in values and keys.
pub async fn binary_safe_values(cache: Arc<dyn Cache>) {
    let every_byte: Bytes = (0..=255u8)
        .chain((0..=255u8).rev())
        .collect::<Vec<_>>()
        .into();
    let k = key("binary_safe_values", "k \r\n\t\"*$");
    cache.set(&k, every_byte.clone(), MINUTE).await.unwrap();
    assert_eq!(cache.get(&k).await.unwrap(), Some(every_byte.clone()));
    let values = cache.get_many(std::slice::from_ref(&k)).await.unwrap();
    assert_eq!(values, vec![Some(every_byte)]);
}

/// An empty value is a value: present, not missing.
pub async fn empty_value(cache: Arc<dyn Cache>) {
    let k = key("empty_value", "k");
    cache.set(&k, Bytes::new(), MINUTE).await.unwrap();
    assert_eq!(cache.get(&k).await.unwrap(), Some(Bytes::new()));
    assert!(cache.ttl(&k).await.unwrap().is_some());
    assert_eq!(
        cache.get_many(&[k]).await.unwrap(),
        vec![Some(Bytes::new())]
    );
}

/// A value of more than 8 MiB round-trips intact.
pub async fn large_value(cache: Arc<dyn Cache>) {
    let k = key("large_value", "k");
    let value: Bytes = pseudo_random(8 * 1024 * 1024 + 17).into();
    cache.set(&k, value.clone(), MINUTE).await.unwrap();
    let back = cache.get(&k).await.unwrap().expect("present");
    assert!(back == value, "8 MiB value differs after a round trip");
    assert!(cache.delete(&k).await.unwrap());
}

/// Keys are UTF-8 strings compared byte for byte; distinct unicode keys stay distinct.
pub async fn unicode_keys(cache: Arc<dyn Cache>) {
    let names = ["ключ", "鍵🔑", "u\u{308}", "ü", "🚀/*?[]"];
    let keys: Vec<String> = names.iter().map(|n| key("unicode_keys", n)).collect();
    for (k, name) in keys.iter().zip(names) {
        cache.set(k, Bytes::from(name), MINUTE).await.unwrap();
    }
    let values = cache.get_many(&keys).await.unwrap();
    for (value, name) in values.iter().zip(names) {
        assert_eq!(value.as_deref(), Some(name.as_bytes()));
    }
}

/// Deterministic bytes that no compressor or deduplicator can shortcut.
pub(crate) fn pseudo_random(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}
