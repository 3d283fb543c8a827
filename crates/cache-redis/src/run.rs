//! Running commands on the shared connection: one retry where it is safe, and every call
//! bounded by the operation timeout.

use std::future::Future;

use cache_core::{Error, Result};
use redis::{Cmd, FromRedisValue, RedisError, RedisResult, Value};

use crate::RedisCache;
use crate::announce::Writes;
use crate::connect::Conn;

/// When a command on a single server is sent a second time.
///
/// A connection manager finds out that the server closed its connection only when a
/// command fails on it, and keeps its last reconnection attempt, failed or not; so the first
/// call after a restart fails on the dead connection (or the stale attempt) while starting a
/// new one, which the second try waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// After a refused or a dropped connection. A dropped one may have delivered the
    /// command, so this is only for commands that have the same effect twice (GET, SET,
    /// PTTL, MGET, a pipeline of SETs).
    Idempotent,
    /// Only after a refused connection, when nothing was sent (DEL: a DEL that got through
    /// would make the second one report the key as absent).
    IfNotSent,
}

impl Retry {
    fn allows(self, error: &RedisError) -> bool {
        error.is_connection_refusal() || (self == Self::Idempotent && error.is_connection_dropped())
    }
}

impl RedisCache {
    /// Runs one idempotent command within the operation timeout.
    pub(crate) async fn run<T: FromRedisValue>(&self, operation: &str, cmd: &Cmd) -> Result<T> {
        self.run_with(operation, Retry::Idempotent, cmd).await
    }

    /// Runs one command within the operation timeout, trying again as `retry` allows.
    pub(crate) async fn run_with<T: FromRedisValue>(
        &self,
        operation: &str,
        retry: Retry,
        cmd: &Cmd,
    ) -> Result<T> {
        let attempt = self.query(
            retry,
            |mut conn| async move { cmd.query_async(&mut conn).await },
        );
        self.bounded(operation, attempt).await
    }

    /// Runs `writes` within the operation timeout, trying again as `retry` allows, and returns
    /// the writes' replies in order. The first write the server refused fails the call; an
    /// announcement it refused does not, and is handed to the announcer.
    pub(crate) async fn run_writes(
        &self,
        operation: &str,
        retry: Retry,
        writes: &Writes,
    ) -> Result<Vec<Value>> {
        let pipe = &writes.pipe;
        let attempt = self.query(retry, |mut conn| async move {
            pipe.query_async::<Vec<RedisResult<Value>>>(&mut conn).await
        });
        let replies = self.bounded(operation, attempt).await?;
        if replies.len() != writes.announcements.len() {
            return Err(Error::Backend {
                message: format!(
                    "{operation}: {} commands sent, {} replies",
                    writes.announcements.len(),
                    replies.len()
                ),
                source: None,
            });
        }
        let mut written = Vec::with_capacity(replies.len());
        let mut refused = None;
        for (reply, &announcement) in replies.into_iter().zip(&writes.announcements) {
            match (reply, announcement) {
                (Err(error), true) => self.inner.announcer.failed(error),
                (Ok(_), true) => {}
                (Ok(value), false) => written.push(value),
                (Err(error), false) => {
                    refused.get_or_insert(error);
                }
            }
        }
        match refused {
            Some(error) => Err(self.inner.errors.map(operation, error)),
            None => Ok(written),
        }
    }

    /// Runs `query` on a clone of the connection. On a single server it is run a second time
    /// when `retry` allows; a cluster connection redirects and retries by itself (redis-rs's
    /// cluster retries, which also resend a command after a dropped connection).
    pub(crate) async fn query<T, F, Fut>(&self, retry: Retry, query: F) -> RedisResult<T>
    where
        F: Fn(Conn) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let conn = &self.inner.conn;
        match conn {
            Conn::Cluster(_) => query(conn.clone()).await,
            Conn::Single(_) => match query(conn.clone()).await {
                Err(e) if retry.allows(&e) => query(conn.clone()).await,
                result => result,
            },
        }
    }

    /// `attempt` within the operation timeout, its error mapped without secrets.
    pub(crate) async fn bounded<T>(
        &self,
        operation: &str,
        attempt: impl Future<Output = RedisResult<T>>,
    ) -> Result<T> {
        let errors = &self.inner.errors;
        match tokio::time::timeout(errors.timeout, attempt).await {
            Ok(result) => result.map_err(|e| errors.map(operation, e)),
            Err(_) => Err(Error::Timeout(errors.timeout)),
        }
    }
}
