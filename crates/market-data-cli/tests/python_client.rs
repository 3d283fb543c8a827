//! The README's Python client (standard library only) against `market-data serve` over
//! Redis: the instruments revalidated with their ETag, and the change events, continued
//! after the last one seen.

mod common;

use std::process::Stdio;

use bybit_client::Category;
use bybit_client::models::Status;
use bybit_client::testing::MockBybit;
use redis_test_server::RedisServer;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use common::http::{ANSWER_BOUND, get};
use common::sidecar::Sidecar;

const CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../market-data-http/clients/market_data_client.py"
);
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");

/// `python3 market_data_client.py BASE COUNT [LAST_EVENT_ID]`.
fn client(base: &str, count: usize, last: Option<&str>) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut command = tokio::process::Command::new("python3");
    command
        .arg(CLIENT)
        .arg(base)
        .arg(count.to_string())
        .args(last)
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("python3 runs");
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

async fn line(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    tokio::time::timeout(ANSWER_BOUND, lines.next_line())
        .await
        .expect("the client printed nothing")
        .unwrap()
        .expect("the client ended")
}

/// The event id and the event's JSON of a line the client printed.
fn event(line: &str) -> (String, String) {
    let (id, json) = line.split_once(' ').unwrap();
    (id.to_owned(), json.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_python_client_revalidates_and_follows_the_events() {
    let readme = std::fs::read_to_string(README).unwrap();
    let source = std::fs::read_to_string(CLIENT).unwrap();
    assert!(readme.contains(&source), "the README shows another client");

    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let args = ["--ttl-instruments", "1s"];
    let sidecar = Sidecar::start(&redis.url(), &bybit.base_url(), &args).await;

    let (mut child, mut lines) = client(&sidecar.base, 3, None);
    assert_eq!(
        line(&mut lines).await,
        "214 linear instruments, first 10000NFTUSDT"
    );
    assert_eq!(line(&mut lines).await, "unchanged");
    let (_, snapshot) = event(&line(&mut lines).await);
    assert_eq!(
        snapshot,
        r#"{"event":"snapshot","category":"linear","count":214}"#
    );
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let (delisted_id, delisted) = event(&line(&mut lines).await);
    assert_eq!(
        delisted,
        r#"{"event":"delisted","category":"linear","symbol":"BTCUSDT"}"#
    );
    assert!(bybit.set_status(Category::Linear, "ETHUSDT", Status::Closed));
    let (_, status) = event(&line(&mut lines).await);
    let closed = r#"{"event":"status","category":"linear","symbol":"ETHUSDT","from":"Trading","to":"Closed"}"#;
    assert_eq!(status, closed);
    assert!(child.wait().await.unwrap().success());

    // Started again after the delisting: the change that followed it, no snapshot.
    let (mut child, mut lines) = client(&sidecar.base, 1, Some(&delisted_id));
    assert_eq!(
        line(&mut lines).await,
        "213 linear instruments, first 10000NFTUSDT"
    );
    line(&mut lines).await;
    assert_eq!(event(&line(&mut lines).await).1, closed);
    assert!(child.wait().await.unwrap().success());

    // Each run's second read was a 304.
    let metrics = get(&sidecar.base, "/metrics", &[]).await;
    let text = String::from_utf8(metrics.body.to_vec()).unwrap();
    let series = "market_data_http_requests_total{route=\"/v1/bybit/{category}/instruments\",status=\"304\"} 2";
    assert!(text.lines().any(|l| l == series), "{text}");
}
