//! Cluster specifics: batches that span many hash slots, split and reassembled.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Entry};
use cache_redis::RedisCache;

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_span_every_node_and_come_back_in_order() {
    let fixture = common::Cluster::start("app:").await;
    let keys: Vec<String> = (0..60).map(|i| format!("k{i}")).collect();
    let entries = keys
        .iter()
        .map(|k| Entry::new(k.clone(), format!("v-{k}"), MINUTE))
        .collect();
    fixture.cache.set_many(entries).await.unwrap();
    // The server's own slots of the stored keys: the batch really spans many of them.
    let node = &fixture.cluster.nodes()[0];
    let slots: HashSet<u16> = keys
        .iter()
        .map(|k| {
            let slot = node.cli(&["cluster", "keyslot", &format!("app:{k}")]);
            slot.unwrap().trim().parse().unwrap()
        })
        .collect();
    assert!(slots.len() > 50, "60 keys in only {} slots", slots.len());
    for node in fixture.cluster.nodes() {
        let count: u32 = node.cli(&["dbsize"]).unwrap().trim().parse().unwrap();
        assert!(count > 0, "node {} holds none of 60 keys", node.port());
    }

    let mut asked = keys.clone();
    asked.reverse();
    asked.insert(7, "missing".into());
    let values = fixture.cache.get_many(&asked).await.unwrap();
    assert_eq!(values.len(), asked.len());
    for (key, value) in asked.iter().zip(&values) {
        let expected = (key != "missing").then(|| Bytes::from(format!("v-{key}")));
        assert_eq!(value, &expected, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_tag_prefix_keeps_a_batch_on_one_node() {
    let fixture = common::Cluster::start("{app}:").await;
    let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let entries = keys
        .iter()
        .map(|k| Entry::new(k.clone(), k.clone(), MINUTE))
        .collect();
    fixture.cache.set_many(entries).await.unwrap();
    let values = fixture.cache.get_many(&keys).await.unwrap();
    assert_eq!(values[19].as_deref(), Some(&b"k19"[..]));
    let holding: Vec<u32> = fixture
        .cluster
        .nodes()
        .iter()
        .map(|node| node.cli(&["dbsize"]).unwrap().trim().parse().unwrap())
        .collect();
    assert_eq!(holding.iter().filter(|&&n| n > 0).count(), 1, "{holding:?}");
    assert_eq!(holding.iter().sum::<u32>(), 20);
    // One slot: redis-rs sends the whole MGET to its node as one command.
    let stats: Vec<String> = fixture
        .cluster
        .nodes()
        .iter()
        .map(|node| node.cli(&["info", "commandstats"]).unwrap())
        .collect();
    let mgets = stats.iter().filter(|s| s.contains("cmdstat_mget:calls=1,"));
    assert_eq!(mgets.count(), 1, "{stats:?}");
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
