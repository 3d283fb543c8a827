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

/// Whether the server answering on `port` is the process `pid`: its `INFO server` names it.
///
/// Answering alone is not enough: another test's server may have taken the same port first,
/// and this one, failing to bind, would otherwise be taken for ready and share its data.
pub(crate) fn runs_as(port: u16, pid: u32, password: Option<&str>) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let timeout = Some(Duration::from_millis(500));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    if let Some(password) = password {
        if stream.write_all(&command(&["AUTH", password])).is_err() {
            return false;
        }
        let mut reply = [0u8; 64];
        match stream.read(&mut reply) {
            Ok(n) if reply[..n].starts_with(b"+OK") => {}
            _ => return false,
        }
    }
    if stream.write_all(&command(&["INFO", "server"])).is_err() {
        return false;
    }
    let wanted = format!("\r\nprocess_id:{pid}\r\n");
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    // The section is a few hundred bytes; its end is the blank line after the last field.
    while reply.len() < 64 * 1024 && !reply.ends_with(b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&reply).contains(&wanted)
}

/// `args` as one RESP command.
fn command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    out
}

/// Whether nothing listens on `port` any more.
pub(crate) fn is_closed(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
}
