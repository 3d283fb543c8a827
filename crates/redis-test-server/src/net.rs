//! Free loopback ports, and asking a server whether it is ready.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// The port every developer machine may run its own Redis on; never handed out.
const RESERVED: u16 = 6379;
/// Redis Cluster's bus listens on the client port plus this.
pub(crate) const CLUSTER_BUS_OFFSET: u16 = 10_000;

/// A loopback port the OS reports free now; with `cluster_bus`, the bus port above it too.
///
/// Another process may take the port between this call and the server's bind; the server
/// then fails to start and the caller tries another port.
pub(crate) fn free_port(cluster_bus: bool) -> io::Result<u16> {
    for _ in 0..100 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let port = listener.local_addr()?.port();
        if port == RESERVED {
            continue;
        }
        if !cluster_bus {
            return Ok(port);
        }
        let Some(bus) = port.checked_add(CLUSTER_BUS_OFFSET) else {
            continue;
        };
        if TcpListener::bind((Ipv4Addr::LOCALHOST, bus)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::other("no free loopback port found in 100 tries"))
}

/// Whether a plain-text server on `port` answers a `PING` (an authentication demand counts:
/// the server is up and parsing commands).
pub(crate) fn answers_ping(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let timeout = Some(Duration::from_millis(500));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut reply = [0u8; 64];
    match stream.read(&mut reply) {
        Ok(n) => reply[..n].starts_with(b"+PONG") || reply[..n].starts_with(b"-NOAUTH"),
        Err(_) => false,
    }
}

/// Whether nothing listens on `port` any more.
pub(crate) fn is_closed(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
}
