//! The client against the local mock Bybit: complete lists over several pages, and the exact
//! outcome of every injected fault.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use bybit_client::testing::{Fault, MockBybit, MockBybitBuilder};
use bybit_client::{
    BybitClient, Category, ClientConfig, Error, InstrumentList, InstrumentsQuery, PaginationError,
    RetryPolicy,
};

const RETRIES: u32 = 3;

fn config(mock: &MockBybit) -> ClientConfig {
    ClientConfig::new(mock.base_url()).with_retry(RetryPolicy::new(
        RETRIES,
        Duration::from_millis(1),
        Duration::from_millis(20),
    ))
}

fn client(mock: &MockBybit) -> BybitClient {
    BybitClient::new(config(mock)).unwrap()
}

async fn linear_with(builder: MockBybitBuilder) -> (MockBybit, Result<usize, Error>) {
    let mock = builder.start().await;
    let result = client(&mock).linear_instruments().await.map(|l| l.len());
    (mock, result)
}

fn pages(mock: &MockBybit) -> Vec<usize> {
    mock.requests().iter().map(|r| r.page).collect()
}

#[tokio::test]
async fn linear_list_is_fetched_whole_across_short_pages_and_a_trailing_cursor() {
    let mock = MockBybit::start().await;
    let list = client(&mock).linear_instruments().await.unwrap();
    let served = mock.instruments(Category::Linear);
    assert_eq!(list.len(), 214);
    assert_eq!(
        serde_json::to_value(&list).unwrap(),
        serde_json::Value::Array(served.to_vec())
    );
    // 100 + 100 + 14, then the empty page the last cursor leads to.
    assert_eq!(pages(&mock), vec![0, 1, 2, 3]);
    let requests = mock.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.limit == Some(1000) && r.category.as_deref() == Some("linear"))
    );
    assert_eq!(requests[0].cursor, None);
    assert!(
        requests[0]
            .user_agent
            .as_deref()
            .unwrap()
            .starts_with("bybit-client/")
    );
}

#[tokio::test]
async fn an_empty_cursor_ends_the_list() {
    let (mock, r) = linear_with(MockBybit::builder().trailing_cursor(false).page_size(50)).await;
    assert_eq!(r.unwrap(), 214);
    assert_eq!(pages(&mock), vec![0, 1, 2, 3, 4]);
}

#[tokio::test]
async fn every_category_is_served() {
    let mock = MockBybit::start().await;
    let c = client(&mock);
    let spot = c.instruments(&InstrumentsQuery::spot()).await.unwrap();
    assert!(matches!(&spot, InstrumentList::Spot(l) if l.len() == 2));
    assert_eq!(mock.request_count(), 1, "spot is one page without a cursor");
    let inverse = c.instruments(&InstrumentsQuery::inverse()).await.unwrap();
    assert_eq!(inverse.symbols(), vec!["ADAUSD", "BITUSD"]);
    let options = c
        .instruments(&InstrumentsQuery::option("BTC"))
        .await
        .unwrap();
    assert_eq!((options.category(), options.len()), (Category::Option, 500));
    assert!(
        mock.requests()[3..]
            .iter()
            .all(|r| r.base_coin.as_deref() == Some("BTC"))
    );
    assert!(c.option_instruments("ETH").await.unwrap().is_empty());
}

#[tokio::test]
async fn options_without_a_base_coin_are_refused_before_any_request() {
    let mock = MockBybit::start().await;
    let err = client(&mock)
        .instruments(&InstrumentsQuery::new(Category::Option))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidQuery(_)), "{err:?}");
    assert_eq!(mock.request_count(), 0);
}

#[tokio::test]
async fn a_500_on_page_2_is_retried() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::server_error(2))).await;
    assert_eq!(r.unwrap(), 214);
    assert_eq!(pages(&mock), vec![0, 1, 2, 2, 3]);
}

#[tokio::test]
async fn a_persistent_500_fails_after_the_bounded_retries() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::server_error(1).always())).await;
    assert!(matches!(r.unwrap_err(), Error::Http { status: 500, .. }));
    assert_eq!(pages(&mock), vec![0, 1, 1, 1, 1]);
}

#[tokio::test]
async fn ret_code_10006_then_success_waits_and_completes() {
    let fault = Fault::rate_limit(1, Duration::from_millis(30)).times(2);
    let (mock, r) = linear_with(MockBybit::builder().fault(fault)).await;
    assert_eq!(r.unwrap(), 214);
    assert_eq!(pages(&mock), vec![0, 1, 1, 1, 2, 3]);
}

#[tokio::test]
async fn a_403_is_an_ip_ban_and_is_not_retried() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::forbidden(0).always())).await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                status: 403,
                ret_code: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_rate_limit() && err.is_ban() && !err.is_retryable());
    assert_eq!(mock.request_count(), 1, "a request during a ban extends it");
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::too_many_requests(0, 1))).await;
    assert_eq!(r.unwrap(), 214);
    assert_eq!(pages(&mock), vec![0, 0, 1, 2, 3]);
}

#[tokio::test]
async fn a_parameter_error_is_not_retried() {
    let fault = Fault::ret_code(1, 10001, "params error").always();
    let (mock, r) = linear_with(MockBybit::builder().fault(fault)).await;
    let err = r.unwrap_err();
    assert!(matches!(&err, Error::Api { ret_code: 10001, ret_msg } if ret_msg == "params error"));
    assert_eq!(pages(&mock), vec![0, 1]);
}

#[tokio::test]
async fn truncated_json_is_malformed_and_not_retried() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::truncated_json(2))).await;
    assert!(matches!(r.unwrap_err(), Error::Malformed { .. }));
    assert_eq!(pages(&mock), vec![0, 1, 2]);
}

#[tokio::test]
async fn an_html_page_with_200_is_malformed() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::html_error_page(0, 200))).await;
    match r.unwrap_err() {
        Error::Malformed { snippet, .. } => assert!(snippet.starts_with("<html>")),
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn an_html_502_is_retried() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::html_error_page(1, 502))).await;
    assert_eq!(r.unwrap(), 214);
    assert_eq!(pages(&mock), vec![0, 1, 1, 2, 3]);
}

#[tokio::test]
async fn a_repeating_cursor_is_a_pagination_error() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::repeat_cursor(1))).await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Pagination(PaginationError::RepeatedCursor { page: 2, .. })
        ),
        "{err:?}"
    );
    assert_eq!(pages(&mock), vec![0, 1]);
}

#[tokio::test]
async fn more_pages_than_the_maximum_is_a_pagination_error() {
    let mock = MockBybit::start().await;
    let client = BybitClient::new(config(&mock).with_max_pages(2)).unwrap();
    let err = client.linear_instruments().await.unwrap_err();
    assert!(matches!(
        err,
        Error::Pagination(PaginationError::TooManyPages { max_pages: 2 })
    ));
    assert_eq!(mock.request_count(), 2);
}

#[tokio::test]
async fn a_hang_past_the_timeout_is_a_timeout() {
    let mock = MockBybit::builder()
        .fault(Fault::hang(1, Duration::from_secs(1)).always())
        .start()
        .await;
    let timeout = Duration::from_millis(200);
    let config = config(&mock)
        .with_timeouts(timeout, timeout)
        .with_retry(RetryPolicy::none());
    let err = BybitClient::new(config)
        .unwrap()
        .linear_instruments()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_eq!(pages(&mock), vec![0, 1]);
}

#[tokio::test]
async fn a_single_hang_is_retried() {
    let mock = MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_secs(1)))
        .start()
        .await;
    let timeout = Duration::from_millis(200);
    let client = BybitClient::new(config(&mock).with_timeouts(timeout, timeout)).unwrap();
    assert_eq!(client.linear_instruments().await.unwrap().len(), 214);
    assert_eq!(pages(&mock), vec![0, 0, 1, 2, 3]);
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config =
        ClientConfig::new(format!("http://127.0.0.1:{port}")).with_retry(RetryPolicy::none());
    let err = BybitClient::new(config)
        .unwrap()
        .linear_instruments()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport(_)) && err.is_retryable(),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_bad_base_url_is_a_config_error() {
    assert!(matches!(
        BybitClient::new(ClientConfig::new("not a url")),
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn a_404_is_an_http_error_and_not_retried() {
    let (mock, r) = linear_with(MockBybit::builder().fault(Fault::html_error_page(0, 404))).await;
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::Http { status: 404, .. }) && !err.is_retryable(),
        "{err:?}"
    );
    assert_eq!(mock.request_count(), 1);
}
