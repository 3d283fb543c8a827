//! Two `market-data` programs on one shared cache, as a user runs them: a watch, which serves
//! the list from memory between reads, and a later run that stores a newer list. The promise
//! (issue 9): a process never serves its copy in memory more than 1 s after the shared cache
//! holds a newer one, whether its notification subscription is up or down, on one Redis and
//! on a Redis Cluster.
//!
//! The TTLs are an hour, so that no expiry explains what the watch prints, and Bybit's
//! requests are counted, so that the watch is seen to learn of each change from the other
//! program and not from Bybit.

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bybit_client::Category;
use bybit_client::testing::MockBybit;
use redis_test_server::{RedisCluster, RedisServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;
use tokio::sync::mpsc;

use common::{market_data, run, stderr};

/// From the writer's exit to the watch's line: the promise's 1 s, the watch's 100 ms
/// interval, and slack for scheduling a few processes on two cores.
const BOUND: Duration = Duration::from_secs(2);
/// Far beyond what the first line takes; catches a watch that never prints.
const LINE_BOUND: Duration = Duration::from_secs(20);
/// How long the watch must stay silent when nothing new was stored: longer than the promise,
/// so that a change it found by itself, or printed twice, would show.
const QUIET_SPELL: Duration = Duration::from_millis(1500);
/// Far beyond the backoff (2 s at most) of a subscription reconnecting.
const SUBSCRIBE_BOUND: Duration = Duration::from_secs(10);
/// The TTL of every dataset, here and in the writer's runs unless said otherwise.
const TTL: &str = "1h";

/// The shared cache, and its nodes to administer.
enum Shared {
    One(RedisServer),
    Cluster(RedisCluster),
}

impl Shared {
    fn one() -> Self {
        Self::One(RedisServer::start().unwrap())
    }

    fn cluster() -> Self {
        Self::Cluster(RedisCluster::start(3).unwrap())
    }

    fn url(&self) -> String {
        match self {
            Self::One(server) => server.url(),
            Self::Cluster(cluster) => format!("redis+cluster://{}", cluster.addrs().join(",")),
        }
    }

    fn nodes(&self) -> &[RedisServer] {
        match self {
            Self::One(server) => std::slice::from_ref(server),
            Self::Cluster(cluster) => cluster.nodes(),
        }
    }

    /// What `redis-cli` printed for `args` on each node.
    fn on_every_node(&self, args: &[&str]) -> Vec<String> {
        let replies = self.nodes().iter().map(|node| node.cli(args).unwrap());
        replies.collect()
    }

    /// The connections subscribed to a channel, on every node together.
    fn subscribers(&self) -> usize {
        let lists = self.on_every_node(&["CLIENT", "LIST", "TYPE", "pubsub"]);
        lists
            .iter()
            .map(|list| list.lines().filter(|l| !l.is_empty()).count())
            .sum()
    }

    /// Closes every subscribed connection; returns how many there were.
    fn kill_subscriptions(&self) -> usize {
        let killed = self.on_every_node(&["CLIENT", "KILL", "TYPE", "pubsub"]);
        killed
            .iter()
            .map(|n| n.trim().parse::<usize>().unwrap())
            .sum()
    }

    /// Refuses (or allows again) `SUBSCRIBE` on every node: a subscription that is lost
    /// then stays down, while every other command is served.
    fn refuse_subscriptions(&self, refused: bool) {
        let sign = if refused { '-' } else { '+' };
        let rules: Vec<String> = ["subscribe", "psubscribe", "ssubscribe"]
            .iter()
            .map(|command| format!("{sign}{command}"))
            .collect();
        let mut args = vec!["ACL", "SETUSER", "default"];
        args.extend(rules.iter().map(String::as_str));
        for reply in self.on_every_node(&args) {
            assert_eq!(reply.trim(), "OK", "ACL SETUSER");
        }
    }
}

/// A running `market-data watch`, each line of its stdout with the time it came.
struct Watch {
    child: Child,
    lines: mpsc::UnboundedReceiver<(Instant, String)>,
    stderr: Arc<Mutex<String>>,
}

impl Watch {
    fn start(shared: &Shared, bybit: &MockBybit) -> Self {
        let mut child = market_data()
            .args(["--cache", &shared.url(), "--bybit-url", &bybit.base_url()])
            .args([
                "--ttl-instruments",
                TTL,
                "--ttl-symbols",
                TTL,
                "--ttl-funding",
                TTL,
            ])
            .args([
                "--json",
                "watch",
                "--category",
                "linear",
                "--interval",
                "100ms",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (send, lines) = mpsc::unbounded_channel();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        // Timed as it comes, whatever the test is doing meanwhile.
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                if send.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let stderr = common::gather_stderr(&mut child);
        Self {
            child,
            lines,
            stderr,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    async fn line(&mut self) -> (Instant, Value) {
        self.line_by(Instant::now() + LINE_BOUND, "in time").await
    }

    /// The next line, which must come by `deadline` (`when` says what that is).
    async fn line_by(&mut self, deadline: Instant, when: &str) -> (Instant, Value) {
        let deadline = tokio::time::Instant::from_std(deadline);
        match tokio::time::timeout_at(deadline, self.lines.recv()).await {
            Ok(Some((at, line))) => (at, serde_json::from_str(&line).unwrap()),
            other => panic!("no line {when}: {other:?}; stderr:\n{}", self.stderr()),
        }
    }

    async fn assert_silent(&mut self, why: &str) {
        let more = tokio::time::timeout(QUIET_SPELL, self.lines.recv()).await;
        assert!(more.is_err(), "{why}, printed: {more:?}");
    }

    async fn stop(mut self) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-s", "TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -s TERM {pid}");
        let status = tokio::time::timeout(LINE_BOUND, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("did not exit; stderr:\n{}", self.stderr()))
            .unwrap();
        assert!(status.success(), "{status}: {}", self.stderr());
    }
}

/// Pagination runs Bybit saw: each one starts with the request without a cursor.
fn runs(bybit: &MockBybit) -> usize {
    bybit.requests().iter().filter(|r| r.page == 0).count()
}

fn delisted(symbol: &str) -> Value {
    json!({"event": "delisted", "category": "linear", "symbol": symbol})
}

fn tick_size_changed(symbol: &str) -> Value {
    json!({"event": "changed", "category": "linear", "symbol": symbol,
           "fields": ["priceFilter.tickSize"]})
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let waited = Instant::now();
    while !done() {
        assert!(waited.elapsed() < SUBSCRIBE_BOUND, "{what}: not in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Milliseconds from `from` to `to`, negative when `to` came first.
fn signed_ms(from: Instant, to: Instant) -> i128 {
    match to.checked_duration_since(from) {
        Some(after) => i128::try_from(after.as_millis()).unwrap(),
        None => -i128::try_from(from.duration_since(to).as_millis()).unwrap(),
    }
}

/// Starts a watch and waits for its snapshot and its subscription.
async fn subscribed_watch(shared: &Shared, bybit: &MockBybit) -> Watch {
    let mut watch = Watch::start(shared, bybit);
    let (_, first) = watch.line().await;
    assert_eq!(
        first,
        json!({"event": "snapshot", "category": "linear", "count": 214})
    );
    assert_eq!(runs(bybit), 1, "the watch fetched the first list");
    wait_until("the watch subscribes", || shared.subscribers() == 1).await;
    watch
}

/// The watch's subscription while another program stores a change.
#[derive(Clone, Copy, PartialEq)]
enum Subscription {
    /// The watch's is the one subscription before the write (the writer's own may come and
    /// go).
    Up,
    /// The nodes refuse every subscription: none before the write, none after.
    HeldDown,
}

/// With Bybit's list changed, checks that `watch` prints nothing until another program
/// stores the new list, then exactly `expected`, each once, within [`BOUND`] of that
/// program's exit.
async fn printed_once_stored(
    label: &str,
    shared: &Shared,
    bybit: &MockBybit,
    watch: &mut Watch,
    expected: &[Value],
    subscription: Subscription,
) {
    let fetched = runs(bybit);
    watch
        .assert_silent("before another program stored the change")
        .await;
    assert_eq!(runs(bybit), fetched, "the watch fetched by itself");
    let before = match subscription {
        Subscription::Up => 1,
        Subscription::HeldDown => 0,
    };
    assert_eq!(
        shared.subscribers(),
        before,
        "subscriptions before the write"
    );

    // A run whose own TTL is 1 ms finds the list stale, fetches the new one and stores it.
    let started = Instant::now();
    let writer = run(
        &shared.url(),
        &bybit.base_url(),
        &[
            "--ttl-instruments",
            "1ms",
            "instruments",
            "--category",
            "linear",
        ],
    )
    .await;
    let exited = Instant::now();
    assert!(writer.status.success(), "{}", stderr(&writer));
    assert_eq!(runs(bybit), fetched + 1, "the writer fetched the change");

    let mut printed = BTreeSet::new();
    for _ in expected {
        let (at, line) = watch
            .line_by(exited + BOUND, "within the bound of the writer's exit")
            .await;
        #[allow(
            clippy::print_stderr,
            reason = "the measured latency, shown with --nocapture"
        )]
        {
            eprintln!(
                "{label}: {line} printed {:+} ms after the writer exited ({:+} ms after it started)",
                signed_ms(exited, at),
                signed_ms(started, at),
            );
        }
        assert!(
            at < exited + BOUND,
            "{line} printed {:?} after the writer exited",
            at - exited
        );
        assert!(printed.insert(line.to_string()), "printed twice: {line}");
    }
    let expected: BTreeSet<String> = expected.iter().map(Value::to_string).collect();
    assert_eq!(printed, expected);
    if subscription == Subscription::HeldDown {
        assert_eq!(shared.subscribers(), 0, "subscriptions after the write");
    }
    watch.assert_silent("after the change").await;
    assert_eq!(runs(bybit), fetched + 1, "the watch fetched by itself");
}

async fn a_watch_prints_what_another_program_stored(label: &str, shared: Shared) {
    let bybit = MockBybit::start().await;
    let mut watch = subscribed_watch(&shared, &bybit).await;
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    assert!(bybit.set_tick_size(Category::Linear, "XRPUSDT", "0.00005"));
    let expected = [delisted("BTCUSDT"), tick_size_changed("XRPUSDT")];
    printed_once_stored(
        label,
        &shared,
        &bybit,
        &mut watch,
        &expected,
        Subscription::Up,
    )
    .await;
    watch.stop().await;
}

async fn a_watch_without_its_subscription_still_prints_what_another_program_stored(
    label: &str,
    shared: Shared,
) {
    let bybit = MockBybit::start().await;
    let mut watch = subscribed_watch(&shared, &bybit).await;
    shared.refuse_subscriptions(true);
    assert_eq!(shared.kill_subscriptions(), 1, "the watch's subscription");

    // No notice reaches the watch: it sees the change by validating its copy.
    assert!(bybit.delist(Category::Linear, "BTCUSDT"));
    let down = format!("{label}, subscription down");
    let expected = [delisted("BTCUSDT")];
    printed_once_stored(
        &down,
        &shared,
        &bybit,
        &mut watch,
        &expected,
        Subscription::HeldDown,
    )
    .await;

    shared.refuse_subscriptions(false);
    wait_until("the watch subscribes again", || shared.subscribers() == 1).await;
    assert!(bybit.set_tick_size(Category::Linear, "XRPUSDT", "0.00005"));
    let back = format!("{label}, subscription back");
    let expected = [tick_size_changed("XRPUSDT")];
    printed_once_stored(
        &back,
        &shared,
        &bybit,
        &mut watch,
        &expected,
        Subscription::Up,
    )
    .await;
    watch.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_redis_a_watch_prints_what_another_program_stored() {
    a_watch_prints_what_another_program_stored("one redis", Shared::one()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_a_watch_prints_what_another_program_stored() {
    a_watch_prints_what_another_program_stored("cluster", Shared::cluster()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_one_redis_a_watch_without_its_subscription_still_prints_what_another_program_stored() {
    let shared = Shared::one();
    a_watch_without_its_subscription_still_prints_what_another_program_stored("one redis", shared)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_cluster_a_watch_without_its_subscription_still_prints_what_another_program_stored() {
    let shared = Shared::cluster();
    a_watch_without_its_subscription_still_prints_what_another_program_stored("cluster", shared)
        .await;
}

#[tokio::test]
async fn the_interval_of_a_watch_must_be_positive() {
    for interval in ["0s", "soon"] {
        let args = ["watch", "--category", "linear", "--interval", interval];
        let output = run("memory", &common::dead_url(), &args).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{interval}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("--interval"),
            "{}",
            stderr(&output)
        );
    }
}
