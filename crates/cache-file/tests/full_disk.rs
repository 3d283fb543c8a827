//! Opening a directory where a file can be made but no byte written, as on a full disk.
//!
//! A full file system is out of reach without mounting one, so this binary stands in for it
//! with `ulimit -f 0` (RLIMIT_FSIZE): creating an empty file still succeeds, and any write
//! fails (EFBIG, with SIGXFSZ ignored), which is how a full disk looks to a probe that only
//! creates a file. The binary is its own child process: with `CACHE_FILE_TEST_ROLE` set it
//! opens the cache under the limit and reports, without it runs the test.
#![cfg(unix)]

use std::io::Write;
use std::path::Path;
use std::process::Command;

use cache_file::FileCache;

const ROLE: &str = "CACHE_FILE_TEST_ROLE";
const DIR: &str = "CACHE_FILE_TEST_DIR";

fn main() {
    match std::env::var(ROLE).ok().as_deref() {
        Some("open") => open_and_report(),
        Some(other) => panic!("unknown role {other}"),
        None => {
            let name = "a_directory_that_takes_no_byte_fails_at_open";
            let _ = writeln!(std::io::stderr(), "test {name} ...");
            a_directory_that_takes_no_byte_fails_at_open();
            let _ = writeln!(std::io::stderr(), "test {name} ... ok");
        }
    }
}

/// The child: whether an empty file can be made, and what opening the cache gives. Its
/// output goes to a pipe, which the file size limit does not cover.
fn open_and_report() {
    let dir = std::env::var(DIR).unwrap();
    let empty = tempfile::tempfile_in(&dir).map(drop);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let opened = match runtime.block_on(FileCache::open(&dir)) {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let empty = if empty.is_ok() { "ok" } else { "failed" };
    let mut out = std::io::stdout();
    writeln!(out, "empty file: {empty}\nopen: {opened}").unwrap();
}

/// Runs the child on `dir`, under a file size limit of `limit` blocks when given.
fn child(dir: &Path, limit: Option<u32>) -> String {
    let script = match limit {
        Some(blocks) => format!("trap '' XFSZ && ulimit -f {blocks} && exec \"$0\""),
        None => "exec \"$0\"".to_owned(),
    };
    let out = Command::new("sh")
        .args(["-c", &script])
        .arg(std::env::current_exe().unwrap())
        .env(ROLE, "open")
        .env(DIR, dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{:?}: {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn a_directory_that_takes_no_byte_fails_at_open() {
    let tmp = tempfile::tempdir().unwrap();
    let report = child(tmp.path(), None);
    assert_eq!(report, "empty file: ok\nopen: ok\n", "without the limit");

    let report = child(tmp.path(), Some(0));
    assert!(
        report.starts_with("empty file: ok\n"),
        "an empty file can still be made, as on a full disk: {report}"
    );
    assert!(
        report.contains("open: ") && report.contains("cannot write in cache directory"),
        "{report}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "the failed probe is gone"
    );
}
