//! The pub/sub channel under the key prefix on which every write and delete is announced
//! (by [`crate::announce`]), and following that channel on a connection of its own.
//!
//! # Channel and messages
//! The channel is `<prefix>__cache_notices:<db>`: pub/sub ignores databases, so the number
//! keeps caches of different databases apart. A message is one byte of kind, then:
//! - `1` written: one byte `n` (at most 28), the first `n` bytes of the value (its envelope
//!   header), and the key;
//! - `2` removed: the key.
//!
//! Keys are as the cache's callers name them, without the prefix. Anything else on the
//! channel is ignored.
//!
//! # Cluster
//! Classic `PUBLISH` is forwarded to every node of a cluster, so the subscriber listens on
//! any one node (the seed nodes, tried in turn). The announcement travels in the same
//! pipeline as the write, to the node of its key: redis-rs routes a `PUBLISH` by its channel,
//! which would split the pipeline across slots, so on a cluster it is sent as a one-line
//! script that declares the written key (`EVAL "return redis.call('PUBLISH', ...)" 1 key`).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cache_core::envelope::HEADER_LEN;
use cache_core::{Listener, Notifications, Signal, Subscribers, Subscription};
use futures::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use redis::{Client, Value};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::error::ErrorContext;

const WRITTEN: u8 = 1;
const REMOVED: u8 = 2;
/// How often the subscription's connection is pinged, so that one that died without a word
/// is found out and replaced.
const PING_EVERY: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The following side of one [`RedisCache`](crate::RedisCache), shared by its clones.
pub(crate) struct Notifier {
    channel: Vec<u8>,
    /// Where the subscription connects, tried in turn.
    clients: Vec<Client>,
    /// Bounds a connection attempt and a ping, and hides the password from what is logged.
    errors: ErrorContext,
    runtime: Option<Handle>,
    subscribers: Subscribers,
    /// Dropping it (with the cache) ends the following task.
    started: Mutex<Option<oneshot::Sender<()>>>,
}

impl Notifier {
    /// A notifier on `prefix` and `db`, subscribing through `clients`; `errors.timeout`
    /// bounds a connection attempt and a ping. The following task starts with the first
    /// subscriber, on the runtime current now.
    pub(crate) fn new(prefix: &str, db: i64, clients: Vec<Client>, errors: ErrorContext) -> Self {
        Self {
            channel: channel(prefix, db),
            clients,
            errors,
            runtime: Handle::try_current().ok(),
            subscribers: Subscribers::new(false),
            started: Mutex::new(None),
        }
    }

    fn start(&self) {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        if started.is_some() || self.clients.is_empty() {
            return;
        }
        let Some(runtime) = self.runtime.clone().or_else(|| Handle::try_current().ok()) else {
            return;
        };
        let (stop, stopped) = oneshot::channel();
        let follower = Follower {
            channel: self.channel.clone(),
            clients: self.clients.clone(),
            errors: self.errors.clone(),
            subscribers: self.subscribers.clone(),
        };
        runtime.spawn(follower.run(stopped));
        *started = Some(stop);
    }
}

impl Notifications for Notifier {
    /// Starts the following connection with the first subscriber. A cache built outside a
    /// tokio runtime, subscribed to outside one too, or given a cluster client rather than a
    /// URL, has no connection to follow with: its subscribers stay down and validate.
    fn subscribe(&self, listener: Listener) -> Subscription {
        self.start();
        self.subscribers.subscribe(listener)
    }
}

/// The task that holds the subscription, reconnecting with backoff.
struct Follower {
    channel: Vec<u8>,
    clients: Vec<Client>,
    errors: ErrorContext,
    subscribers: Subscribers,
}

/// Why a subscription ended.
enum Ended {
    /// The cache is gone.
    Stopped,
    /// The connection broke, or stopped answering.
    Lost,
}

impl Follower {
    async fn run(self, mut stopped: oneshot::Receiver<()>) {
        let mut backoff = FIRST_BACKOFF;
        for client in self.clients.iter().cycle() {
            let connected = tokio::select! {
                _ = &mut stopped => return,
                connected = tokio::time::timeout(self.errors.timeout, self.connect(client)) => connected,
            };
            match connected {
                Ok(Ok((sink, stream))) => {
                    backoff = FIRST_BACKOFF;
                    self.subscribers.set_up(true);
                    let ended = self.follow(sink, stream, &mut stopped).await;
                    self.subscribers.set_up(false);
                    if matches!(ended, Ended::Stopped) {
                        return;
                    }
                    tracing::info!("lost the notification subscription; reconnecting");
                }
                Ok(Err(error)) => {
                    // As every other Redis error: a server may echo the password back.
                    let error = self.errors.map("SUBSCRIBE", error);
                    tracing::debug!(%error, "cannot subscribe to notifications");
                }
                Err(_) => tracing::debug!("subscribing to notifications timed out"),
            }
            tokio::select! {
                _ = &mut stopped => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn connect(&self, client: &Client) -> redis::RedisResult<(PubSubSink, PubSubStream)> {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        sink.subscribe(&self.channel).await?;
        Ok((sink, stream))
    }

    async fn follow(
        &self,
        mut sink: PubSubSink,
        mut stream: PubSubStream,
        stopped: &mut oneshot::Receiver<()>,
    ) -> Ended {
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        loop {
            tokio::select! {
                _ = &mut *stopped => return Ended::Stopped,
                message = stream.next() => match message {
                    Some(message) => self.deliver(message.get_payload_bytes()),
                    None => return Ended::Lost,
                },
                _ = ping.tick() => {
                    let pong = tokio::time::timeout(self.errors.timeout, sink.ping::<Value>()).await;
                    if !matches!(pong, Ok(Ok(_))) {
                        return Ended::Lost;
                    }
                }
            }
        }
    }

    fn deliver(&self, message: &[u8]) {
        match parse(message) {
            Some(signal) => self.subscribers.announce(&signal),
            None => tracing::debug!("ignored a malformed notification"),
        }
    }
}

/// The channel of the caches on `prefix` and database `db`.
pub(crate) fn channel(prefix: &str, db: i64) -> Vec<u8> {
    format!("{prefix}__cache_notices:{db}").into_bytes()
}

/// The message announcing a write of `value` under `key`.
pub(crate) fn written_message(key: &str, value: &[u8]) -> Vec<u8> {
    let head = &value[..value.len().min(HEADER_LEN)];
    // HEADER_LEN is 28: the length fits its byte.
    #[allow(clippy::cast_possible_truncation)]
    let mut message = vec![WRITTEN, head.len() as u8];
    message.extend_from_slice(head);
    message.extend_from_slice(key.as_bytes());
    message
}

/// The message announcing a delete of `key`.
pub(crate) fn removed_message(key: &str) -> Vec<u8> {
    let mut message = vec![REMOVED];
    message.extend_from_slice(key.as_bytes());
    message
}

/// The signal a message announces, if it is one.
fn parse(message: &[u8]) -> Option<Signal<'_>> {
    let (&kind, rest) = message.split_first()?;
    match kind {
        WRITTEN => {
            let (&len, rest) = rest.split_first()?;
            let len = usize::from(len);
            if len > HEADER_LEN || rest.len() < len {
                return None;
            }
            let (head, key) = rest.split_at(len);
            let key = std::str::from_utf8(key).ok()?;
            Some(Signal::Written { key, head })
        }
        REMOVED => Some(Signal::Removed {
            key: std::str::from_utf8(rest).ok()?,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_junk_is_ignored() {
        let value: Vec<u8> = (0..100).collect();
        let written = written_message("k€y", &value);
        assert_eq!(
            parse(&written),
            Some(Signal::Written {
                key: "k€y",
                head: &value[..HEADER_LEN]
            })
        );
        let short = written_message("k", b"ab");
        assert_eq!(
            parse(&short),
            Some(Signal::Written {
                key: "k",
                head: b"ab"
            })
        );
        let removed = removed_message("k");
        assert_eq!(parse(&removed), Some(Signal::Removed { key: "k" }));
        assert_eq!(channel("p:", 2), b"p:__cache_notices:2");

        for junk in [
            &b""[..],
            b"\x03k",
            b"\x01",
            b"\x01\x1dabc",
            b"\x01\x05ab",
            b"\x02\xff",
        ] {
            assert_eq!(parse(junk), None, "{junk:?}");
        }
    }
}
