//! Running commands on the shared connection: one retry where it is safe, and every call
//! bounded by the operation timeout.

use std::future::Future;

use cache_core::{Error, Result};
use redis::{Cmd, FromRedisValue, Pipeline, RedisResult};

use crate::RedisCache;
use crate::connect::Conn;

impl RedisCache {
    /// Runs one command within the operation timeout.
    pub(crate) async fn run<T: FromRedisValue>(&self, operation: &str, cmd: &Cmd) -> Result<T> {
        self.run_with(operation, true, cmd).await
    }

    /// Runs one command within the operation timeout; `idempotent` as in [`with_retry`].
    pub(crate) async fn run_with<T: FromRedisValue>(
        &self,
        operation: &str,
        idempotent: bool,
        cmd: &Cmd,
    ) -> Result<T> {
        let attempt = with_retry(&self.inner.conn, idempotent, |mut conn| async move {
            cmd.query_async(&mut conn).await
        });
        self.bounded(operation, attempt).await
    }

    /// Runs one pipeline within the operation timeout.
    pub(crate) async fn run_pipe(&self, operation: &str, pipe: &Pipeline) -> Result<()> {
        let attempt = with_retry(&self.inner.conn, true, |mut conn| async move {
            pipe.query_async::<()>(&mut conn).await
        });
        self.bounded(operation, attempt).await
    }

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

/// Runs `query` on a clone of `conn`, and once more when the connection was refused, or,
/// for an idempotent `query`, dropped.
///
/// A connection manager finds out that the server closed its connection only when a
/// command fails on it, and keeps its last reconnection attempt, failed or not; so the first
/// call after a restart fails on the dead connection (or the stale attempt) while starting a
/// new one, which the second try waits for. Nothing was sent when a connection was refused;
/// a dropped one may have delivered the command, so only commands that can run twice with
/// the same effect (GET, SET, PTTL, MGET) are tried again.
pub(crate) async fn with_retry<T, F, Fut>(conn: &Conn, idempotent: bool, query: F) -> RedisResult<T>
where
    F: Fn(Conn) -> Fut,
    Fut: Future<Output = RedisResult<T>>,
{
    match query(conn.clone()).await {
        Err(e)
            if matches!(conn, Conn::Single(_))
                && (e.is_connection_refusal() || (idempotent && e.is_connection_dropped())) =>
        {
            query(conn.clone()).await
        }
        result => result,
    }
}
