//! Announcing writes: a command sent in the same pipeline as each write, best-effort.
//!
//! An announcement only shortens how long other processes' local caches take to drop a value
//! this process replaced: without it they still see the write at their next recheck (see
//! `cache_policy::LocalCache`). So the write's own reply decides a call's
//! result, and a refused announcement is logged, never returned.
//!
//! A refusal for want of rights (`NOPERM`: a user without channel rights, Redis 7's default
//! for a new user, or on a cluster without `@scripting`) would be repeated by every write,
//! each adding an entry to the server's `ACL LOG`; after one, no announcement is sent for
//! [`PAUSE_AFTER_REFUSAL`], then one is tried again, so that rights granted while the
//! process runs are taken up within that time. Any other failure is only logged.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::{Cmd, ErrorKind, Pipeline, RedisError, ServerErrorKind};

use crate::error::ErrorContext;
use crate::notify;

/// A `PUBLISH` routed by the key it announces, on a cluster (see [`notify`]'s docs).
const PUBLISH_BY_KEY: &str = "return redis.call('PUBLISH', ARGV[1], ARGV[2])";
/// How long no announcement is sent after the server refused one for want of rights.
const PAUSE_AFTER_REFUSAL: Duration = Duration::from_secs(60);
/// At most one warning this often; the failures between are counted in the next.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// A pipeline of writes, each followed by its announcement when there is one, run by
/// [`RedisCache::run_writes`](crate::RedisCache): the writes' replies decide, the
/// announcements' go to [`Announcer::failed`].
pub(crate) struct Writes {
    pub(crate) pipe: Pipeline,
    /// Whether each command of `pipe` is an announcement rather than a write.
    pub(crate) announcements: Vec<bool>,
}

impl Writes {
    pub(crate) fn with_capacity(writes: usize) -> Self {
        let mut pipe = Pipeline::with_capacity(2 * writes);
        // Every reply comes back, errors included, rather than one error for the pipeline.
        pipe.ignore_errors();
        Self {
            pipe,
            announcements: Vec::with_capacity(2 * writes),
        }
    }

    /// Adds `write`, then its `announcement` if any.
    pub(crate) fn push(&mut self, write: Cmd, announcement: Option<Cmd>) {
        self.pipe.add_command(write);
        self.announcements.push(false);
        if let Some(announcement) = announcement {
            self.pipe.add_command(announcement);
            self.announcements.push(true);
        }
    }
}

/// The announcing side of one [`RedisCache`](crate::RedisCache), shared by its clones.
pub(crate) struct Announcer {
    channel: Vec<u8>,
    /// Off by [`RedisConfig::announce`](crate::RedisConfig::announce).
    enabled: bool,
    /// Hides the password from what is logged.
    errors: ErrorContext,
    failures: Mutex<Failures>,
}

/// What went wrong lately.
#[derive(Default)]
struct Failures {
    /// Until when no announcement is sent.
    paused_until: Option<Instant>,
    /// When the last warning was logged.
    warned_at: Option<Instant>,
    /// Failures since that warning.
    unreported: u64,
}

impl Announcer {
    /// Announces on `channel` when `enabled`.
    pub(crate) fn new(channel: Vec<u8>, enabled: bool, errors: ErrorContext) -> Self {
        Self {
            channel,
            enabled,
            errors,
            failures: Mutex::new(Failures::default()),
        }
    }

    /// Whether writes are announced at all (they may still be paused after a refusal).
    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The announcement of a write of `value` under `key`, routed on a cluster by
    /// `stored_key` (the key with its prefix); `None` when announcements are off or paused.
    pub(crate) fn written(
        &self,
        key: &str,
        value: &[u8],
        stored_key: Option<&[u8]>,
    ) -> Option<Cmd> {
        self.sending()
            .then(|| self.publish(&notify::written_message(key, value), stored_key))
    }

    /// The announcement of a delete of `key`, as [`Announcer::written`].
    pub(crate) fn removed(&self, key: &str, stored_key: Option<&[u8]>) -> Option<Cmd> {
        self.sending()
            .then(|| self.publish(&notify::removed_message(key), stored_key))
    }

    /// Takes note that the server refused an announcement: logs it (at most one warning per
    /// [`WARN_EVERY`]), and pauses announcements after a refusal for want of rights.
    pub(crate) fn failed(&self, error: RedisError) {
        let denied = error.kind() == ErrorKind::Server(ServerErrorKind::NoPerm);
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if denied {
            failures.paused_until = Some(now + PAUSE_AFTER_REFUSAL);
        }
        failures.unreported += 1;
        let error = self.errors.map("announcement", error);
        if failures
            .warned_at
            .is_some_and(|at| now.duration_since(at) < WARN_EVERY)
        {
            tracing::debug!(%error, "a write's announcement failed; the write succeeded");
            return;
        }
        let failed = std::mem::take(&mut failures.unreported);
        failures.warned_at = Some(now);
        drop(failures);
        if denied {
            tracing::warn!(
                %error,
                failed,
                pause = ?PAUSE_AFTER_REFUSAL,
                "the Redis user may not announce writes (it needs the channel, or on a cluster \
                 @scripting); writes succeed, other processes' local caches see them at their \
                 next recheck; announcements paused"
            );
        } else {
            tracing::warn!(
                %error,
                failed,
                "cannot announce writes; writes succeed, other processes' local caches see \
                 them at their next recheck"
            );
        }
    }

    /// Whether announcements are on and not paused.
    fn sending(&self) -> bool {
        if !self.enabled {
            return false;
        }
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        match failures.paused_until {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                failures.paused_until = None;
                true
            }
            None => true,
        }
    }

    fn publish(&self, message: &[u8], route_by: Option<&[u8]>) -> Cmd {
        let mut cmd = Cmd::new();
        match route_by {
            None => cmd.arg("PUBLISH"),
            Some(key) => cmd.arg("EVAL").arg(PUBLISH_BY_KEY).arg(1).arg(key),
        };
        cmd.arg(&self.channel).arg(message);
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announcer(enabled: bool) -> Announcer {
        let errors = ErrorContext {
            password: None,
            timeout: Duration::from_secs(1),
        };
        Announcer::new(b"p:__cache_notices:0".to_vec(), enabled, errors)
    }

    fn message(cmd: &Cmd) -> Vec<u8> {
        match cmd.args_iter().last() {
            Some(redis::Arg::Simple(bytes)) => bytes.to_vec(),
            _ => panic!("PUBLISH channel message"),
        }
    }

    fn name(cmd: &Cmd) -> Vec<u8> {
        match cmd.args_iter().next() {
            Some(redis::Arg::Simple(bytes)) => bytes.to_vec(),
            _ => panic!("a command name"),
        }
    }

    #[test]
    fn announcements_publish_or_route_by_key() {
        let announcer = announcer(true);
        let direct = announcer.written("k", b"v", None).unwrap();
        let routed = announcer.written("k", b"v", Some(b"p:k")).unwrap();
        assert_eq!(name(&direct), b"PUBLISH");
        assert_eq!(name(&routed), b"EVAL");
        assert_eq!(message(&direct), message(&routed));
        assert_eq!(message(&direct), notify::written_message("k", b"v"));
        let removed = announcer.removed("k", None).unwrap();
        assert_eq!(message(&removed), notify::removed_message("k"));
    }

    #[test]
    fn off_sends_nothing() {
        let announcer = announcer(false);
        assert!(!announcer.is_enabled());
        assert!(announcer.written("k", b"v", None).is_none());
        assert!(announcer.removed("k", Some(b"p:k")).is_none());
    }

    #[test]
    fn a_refusal_for_want_of_rights_pauses_and_others_do_not() {
        let announcer = announcer(true);
        announcer.failed(RedisError::from((
            ErrorKind::Server(ServerErrorKind::ReadOnly),
            "x",
        )));
        assert!(announcer.written("k", b"v", None).is_some());
        let denied = RedisError::from((
            ErrorKind::Server(ServerErrorKind::NoPerm),
            "no permissions to access one of the channels",
        ));
        announcer.failed(denied);
        assert!(announcer.written("k", b"v", None).is_none());
        assert!(announcer.removed("k", None).is_none());
        // Once the pause is over, the next write tries again.
        announcer.failures.lock().unwrap().paused_until = Some(Instant::now());
        assert!(announcer.written("k", b"v", None).is_some());
    }
}
