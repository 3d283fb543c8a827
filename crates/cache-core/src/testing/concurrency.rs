//! The concurrent conformance case: no reader ever sees a torn value.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::key;
use crate::Cache;

const WRITERS: u8 = 8;
const READERS: usize = 8;
const ROUNDS: usize = 50;
const VALUE_LEN: usize = 64 * 1024;

/// Many writers and readers on one key at once: every value read is one writer's whole
/// value, never a mix or a part.
pub async fn concurrent_writers_and_readers(cache: Arc<dyn Cache>) {
    let k = key("concurrent", "k");
    cache
        .set(&k, whole_value(0), Duration::from_secs(60))
        .await
        .unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for writer in 1..=WRITERS {
        let (cache, k) = (cache.clone(), k.clone());
        tasks.spawn(async move {
            for _ in 0..ROUNDS {
                cache
                    .set(&k, whole_value(writer), Duration::from_secs(60))
                    .await
                    .unwrap();
            }
            0
        });
    }
    for _ in 0..READERS {
        let (cache, k) = (cache.clone(), k.clone());
        tasks.spawn(async move {
            let mut seen = 0;
            for _ in 0..ROUNDS {
                let value = cache
                    .get(&k)
                    .await
                    .unwrap()
                    .expect("the key is never absent");
                assert_whole(&value);
                seen += 1;
            }
            seen
        });
    }
    let mut reads = 0;
    while let Some(done) = tasks.join_next().await {
        reads += done.expect("a writer or reader panicked");
    }
    assert_eq!(reads, READERS * ROUNDS);
    assert_whole(&cache.get(&k).await.unwrap().expect("present"));
}

/// A value every byte of which names its writer, with the length in front.
fn whole_value(writer: u8) -> Bytes {
    let mut value = vec![writer; VALUE_LEN];
    value[..8].copy_from_slice(&(VALUE_LEN as u64).to_le_bytes());
    value.into()
}

fn assert_whole(value: &[u8]) {
    assert_eq!(value.len(), VALUE_LEN, "a value of another length was read");
    let writer = value[8];
    assert!(
        value[8..].iter().all(|&b| b == writer),
        "a torn value: bytes of more than one writer"
    );
}
