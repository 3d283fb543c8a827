//! The program in broken and hostile surroundings: secrets in its configuration, caches it
//! cannot reach or use, mistyped URLs, odd files in its cache directory, and data that
//! tries to steer the terminal. Each ends in data or one clear line, fast.

mod common;

use std::path::Path;
use std::time::Duration;

use bybit_client::Category;
use bybit_client::testing::fixtures::{LINEAR_214, values};
use bybit_client::testing::{Fault, MockBybit};
use redis_test_server::RedisServer;
use serde_json::Value;

use common::{HANG_BOUND, dead_url, finish, market_data, run, stderr, stdout};
use tokio::io::{AsyncBufReadExt, BufReader};

const SECRET: &str = "hunter2-s3cret";

fn linear() -> [&'static str; 3] {
    ["symbols", "--category", "linear"]
}

/// A Redis URL on a port nothing listens on (see [`dead_url`]), with [`SECRET`] as its
/// password.
fn dead_redis_url() -> String {
    format!("redis://:{SECRET}@127.0.0.1:1/0")
}

fn assert_secret_hidden(what: &str, output: &std::process::Output) {
    let all = format!("{}{}", stdout(output), stderr(output));
    assert!(!all.contains(SECRET), "{what} shows the password:\n{all}");
}

#[tokio::test]
async fn help_never_shows_a_password_from_the_environment() {
    let url = format!("redis://:{SECRET}@redis.internal:6379/0");
    let helps: [&[&str]; 7] = [
        &["--help"],
        &["-h"],
        &["symbols", "--help"],
        &["instruments", "--help"],
        &["funding-intervals", "--help"],
        &["cache", "clear", "--help"],
        &["help", "symbols"],
    ];
    for args in helps {
        let output = finish(
            market_data()
                .env("MARKET_DATA_CACHE", &url)
                .env("BYBIT_BASE_URL", format!("http://user:{SECRET}@h"))
                .args(args),
        )
        .await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(stdout(&output).contains("--cache"), "{args:?} is help");
        assert_secret_hidden(&format!("{args:?}"), &output);
    }
}

#[tokio::test]
async fn no_error_or_warning_shows_a_password() {
    let bybit = MockBybit::start().await;
    let server = RedisServer::builder().password("right").start().unwrap();
    let wrong = format!("redis://:{SECRET}@127.0.0.1:{}/0", server.port());
    for cache in [dead_redis_url(), wrong] {
        for args in [&linear()[..], &["-vv", "symbols", "--category", "linear"]] {
            let output = finish(
                market_data()
                    .env("MARKET_DATA_CACHE", &cache)
                    .args(["--bybit-url", &bybit.base_url()])
                    .args(args),
            )
            .await;
            assert!(output.status.success(), "{}", stderr(&output));
            assert!(stderr(&output).contains("memory"), "{}", stderr(&output));
            assert_secret_hidden(&format!("{cache} {args:?}"), &output);
        }
    }
}

#[tokio::test]
async fn cache_clear_fails_when_the_cache_cannot_be_reached() {
    let server = RedisServer::builder().password("right").start().unwrap();
    let wrong_password = format!("redis://:{SECRET}@127.0.0.1:{}/0", server.port());
    let caches = [
        dead_redis_url(),
        wrong_password,
        "/proc/market-data-cannot-be-here".to_owned(),
    ];
    for cache in caches {
        let output = run(&cache, &dead_url(), &["-q", "cache", "clear"]).await;
        assert_eq!(
            output.status.code(),
            Some(1),
            "{cache}: {}",
            stderr(&output)
        );
        let complaint = stderr(&output);
        assert_eq!(complaint.lines().count(), 1, "one line: {complaint}");
        assert!(complaint.starts_with("market-data: "), "{complaint}");
        assert_secret_hidden(&cache, &output);
    }
}

#[tokio::test]
async fn an_unusable_cache_directory_degrades_to_bybit() {
    let bybit = MockBybit::start().await;
    let named = run(
        "/proc/market-data-cannot-be-here",
        &bybit.base_url(),
        &linear(),
    )
    .await;
    // The default directory under a home that cannot hold it.
    let default = finish(
        market_data()
            .env("HOME", "/proc/self/no-home")
            .env_remove("XDG_CACHE_HOME")
            .args(["--bybit-url", &bybit.base_url()])
            .args(linear()),
    )
    .await;
    for output in [named, default] {
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(stdout(&output).lines().count(), 214);
        let warnings = stderr(&output);
        assert_eq!(warnings.lines().count(), 1, "warned once: {warnings}");
        assert!(warnings.contains("memory"), "{warnings}");
    }
}

#[tokio::test]
async fn a_mistyped_or_unknown_url_is_bad_usage_and_never_a_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let specs = [
        format!("redis:/:{SECRET}@127.0.0.1:6379"),
        format!("redis:{SECRET}@127.0.0.1:6379"),
        format!("reddis://:{SECRET}@127.0.0.1:6379"),
        format!("valkey://user:{SECRET}@127.0.0.1:6379/0"),
        format!(":{SECRET}@127.0.0.1:6379"),
        format!("redis://user:{SECRET}/s3cret-too"),
    ];
    for spec in specs {
        let output = finish(
            market_data()
                .current_dir(cwd.path())
                .args(["--cache", &spec, "--bybit-url", &dead_url()])
                .args(linear()),
        )
        .await;
        assert_eq!(output.status.code(), Some(2), "{spec}: {}", stderr(&output));
        assert!(stderr(&output).contains("--cache"), "{}", stderr(&output));
        assert_secret_hidden(&spec, &output);
        assert!(
            !stderr(&output).contains("s3cret-too"),
            "{}",
            stderr(&output)
        );
        let made: Vec<_> = std::fs::read_dir(cwd.path()).unwrap().collect();
        assert!(made.is_empty(), "{spec} made {made:?}");
    }
}

/// Replaces every file in `dir` with a FIFO of the same name: opening one for reading blocks
/// until a writer comes, which none will.
fn fifos_in_place_of_entries(dir: &Path) -> usize {
    let mut replaced = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Entries are files; the directory of leases is not one.
        if !path.is_file() {
            continue;
        }
        std::fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        replaced += 1;
    }
    replaced
}

#[tokio::test]
async fn fifos_in_the_cache_directory_neither_hang_a_read_nor_the_exit() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    assert!(
        run(cache, &bybit.base_url(), &linear())
            .await
            .status
            .success()
    );
    assert!(fifos_in_place_of_entries(dir.path()) >= 3);

    // Every dataset, so that every FIFO is in some read's way, and the sweep's.
    for args in [
        &linear()[..],
        &["funding-intervals", "--category", "linear"],
        &["instruments", "--category", "linear", "--json"],
    ] {
        let output = run(cache, &bybit.base_url(), args).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(!stdout(&output).is_empty(), "{args:?}");
    }
}

#[tokio::test]
async fn control_characters_are_escaped_in_text_and_exact_in_json() {
    let evil = "EVIL\u{1b}[2J\u{1b}]0;pwned\u{7}USDT\u{202e}";
    let mut list = values(LINEAR_214);
    list[0]["symbol"] = Value::from(evil);
    let bybit = MockBybit::builder()
        .instruments(Category::Linear, list)
        .start()
        .await;
    for args in [
        &linear()[..],
        &["funding-intervals", "--category", "linear"],
        &["instruments", "--category", "linear"],
    ] {
        let output = run("memory", &bybit.base_url(), args).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "{args:?} printed a control character"
        );
        assert!(text.contains("EVIL\\u{1b}[2J"), "{args:?}: {text}");
    }
    let json = run(
        "memory",
        &bybit.base_url(),
        &["symbols", "--category", "linear", "--json"],
    )
    .await;
    let symbols: Vec<String> = serde_json::from_str(&stdout(&json)).unwrap();
    assert!(
        symbols.iter().any(|s| s == evil),
        "JSON keeps the symbol exactly"
    );
    assert!(!stdout(&json).contains('\u{1b}'), "JSON escapes it");
}

#[tokio::test]
async fn an_empty_answer_never_replaces_a_good_list() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let args = [
        "--ttl-symbols",
        "100ms",
        "--ttl-instruments",
        "100ms",
        "symbols",
        "--category",
        "linear",
    ];
    let full = MockBybit::start().await;
    assert!(run(cache, &full.base_url(), &args).await.status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let empty = MockBybit::builder()
        .instruments(Category::Linear, Vec::new())
        .start()
        .await;
    let answered_empty = run(cache, &empty.base_url(), &args).await;
    assert!(
        answered_empty.status.success(),
        "{}",
        stderr(&answered_empty)
    );
    assert_eq!(
        stdout(&answered_empty).lines().count(),
        214,
        "the stale copy"
    );
    assert!(
        stderr(&answered_empty).contains("stale"),
        "{}",
        stderr(&answered_empty)
    );
    assert!(empty.request_count() >= 1, "Bybit was asked");

    // The good copy is still there for the next run, Bybit down.
    let later = run(cache, &dead_url(), &args).await;
    assert_eq!(stdout(&later).lines().count(), 214, "{}", stderr(&later));
}

#[tokio::test]
async fn the_readers_max_stale_decides_what_it_gets() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let ttl = ["--ttl-symbols", "100ms"];
    let written = run(cache, &bybit.base_url(), &[&ttl[..], &linear()].concat()).await;
    assert!(
        written.status.success(),
        "written with the default 24h max-stale"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let strict = run(
        cache,
        &dead_url(),
        &[&ttl[..], &["--max-stale", "0s"], &linear()].concat(),
    )
    .await;
    assert_eq!(
        strict.status.code(),
        Some(1),
        "no stale copy for a reader that wants none"
    );
    assert!(stdout(&strict).is_empty());
    let lenient = run(
        cache,
        &dead_url(),
        &[&ttl[..], &["--max-stale", "1h"], &linear()].concat(),
    )
    .await;
    assert!(lenient.status.success(), "{}", stderr(&lenient));
    assert_eq!(stdout(&lenient).lines().count(), 214);
}

/// A Bybit that accepts connections and answers nothing for ten minutes.
async fn hanging_bybit() -> MockBybit {
    MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_secs(600)).always())
        .start()
        .await
}

#[tokio::test]
async fn a_hanging_bybit_gets_the_stale_copy_served_after_the_soft_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let ttl = ["--ttl-symbols", "100ms"];
    let good = MockBybit::start().await;
    let written = run(cache, &good.base_url(), &[&ttl[..], &linear()].concat()).await;
    assert!(written.status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let hanging = hanging_bybit().await;
    let waits = ["--soft-timeout", "1s", "--fetch-deadline", "10s"];
    let started = std::time::Instant::now();
    let mut child = market_data()
        .args(["--cache", cache, "--bybit-url", &hanging.base_url()])
        .args([&ttl[..], &waits, &linear()].concat())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(HANG_BOUND, lines.next_line())
        .await
        .unwrap();
    let served_after = started.elapsed();
    assert!(first.unwrap().is_some(), "printed the stale copy");
    let mut count = 1;
    while lines.next_line().await.unwrap().is_some() {
        count += 1;
    }
    let exit = tokio::time::timeout(HANG_BOUND, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.status.success(), "{}", stderr(&exit));
    assert_eq!(count, 214);
    assert!(stderr(&exit).contains("stale"), "{}", stderr(&exit));
    assert!(hanging.request_count() >= 1, "Bybit was asked");
    // Without the soft timeout the copy would come at the 10 s deadline.
    assert!(
        served_after < Duration::from_secs(8),
        "served after {served_after:?}"
    );
}

#[tokio::test]
async fn a_refresh_that_outlasts_the_soft_timeout_is_stored_before_the_program_exits() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let good = MockBybit::start().await;
    let write = [&["--ttl-symbols", "100ms"][..], &linear()].concat();
    assert!(run(cache, &good.base_url(), &write).await.status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Bybit now lists 200 instruments, after three seconds: past the soft timeout of 2 s at
    // which the stale copy is printed, within the second one the program then waits for it.
    let slow = MockBybit::builder()
        .instruments(Category::Linear, values(LINEAR_214)[14..].to_vec())
        .fault(Fault::hang(0, Duration::from_secs(3)))
        .start()
        .await;
    let soft = [&write[..], &["--soft-timeout", "2s"]].concat();
    let stale = run(cache, &slow.base_url(), &soft).await;
    assert!(stale.status.success(), "{}", stderr(&stale));
    assert_eq!(
        stdout(&stale).lines().count(),
        214,
        "the stale copy, at the soft timeout"
    );

    let fresh = [&["--ttl-symbols", "1h", "--max-stale", "0s"][..], &linear()].concat();
    let next = run(cache, &dead_url(), &fresh).await;
    assert!(next.status.success(), "{}", stderr(&next));
    assert_eq!(stdout(&next).lines().count(), 200, "the refresh was stored");
}

#[tokio::test]
async fn text_from_bybit_in_errors_cannot_steer_the_terminal() {
    let bybit = MockBybit::builder()
        .fault(Fault::ret_code(0, 10001, "bad\u{1b}]0;pwned\u{7}\u{1b}[2J").always())
        .start()
        .await;
    let output = run("memory", &bybit.base_url(), &linear()).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let complaint = stderr(&output);
    assert!(
        complaint.contains("pwned"),
        "the message is shown: {complaint}"
    );
    assert!(
        !complaint.contains('\u{1b}') && !complaint.contains('\u{7}'),
        "{complaint:?}"
    );
}

#[tokio::test]
async fn clearing_a_directory_that_is_not_there_fails_and_makes_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let missing = parent.path().join("mistyped");
    let output = run(missing.to_str().unwrap(), &dead_url(), &["cache", "clear"]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no cache directory"),
        "{}",
        stderr(&output)
    );
    assert!(!missing.exists(), "made the directory it was to clear");
}

#[tokio::test]
async fn a_bybit_url_with_a_password_is_never_shown() {
    for url in [
        format!("http://user:{SECRET}@127.0.0.1:notaport"),
        format!("http://user:{SECRET}@[::1"),
    ] {
        let output = run("memory", &url, &linear()).await;
        assert_eq!(output.status.code(), Some(2), "{url}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("--bybit-url"),
            "{}",
            stderr(&output)
        );
        assert_secret_hidden(&url, &output);
    }
}

#[tokio::test]
async fn a_hanging_bybit_with_nothing_cached_ends_at_the_fetch_deadline() {
    let hanging = hanging_bybit().await;
    let args = [&["--fetch-deadline", "2s"][..], &linear()].concat();
    let output = run("memory", &hanging.base_url(), &args).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("deadline"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}
