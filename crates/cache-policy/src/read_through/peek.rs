//! What the cache holds under a key, as a [`ReadThrough`](crate::ReadThrough) reader sees it
//! by its own policy; and the write of a fetched value.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cache_core::envelope::{self, Header, Stamp};
use cache_core::{Cache, Error, Fence, TypedCache};
use futures_util::FutureExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::local::{LocalCache, Weigh};
use super::sightings::Sightings;
use super::validate::validate;
use super::{Lookup, Source};
use crate::Freshness;
use crate::fetch_error::panic_message;
use crate::stats::{Counters, Event};

/// A write time this far ahead of our clock was taken as clock skew between machines, and an
/// entry written further ahead as stale for as long as it was ahead. Now every version
/// written ahead of this clock is aged from when this process first saw it, whatever the
/// skew; kept for the callers that name it.
#[deprecated(note = "a version written ahead of this clock is aged from its first sight")]
pub const CLOCK_SKEW_TOLERANCE: Duration = Duration::from_secs(5);

/// What the cache holds under a key.
pub(super) enum Peek<T> {
    /// A fresh value, decoded, and its key's fresh time by the reader's policy.
    Fresh(Lookup<T>, Duration),
    /// A stale copy within the reader's `max_stale`, not decoded until it is needed (unless
    /// the process held it decoded already).
    Stale(StaleCopy<T>),
    /// Nothing, or a stale copy older than the reader accepts.
    Missing,
    /// An entry that cannot be read (damaged, foreign, or of another schema): to be
    /// overwritten. Not read again within the same miss, so that it is reported once.
    Unreadable,
    /// The cache could not be read.
    Unreachable,
}

/// A stale copy, whose envelope is checked.
pub(super) struct StaleCopy<T> {
    /// When it was written, which the age is counted from.
    written_at: SystemTime,
    pub(super) body: StaleBody<T>,
    /// The age when the copy was read, and when that was.
    read_age: Duration,
    read_at: Instant,
}

/// A stale copy's value.
pub(super) enum StaleBody<T> {
    /// The stored bytes, decoded only when served.
    Encoded {
        header: Header,
        payload: Bytes,
        stamp: Stamp,
    },
    /// The value the process held decoded, whose stamp the cache still holds.
    Decoded(Arc<T>),
}

impl<T> StaleCopy<T> {
    pub(super) fn new(written_at: SystemTime, body: StaleBody<T>, read_age: Duration) -> Self {
        Self {
            written_at,
            body,
            read_age,
            read_at: Instant::now(),
        }
    }

    /// Whether the copy is young enough to be served at once while a refresh runs (see
    /// [`Freshness::with_stale_while_revalidate`]).
    pub(super) fn revalidating(&self, policy: &Freshness, key: &str) -> bool {
        policy.serves_while_revalidating(key, self.read_age)
    }

    /// The copy's age now, if the reader still serves a copy that old.
    ///
    /// The caller may have waited for the fetch since the copy was read, up to the hard
    /// deadline. The age is the wall clock's, as the write time is; but no less than the age
    /// when read plus the wait, measured on tokio's clock (which the timeouts run on), so that
    /// a wall clock stepped back does not make the copy younger.
    pub(super) fn age_if_usable(&self, policy: &Freshness, key: &str) -> Option<Duration> {
        let by_wall_clock = SystemTime::now()
            .duration_since(self.written_at)
            .unwrap_or_default();
        let age = by_wall_clock.max(self.read_age.saturating_add(self.read_at.elapsed()));
        usable(policy, policy.fresh_for(key), age).then_some(age)
    }
}

/// How a value written at some time stands by the reader's policy.
pub(super) enum Judged {
    Fresh(Duration),
    Stale(Duration),
    /// Older than the reader serves even stale.
    TooOld(Duration),
}

/// Judges the version `stamp` by `policy`, under which its key is fresh for `fresh_for`; its
/// age by this clock, or since it was first seen here when it was written ahead of it.
pub(super) fn judge(
    policy: &Freshness,
    fresh_for: Duration,
    stamp: &Stamp,
    sightings: &Sightings,
) -> Judged {
    let age = sightings.age(stamp);
    if age < fresh_for {
        Judged::Fresh(age)
    } else if usable(policy, fresh_for, age) {
        Judged::Stale(age)
    } else {
        Judged::TooOld(age)
    }
}

/// Whether the reader serves a stale copy of `age`: within its own fresh time and
/// `max_stale`, whatever the writer's policy kept the copy for.
fn usable(policy: &Freshness, fresh_for: Duration, age: Duration) -> bool {
    !policy.max_stale().is_zero() && age < fresh_for.saturating_add(policy.max_stale())
}

/// What the cache holds under `key`: the value held in `local` when the cache still holds
/// its stamp (see [`validate`]), else the cache's entry, read in full and decoded when fresh
/// (and then held in `local`, weighed by its `Weigh`).
pub(super) async fn peek<T, C>(
    cache: &TypedCache<C>,
    policy: &Freshness,
    counters: &Arc<Counters>,
    local: Option<(&LocalCache, &Weigh<T>)>,
    sightings: &Sightings,
    key: &str,
) -> Peek<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
    C: Cache,
{
    if let Some((local, _)) = local
        && let Some(found) = validate(cache, policy, counters, local, sightings, key).await
    {
        return found;
    }
    let unreadable = |error: Error| {
        counters.record(Event::CacheError);
        tracing::warn!(key, %error, "cache entry unreadable; it will be overwritten");
        Peek::Unreadable
    };
    let bytes = match cache.cache().get(key).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Peek::Missing,
        Err(error) => {
            counters.record(Event::CacheError);
            tracing::warn!(key, %error, "cache read failed; fetching instead");
            return Peek::Unreachable;
        }
    };
    // Opened (and its checksum verified) once: the payload is decoded from here on.
    let (header, payload, stamp) = match envelope::open(&bytes).and_then(|(header, payload)| {
        Ok((header, bytes.slice_ref(payload), envelope::stamp(&bytes)?))
    }) {
        Ok(opened) => opened,
        Err(error) => return unreadable(error.into()),
    };
    let fresh_for = policy.fresh_for(key);
    let age = match judge(policy, fresh_for, &stamp, sightings) {
        Judged::Fresh(age) => age,
        Judged::Stale(age) => {
            let body = StaleBody::Encoded {
                header,
                payload,
                stamp,
            };
            return Peek::Stale(StaleCopy::new(header.written_at, body, age));
        }
        Judged::TooOld(age) => {
            tracing::debug!(key, ?age, "stale copy older than this reader accepts");
            return Peek::Missing;
        }
    };
    match cache.decode_opened::<T>(header, payload).await {
        Ok(stored) => {
            let value = Arc::new(stored.value);
            if let Some((local, weigh)) = local {
                local
                    .insert(key, stamp, value.clone(), counters, weigh)
                    .await;
            }
            let found = Lookup {
                value,
                source: Source::Cache,
                age,
            };
            Peek::Fresh(found, fresh_for)
        }
        Err(error) => unreadable(error),
    }
}

/// Stores a fetched value, and holds it in `local` with the stamp of the bytes written.
pub(super) async fn write<T, C>(
    cache: &TypedCache<C>,
    policy: &Freshness,
    counters: &Arc<Counters>,
    key: &str,
    local: Option<(&LocalCache, &Weigh<T>)>,
    value: Arc<T>,
    fence: &Fence,
) where
    T: Serialize + Send + Sync + 'static,
    C: Cache,
{
    // Shared, so that a large value is serialized off the runtime's threads.
    let ttl = storage_ttl(cache, policy, key);
    // The fetch succeeded: a `Serialize` that panics fails the write, not the callers.
    let written = AssertUnwindSafe(cache.set_shared_fenced(key, value.clone(), ttl, fence))
        .catch_unwind()
        .await;
    let error = match written {
        Ok(Ok(stamp)) => {
            if let Some((local, weigh)) = local {
                local.insert(key, stamp, value, counters, weigh).await;
            }
            return;
        }
        Ok(Err(Error::LeaseLost { name })) => {
            // Another process holds the lease now and stored, or is storing, a newer value.
            tracing::info!(
                key,
                lease = name,
                "lease lost during the fetch; its value is served here, not stored"
            );
            return;
        }
        Ok(Err(error)) => error.to_string(),
        Err(panic) => format!("serializing the value panicked: {}", panic_message(&*panic)),
    };
    counters.record(Event::CacheError);
    tracing::warn!(key, %error, "cache write failed; the value is served uncached");
}

/// How long the backend keeps `key`: the policy's storage TTL, within what the backend holds,
/// so that a long `max_stale` shortens the stale copy instead of failing every write.
pub(super) fn storage_ttl<C: Cache>(
    cache: &TypedCache<C>,
    policy: &Freshness,
    key: &str,
) -> Duration {
    policy.storage_ttl(key).min(cache.cache().max_ttl())
}
