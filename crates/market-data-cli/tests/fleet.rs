//! Many `market-data` processes started together on one shared cache, with a slow Bybit,
//! as a fleet of replicas would be: one pagination run between them, and each prints the
//! whole list. Also the lease holder killed mid-fetch, and Redis killed while others wait.

use std::process::{Output, Stdio};
use std::time::Duration;

use bybit_client::Category;
use bybit_client::models::Status;
use bybit_client::testing::fixtures::values;
use bybit_client::testing::{Fault, MockBybit};
use redis_test_server::{RedisCluster, RedisServer};

mod common;
use common::{HANG_BOUND, finish, market_data, stderr, stdout};

const PROCESSES: usize = 20;
/// The recorded linear list, in pages of 50.
const LINEAR: usize = 214;
const PAGES: usize = LINEAR.div_ceil(50);

/// A Bybit that answers every page of every run after `per_page`.
async fn slow_bybit(per_page: Duration) -> MockBybit {
    let mut builder = MockBybit::builder().page_size(50);
    for page in 0..PAGES {
        builder = builder.fault(Fault::hang(page, per_page).always());
    }
    builder.start().await
}

/// Pagination runs Bybit saw: each one starts with the request without a cursor.
fn runs(bybit: &MockBybit) -> usize {
    bybit.requests().iter().filter(|r| r.page == 0).count()
}

fn symbols_command(cache: &str, bybit: &MockBybit) -> tokio::process::Command {
    let mut command = market_data();
    command.args(["--cache", cache, "--bybit-url", &bybit.base_url()]);
    command.args(["symbols", "--category", "linear"]);
    command
}

/// Starts `n` programs at once and waits for all of them.
async fn together(n: usize, cache: &str, bybit: &MockBybit) -> Vec<Output> {
    let runs = (0..n).map(|_| async { finish(&mut symbols_command(cache, bybit)).await });
    futures_util::future::join_all(runs).await
}

fn assert_complete(outputs: &[Output]) {
    for output in outputs {
        assert!(output.status.success(), "{}", stderr(output));
        assert_eq!(stdout(output).lines().count(), LINEAR, "{}", stderr(output));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_processes_on_one_empty_redis_make_one_pagination_run() {
    let redis = RedisServer::start().unwrap();
    let bybit = slow_bybit(Duration::from_millis(300)).await;
    let outputs = together(PROCESSES, &redis.url(), &bybit).await;
    assert_complete(&outputs);
    assert_eq!(runs(&bybit), 1, "pagination runs");
    let pages: Vec<_> = bybit.requests().iter().map(|r| r.page).collect();
    // The last page with items still carries a cursor, as Bybit's can: one more, empty.
    assert_eq!(pages, (0..=PAGES).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_processes_on_one_empty_directory_make_one_pagination_run() {
    let dir = tempfile::tempdir().unwrap();
    let bybit = slow_bybit(Duration::from_millis(300)).await;
    let outputs = together(PROCESSES, dir.path().to_str().unwrap(), &bybit).await;
    assert_complete(&outputs);
    assert_eq!(runs(&bybit), 1, "pagination runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_on_a_redis_cluster_make_one_pagination_run() {
    let cluster = RedisCluster::start(3).unwrap();
    let url = format!("redis+cluster://{}", cluster.addrs().join(","));
    let bybit = slow_bybit(Duration::from_millis(300)).await;
    let outputs = together(8, &url, &bybit).await;
    assert_complete(&outputs);
    assert_eq!(runs(&bybit), 1, "pagination runs");
}

/// Starts one program, and kills it once Bybit has seen its first request.
async fn kill_once_fetching(cache: &str, bybit: &MockBybit) {
    let mut holder = symbols_command(cache, bybit).spawn().unwrap();
    while bybit.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    holder.start_kill().unwrap();
    holder.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_fetching_process_is_killed_another_takes_over() {
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cache in [redis.url(), dir.path().to_str().unwrap().to_owned()] {
        let bybit = slow_bybit(Duration::from_millis(200)).await;
        kill_once_fetching(&cache, &bybit).await;
        // The lease outlives its holder on Redis (until its TTL), not in a directory.
        let outputs = together(5, &cache, &bybit).await;
        assert_complete(&outputs);
        assert_eq!(runs(&bybit), 2, "{cache}: the killed run and one more");
    }
}

/// A program that waits on another's hanging fetch spends one deadline on the wait and its
/// own fetch together: it gives up within its `--fetch-deadline` (and 1.5 s to start and
/// exit), where it waited one deadline and then fetched for another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_behind_a_hanging_peer_exits_within_its_deadline() {
    const DEADLINE: Duration = Duration::from_secs(3);
    let redis = RedisServer::start().unwrap();
    let bybit = MockBybit::builder()
        .fault(Fault::hang(0, Duration::from_secs(60)).always())
        .start()
        .await;
    let command = |deadline: &str| {
        let mut command = market_data();
        command.args(["--cache", &redis.url(), "--bybit-url", &bybit.base_url()]);
        command.args([
            "--fetch-deadline",
            deadline,
            "symbols",
            "--category",
            "linear",
        ]);
        command
    };
    let mut holder = command("60s").spawn().unwrap();
    while bybit.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let started = std::time::Instant::now();
    let waiter = finish(&mut command(&format!("{}s", DEADLINE.as_secs()))).await;
    let took = started.elapsed();
    holder.start_kill().unwrap();
    holder.wait().await.unwrap();

    assert_eq!(waiter.status.code(), Some(1), "{}", stderr(&waiter));
    assert!(stderr(&waiter).contains("deadline"), "{}", stderr(&waiter));
    assert!(
        took < DEADLINE + Duration::from_millis(1500),
        "gave up after {took:?}"
    );
    assert_eq!(
        bybit.request_count(),
        1,
        "the waiter never asked Bybit itself"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_redis_dies_while_processes_wait_each_fetches_on_its_own() {
    let mut redis = RedisServer::start().unwrap();
    let bybit = slow_bybit(Duration::from_millis(400)).await;
    let url = redis.url();
    let waiting = tokio::spawn({
        let commands: Vec<_> = (0..5).map(|_| symbols_command(&url, &bybit)).collect();
        async move {
            let runs = commands
                .into_iter()
                .map(|mut command| async move { finish(&mut command).await });
            futures_util::future::join_all(runs).await
        }
    });
    while bybit.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    redis.stop();
    let outputs = waiting.await.unwrap();
    assert_complete(&outputs);
    assert!(runs(&bybit) >= 1);
}

/// A program with `--prelaunch` and one without keep their lists under different keys: the
/// one started while the other fetches takes a lease of its own and fetches at once, rather
/// than waiting for a fetch that stores nothing it reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programs_with_and_without_prelaunch_contracts_do_not_wait_on_each_other() {
    const PRELAUNCH: &str = "instruments-linear-bybitdocs-prelaunch-biousdt.json";
    let redis = RedisServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let directory = dir.path().to_str().unwrap().to_owned();
    for (cache, first_prelaunch) in [(directory, false), (redis.url(), true)] {
        let mut builder = MockBybit::builder()
            .status_instruments(Category::Linear, Status::PreLaunch, values(PRELAUNCH))
            .page_size(50);
        for page in 0..=PAGES {
            builder = builder.fault(Fault::hang(page, Duration::from_millis(300)).always());
        }
        let bybit = builder.start().await;
        let command = |prelaunch: bool| {
            let mut command = symbols_command(&cache, &bybit);
            command
                .arg("-vv")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if prelaunch {
                command.arg("--prelaunch");
            }
            command
        };
        let first = command(first_prelaunch).spawn().unwrap();
        // The second starts once the first holds its lease and is fetching.
        while bybit.request_count() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let second = finish(&mut command(!first_prelaunch)).await;
        let first = tokio::time::timeout(HANG_BOUND, first.wait_with_output())
            .await
            .expect("market-data did not exit")
            .unwrap();
        for (output, prelaunch) in [(first, first_prelaunch), (second, !first_prelaunch)] {
            let errors = stderr(&output);
            assert!(output.status.success(), "{errors}");
            let listed = LINEAR + usize::from(prelaunch);
            assert_eq!(stdout(&output).lines().count(), listed, "{errors}");
            let leases: Vec<&str> = errors.lines().filter(|l| l.contains("lease")).collect();
            assert!(
                !errors.contains("waiting for its result"),
                "{cache}: with pre-launch {prelaunch}, waited for the other: {leases:#?}"
            );
        }
        // Each its own run of the list, and one of the pre-launch contracts.
        assert_eq!(runs(&bybit), 3, "pagination runs");
    }
}
