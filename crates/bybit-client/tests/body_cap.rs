//! Response bodies over `ClientConfig::max_body_size` are refused, whether the server
//! declares the size up front or streams the body without one, and are not retried.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use bybit_client::testing::{Fault, MockBybit};
use bybit_client::{BybitClient, ClientConfig, Error, RetryPolicy};

const CAP: usize = 256 * 1024;
const OVER: usize = 300 * 1024;

fn client(mock: &MockBybit) -> BybitClient {
    let retry = RetryPolicy::new(3, Duration::from_millis(1), Duration::from_millis(10));
    let config = ClientConfig::new(mock.base_url())
        .with_retry(retry)
        .with_max_body_size(CAP);
    BybitClient::new(config).unwrap()
}

async fn linear_with(fault: Fault) -> (MockBybit, Result<usize, Error>) {
    let mock = MockBybit::builder().fault(fault).start().await;
    let result = client(&mock).linear_instruments().await.map(|l| l.len());
    (mock, result)
}

#[test]
fn the_default_cap_is_32_mib() {
    let config = ClientConfig::new("http://127.0.0.1:1");
    assert_eq!(config.max_body_size, 32 * 1024 * 1024);
    assert_eq!(config.max_body_size, ClientConfig::DEFAULT_MAX_BODY_SIZE);
}

#[tokio::test]
async fn pages_under_the_cap_are_fetched() {
    let (_mock, r) = linear_with(Fault::padded_body(1, CAP)).await;
    assert_eq!(r.unwrap(), 214);
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_and_not_retried() {
    let (mock, r) = linear_with(Fault::padded_body(1, OVER).always()).await;
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::BodyTooLarge { limit: CAP, declared: Some(d) } if d == OVER as u64),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains(&CAP.to_string()) && message.contains("max_body_size"),
        "{message}"
    );
    let pages: Vec<usize> = mock.requests().iter().map(|r| r.page).collect();
    assert_eq!(pages, vec![0, 1]);
}

#[tokio::test]
async fn a_chunked_body_is_counted_as_it_comes() {
    let mock = MockBybit::builder()
        .fault(Fault::padded_chunked_body(0, OVER).always())
        .start()
        .await;
    // The mock really sends no length, so only counting can catch it.
    let raw = reqwest::get(format!(
        "{}/v5/market/instruments-info?category=linear",
        mock.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(raw.content_length(), None);
    assert_eq!(raw.bytes().await.unwrap().len(), OVER);

    let err = client(&mock).linear_instruments().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::BodyTooLarge {
                limit: CAP,
                declared: None
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        mock.request_count(),
        2,
        "one raw request, one refused fetch"
    );
}
