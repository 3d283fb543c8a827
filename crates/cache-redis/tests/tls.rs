//! `rediss://` against a TLS redis-server with a CA made for the test.

use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Error};
use cache_redis::RedisCache;
use redis_test_server::RedisServer;

#[tokio::test]
async fn rediss_with_a_trusted_ca() {
    let server = RedisServer::builder().tls().start().unwrap();
    let url = server.tls_url().unwrap();
    let ca = server.tls_files().unwrap().ca_cert_pem().unwrap();
    let cache = RedisCache::builder()
        .url(&url)
        .tls_root_cert(ca)
        .build()
        .await
        .unwrap();
    cache
        .set(
            "k",
            Bytes::from_static(b"over tls"),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(
        cache.get("k").await.unwrap().as_deref(),
        Some(&b"over tls"[..])
    );
    // The plain port sees the same data: the TLS port really reached this server.
    assert_eq!(server.cli(&["get", "k"]).unwrap().trim(), "over tls");

    // Without the CA the certificate is not trusted, and nothing is connected.
    let untrusted = RedisCache::builder().url(&url).build().await.unwrap_err();
    assert!(
        matches!(&untrusted, Error::Unavailable { message, .. } if message.contains("certificate")),
        "{untrusted:?}"
    );
}
