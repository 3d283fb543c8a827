//! Decoding large pages on tokio's blocking pool, so that a big page does not hold up the
//! other tasks on the caller's runtime thread.

use std::panic::resume_unwind;

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::pagination::Page;
use crate::response::decode_page;
use crate::retry::RateLimitHeaders;

/// Bodies larger than this (16 KiB) are decoded on the blocking pool, smaller ones inline.
///
/// A task should not run more than 10 to 100 µs between two `.await`s. Decoding a page of
/// real instruments into the typed models runs at 100 to 270 MB/s (the 214 linear and 500
/// option testnet fixtures, sliced to 1..500 items, release build, AMD EPYC, 2 vCPUs), so
/// about 4 to 10 µs per KiB: 16 KiB stays within about 100 µs inline, where 64 KiB would
/// take 250 to 600 µs. The hop to the pool and back costs about 13 µs (cache-core's
/// `offload` bench), nothing beside the network round trip that brought the page. A full
/// page (limit 1000, 500 to 850 bytes an instrument) is always offloaded; error bodies,
/// empty last pages and small lists stay inline.
pub(crate) const BLOCKING_DECODE_THRESHOLD: usize = 16 * 1024;

/// [`decode_page`], on the blocking pool when the body is larger than
/// [`BLOCKING_DECODE_THRESHOLD`].
pub(crate) async fn decode_page_offloaded<T>(
    status: u16,
    body: Vec<u8>,
    limits: RateLimitHeaders,
    now_ms: u64,
) -> Result<Page<T>, Error>
where
    T: DeserializeOwned + Send + 'static,
{
    offload(body.len(), move || {
        decode_page(status, &body, &limits, now_ms)
    })
    .await?
}

/// Runs `work` inline when `size` is at most the threshold, otherwise on the blocking pool.
/// A panic in `work` resumes in the caller, as it would have inline.
async fn offload<R>(size: usize, work: impl FnOnce() -> R + Send + 'static) -> Result<R, Error>
where
    R: Send + 'static,
{
    if size <= BLOCKING_DECODE_THRESHOLD {
        return Ok(work());
    }
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(err) if err.is_panic() => resume_unwind(err.into_panic()),
        Err(err) => Err(Error::Runtime(format!("page decode did not run: {err}"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::thread;

    use super::*;

    // `#[tokio::test]` runs on one thread: a different thread id means the blocking pool.
    #[tokio::test]
    async fn small_work_runs_inline_and_large_work_on_the_blocking_pool() {
        let here = thread::current().id();
        let small = offload(BLOCKING_DECODE_THRESHOLD, || thread::current().id());
        assert_eq!(small.await.unwrap(), here);
        let large = offload(BLOCKING_DECODE_THRESHOLD + 1, || thread::current().id());
        assert_ne!(large.await.unwrap(), here);
    }

    #[tokio::test]
    #[should_panic(expected = "decoder bug")]
    async fn a_panic_on_the_pool_reaches_the_caller() {
        let _ = offload(BLOCKING_DECODE_THRESHOLD + 1, || panic!("decoder bug")).await;
    }
}
