//! Leases across processes on one directory. This binary is its own child process: with
//! `CACHE_FILE_LEASE_ROLE` set it plays that role and exits (or waits to be killed);
//! without, it runs the tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use cache_core::Cache;
use cache_file::FileCache;

const ROLE: &str = "CACHE_FILE_LEASE_ROLE";
const DIR: &str = "CACHE_FILE_LEASE_DIR";
const NAME: &str = "fetch:instruments:linear";
const HOUR: Duration = Duration::from_secs(3600);
/// A bound for "does not hang"; every wait here ends far sooner.
const PATIENCE: Duration = Duration::from_secs(20);

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match std::env::var(ROLE).ok().as_deref() {
        Some("holder") => runtime.block_on(holder(HOUR)),
        Some("silent") => runtime.block_on(holder(Duration::from_millis(500))),
        Some("contender") => runtime.block_on(contender()),
        Some(other) => panic!("unknown role {other}"),
        None => {
            for (name, test) in [
                (
                    "a_killed_holder_frees_its_lease_at_once",
                    killed_holder as fn(),
                ),
                (
                    "a_holder_that_stops_extending_loses_its_lease_after_the_ttl",
                    silent_holder,
                ),
                ("of_processes_that_contend_one_wins", contenders),
            ] {
                let _ = writeln!(std::io::stderr(), "test {name} ...");
                test();
                let _ = writeln!(std::io::stderr(), "test {name} ... ok");
            }
        }
    }
}

/// A process that holds a lease for an hour is killed: another takes the lease at once.
fn killed_holder() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cache = runtime.block_on(FileCache::open(dir.path())).unwrap();
    let (mut child, mut out) = spawn("holder", dir.path());
    assert_eq!(line(&mut out), "held");
    runtime.block_on(async {
        let lease = cache.lease().unwrap();
        assert_eq!(lease.try_acquire(NAME, HOUR).await.unwrap(), None);
        child.0.kill().unwrap();
        assert!(!child.0.wait().unwrap().success());
        let token = lease.try_acquire(NAME, HOUR).await.unwrap();
        assert!(token.is_some(), "the killed holder's lock died with it");
    });
}

/// A process that takes a 500 ms lease and then neither extends nor releases it, while it
/// lives on: the lease is free for the others after its TTL.
fn silent_holder() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cache = runtime.block_on(FileCache::open(dir.path())).unwrap();
    let (mut child, mut out) = spawn("silent", dir.path());
    assert_eq!(line(&mut out), "held");
    let taken = runtime.block_on(async {
        let lease = cache.lease().unwrap();
        assert_eq!(lease.try_acquire(NAME, HOUR).await.unwrap(), None);
        let start = Instant::now();
        while start.elapsed() < PATIENCE {
            if lease.try_acquire(NAME, HOUR).await.unwrap().is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    });
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the holder still runs"
    );
    drop(child);
    assert!(taken, "the lease was free within {PATIENCE:?}");
}

/// Eight processes try to take one lease at once: exactly one does.
fn contenders() {
    let dir = tempfile::tempdir().unwrap();
    let mut children: Vec<(Reap, BufReader<ChildStdout>)> =
        (0..8).map(|_| spawn("contender", dir.path())).collect();
    let outcomes: Vec<String> = children.iter_mut().map(|(_, out)| line(out)).collect();
    let won = outcomes.iter().filter(|o| *o == "won").count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o == "won" || o == "lost"),
        "{outcomes:?}"
    );
    // Closing their stdin lets them exit, holder included.
    for (child, _) in &mut children {
        drop(child.0.stdin.take());
        assert!(child.0.wait().unwrap().success());
    }
}

/// Child role: takes the lease for `ttl`, says so, and waits to be killed (or for its stdin
/// to close, so that it never outlives a test that failed).
async fn holder(ttl: Duration) {
    let cache = FileCache::open(std::env::var(DIR).unwrap()).await.unwrap();
    let token = cache.lease().unwrap().try_acquire(NAME, ttl).await.unwrap();
    assert!(token.is_some(), "nobody else holds it");
    say("held");
    until_stdin_closes().await;
}

/// Child role: tries the lease once, says whether it won, and holds what it won until its
/// stdin closes.
async fn contender() {
    let cache = FileCache::open(std::env::var(DIR).unwrap()).await.unwrap();
    let token = cache
        .lease()
        .unwrap()
        .try_acquire(NAME, HOUR)
        .await
        .unwrap();
    say(if token.is_some() { "won" } else { "lost" });
    until_stdin_closes().await;
}

/// Waits off the runtime's threads, which go on running the lease's expiry.
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

fn spawn(role: &str, dir: &Path) -> (Reap, BufReader<ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(DIR, dir)
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
