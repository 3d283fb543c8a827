//! Serving a value held decoded in the process, once the cache is found to hold its stamp,
//! or on notices alone while the local cache follows them and trusts the value.

use std::sync::Arc;
use std::time::Duration;

use cache_core::envelope::{self, HEADER_LEN, Stamp};
use cache_core::{Cache, TypedCache};
use serde::de::DeserializeOwned;

use super::local::LocalCache;
use super::peek::{Judged, Peek, StaleBody, StaleCopy, judge};
use super::sightings::Sightings;
use super::{Lookup, Source};
use crate::Freshness;
use crate::follow::Trust;
use crate::stats::{Counters, Event};

/// What the cache holds under `key`, as told by the value `local` holds for it and the stamp
/// the cache holds now; `None` when that does not tell (nothing held, another version
/// stored, or the stamp could not be read), and the entry is to be read in full.
///
/// A held value is served only when the cache answered with its very stamp, or when the
/// local cache trusts it on notices (validated recently under a subscription that has been
/// up since, with no change announced for its key): a cache that cannot be read never gets
/// its held values served unchecked past that. A matching value is judged by its write
/// time, as a stored one is: fresh, stale (served decoded when the fetch fails or is slow)
/// or too old.
pub(super) async fn validate<T, C>(
    cache: &TypedCache<C>,
    policy: &Freshness,
    counters: &Arc<Counters>,
    local: &LocalCache,
    sightings: &Sightings,
    key: &str,
) -> Option<Peek<T>>
where
    T: DeserializeOwned + Send + Sync + 'static,
    C: Cache,
{
    let (held, value, entry) = local.get::<T>(key).await?;
    let fresh_for = policy.fresh_for_unit(entry.unit);
    let notified = local.trusts(key, &entry.trust);
    if !notified && let Some(instead) = check(cache, counters, local, key, held, &entry.trust).await
    {
        return instead;
    }
    let held = (held, value);
    let judged = judged(
        (policy, sightings),
        counters,
        local,
        key,
        fresh_for,
        held,
        notified,
    );
    Some(judged.await)
}

/// Checks that the cache still holds the version `held` of `key`, trusting it on notices
/// from then on when that is so; `None` when it does, else what [`validate`] answers
/// instead: the key gone, or nothing to tell (another version, or no answer).
async fn check<T, C: Cache>(
    cache: &TypedCache<C>,
    counters: &Counters,
    local: &LocalCache,
    key: &str,
    held: Stamp,
    trust: &Trust,
) -> Option<Option<Peek<T>>> {
    if local.is_falling_back() {
        counters.record(Event::Fallback);
    }
    // Taken before the read: a change announced while it is on its way voids the trust.
    let token = local.token(key);
    counters.record(Event::Validation);
    let head = match cache.cache().get_prefix(key, HEADER_LEN).await {
        Ok(head) => head,
        Err(error) => {
            counters.record(Event::CacheError);
            tracing::warn!(key, %error, "cannot check the local copy; reading the entry");
            return Some(None);
        }
    };
    let Some(head) = head else {
        local.remove(key).await;
        tracing::debug!(key, "local copy dropped: the key is gone from the cache");
        return Some(Some(Peek::Missing));
    };
    if envelope::stamp(&head).ok() != Some(held) {
        local.remove(key).await;
        tracing::debug!(key, "local copy outdated: the cache holds another version");
        return Some(None);
    }
    if let Some(token) = token {
        trust.set(token);
    }
    None
}

/// A held value whose stamp is current, judged by its write time.
async fn judged<T>(
    (policy, sightings): (&Freshness, &Sightings),
    counters: &Counters,
    local: &LocalCache,
    key: &str,
    fresh_for: Duration,
    (held, value): (Stamp, Arc<T>),
    notified: bool,
) -> Peek<T> {
    match judge(policy, fresh_for, &held, sightings) {
        Judged::Fresh(age) => {
            counters.record(Event::LocalHit);
            if notified {
                counters.record(Event::NotifiedHit);
            }
            tracing::debug!(key, ?age, notified, "local hit");
            let found = Lookup {
                value,
                source: Source::Cache,
                age,
            };
            Peek::Fresh(found, fresh_for)
        }
        Judged::Stale(age) => {
            let body = StaleBody::Decoded(value);
            Peek::Stale(StaleCopy::new(held.written_at(), body, age))
        }
        Judged::TooOld(age) => {
            local.remove(key).await;
            tracing::debug!(key, ?age, "local copy older than this reader accepts");
            Peek::Missing
        }
    }
}
