//! Cluster specifics: slots computed as the server does, batches split by slot.

mod common;

use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Entry};
use cache_redis::{RedisCache, key_slot};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_span_every_node_and_come_back_in_order() {
    let fixture = common::Cluster::start("app:").await;
    let node = &fixture.cluster.nodes()[0];
    for key in ["app:k0", "{app}:k1", "a{b}c", "", "ключ", "foo{}{bar}"] {
        let server_slot: u16 = node
            .cli(&["cluster", "keyslot", key])
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(key_slot(key.as_bytes()), server_slot, "slot of {key:?}");
    }

    let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
    let entries = keys
        .iter()
        .map(|k| Entry::new(k.clone(), format!("v-{k}"), MINUTE))
        .collect();
    fixture.cache.set_many(entries).await.unwrap();
    for node in fixture.cluster.nodes() {
        let count: u32 = node.cli(&["dbsize"]).unwrap().trim().parse().unwrap();
        assert!(count > 0, "node {} holds none of 60 keys", node.port());
    }

    let mut asked = keys.clone();
    asked.reverse();
    asked.insert(7, "missing".into());
    let values = fixture.cache.get_many(&asked).await.unwrap();
    for (key, value) in asked.iter().zip(&values) {
        let expected = (key != "missing").then(|| Bytes::from(format!("v-{key}")));
        assert_eq!(value, &expected, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_node_urls_and_one_node_are_enough() {
    let fixture = common::Cluster::start("").await;
    let cache = RedisCache::from_cluster_nodes(&fixture.cluster.node_urls()[..1])
        .await
        .unwrap();
    assert!(cache.is_cluster());
    cache
        .set("x", Bytes::from_static(b"1"), MINUTE)
        .await
        .unwrap();
    assert_eq!(
        fixture.cache.get("x").await.unwrap().as_deref(),
        Some(&b"1"[..])
    );
}
