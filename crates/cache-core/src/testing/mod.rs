//! The conformance suite: the behaviour every [`Cache`] backend must show.
//!
//! A backend's test file runs every case as its own `#[tokio::test]` with one macro call,
//! given an expression that builds a fresh fixture (anything implementing [`CacheFixture`],
//! such as a backend, or a struct that also owns the server it talks to):
//!
//! ```
//! # // The macro expands to test functions; this only shows the call.
//! # macro_rules! show { ($($t:tt)*) => {} }
//! # show! {
//! cache_core::conformance_tests!(async { cache_core::MemoryCache::new(256 << 20) });
//! # }
//! ```
//!
//! The calling crate needs `tokio` with the `macros` and `rt-multi-thread` features. Each
//! case writes only under keys of its own, prefixed with a per-process nonce, so cases can run
//! in parallel against one server. [`run_all`] runs every case in turn on one cache.
//!
//! The `lease_*` cases check the backend's [`Lease`](crate::Lease), which they find through
//! [`Cache::lease`]: a backend under test must have one. They check what every backend
//! documents: exclusive, token-guarded, ended by its TTL unless extended, apart from keys.
//!
//! The `notifications_*` cases check the backend's [`Notifications`](crate::Notifications)
//! (through [`Cache::notifications`]), which not every backend has: a backend that has them
//! runs them with [`notification_conformance_tests!`](crate::notification_conformance_tests)
//! as well.

mod cases;
mod concurrency;
mod lease_cases;
mod notify_cases;
mod prefix_cases;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Cache;

pub use crate::tamper::{reseal, restamp};
pub use cases::{
    batch_get_set, binary_safe_values, delete, empty_value, invalid_ttl, large_value, missing_key,
    overwrite, remaining_ttl, round_trip, ttl_expiry, unicode_keys,
};
pub use concurrency::concurrent_writers_and_readers;
pub use lease_cases::{
    lease_apart_from_keys, lease_exclusive, lease_expiry, lease_extend, lease_fenced_write,
    lease_invalid_ttl, lease_release, lease_wrong_token,
};
pub use notify_cases::notifications_announce_changes;
pub use prefix_cases::get_prefix;

/// What a conformance test runs against: a backend, or something that owns one.
pub trait CacheFixture {
    /// The cache under test.
    fn cache(&self) -> Arc<dyn Cache>;
}

impl<C: Cache + Clone + 'static> CacheFixture for C {
    fn cache(&self) -> Arc<dyn Cache> {
        Arc::new(self.clone())
    }
}

/// Runs every case, one after another, against `cache`.
pub async fn run_all(cache: Arc<dyn Cache>) {
    round_trip(cache.clone()).await;
    overwrite(cache.clone()).await;
    delete(cache.clone()).await;
    missing_key(cache.clone()).await;
    ttl_expiry(cache.clone()).await;
    remaining_ttl(cache.clone()).await;
    invalid_ttl(cache.clone()).await;
    batch_get_set(cache.clone()).await;
    binary_safe_values(cache.clone()).await;
    empty_value(cache.clone()).await;
    large_value(cache.clone()).await;
    unicode_keys(cache.clone()).await;
    get_prefix(cache.clone()).await;
    lease_exclusive(cache.clone()).await;
    lease_release(cache.clone()).await;
    lease_wrong_token(cache.clone()).await;
    lease_expiry(cache.clone()).await;
    lease_extend(cache.clone()).await;
    lease_apart_from_keys(cache.clone()).await;
    lease_invalid_ttl(cache.clone()).await;
    lease_fenced_write(cache.clone()).await;
    concurrent_writers_and_readers(cache).await;
}

/// Generates one `#[tokio::test]` per conformance case, each on a fixture made by `$make`
/// (an expression evaluating to a future of a [`CacheFixture`]).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@cases $make;
            round_trip, overwrite, delete, missing_key, ttl_expiry, remaining_ttl, invalid_ttl,
            batch_get_set, binary_safe_values, empty_value, large_value, unicode_keys, get_prefix,
            concurrent_writers_and_readers, lease_exclusive, lease_release, lease_wrong_token,
            lease_expiry, lease_extend, lease_apart_from_keys, lease_invalid_ttl,
            lease_fenced_write);
    };
    (@cases $make:expr; $($case:ident),+) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $case() {
            let fixture = $make.await;
            let cache = $crate::testing::CacheFixture::cache(&fixture);
            $crate::testing::$case(cache).await;
        }
    )+};
}

/// Generates one `#[tokio::test]` per notification case, each on a fixture made by `$make`,
/// for a backend whose [`Cache::notifications`] is `Some`.
#[macro_export]
macro_rules! notification_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@cases $make; notifications_announce_changes);
    };
}

/// How many envelope checksums this thread computed since the last call: a test that runs on
/// one thread counts with it how often a layer above verifies an entry.
pub fn take_checksums() -> usize {
    crate::envelope::CHECKSUMS.with(std::cell::Cell::take)
}

/// A key unique to this process and case, so that cases never see each other's entries.
pub(crate) fn key(case: &str, name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nonce = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("conformance:{}:{nonce}:{case}:{name}", std::process::id())
}
