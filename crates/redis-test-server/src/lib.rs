//! Throwaway `redis-server` processes for tests and benchmarks: a standalone server or a
//! cluster, each on free loopback ports, in a temporary directory, stopped when dropped.
//!
//! ```no_run
//! use redis_test_server::{RedisCluster, RedisServer};
//!
//! let mut server = RedisServer::start()?;
//! println!("talk to {}", server.url()); // redis://127.0.0.1:<free port>/0
//!
//! // Fault tests: the server goes away and comes back on the same port, empty.
//! server.stop();
//! server.restart()?;
//!
//! let cluster = RedisCluster::start(3)?; // three masters, no replicas
//! println!("seed nodes: {:?}", cluster.node_urls());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Requirements
//! `redis-server` and `redis-cli` on the `PATH` (Debian: `apt-get install redis-server`),
//! built with TLS for [`ServerBuilder::tls`] (Debian's is); certificates are made in-process.
//! The binaries can be overridden with the `REDIS_SERVER_BIN` and `REDIS_CLI_BIN` environment
//! variables.
//!
//! # Guarantees
//! - Every server listens on `127.0.0.1` only, on a port the OS reported free, never 6379,
//!   with persistence off (`--save "" --appendonly no`) and its working directory and log in
//!   a temporary directory that is removed on drop.
//! - [`RedisServer::start`] returns once the server on its port answers as the process it
//!   started (`INFO server` names its pid: another test's server may have taken the port
//!   first), or fails after a time limit with the server's log in the error.
//! - Dropping a [`RedisServer`] or [`RedisCluster`] kills and reaps its processes, also
//!   while a test unwinds from a panic. A process killed with `SIGKILL` cannot run destructors,
//!   so its servers outlive it.

mod builder;
mod cluster;
mod net;
mod server;
mod tls;

pub use builder::ServerBuilder;
pub use cluster::RedisCluster;
pub use server::RedisServer;
pub use tls::TlsFiles;

use std::ffi::OsString;

/// The `redis-server` binary: `$REDIS_SERVER_BIN` or `redis-server` from the `PATH`.
pub fn redis_server_bin() -> OsString {
    std::env::var_os("REDIS_SERVER_BIN").unwrap_or_else(|| "redis-server".into())
}

/// The `redis-cli` binary: `$REDIS_CLI_BIN` or `redis-cli` from the `PATH`.
pub fn redis_cli_bin() -> OsString {
    std::env::var_os("REDIS_CLI_BIN").unwrap_or_else(|| "redis-cli".into())
}
