//! [`RedisCache`]: cache-core's [`Cache`] on Redis or Redis Cluster.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::{Cache, Entry, Error, Lease, Notifications, Result, check_ttl};
use redis::cluster_routing::Slot;
use redis::{Client, Cmd, FromRedisValue};

use crate::RedisConfig;
use crate::announce::{Announcer, Writes};
use crate::cluster::group_by_slot;
use crate::connect::Conn;
use crate::error::ErrorContext;
use crate::notify::{self, Notifier};
use crate::run::Retry;

/// The longest TTL accepted: 2^62 ms, about 146 million years.
///
/// Redis refuses a `PX` whose expiry time, now plus the TTL in milliseconds, overflows a
/// signed 64-bit millisecond count; 2^62 ms keeps well clear of that for any clock reading.
pub const MAX_TTL: Duration = Duration::from_millis(1 << 62);

/// cache-core's [`Cache`] on one Redis server or a Redis Cluster.
///
/// Cloning is cheap and shares the connection. Every call is bounded by the operation timeout
/// and fails with [`Error::Timeout`] beyond it, or sooner with [`Error::Unavailable`] when the
/// server refuses connections; the connection is re-established by the next calls once the
/// server is back. `Debug` and `Display` never show the password.
///
/// # Commands
/// - `set` is one `SET key value PX ms`: the TTL in milliseconds, rounded up, so a
///   sub-millisecond TTL lives 1 ms.
/// - `get_many` is one `MGET`, and `set_many` one pipeline of `SET … PX`. On a cluster,
///   redis-rs splits the `MGET` by hash slot and puts the values back in key order, and
///   `set_many` sends one pipeline per hash slot, concurrently. A batch is not atomic: when
///   it fails part-way, some entries may have been written.
/// - `get_prefix` is `GETRANGE key 0 len-1`, so only the prefix crosses the network; Redis
///   answers an empty string for a missing key, so a stored empty value reads as missing
///   too.
/// - `ttl` is `PTTL`; a key without an expiry, which this backend never writes, reports
///   [`Duration::MAX`].
/// - Its [`Lease`] keeps each lease in a key of its own, under the prefix but apart from
///   every cache key; see [the `Lease` impl](#impl-Lease-for-RedisCache).
/// - Every `set`, `set_many` and `delete` is announced with a `PUBLISH` on the channel
///   `<prefix>__cache_notices:<db>`, in the same pipeline as the write (no extra round
///   trip): the key and the value's 28-byte envelope header, or the key alone for a delete.
///   The announcement is best-effort: the write's own reply decides the call's result, and
///   an announcement the server refuses (a user without the channel's rights, or on a
///   cluster without `@scripting`) is logged, never returned; see
///   [`RedisConfig::announce`], which also turns them off.
///   Its [`Notifications`] follow that channel on a pub/sub connection of their own, opened
///   with the first subscriber (`cache_policy::LocalCache::follow`),
///   pinged every second, and reopened with backoff (50 ms to 2 s) when it breaks; its
///   subscribers are told when it is down and up again. On a cluster the announcement is a
///   classic `PUBLISH`, which every node forwards, and the subscription listens on one seed
///   node at a time. A cache built from a redis-rs cluster client announces but cannot
///   follow (it has no seed node to subscribe on): its subscribers stay down.
///
/// # Retries
/// On one server, a call whose connection was found dropped is sent once more, except
/// `delete`, which is sent again only when the connection was refused (nothing was sent). On
/// a cluster, redis-rs's cluster connection does its own retrying, `DEL` included.
#[derive(Clone)]
pub struct RedisCache {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) conn: Conn,
    pub(crate) prefix: String,
    pub(crate) description: String,
    pub(crate) errors: ErrorContext,
    pub(crate) announcer: Announcer,
    pub(crate) notifier: Notifier,
}

impl RedisCache {
    /// The settings to build a cache from, starting from the defaults.
    pub fn builder() -> RedisConfig {
        RedisConfig::new()
    }

    /// Connects to `url` (any form of [`RedisUrl`](crate::RedisUrl)) with the default settings.
    ///
    /// # Errors
    /// As [`RedisConfig::build`].
    pub async fn from_url(url: &str) -> Result<Self> {
        RedisConfig::from_url(url)?.build().await
    }

    /// Connects through a redis-rs client the program already has, with the default
    /// settings.
    ///
    /// # Errors
    /// As [`RedisConfig::build`].
    pub async fn from_client(client: Client) -> Result<Self> {
        RedisConfig::new().client(client).build().await
    }

    /// Connects to a Redis Cluster through its seed nodes (`redis://host:port` each), with
    /// the default settings.
    ///
    /// # Errors
    /// As [`RedisConfig::build`].
    pub async fn from_cluster_nodes<I, S>(seed_nodes: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        RedisConfig::new().cluster_nodes(seed_nodes).build().await
    }

    /// A cache on `conn` that announces its writes when `announce` says so, and whose
    /// notifications subscribe through `subscribe_via` (one client per node to try in turn;
    /// none for a cache that cannot follow).
    pub(crate) fn new(
        conn: Conn,
        prefix: String,
        description: String,
        errors: ErrorContext,
        announce: bool,
        subscribe_via: Vec<Client>,
    ) -> Self {
        use redis::aio::ConnectionLike;
        let db = conn.get_db();
        let announcer = Announcer::new(notify::channel(&prefix, db), announce, errors.clone());
        let notifier = Notifier::new(&prefix, db, subscribe_via, errors.clone());
        Self {
            inner: Arc::new(Inner {
                conn,
                prefix,
                description,
                errors,
                announcer,
                notifier,
            }),
        }
    }

    /// The prefix put in front of every key.
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The limit of one operation.
    pub fn operation_timeout(&self) -> Duration {
        self.inner.errors.timeout
    }

    /// Whether writes are announced to other processes, as set by
    /// [`RedisConfig::announce`] (on by default).
    pub fn announces(&self) -> bool {
        self.inner.announcer.is_enabled()
    }

    /// Whether this talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner.conn, Conn::Cluster(_))
    }

    /// Sends `PING`: whether the server answers within the operation timeout.
    ///
    /// # Errors
    /// [`Error::Unavailable`], [`Error::Timeout`] or [`Error::Backend`].
    pub async fn ping(&self) -> Result<()> {
        self.run("PING", &redis::cmd("PING")).await
    }

    /// The key an announcement of `stored` is routed by: on a cluster, the key itself, so
    /// that it goes to the same node as the write.
    fn route<'a>(&self, stored: &'a [u8]) -> Option<&'a [u8]> {
        self.is_cluster().then_some(stored)
    }

    fn key<'a>(&self, key: &'a str) -> Cow<'a, [u8]> {
        if self.inner.prefix.is_empty() {
            Cow::Borrowed(key.as_bytes())
        } else {
            Cow::Owned([self.inner.prefix.as_bytes(), key.as_bytes()].concat())
        }
    }
}

impl RedisCache {
    /// `SET` of `key` run by `script` (whose keys are `lease` and the stored key, whose
    /// arguments are the token, the value and the TTL in milliseconds) and announced as a
    /// `set` is: whether the script wrote. On a cluster, the two keys must share a slot.
    pub(crate) async fn set_by_script(
        &self,
        script: &str,
        lease: &[u8],
        token: &str,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool> {
        check_ttl(ttl, MAX_TTL)?;
        let stored = self.key(key);
        if self.is_cluster() && Slot::for_key(lease) != Slot::for_key(&stored) {
            return Err(Error::unsupported(
                "a write fenced by a lease in another hash slot of the cluster",
            ));
        }
        let mut eval = Cmd::new();
        eval.arg("EVAL")
            .arg(script)
            .arg(2)
            .arg(lease)
            .arg(&*stored)
            .arg(token)
            .arg(&*value)
            .arg(px_millis(ttl));
        let mut writes = Writes::with_capacity(1);
        // Announced even when the fence refuses (one pipeline, one round trip): a reader
        // told of a write that did not happen only checks its copy once more.
        let announcement = self
            .inner
            .announcer
            .written(key, &value, self.route(&stored));
        writes.push(eval, announcement);
        let replies = self
            .run_writes("fenced SET", Retry::Idempotent, &writes)
            .await?;
        let written = match replies.first() {
            Some(reply) => i64::from_redis_value_ref(reply).map_err(|e| {
                self.inner
                    .errors
                    .map("fenced SET", redis::RedisError::from(e))
            })?,
            None => 0,
        };
        Ok(written == 1)
    }
}

/// `SET key value PX ms`, with the TTL rounded up to whole milliseconds.
fn set_cmd(key: &[u8], value: &[u8], ttl: Duration) -> Cmd {
    let mut cmd = Cmd::new();
    cmd.arg("SET")
        .arg(key)
        .arg(value)
        .arg("PX")
        .arg(px_millis(ttl));
    cmd
}

/// A TTL as `PX` milliseconds: rounded up, and at least 1.
pub(crate) fn px_millis(ttl: Duration) -> u64 {
    let millis = u64::try_from(ttl.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
    millis.max(1)
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.run("GET", Cmd::new().arg("GET").arg(&*self.key(key)))
            .await
    }

    async fn get_prefix(&self, key: &str, len: usize) -> Result<Option<Bytes>> {
        let key = self.key(key);
        let Some(last) = len.checked_sub(1) else {
            // `GETRANGE key 0 -1` would be the whole value: a zero-length prefix only asks
            // whether the key is there.
            let found: bool = self
                .run("EXISTS", Cmd::new().arg("EXISTS").arg(&*key))
                .await?;
            return Ok(found.then(Bytes::new));
        };
        let last = i64::try_from(last).unwrap_or(i64::MAX);
        let prefix: Bytes = self
            .run(
                "GETRANGE",
                Cmd::new().arg("GETRANGE").arg(&*key).arg(0).arg(last),
            )
            .await?;
        // A missing key reads as an empty string, as does a stored empty value.
        Ok((!prefix.is_empty()).then_some(prefix))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> Result<()> {
        check_ttl(ttl, MAX_TTL)?;
        let stored = self.key(key);
        let mut writes = Writes::with_capacity(1);
        let announcement = self
            .inner
            .announcer
            .written(key, &value, self.route(&stored));
        writes.push(set_cmd(&stored, &value, ttl), announcement);
        self.run_writes("SET", Retry::Idempotent, &writes)
            .await
            .map(drop)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let stored = self.key(key);
        let mut writes = Writes::with_capacity(1);
        let announcement = self.inner.announcer.removed(key, self.route(&stored));
        writes.push(Cmd::new().arg("DEL").arg(&*stored).clone(), announcement);
        let replies = self.run_writes("DEL", Retry::IfNotSent, &writes).await?;
        let removed = match replies.first() {
            Some(reply) => u64::from_redis_value_ref(reply)
                .map_err(|e| self.inner.errors.map("DEL", redis::RedisError::from(e)))?,
            None => 0,
        };
        Ok(removed > 0)
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let millis: i64 = self
            .run("PTTL", Cmd::new().arg("PTTL").arg(&*self.key(key)))
            .await?;
        Ok(match millis {
            -1 => Some(Duration::MAX),
            ms if ms >= 0 => Some(Duration::from_millis(ms.unsigned_abs())),
            _ => None,
        })
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Bytes>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<Cow<'_, [u8]>> = keys.iter().map(|k| self.key(k)).collect();
        let values: Vec<Option<Bytes>> =
            self.run("MGET", Cmd::new().arg("MGET").arg(&keys)).await?;
        // A server (or a cluster node) that answers with the wrong count must not shift
        // values onto other keys.
        if values.len() != keys.len() {
            return Err(Error::Backend {
                message: format!(
                    "MGET of {} keys returned {} values",
                    keys.len(),
                    values.len()
                ),
                source: None,
            });
        }
        Ok(values)
    }

    async fn set_many(&self, entries: Vec<Entry>) -> Result<()> {
        for entry in &entries {
            check_ttl(entry.ttl, MAX_TTL)?;
        }
        if entries.is_empty() {
            return Ok(());
        }
        let keys: Vec<Cow<'_, [u8]>> = entries.iter().map(|e| self.key(&e.key)).collect();
        let groups = if self.is_cluster() {
            group_by_slot(&keys)
        } else {
            vec![(0..keys.len()).collect()]
        };
        let batches: Vec<Writes> = groups
            .iter()
            .map(|group| {
                let mut writes = Writes::with_capacity(group.len());
                for &i in group {
                    let Entry { key, value, ttl } = &entries[i];
                    let announcement =
                        self.inner
                            .announcer
                            .written(key, value, self.route(&keys[i]));
                    writes.push(set_cmd(&keys[i], value, *ttl), announcement);
                }
                writes
            })
            .collect();
        let run = |writes| self.run_writes("SET pipeline", Retry::Idempotent, writes);
        match batches.as_slice() {
            [writes] => run(writes).await.map(drop),
            _ => futures::future::try_join_all(batches.iter().map(run))
                .await
                .map(drop),
        }
    }

    fn max_ttl(&self) -> Duration {
        MAX_TTL
    }

    fn lease(&self) -> Option<&dyn Lease> {
        Some(self)
    }

    fn notifications(&self) -> Option<&dyn Notifications> {
        Some(&self.inner.notifier)
    }
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("target", &self.inner.description)
            .field("key_prefix", &self.inner.prefix)
            .field("operation_timeout", &self.inner.errors.timeout)
            .finish()
    }
}

impl fmt::Display for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redis cache at {}", self.inner.description)?;
        if !self.inner.prefix.is_empty() {
            write!(f, " (keys prefixed {:?})", self.inner.prefix)?;
        }
        Ok(())
    }
}
