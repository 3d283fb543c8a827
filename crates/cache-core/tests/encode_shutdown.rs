//! An encode moved to the blocking pool of a runtime that shuts down is an error, not a panic.

use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use cache_core::{Codec, Error, MemoryCache, TypedCache};

const TTL: Duration = Duration::from_secs(60);

/// A cache that encodes values over 1 KiB on the blocking pool.
fn cache() -> TypedCache<MemoryCache> {
    let codec = Codec::msgpack().with_blocking_threshold(1024);
    TypedCache::new(MemoryCache::new(64 << 20), codec)
}

fn large() -> Vec<String> {
    vec!["x".repeat(100); 100]
}

/// A runtime already shut down: what it is handed for its blocking pool is cancelled.
fn shut_down() -> tokio::runtime::Handle {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    runtime.shutdown_background();
    handle
}

/// Polls `future` once within `runtime`'s context, as a task of that runtime would be.
fn poll_once<F: Future>(runtime: &tokio::runtime::Handle, future: F) -> Poll<F::Output> {
    let _context = runtime.enter();
    pin!(future).poll(&mut Context::from_waker(Waker::noop()))
}

fn assert_cancelled<T: std::fmt::Debug>(outcome: Poll<Result<T, Error>>) {
    match outcome {
        Poll::Ready(Err(Error::Encode(source))) => {
            assert!(source.to_string().contains("cancelled"), "{source}");
        }
        other => panic!("expected an encode error, got {other:?}"),
    }
}

#[test]
fn set_shared_reports_an_encode_the_shutdown_cancelled() {
    let cache = cache();
    let runtime = shut_down();
    assert_cancelled(poll_once(
        &runtime,
        cache.set_shared("k", Arc::new(large()), TTL),
    ));
}

#[test]
fn get_or_fetch_reports_an_encode_the_shutdown_cancelled() {
    let cache = cache();
    let runtime = shut_down();
    let fetched = cache.get_or_fetch("k", TTL, || async { Ok::<_, Error>(large()) });
    assert_cancelled(poll_once(&runtime, fetched));
}
