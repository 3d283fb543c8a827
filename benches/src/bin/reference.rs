//! The Python reference's figures: starts a `redis-server` of its own and runs
//! `benches/reference/bench_get.py` against it, which prints its table.
//!
//! `cargo run --release -p benches --bin reference -- [--seconds S]`; the arguments go to
//! the script. The interpreter is `$PYTHON`, or `python3`. When it is missing, or lacks the
//! packages of `benches/reference/requirements.txt`, this prints one line saying so and how
//! to install them, and exits successfully: the Rust reports do not depend on Python.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::ffi::OsString;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use benches::workspace_root;
use redis_test_server::RedisServer;

fn main() -> Result<()> {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| OsString::from("python3"));
    let reference = workspace_root().join("benches/reference");
    if let Err(why) = check_python(&python) {
        println!(
            "\nPython reference skipped: {why}. Install its packages with \
             `{} -m pip install -r benches/reference/requirements.txt` (from the workspace \
             root) to include it.",
            python.to_string_lossy(),
        );
        return Ok(());
    }

    let server = RedisServer::start().context("starting redis-server for the reference")?;
    let status = Command::new(&python)
        .arg(reference.join("bench_get.py"))
        .arg("--url")
        .arg(server.url())
        .args(std::env::args_os().skip(1))
        .status()
        .context("running the Python reference")?;
    if !status.success() {
        bail!("the Python reference failed ({status})");
    }
    Ok(())
}

/// Whether `python` runs and imports the reference's packages.
fn check_python(python: &OsString) -> std::result::Result<(), String> {
    let output = Command::new(python)
        .args(["-c", "import msgpack, redis.asyncio"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("`{}` did not run ({e})", python.to_string_lossy()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{}` lacks msgpack or redis",
            python.to_string_lossy()
        ))
    }
}
