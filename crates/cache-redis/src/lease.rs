//! The [`Lease`] of [`RedisCache`]: one key per lease, taken with `SET NX PX`, extended and
//! released by Lua scripts that check the token, so that every operation touches one key
//! and runs on a Redis Cluster as on one server.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cache_core::{Lease, LeaseToken, Result, check_ttl};
use redis::{Cmd, Script};

use crate::backend::px_millis;
use crate::run::Retry;
use crate::{MAX_TTL, RedisCache};

/// What follows the key prefix in every lease key. `0xFF` never occurs in UTF-8, and every
/// cache key is the prefix followed by UTF-8, so no cache key can name a lease key.
const LEASE_TAG: &[u8] = b"\xfflease:";

/// Sets the expiry of a lease still held with the given token: 1, else 0.
static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0",
    )
});

/// Sets `KEYS[2]` to `ARGV[2]` for `ARGV[3]` ms while the lease `KEYS[1]` is held with the
/// token `ARGV[1]`: 1, else 0 and nothing written.
const SET_IF_HELD: &str = r"if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
    return 1
end
return 0";

/// Deletes a lease still held with the given token: 1, else 0.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0",
    )
});

impl RedisCache {
    /// `{prefix}\xfflease:{name}`: under the key prefix, so that whatever scopes the cache's
    /// keys (ACLs, `SCAN MATCH prefix*`) scopes its leases too.
    fn lease_key(&self, name: &str) -> Vec<u8> {
        [self.key_prefix().as_bytes(), LEASE_TAG, name.as_bytes()].concat()
    }

    /// Runs `script` on one key with `args`, by `EVALSHA`, loading it first where the
    /// server does not know it (after a restart or a `SCRIPT FLUSH`).
    async fn run_script(
        &self,
        operation: &str,
        retry: Retry,
        script: &Script,
        key: &[u8],
        args: &[&[u8]],
    ) -> Result<i64> {
        let mut invocation = script.prepare_invoke();
        invocation.key(key);
        for arg in args {
            invocation.arg(*arg);
        }
        let invocation = &invocation;
        let attempt = self.query(retry, |mut conn| async move {
            invocation.invoke_async(&mut conn).await
        });
        self.bounded(operation, attempt).await
    }
}

/// Leases as Redis keys of their own.
///
/// - `try_acquire` is `SET key token NX PX ms`. When it finds the key taken, a `GET` checks
///   whether the token there is the one just sent: a `SET` sent again after a dropped
///   connection finds its own first send's write, and the lease is ours.
/// - `set_if_held` is a Lua script that compares the token and then `SET`s the entry, sent
///   by `EVAL` with the write's announcement. On a cluster it needs the lease and the entry
///   in one hash slot (a key prefix with a hash tag, such as `{md}:`, puts them there), and is
///   otherwise [`Error::Unsupported`](cache_core::Error::Unsupported), which
///   [`Fence`](cache_core::Fence) meets by extending the lease and then writing.
/// - `extend` and `release` are Lua scripts that compare the token and then `PEXPIRE` or
///   `DEL`, atomically, on the lease's one key.
/// - A lease lasts its TTL, rounded up to whole milliseconds, on the server's clock; a
///   holder that dies leaves it to expire.
/// - Every call is bounded by the operation timeout, and its errors are mapped as the cache
///   operations' are. `release` is sent again on one server only when nothing was sent.
#[async_trait]
impl Lease for RedisCache {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LeaseToken>> {
        check_ttl(ttl, MAX_TTL)?;
        let token = LeaseToken::random()?;
        let value = token.secret_hex();
        let key = self.lease_key(name);
        let mut set = Cmd::new();
        set.arg("SET")
            .arg(&key)
            .arg(&value)
            .arg("NX")
            .arg("PX")
            .arg(px_millis(ttl));
        let taken: Option<String> = self.run("SET NX", &set).await?;
        if taken.is_some() {
            return Ok(Some(token));
        }
        let holder: Option<Vec<u8>> = self.run("GET", Cmd::new().arg("GET").arg(&key)).await?;
        Ok((holder.as_deref() == Some(value.as_bytes())).then_some(token))
    }

    async fn extend(&self, name: &str, token: &LeaseToken, ttl: Duration) -> Result<bool> {
        check_ttl(ttl, MAX_TTL)?;
        let (token, millis) = (token.secret_hex(), px_millis(ttl).to_string());
        let key = self.lease_key(name);
        let args = [token.as_bytes(), millis.as_bytes()];
        let extended = self
            .run_script("lease extend", Retry::Idempotent, &EXTEND, &key, &args)
            .await?;
        Ok(extended == 1)
    }

    async fn release(&self, name: &str, token: &LeaseToken) -> Result<bool> {
        let token = token.secret_hex();
        let key = self.lease_key(name);
        let released = self
            .run_script(
                "lease release",
                Retry::IfNotSent,
                &RELEASE,
                &key,
                &[token.as_bytes()],
            )
            .await?;
        Ok(released == 1)
    }

    async fn set_if_held(
        &self,
        name: &str,
        token: &LeaseToken,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool> {
        let lease = self.lease_key(name);
        let token = token.secret_hex();
        self.set_by_script(SET_IF_HELD, &lease, &token, key, value, ttl)
            .await
    }
}
