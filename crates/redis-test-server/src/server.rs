//! One `redis-server` process on a free loopback port.

use std::ffi::OsString;
use std::io;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::net::{is_closed, runs_as};
use crate::{ServerBuilder, TlsFiles, redis_cli_bin, redis_server_bin};

/// How long a server may take to answer as itself.
const READY_LIMIT: Duration = Duration::from_secs(15);

/// A running `redis-server` on `127.0.0.1`, killed and reaped when dropped.
///
/// Nothing is persisted: [`RedisServer::restart`] brings back an empty server.
#[derive(Debug)]
pub struct RedisServer {
    pub(crate) port: u16,
    pub(crate) tls_port: Option<u16>,
    pub(crate) password: Option<String>,
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) args: Vec<OsString>,
    pub(crate) child: Option<Child>,
    // Declared last: removed after the process is gone.
    pub(crate) dir: TempDir,
}

impl RedisServer {
    /// Starts a plain server: no password, no TLS.
    ///
    /// # Errors
    /// As [`ServerBuilder::start`].
    pub fn start() -> io::Result<Self> {
        Self::builder().start()
    }

    /// Options for a server with a password, TLS or extra arguments.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The plain-text port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TLS port, when started with [`ServerBuilder::tls`].
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// The certificate files, when started with [`ServerBuilder::tls`].
    pub fn tls_files(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// `redis://[:password@]127.0.0.1:port/0`.
    pub fn url(&self) -> String {
        self.url_for("redis", self.port)
    }

    /// `rediss://[:password@]127.0.0.1:tls_port/0`, when started with [`ServerBuilder::tls`].
    pub fn tls_url(&self) -> Option<String> {
        self.tls_port.map(|port| self.url_for("rediss", port))
    }

    fn url_for(&self, scheme: &str, port: u16) -> String {
        match &self.password {
            Some(password) => format!("{scheme}://:{password}@127.0.0.1:{port}/0"),
            None => format!("{scheme}://127.0.0.1:{port}/0"),
        }
    }

    /// Whether the process is alive.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Kills the server (`SIGKILL`, as in a crash), reaps it, and waits until its port is
    /// closed. Does nothing when it is already stopped.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !is_closed(self.port) && Instant::now() < deadline {
            sleep(Duration::from_millis(10));
        }
    }

    /// Stops the server if it runs, then starts it again, empty, on the same ports.
    ///
    /// # Errors
    /// As [`ServerBuilder::start`]; also when another process took the port meanwhile.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        self.spawn_and_wait()
    }

    /// The server's log so far, after anything it printed before opening its log file.
    pub fn log(&self) -> String {
        let read = |name| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        read("console.log") + &read("redis.log")
    }

    /// Runs `redis-cli` against this server's plain port with `args` (one command) and
    /// returns what it printed.
    ///
    /// # Errors
    /// When `redis-cli` cannot be run or exits with a failure status.
    pub fn cli<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> io::Result<String> {
        let mut command = Command::new(redis_cli_bin());
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some(password) = &self.password {
            command.args(["--no-auth-warning", "-a", password]);
        }
        run_cli(command.args(args))
    }

    /// The server's working directory.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub(crate) fn spawn_and_wait(&mut self) -> io::Result<()> {
        // Startup errors, such as a bad option, go to stderr before the log file is open.
        let console = std::fs::File::create(self.dir.path().join("console.log"))?;
        let child = Command::new(redis_server_bin())
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(console.try_clone()?)
            .stderr(console)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot run redis-server (is it installed?): {e}"),
                )
            })?;
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + READY_LIMIT;
        loop {
            if runs_as(self.port, pid, self.password.as_deref()) {
                return Ok(());
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                self.stop();
                let why = exited.map_or_else(
                    || format!("did not answer as itself within {READY_LIMIT:?}"),
                    |status| format!("exited with {status}"),
                );
                return Err(io::Error::other(format!(
                    "redis-server on port {} {why}; its log:\n{}",
                    self.port,
                    self.log()
                )));
            }
            sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a prepared `redis-cli` command; its output, or an error with what it printed.
pub(crate) fn run_cli(command: &mut Command) -> io::Result<String> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot run redis-cli (is it installed?): {e}"),
        )
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    Err(io::Error::other(format!(
        "redis-cli failed ({}): {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A server is ready when the process answering on its port is its own: a server that
    /// failed to bind a port another took is not mistaken for ready.
    #[test]
    fn only_the_process_started_counts_as_the_server_on_its_port() {
        for password in [None, Some("secret pass")] {
            let mut builder = RedisServer::builder();
            if let Some(password) = password {
                builder = builder.password(password);
            }
            let server = builder.start().unwrap();
            let pid = server.child.as_ref().unwrap().id();
            assert!(runs_as(server.port, pid, password));
            assert!(!runs_as(server.port, pid + 1, password));
            if password.is_some() {
                assert!(!runs_as(server.port, pid, Some("wrong")));
            }
        }
    }
}
