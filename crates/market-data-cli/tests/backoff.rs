//! Five `market-data watch` processes sharing a Redis, against a Bybit that fails or bans:
//! the fleet asks it once per back-off between them, every watcher keeps running, and a
//! process started meanwhile serves the cached copy without asking.

mod common;

use std::process::Stdio;
use std::time::Duration;

use bybit_client::testing::{Fault, MockBybit};
use redis_test_server::RedisServer;
use tokio::process::Child;

use common::{market_data, run, stderr, stdout};

const WATCHERS: usize = 5;
/// Short TTLs, so that every watcher wants a refresh every couple of seconds.
const TTLS: [&str; 4] = ["--ttl-instruments", "2s", "--ttl-symbols", "2s"];

/// Fills the cache from a healthy Bybit, then starts the watchers on `failing`.
async fn watchers_on(redis: &RedisServer, failing: &MockBybit) -> Vec<Child> {
    let healthy = MockBybit::start().await;
    let mut args = TTLS.to_vec();
    args.extend(["symbols", "--category", "linear"]);
    let filled = run(&redis.url(), &healthy.base_url(), &args).await;
    assert!(filled.status.success(), "{}", stderr(&filled));
    (0..WATCHERS)
        .map(|_| {
            market_data()
                .args(["--cache", &redis.url(), "--bybit-url", &failing.base_url()])
                .args(TTLS)
                .args(["watch", "--category", "linear", "--interval", "200ms"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect()
}

fn assert_running(watchers: &mut [Child]) {
    for watcher in watchers {
        assert!(
            watcher.try_wait().unwrap().is_none(),
            "a watcher stopped: {:?}",
            watcher.try_wait()
        );
    }
}

/// A process started now on the same cache: served the cached copy, stale, with status 0.
async fn newcomer(redis: &RedisServer, bybit: &MockBybit) {
    let mut args = TTLS.to_vec();
    args.extend(["symbols", "--category", "linear"]);
    let output = run(&redis.url(), &bybit.base_url(), &args).await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), 214, "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banning_bybit_is_asked_at_most_twice_by_five_watchers() {
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::builder()
        .fault(Fault::forbidden(0).always())
        .start()
        .await;
    let mut watchers = watchers_on(&redis, &bybit).await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    let asked = bybit.request_count();
    assert!((1..=2).contains(&asked), "{asked} requests during a ban");
    assert_running(&mut watchers);

    newcomer(&redis, &bybit).await;
    assert_eq!(
        bybit.request_count(),
        asked,
        "a newcomer asks nothing during the ban"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_bybit_is_asked_at_most_twenty_times_in_twenty_seconds_by_five_watchers() {
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::builder()
        .fault(Fault::server_error(0).always())
        .start()
        .await;
    let mut watchers = watchers_on(&redis, &bybit).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    let asked = bybit.request_count();
    assert!(
        (1..=20).contains(&asked),
        "{asked} requests to a failing Bybit"
    );
    assert_running(&mut watchers);
    newcomer(&redis, &bybit).await;
}
