//! Counters of what a [`ReadThrough`](crate::ReadThrough) did.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, shared by a read-through cache and its in-flight fetches.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    fetches: AtomicU64,
    fetch_errors: AtomicU64,
    cache_errors: AtomicU64,
    soft_timeouts: AtomicU64,
    deadlines: AtomicU64,
    local_hits: AtomicU64,
    validations: AtomicU64,
    local_evictions: AtomicU64,
    refreshes_ahead: AtomicU64,
    served_while_refreshing: AtomicU64,
    notified_hits: AtomicU64,
    notices: AtomicU64,
    fallbacks: AtomicU64,
}

/// What happened so far: one count per call for `hits`, `misses`, `stale` and
/// `soft_timeouts`, one per upstream call for `fetches`, `fetch_errors` and `deadlines`, one
/// per failed cache read or write for `cache_errors`; `local_hits`, `validations` and
/// `local_evictions` count what the read-through's [`LocalCache`](crate::LocalCache) did, and
/// `notified_hits`, `notices` and `fallbacks` what it did on the backend's
/// [`Notifications`](cache_core::Notifications).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Calls answered from a fresh cached value.
    pub hits: u64,
    /// Calls that found nothing fresh and waited for a fetch.
    pub misses: u64,
    /// Calls answered with a stale copy because the fetch failed or was slow.
    pub stale: u64,
    /// Upstream calls made (concurrent misses share one).
    pub fetches: u64,
    /// Upstream calls that failed: returned an error, panicked or reached the deadline.
    pub fetch_errors: u64,
    /// Cache reads or writes that failed, or entries that could not be decoded.
    pub cache_errors: u64,
    /// Calls served a stale copy because the fetch outlasted the soft timeout (also counted
    /// in `stale`).
    pub soft_timeouts: u64,
    /// Upstream calls abandoned at the hard deadline (also counted in `fetch_errors`).
    pub deadlines: u64,
    /// Calls answered with a fresh value held decoded in the process, once its stamp was
    /// found current in the cache (also counted in `hits`): nothing decoded.
    pub local_hits: u64,
    /// Reads of a stamp from the cache to check a value held in the process, whatever they
    /// found (a failed one is also counted in `cache_errors`).
    pub validations: u64,
    /// Values dropped from the process's local cache to keep it within its bound.
    pub local_evictions: u64,
    /// Background refreshes started by a read that found its value past the refresh-ahead
    /// point of [`Freshness`](crate::Freshness) (or stale within its stale-while-revalidate
    /// window); the read itself was served at once.
    pub refreshes_ahead: u64,
    /// Calls served a stale copy at once, within the stale-while-revalidate window, while a
    /// refresh runs (also counted in `stale`).
    pub served_while_refreshing: u64,
    /// Local hits served on notices alone, without reading the stamp (also counted in
    /// `local_hits`, not in `validations`).
    pub notified_hits: u64,
    /// Announcements of a write or delete received for a key whose value this read-through
    /// held (the value is dropped unless it is the version announced). Announcements that
    /// find the local cache's queue of changes full are not counted (see
    /// [notified mode](crate::LocalCache#notified-mode)).
    pub notices: u64,
    /// Validations made because the local cache follows notifications but the subscription
    /// was down or reconnecting (also counted in `validations`).
    pub fallbacks: u64,
}

impl std::ops::Add for Stats {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            hits: self.hits + other.hits,
            misses: self.misses + other.misses,
            stale: self.stale + other.stale,
            fetches: self.fetches + other.fetches,
            fetch_errors: self.fetch_errors + other.fetch_errors,
            cache_errors: self.cache_errors + other.cache_errors,
            soft_timeouts: self.soft_timeouts + other.soft_timeouts,
            deadlines: self.deadlines + other.deadlines,
            local_hits: self.local_hits + other.local_hits,
            validations: self.validations + other.validations,
            local_evictions: self.local_evictions + other.local_evictions,
            refreshes_ahead: self.refreshes_ahead + other.refreshes_ahead,
            served_while_refreshing: self.served_while_refreshing + other.served_while_refreshing,
            notified_hits: self.notified_hits + other.notified_hits,
            notices: self.notices + other.notices,
            fallbacks: self.fallbacks + other.fallbacks,
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Event {
    Hit,
    Miss,
    Stale,
    Fetch,
    FetchError,
    CacheError,
    SoftTimeout,
    Deadline,
    LocalHit,
    Validation,
    LocalEviction,
    RefreshAhead,
    ServedWhileRefreshing,
    NotifiedHit,
    Notice,
    Fallback,
}

impl Counters {
    pub(crate) fn record(&self, event: Event) {
        let counter = match event {
            Event::Hit => &self.hits,
            Event::Miss => &self.misses,
            Event::Stale => &self.stale,
            Event::Fetch => &self.fetches,
            Event::FetchError => &self.fetch_errors,
            Event::CacheError => &self.cache_errors,
            Event::SoftTimeout => &self.soft_timeouts,
            Event::Deadline => &self.deadlines,
            Event::LocalHit => &self.local_hits,
            Event::Validation => &self.validations,
            Event::LocalEviction => &self.local_evictions,
            Event::RefreshAhead => &self.refreshes_ahead,
            Event::ServedWhileRefreshing => &self.served_while_refreshing,
            Event::NotifiedHit => &self.notified_hits,
            Event::Notice => &self.notices,
            Event::Fallback => &self.fallbacks,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            hits: read(&self.hits),
            misses: read(&self.misses),
            stale: read(&self.stale),
            fetches: read(&self.fetches),
            fetch_errors: read(&self.fetch_errors),
            cache_errors: read(&self.cache_errors),
            soft_timeouts: read(&self.soft_timeouts),
            deadlines: read(&self.deadlines),
            local_hits: read(&self.local_hits),
            validations: read(&self.validations),
            local_evictions: read(&self.local_evictions),
            refreshes_ahead: read(&self.refreshes_ahead),
            served_while_refreshing: read(&self.served_while_refreshing),
            notified_hits: read(&self.notified_hits),
            notices: read(&self.notices),
            fallbacks: read(&self.fallbacks),
        }
    }
}
