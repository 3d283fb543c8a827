//! Leases across processes, on one server and on a three-master cluster. This binary is its
//! own child process: with `CACHE_REDIS_LEASE_ROLE` set it plays that role and exits (or
//! waits to be killed); without, it runs the tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use cache_core::Cache;
use cache_redis::RedisCache;
use redis_test_server::{RedisCluster, RedisServer};

const ROLE: &str = "CACHE_REDIS_LEASE_ROLE";
const URL: &str = "CACHE_REDIS_LEASE_URL";
const NAME: &str = "fetch:instruments:linear";
/// The holder's lease: short, so that a dead holder's lease ends soon, and extended every
/// tenth of it while the holder lives.
const TTL: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
/// A bound for "does not hang"; every wait here ends far sooner.
const PATIENCE: Duration = Duration::from_secs(20);

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match std::env::var(ROLE).ok().as_deref() {
        Some("holder") => runtime.block_on(holder()),
        Some("contender") => runtime.block_on(contender()),
        Some(other) => panic!("unknown role {other}"),
        None => {
            let server = RedisServer::start().unwrap();
            let cluster = RedisCluster::start(3).unwrap();
            let cluster_url = format!("redis+cluster://{}", cluster.addrs().join(","));
            for (target, url) in [("server", server.url()), ("cluster", cluster_url)] {
                for (name, test) in [
                    (
                        "a_killed_holder_s_lease_ends_after_its_ttl",
                        killed_holder as fn(&str),
                    ),
                    ("of_processes_that_contend_one_wins", contenders),
                ] {
                    let _ = writeln!(std::io::stderr(), "test {name} on a {target} ...");
                    test(&url);
                    let _ = writeln!(std::io::stderr(), "test {name} on a {target} ... ok");
                }
            }
        }
    }
}

/// A process that holds a lease and extends it is killed: the lease outlives it until its
/// TTL, then another process takes it.
fn killed_holder(url: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let cache = connect(url).await;
        let lease = cache.lease().unwrap();
        let (mut child, mut out) = spawn("holder", url);
        assert_eq!(line(&mut out), "held");
        // Past two TTLs: held all along, by the holder's extensions.
        tokio::time::sleep(TTL * 2 + TTL / 2).await;
        assert_eq!(lease.try_acquire(NAME, MINUTE).await.unwrap(), None);
        child.0.kill().unwrap();
        assert!(!child.0.wait().unwrap().success());
        // The holder extended it at most a tenth of the TTL ago, so most of it remains.
        assert_eq!(lease.try_acquire(NAME, MINUTE).await.unwrap(), None);
        let start = Instant::now();
        let mut token = None;
        while token.is_none() && start.elapsed() < PATIENCE {
            tokio::time::sleep(TTL / 10).await;
            token = lease.try_acquire(NAME, MINUTE).await.unwrap();
        }
        let token = token.expect("the dead holder's lease ended");
        assert!(lease.release(NAME, &token).await.unwrap());
    });
}

/// Eight processes try to take one lease at once: exactly one does.
fn contenders(url: &str) {
    let mut children: Vec<(Reap, BufReader<ChildStdout>)> =
        (0..8).map(|_| spawn("contender", url)).collect();
    let outcomes: Vec<String> = children.iter_mut().map(|(_, out)| line(out)).collect();
    let won = outcomes.iter().filter(|o| *o == "won").count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o == "won" || o == "lost"),
        "{outcomes:?}"
    );
    // Closing their stdin lets them exit; the winner releases its lease first.
    for (child, _) in &mut children {
        drop(child.0.stdin.take());
        assert!(child.0.wait().unwrap().success());
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let free = runtime.block_on(async {
        let cache = connect(url).await;
        let lease = cache.lease().unwrap();
        let token = lease.try_acquire(NAME, MINUTE).await.unwrap();
        lease.release(NAME, token.as_ref().unwrap()).await.unwrap()
    });
    assert!(free, "the winner released its lease");
}

/// Child role: takes the lease, says so, and extends it every tenth of its TTL until killed
/// (or until its stdin closes, so that it never outlives a test that failed).
async fn holder() {
    let cache = connect(&std::env::var(URL).unwrap()).await;
    let lease = cache.lease().unwrap();
    let token = lease.try_acquire(NAME, TTL).await.unwrap();
    let token = token.expect("nobody else holds it");
    say("held");
    let extend = async {
        loop {
            tokio::time::sleep(TTL / 10).await;
            assert!(lease.extend(NAME, &token, TTL).await.unwrap(), "still ours");
        }
    };
    tokio::select! {
        () = extend => {}
        () = until_stdin_closes() => {}
    }
}

/// Child role: tries the lease once, says whether it won, and holds what it won until its
/// stdin closes.
async fn contender() {
    let cache = connect(&std::env::var(URL).unwrap()).await;
    let lease = cache.lease().unwrap();
    let token = lease.try_acquire(NAME, MINUTE).await.unwrap();
    say(if token.is_some() { "won" } else { "lost" });
    until_stdin_closes().await;
    if let Some(token) = token {
        assert!(lease.release(NAME, &token).await.unwrap());
    }
}

async fn connect(url: &str) -> RedisCache {
    RedisCache::builder()
        .url(url)
        .key_prefix("lease-processes:")
        .operation_timeout(Duration::from_secs(5))
        .build()
        .await
        .unwrap()
}

/// Waits off the runtime's threads.
async fn until_stdin_closes() {
    let read = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()));
    let _ = read.await;
}

fn say(what: &str) {
    let mut out = std::io::stdout();
    writeln!(out, "{what}").and_then(|()| out.flush()).unwrap();
}

/// A child process, killed if a failed test leaves it running.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(role: &str, url: &str) -> (Reap, BufReader<ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(URL, url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    (Reap(child), out)
}

/// The child's next line; a child that died first gives an empty one.
fn line(out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}
