//! `market-data serve` as a user runs it, over a real Redis and the mock Bybit: the datasets
//! as the commands print them, with validators, codings and errors a client can rely on.

mod common;

use std::io::Read;

use bybit_client::Category;
use bybit_client::testing::{Fault, MockBybit};
use hyper::StatusCode;
use redis_test_server::RedisServer;

use common::http::{get, request};
use common::sidecar::Sidecar;
use common::{dead_url, run, stderr, stdout};

/// Pagination runs Bybit saw: each one starts with the request without a cursor.
fn runs(bybit: &MockBybit) -> usize {
    bybit.requests().iter().filter(|r| r.page == 0).count()
}

/// What `market-data ARGS --json` prints, without its newline.
async fn printed(cache: &str, bybit: &str, args: &[&str]) -> Vec<u8> {
    let mut args = args.to_vec();
    args.push("--json");
    let output = run(cache, bybit, &args).await;
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output).trim_end().as_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_dataset_is_what_its_command_prints() {
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let sidecar = Sidecar::start(&redis.url(), &bybit.base_url(), &[]).await;
    let cases: [(&str, &[&str]); 5] = [
        (
            "/v1/bybit/linear/instruments",
            &["instruments", "--category", "linear"],
        ),
        (
            "/v1/bybit/linear/symbols",
            &["symbols", "--category", "linear"],
        ),
        (
            "/v1/bybit/linear/funding-intervals",
            &["funding-intervals", "--category", "linear"],
        ),
        ("/v1/bybit/spot/symbols", &["symbols", "--category", "spot"]),
        (
            "/v1/bybit/option/instruments?baseCoin=BTC",
            &["instruments", "--category", "option", "--base-coin", "BTC"],
        ),
    ];
    for (path, args) in cases {
        let reply = get(&sidecar.base, path, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {reply:?}");
        assert_eq!(reply.header("content-type"), "application/json", "{path}");
        // Read by the program from the same Redis: the version the sidecar stored.
        let expected = printed(&redis.url(), &dead_url(), args).await;
        assert!(reply.body == expected, "{path}: the bodies differ");
    }
    // One fetch per market, whoever asked.
    assert_eq!(runs(&bybit), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_has_one_etag_on_every_sidecar_and_if_none_match_gets_304() {
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let a = Sidecar::start(&redis.url(), &bybit.base_url(), &[]).await;
    let b = Sidecar::start(&redis.url(), &bybit.base_url(), &[]).await;
    let path = "/v1/bybit/linear/instruments";

    let first = get(&a.base, path, &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.header("cache-status").contains("fwd=miss"),
        "{first:?}"
    );
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let second = get(&b.base, path, &[]).await;
    assert_eq!(
        second.header("etag"),
        etag,
        "another sidecar, the same version"
    );
    assert!(
        second.header("cache-status").contains("; hit"),
        "{second:?}"
    );
    assert_eq!(runs(&bybit), 1);

    for sidecar in [&a, &b] {
        let again = get(&sidecar.base, path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etag);
    }
    let other = get(&a.base, path, &[("if-none-match", "\"another\"")]).await;
    assert_eq!(other.status, StatusCode::OK);

    // A new version has a new tag.
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let output = run(&redis.url(), &bybit.base_url(), &["cache", "clear"]).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let changed = get(&a.base, path, &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), etag);
    assert_eq!(changed.json().as_array().unwrap().len(), 213);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_headers_follow_the_policy() {
    let bybit = MockBybit::start().await;
    let args = ["--ttl-symbols", "90s", "--max-stale", "2h"];
    let sidecar = Sidecar::start("memory", &bybit.base_url(), &args).await;
    let path = "/v1/bybit/linear/symbols";
    get(&sidecar.base, path, &[]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let reply = get(&sidecar.base, path, &[]).await;
    let control = reply.header("cache-control");
    let max_age: u64 = control
        .split(", ")
        .find_map(|part| part.strip_prefix("max-age="))
        .unwrap_or_else(|| panic!("{control}"))
        .parse()
        .unwrap();
    // The TTL, stretched by up to 10 % of jitter.
    assert!((90..=99).contains(&max_age), "{control}");
    assert!(control.contains("stale-if-error=7200"), "{control}");
    assert!(control.contains("stale-while-revalidate=90"), "{control}");
    let age: u64 = reply.header("age").parse().unwrap();
    assert!((1..5).contains(&age), "age {age}");
    let status = reply.header("cache-status");
    assert_eq!(status, format!("market-data; hit; ttl={}", max_age - age));
    assert_eq!(reply.header("vary"), "accept-encoding");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_and_zstd_bodies_are_built_once_per_version() {
    let bybit = MockBybit::start().await;
    let sidecar = Sidecar::start("memory", &bybit.base_url(), &[]).await;
    let path = "/v1/bybit/linear/instruments";
    let plain = get(&sidecar.base, path, &[]).await;
    let codings = ["gzip", "zstd", "gzip, deflate, br, zstd", "identity"];
    let mut etags = std::collections::BTreeSet::new();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let base = sidecar.base.clone();
        let coding = codings[i % codings.len()];
        tasks.push(tokio::spawn(async move {
            (
                coding,
                get(&base, path, &[("accept-encoding", coding)]).await,
            )
        }));
    }
    for task in tasks {
        let (coding, reply) = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        let decoded = match reply.header("content-encoding") {
            "gzip" => {
                assert_eq!(coding, "gzip");
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&reply.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            "zstd" => {
                assert!(coding.contains("zstd"), "{coding}");
                zstd::decode_all(&reply.body[..]).unwrap()
            }
            "" => {
                assert_eq!(coding, "identity");
                reply.body.to_vec()
            }
            other => panic!("{other}"),
        };
        assert!(decoded == plain.body, "{coding}: decodes to another body");
        if coding != "identity" {
            assert!(reply.body.len() * 10 < plain.body.len(), "{coding}");
        }
        etags.insert(reply.header("etag").to_owned());
    }
    // One tag per coding, each a representation of its own.
    assert_eq!(etags.len(), 3, "{etags:?}");
    let metrics = get(&sidecar.base, "/metrics", &[]).await;
    let text = String::from_utf8(metrics.body.to_vec()).unwrap();
    for coding in ["identity", "gzip", "zstd"] {
        let line = format!(
            "market_data_http_bodies_built_total{{route=\"instruments\",encoding=\"{coding}\"}} 1"
        );
        assert!(text.lines().any(|l| l == line), "no {line} in\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_told_apart_with_json_errors() {
    let bybit = MockBybit::start().await;
    let sidecar = Sidecar::start("memory", &bybit.base_url(), &[]).await;
    let cases = [
        (
            "GET",
            "/v1/bybit/futures/symbols",
            StatusCode::BAD_REQUEST,
            "futures",
        ),
        (
            "GET",
            "/v1/bybit/option/symbols",
            StatusCode::BAD_REQUEST,
            "base coin",
        ),
        (
            "GET",
            "/v1/bybit/option/events",
            StatusCode::BAD_REQUEST,
            "base coin",
        ),
        (
            "GET",
            "/v1/bybit/linear/symbols?baseCoin=",
            StatusCode::BAD_REQUEST,
            "coin",
        ),
        (
            "GET",
            "/v1/bybit/spot/funding-intervals",
            StatusCode::BAD_REQUEST,
            "spot",
        ),
        (
            "GET",
            "/v1/bybit/linear/tickers",
            StatusCode::NOT_FOUND,
            "route",
        ),
        ("GET", "/", StatusCode::NOT_FOUND, "route"),
        (
            "POST",
            "/v1/bybit/linear/symbols",
            StatusCode::METHOD_NOT_ALLOWED,
            "GET",
        ),
        ("DELETE", "/metrics", StatusCode::METHOD_NOT_ALLOWED, "GET"),
    ];
    for (method, path, status, says) in cases {
        let reply = request(&sidecar.base, method, path, &[]).await;
        assert_eq!(reply.status, status, "{method} {path}: {reply:?}");
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains(says), "{method} {path}: {error}");
    }
    assert_eq!(bybit.request_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_bybit_failing_nothing_cached_is_503_and_a_stale_copy_is_200() {
    let redis = RedisServer::start().unwrap();
    let path = "/v1/bybit/linear/symbols";
    let failing = MockBybit::builder()
        .fault(Fault::server_error(0).always())
        .start()
        .await;
    let sidecar = Sidecar::start(&redis.url(), &failing.base_url(), &["--ttl-symbols", "1s"]).await;
    let reply = get(&sidecar.base, path, &[]).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{reply:?}");
    let retry: u64 = reply.header("retry-after").parse().unwrap();
    assert!(retry >= 1, "{retry}");
    assert!(reply.json()["error"].as_str().unwrap().contains("no data"));
    let ready = get(&sidecar.base, "/readyz", &[]).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{ready:?}");
    assert_eq!(
        get(&sidecar.base, "/healthz", &[]).await.status,
        StatusCode::OK
    );

    // Another program stores the list (clearing the fleet's back-off first); once it is
    // stale, the failing sidecar serves it.
    let bybit = MockBybit::start().await;
    let clear = ["cache", "clear", "--category", "linear"];
    let output = run(&redis.url(), &bybit.base_url(), &clear).await;
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(
        &redis.url(),
        &bybit.base_url(),
        &["symbols", "--category", "linear"],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let stale = get(&sidecar.base, path, &[]).await;
    assert_eq!(stale.status, StatusCode::OK, "{stale:?}");
    let status = stale.header("cache-status");
    assert!(status.contains("fwd=stale"), "{status}");
    assert_eq!(stale.json().as_array().unwrap().len(), 214);
    assert_eq!(
        get(&sidecar.base, "/readyz", &[]).await.status,
        StatusCode::OK
    );
}
