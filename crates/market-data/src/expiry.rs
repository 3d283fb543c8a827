//! Exchange-aware expiry: a market's datasets are fresh no longer than the first moment,
//! after their list was fetched, at which Bybit announced the list would change (a future's
//! delivery, a launch, a pre-market phase), plus a grace, whatever their TTL.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bybit_client::InstrumentList;

/// How long after an announced moment the list is refetched: Bybit's list may lag the
/// moment itself a little.
pub const BOUNDARY_GRACE: Duration = Duration::from_secs(1);
/// The least time between two refreshes a passed boundary starts, so that an upstream that
/// keeps failing is not asked on every read.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Write times this close stand for the same version of a list. A reader derives a version's
/// write time from its age, so that two reads of it differ by whatever happened between
/// the age and the derivation (a decode, a store: microseconds to milliseconds), while two
/// versions of one key are a fetch apart. Taking them for two would scan the list again on
/// every read.
const SAME_VERSION: Duration = Duration::from_millis(100);

/// What this process knows of each market's next announced change, keyed by the market's
/// instruments key.
#[derive(Default)]
pub(crate) struct Boundaries(Mutex<HashMap<String, Known>>);

#[derive(Clone, Copy)]
struct Known {
    /// When the list was written.
    written: SystemTime,
    /// The first announced moment after that.
    next: Option<SystemTime>,
    /// When a refresh was last started for a passed boundary.
    refreshed: Option<SystemTime>,
}

impl Boundaries {
    /// Learns the first announced moment after `written` in `list`, the version of the list
    /// under `key` written then; returns it.
    pub(crate) fn learn(
        &self,
        key: &str,
        list: &InstrumentList,
        written: SystemTime,
    ) -> Option<SystemTime> {
        if let Some(known) = self.lock().get(key)
            && same_version(known.written, written)
        {
            return known.next;
        }
        // Tens of microseconds for a large list: once per version, outside the lock.
        let next = list.next_boundary_after(written);
        let mut known = self.lock();
        let newer = known.get(key).is_some_and(|known| known.written > written);
        if !newer {
            let refreshed = known.get(key).and_then(|known| known.refreshed);
            known.insert(
                key.to_owned(),
                Known {
                    written,
                    next,
                    refreshed,
                },
            );
        }
        next
    }

    /// Whether a value of the market under `key`, written at `written`, predates an announced
    /// moment that has passed (by the grace): it is to be refreshed, whatever its TTL.
    pub(crate) fn passed(&self, key: &str, written: SystemTime) -> bool {
        let known = self.lock().get(key).copied();
        known
            .and_then(|known| known.next)
            .is_some_and(|next| written < next && is_past(next))
    }

    /// Like [`Boundaries::passed`], and then notes that a refresh starts now, unless one
    /// started less than a second ago (then `false`).
    pub(crate) fn claim_refresh(&self, key: &str, written: SystemTime) -> bool {
        if !self.passed(key, written) {
            return false;
        }
        let now = SystemTime::now();
        let mut known = self.lock();
        let Some(known) = known.get_mut(key) else {
            return false;
        };
        let recently = known.refreshed.is_some_and(|at| {
            now.duration_since(at)
                .is_ok_and(|since| since < RETRY_AFTER)
        });
        if recently {
            return false;
        }
        known.refreshed = Some(now);
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        // Every write leaves the map consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn same_version(a: SystemTime, b: SystemTime) -> bool {
    let apart = a
        .duration_since(b)
        .unwrap_or_else(|earlier| earlier.duration());
    apart < SAME_VERSION
}

/// Whether `moment` plus the grace has passed.
pub(crate) fn is_past(moment: SystemTime) -> bool {
    SystemTime::now() >= moment + BOUNDARY_GRACE
}
