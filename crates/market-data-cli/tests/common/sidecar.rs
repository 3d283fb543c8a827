//! `market-data serve` running as a user runs it, on a free port it prints.

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use super::http::ANSWER_BOUND;

/// Far beyond the two seconds a stopped server is meant to take; catches one that hangs.
const EXIT_BOUND: Duration = Duration::from_secs(10);

/// A running `market-data serve`.
pub(crate) struct Sidecar {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    stderr: Arc<Mutex<String>>,
}

impl Sidecar {
    /// Starts `market-data --cache cache --bybit-url bybit ARGS serve --listen 127.0.0.1:0`
    /// and waits for the address it prints.
    pub(crate) async fn start(cache: &str, bybit: &str, args: &[&str]) -> Self {
        Self::start_with(cache, bybit, args, &[]).await
    }

    /// [`Sidecar::start`] with `serve`'s own options `serve_args`.
    pub(crate) async fn start_with(
        cache: &str,
        bybit: &str,
        args: &[&str],
        serve_args: &[&str],
    ) -> Self {
        let mut child = super::market_data()
            .args(["--cache", cache, "--bybit-url", bybit])
            .args(args)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(serve_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = super::gather_stderr(&mut child);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(ANSWER_BOUND, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no address; stderr:\n{}", stderr.lock().unwrap()));
        let line = line.unwrap().unwrap_or_default();
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{line:?}; stderr:\n{}", stderr.lock().unwrap()))
            .to_owned();
        Self {
            child,
            base,
            stderr,
        }
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends signal `name` (`TERM`, `INT`).
    pub(crate) fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -s {name} {pid}");
    }

    /// Waits for the exit after a signal: the status, how long it took, and stderr.
    pub(crate) async fn exit(&mut self) -> (ExitStatus, Duration, String) {
        let asked = Instant::now();
        let status = tokio::time::timeout(EXIT_BOUND, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("did not exit; stderr:\n{}", self.stderr()))
            .unwrap();
        let took = asked.elapsed();
        tokio::time::sleep(Duration::from_millis(50)).await;
        (status, took, self.stderr())
    }
}
