//! The Python reference's figures: starts a `redis-server` of its own and runs
//! `benches/reference/bench_get.py` against it, which prints its table.
//!
//! `cargo run --release -p benches --bin reference -- [--seconds S]`; the arguments go to
//! the script. The interpreter is `$PYTHON`, or `python3`. When it is missing, or lacks the
//! packages of `benches/reference/requirements.txt`, this prints one line saying so and how
//! to install them, and exits successfully: the Rust reports do not depend on Python.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::process::Command;

use anyhow::{Context, Result, bail};
use benches::python;
use redis_test_server::RedisServer;

fn main() -> Result<()> {
    let python = python::interpreter();
    if let Err(why) = python::check(&python) {
        println!("\n{}", python::skipped(&python, &why));
        return Ok(());
    }

    let server = RedisServer::start().context("starting redis-server for the reference")?;
    let status = Command::new(&python)
        .arg(python::reference_dir().join("bench_get.py"))
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
