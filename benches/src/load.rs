//! A load generator over HTTP/1.1: `connections` keep-alive connections, each sending `GET`
//! after `GET` for a while, counting the answers that are `200` with the expected length.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// What one run of the load made.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Answers `200` with a body of the expected length.
    pub ok: u64,
    /// How long the requests ran.
    pub elapsed: Duration,
}

impl Load {
    /// Answers per second.
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// Sends `GET path` to `base` (`http://host:port`) on `connections` connections for `time`,
/// identity encoding; each answer must be `200` with `body_len` bytes.
///
/// # Errors
/// A connection that cannot be made, or an answer that is not the one expected.
pub async fn run(
    base: &str,
    path: &str,
    connections: usize,
    time: Duration,
    body_len: usize,
) -> Result<Load> {
    let authority = base
        .strip_prefix("http://")
        .context("an http:// base")?
        .to_owned();
    let started = Instant::now();
    let deadline = started + time;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (authority, path) = (authority.clone(), path.to_owned());
        tasks.push(tokio::spawn(async move {
            connection(&authority, &path, deadline, body_len).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        ok += task.await??;
    }
    Ok(Load {
        ok,
        elapsed: started.elapsed(),
    })
}

/// One connection's requests until `deadline`.
async fn connection(
    authority: &str,
    path: &str,
    deadline: Instant,
    body_len: usize,
) -> Result<u64> {
    let stream = tokio::net::TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut ok = 0;
    while Instant::now() < deadline {
        let request = Request::get(path)
            .header("host", authority)
            .body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status != hyper::StatusCode::OK || body.len() != body_len {
            bail!("{authority}{path}: {status}, {} bytes", body.len());
        }
        ok += 1;
    }
    Ok(ok)
}

/// The body of one `GET path` from `base`, which must answer `200`.
///
/// # Errors
/// A connection that cannot be made, or another status.
pub async fn get(base: &str, path: &str) -> Result<Bytes> {
    let authority = base.strip_prefix("http://").context("an http:// base")?;
    let stream = tokio::net::TcpStream::connect(authority).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::get(path)
        .header("host", authority)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    if status != hyper::StatusCode::OK {
        bail!("{base}{path}: {status}");
    }
    Ok(response.into_body().collect().await?.to_bytes())
}
