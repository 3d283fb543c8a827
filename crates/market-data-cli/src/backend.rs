//! Choosing the cache from `--cache`.

use std::path::PathBuf;
use std::sync::Arc;

use cache_core::{Cache, MemoryCache};

/// Bytes the in-memory cache may hold.
const MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// The cache `--cache` names, or the default directory.
///
/// # Errors
/// A message naming the bad value, for an unknown scheme, a malformed Redis URL or a
/// directory that cannot be used. A Redis server that does not answer is not an error: the
/// program warns and runs on an in-memory cache, since Bybit can still answer.
pub(crate) async fn open(cache: Option<&str>) -> Result<Arc<dyn Cache>, String> {
    let Some(spec) = cache else {
        return match default_dir() {
            Some(dir) => open_dir(dir).await,
            None => {
                tracing::warn!("no user cache directory; caching in memory for this run only");
                Ok(Arc::new(MemoryCache::new(MEMORY_BYTES)))
            }
        };
    };
    if spec == "memory" {
        return Ok(Arc::new(MemoryCache::new(MEMORY_BYTES)));
    }
    if let Some((scheme, _)) = spec.split_once("://") {
        return match scheme {
            "redis" | "rediss" | "redis+cluster" | "rediss+cluster" => open_redis(spec).await,
            other => Err(format!(
                "unsupported cache URL scheme {other:?} (expected memory, a directory, \
                 redis://, rediss:// or redis+cluster://)"
            )),
        };
    }
    open_dir(PathBuf::from(spec)).await
}

fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("market-data"))
}

async fn open_dir(dir: PathBuf) -> Result<Arc<dyn Cache>, String> {
    match cache_file::FileCache::open(&dir).await {
        Ok(cache) => Ok(Arc::new(cache)),
        Err(error) => Err(format!("cache directory {}: {error}", dir.display())),
    }
}

async fn open_redis(url: &str) -> Result<Arc<dyn Cache>, String> {
    let parsed = cache_redis::RedisUrl::parse(url).map_err(|e| format!("--cache: {e}"))?;
    let shown = format!("{parsed}");
    match cache_redis::RedisCache::builder()
        .redis_url(parsed)
        .build()
        .await
    {
        Ok(redis) => Ok(Arc::new(redis)),
        Err(cache_core::Error::InvalidArgument(message)) => Err(format!("--cache: {message}")),
        Err(error) => {
            tracing::warn!(cache = %shown, %error, "Redis unavailable; caching in memory for this run only");
            Ok(Arc::new(MemoryCache::new(MEMORY_BYTES)))
        }
    }
}
