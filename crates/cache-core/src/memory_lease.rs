//! The [`Lease`] of [`MemoryCache`]: a map of held names in the process, shared by the
//! cache's clones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

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
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Held>> {
        // Every critical section leaves the map consistent, so a panic elsewhere is no reason
        // to refuse leases from then on.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Lease for MemoryCache {
    async fn try_acquire(&self, name: &str, ttl: Duration) -> Result<Option<LeaseToken>> {
        check_ttl(ttl, self.max_ttl())?;
        let token = LeaseToken::random()?;
        let now = Instant::now();
        let mut held = self.leases.lock();
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
        let mut held = self.leases.lock();
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
        let mut held = self.leases.lock();
        match held.get(name) {
            Some(lease) if lease.token == *token => {
                let live = lease.expires_at > now;
                held.remove(name);
                Ok(live)
            }
            _ => Ok(false),
        }
    }
}
