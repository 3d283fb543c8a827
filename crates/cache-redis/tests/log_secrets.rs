//! What the notification connection logs when it cannot subscribe carries no password, even
//! from a server that echoes the password back in its refusal.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cache_core::{Cache, Signal};
use cache_redis::RedisCache;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const PASSWORD: &str = "s3cret-Echoed";
/// Far more than the follower needs for its first attempts (it retries after 50 ms).
const PATIENCE: Duration = Duration::from_secs(10);

/// Logs written while the test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// One RESP command: its arguments.
async fn command(reader: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut line = String::new();
    reader.read_line(&mut line).await.ok()?;
    let count: usize = line.trim_end().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        line.clear();
        reader.read_line(&mut line).await.ok()?;
        line.clear();
        reader.read_line(&mut line).await.ok()?;
        args.push(line.trim_end().to_owned());
    }
    Some(args)
}

/// A stand-in server: the first connection (the cache's own) is served as a real server
/// would serve a handshake; on every later one (the notification subscription) `SUBSCRIBE` is
/// refused with a message that quotes the arguments `AUTH` was given, password included.
async fn echoing_server(listener: TcpListener) {
    let mut first = true;
    while let Ok((socket, _)) = listener.accept().await {
        let hostile = !std::mem::take(&mut first);
        tokio::spawn(async move {
            let mut reader = BufReader::new(socket);
            let mut auth = String::new();
            while let Some(args) = command(&mut reader).await {
                let name = args
                    .first()
                    .map(|a| a.to_ascii_uppercase())
                    .unwrap_or_default();
                let reply = match name.as_str() {
                    "AUTH" => {
                        auth = args[1..].join(" ");
                        "+OK\r\n".to_owned()
                    }
                    "SUBSCRIBE" if hostile => format!("-NOPERM not for AUTH {auth}\r\n"),
                    "PING" => "+PONG\r\n".to_owned(),
                    _ => "+OK\r\n".to_owned(),
                };
                if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_subscription_is_logged_without_the_password() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // Global: the subscription is followed on a task of its own, on any worker. This file
    // holds one test, so nothing else logs here.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(echoing_server(listener));
    let cache = RedisCache::builder()
        .url(format!("redis://:{PASSWORD}@127.0.0.1:{port}/0"))
        .operation_timeout(Duration::from_secs(2))
        .build()
        .await
        .expect("the stand-in server takes the cache's own connection");
    let notifications = cache.notifications().expect("Redis announces its writes");
    let _subscription = notifications.subscribe(Arc::new(|_: &Signal<'_>| {}));

    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !captured
        .text()
        .contains("cannot subscribe to notifications")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the refusal was never logged: {}",
            captured.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let logs = captured.text();
    assert!(
        logs.contains("not for AUTH"),
        "the server's own words are kept: {logs}"
    );
    assert!(
        !logs.contains(PASSWORD),
        "the password leaked into the logs: {logs}"
    );
}
