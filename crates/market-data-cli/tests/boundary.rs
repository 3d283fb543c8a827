//! Announced changes reach every process that reads the cache, not only those that fetched:
//! a new process that reads only `symbols` from a list another stored stops serving a
//! contract once its delivery has passed, and a list that still showed the contract just
//! after its delivery (Bybit's list can lag it) is asked for again within seconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bybit_client::Category;
use bybit_client::testing::MockBybit;
use redis_test_server::RedisServer;

mod common;
use common::{run, stderr, stdout};

/// A perpetual in the recorded list, given a delivery time by the tests.
const DELIVERED: &str = "ETHUSDT";

fn symbols_args() -> [&'static str; 3] {
    ["symbols", "--category", "linear"]
}

/// Bybit with `DELIVERED` to be delivered `after` from now, and that moment.
async fn delivering(after: Duration) -> (MockBybit, SystemTime) {
    let bybit = MockBybit::start().await;
    let delivery = SystemTime::now() + after;
    let millis = delivery.duration_since(UNIX_EPOCH).unwrap().as_millis();
    assert!(bybit.set_field(
        Category::Linear,
        DELIVERED,
        "deliveryTime",
        millis.to_string().into()
    ));
    (bybit, delivery)
}

async fn sleep_until(moment: SystemTime) {
    let left = moment.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::sleep(left).await;
}

/// Runs `symbols` on `cache` against `bybit`: whether it printed `DELIVERED`.
async fn lists_delivered(cache: &str, bybit: &MockBybit) -> bool {
    let output = run(cache, &bybit.base_url(), &symbols_args()).await;
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).lines().any(|symbol| symbol == DELIVERED)
}

/// Pagination runs Bybit saw.
fn runs(bybit: &MockBybit) -> usize {
    bybit.requests().iter().filter(|r| r.page == 0).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_process_reading_only_symbols_stops_serving_a_delivered_contract() {
    let redis = RedisServer::start().unwrap();
    let (bybit, delivery) = delivering(Duration::from_millis(2500)).await;
    assert!(lists_delivered(&redis.url(), &bybit).await);
    // What Bybit lists once the contract is delivered.
    assert!(bybit.delist(Category::Linear, DELIVERED));

    sleep_until(delivery + Duration::from_millis(1200)).await;
    assert!(
        !lists_delivered(&redis.url(), &bybit).await,
        "a process started 1.2 s after the delivery serves the list fetched at it"
    );
    assert_eq!(runs(&bybit), 2, "one refetch at the delivery");
    assert!(
        !lists_delivered(&redis.url(), &bybit).await,
        "the next reads the new list"
    );
    assert_eq!(runs(&bybit), 2, "and fetches nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_lags_a_delivery_is_asked_for_again_within_seconds() {
    let redis = RedisServer::start().unwrap();
    let (bybit, delivery) = delivering(Duration::from_millis(2500)).await;
    assert!(lists_delivered(&redis.url(), &bybit).await);

    sleep_until(delivery + Duration::from_millis(1200)).await;
    assert!(
        lists_delivered(&redis.url(), &bybit).await,
        "Bybit still lists the contract a second after its delivery"
    );
    assert_eq!(runs(&bybit), 2, "refetched at the delivery");
    assert!(bybit.delist(Category::Linear, DELIVERED));

    // Asked again 2 s after the delivery, read after the grace.
    sleep_until(delivery + Duration::from_millis(3500)).await;
    assert!(
        !lists_delivered(&redis.url(), &bybit).await,
        "the lagging list is not kept for its TTL"
    );
    assert_eq!(runs(&bybit), 3);
}
