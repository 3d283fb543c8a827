//! `market-data serve` in operation: its metrics, and how it stops.

mod common;

use std::time::Duration;

use bybit_client::testing::{Fault, MockBybit};
use hyper::StatusCode;
use redis_test_server::RedisServer;

use common::http::{Events, get};
use common::sidecar::Sidecar;

/// The value of the metric line starting with `series` (name and labels).
fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .parse()
        .unwrap()
}

async fn metrics(sidecar: &Sidecar) -> String {
    let reply = get(&sidecar.base, "/metrics", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").starts_with("text/plain"));
    String::from_utf8(reply.body.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_cache_the_fleet_and_the_requests() {
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let a = Sidecar::start(&redis.url(), &bybit.base_url(), &[]).await;
    let b = Sidecar::start(&redis.url(), &bybit.base_url(), &[]).await;
    let path = "/v1/bybit/linear/symbols";
    for _ in 0..3 {
        assert_eq!(get(&a.base, path, &[]).await.status, StatusCode::OK);
    }
    for _ in 0..2 {
        assert_eq!(get(&b.base, path, &[]).await.status, StatusCode::OK);
    }
    get(&a.base, "/v1/bybit/nope/symbols", &[]).await;

    let on_a = metrics(&a).await;
    let gets = "market_data_cache_gets_total{dataset=\"symbols\",result=";
    assert_eq!(metric(&on_a, &format!("{gets}\"miss\"}}")), 1.0);
    assert_eq!(metric(&on_a, &format!("{gets}\"hit\"}}")), 2.0);
    assert_eq!(metric(&on_a, &format!("{gets}\"stale\"}}")), 0.0);
    let upstream = "market_data_upstream_requests_total{outcome=";
    assert_eq!(metric(&on_a, &format!("{upstream}\"success\"}}")), 1.0);
    assert_eq!(metric(&on_a, &format!("{upstream}\"failure\"}}")), 0.0);
    let leases = "market_data_fleet_leases_total{result=";
    assert_eq!(metric(&on_a, &format!("{leases}\"won\"}}")), 1.0);
    let requests = "market_data_http_requests_total{route=\"/v1/bybit/{category}/symbols\",status=";
    assert_eq!(metric(&on_a, &format!("{requests}\"200\"}}")), 3.0);
    assert_eq!(metric(&on_a, &format!("{requests}\"400\"}}")), 1.0);
    let histogram =
        "market_data_http_request_duration_seconds_count{route=\"/v1/bybit/{category}/symbols\"}";
    assert_eq!(metric(&on_a, histogram), 4.0);
    assert!(
        on_a.contains("market_data_http_request_duration_seconds_bucket{"),
        "{on_a}"
    );
    assert!(
        on_a.contains("# HELP market_data_cache_gets_total"),
        "{on_a}"
    );

    // The other sidecar found the list in Redis, then held it in memory.
    let on_b = metrics(&b).await;
    assert_eq!(metric(&on_b, &format!("{gets}\"hit\"}}")), 2.0);
    assert_eq!(metric(&on_b, &format!("{upstream}\"success\"}}")), 0.0);
    let local = "market_data_cache_local_hits_total{dataset=\"symbols\",kind=";
    let held = metric(&on_b, &format!("{local}\"notified\"}}"))
        + metric(&on_b, &format!("{local}\"validated\"}}"));
    assert_eq!(held, 1.0);
    assert_eq!(bybit.requests().iter().filter(|r| r.page == 0).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_ends_event_streams_finishes_requests_in_flight_and_exits_0() {
    for signal in ["TERM", "INT"] {
        // The first page takes 600 ms, the first two times: linear's, then spot's.
        let bybit = MockBybit::builder()
            .fault(Fault::hang(0, Duration::from_millis(600)).times(2))
            .start()
            .await;
        let mut sidecar = Sidecar::start("memory", &bybit.base_url(), &[]).await;
        let mut events = Events::open(&sidecar.base, "/v1/bybit/linear/events", None).await;
        assert_eq!(events.next().await.unwrap().event, "snapshot");
        let base = sidecar.base.clone();
        let in_flight =
            tokio::spawn(async move { get(&base, "/v1/bybit/spot/symbols", &[]).await });
        while bybit
            .requests()
            .iter()
            .all(|r| r.category.as_deref() != Some("spot"))
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sidecar.signal(signal);
        // The stream ends at the signal, not at the exit that follows the request.
        assert!(
            events.next().await.is_none(),
            "{signal}: the stream goes on"
        );
        assert!(
            !in_flight.is_finished(),
            "{signal}: the stream outlived the request"
        );
        let reply = in_flight.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK, "{signal}: {reply:?}");
        let (status, took, errors) = sidecar.exit().await;
        assert!(
            status.success(),
            "{signal}: {status} after {took:?}: {errors}"
        );
        let refused = tokio::net::TcpStream::connect(sidecar.base.trim_start_matches("http://"));
        assert!(refused.await.is_err(), "{signal}: still accepting");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_slow_to_send_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let bybit = MockBybit::start().await;
    let serve = ["--header-timeout", "1s"];
    let sidecar = Sidecar::start_with("memory", &bybit.base_url(), &[], &serve).await;
    let mut stream = tokio::net::TcpStream::connect(sidecar.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(common::http::ANSWER_BOUND, stream.read_to_end(&mut rest));
    let read = read.await.expect("the connection is still open");
    // Closed, with a 408 or nothing; never the answer to a request that never ended.
    assert!(read.is_ok() || rest.is_empty(), "{read:?}");
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{rest:?}"
    );
    // A client that sends its headers in time is answered.
    let reply = get(&sidecar.base, "/healthz", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
}
