//! `market-data watch` as a user runs it: a snapshot line, then one line per change of
//! Bybit's list, the cache kept fresh once per TTL between the watchers sharing it, and a
//! clean exit on SIGTERM or SIGINT.

mod common;

use std::collections::BTreeSet;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bybit_client::Category;
use bybit_client::models::Status;
use bybit_client::testing::MockBybit;
use bybit_client::testing::fixtures::values;
use redis_test_server::RedisServer;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

use common::changes::{change_four, four_changes, snapshot};
use common::{dead_url, market_data, run, stderr, stdout};

/// Far beyond what a line takes to come; catches a watch that never prints it.
const LINE_BOUND: Duration = Duration::from_secs(20);
/// Far beyond the two seconds a stopped watch is meant to take; catches one that hangs.
const EXIT_BOUND: Duration = Duration::from_secs(10);
/// How long a watch must stay silent once it printed what changed.
const QUIET_SPELL: Duration = Duration::from_secs(3);

/// A running `market-data watch`, its stdout read line by line and its stderr gathered.
struct Watcher {
    child: Child,
    /// `None` once closed, as a reader that went away leaves it.
    lines: Option<Lines<BufReader<ChildStdout>>>,
    stderr: Arc<Mutex<String>>,
}

impl Watcher {
    fn start(cache: &str, bybit: &str, args: &[&str]) -> Self {
        let mut child = market_data()
            .args(["--cache", cache, "--bybit-url", bybit])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = common::gather_stderr(&mut child);
        Self {
            child,
            lines: Some(lines),
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn stdout(&mut self) -> &mut Lines<BufReader<ChildStdout>> {
        self.lines.as_mut().expect("stdout still open")
    }

    async fn line(&mut self) -> String {
        match tokio::time::timeout(LINE_BOUND, self.stdout().next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!("no line: {other:?}; stderr:\n{}", self.stderr()),
        }
    }

    async fn json_lines(&mut self, n: usize) -> BTreeSet<String> {
        let mut lines = BTreeSet::new();
        for _ in 0..n {
            let line = self.line().await;
            let value: Value = serde_json::from_str(&line).unwrap();
            assert!(lines.insert(value.to_string()), "printed twice: {line}");
        }
        lines
    }

    async fn assert_silent(&mut self) {
        let more = tokio::time::timeout(QUIET_SPELL, self.stdout().next_line()).await;
        assert!(more.is_err(), "printed more: {more:?}");
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -s {name} {pid}");
    }

    /// Waits for the exit after a signal; the time it took is for the failure message.
    async fn exit(&mut self) -> (ExitStatus, Duration, String) {
        let asked = Instant::now();
        let status = tokio::time::timeout(EXIT_BOUND, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("did not exit; stderr:\n{}", self.stderr()))
            .unwrap();
        let took = asked.elapsed();
        // The stderr pipe closes with the process: give its reader a moment to finish.
        tokio::time::sleep(Duration::from_millis(50)).await;
        (status, took, self.stderr())
    }
}

/// Pagination runs Bybit saw: each one starts with the request without a cursor.
fn runs(bybit: &MockBybit) -> usize {
    bybit.requests().iter().filter(|r| r.page == 0).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_on_one_redis_print_each_change_once_and_share_the_refreshes() {
    const TTL: Duration = Duration::from_secs(2);
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::start().await;
    let args = [
        "--ttl-instruments",
        "2s",
        "--json",
        "watch",
        "--category",
        "linear",
    ];
    let started = Instant::now();
    let mut watchers = [
        Watcher::start(&redis.url(), &bybit.base_url(), &args),
        Watcher::start(&redis.url(), &bybit.base_url(), &args),
    ];
    for watcher in &mut watchers {
        let first: Value = serde_json::from_str(&watcher.line().await).unwrap();
        assert_eq!(first, snapshot(214));
    }

    change_four(&bybit);
    for watcher in &mut watchers {
        assert_eq!(watcher.json_lines(4).await, four_changes());
    }
    let [a, b] = &mut watchers;
    tokio::join!(a.assert_silent(), b.assert_silent());

    let periods = started.elapsed().as_secs_f64() / (TTL.as_secs_f64() * 0.8);
    let runs = runs(&bybit);
    // The first list, and at least the one that brought the changes.
    assert!(runs >= 2, "{runs} pagination runs");
    assert!(
        runs as f64 <= periods + 2.0,
        "{runs} pagination runs in {periods:.1} refresh periods"
    );

    for watcher in &watchers {
        watcher.signal("TERM");
    }
    for watcher in &mut watchers {
        let (status, took, errors) = watcher.exit().await;
        assert!(status.success(), "{status} after {took:?}: {errors}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_a_watch_that_prints_text() {
    let bybit = MockBybit::start().await;
    let args = ["--ttl-instruments", "1s", "watch", "--category", "linear"];
    let mut watcher = Watcher::start("memory", &bybit.base_url(), &args);
    assert_eq!(watcher.line().await, "linear: 214 instruments");
    assert!(bybit.set_status(Category::Linear, "ETHUSDT", Status::Closed));
    assert_eq!(
        watcher.line().await,
        "linear: status ETHUSDT Trading -> Closed"
    );
    watcher.signal("INT");
    let (status, took, errors) = watcher.exit().await;
    assert!(status.success(), "{status} after {took:?}: {errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symbol_from_bybit_cannot_steer_the_terminal() {
    let bybit = MockBybit::start().await;
    let args = ["--ttl-instruments", "1s", "watch", "--category", "linear"];
    let mut watcher = Watcher::start("memory", &bybit.base_url(), &args);
    assert_eq!(watcher.line().await, "linear: 214 instruments");
    let mut listed = bybit.instruments(Category::Linear)[0].clone();
    listed["symbol"] = "EVIL\u{1b}[2JUSDT".into();
    bybit.list_instrument(Category::Linear, listed);
    let line = watcher.line().await;
    assert!(line.starts_with("linear: listed EVIL"), "{line:?}");
    assert!(!line.contains('\u{1b}'), "{line:?}");
    watcher.signal("TERM");
    assert!(watcher.exit().await.0.success());
}

/// A `--json` watch of the linear market with a 1 s TTL, once it printed its snapshot.
async fn json_watch_after_its_snapshot(cache: &str, bybit: &MockBybit) -> Watcher {
    let args = [
        "--ttl-instruments",
        "1s",
        "--json",
        "watch",
        "--category",
        "linear",
    ];
    let mut watcher = Watcher::start(cache, &bybit.base_url(), &args);
    let first: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(first, snapshot(214));
    watcher
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_keeps_a_cache_directory_for_the_other_commands() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let mut watcher = json_watch_after_its_snapshot(cache, &bybit).await;
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let change: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(
        change,
        json!({"event": "delisted", "category": "linear", "symbol": "BTCUSDT"})
    );
    watcher.signal("TERM");
    let (status, took, errors) = watcher.exit().await;
    assert!(status.success(), "{status} after {took:?}: {errors}");

    // What the watch stored serves a later run, even with Bybit gone.
    let symbols = run(cache, &dead_url(), &["symbols", "--category", "linear"]).await;
    assert!(symbols.status.success(), "{}", stderr(&symbols));
    assert_eq!(stdout(&symbols).lines().count(), 213);
    assert!(!stdout(&symbols).lines().any(|s| s == "BTCUSDT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_with_a_shorter_ttl_than_the_list_is_kept_fresh_too() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    // The list alone would not be fetched again for an hour; the symbols go stale in 1 s,
    // and refreshing them fetches the list, whose changes the watch then prints.
    let args = [
        "--ttl-instruments",
        "1h",
        "--ttl-symbols",
        "1s",
        "--json",
        "watch",
        "--category",
        "linear",
    ];
    let mut watcher = Watcher::start(cache, &bybit.base_url(), &args);
    let first: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(first, snapshot(214));
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let change: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(
        change,
        json!({"event": "delisted", "category": "linear", "symbol": "BTCUSDT"})
    );
    watcher.signal("TERM");
    assert!(watcher.exit().await.0.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_bybit_down_and_nothing_cached_a_watch_warns_and_goes_on() {
    let args = ["--json", "watch", "--category", "linear"];
    let mut watcher = Watcher::start("memory", &dead_url(), &args);
    let failures = |errors: &str| {
        errors
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("linear: read failed"))
            .count()
    };
    let waited = Instant::now();
    while failures(&watcher.stderr()) < 2 {
        assert!(
            waited.elapsed() < LINE_BOUND,
            "no second failure reported:\n{}",
            watcher.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        watcher.child.try_wait().unwrap().is_none(),
        "exited after failing"
    );
    // One line a failure: the error shows nowhere else.
    let errors = watcher.stderr();
    let told = errors.lines().filter(|l| l.contains("no data:")).count();
    assert_eq!(told, failures(&errors), "{errors}");
    watcher.signal("TERM");
    let (status, took, errors) = watcher.exit().await;
    assert!(status.success(), "{status} after {took:?}: {errors}");
    let printed = tokio::time::timeout(LINE_BOUND, watcher.stdout().next_line()).await;
    assert_eq!(printed.unwrap().unwrap(), None, "nothing on stdout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_whose_reader_is_gone_exits_quietly() {
    let bybit = MockBybit::start().await;
    let args = ["--ttl-instruments", "1s", "watch", "--category", "linear"];
    let mut watcher = Watcher::start("memory", &bybit.base_url(), &args);
    assert_eq!(watcher.line().await, "linear: 214 instruments");
    // As `market-data watch ... | head -1` does once it has its line.
    watcher.lines = None;
    // The next line it writes finds nobody reading.
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let (status, took, errors) = watcher.exit().await;
    assert!(status.success(), "{status} after {took:?}: {errors}");
    assert!(!errors.contains("panicked"), "{errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_whose_reader_stalls_still_stops_on_a_signal() {
    let bybit = MockBybit::start().await;
    let args = ["--ttl-instruments", "1s", "watch", "--category", "linear"];
    let mut watcher = Watcher::start("memory", &bybit.base_url(), &args);
    assert_eq!(watcher.line().await, "linear: 214 instruments");
    // A field with a long name added to every instrument: some 200 KiB of change lines,
    // more than a pipe holds, which this reader never reads.
    let field = format!("x{}", "y".repeat(1000));
    bybit.edit_instruments(Category::Linear, |list| {
        for instrument in list {
            instrument[field.as_str()] = json!(1);
        }
    });
    // Until the watch has written what the pipe holds, and is stuck on the rest.
    let waited = Instant::now();
    while runs(&bybit) < 2 {
        assert!(
            waited.elapsed() < LINE_BOUND,
            "the change was never fetched"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    watcher.signal("TERM");
    let (status, took, errors) = watcher.exit().await;
    assert!(status.success(), "{status} after {took:?}: {errors}");
}

/// Waits until `done`, failing with `what` if it does not come within [`LINE_BOUND`].
async fn wait_until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let waited = Instant::now();
    while !done().await {
        assert!(waited.elapsed() < LINE_BOUND, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_whose_reader_stalls_drops_lines_keeps_the_cache_fresh_and_resynchronizes() {
    let bybit = MockBybit::start().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().to_str().unwrap();
    let mut watcher = json_watch_after_its_snapshot(cache, &bybit).await;

    // Not read from now on. A field with a long name added to every instrument: some
    // 3.5 MB of change lines, more than the pipe and the printer's queue hold.
    let field = format!("x{}", "y".repeat(16 << 10));
    bybit.edit_instruments(Category::Linear, |list| {
        for instrument in list {
            instrument[field.as_str()] = json!(1);
        }
    });
    let full = "stdout is not read: lines are dropped";
    wait_until("the printer's queue never filled", async || {
        watcher.stderr().contains(full)
    })
    .await;

    // The reader still stalled, the watch keeps the cache fresh for the other processes.
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    wait_until("the delisting never reached the cache", async || {
        let symbols = run(cache, &dead_url(), &["symbols", "--category", "linear"]).await;
        assert!(symbols.status.success(), "{}", stderr(&symbols));
        stdout(&symbols).lines().count() == 213
    })
    .await;

    // Read again: what was queued, then the count after the gap.
    let mut changed = 0;
    let resumed = loop {
        let line: Value = serde_json::from_str(&watcher.line().await).unwrap();
        match line["event"].as_str() {
            Some("changed") => changed += 1,
            _ => break line,
        }
    };
    assert!(changed < 214, "{changed} change lines: none dropped");
    // The delisting is in the count if the watch read it in the gap; if it read it only
    // once the queue had drained (its reads of the list lag the store by up to an
    // interval), its line follows the count it is not in.
    if resumed != snapshot(213) {
        assert_eq!(resumed, snapshot(214), "after {changed} change lines");
        let delisted: Value = serde_json::from_str(&watcher.line().await).unwrap();
        assert_eq!(
            delisted,
            json!({"event": "delisted", "category": "linear", "symbol": "BTCUSDT"})
        );
    }

    // And one line per change again.
    let mut listed = bybit.instruments(Category::Linear)[0].clone();
    listed["symbol"] = "NEWUSDT".into();
    bybit.list_instrument(Category::Linear, listed);
    let next: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(
        next,
        json!({"event": "listed", "category": "linear", "symbol": "NEWUSDT"})
    );
    watcher.signal("TERM");
    let (status, took, errors) = watcher.exit().await;
    assert!(status.success(), "{status} after {took:?}: {errors}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prelaunch_contracts_are_watched_too() {
    const PRELAUNCH: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";
    let bybit = MockBybit::builder()
        .status_instruments(Category::Linear, Status::PreLaunch, values(PRELAUNCH))
        .start()
        .await;
    let args = [
        "--prelaunch",
        "--ttl-instruments",
        "1s",
        "--json",
        "watch",
        "--category",
        "linear",
    ];
    let mut watcher = Watcher::start("memory", &bybit.base_url(), &args);
    let first: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(first, snapshot(215));
    assert!(
        bybit
            .requests()
            .iter()
            .any(|r| r.status.as_deref() == Some("PreLaunch"))
    );

    // Its auction over, the contract trades: Bybit lists it with the others.
    let mut trading = values(PRELAUNCH)[0].clone();
    trading["status"] = "Trading".into();
    bybit.set_status_instruments(Category::Linear, Status::PreLaunch, Vec::new());
    bybit.list_instrument(Category::Linear, trading);
    let change: Value = serde_json::from_str(&watcher.line().await).unwrap();
    assert_eq!(
        change,
        json!({"event": "status", "category": "linear", "symbol": "BIOUSDT",
               "from": "PreLaunch", "to": "Trading"})
    );
    watcher.signal("TERM");
    assert!(watcher.exit().await.0.success());
}

#[tokio::test]
async fn bad_usage_is_status_two() {
    let cases: [(&[&str], &str); 3] = [
        (&["watch"], "--category"),
        (&["watch", "--category", "option"], "base coin"),
        (&["watch", "--category", "futures"], "futures"),
    ];
    for (args, named) in cases {
        let output = run("memory", &dead_url(), args).await;
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
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}
