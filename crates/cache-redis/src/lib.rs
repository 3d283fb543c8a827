//! The Redis backend for `cache-core`: standalone, TLS and Redis Cluster, on redis-rs and tokio.
