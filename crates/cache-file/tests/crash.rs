//! What a crashed writer, a bad disk or a stranger can leave in the directory: torn and
//! corrupt entry files, foreign files under entry names, stray temporary files. None reads
//! as a value; the sweep removes what is ours and nothing else.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cache_core::Cache;
use cache_file::{FileCache, STRAY_TEMP_AGE};
use tempfile::TempDir;

const MINUTE: Duration = Duration::from_secs(60);

async fn open() -> (TempDir, FileCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = FileCache::builder(dir.path())
        .sweep_interval(None)
        .open()
        .await
        .unwrap();
    (dir, cache)
}

/// Writes `key` and returns the path of the one file that appeared for it.
async fn write(cache: &FileCache, key: &str, len: usize, ttl: Duration) -> PathBuf {
    let before = entry_files(cache.dir());
    let value: Bytes = (0..len)
        .map(|i| (i * 31 % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    cache.set(key, value, ttl).await.unwrap();
    let mut new: Vec<_> = entry_files(cache.dir())
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert_eq!(new.len(), 1, "one file per key");
    new.pop().unwrap()
}

fn entry_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "entry"))
        .collect();
    files.sort();
    files
}

fn age(path: &Path, by: Duration) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - by).unwrap();
}

#[tokio::test]
async fn an_entry_cut_short_anywhere_reads_as_missing_and_is_removed() {
    let (_dir, cache) = open().await;
    let full = fs::metadata(write(&cache, "probe", 1000, MINUTE).await)
        .unwrap()
        .len();
    for cut in [0, 1, 27, 28, 40, 41, full / 2, full - 4, full - 1] {
        let key = format!("torn at {cut}");
        let path = write(&cache, &key, 1000, MINUTE).await;
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(cut)
            .unwrap();
        assert_eq!(cache.ttl(&key).await.unwrap(), None, "cut at {cut}");
        assert!(
            !path.exists(),
            "a torn file is removed when found (cut at {cut})"
        );
        let path = write(&cache, &key, 1000, MINUTE).await;
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(cut)
            .unwrap();
        assert_eq!(cache.get(&key).await.unwrap(), None, "cut at {cut}");
        assert!(!path.exists());
    }
}

#[tokio::test]
async fn a_corrupt_value_reads_as_missing() {
    let (_dir, cache) = open().await;
    let path = write(&cache, "k", 4096, MINUTE).await;
    let mut bytes = fs::read(&path).unwrap();
    let middle = bytes.len() - 2000;
    bytes[middle] ^= 0x10;
    fs::write(&path, bytes).unwrap();
    assert_eq!(cache.get("k").await.unwrap(), None);
    assert!(!path.exists());
    assert_eq!(cache.get("k").await.unwrap(), None);
}

#[tokio::test]
async fn a_foreign_file_under_an_entry_name_reads_as_missing() {
    let (_dir, cache) = open().await;
    let path = write(&cache, "k", 10, MINUTE).await;
    fs::write(
        &path,
        "{\"not\": \"an entry, but long enough to hold a header\"}",
    )
    .unwrap();
    assert_eq!(cache.ttl("k").await.unwrap(), None);
    assert!(!cache.delete("k").await.unwrap(), "nothing was there");
    assert!(!path.exists());
}

#[tokio::test]
async fn a_whole_entry_of_another_key_is_a_miss_and_left_alone() {
    let (_dir, cache) = open().await;
    let a = write(&cache, "a", 10, MINUTE).await;
    let b = write(&cache, "b", 20, MINUTE).await;
    // As a hash collision would: the file at b's name holds a's entry.
    fs::copy(&a, &b).unwrap();
    assert_eq!(cache.get("b").await.unwrap(), None);
    assert_eq!(cache.ttl("b").await.unwrap(), None);
    assert!(!cache.delete("b").await.unwrap());
    assert!(b.exists(), "a whole entry of another key is not removed");
    assert_eq!(cache.get("a").await.unwrap().unwrap().len(), 10);
    cache
        .set("b", Bytes::from_static(b"mine"), MINUTE)
        .await
        .unwrap();
    assert_eq!(cache.get("b").await.unwrap().as_deref(), Some(&b"mine"[..]));
}

#[tokio::test]
async fn the_sweep_removes_expired_invalid_and_abandoned_files_and_nothing_else() {
    let (dir, cache) = open().await;
    let expired = write(&cache, "expired", 10, Duration::from_millis(1)).await;
    let torn = write(&cache, "torn", 100, MINUTE).await;
    fs::File::options()
        .write(true)
        .open(&torn)
        .unwrap()
        .set_len(50)
        .unwrap();
    let live = write(&cache, "live", 10, MINUTE).await;
    let abandoned = dir.path().join(".tmp-crashed");
    fs::write(&abandoned, b"half a value").unwrap();
    age(&abandoned, STRAY_TEMP_AGE + MINUTE);
    let in_progress = dir.path().join(".tmp-writing-now");
    fs::write(&in_progress, b"a value being written").unwrap();
    let unrelated = dir.path().join("notes.txt");
    fs::write(&unrelated, b"not ours").unwrap();
    age(&unrelated, STRAY_TEMP_AGE + MINUTE);
    let subdir = dir.path().join("0123456789abcdef0123456789abcdef.entry");
    fs::create_dir(&subdir).unwrap();
    // Past its expiry whatever the clock's resolution; nothing has read it since.
    tokio::time::sleep(Duration::from_millis(20)).await;

    let report = cache.purge_expired().await.unwrap();
    assert_eq!(
        (report.expired, report.invalid, report.stray_temp_files),
        (1, 1, 1)
    );
    assert!(!expired.exists() && !torn.exists() && !abandoned.exists());
    assert!(live.exists() && in_progress.exists() && unrelated.exists() && subdir.is_dir());
    assert_eq!(cache.get("live").await.unwrap().unwrap().len(), 10);

    let again = cache.purge_expired().await.unwrap();
    assert_eq!(
        (again.expired, again.invalid, again.stray_temp_files),
        (0, 0, 0)
    );
}

/// The header of an entry file laid out by hand, as the crate docs describe it, declaring a
/// value of `value_len` bytes.
fn forged_header(key: &str, value_len: u64, expires_at_ms: u64) -> Vec<u8> {
    let mut out = b"MDCF\x01\0\0\0".to_vec();
    out.extend_from_slice(&expires_at_ms.to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(&value_len.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
    out
}

fn in_a_minute_ms() -> u64 {
    let at = SystemTime::now() + MINUTE;
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn a_forged_length_near_2_64_reads_as_invalid_and_is_swept() {
    let (_dir, cache) = open().await;
    // `present` bytes follow the header; a declared value length of 2^64 - 4 + `present`
    // makes the whole file's declared length wrap around to exactly the length it has.
    let mut forged = Vec::new();
    for present in 0..4u64 {
        let key = format!("forged {present}");
        let path = write(&cache, &key, 4, MINUTE).await;
        let value_len = (u64::MAX - 3).wrapping_add(present);
        let mut bytes = forged_header(&key, value_len, in_a_minute_ms());
        bytes.resize(bytes.len() + present as usize, 0);
        fs::write(&path, bytes).unwrap();
        forged.push((key, path));
    }
    assert_eq!(cache.get(&forged[0].0).await.unwrap(), None);
    assert!(
        !forged[0].1.exists(),
        "an invalid entry is removed when found"
    );
    assert_eq!(cache.ttl(&forged[1].0).await.unwrap(), None);
    assert!(!forged[1].1.exists());
    let report = cache.purge_expired().await.unwrap();
    assert_eq!(report.invalid, 2);
    assert!(!forged[2].1.exists() && !forged[3].1.exists());

    // The forger's layout is the real one: with the true length, the entry reads.
    let path = write(&cache, "honest", 4, MINUTE).await;
    let mut bytes = forged_header("honest", 4, in_a_minute_ms());
    bytes.extend_from_slice(b"vals");
    bytes.extend_from_slice(&crc32fast::hash(b"vals").to_le_bytes());
    fs::write(&path, bytes).unwrap();
    let read = cache.get("honest").await.unwrap();
    assert_eq!(read.as_deref(), Some(&b"vals"[..]));
}

#[tokio::test]
async fn a_declared_value_past_the_limit_is_invalid_and_a_longer_write_refused() {
    let (_dir, cache) = open().await;
    let path = write(&cache, "big", 4, MINUTE).await;
    let declared = cache_file::MAX_VALUE_LEN as u64 + 1;
    // A sparse file of the declared length: only a limit keeps a reader from allocating it.
    let header = forged_header("big", declared, in_a_minute_ms());
    fs::write(&path, &header).unwrap();
    let file = fs::File::options().write(true).open(&path).unwrap();
    file.set_len(header.len() as u64 + declared + 4).unwrap();
    assert_eq!(cache.get("big").await.unwrap(), None);
    assert!(!path.exists());

    let too_long = Bytes::from(vec![0u8; cache_file::MAX_VALUE_LEN + 1]);
    let err = cache.set("big", too_long, MINUTE).await.unwrap_err();
    assert!(
        matches!(err, cache_core::Error::InvalidArgument(_)),
        "{err}"
    );
}
