//! [`Sightings`]: the age of a version written by a clock ahead of ours, measured here.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use cache_core::Stamp;
use tokio::time::Instant;

/// How many versions written ahead of this clock are remembered at once. Far more than a
/// process reads keys; past it, versions no longer ahead are forgotten first, then all.
const MAX_SIGHTINGS: usize = 1024;

/// When this process first saw each version whose write time is ahead of its clock.
///
/// A write time comes from the writer's clock. One that is ahead of ours says nothing of the
/// version's age, and judging it by our clock would keep it stale (or, taken as age zero,
/// fresh) for as long as the writer's clock is ahead: every read would start a refresh that
/// never settles it. Such a version is aged from the moment this process first saw it
/// instead, so it is fresh for its fresh time from then and refreshed once after.
#[derive(Debug, Default)]
pub(super) struct Sightings(Mutex<HashMap<Stamp, Instant>>);

impl Sightings {
    /// The age of the version `stamp`: by this machine's clock when its write time is in the
    /// past, else since this process first saw it.
    pub(super) fn age(&self, stamp: &Stamp) -> Duration {
        let now = SystemTime::now();
        if let Ok(age) = now.duration_since(stamp.written_at()) {
            return age;
        }
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= MAX_SIGHTINGS && !seen.contains_key(stamp) {
            seen.retain(|stamp, _| stamp.written_at() > now);
            if seen.len() >= MAX_SIGHTINGS {
                seen.clear();
            }
        }
        seen.entry(*stamp).or_insert_with(Instant::now).elapsed()
    }
}
