//! Running the `market-data` program as a user would, and reading what it printed.
#![allow(dead_code, reason = "each test file uses its own part")]

pub(crate) mod changes;
pub(crate) mod http;
pub(crate) mod sidecar;

use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// The longest any run may take: far beyond a normal run, short enough to catch a hang.
pub(crate) const HANG_BOUND: Duration = Duration::from_secs(30);

/// The program with no inherited configuration.
pub(crate) fn market_data() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_market-data"));
    command
        .env_remove("RUST_LOG")
        .env_remove("MARKET_DATA_CACHE")
        .env_remove("BYBIT_BASE_URL")
        .kill_on_drop(true);
    command
}

/// Runs `command` to its end, failing the test if it does not end within [`HANG_BOUND`].
pub(crate) async fn finish(command: &mut tokio::process::Command) -> Output {
    tokio::time::timeout(HANG_BOUND, command.output())
        .await
        .expect("market-data did not exit")
        .unwrap()
}

/// Runs the program with `args`, caching in `cache`, against `bybit`.
pub(crate) async fn run(cache: &str, bybit: &str, args: &[&str]) -> Output {
    finish(
        market_data()
            .args(["--cache", cache, "--bybit-url", bybit])
            .args(args),
    )
    .await
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// An address nothing listens on: port 1 (tcpmux) is privileged and unused, and unlike a
/// port freed after binding it, no other test can take it meanwhile.
pub(crate) fn dead_url() -> String {
    "http://127.0.0.1:1".to_owned()
}

/// Everything a running program writes to stderr, gathered as it comes so that the pipe never
/// fills; read it with `lock()` at any time.
pub(crate) fn gather_stderr(child: &mut tokio::process::Child) -> Arc<Mutex<String>> {
    let gathered = Arc::new(Mutex::new(String::new()));
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let into = gathered.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            let mut into = into.lock().unwrap();
            into.push_str(&line);
            into.push('\n');
        }
    });
    gathered
}
