//! A lease holder stopped (SIGSTOP) past its lease, while another process takes the lease
//! and stores a newer list: continued, the holder prints its own answer and stores nothing,
//! so every process goes on serving the newer list.

use std::process::Stdio;
use std::time::Duration;

use bybit_client::Category;
use bybit_client::testing::{Fault, MockBybit};
use redis_test_server::{RedisCluster, RedisServer};

mod common;
use common::{HANG_BOUND, dead_url, market_data, run, stderr, stdout};

/// A contract only the later answer lists.
const NEW: &str = "FENCEUSDT";

fn signal(pid: u32, name: &str) {
    let sent = std::process::Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -s {name} {pid}");
}

async fn fetch_with_a_stalled_holder(cache: &str) {
    // The earlier answer: the recorded list, its first page sent after 3 s.
    let earlier = MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_secs(3)))
        .start()
        .await;
    // The later answer lists one contract more.
    let later = MockBybit::start().await;
    let mut listed = later.instruments(Category::Linear)[0].clone();
    listed["symbol"] = NEW.into();
    later.list_instrument(Category::Linear, listed);

    let symbols = ["--lease-ttl", "1s", "symbols", "--category", "linear"];
    let holder = market_data()
        .args(["--cache", cache, "--bybit-url", &earlier.base_url()])
        .args(symbols)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = holder.id().unwrap();
    while earlier.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(pid, "STOP");
    // Stopped, the holder cannot extend its lease of 1 s: it lapses.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let newer = run(cache, &later.base_url(), &symbols).await;
    assert!(newer.status.success(), "{}", stderr(&newer));
    assert!(
        stdout(&newer).lines().any(|s| s == NEW),
        "{}",
        stderr(&newer)
    );
    signal(pid, "CONT");

    let held = tokio::time::timeout(HANG_BOUND, holder.wait_with_output())
        .await
        .expect("the continued holder exits")
        .unwrap();
    assert!(held.status.success(), "{}", stderr(&held));
    assert!(
        !stdout(&held).lines().any(|s| s == NEW),
        "the holder prints the answer it fetched"
    );

    let after = run(cache, &dead_url(), &["symbols", "--category", "linear"]).await;
    assert!(after.status.success(), "{}", stderr(&after));
    assert!(
        stdout(&after).lines().any(|s| s == NEW),
        "the newer list stays stored; the holder said: {}",
        stderr(&held)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_stopped_past_its_lease_never_overwrites_a_newer_list_on_redis() {
    let redis = RedisServer::start().unwrap();
    fetch_with_a_stalled_holder(&redis.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_stopped_past_its_lease_never_overwrites_a_newer_list_on_a_cluster() {
    // The lease and the lists hash to different slots here: the fence extends the lease
    // before each write instead of checking it in the write's own script.
    let cluster = RedisCluster::start(3).unwrap();
    let url = format!("redis+cluster://{}", cluster.addrs().join(","));
    fetch_with_a_stalled_holder(&url).await;
}
