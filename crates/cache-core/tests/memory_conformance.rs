//! The conformance suite on the in-memory backend.

cache_core::conformance_tests!(async { cache_core::MemoryCache::new(256 * 1024 * 1024) });

mod notifications {
    cache_core::notification_conformance_tests!(async {
        cache_core::MemoryCache::new(256 * 1024 * 1024)
    });
}

#[tokio::test]
async fn run_all_passes_on_one_cache() {
    let cache = std::sync::Arc::new(cache_core::MemoryCache::new(256 * 1024 * 1024));
    cache_core::testing::run_all(cache).await;
}
