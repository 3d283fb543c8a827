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

/// How many versions of the datasets derived from a list a [`Boundary`] remembers having
/// checked against the stored list: one per derived dataset, and a spare.
const CHECKED: usize = 4;

/// What this process knows of one market's next announced change.
#[derive(Debug)]
pub(crate) struct Boundary {
    known: Mutex<Option<Known>>,
    /// How long after a passed announcement a list that does not show its change yet is
    /// asked for again (see [`next_ask`]).
    horizon: Duration,
}

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
    /// Write times of derived datasets read without their list, already checked against
    /// the stored list: a new version of one is checked once.
    checked: Vec<SystemTime>,
}

/// The moment from which the version of `list` written at `written` is to be asked for
/// again: the first moment Bybit announced after it, or sooner, while a change it announced
/// for a moment before it does not show in the list yet (its list can lag the moment by
/// seconds), the next of 1 s, 2 s, 4 s, ... after that moment, up to `horizon` after it.
pub(crate) fn next_ask(
    list: &InstrumentList,
    written: SystemTime,
    horizon: Duration,
) -> Option<SystemTime> {
    let announced = list.next_boundary_after(written);
    let since = written
        .checked_sub(horizon)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let lagging = list
        .first_unshown_change(since, written)
        .and_then(|moment| {
            let passed = written.duration_since(moment).unwrap_or_default();
            let mut step = Duration::from_secs(1);
            while step <= passed {
                step = step.saturating_mul(2);
            }
            (step <= horizon).then(|| moment + step)
        });
    match (announced, lagging) {
        (Some(a), Some(l)) => Some(a.min(l)),
        (a, l) => a.or(l),
    }
}

impl Boundary {
    /// Nothing known yet; lagging announcements asked for again up to `horizon` after them.
    pub(crate) fn new(horizon: Duration) -> Self {
        Self {
            known: Mutex::new(None),
            horizon,
        }
    }

    /// Whether a derived dataset's version written at `written` is known: the list it was
    /// derived from was learned, or it was checked against the stored list already.
    pub(crate) fn covers(&self, written: SystemTime) -> bool {
        self.lock().as_ref().is_some_and(|known| {
            same_version(known.written, written)
                || known.checked.iter().any(|&at| same_version(at, written))
        })
    }

    /// Notes that a derived dataset's version written at `written` was checked against the
    /// stored list (learned, or found missing).
    pub(crate) fn checked(&self, written: SystemTime) {
        let mut known = self.lock();
        let known = known.get_or_insert_with(|| Known {
            written: SystemTime::UNIX_EPOCH,
            next: None,
            refreshed: None,
            seen: Weak::new(),
            checked: Vec::new(),
        });
        if known.checked.len() == CHECKED {
            known.checked.remove(0);
        }
        known.checked.push(written);
    }

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
        let next = next_ask(list, written, self.horizon);
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
                    checked: Vec::new(),
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
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
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

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    const DELIVERY: u64 = 1_782_460_800_000;
    const HOUR: Duration = Duration::from_secs(3600);

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn list(status: &str, launch: u64) -> InstrumentList {
        serde_json::from_str(&format!(
            r#"{{"category": "linear", "list": [
                {{"symbol": "BTC-26JUN26", "status": "{status}", "deliveryTime": "{DELIVERY}"}},
                {{"symbol": "NEWUSDT", "status": "PreLaunch", "launchTime": "{launch}"}}
            ]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn before_a_moment_the_next_ask_is_the_moment() {
        let far = DELIVERY + 10 * 3_600_000;
        assert_eq!(
            next_ask(&list("Trading", far), at(DELIVERY - 5_000), HOUR),
            Some(at(DELIVERY))
        );
    }

    #[test]
    fn a_list_lagging_a_delivery_is_asked_for_at_growing_intervals() {
        let lagging = list("Trading", DELIVERY + 10 * 3_600_000);
        let ask = |fetched_after_ms| next_ask(&lagging, at(DELIVERY + fetched_after_ms), HOUR);
        assert_eq!(ask(1_200), Some(at(DELIVERY + 2_000)));
        assert_eq!(ask(3_100), Some(at(DELIVERY + 4_000)));
        assert_eq!(ask(4_000), Some(at(DELIVERY + 8_000)));
        assert_eq!(ask(1_000_000), Some(at(DELIVERY + 1_024_000)));
        // Past the horizon the lag no longer counts: the launch is the next moment.
        assert_eq!(ask(3_000_000), Some(at(DELIVERY + 10 * 3_600_000)));
    }

    #[test]
    fn a_change_that_shows_asks_nothing_more_until_the_next_moment() {
        let delivered = list("Delivering", DELIVERY + 60_000);
        assert_eq!(
            next_ask(&delivered, at(DELIVERY + 1_200), HOUR),
            Some(at(DELIVERY + 60_000))
        );
        let none_left = list("Closed", 0);
        assert_eq!(next_ask(&none_left, at(DELIVERY + 1_200), HOUR), None);
    }
}
