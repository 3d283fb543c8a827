//! cache-core's conformance suite on a directory, with each durability level.

use std::sync::Arc;

use cache_core::Cache;
use cache_core::testing::CacheFixture;
use cache_file::{Durability, FileCache};
use tempfile::TempDir;

/// A cache in a directory that lives as long as the test.
struct Fixture {
    _dir: TempDir,
    cache: FileCache,
}

impl CacheFixture for Fixture {
    fn cache(&self) -> Arc<dyn Cache> {
        Arc::new(self.cache.clone())
    }
}

async fn fixture(durability: Durability) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let cache = FileCache::builder(dir.path())
        .durability(durability)
        .open()
        .await
        .unwrap();
    Fixture { _dir: dir, cache }
}

cache_core::conformance_tests!(fixture(Durability::default()));

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_without_sync() {
    let fixture = fixture(Durability::NoSync).await;
    cache_core::testing::run_all(fixture.cache()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn run_all_syncing_the_directory() {
    let fixture = fixture(Durability::SyncFileAndDir).await;
    cache_core::testing::run_all(fixture.cache()).await;
}
