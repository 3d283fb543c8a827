//! The Redis lease's own behaviour, beyond the conformance suite: where its keys live, its
//! scripts surviving a `SCRIPT FLUSH`, and its failures when the server stalls or stops.

use std::time::Duration;

use cache_core::{Cache, Error};
use cache_redis::RedisCache;
use redis_test_server::RedisServer;

const MINUTE: Duration = Duration::from_secs(60);

async fn cache_on(server: &RedisServer, timeout: Duration) -> RedisCache {
    RedisCache::builder()
        .url(server.url())
        .key_prefix("app:")
        .operation_timeout(timeout)
        .build()
        .await
        .unwrap()
}

async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(server.url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

#[tokio::test]
async fn a_lease_is_one_key_under_the_prefix_holding_its_token() {
    let server = RedisServer::start().unwrap();
    let cache = cache_on(&server, MINUTE).await;
    let lease = cache.lease().unwrap();
    let token = lease.try_acquire("n", MINUTE).await.unwrap().unwrap();

    let mut conn = raw(&server).await;
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, vec![b"app:\xfflease:n".to_vec()]);
    let value: String = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(value, token.secret_hex());
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(pttl > 0 && pttl <= 60_000, "{pttl}");

    assert!(lease.extend("n", &token, 2 * MINUTE).await.unwrap());
    let pttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(pttl > 60_000 && pttl <= 120_000, "extended: {pttl}");
    assert!(lease.release("n", &token).await.unwrap());
    let exists: u32 = redis::cmd("EXISTS")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0, "released");
}

#[tokio::test]
async fn scripts_are_loaded_again_after_a_script_flush() {
    let server = RedisServer::start().unwrap();
    let cache = cache_on(&server, MINUTE).await;
    let lease = cache.lease().unwrap();
    let token = lease.try_acquire("n", MINUTE).await.unwrap().unwrap();
    assert!(lease.extend("n", &token, MINUTE).await.unwrap());
    server.cli(&["script", "flush"]).unwrap();
    assert!(lease.extend("n", &token, MINUTE).await.unwrap());
    server.cli(&["script", "flush"]).unwrap();
    assert!(lease.release("n", &token).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_times_lease_calls_out() {
    let server = RedisServer::start().unwrap();
    let timeout = Duration::from_millis(200);
    let cache = cache_on(&server, timeout).await;
    let lease = cache.lease().unwrap();
    let token = lease.try_acquire("held", MINUTE).await.unwrap().unwrap();

    server.cli(&["client", "pause", "1500", "ALL"]).unwrap();
    let taken = lease.try_acquire("other", MINUTE).await;
    assert!(
        matches!(taken, Err(Error::Timeout(t)) if t == timeout),
        "{taken:?}"
    );
    let extended = lease.extend("held", &token, MINUTE).await;
    assert!(matches!(extended, Err(Error::Timeout(_))), "{extended:?}");
    let released = lease.release("held", &token).await;
    assert!(matches!(released, Err(Error::Timeout(_))), "{released:?}");
    // Held until the pause lapses (see the faults tests for why not CLIENT UNPAUSE).
    assert_eq!(server.cli(&["ping"]).unwrap().trim(), "PONG");

    // The abandoned release may have run once the pause ended; whatever it did, the token
    // still tells the truth about who holds the lease.
    let still_ours = lease.extend("held", &token, MINUTE).await.unwrap();
    assert_eq!(lease.release("held", &token).await.unwrap(), still_ours);
    assert!(lease.try_acquire("held", MINUTE).await.unwrap().is_some());
}

#[tokio::test]
async fn a_stopped_server_makes_lease_calls_unavailable() {
    let mut server = RedisServer::start().unwrap();
    let cache = cache_on(&server, MINUTE).await;
    let lease = cache.lease().unwrap();
    let token = lease.try_acquire("n", MINUTE).await.unwrap().unwrap();
    server.stop();
    for outcome in [
        lease.try_acquire("m", MINUTE).await.map(drop),
        lease.extend("n", &token, MINUTE).await.map(drop),
        lease.release("n", &token).await.map(drop),
    ] {
        let error = outcome.unwrap_err();
        assert!(matches!(error, Error::Unavailable { .. }), "{error:?}");
        assert!(error.is_temporary());
    }
}
