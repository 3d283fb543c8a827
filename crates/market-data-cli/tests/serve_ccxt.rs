//! `/v1/ccxt/bybit/markets` judged by ccxt itself: ccxt 4.5's own `fetch_markets()` asks the
//! same mock Bybit the sidecar fetches from, over HTTP, and every market it makes must equal
//! the sidecar's, key by key (`pip install -r crates/ccxt-markets/tests/oracle/requirements.txt`).

mod common;

use bybit_client::testing::MockBybit;
use redis_test_server::RedisServer;

use common::HANG_BOUND;
use common::sidecar::Sidecar;

const CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/clients/ccxt_beside_sidecar.py"
);

/// Runs ccxt beside the sidecar for `path`, ccxt configured with `options`.
async fn alike(bybit: &MockBybit, sidecar: &Sidecar, path: &str, options: &str) {
    let run = tokio::process::Command::new("python3")
        .args([CLIENT, &bybit.base_url(), &sidecar.base, path, options])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(HANG_BOUND, run)
        .await
        .expect("the ccxt client ends")
        .expect("python3 runs");
    let said = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    assert!(
        output.status.success(),
        "{path}: {}{}\nsidecar: {}\nBybit saw: {:?}",
        said(&output.stdout),
        said(&output.stderr),
        sidecar.stderr(),
        bybit.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidecar_serves_the_markets_ccxt_makes_of_the_same_answers() {
    let redis = RedisServer::start().unwrap();
    // Bybit's last page can carry a cursor, which leads to an empty page: ccxt pages until
    // one comes back empty.
    // Pages of 1000, as Bybit answers the `limit=1000` both ask for.
    let bybit = MockBybit::builder()
        .page_size(1000)
        .trailing_cursor(true)
        .start()
        .await;
    // ccxt asks for the pre-launch contracts too.
    let sidecar = Sidecar::start(&redis.url(), &bybit.base_url(), &["--prelaunch"]).await;
    alike(&bybit, &sidecar, "/v1/ccxt/bybit/markets", "{}").await;
    alike(
        &bybit,
        &sidecar,
        "/v1/ccxt/bybit/markets?types=option,linear&optionBaseCoins=btc",
        r#"{"types": ["option", "linear"], "options": ["BTC"]}"#,
    )
    .await;
}
