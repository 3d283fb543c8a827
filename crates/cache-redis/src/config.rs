//! How a [`RedisCache`] is configured and built.

use std::fmt;
use std::time::Duration;

use cache_core::{Error, Result};
use redis::Client;
use redis::cluster::ClusterClient;

use crate::connect::{self, Conn, Timeouts};
use crate::error::ErrorContext;
use crate::{RedisCache, RedisUrl};

/// The default limit of one operation, batches included.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(1);
/// The default limit of one connection attempt.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The settings of a [`RedisCache`]; [`RedisConfig::build`] connects.
///
/// `Debug` shows the target with its password replaced by `***`.
///
/// ```no_run
/// # async fn run() -> cache_core::Result<()> {
/// use std::time::Duration;
/// use cache_redis::RedisCache;
///
/// let cache = RedisCache::builder()
///     .url("redis://:secret@127.0.0.1:6380/2")
///     .key_prefix("market-data:")
///     .operation_timeout(Duration::from_millis(500))
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use]
pub struct RedisConfig {
    target: Target,
    key_prefix: String,
    operation_timeout: Duration,
    connect_timeout: Duration,
    root_cert: Option<Vec<u8>>,
    announce: bool,
}

#[derive(Clone)]
enum Target {
    Missing,
    /// A URL, or why it was refused (a message without the password).
    Url(std::result::Result<RedisUrl, String>),
    Client(Box<Client>),
    ClusterClient(Box<ClusterClient>),
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            target: Target::Missing,
            key_prefix: String::new(),
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            root_cert: None,
            announce: true,
        }
    }
}

impl RedisConfig {
    /// A configuration without a target: set one with [`RedisConfig::url`] or another setter.
    pub fn new() -> Self {
        Self::default()
    }

    /// A configuration for `url` (any form of [`RedisUrl`]), checked now.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the URL does not parse.
    pub fn from_url(url: &str) -> Result<Self> {
        Ok(Self::new().target(Target::Url(Ok(RedisUrl::parse(url)?))))
    }

    /// Connects to `url` (any form of [`RedisUrl`]); a bad URL is reported by
    /// [`RedisConfig::build`].
    pub fn url(self, url: impl AsRef<str>) -> Self {
        let parsed = RedisUrl::parse(url.as_ref()).map_err(|e| e.to_string());
        self.target(Target::Url(parsed))
    }

    /// Connects to an already parsed location.
    pub fn redis_url(self, url: RedisUrl) -> Self {
        self.target(Target::Url(Ok(url)))
    }

    /// Connects to a Redis Cluster through `seed_nodes`, each a standalone URL
    /// (`redis://[:password@]host:port` or `rediss://…`); they must agree on TLS and
    /// credentials. The same as one `redis+cluster://host1:port1,host2:port2` URL.
    pub fn cluster_nodes<I, S>(self, seed_nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.target(Target::Url(merge_seed_nodes(seed_nodes)))
    }

    /// Uses a redis-rs client the program already has (one server).
    pub fn client(self, client: Client) -> Self {
        self.target(Target::Client(Box::new(client)))
    }

    /// Uses a redis-rs cluster client the program already has. Its own response timeout
    /// and retries apply inside the operation timeout.
    pub fn cluster_client(self, client: ClusterClient) -> Self {
        self.target(Target::ClusterClient(Box::new(client)))
    }

    /// Puts `prefix` in front of every key, so that several applications share one Redis.
    ///
    /// On a cluster the prefix is part of the hashed key, so it changes which slot a key
    /// lands in; a prefix with a hash tag, such as `{app}:`, puts every key in one slot (and
    /// on one node), which makes batches single round trips but gives up sharding.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// The longest one operation may take, connecting and batches included (default 1 s);
    /// beyond it the call returns [`Error::Timeout`].
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// The longest one connection attempt may take (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether every write and delete is announced on the cache's pub/sub channel (default
    /// on), in the same pipeline as the write.
    ///
    /// The announcements let other processes' `cache_policy::LocalCache`s that
    /// follow this cache drop a value as soon as this process replaces it, and wake another
    /// process's `cache_policy::Fleet` waiter as soon as the result it waits for is
    /// stored. Without them, those local caches, whose subscriptions stay up and carry
    /// everyone else's announcements, still serve a value they validated up to their
    /// `cache_policy::LocalCache::recheck_after` (500 ms by default, plus one
    /// round trip) after this process replaced it, and then read the new one: the bound that
    /// holds for a lost announcement; and a waiter finds the result at its next poll (every
    /// 20 ms to 250 ms by default). This process's own reads, and processes without a local
    /// cache, are unaffected.
    ///
    /// Turn them off for a Redis user that may not publish (Redis 7 gives a new user no
    /// channel rights unless `&*` or the channel is granted; on a cluster an announcement is
    /// a one-line `EVAL`, which needs `@scripting`), or to spare the server the messages. Left
    /// on, an announcement the server refuses never fails the write: it is logged (at most a
    /// warning a minute), and after a refusal for want of rights (`NOPERM`) none is sent for a
    /// minute, after which one is tried again. A URL ending in `?announce=off` (see
    /// [`RedisUrl`]) turns them off too: either setting off is off.
    pub fn announce(mut self, announce: bool) -> Self {
        self.announce = announce;
        self
    }

    /// Trusts the CA certificate `pem` for `rediss://` instead of the system's roots.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls_root_cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_cert = Some(pem.into());
        self
    }

    fn target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Connects, and returns the cache.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a missing or bad target or a zero timeout;
    /// [`Error::Unavailable`], [`Error::Timeout`] or [`Error::Backend`] (such as a wrong
    /// password) when the first connection fails.
    pub async fn build(self) -> Result<RedisCache> {
        if self.operation_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::invalid_argument(
                "timeouts must be greater than zero",
            ));
        }
        let timeouts = Timeouts {
            connect: self.connect_timeout,
            operation: self.operation_timeout,
        };
        let announce = self.announce
            && match &self.target {
                Target::Url(Ok(url)) => url.announces(),
                _ => true,
            };
        let (description, password) = self.describe();
        let errors = ErrorContext {
            password,
            timeout: self.connect_timeout,
        };
        let map = |e| errors.map("connect", e);
        let subscribe_via = match &self.target {
            Target::Url(Ok(url)) => {
                connect::node_clients(url, self.root_cert.as_deref()).map_err(map)?
            }
            Target::Client(client) => vec![(**client).clone()],
            _ => Vec::new(),
        };
        let connecting = async {
            let conn: Conn = match &self.target {
                Target::Missing => {
                    return Err(Error::invalid_argument("no Redis URL or client given"));
                }
                Target::Url(Err(message)) => return Err(Error::invalid_argument(message.clone())),
                Target::Url(Ok(url)) if url.is_cluster() => {
                    let root = self.root_cert.as_deref();
                    let client = connect::cluster_client(url, root, timeouts).map_err(map)?;
                    connect::cluster(client).await.map_err(map)?
                }
                Target::Url(Ok(url)) => {
                    let client = connect::client(url, self.root_cert.as_deref()).map_err(map)?;
                    connect::single(client, timeouts).await.map_err(map)?
                }
                Target::Client(client) => connect::single((**client).clone(), timeouts)
                    .await
                    .map_err(map)?,
                Target::ClusterClient(client) => {
                    connect::cluster((**client).clone()).await.map_err(map)?
                }
            };
            Ok(conn)
        };
        // A cluster connects to every node in turn; give it a few attempts' worth.
        let limit = self.connect_timeout.saturating_mul(3);
        let conn = tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| Error::Timeout(limit))??;
        Ok(RedisCache::new(
            conn,
            self.key_prefix,
            description,
            ErrorContext {
                password: errors.password,
                timeout: self.operation_timeout,
            },
            announce,
            subscribe_via,
        ))
    }

    /// What the target is, for `Debug` and `Display`, and the password to keep out of
    /// messages.
    fn describe(&self) -> (String, Option<String>) {
        match &self.target {
            Target::Missing => ("(no target)".into(), None),
            Target::Url(Ok(url)) => (url.to_string(), url.password().map(str::to_owned)),
            Target::Url(Err(message)) => (format!("(invalid: {message})"), None),
            Target::Client(client) => {
                let info = client.get_connection_info();
                let password = info.redis_settings().password().map(str::to_owned);
                (format!("redis client for {}", info.addr()), password)
            }
            Target::ClusterClient(_) => ("redis cluster client".into(), None),
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("target", &self.describe().0)
            .field("key_prefix", &self.key_prefix)
            .field("operation_timeout", &self.operation_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("tls_root_cert", &self.root_cert.is_some())
            .field("announce", &self.announce)
            .finish()
    }
}

/// One cluster URL from standalone seed-node URLs.
fn merge_seed_nodes<I, S>(seed_nodes: I) -> std::result::Result<RedisUrl, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut merged: Option<RedisUrl> = None;
    for (i, node) in seed_nodes.into_iter().enumerate() {
        let url =
            RedisUrl::parse(node.as_ref()).map_err(|e| format!("seed node {}: {e}", i + 1))?;
        if url.is_cluster() || url.db() != 0 {
            return Err(format!(
                "seed node {}: expected redis://host:port or rediss://host:port with database 0",
                i + 1
            ));
        }
        merged = Some(match merged {
            None => url.into_cluster(),
            Some(first) => first
                .with_seed_node(url)
                .map_err(|e| format!("seed node {}: {e}", i + 1))?,
        });
    }
    merged.ok_or_else(|| "no cluster seed nodes given".to_owned())
}
