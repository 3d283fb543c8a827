//! Helpers shared by the test binaries: read-throughs of symbol lists over a memory cache,
//! entries written as if long ago, a guard that tells when a future is dropped, and a quiet
//! panic hook.

#![allow(dead_code, reason = "each test binary uses its own part")]

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cache_core::testing::restamp;
use cache_core::{Cache, Codec, MemoryCache, TypedCache};
use cache_policy::{Freshness, ReadThrough};
use tokio::sync::Notify;

pub(crate) type Symbols = ReadThrough<Vec<String>, String, MemoryCache>;

pub(crate) const HOUR: Duration = Duration::from_secs(3600);

/// A read-through of symbol lists over a memory cache of its own.
pub(crate) fn symbols(policy: Freshness) -> Symbols {
    over(MemoryCache::new(64 << 20), policy)
}

/// A read-through of symbol lists over `backend`, which other read-throughs may share.
pub(crate) fn over(backend: MemoryCache, policy: Freshness) -> Symbols {
    ReadThrough::new(TypedCache::new(backend, Codec::msgpack()), policy)
}

pub(crate) fn list(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

/// Stores `names` under `key` as if written `ago`, kept by the backend for a day.
pub(crate) async fn store_written_ago(
    backend: &MemoryCache,
    key: &str,
    names: &[&str],
    ago: Duration,
) {
    let encoded = Codec::msgpack().encode(&list(names)).unwrap();
    let bytes = restamp(encoded, SystemTime::now() - ago);
    backend.set(key, bytes.into(), HOUR * 24).await.unwrap();
}

/// Tells when it is dropped: held by a fetch's future, it tells when the fetch is abandoned.
pub(crate) struct NotifyOnDrop(pub(crate) Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync>;

/// While it lives, panics whose message is `message` print nothing; the others go to the
/// hook that was installed before, which is put back on drop. For a test that panics on
/// purpose many times; the hook is the process's, so one such test a binary at a time.
pub(crate) struct QuietPanics {
    previous: Arc<Hook>,
}

impl QuietPanics {
    pub(crate) fn new(message: &'static str) -> Self {
        let previous: Arc<Hook> = Arc::new(std::panic::take_hook());
        let chained = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if text != Some(message) {
                chained(info);
            }
        }));
        Self { previous }
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        // Dropping the quiet hook drops its share of the previous one.
        drop(std::panic::take_hook());
        let previous = self.previous.clone();
        std::panic::set_hook(Box::new(move |info| previous(info)));
    }
}
