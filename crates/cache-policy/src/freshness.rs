//! [`Freshness`]: how long a value is fresh, how long a stale copy is kept, and TTL jitter.

use std::time::Duration;

use cache_core::{Error, Result};

/// How long a cached value is served as fresh, and for how long after that a stale copy is
/// kept to be served when the upstream fails.
///
/// A value lives in the backend for its fresh time plus `max_stale`; its age comes from the
/// write time in its envelope. The reader's policy decides what it serves: a stale copy past
/// the reader's own fresh time plus `max_stale` is treated as missing, however long the
/// writer's policy kept it. The fresh time of each key is stretched by up to `jitter`
/// (a fraction of the TTL) by a hash of the key, so that keys written together do not all go
/// stale together; every process computes the same stretch for the same key.
///
/// ```
/// use std::time::Duration;
/// use cache_policy::Freshness;
///
/// let policy = Freshness::new(Duration::from_secs(60))
///     .with_max_stale(Duration::from_secs(24 * 3600))
///     .with_jitter(0.1)?;
/// let fresh = policy.fresh_for("instruments:linear");
/// assert!(fresh >= Duration::from_secs(60) && fresh < Duration::from_secs(66));
/// assert_eq!(policy.fresh_for("instruments:linear"), fresh, "the same for every reader");
/// # Ok::<_, cache_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Freshness {
    ttl: Duration,
    max_stale: Duration,
    jitter: f64,
    refresh_ahead: f64,
    stale_while_revalidate: Duration,
}

impl Freshness {
    /// Fresh for `ttl`, no stale copy kept, no jitter, no refresh ahead.
    pub const fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            max_stale: Duration::ZERO,
            jitter: 0.0,
            refresh_ahead: 1.0,
            stale_while_revalidate: Duration::ZERO,
        }
    }

    /// The same policy with another TTL.
    pub const fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Keeps a stale copy for `max_stale` past its fresh time, and serves one up to that
    /// age, when fetching fails or is slow. Zero (the default) serves no stale copy.
    pub const fn with_max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Stretches each key's fresh time by up to `fraction` of the TTL.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `fraction` is in `0.0..=1.0`.
    pub fn with_jitter(mut self, fraction: f64) -> Result<Self> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(Error::invalid_argument(format!(
                "jitter {fraction} is not a fraction in 0.0..=1.0"
            )));
        }
        self.jitter = fraction;
        Ok(self)
    }

    /// Refreshes a value in the background once it has been fresh for `fraction` of its
    /// fresh time: the read that finds it that old is served it at once and starts one
    /// refresh (shared with every reader of the key, and with other processes where the
    /// read-through coordinates them), so that readers of a steadily read key never wait for
    /// the upstream. 1.0 (the default) refreshes only once the value is stale.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cache_policy::Freshness;
    ///
    /// let policy = Freshness::new(Duration::from_secs(60)).with_refresh_ahead(0.8)?;
    /// assert_eq!(policy.refresh_after("instruments:linear"), Duration::from_secs(48));
    /// # Ok::<_, cache_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `fraction` is in `0.0..=1.0` and above zero.
    pub fn with_refresh_ahead(mut self, fraction: f64) -> Result<Self> {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::invalid_argument(format!(
                "refresh ahead {fraction} is not a fraction in 0.0..=1.0 above zero"
            )));
        }
        self.refresh_ahead = fraction;
        Ok(self)
    }

    /// Serves a stale copy up to `window` past its fresh time at once, while one refresh
    /// runs in the background, instead of waiting for the refresh up to the soft timeout
    /// (as HTTP's `stale-while-revalidate`). Only a kept copy can be served: the window is
    /// bounded by [`Freshness::max_stale`]. Zero (the default) waits for the refresh.
    pub const fn with_stale_while_revalidate(mut self, window: Duration) -> Self {
        self.stale_while_revalidate = window;
        self
    }

    /// The fraction of its fresh time after which a value is refreshed in the background.
    pub const fn refresh_ahead(&self) -> f64 {
        self.refresh_ahead
    }

    /// How long past its fresh time a stale copy is served at once while a refresh runs.
    pub const fn stale_while_revalidate(&self) -> Duration {
        self.stale_while_revalidate
    }

    /// The age at which the value under `key` is refreshed in the background: its fresh time
    /// times [`Freshness::refresh_ahead`].
    pub fn refresh_after(&self, key: &str) -> Duration {
        self.refresh_after_fresh(self.fresh_for(key))
    }

    /// [`Freshness::refresh_after`] of a key whose [`Freshness::fresh_for`] is `fresh`: a
    /// read computes that once (it hashes the key).
    pub(crate) fn refresh_after_fresh(&self, fresh: Duration) -> Duration {
        if self.refresh_ahead >= 1.0 {
            return fresh;
        }
        fresh.mul_f64(self.refresh_ahead)
    }

    /// Whether a stale copy of `age` is served at once while a refresh runs.
    pub(crate) fn serves_while_revalidating(&self, key: &str, age: Duration) -> bool {
        let window = self.stale_while_revalidate.min(self.max_stale);
        !window.is_zero() && age < self.fresh_for(key).saturating_add(window)
    }

    /// The TTL before jitter.
    pub const fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How long a stale copy is kept past its fresh time.
    pub const fn max_stale(&self) -> Duration {
        self.max_stale
    }

    /// The largest stretch of a key's fresh time, as a fraction of the TTL.
    pub const fn jitter(&self) -> f64 {
        self.jitter
    }

    /// How long the value under `key` is fresh: the TTL stretched by this key's jitter.
    pub fn fresh_for(&self, key: &str) -> Duration {
        self.fresh_for_unit(key_unit(key))
    }

    /// [`Freshness::fresh_for`] of a key whose [`key_unit`] is `unit`: a value held in
    /// memory keeps its key's, so that a read of it does not hash the key again.
    pub(crate) fn fresh_for_unit(&self, unit: f64) -> Duration {
        let stretch = Duration::try_from_secs_f64(self.ttl.as_secs_f64() * self.jitter * unit)
            .unwrap_or_default();
        self.ttl.saturating_add(stretch)
    }

    /// How long the backend keeps the value under `key`: fresh time plus `max_stale`,
    /// saturating rather than overflowing (the backend then refuses what it cannot hold).
    pub fn storage_ttl(&self, key: &str) -> Duration {
        self.fresh_for(key).saturating_add(self.max_stale)
    }
}

/// Where `key` falls in its TTL's jitter, from 0 to 1; the same in every process.
pub(crate) fn key_unit(key: &str) -> f64 {
    fnv1a(key.as_bytes()) as f64 / u64::MAX as f64
}

/// FNV-1a, 64 bits: stable across processes, builds and platforms, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
