//! Several processes on one directory. This binary is its own child process: with
//! `CACHE_FILE_TEST_ROLE` set it plays that role and exits; without, it runs the tests.
//!
//! Every value written here says which key, writer and round it belongs to and can be
//! regenerated from that, so a reader recognizes a torn, mixed or misplaced value.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cache_core::{Cache, Entry};
use cache_file::FileCache;

const ROLE: &str = "CACHE_FILE_TEST_ROLE";
const DIR: &str = "CACHE_FILE_TEST_DIR";
const WRITER: &str = "CACHE_FILE_TEST_WRITER";
const KEYS: u32 = 6;
const HOUR: Duration = Duration::from_secs(3600);

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    match std::env::var(ROLE).ok().as_deref() {
        Some("writer") => runtime.block_on(writer(100)),
        Some("endless") => runtime.block_on(endless_writer()),
        Some("fifo-reader") => runtime.block_on(fifo_reader()),
        Some("fifo-writer") => runtime.block_on(fifo_writer()),
        Some(other) => panic!("unknown role {other}"),
        None => {
            for (name, test) in [
                (
                    "several_processes_never_read_a_torn_or_foreign_value",
                    several_processes as fn(),
                ),
                (
                    "sigkill_mid_write_leaves_only_whole_values",
                    sigkill_mid_write,
                ),
                (
                    "fifos_in_place_of_entries_let_a_process_exit",
                    fifos_let_a_process_exit,
                ),
            ] {
                let _ = writeln!(std::io::stderr(), "test {name} ...");
                test();
                let _ = writeln!(std::io::stderr(), "test {name} ... ok");
            }
        }
    }
}

/// Three processes write, batch-write, read, delete and sweep the same keys while this one
/// reads them: every value anyone reads is whole and belongs to its key.
fn several_processes() {
    let dir = tempfile::tempdir().unwrap();
    let mut children: Vec<Child> = (1..=3)
        .map(|id| spawn("writer", dir.path(), id, false))
        .collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let cache = FileCache::open(dir.path()).await.unwrap();
        while !children.iter_mut().all(|c| c.try_wait().unwrap().is_some()) {
            for (k, value) in cache
                .get_many(&shared_keys())
                .await
                .unwrap()
                .iter()
                .enumerate()
            {
                if let Some(value) = value {
                    check(value, k as u32);
                }
            }
        }
        for child in &mut children {
            assert!(child.wait().unwrap().success(), "a child writer failed");
        }
        for (k, value) in cache
            .get_many(&shared_keys())
            .await
            .unwrap()
            .iter()
            .enumerate()
        {
            let (writer, _) = check(value.as_ref().expect("every shared key written"), k as u32);
            assert!((1..=3).contains(&writer));
        }
    });
    assert_eq!(
        temp_files(dir.path()).len(),
        0,
        "writers that exit leave no temporary file"
    );
}

/// A writer of large values is killed with SIGKILL while it writes, five times over: every
/// key it ever wrote still reads as one whole value, and what it left is swept.
fn sigkill_mid_write() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for round in 0..5 {
        let mut child = spawn("endless", dir.path(), 10 + round, true);
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready, "ready\n", "the child wrote every key once");
        child.kill().unwrap();
        assert!(!child.wait().unwrap().success());

        runtime.block_on(async {
            let cache = FileCache::open(dir.path()).await.unwrap();
            for (k, value) in cache
                .get_many(&shared_keys())
                .await
                .unwrap()
                .iter()
                .enumerate()
            {
                check(
                    value
                        .as_ref()
                        .expect("a written key is never lost to a kill"),
                    k as u32,
                );
            }
        });
    }
    // The crashed writers' temporary files, made old enough to be taken for abandoned.
    let strays = temp_files(dir.path());
    let old = SystemTime::now() - 2 * HOUR;
    for path in &strays {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let report = runtime.block_on(async {
        FileCache::open(dir.path())
            .await
            .unwrap()
            .purge_expired()
            .await
            .unwrap()
    });
    assert_eq!(report.stray_temp_files, strays.len());
    assert_eq!(report.invalid, 0, "no torn entry file");
    assert!(temp_files(dir.path()).is_empty());
}

/// FIFOs under the entry names of the shared keys: a process that reads those keys sees
/// misses, a process whose write starts a background sweep over them, and both exit. Opening
/// a FIFO for reading waits for a writer, forever here, and a runtime waits for its
/// blocking tasks when it is dropped: this is what a hang would look like to a user.
fn fifos_let_a_process_exit() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let cache = FileCache::builder(dir.path())
            .sweep_interval(None)
            .open()
            .await
            .unwrap();
        for k in 0..KEYS {
            cache
                .set(&key(k), value(k, 0, 0).into(), HOUR)
                .await
                .unwrap();
        }
    });
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "entry"))
        .collect();
    assert_eq!(entries.len(), KEYS as usize);
    for path in &entries {
        std::fs::remove_file(path).unwrap();
        let status = Command::new("mkfifo").arg(path).status().unwrap();
        assert!(status.success(), "mkfifo {}", path.display());
    }
    for role in ["fifo-reader", "fifo-writer"] {
        let mut child = spawn(role, dir.path(), 0, false);
        let status = wait_at_most(&mut child, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("the {role} did not exit within 20 s"));
        assert!(status.success(), "the {role} failed: {status}");
    }
    for path in &entries {
        let kind = std::fs::symlink_metadata(path).unwrap().file_type();
        assert!(
            std::os::unix::fs::FileTypeExt::is_fifo(&kind),
            "a FIFO is left alone"
        );
    }
}

/// Waits for `child` for at most `limit`, then kills it and returns `None`.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

/// Child role: reads the shared keys, which FIFOs stand in for, and exits.
async fn fifo_reader() {
    let (cache, _) = child_cache().await;
    let values = cache.get_many(&shared_keys()).await.unwrap();
    assert!(values.iter().all(Option::is_none), "a FIFO is a miss");
    assert_eq!(cache.get(&key(0)).await.unwrap(), None);
    assert_eq!(cache.ttl(&key(0)).await.unwrap(), None);
    assert!(!cache.delete(&key(0)).await.unwrap());
}

/// Child role: writes another key, which starts a background sweep over the FIFOs, and
/// exits while the sweep may still run.
async fn fifo_writer() {
    let (cache, _) = child_cache().await;
    let fresh = Bytes::from_static(b"fresh");
    cache.set("fresh", fresh.clone(), HOUR).await.unwrap();
    assert_eq!(cache.get("fresh").await.unwrap(), Some(fresh));
}

/// Child role: `rounds` rounds of writes and checked reads on the shared keys.
async fn writer(rounds: u32) {
    let (cache, id) = child_cache().await;
    for round in 0..rounds {
        if round % 2 == 0 {
            let batch = (0..KEYS).map(|k| Entry::new(key(k), value(k, id, round), HOUR));
            cache.set_many(batch.collect()).await.unwrap();
        } else {
            for k in 0..KEYS {
                cache
                    .set(&key(k), value(k, id, round).into(), HOUR)
                    .await
                    .unwrap();
            }
        }
        for (k, value) in cache
            .get_many(&shared_keys())
            .await
            .unwrap()
            .iter()
            .enumerate()
        {
            // Long-lived entries are replaced, never removed: present once written.
            check(value.as_ref().expect("a written key is present"), k as u32);
        }
        // A key that expires at once and one that is deleted: readers and sweeps remove
        // files while other processes replace them.
        let (flicker, gone) = (KEYS, KEYS + 1);
        let ms = Duration::from_millis(1);
        cache
            .set(&key(flicker), value(flicker, id, round).into(), ms)
            .await
            .unwrap();
        cache
            .set(&key(gone), value(gone, id, round).into(), HOUR)
            .await
            .unwrap();
        cache.delete(&key(gone)).await.unwrap();
        for k in [flicker, gone] {
            if let Some(value) = cache.get(&key(k)).await.unwrap() {
                check(&value, k);
            }
        }
        if round % 25 == 0 {
            cache.purge_expired().await.unwrap();
        }
    }
}

/// Child role: writes large values until killed, saying "ready" once every key is written.
async fn endless_writer() {
    let (cache, id) = child_cache().await;
    // Made beforehand, so that the child spends its time writing, where the kill should land.
    let values: Vec<[Bytes; 2]> = (0..KEYS)
        .map(|k| [0, 1].map(|round| big_value(k, id, round).into()))
        .collect();
    for round in 0usize.. {
        for k in 0..KEYS {
            let value = values[k as usize][round % 2].clone();
            cache.set(&key(k), value, HOUR).await.unwrap();
        }
        if round == 0 {
            let mut out = std::io::stdout();
            out.write_all(b"ready\n")
                .and_then(|()| out.flush())
                .unwrap();
        }
    }
}

async fn child_cache() -> (FileCache, u32) {
    let dir = std::env::var(DIR).unwrap();
    let id = std::env::var(WRITER).unwrap().parse().unwrap();
    (FileCache::open(dir).await.unwrap(), id)
}

fn spawn(role: &str, dir: &Path, id: u32, piped: bool) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(DIR, dir)
        .env(WRITER, id.to_string())
        .stdout(if piped { Stdio::piped() } else { Stdio::null() })
        .spawn()
        .unwrap()
}

fn key(k: u32) -> String {
    format!("shared:{k}")
}

fn shared_keys() -> Vec<String> {
    (0..KEYS).map(key).collect()
}

/// A value of up to 100 KB, its length varying with the round.
fn value(k: u32, writer: u32, round: u32) -> Vec<u8> {
    generate(k, writer, round, 100_000)
}

/// A value of up to 2 MB, so that a kill likely lands inside a write.
fn big_value(k: u32, writer: u32, round: u32) -> Vec<u8> {
    generate(k, writer, round, 2_000_000)
}

fn generate(k: u32, writer: u32, round: u32, max: u32) -> Vec<u8> {
    let len = 24 + (k * 7_919 + writer * 104_729 + round * 1_299_709) % max;
    let mut out = Vec::with_capacity(len as usize);
    for field in [k, writer, round, max, len] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    let mut state = u64::from(k) << 48 ^ u64::from(writer) << 32 ^ u64::from(round) | 1;
    while out.len() < len as usize {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let take = (len as usize - out.len()).min(8);
        out.extend_from_slice(&state.to_le_bytes()[..take]);
    }
    out
}

/// Asserts `value` is exactly what some writer wrote under key `k`; returns (writer, round).
fn check(value: &[u8], k: u32) -> (u32, u32) {
    assert!(
        value.len() >= 20,
        "a value of {} bytes is torn",
        value.len()
    );
    let field = |i: usize| u32::from_le_bytes(value[i * 4..i * 4 + 4].try_into().unwrap());
    assert_eq!(field(0), k, "a value of another key");
    let (writer, round, max) = (field(1), field(2), field(3));
    assert!([100_000, 2_000_000].contains(&max), "a torn header");
    assert!(
        value == generate(k, writer, round, max),
        "a torn or corrupt value"
    );
    (writer, round)
}

fn temp_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
        .map(|e| e.path())
        .collect()
}
