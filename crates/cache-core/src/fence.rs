//! [`Fence`]: writes made only while their writer still holds the lease it worked under.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::{Cache, Error, LeaseToken, Result};

/// What a write is fenced by: the lease its writer took before it began the work whose
/// result it stores, or nothing.
///
/// A holder can stall past its lease (a stopped process, a long pause), while another
/// process takes the lease, does the work again and stores a newer result. A write through a
/// fence of the lapsed lease is then refused with [`Error::LeaseLost`] and writes nothing, so
/// the older result never replaces the newer one; the stalled holder still has its result to
/// give its own callers. `cache_policy::Fleet::run_fenced` hands the work its
/// fence.
///
/// The check and the write are one step where the backend offers it
/// ([`Lease::set_if_held`](crate::Lease::set_if_held): every backend of this workspace, and
/// a Redis Cluster when the lease and the key share a hash slot). Elsewhere the fence extends
/// the lease and then writes, which leaves a gap of one call.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cache_core::Result<()> {
/// use std::time::Duration;
/// use cache_core::{Cache, Error, Fence, MemoryCache};
///
/// let cache = MemoryCache::new(64 << 20);
/// let ttl = Duration::from_secs(60);
/// let lease = cache.lease().unwrap();
/// let token = lease.try_acquire("refresh:linear", ttl).await?.unwrap();
/// let fence = Fence::lease("refresh:linear", token.clone(), ttl);
///
/// fence.set(&cache, "symbols:linear", "BTCUSDT".into(), ttl).await?;
/// lease.release("refresh:linear", &token).await?;
/// let late = fence.set(&cache, "symbols:linear", "stale".into(), ttl).await;
/// assert!(matches!(late, Err(Error::LeaseLost { .. })));
/// assert_eq!(cache.get("symbols:linear").await?.as_deref(), Some(&b"BTCUSDT"[..]));
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Fence {
    held: Option<Held>,
}

#[derive(Clone)]
struct Held {
    name: String,
    token: LeaseToken,
    ttl: Duration,
}

impl Fence {
    /// No lease: writes are made unconditionally, as by a process that works without one
    /// (the cache has no lease, cannot be reached, or a waiter stopped waiting).
    pub const fn none() -> Self {
        Self { held: None }
    }

    /// Writes only while `token` holds the lease `name`, which lasts `ttl` when extended
    /// (the extension made before a write where the backend cannot fence it in one step).
    pub fn lease(name: impl Into<String>, token: LeaseToken, ttl: Duration) -> Self {
        Self {
            held: Some(Held {
                name: name.into(),
                token,
                ttl,
            }),
        }
    }

    /// The lease's name, when there is one.
    pub fn lease_name(&self) -> Option<&str> {
        self.held.as_ref().map(|held| held.name.as_str())
    }

    /// Stores `value` under `key` for `ttl` in `cache`, if the fence allows it.
    ///
    /// # Errors
    /// [`Error::LeaseLost`] when the lease is no longer held with the fence's token (nothing
    /// was written); otherwise the cache's errors.
    pub async fn set<C: Cache + ?Sized>(
        &self,
        cache: &C,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<()> {
        let (Some(held), Some(lease)) = (&self.held, cache.lease()) else {
            return cache.set(key, value, ttl).await;
        };
        let lost = || Error::LeaseLost {
            name: held.name.clone(),
        };
        match lease
            .set_if_held(&held.name, &held.token, key, value.clone(), ttl)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(lost()),
            Err(Error::Unsupported(_)) => {
                if lease.extend(&held.name, &held.token, held.ttl).await? {
                    cache.set(key, value, ttl).await
                } else {
                    Err(lost())
                }
            }
            Err(error) => Err(error),
        }
    }
}

impl fmt::Debug for Fence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token stays out of logs, as LeaseToken's own Debug keeps it out.
        f.debug_struct("Fence")
            .field("lease", &self.lease_name())
            .finish()
    }
}
