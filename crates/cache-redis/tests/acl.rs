//! A Redis user with fewer rights than the cache would like: without channel rights (Redis
//! 7's default for a new user, `acl-pubsub-default resetchannels`) or without `@scripting`
//! on a cluster, where an announcement is a script. The announcement of a write is
//! best-effort, so every write still succeeds; the subscription cannot be made, so local
//! caches validate every read; leases whose scripts are refused leave the caller to work
//! alone. And with announcements turned off nothing is published at all.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Cache, Codec, Entry, TypedCache};
use cache_policy::{Fleet, Freshness, LocalCache, ReadThrough, Source};
use cache_redis::RedisCache;
use futures::StreamExt;
use redis_test_server::{RedisCluster, RedisServer};

const HOUR: Duration = Duration::from_secs(3600);
/// Far beyond anything a server on this machine takes to answer or to deliver a message.
const PATIENCE: Duration = Duration::from_secs(10);
const PREFIX: &str = "acl:";
/// The channel the caches below announce on (database 0).
const CHANNEL: &str = "acl:__cache_notices:0";

/// Rights for every key and command, but no channel: what `ACL SETUSER` gives a new user on
/// Redis 7 unless `&*` is added.
const NO_CHANNELS: &[&str] = &["ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all"];
/// Rights for every key, channel and command except scripts.
const NO_SCRIPTS: &[&str] = &[
    "ACL",
    "SETUSER",
    "app",
    "on",
    ">pw",
    "~*",
    "&*",
    "+@all",
    "-@scripting",
];

async fn app_cache(url: String) -> RedisCache {
    RedisCache::builder()
        .url(url)
        .key_prefix(PREFIX)
        .operation_timeout(Duration::from_secs(5))
        .build()
        .await
        .expect("the restricted user connects")
}

/// A server with the user `app` (password `pw`) created with `rights`, and a cache as that
/// user.
async fn standalone_as_app(rights: &[&str]) -> (RedisServer, RedisCache) {
    let server = RedisServer::start().unwrap();
    assert_eq!(server.cli(rights).unwrap().trim(), "OK");
    let url = format!("redis://app:pw@127.0.0.1:{}/0", server.port());
    let cache = app_cache(url).await;
    (server, cache)
}

/// A cluster whose every node has the user `app` created with `rights`, and a cache as that
/// user.
async fn cluster_as_app(rights: &[&str]) -> (RedisCluster, RedisCache) {
    let cluster = RedisCluster::start(3).unwrap();
    for node in cluster.nodes() {
        assert_eq!(node.cli(rights).unwrap().trim(), "OK");
    }
    let url = format!("redis+cluster://app:pw@{}", cluster.addrs().join(","));
    let cache = app_cache(url).await;
    assert!(cache.is_cluster());
    (cluster, cache)
}

/// `set`, `set_many` and `delete` all succeed, and what they did is there.
async fn writes_succeed(cache: &RedisCache) {
    cache
        .set("one", Bytes::from_static(b"1"), HOUR)
        .await
        .expect("set succeeds although its announcement is refused");
    let many: Vec<Entry> = (0..20)
        .map(|i| Entry::new(format!("many{i}"), Bytes::from(i.to_string()), HOUR))
        .collect();
    cache
        .set_many(many)
        .await
        .expect("set_many succeeds although its announcements are refused");
    assert_eq!(cache.get("one").await.unwrap().as_deref(), Some(&b"1"[..]));
    for i in 0..20 {
        let value = cache.get(&format!("many{i}")).await.unwrap();
        assert_eq!(value.as_deref(), Some(i.to_string().as_bytes()), "many{i}");
    }
    assert!(
        cache
            .delete("one")
            .await
            .expect("delete succeeds although its announcement is refused"),
        "delete reports the key it removed"
    );
    assert!(
        !cache.delete("one").await.unwrap(),
        "and then that it is gone"
    );
    assert_eq!(cache.get("one").await.unwrap(), None);
}

#[tokio::test]
async fn writes_succeed_for_a_user_without_channel_rights() {
    let (_server, cache) = standalone_as_app(NO_CHANNELS).await;
    writes_succeed(&cache).await;
}

#[tokio::test]
async fn writes_succeed_on_a_cluster_for_a_user_without_scripting() {
    let (_cluster, cache) = cluster_as_app(NO_SCRIPTS).await;
    writes_succeed(&cache).await;
}

/// How many commands the server refused `app`, as its ACL log counts them (entries of the
/// same refusal are merged, their `count` added up).
fn refusals(server: &RedisServer) -> u64 {
    let log = server.cli(&["ACL", "LOG"]).unwrap();
    let lines: Vec<&str> = log.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|pair| pair[0] == "count")
        .map(|pair| pair[1].parse::<u64>().unwrap())
        .sum()
}

#[tokio::test]
async fn after_a_refused_announcement_writes_stop_sending_them() {
    let (server, cache) = standalone_as_app(NO_CHANNELS).await;
    for i in 0..30 {
        cache
            .set(&format!("k{i}"), Bytes::from_static(b"v"), HOUR)
            .await
            .unwrap();
        cache.delete(&format!("k{i}")).await.unwrap();
    }
    assert_eq!(
        refusals(&server),
        1,
        "one refused PUBLISH, not one per write: {}",
        server.cli(&["ACL", "LOG"]).unwrap()
    );
}

/// A privileged connection subscribed to the caches' channel.
async fn listen(server: &RedisServer) -> redis::aio::PubSubStream {
    let client = redis::Client::open(server.url()).unwrap();
    let (mut sink, stream) = client.get_async_pubsub().await.unwrap().split();
    sink.subscribe(CHANNEL).await.unwrap();
    // The sink is dropped; the stream keeps the connection and its subscription.
    stream
}

#[tokio::test]
async fn with_announcements_off_nothing_is_published() {
    let server = RedisServer::start().unwrap();
    let mut messages = listen(&server).await;
    let quiet = RedisCache::builder()
        .url(server.url())
        .key_prefix(PREFIX)
        .announce(false)
        .build()
        .await
        .unwrap();
    assert!(!quiet.announces());
    let quiet_by_url = RedisCache::builder()
        .url(format!("{}?announce=off", server.url()))
        .key_prefix(PREFIX)
        .build()
        .await
        .unwrap();
    assert!(!quiet_by_url.announces());
    let loud = RedisCache::builder()
        .url(server.url())
        .key_prefix(PREFIX)
        .build()
        .await
        .unwrap();
    assert!(loud.announces());

    quiet
        .set("quiet", Bytes::from_static(b"1"), HOUR)
        .await
        .unwrap();
    quiet
        .set_many(vec![Entry::new(
            "quiet-many",
            Bytes::from_static(b"2"),
            HOUR,
        )])
        .await
        .unwrap();
    assert!(quiet.delete("quiet").await.unwrap());
    assert_eq!(
        quiet.get("quiet-many").await.unwrap().as_deref(),
        Some(&b"2"[..])
    );
    quiet_by_url
        .set("quiet", Bytes::from_static(b"4"), HOUR)
        .await
        .unwrap();
    assert!(quiet_by_url.delete("quiet").await.unwrap());
    // The server handles commands one at a time, and delivers messages to a subscriber in
    // the order they were published: had the quiet writes published anything, it would come
    // before this.
    loud.set("loud", Bytes::from_static(b"3"), HOUR)
        .await
        .unwrap();
    let first = tokio::time::timeout(PATIENCE, messages.next())
        .await
        .expect("the announcing cache's write is announced")
        .unwrap();
    let payload = first.get_payload_bytes();
    assert!(
        payload.ends_with(b"loud"),
        "the first message on the channel is the announcing cache's: {payload:?}"
    );
}

type Symbols = ReadThrough<Vec<String>, String, RedisCache>;

#[tokio::test]
async fn a_user_without_channel_rights_cannot_subscribe_and_local_caches_validate() {
    let (server, cache) = standalone_as_app(NO_CHANNELS).await;
    let local = LocalCache::new(1 << 20);
    assert!(local.follow(&cache));
    let symbols: Symbols = ReadThrough::new(
        TypedCache::new(cache, Codec::msgpack()),
        Freshness::new(HOUR),
    )
    .with_local(local.clone());
    let admin = TypedCache::new(
        RedisCache::builder()
            .url(server.url())
            .key_prefix(PREFIX)
            .build()
            .await
            .unwrap(),
        Codec::msgpack(),
    );
    let unused = || async { Err::<Vec<String>, _>("the upstream is not called".to_owned()) };

    admin
        .set("symbols", &vec!["A".to_owned()], HOUR)
        .await
        .unwrap();
    let first = symbols.get("symbols", unused).await.unwrap();
    assert_eq!(
        (first.source, first.value.as_slice()),
        (Source::Cache, &["A".to_owned()][..])
    );
    // A privileged writer changes the value; the restricted reader hears nothing of it, and
    // still serves the new value on its very next read, since it validates.
    admin
        .set("symbols", &vec!["B".to_owned()], HOUR)
        .await
        .unwrap();
    for _ in 0..5 {
        let read = symbols.get("symbols", unused).await.unwrap();
        assert_eq!(read.value.as_slice(), &["B".to_owned()][..]);
    }
    assert!(
        !local.is_notified(),
        "a subscription the server refuses never counts as up"
    );
    assert_eq!(symbols.stats().notified_hits, 0);
}

#[tokio::test]
async fn a_fleet_whose_lease_scripts_are_refused_still_serves_every_read() {
    let (_cluster, cache) = cluster_as_app(NO_SCRIPTS).await;
    let fleet = Fleet::new()
        .with_lease_ttl(Duration::from_millis(300))
        .unwrap();
    let symbols: Symbols = ReadThrough::new(
        TypedCache::new(cache, Codec::msgpack()),
        Freshness::new(Duration::from_millis(1)),
    )
    .with_fleet(fleet.clone());
    // Each read finds the value stale and fetches, under a lease it takes (SET NX works) but
    // can neither extend nor release (both are scripts); the next fetch finds that lease
    // still held and waits for it to expire or for the result, then fetches all the same.
    for round in 0..4 {
        let fetched = Arc::new(vec![format!("S{round}")]);
        let upstream = || {
            let fetched = fetched.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(250)).await;
                Ok::<_, String>((*fetched).clone())
            }
        };
        let read = tokio::time::timeout(PATIENCE, symbols.get("symbols", upstream))
            .await
            .expect("a read does not hang on a lease it cannot release")
            .expect("a read does not fail on a lease it cannot use");
        assert_eq!(read.value.as_slice(), fetched.as_slice(), "round {round}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
