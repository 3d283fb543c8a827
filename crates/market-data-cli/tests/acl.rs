//! The program on Redis as a user without channel rights (Redis 7's default for a new user):
//! it answers, caches, and clears the cache as for any user, its refused announcements
//! costing at most one warning; with `?announce=off` it sends none.

mod common;

use bybit_client::testing::MockBybit;
use redis_test_server::RedisServer;

use common::{run, stderr, stdout};

/// A server with the user `app` (password `pw`), who may use every key and command but no
/// channel, and the URL that logs in as that user.
fn server_with_app() -> (RedisServer, String) {
    let server = RedisServer::start().unwrap();
    let created = server
        .cli(&["ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all"])
        .unwrap();
    assert_eq!(created.trim(), "OK");
    let url = format!("redis://app:pw@127.0.0.1:{}/0", server.port());
    (server, url)
}

/// What a run printed about announcements.
fn announcement_warnings(output: &std::process::Output) -> usize {
    stderr(output)
        .lines()
        .filter(|line| line.contains("announce"))
        .count()
}

/// Runs symbols twice (the second from the cache), clears the cache, and runs again (from
/// Bybit); returns the stderr of every run.
async fn answers_caches_and_clears(cache: &str) -> Vec<std::process::Output> {
    let bybit = MockBybit::start().await;
    let symbols = ["symbols", "--category", "linear"];
    let first = run(cache, &bybit.base_url(), &symbols).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(stdout(&first).lines().count(), 214);
    let fetched = bybit.request_count();
    assert!(fetched > 0);

    let second = run(cache, &bybit.base_url(), &symbols).await;
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(stdout(&second), stdout(&first));
    assert_eq!(
        bybit.request_count(),
        fetched,
        "the second run is served from Redis"
    );

    let clear = run(cache, &bybit.base_url(), &["cache", "clear"]).await;
    assert!(
        clear.status.success(),
        "cache clear succeeds: {}",
        stderr(&clear)
    );

    let third = run(cache, &bybit.base_url(), &symbols).await;
    assert!(third.status.success(), "{}", stderr(&third));
    assert!(
        bybit.request_count() > fetched,
        "the cache was cleared: the third run fetches"
    );
    vec![first, second, clear, third]
}

#[tokio::test]
async fn a_user_without_channel_rights_answers_caches_and_clears() {
    let (_server, url) = server_with_app();
    for output in answers_caches_and_clears(&url).await {
        assert!(
            announcement_warnings(&output) <= 1,
            "at most one warning per run about announcements: {}",
            stderr(&output)
        );
    }
}

#[tokio::test]
async fn with_announce_off_nothing_is_announced_nor_warned() {
    let (_server, url) = server_with_app();
    let url = format!("{url}?announce=off");
    for output in answers_caches_and_clears(&url).await {
        assert_eq!(announcement_warnings(&output), 0, "{}", stderr(&output));
    }
}
