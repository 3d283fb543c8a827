//! Exchange-aware expiry: a market's datasets are fresh no longer than the first moment,
//! after their list was fetched, at which Bybit announced the list would change (a future's
//! delivery, a launch, a pre-market phase), plus a grace, whatever their TTL.

use std::sync::{Arc, Mutex, PoisonError, Weak};
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

#[cfg(test)]
thread_local! {
    /// How many passes over a list this thread made: unit tests count rescans with it.
    pub(crate) static SCANS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What this process knows of one market's next announced change.
#[derive(Debug, Default)]
pub(crate) struct Boundary(Mutex<Option<Known>>);

#[derive(Debug)]
struct Known {
    /// When the list was written.
    written: SystemTime,
    /// The first announced moment after that.
    next: Option<SystemTime>,
    /// When a refresh was last started for a passed boundary.
    refreshed: Option<SystemTime>,
    /// The decoded list of this version last served, if any.
    seen: Weak<InstrumentList>,
}

impl Boundary {
    /// Learns the first announced moment after `written` in `list`, the version of the
    /// market's list written then (by the write time stored with it, which every read of it
    /// derives again from its age); returns it. `list` is then the decoded list of the
    /// version known, recognised by its address on the next reads.
    pub(crate) fn learn(
        &self,
        list: &Arc<InstrumentList>,
        written: SystemTime,
    ) -> Option<SystemTime> {
        if let Some(known) = &mut *self.lock()
            && same_version(known.written, written)
        {
            known.seen = Arc::downgrade(list);
            return known.next;
        }
        // A pass over the list: once per version, outside the lock.
        #[cfg(test)]
        SCANS.with(|scans| scans.set(scans.get() + 1));
        let next = list.next_boundary_after(written);
        let mut known = self.lock();
        match &mut *known {
            Some(known) if known.written > written => {}
            Some(known) => {
                known.written = written;
                known.next = next;
                known.seen = Arc::downgrade(list);
            }
            None => {
                *known = Some(Known {
                    written,
                    next,
                    refreshed: None,
                    seen: Arc::downgrade(list),
                });
            }
        }
        next
    }

    /// Whether a value of the market, served at `age`, predates an announced moment that
    /// has passed (by the grace), and no refresh for it started less than a second ago; if
    /// so, notes that one starts now. `list` is the value when it is the instruments list
    /// itself: a version not seen yet is learned first.
    ///
    /// On the path of every read, so one lock, and no clock read unless a moment is known:
    /// the list last learned is known by its address (its allocation stays while `seen`
    /// points to it), and a version already learned is only compared.
    pub(crate) fn claim_refresh(&self, list: Option<&Arc<InstrumentList>>, age: Duration) -> bool {
        let written_at = |now: SystemTime| now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
        if let Some(known) = &mut *self.lock() {
            let seen = list.is_none_or(|list| Weak::as_ptr(&known.seen) == Arc::as_ptr(list));
            if seen {
                if known.next.is_none() {
                    return false;
                }
                let now = SystemTime::now();
                return known.claim(written_at(now), now);
            }
        }
        let Some(list) = list else {
            return false;
        };
        let now = SystemTime::now();
        let written = written_at(now);
        self.learn(list, written);
        let mut known = self.lock();
        let Some(known) = known.as_mut() else {
            return false;
        };
        known.claim(written, now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Known>> {
        // Every write leaves the value consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Known {
    /// See [`Boundaries::claim_refresh`].
    fn claim(&mut self, written: SystemTime, now: SystemTime) -> bool {
        let passed = self
            .next
            .is_some_and(|next| written < next && now >= next + BOUNDARY_GRACE);
        let recently = self.refreshed.is_some_and(|at| {
            now.duration_since(at)
                .is_ok_and(|since| since < RETRY_AFTER)
        });
        if !passed || recently {
            return false;
        }
        self.refreshed = Some(now);
        true
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
