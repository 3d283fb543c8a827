//! The sweep: removing expired and invalid entry files and temporary files left by crashed
//! writers, on demand and now and then after writes.

use std::fs;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use cache_core::Result;

use crate::entry::{self, Dir, State};
use crate::paths::{self, FileKind};

/// How old a temporary file must be before a sweep takes it for a crashed writer's. A live
/// write finishes in far less; a younger file may belong to another process writing now.
pub const STRAY_TEMP_AGE: Duration = Duration::from_secs(60 * 60);

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SweepReport {
    /// Entry files past their expiry.
    pub expired: usize,
    /// Entry files that are not a whole entry: torn, corrupt, or foreign.
    pub invalid: usize,
    /// Temporary files older than [`STRAY_TEMP_AGE`].
    pub stray_temp_files: usize,
}

/// Sweeps `dir` as of `now`. Files whose names are not ours are never touched.
pub(crate) fn sweep(dir: &Dir, now: SystemTime) -> Result<SweepReport> {
    let now_ms = entry::unix_ms(now);
    let mut report = SweepReport::default();
    let listing = fs::read_dir(dir.path()).map_err(|e| entry::io_error("list", dir.path(), e))?;
    // A file that vanishes or cannot be read mid-sweep is another process's business, or
    // the next sweep's: the sweep goes on.
    for item in listing.flatten() {
        let path = item.path();
        match paths::classify(&item.file_name()) {
            FileKind::Entry => match entry::inspect(&path, None, now_ms) {
                Ok(State::Stale(why, file)) => {
                    if entry::remove_if_unchanged(&path, &file, why) {
                        match why {
                            None => report.expired += 1,
                            Some(_) => report.invalid += 1,
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::debug!(path = %path.display(), error = %e, "sweep cannot read"),
            },
            FileKind::Temp => {
                let modified = item.metadata().and_then(|m| m.modified());
                let abandoned = modified
                    .is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age >= STRAY_TEMP_AGE));
                if abandoned && fs::remove_file(&path).is_ok() {
                    report.stray_temp_files += 1;
                }
            }
            FileKind::Other => {}
        }
    }
    Ok(report)
}

/// Decides when a write should also start a background sweep: at most one at a time per
/// cache, and no sooner than `interval` after the previous one started.
#[derive(Debug)]
pub(crate) struct Schedule {
    interval: Option<Duration>,
    last_started_ms: AtomicU64,
    running: AtomicBool,
}

impl Schedule {
    /// A schedule whose first sweep is due at once; `None` never sweeps on its own.
    pub(crate) fn new(interval: Option<Duration>) -> Self {
        Self {
            interval,
            last_started_ms: AtomicU64::new(0),
            running: AtomicBool::new(false),
        }
    }

    /// Whether a sweep is due at `now_ms`; if so, the caller must run it and then call
    /// [`Schedule::finished`].
    pub(crate) fn claim(&self, now_ms: u64) -> bool {
        let Some(interval) = self.interval else {
            return false;
        };
        let interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        let last = self.last_started_ms.load(Ordering::Relaxed);
        if now_ms.saturating_sub(last) < interval_ms && last != 0 {
            return false;
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.last_started_ms.store(now_ms.max(1), Ordering::Relaxed);
        true
    }

    /// Marks the claimed sweep as done.
    pub(crate) fn finished(&self) {
        self.running.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sweep_is_due_at_once_and_the_next_after_the_interval() {
        let schedule = Schedule::new(Some(Duration::from_secs(10)));
        assert!(schedule.claim(1_000_000));
        schedule.finished();
        assert!(!schedule.claim(1_009_999), "before the interval");
        assert!(schedule.claim(1_010_000), "at the interval");
    }

    #[test]
    fn only_one_sweep_runs_at_a_time() {
        let schedule = Schedule::new(Some(Duration::ZERO));
        assert!(schedule.claim(5));
        assert!(!schedule.claim(6), "the first is still running");
        schedule.finished();
        assert!(schedule.claim(7));
    }

    #[test]
    fn no_interval_never_sweeps() {
        let schedule = Schedule::new(None);
        assert!(!schedule.claim(u64::MAX));
    }
}
