//! The sweep: removing expired and invalid entry files and temporary files left by crashed
//! writers, on demand and now and then after writes.

use std::fs;
use std::sync::Arc;
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
    let now_ms = cache_core::unix_millis(now);
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
                // The metadata of the name itself, not of a link's target: only a regular
                // file can be a write's temporary file.
                let abandoned = item.metadata().is_ok_and(|m| {
                    m.is_file()
                        && m.modified().is_ok_and(|modified| {
                            now.duration_since(modified)
                                .is_ok_and(|age| age >= STRAY_TEMP_AGE)
                        })
                });
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
    running: Arc<AtomicBool>,
}

/// The right to run the one sweep a [`Schedule`] allows at a time, given back when dropped,
/// so that a sweep that panics or never starts does not stop later ones.
#[derive(Debug)]
pub(crate) struct Claim {
    running: Arc<AtomicBool>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Release);
    }
}

impl Schedule {
    /// A schedule whose first sweep is due at once; `None` never sweeps on its own.
    pub(crate) fn new(interval: Option<Duration>) -> Self {
        Self {
            interval,
            last_started_ms: AtomicU64::new(0),
            running: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether a sweep is due at `now_ms`; if so, the caller runs it and drops the claim
    /// when it is done.
    pub(crate) fn claim(&self, now_ms: u64) -> Option<Claim> {
        let interval = self.interval?;
        let interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
        let last = self.last_started_ms.load(Ordering::Relaxed);
        if now_ms.saturating_sub(last) < interval_ms && last != 0 {
            return None;
        }
        if self.running.swap(true, Ordering::AcqRel) {
            return None;
        }
        self.last_started_ms.store(now_ms.max(1), Ordering::Relaxed);
        Some(Claim {
            running: self.running.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_sweep_is_due_at_once_and_the_next_after_the_interval() {
        let schedule = Schedule::new(Some(Duration::from_secs(10)));
        assert!(schedule.claim(1_000_000).is_some());
        assert!(schedule.claim(1_009_999).is_none(), "before the interval");
        assert!(schedule.claim(1_010_000).is_some(), "at the interval");
    }

    #[test]
    fn only_one_sweep_runs_at_a_time() {
        let schedule = Schedule::new(Some(Duration::ZERO));
        let first = schedule.claim(5).unwrap();
        assert!(schedule.claim(6).is_none(), "the first is still running");
        drop(first);
        assert!(schedule.claim(7).is_some());
    }

    #[test]
    fn a_sweep_that_panics_does_not_stop_later_sweeps() {
        let schedule = Schedule::new(Some(Duration::ZERO));
        let claim = schedule.claim(5).unwrap();
        let panicked = std::thread::spawn(move || {
            let _claim = claim;
            panic!("a sweep failed, as a test wants");
        })
        .join();
        assert!(panicked.is_err());
        assert!(schedule.claim(6).is_some(), "the claim was given back");
    }

    #[test]
    fn no_interval_never_sweeps() {
        let schedule = Schedule::new(None);
        assert!(schedule.claim(u64::MAX).is_none());
    }
}
