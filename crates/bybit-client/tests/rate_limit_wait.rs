//! A used-up rate-limit window (`X-Bapi-Limit-Status: 0`) delays the next request until the
//! reset, and only the next one: nothing waits after the last page.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::{Duration, Instant};

use bybit_client::testing::{Fault, MockBybit};
use bybit_client::{BybitClient, ClientConfig, RetryPolicy};

/// Lets the client honour a reset up to a minute away, so that a wait it should not make
/// would show.
fn client(mock: &MockBybit) -> BybitClient {
    let retry = RetryPolicy::new(3, Duration::from_millis(1), Duration::from_secs(60));
    BybitClient::new(ClientConfig::new(mock.base_url()).with_retry(retry)).unwrap()
}

#[tokio::test]
async fn no_wait_after_the_last_page() {
    // Spot is one page; the window it used up resets in a minute.
    let mock = MockBybit::builder()
        .fault(Fault::window_exhausted(0, Duration::from_secs(60)))
        .start()
        .await;
    let client = client(&mock);
    let spot = tokio::time::timeout(Duration::from_secs(10), client.spot_instruments())
        .await
        .expect("a one-page fetch waited for a reset it did not need")
        .unwrap();
    assert_eq!(spot.len(), 2);
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn no_wait_after_the_empty_page_that_ends_a_list() {
    let mock = MockBybit::builder()
        .fault(Fault::window_exhausted(3, Duration::from_secs(60)))
        .start()
        .await;
    let client = client(&mock);
    let linear = tokio::time::timeout(Duration::from_secs(10), client.linear_instruments())
        .await
        .expect("waited after the last page")
        .unwrap();
    assert_eq!(linear.len(), 214);
    let pages: Vec<usize> = mock.requests().iter().map(|r| r.page).collect();
    assert_eq!(pages, vec![0, 1, 2, 3]);
}

#[tokio::test]
async fn an_exhausted_window_delays_the_next_page_until_the_reset() {
    let reset = Duration::from_millis(1500);
    let mock = MockBybit::builder()
        .fault(Fault::window_exhausted(0, reset))
        .start()
        .await;
    let started = Instant::now();
    let linear = client(&mock).linear_instruments().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(linear.len(), 214);
    // The reset is dated in whole milliseconds by the server's clock: allow for rounding.
    assert!(
        elapsed >= reset - Duration::from_millis(200),
        "the next page came after {elapsed:?}, before the reset"
    );
    assert_eq!(mock.request_count(), 4);
}
