//! A server that dies, comes back, or stalls: exact outcomes, then recovery in-process.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Error};
use cache_redis::RedisCache;
use redis_test_server::RedisServer;

const MINUTE: Duration = Duration::from_secs(60);
const WORKERS: usize = 8;
/// A bound on each worker's loop; the kill ends them long before.
const MAX_ROUNDS: usize = 10_000_000;

/// A timeout far longer than any call on loopback takes, so that an `Unavailable` can only
/// come from a refused or dropped connection, never from waiting the limit out.
const PATIENT: Duration = Duration::from_secs(10);

async fn cache_on(server: &RedisServer, timeout: Duration) -> RedisCache {
    RedisCache::builder()
        .url(server.url())
        .operation_timeout(timeout)
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_flight_fails_fast_then_recovers_after_restart() {
    let mut server = RedisServer::start().unwrap();
    let cache = cache_on(&server, PATIENT).await;
    cache
        .set("k", Bytes::from_static(b"before"), MINUTE)
        .await
        .unwrap();

    // Readers and writers hammer the server, each until its first failure, while it is
    // killed under them.
    let started = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..WORKERS {
        let (cache, started) = (cache.clone(), started.clone());
        tasks.spawn(async move {
            for round in 0..MAX_ROUNDS {
                let outcome = if worker % 2 == 0 {
                    cache.get("k").await.map(drop)
                } else {
                    let value = Bytes::from(format!("{worker}:{round}"));
                    cache.set(&format!("w{worker}"), value, MINUTE).await
                };
                match outcome {
                    Ok(()) if round == 0 => drop(started.fetch_add(1, Ordering::SeqCst)),
                    Ok(()) => {}
                    Err(error) => return (round, Some(error)),
                }
            }
            (MAX_ROUNDS, None)
        });
    }
    while started.load(Ordering::SeqCst) < WORKERS {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.stop();

    while let Some(done) = tasks.join_next().await {
        let (succeeded, error) = done.unwrap();
        assert!(succeeded > 0, "every worker ran before the kill");
        match error {
            Some(Error::Unavailable { .. }) => {}
            other => panic!("an in-flight call ended with {other:?}, not Unavailable"),
        }
    }

    // Down: every kind of call fails with Unavailable, not a timeout.
    for _ in 0..3 {
        assert!(matches!(
            cache.get("k").await,
            Err(Error::Unavailable { .. })
        ));
        let set = cache.set("k", Bytes::from_static(b"x"), MINUTE).await;
        assert!(matches!(set, Err(Error::Unavailable { .. })), "{set:?}");
        assert!(matches!(
            cache.ttl("k").await,
            Err(Error::Unavailable { .. })
        ));
        assert!(matches!(
            cache.get_many(&["k".into()]).await,
            Err(Error::Unavailable { .. })
        ));
    }

    // Back, empty (nothing persisted): the very next calls succeed on the same cache.
    server.restart().unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None);
    cache
        .set("k", Bytes::from_static(b"after"), MINUTE)
        .await
        .unwrap();
    assert_eq!(
        cache.get("k").await.unwrap().as_deref(),
        Some(&b"after"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connection_recovers_after_restart() {
    let mut server = RedisServer::start().unwrap();
    let cache = cache_on(&server, PATIENT).await;
    cache
        .set("k", Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();
    server.restart().unwrap();
    // The first call after the restart finds the connection the server closed, and
    // reconnects within the same call.
    assert_eq!(
        cache.get("k").await.unwrap(),
        None,
        "the restarted server is empty"
    );
    cache
        .set("k", Bytes::from_static(b"v2"), MINUTE)
        .await
        .unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v2"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_command_leaves_the_connection_usable() {
    let server = RedisServer::start().unwrap();
    let timeout = Duration::from_millis(200);
    let cache = cache_on(&server, timeout).await;
    cache
        .set("a", Bytes::from_static(b"value a"), MINUTE)
        .await
        .unwrap();
    cache
        .set("b", Bytes::from_static(b"value b"), MINUTE)
        .await
        .unwrap();

    // The server stops serving commands (other than the admin's) until unpaused.
    server.cli(&["client", "pause", "3000", "ALL"]).unwrap();
    let stalled = cache.get("a").await;
    assert!(
        matches!(stalled, Err(Error::Timeout(t)) if t == timeout),
        "{stalled:?}"
    );
    let stalled = cache.set("c", Bytes::from_static(b"c"), MINUTE).await;
    assert!(matches!(stalled, Err(Error::Timeout(_))), "{stalled:?}");
    // Let the pause lapse rather than `CLIENT UNPAUSE`, which in Redis 7.0 also drops keys
    // that have a TTL. This PING is itself held until the pause ends.
    assert_eq!(server.cli(&["ping"]).unwrap().trim(), "PONG");

    // The late replies to the abandoned commands are not handed to the next ones.
    assert_eq!(
        cache.get("b").await.unwrap().as_deref(),
        Some(&b"value b"[..])
    );
    assert_eq!(
        cache.get("a").await.unwrap().as_deref(),
        Some(&b"value a"[..])
    );
    assert_eq!(
        cache.get_many(&["b".into(), "a".into()]).await.unwrap(),
        vec![
            Some(Bytes::from_static(b"value b")),
            Some(Bytes::from_static(b"value a"))
        ]
    );
}

#[tokio::test]
async fn build_against_a_stopped_server_is_unavailable() {
    let mut server = RedisServer::start().unwrap();
    let url = server.url();
    server.stop();
    let err = RedisCache::builder().url(&url).build().await.unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
}

#[tokio::test]
async fn server_refusals_are_backend_errors() {
    let server = RedisServer::builder()
        .arg("--maxmemory")
        .arg("2mb")
        .arg("--maxmemory-policy")
        .arg("noeviction")
        .start()
        .unwrap();
    let cache = RedisCache::builder()
        .url(server.url())
        .key_prefix("app:")
        .build()
        .await
        .unwrap();
    server.cli(&["lpush", "app:list", "x"]).unwrap();
    let err = cache.get("list").await.unwrap_err();
    assert!(
        matches!(&err, Error::Backend { message, .. } if message.contains("WRONGTYPE")),
        "{err:?}"
    );

    let big = Bytes::from(vec![7u8; 4 << 20]);
    let err = cache.set("big", big.clone(), MINUTE).await.unwrap_err();
    assert!(
        matches!(&err, Error::Backend { message, .. } if message.contains("OOM")),
        "{err:?}"
    );
    let err = cache
        .set_many(vec![cache_core::Entry::new("big", big, MINUTE)])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Backend { .. }), "{err:?}");
    // Refusals leave the connection as it was.
    assert_eq!(cache.get("big").await.unwrap(), None);
    assert!(cache.delete("list").await.unwrap());
}

/// The server drops the cache's connection (`CLIENT KILL`), and keeps its data.
fn drop_connections(server: &RedisServer) {
    let killed = server.cli(&["client", "kill", "type", "normal"]).unwrap();
    assert_ne!(killed.trim(), "0", "the cache's connection was open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_retried_for_reads_and_writes() {
    let server = RedisServer::start().unwrap();
    let cache = cache_on(&server, PATIENT).await;
    cache
        .set("k", Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();

    drop_connections(&server);
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    drop_connections(&server);
    cache
        .set("k", Bytes::from_static(b"v2"), MINUTE)
        .await
        .unwrap();
    drop_connections(&server);
    let values = cache.get_many(&["k".into()]).await.unwrap();
    assert_eq!(values, vec![Some(Bytes::from_static(b"v2"))]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_on_a_dropped_connection_is_not_sent_again() {
    let server = RedisServer::start().unwrap();
    let cache = cache_on(&server, PATIENT).await;
    cache
        .set("k", Bytes::from_static(b"v"), MINUTE)
        .await
        .unwrap();

    drop_connections(&server);
    // A DEL that failed on a dropped connection may have been carried out; sending it again
    // could report a key it removed as absent, so the caller is told it failed instead.
    let deleted = cache.delete("k").await;
    assert!(
        matches!(deleted, Err(Error::Unavailable { .. })),
        "{deleted:?}"
    );
    // Here it never reached the server; the next call reconnects and deletes the key.
    assert_eq!(server.cli(&["exists", "k"]).unwrap().trim(), "1");
    assert!(cache.delete("k").await.unwrap());
    assert_eq!(cache.get("k").await.unwrap(), None);
}
