//! The `market-data` program against the local mock Bybit: output, caching across runs,
//! stale copies and exit statuses.

mod common;

use std::time::Duration;

use bybit_client::Category;
use bybit_client::models::Status;
use bybit_client::testing::fixtures::{LINEAR_214, values};
use bybit_client::testing::{Fault, MockBybit};
use redis_test_server::RedisServer;
use serde_json::Value;

use common::{dead_url, run, stderr, stdout};

#[tokio::test]
async fn the_second_run_is_served_from_the_cache_directory() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();

    let first = run(
        cache,
        &bybit.base_url(),
        &["symbols", "--category", "linear"],
    )
    .await;
    assert!(first.status.success(), "{}", stderr(&first));
    let symbols: Vec<String> = stdout(&first).lines().map(str::to_owned).collect();
    assert_eq!(symbols.len(), 214);
    assert_eq!(
        symbols[0],
        values(LINEAR_214)[0]["symbol"].as_str().unwrap()
    );
    let fetched = bybit.request_count();
    assert!(fetched > 1, "the first run paginated");

    let second = run(
        cache,
        &bybit.base_url(),
        &["funding-intervals", "--category", "linear"],
    )
    .await;
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(stdout(&second).lines().count(), 214);
    assert!(stdout(&second).lines().all(|l| {
        l.split('\t')
            .nth(1)
            .is_some_and(|m| m.parse::<u32>().is_ok())
    }));
    assert_eq!(
        bybit.request_count(),
        fetched,
        "the second run fetched nothing"
    );
}

#[tokio::test]
async fn json_instruments_carry_every_field_bybit_sent() {
    let bybit = MockBybit::start().await;
    let output = run(
        "memory",
        &bybit.base_url(),
        &["instruments", "--category", "linear", "--json"],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        printed,
        values(LINEAR_214),
        "every instrument, field and value as recorded"
    );
}

#[tokio::test]
async fn json_symbols_and_funding_intervals_have_their_shapes() {
    let bybit = MockBybit::start().await;
    let symbols = run(
        "memory",
        &bybit.base_url(),
        &["symbols", "--category", "inverse", "--json"],
    )
    .await;
    let symbols: Vec<String> = serde_json::from_str(&stdout(&symbols)).unwrap();
    assert_eq!(symbols, ["ADAUSD", "BITUSD"]);
    let funding = run(
        "memory",
        &bybit.base_url(),
        &["funding-intervals", "--category", "linear", "--json"],
    )
    .await;
    let funding: serde_json::Map<String, Value> = serde_json::from_str(&stdout(&funding)).unwrap();
    assert_eq!(funding.len(), 214);
    assert!(funding.values().all(Value::is_u64));
}

#[tokio::test]
async fn one_instrument_as_a_table() {
    let bybit = MockBybit::start().await;
    let output = run(
        "memory",
        &bybit.base_url(),
        &["instruments", "--category", "linear", "--symbol", "btcusdt"],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("SYMBOL"));
    assert!(
        lines[1].starts_with("BTCUSDT ") && lines[1].contains("0.10"),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn a_stale_copy_is_served_with_a_warning_and_status_zero() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let args = ["--ttl-symbols", "100ms", "symbols", "--category", "linear"];
    assert!(run(cache, &bybit.base_url(), &args).await.status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stale = run(cache, &dead_url(), &args).await;
    assert!(stale.status.success(), "{}", stderr(&stale));
    assert_eq!(stdout(&stale).lines().count(), 214);
    assert!(stderr(&stale).contains("stale"), "{}", stderr(&stale));
}

#[tokio::test]
async fn a_copy_served_while_it_is_refreshed_brings_no_warning_and_its_refresh_is_stored() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let args = [
        "--ttl-symbols",
        "1s",
        "--ttl-instruments",
        "1s",
        "symbols",
        "--category",
        "linear",
    ];
    assert!(run(cache, &bybit.base_url(), &args).await.status.success());
    // Past the TTL (at most 1.1 s with its jitter), within the stale-while-revalidate window
    // of one more TTL: served at once and refreshed, by design.
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let served = run(cache, &bybit.base_url(), &args).await;
    assert!(served.status.success(), "{}", stderr(&served));
    assert_eq!(stdout(&served).lines().count(), 214);
    assert!(
        !stderr(&served).contains("WARN"),
        "nothing failed, nothing to warn of: {}",
        stderr(&served)
    );

    // The program waited for the refresh to be stored before it exited: the next run is
    // served a fresh copy although Bybit is gone.
    let mut next = args.to_vec();
    next.insert(0, "-v");
    let next = run(cache, &dead_url(), &next).await;
    assert!(next.status.success(), "{}", stderr(&next));
    assert!(
        stderr(&next).contains("source=Cache"),
        "the refresh was stored before the program exited: {}",
        stderr(&next)
    );
}

#[tokio::test]
async fn with_bybit_hanging_a_stale_copy_is_printed_and_the_program_exits_at_the_soft_timeout() {
    let healthy = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let mut args = vec!["--ttl-symbols", "200ms", "--ttl-instruments", "200ms"];
    args.extend(["--soft-timeout", "1s", "--fetch-deadline", "30s"]);
    args.extend(["symbols", "--category", "linear"]);
    assert!(
        run(cache, &healthy.base_url(), &args)
            .await
            .status
            .success()
    );
    // Past the TTL and the stale-while-revalidate window: the reader waits the soft timeout.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let hanging = MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_secs(600)).always())
        .start()
        .await;

    let started = std::time::Instant::now();
    let served = run(cache, &hanging.base_url(), &args).await;
    let took = started.elapsed();
    assert!(served.status.success(), "{}", stderr(&served));
    assert_eq!(stdout(&served).lines().count(), 214);
    // About two soft timeouts (one before printing, one waiting for the refresh); the whole
    // 30 s fetch deadline is what it waited before.
    assert!(
        took < Duration::from_secs(15),
        "held the terminal {took:?}: {}",
        stderr(&served)
    );
}

#[tokio::test]
async fn no_data_is_status_one() {
    let output = run(
        "memory",
        &dead_url(),
        &["symbols", "--category", "linear", "-q"],
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).starts_with("market-data: no data"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn bad_usage_is_status_two_with_the_bad_value_named() {
    let url = dead_url();
    let linear: &[&str] = &["symbols", "--category", "linear"];
    let cases: [(&str, &[&str], &str); 6] = [
        ("memory", &["symbols", "--category", "futures"], "futures"),
        ("ftp://host", linear, "ftp"),
        // A port that is not a number may be a password whose `@host` was forgotten: the
        // message names the fault, not the text.
        ("redis://h:notaport", linear, "port is not a number"),
        (
            "memory",
            &["--ttl-symbols", "soon", "symbols", "--category", "linear"],
            "soon",
        ),
        ("memory", &["symbols", "--category", "option"], "base coin"),
        (
            "memory",
            &["funding-intervals", "--category", "spot"],
            "category spot has no funding intervals",
        ),
    ];
    for (cache, args, named) in cases {
        let output = run(cache, &url, args).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(named),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[tokio::test]
async fn cache_clear_removes_our_entries() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    assert!(
        run(
            cache,
            &bybit.base_url(),
            &["symbols", "--category", "linear"]
        )
        .await
        .status
        .success()
    );
    let fetched = bybit.request_count();
    let clear = run(
        cache,
        &bybit.base_url(),
        &["cache", "clear", "--category", "linear"],
    )
    .await;
    assert!(clear.status.success(), "{}", stderr(&clear));
    let said = stdout(&clear);
    let count: usize = said
        .strip_prefix("removed ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of what was removed: {said:?}"));
    assert!(count > 0, "the symbols run stored entries: {said:?}");
    assert!(said.contains(" entries of linear ("), "{said:?}");
    assert!(
        run(
            cache,
            &bybit.base_url(),
            &["symbols", "--category", "linear"]
        )
        .await
        .status
        .success()
    );
    assert!(
        bybit.request_count() > fetched,
        "fetched again after clearing"
    );
}

/// Clearing every category says, as JSON, how many entries went and from which markets;
/// option entries only with a base coin, and the text says so without one.
#[tokio::test]
async fn cache_clear_says_what_it_removed() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    for category in ["spot", "linear"] {
        let filled = run(
            cache,
            &bybit.base_url(),
            &["symbols", "--category", category],
        )
        .await;
        assert!(filled.status.success(), "{}", stderr(&filled));
    }
    let json = run(
        cache,
        &bybit.base_url(),
        &["--json", "cache", "clear", "--base-coin", "BTC"],
    )
    .await;
    assert!(json.status.success(), "{}", stderr(&json));
    let said: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        said["markets"],
        serde_json::json!(["spot", "linear", "inverse", "option-BTC"])
    );
    assert!(said["removed"].as_u64().unwrap() >= 2, "{said}");

    let text = run(cache, &bybit.base_url(), &["cache", "clear"]).await;
    assert!(text.status.success(), "{}", stderr(&text));
    assert_eq!(
        stdout(&text),
        "removed 0 entries of spot, linear, inverse \
         (option entries are per base coin: name one with --base-coin)\n"
    );
}

/// Clearing means every entry of the market, whether its list includes pre-launch contracts
/// or not, whatever `--prelaunch` says in the program that clears: afterwards a run of
/// either kind against a dead Bybit has nothing to serve.
#[tokio::test]
async fn cache_clear_removes_entries_with_and_without_prelaunch_contracts() {
    const PRELAUNCH: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";
    let bybit = MockBybit::builder()
        .status_instruments(Category::Linear, Status::PreLaunch, values(PRELAUNCH))
        .start()
        .await;
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cache in [dir.path().to_str().unwrap().to_owned(), redis.url()] {
        for (filled, cleared) in [(true, false), (false, true), (true, true)] {
            let flags = |prelaunch: bool| {
                if prelaunch {
                    vec!["--prelaunch"]
                } else {
                    vec![]
                }
            };
            let read = |prelaunch: bool| {
                let mut args = flags(prelaunch);
                args.extend(["funding-intervals", "--category", "linear"]);
                args
            };
            let fill = run(&cache, &bybit.base_url(), &read(filled)).await;
            assert!(fill.status.success(), "{}", stderr(&fill));
            // Control: the entries are there to be served without Bybit.
            let served = run(&cache, &dead_url(), &read(filled)).await;
            assert!(served.status.success(), "{}", stderr(&served));

            let mut clear = flags(cleared);
            clear.extend(["cache", "clear", "--category", "linear"]);
            let cleared_now = run(&cache, &bybit.base_url(), &clear).await;
            assert!(cleared_now.status.success(), "{}", stderr(&cleared_now));
            // Both kinds of run at once: each waits out its retries against the dead Bybit.
            let (dead, without, with) = (dead_url(), read(false), read(true));
            let (without, with) =
                tokio::join!(run(&cache, &dead, &without), run(&cache, &dead, &with));
            for (prelaunch, after) in [(false, without), (true, with)] {
                assert_eq!(
                    after.status.code(),
                    Some(1),
                    "{cache}: filled with pre-launch {filled}, cleared with {cleared}, \
                     read with {prelaunch}: {}",
                    stderr(&after)
                );
            }
            // The failed reads left the fleet's back-off; clearing removes it, or the next
            // fill would be refused without asking Bybit.
            assert!(
                run(&cache, &bybit.base_url(), &clear)
                    .await
                    .status
                    .success()
            );
        }
    }
}
