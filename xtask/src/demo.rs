//! `cargo xtask demo`: the program twice against the local mock Bybit, fetching then cached.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{cargo, workspace_root};

/// Kills the mock server however the demo ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn demo() -> Result<()> {
    cargo(&[
        "build",
        "--quiet",
        "--package",
        "bybit-client",
        "--features",
        "testing",
        "--bin",
        "mock-bybit",
    ])?;
    cargo(&[
        "build",
        "--quiet",
        "--package",
        "market-data-cli",
        "--bin",
        "market-data",
    ])?;
    let bin = target_dir().join("debug");

    let mut child = Command::new(bin.join("mock-bybit"))
        .stdout(Stdio::piped())
        .spawn()
        .context("starting mock-bybit")?;
    let stdout = child.stdout.take().context("mock-bybit's stdout")?;
    let server = Server(child);
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url)?;
    let url = url.trim().to_owned();
    if url.is_empty() {
        bail!("mock-bybit printed no URL");
    }
    println!("mock Bybit (the recorded fixtures, 100 instruments a page) at {url}");

    let cache = std::env::temp_dir().join(format!("market-data-demo-{}", std::process::id()));
    let result = (|| {
        for run in [
            "first run: nothing cached, every page fetched",
            "second run: served from the cache",
        ] {
            println!("\n== {run}");
            show(&bin.join("market-data"), &cache, &url)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&cache);
    drop(server);
    result
}

fn show(program: &Path, cache: &Path, url: &str) -> Result<()> {
    let args = ["symbols", "--category", "linear"];
    println!(
        "$ market-data --cache {} --bybit-url {url} {}",
        cache.display(),
        args.join(" ")
    );
    let started = Instant::now();
    let output = Command::new(program)
        .arg("--cache")
        .arg(cache)
        .args(["--bybit-url", url])
        .args(args)
        .env("RUST_LOG", "market_data=info,bybit_client=debug")
        .output()
        .context("running market-data")?;
    let elapsed = started.elapsed();
    print!("{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let symbols: Vec<&str> = stdout.lines().collect();
    println!(
        "stdout: {} symbols ({} ...), exit {}, {:.1} ms",
        symbols.len(),
        symbols
            .iter()
            .take(3)
            .copied()
            .collect::<Vec<_>>()
            .join(", "),
        output.status.code().unwrap_or(-1),
        elapsed.as_secs_f64() * 1000.0
    );
    if !output.status.success() {
        bail!("market-data failed");
    }
    Ok(())
}

fn target_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), Into::into)
}
