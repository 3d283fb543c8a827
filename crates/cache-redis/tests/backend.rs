//! The backend's own promises beyond the conformance suite: namespaces, TTL encoding,
//! constructors, and secrets kept out of Debug, Display and errors.

use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Entry, Error};
use cache_redis::{MAX_TTL, RedisCache, RedisConfig};
use redis_test_server::RedisServer;

const MINUTE: Duration = Duration::from_secs(60);
const SECRET: &str = "s3cret-Pa55";

#[tokio::test]
async fn prefixes_keep_applications_apart() {
    let server = RedisServer::start().unwrap();
    let app = |prefix: &'static str| {
        RedisCache::builder()
            .url(server.url())
            .key_prefix(prefix)
            .build()
    };
    let (a, b) = (app("a:").await.unwrap(), app("b:").await.unwrap());
    a.set("k", Bytes::from_static(b"from a"), MINUTE)
        .await
        .unwrap();
    b.set_many(vec![Entry::new("k", "from b", MINUTE)])
        .await
        .unwrap();

    assert_eq!(a.get("k").await.unwrap().as_deref(), Some(&b"from a"[..]));
    assert_eq!(
        b.get_many(&["k".into()]).await.unwrap(),
        vec![Some(Bytes::from("from b"))]
    );
    assert_eq!(server.cli(&["get", "a:k"]).unwrap().trim(), "from a");
    assert_eq!(server.cli(&["get", "b:k"]).unwrap().trim(), "from b");
    assert_eq!(server.cli(&["exists", "k"]).unwrap().trim(), "0");
    assert!(a.delete("k").await.unwrap());
    assert!(
        b.ttl("k").await.unwrap().is_some(),
        "b's entry untouched by a's delete"
    );
    assert_eq!(a.key_prefix(), "a:");
}

#[tokio::test]
async fn ttl_is_sent_as_whole_milliseconds_in_the_set() {
    let server = RedisServer::start().unwrap();
    let cache = RedisCache::from_url(&server.url()).await.unwrap();

    // PX 0 would be refused by Redis: a sub-millisecond TTL is rounded up to 1 ms.
    cache
        .set("tiny", Bytes::from_static(b"v"), Duration::from_nanos(1))
        .await
        .unwrap();
    cache
        .set(
            "short",
            Bytes::from_static(b"v"),
            Duration::from_micros(1500),
        )
        .await
        .unwrap();
    // The longest TTL this backend accepts is one Redis accepts too.
    cache
        .set("longest", Bytes::from_static(b"v"), MAX_TTL)
        .await
        .unwrap();
    let ttl = cache.ttl("longest").await.unwrap().unwrap();
    assert!(ttl > MAX_TTL - MINUTE, "{ttl:?}");
    assert_eq!(cache.max_ttl(), MAX_TTL);

    let stats = server.cli(&["info", "commandstats"]).unwrap();
    assert!(stats.contains("cmdstat_set:calls=3"), "{stats}");
    assert!(
        !stats.contains("cmdstat_expire"),
        "no separate EXPIRE: {stats}"
    );
    assert!(
        !stats.contains("cmdstat_pexpire"),
        "no separate PEXPIRE: {stats}"
    );
}

#[tokio::test]
async fn batches_are_one_round_trip() {
    let server = RedisServer::start().unwrap();
    let cache = RedisCache::from_url(&server.url()).await.unwrap();
    let keys: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
    let entries = keys
        .iter()
        .map(|k| Entry::new(k.clone(), k.clone(), MINUTE))
        .collect();
    cache.set_many(entries).await.unwrap();
    let values = cache.get_many(&keys).await.unwrap();
    assert_eq!(values[49].as_deref(), Some(&b"k49"[..]));
    let stats = server.cli(&["info", "commandstats"]).unwrap();
    assert!(stats.contains("cmdstat_mget:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_set:calls=50,"), "{stats}");
    assert!(!stats.contains("cmdstat_get:"), "{stats}");
}

#[tokio::test]
async fn from_an_existing_client() {
    let server = RedisServer::start().unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let cache = RedisCache::from_client(client).await.unwrap();
    cache
        .set("k", Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    cache.ping().await.unwrap();
    assert!(!cache.is_cluster());
}

#[tokio::test]
async fn password_never_shown() {
    let server = RedisServer::builder().password(SECRET).start().unwrap();
    let url = server.url();
    assert!(url.contains(SECRET));

    let config = RedisConfig::from_url(&url).unwrap().key_prefix("p:");
    assert!(!format!("{config:?}").contains(SECRET));
    let cache = config.build().await.unwrap();
    cache
        .set("k", Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();
    for shown in [format!("{cache:?}"), cache.to_string()] {
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains(&server.port().to_string()), "{shown}");
    }
    let client = RedisCache::from_client(redis::Client::open(url.as_str()).unwrap())
        .await
        .unwrap();
    assert!(!format!("{client:?} {client}").contains(SECRET));

    // A wrong password is refused by the server, and not echoed either.
    let wrong = url.replace(SECRET, "wrong-Pa55");
    let err = RedisCache::from_url(&wrong).await.unwrap_err();
    assert!(matches!(err, Error::Backend { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(
        shown.to_lowercase().contains("authentication failed"),
        "{shown}"
    );
    assert!(
        !shown.contains("wrong-Pa55") && !shown.contains(SECRET),
        "{shown}"
    );
}

#[tokio::test]
async fn a_missing_password_is_refused_by_the_server() {
    let server = RedisServer::builder().password(SECRET).start().unwrap();
    let url = format!("redis://127.0.0.1:{}/0", server.port());
    let refused = match RedisCache::from_url(&url).await {
        // The connection may open without authenticating; then the first command is refused.
        Ok(cache) => cache.get("k").await.unwrap_err(),
        Err(err) => err,
    };
    assert!(matches!(refused, Error::Backend { .. }), "{refused:?}");
    assert!(format!("{refused}").contains("NOAUTH"), "{refused}");
}

#[tokio::test]
async fn bad_configurations_are_invalid_arguments() {
    let missing = RedisCache::builder().build().await.unwrap_err();
    assert!(matches!(missing, Error::InvalidArgument(_)), "{missing:?}");
    let bad_url = RedisCache::builder()
        .url("redis://h:x")
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&bad_url, Error::InvalidArgument(m) if m.contains("port is not a number")),
        "{bad_url:?}"
    );
    let zero = RedisCache::builder()
        .url("redis://127.0.0.1:1")
        .operation_timeout(Duration::ZERO)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(zero, Error::InvalidArgument(_)), "{zero:?}");
    let seeds = RedisCache::builder()
        .cluster_nodes(["redis://:a@h:1", "redis://:b@h:2"])
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&seeds, Error::InvalidArgument(m) if m.contains("seed node 2")),
        "{seeds:?}"
    );
}
