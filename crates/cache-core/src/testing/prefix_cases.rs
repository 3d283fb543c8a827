//! The conformance case of [`Cache::get_prefix`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::key;
use crate::Cache;

const MINUTE: Duration = Duration::from_secs(60);

/// A prefix is the value's first bytes, or the whole value when it is shorter; a missing key
/// has none, whatever the length asked.
pub async fn get_prefix(cache: Arc<dyn Cache>) {
    let k = key("get_prefix", "k");
    let value: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    cache
        .set(&k, Bytes::from(value.clone()), MINUTE)
        .await
        .unwrap();
    for len in [0, 1, 28, 999, 1000, 1001, 1 << 20, usize::MAX] {
        let prefix = cache.get_prefix(&k, len).await.unwrap();
        let expected = &value[..len.min(value.len())];
        assert_eq!(prefix.as_deref(), Some(expected), "prefix of {len} bytes");
    }
    let missing = key("get_prefix", "never-written");
    for len in [0, 1, 28, usize::MAX] {
        let prefix = cache.get_prefix(&missing, len).await.unwrap();
        assert_eq!(prefix, None, "prefix of {len} bytes of a missing key");
    }
    cache.delete(&k).await.unwrap();
    assert_eq!(cache.get_prefix(&k, 28).await.unwrap(), None, "deleted");
}
