//! What is not a regular file, under an entry name: a FIFO, a socket, a directory, a symbolic
//! link. None is read (opening a FIFO for reading would wait for a writer forever), none is a
//! value, and none is removed: they are not ours. A write replaces what it can.
#![cfg(unix)]

use std::fs;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use cache_core::Cache;
use cache_file::FileCache;
use tempfile::TempDir;

const MINUTE: Duration = Duration::from_secs(60);
/// Far beyond any of these calls on a working directory; reached only by a hang.
const HANG: Duration = Duration::from_secs(20);

async fn open() -> (TempDir, FileCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = FileCache::builder(dir.path())
        .sweep_interval(None)
        .open()
        .await
        .unwrap();
    (dir, cache)
}

/// The path of the entry file of `key`, found as the one file a write of it makes, and
/// removed again.
async fn entry_path(cache: &FileCache, key: &str) -> PathBuf {
    let before = entry_files(cache.dir());
    cache
        .set(key, Bytes::from_static(b"probe"), MINUTE)
        .await
        .unwrap();
    let mut new: Vec<_> = entry_files(cache.dir())
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(new.len(), 1, "one file per key");
    let path = new.pop().unwrap();
    fs::remove_file(&path).unwrap();
    path
}

fn entry_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "entry"))
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `call`, failing the test rather than waiting forever.
async fn bounded<T>(what: &str, call: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG, call)
        .await
        .unwrap_or_else(|_| panic!("{what} hangs"))
}

/// Reads, the TTL, the delete and the sweep all leave `path` as it is and report a miss.
async fn leaves_alone(cache: &FileCache, key: &str, path: &Path) {
    let kind = fs::symlink_metadata(path).unwrap().file_type();
    let get = bounded("get", cache.get(key)).await.unwrap();
    assert_eq!(get, None, "{kind:?}");
    let prefix = bounded("get_prefix", cache.get_prefix(key, 28)).await;
    assert_eq!(prefix.unwrap(), None, "{kind:?}");
    let keys = [key.to_owned()];
    let many = bounded("get_many", cache.get_many(&keys)).await.unwrap();
    assert_eq!(many, vec![None], "{kind:?}");
    assert_eq!(bounded("ttl", cache.ttl(key)).await.unwrap(), None);
    assert!(!bounded("delete", cache.delete(key)).await.unwrap());
    let report = bounded("sweep", cache.purge_expired()).await.unwrap();
    assert_eq!((report.expired, report.invalid), (0, 0), "{kind:?}");
    let after = fs::symlink_metadata(path)
        .expect("left in place")
        .file_type();
    assert_eq!(after, kind);
}

#[tokio::test]
async fn a_fifo_is_a_miss_left_alone_and_a_write_replaces_it() {
    let (_dir, cache) = open().await;
    let path = entry_path(&cache, "k").await;
    mkfifo(&path);
    leaves_alone(&cache, "k", &path).await;

    bounded("set", cache.set("k", Bytes::from_static(b"v"), MINUTE))
        .await
        .unwrap();
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
}

#[tokio::test]
async fn a_socket_is_a_miss_left_alone() {
    let (_dir, cache) = open().await;
    let path = entry_path(&cache, "k").await;
    let _listener = UnixListener::bind(&path).unwrap();
    leaves_alone(&cache, "k", &path).await;
}

#[tokio::test]
async fn a_directory_is_a_miss_left_alone() {
    let (_dir, cache) = open().await;
    let path = entry_path(&cache, "k").await;
    fs::create_dir(&path).unwrap();
    leaves_alone(&cache, "k", &path).await;
}

#[tokio::test]
async fn a_link_to_a_fifo_is_a_miss_left_alone() {
    let (dir, cache) = open().await;
    let path = entry_path(&cache, "k").await;
    let fifo = dir.path().join("a-fifo");
    mkfifo(&fifo);
    std::os::unix::fs::symlink(&fifo, &path).unwrap();
    leaves_alone(&cache, "k", &path).await;
}

#[tokio::test]
async fn a_link_to_a_whole_entry_of_its_key_is_not_followed() {
    let (_dir, cache) = open().await;
    let path = entry_path(&cache, "k").await;
    cache
        .set("k", Bytes::from_static(b"linked"), MINUTE)
        .await
        .unwrap();
    // The entry of "k" moves out of the directory; a link to it takes its place.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("moved");
    fs::rename(&path, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &path).unwrap();
    leaves_alone(&cache, "k", &path).await;
    assert!(moved.is_file(), "the link's target is untouched");
}
