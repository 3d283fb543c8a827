//! Read-throughs whose local caches follow Redis's notifications, over one server and over a
//! cluster: another instance's write is seen without a stale serve past the announcement,
//! held values are served without a round trip, and a killed subscription falls back to
//! validation until it is back, then serves on notices again; and a fleet waiter looks as soon
//! as the result it waits for is announced.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cache_core::{Cache, Codec, Signal, TypedCache};
use cache_policy::{Fleet, Freshness, LocalCache, ReadThrough, Source};
use cache_redis::RedisCache;
use common::{Cluster, Standalone};

const HOUR: Duration = Duration::from_secs(3600);
/// Far beyond any delivery on one machine: only a lost announcement or a subscription that
/// never comes back reaches it.
const PATIENCE: Duration = Duration::from_secs(15);

type Symbols = ReadThrough<Vec<String>, String, RedisCache>;

async fn connect(url: &str) -> RedisCache {
    RedisCache::builder()
        .url(url)
        .key_prefix("notified:")
        .operation_timeout(Duration::from_secs(2))
        .build()
        .await
        .unwrap()
}

/// A read-through on a connection of its own, following its notifications.
async fn symbols(url: &str) -> Symbols {
    let cache = connect(url).await;
    let local = LocalCache::new(16 << 20);
    assert!(local.follow(&cache));
    let symbols = ReadThrough::new(
        TypedCache::new(cache, Codec::msgpack()),
        Freshness::new(HOUR),
    )
    .with_local(local);
    wait_until("the subscription is up", || is_notified(&symbols)).await;
    symbols
}

fn is_notified(symbols: &Symbols) -> bool {
    symbols.local().unwrap().is_notified()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {PATIENCE:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn list(names: &[&str]) -> Arc<Vec<String>> {
    Arc::new(names.iter().map(|&n| n.to_owned()).collect())
}

async fn read(cache: &Symbols, key: &str) -> Vec<String> {
    let unused = || async { Err("the upstream is not called".to_owned()) };
    let found = cache.get(key, unused).await.unwrap();
    assert_eq!(found.source, Source::Cache);
    found.value.to_vec()
}

/// Reads `key` from `cache` until it serves `expected`; every read before serves `old`.
async fn read_until(cache: &Symbols, key: &str, old: &[&str], expected: &[&str]) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let seen = read(cache, key).await;
        if seen == expected {
            return;
        }
        assert_eq!(seen, old, "only the old or the new version is served");
        assert!(
            tokio::time::Instant::now() < deadline,
            "{expected:?} never served"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn writes_are_announced_to_the_other_instance(url: &str) {
    let (a, b) = (symbols(url).await, symbols(url).await);
    a.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    for _ in 0..10 {
        assert_eq!(read(&b, "k").await, ["BTCUSDT"]);
    }
    let before = b.stats();
    assert!(before.notified_hits >= 1, "{before:?}");
    assert_eq!(before.local_hits, 9, "{before:?}");
    assert_eq!(
        before.local_hits,
        before.notified_hits + before.validations,
        "each local hit validated or served on notices: {before:?}"
    );

    a.put_shared("k", list(&["ETHUSDT"])).await.unwrap();
    read_until(&b, "k", &["BTCUSDT"], &["ETHUSDT"]).await;
    wait_until("the notice is counted", || {
        b.stats().notices > before.notices
    })
    .await;

    assert!(a.remove("k").await.unwrap());
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let found = b
            .get("k", || async { Ok(vec!["XRPUSDT".to_owned()]) })
            .await;
        let found = found.unwrap();
        if found.source == Source::Upstream {
            break;
        }
        assert_eq!(*found.value, ["ETHUSDT"]);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the delete never seen"
        );
    }
    assert_eq!(b.stats().fallbacks, 0, "{:?}", b.stats());
}

#[tokio::test]
async fn on_one_server_writes_are_announced_to_the_other_instance() {
    let fixture = Standalone::start("notified:").await;
    writes_are_announced_to_the_other_instance(&fixture.server.url()).await;
}

#[tokio::test]
async fn on_a_cluster_writes_are_announced_to_the_other_instance() {
    let fixture = Cluster::start("notified:").await;
    let url = format!("redis+cluster://{}", fixture.cluster.addrs().join(","));
    writes_are_announced_to_the_other_instance(&url).await;
}

#[tokio::test]
async fn a_killed_subscription_falls_back_to_validation_then_serves_on_notices_again() {
    let fixture = Standalone::start("notified:").await;
    let url = fixture.server.url();
    let (writer, cache) = (symbols(&url).await, symbols(&url).await);
    writer.put_shared("k", list(&["BTCUSDT"])).await.unwrap();
    // Read in full, validated (once more if this write's own notice comes late), then
    // served on notices.
    for _ in 0..5 {
        assert_eq!(read(&cache, "k").await, ["BTCUSDT"]);
    }
    assert!(cache.stats().notified_hits >= 1, "{:?}", cache.stats());

    let admin = redis::Client::open(url.as_str()).unwrap();
    let mut admin = admin.get_multiplexed_async_connection().await.unwrap();
    // No new connection until the test allows it: the subscription stays down meanwhile.
    let connected = clients(&mut admin).await;
    config_maxclients(&mut admin, connected - 2).await;
    let killed: u64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query_async(&mut admin)
        .await
        .unwrap();
    assert_eq!(killed, 2, "one subscription per instance");
    wait_until("the loss is noticed", || !is_notified(&cache)).await;

    // Announcements are lost now: this write is seen by validation.
    writer.put_shared("k", list(&["ETHUSDT"])).await.unwrap();
    let down = cache.stats();
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    let after = cache.stats();
    assert_eq!(after.fallbacks, down.fallbacks + 2, "{after:?}");
    assert_eq!(after.validations, down.validations + 2, "{after:?}");
    assert_eq!(after.notified_hits, down.notified_hits, "{after:?}");
    assert!(!is_notified(&cache), "refused meanwhile");

    config_maxclients(&mut admin, 10_000).await;
    wait_until("the subscription is back", || is_notified(&cache)).await;
    let back = cache.stats();
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    assert_eq!(read(&cache, "k").await, ["ETHUSDT"]);
    let again = cache.stats();
    assert_eq!(again.fallbacks, back.fallbacks, "{again:?}");
    assert_eq!(
        (again.validations, again.notified_hits),
        (back.validations + 1, back.notified_hits + 1),
        "checked once after the reconnect, then served on notices: {again:?}"
    );

    writer.put_shared("k", list(&["SOLUSDT"])).await.unwrap();
    read_until(&cache, "k", &["ETHUSDT"], &["SOLUSDT"]).await;
}

async fn clients(admin: &mut redis::aio::MultiplexedConnection) -> u64 {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(admin)
        .await
        .unwrap();
    list.lines().count() as u64
}

async fn config_maxclients(admin: &mut redis::aio::MultiplexedConnection, max: u64) {
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxclients")
        .arg(max)
        .query_async(admin)
        .await
        .unwrap();
}

/// A fleet waiter on one connection is woken by the announcement of the holder's write on
/// another: its own next look would come a minute later.
async fn a_fleet_waiter_looks_when_the_result_is_announced(url: &str) {
    let (holder, waiter) = (connect(url).await, connect(url).await);
    // Announcements reach a subscription once it is up: a MarketData's is by then.
    let up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _watch = waiter.notifications().unwrap().subscribe({
        let up = up.clone();
        Arc::new(move |signal: &Signal<'_>| {
            if *signal == Signal::Up {
                up.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        })
    });
    wait_until("the waiter's subscription is up", || {
        up.load(std::sync::atomic::Ordering::SeqCst)
    })
    .await;
    let fleet = Fleet::new()
        .with_poll(Duration::from_secs(60), Duration::from_secs(60))
        .unwrap()
        .with_max_wait(HOUR);
    let ready = |cache: RedisCache| {
        move || {
            let cache = cache.clone();
            async move { cache.get("result").await.unwrap() }
        }
    };
    let working = {
        let (fleet, holder) = (fleet.clone(), holder.clone());
        tokio::spawn(async move {
            let work = || async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                holder.set("result", vec![7].into(), HOUR).await.unwrap();
                bytes::Bytes::from(vec![7])
            };
            fleet
                .run(&holder, "turns", ready(holder.clone()), work)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The holder works; were the waiter to, it would wait past the timeout below.
    let never = std::future::pending::<bytes::Bytes>;
    let waited = fleet.run_watching(&waiter, "turns", "result", ready(waiter.clone()), never);
    let got = tokio::time::timeout(PATIENCE, waited)
        .await
        .expect("woken by the announcement, not by its next look");
    assert_eq!(
        (&got[..], &working.await.unwrap()[..]),
        (&[7][..], &[7][..])
    );
    let stats = fleet.stats();
    assert_eq!(
        (stats.won, stats.lost, stats.waited),
        (1, 1, 1),
        "{stats:?}"
    );
}

#[tokio::test]
async fn on_one_server_a_fleet_waiter_looks_when_the_result_is_announced() {
    let fixture = Standalone::start("notified:").await;
    a_fleet_waiter_looks_when_the_result_is_announced(&fixture.server.url()).await;
}

#[tokio::test]
async fn on_a_cluster_a_fleet_waiter_looks_when_the_result_is_announced() {
    let fixture = Cluster::start("notified:").await;
    let url = format!("redis+cluster://{}", fixture.cluster.addrs().join(","));
    a_fleet_waiter_looks_when_the_result_is_announced(&url).await;
}
