//! The options of a [`RedisServer`], and the command line they make.

use std::ffi::OsString;
use std::io;

use tempfile::TempDir;

use crate::net::free_port;
use crate::{RedisServer, TlsFiles};

/// How many fresh ports to try when another process took the chosen one first.
const PORT_TRIES: usize = 5;

/// Options for [`RedisServer`]: a password, TLS, extra `redis-server` arguments.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ServerBuilder {
    password: Option<String>,
    tls: bool,
    cluster: bool,
    args: Vec<String>,
}

impl ServerBuilder {
    /// Requires clients to authenticate with `password` (`--requirepass`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Also listens for TLS on a second free port, with a certificate signed by a CA made
    /// for this server ([`RedisServer::tls_files`]).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// Starts the node in cluster mode (`--cluster-enabled yes`), without any slots.
    pub(crate) fn cluster_node(mut self) -> Self {
        self.cluster = true;
        self
    }

    /// Appends a `redis-server` argument, such as `"--maxmemory"` then `"1mb"`.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Starts the server and waits until it answers.
    ///
    /// # Errors
    /// When `redis-server` cannot be run, no free port is found, or the server does not
    /// answer in time; the error includes its log.
    pub fn start(self) -> io::Result<RedisServer> {
        let mut last_error = None;
        for _ in 0..PORT_TRIES {
            let dir = tempfile::Builder::new().prefix("redis-test-").tempdir()?;
            let port = free_port(self.cluster)?;
            let tls_port = if self.tls {
                Some(free_port(false)?)
            } else {
                None
            };
            let tls = if self.tls {
                Some(TlsFiles::generate(dir.path())?)
            } else {
                None
            };
            let mut server = RedisServer {
                port,
                tls_port,
                password: self.password.clone(),
                args: self.command_args(&dir, port, tls_port, tls.as_ref()),
                tls,
                child: None,
                dir,
            };
            match server.spawn_and_wait() {
                Ok(()) => return Ok(server),
                Err(e) if server.log().contains("Address already in use") => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    fn command_args(
        &self,
        dir: &TempDir,
        port: u16,
        tls_port: Option<u16>,
        tls: Option<&TlsFiles>,
    ) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let mut push = |flag: &str, value: OsString| {
            args.push(flag.into());
            args.push(value);
        };
        push("--port", port.to_string().into());
        push("--bind", "127.0.0.1".into());
        push("--dir", dir.path().into());
        push("--logfile", dir.path().join("redis.log").into());
        push("--save", "".into());
        push("--appendonly", "no".into());
        push("--daemonize", "no".into());
        if let Some(password) = &self.password {
            push("--requirepass", password.into());
        }
        if let (Some(tls_port), Some(tls)) = (tls_port, tls) {
            push("--tls-port", tls_port.to_string().into());
            push("--tls-cert-file", tls.cert.clone().into());
            push("--tls-key-file", tls.key.clone().into());
            push("--tls-ca-cert-file", tls.ca_cert.clone().into());
            push("--tls-auth-clients", "no".into());
        }
        if self.cluster {
            push("--cluster-enabled", "yes".into());
            push(
                "--cluster-config-file",
                dir.path().join("nodes.conf").into(),
            );
            push("--cluster-node-timeout", "5000".into());
        }
        args.extend(self.args.iter().map(OsString::from));
        args
    }
}
