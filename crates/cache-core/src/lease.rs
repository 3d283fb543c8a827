//! [`Lease`]: a named, expiring, exclusive claim in a shared cache, such as "this process
//! is fetching this market", so that a fleet of processes makes one upstream call, not one
//! each.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::{Error, Result};

/// Proof of holding a lease: 128 random bits, drawn from the operating system's generator
/// when the lease is taken.
///
/// Only the holder knows it, so only the holder extends or releases the lease; a holder whose
/// lease expired and was taken by another cannot release the new holder's. It has no
/// `Display`, so that no log line or error message carries it by accident; `Debug` does not
/// show it, and [`LeaseToken::secret_hex`] gives it to a backend that stores it.
///
/// ```compile_fail
/// let token = cache_core::LeaseToken::random().unwrap();
/// let _ = format!("{token}");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LeaseToken(u128);

impl LeaseToken {
    /// A new token from the operating system's random number generator.
    ///
    /// # Errors
    /// [`Error::Backend`] in the unlikely case that the system has no randomness to give.
    pub fn random() -> Result<Self> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| Error::backend("cannot draw a random lease token", e.to_string()))?;
        Ok(Self(u128::from_le_bytes(bytes)))
    }

    /// The secret itself, as 32 lowercase hex digits: what the Redis backend stores as the
    /// lease's value. For a backend to store or compare, never to log.
    ///
    /// ```
    /// let token = cache_core::LeaseToken::random()?;
    /// let hex = token.secret_hex();
    /// assert_eq!(hex.len(), 32);
    /// assert!(!format!("{token:?}").contains(&hex));
    /// # Ok::<(), cache_core::Error>(())
    /// ```
    pub fn secret_hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

impl fmt::Debug for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is what lets its holder release the lease; logs should not carry it.
        f.write_str("LeaseToken(..)")
    }
}

/// An exclusive, expiring claim on a name, shared by every process that uses the same cache.
///
/// Every backend of this workspace has one, found through [`Cache::lease`](crate::Cache::lease).
///
/// # Behavior
/// - **For efficiency, not correctness.** A lease keeps a fleet from doing the same work at
///   once; it is not a mutex to build correctness on. A process whose lease expired while it
///   still works, a network partition, or a Redis failover can let two holders overlap. A
///   waiter that cannot get the lease, or cannot reach the cache, fails open: it does the
///   work itself after a bounded wait.
/// - **Expiry.** A lease lasts `ttl` from when it was taken or last extended, unless released
///   sooner; the holder extends it while its work runs. The file backend also ends a lease
///   when its holding process dies, at once (the operating system drops the file lock).
/// - **Tokens.** [`Lease::try_acquire`] returns a fresh [`LeaseToken`]; extending or
///   releasing with any other token, or after the lease expired, does nothing and returns
///   `false`.
/// - **Names** live in a namespace of their own: a lease named `k` and a cache entry under
///   key `k` never see each other (`get`, `delete` and `ttl` of `k` ignore the lease).
///
/// # Errors
/// A TTL of zero, or above the backend's [`Cache::max_ttl`](crate::Cache::max_ttl), is
/// [`Error::InvalidArgument`]. Backend failures map as for the cache's other operations:
/// [`Error::Unavailable`], [`Error::Timeout`] (each call is bounded by the backend's
/// operation timeout), [`Error::Backend`].
///
/// # Example
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cache_core::Result<()> {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cache_core::{Cache, MemoryCache};
///
/// let cache: Arc<dyn Cache> = Arc::new(MemoryCache::new(64 << 20));
/// let lease = cache.lease().expect("the memory backend has leases");
/// let ttl = Duration::from_secs(10);
///
/// let token = lease.try_acquire("fetch:linear", ttl).await?.expect("nobody holds it");
/// assert!(lease.try_acquire("fetch:linear", ttl).await?.is_none(), "exclusive");
/// assert!(lease.extend("fetch:linear", &token, ttl).await?, "still ours");
/// assert!(lease.release("fetch:linear", &token).await?);
/// assert!(lease.try_acquire("fetch:linear", ttl).await?.is_some(), "free again");
/// # Ok(()) }
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Lease: Send + Sync {
    /// Takes the lease on `name` for `ttl` if nobody holds it: Some(token), else None.
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LeaseToken>>;

    /// Extends a lease we hold to `ttl` from now; false when it is no longer ours.
    async fn extend(&self, name: &str, token: &LeaseToken, ttl: Duration) -> Result<bool>;

    /// Releases a lease we hold; false when it was no longer ours.
    async fn release(&self, name: &str, token: &LeaseToken) -> Result<bool>;

    /// Stores `value` under the cache key `key` for `ttl` only while the lease `name` is held
    /// with `token`: true when stored, false when the lease is no longer ours, and then
    /// nothing is written. The check and the write are one step: no other holder of `name`
    /// can come between them.
    ///
    /// It is how a holder whose lease lapsed (it stalled past its TTL, and another process
    /// took the lease and stored a newer value) is kept from overwriting the newer value with
    /// its older one; [`Fence`](crate::Fence) uses it.
    ///
    /// The default returns [`Error::Unsupported`], for a lease that cannot make the check and
    /// the write one step; [`Fence`](crate::Fence) then extends the lease and writes, which
    /// leaves a gap of one call between the two.
    ///
    /// # Errors
    /// As [`Cache::set`](crate::Cache::set), and [`Error::Unsupported`].
    async fn set_if_held(
        &self,
        name: &str,
        token: &LeaseToken,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool> {
        let _ = (name, token, key, value, ttl);
        Err(Error::unsupported("writes fenced by a lease"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_give_their_hex_on_request_and_hide_from_debug() {
        let (a, b) = (LeaseToken::random().unwrap(), LeaseToken::random().unwrap());
        assert_ne!(a, b);
        assert_eq!(a, a.clone());
        let hex = a.secret_hex();
        assert_eq!(hex.len(), 32);
        assert!(hex.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        assert_eq!(format!("{a:?}"), "LeaseToken(..)");
    }
}
