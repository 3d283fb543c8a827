//! Fixtures: a cache together with the server or cluster it talks to.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use cache_core::Cache;
use cache_core::testing::CacheFixture;
use cache_redis::RedisCache;
use redis_test_server::{RedisCluster, RedisServer};

/// A cache on its own standalone server; the server stops when this is dropped.
pub struct Standalone {
    pub cache: RedisCache,
    pub server: RedisServer,
}

impl Standalone {
    pub async fn start(prefix: &str) -> Self {
        let server = RedisServer::start().expect("redis-server starts");
        let cache = RedisCache::builder()
            .url(server.url())
            .key_prefix(prefix)
            .operation_timeout(Duration::from_secs(5))
            .build()
            .await
            .expect("connects");
        Self { cache, server }
    }
}

impl CacheFixture for Standalone {
    fn cache(&self) -> Arc<dyn Cache> {
        Arc::new(self.cache.clone())
    }
}

/// A cache on its own three-master cluster.
pub struct Cluster {
    pub cache: RedisCache,
    pub cluster: RedisCluster,
}

impl Cluster {
    pub async fn start(prefix: &str) -> Self {
        let cluster = RedisCluster::start(3).expect("cluster starts");
        let url = format!("redis+cluster://{}", cluster.addrs().join(","));
        let cache = RedisCache::builder()
            .url(url)
            .key_prefix(prefix)
            .operation_timeout(Duration::from_secs(5))
            .build()
            .await
            .expect("connects to the cluster");
        assert!(cache.is_cluster());
        Self { cache, cluster }
    }
}

impl CacheFixture for Cluster {
    fn cache(&self) -> Arc<dyn Cache> {
        Arc::new(self.cache.clone())
    }
}
