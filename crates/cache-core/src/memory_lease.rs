//! The [`Lease`] of [`MemoryCache`]: a map of held names in the process, shared by the
//! cache's clones.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{Mutex, MutexGuard};

use crate::cache::check_ttl;
use crate::{Cache, Lease, LeaseToken, MemoryCache, Result};

/// The leases held in one [`MemoryCache`] and its clones, apart from its entries, so that a
/// lease never counts against the byte bound, is never evicted, and never meets a key.
#[derive(Debug, Clone, Default)]
pub(crate) struct Leases {
    held: Arc<Mutex<HashMap<String, Held>>>,
}

#[derive(Debug)]
struct Held {
    token: LeaseToken,
    expires_at: Instant,
}

impl Leases {
    /// An async lock, held across a fenced write's insert so that no lease changes hands
    /// between the check and the write.
    async fn lock(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        self.held.lock().await
    }
}

#[async_trait]
impl Lease for MemoryCache {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LeaseToken>> {
        check_ttl(ttl, self.max_ttl())?;
        let token = LeaseToken::random()?;
        let now = Instant::now();
        let mut held = self.leases.lock().await;
        // Expired leases go here rather than by a timer; a fleet holds few names at once.
        held.retain(|_, lease| lease.expires_at > now);
        if held.contains_key(name) {
            return Ok(None);
        }
        let lease = Held {
            token: token.clone(),
            expires_at: Instant::now() + ttl,
        };
        held.insert(name.to_owned(), lease);
        Ok(Some(token))
    }

    async fn extend(&self, name: &str, token: &LeaseToken, ttl: Duration) -> Result<bool> {
        check_ttl(ttl, self.max_ttl())?;
        let now = Instant::now();
        let mut held = self.leases.lock().await;
        match held.get_mut(name) {
            Some(lease) if lease.token == *token && lease.expires_at > now => {
                lease.expires_at = Instant::now() + ttl;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn release(&self, name: &str, token: &LeaseToken) -> Result<bool> {
        let now = Instant::now();
        let mut held = self.leases.lock().await;
        match held.get(name) {
            Some(lease) if lease.token == *token => {
                let live = lease.expires_at > now;
                held.remove(name);
                Ok(live)
            }
            _ => Ok(false),
        }
    }

    async fn set_if_held(
        &self,
        name: &str,
        token: &LeaseToken,
        key: &str,
        value: Bytes,
        ttl: Duration,
    ) -> Result<bool> {
        self.check(key, &value, ttl)?;
        let held = self.leases.lock().await;
        let ours = held
            .get(name)
            .is_some_and(|lease| lease.token == *token && lease.expires_at > Instant::now());
        if ours {
            self.insert(key.to_owned(), value, ttl).await;
        }
        Ok(ours)
    }
}
