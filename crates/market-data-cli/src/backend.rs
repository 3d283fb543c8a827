//! Choosing the cache from `--cache`.

use std::path::PathBuf;
use std::sync::Arc;

use cache_core::{Cache, MemoryCache};

/// Bytes the in-memory cache may hold.
const MEMORY_BYTES: u64 = 256 * 1024 * 1024;

/// The schemes `--cache` accepts as Redis URLs.
const REDIS_SCHEMES: [&str; 4] = ["redis", "rediss", "redis+cluster", "rediss+cluster"];

/// What the command needs the cache for, which decides what an unreachable cache means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Reading data: Bybit can still answer, so an unusable cache degrades to memory.
    Read,
    /// Changing the cache itself: nothing can stand in for it.
    Write,
}

/// Why no cache could be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// `--cache` is malformed: bad usage.
    Usage(String),
    /// The cache is well named but cannot be used now.
    Unreachable(String),
}

/// What `--cache` names.
#[derive(Debug, PartialEq, Eq)]
enum Spec {
    Memory,
    Dir(PathBuf),
    Redis(String),
}

/// The cache `--cache` names, or the default directory.
///
/// # Errors
/// [`OpenError::Usage`] naming the bad value (its password hidden) for an unknown scheme or a
/// malformed Redis URL; [`OpenError::Unreachable`] when the cache cannot be used and `need`
/// is [`Need::Write`]. For [`Need::Read`] an unusable cache is not an error: the program
/// warns and runs on an in-memory cache, since Bybit can still answer.
pub(crate) async fn open(cache: Option<&str>, need: Need) -> Result<Arc<dyn Cache>, OpenError> {
    let spec = match cache {
        Some(spec) => parse(spec).map_err(OpenError::Usage)?,
        None => match default_dir() {
            Some(dir) => Spec::Dir(dir),
            None => {
                tracing::warn!("no user cache directory; caching in memory for this run only");
                Spec::Memory
            }
        },
    };
    let opened = match spec {
        Spec::Memory => return Ok(memory()),
        // Clearing a directory that is not there would make it, and report success.
        Spec::Dir(dir) if need == Need::Write && !dir.is_dir() => {
            Err(format!("no cache directory at {}", dir.display()))
        }
        Spec::Dir(dir) => open_dir(dir).await,
        Spec::Redis(url) => open_redis(&url).await?,
    };
    match (opened, need) {
        (Ok(cache), _) => Ok(cache),
        (Err(unusable), Need::Write) => Err(OpenError::Unreachable(unusable)),
        (Err(unusable), Need::Read) => {
            tracing::warn!("{unusable}; caching in memory for this run only");
            Ok(memory())
        }
    }
}

fn memory() -> Arc<dyn Cache> {
    Arc::new(MemoryCache::new(MEMORY_BYTES))
}

/// Anything shaped like a URL (a scheme of two or more characters, then `:`) is taken as one,
/// so that a mistyped Redis URL is refused rather than made into a directory named after
/// its password.
fn parse(spec: &str) -> Result<Spec, String> {
    if spec == "memory" {
        return Ok(Spec::Memory);
    }
    let Some(scheme) = scheme(spec) else {
        // `:pw@host:6379`, a Redis URL that lost its scheme, would become a directory named
        // after its password.
        if lost_its_scheme(spec) {
            return Err(format!(
                "--cache {}: looks like a URL without its scheme (expected redis://...; \
                 a directory name with `@` needs a `/` before it, as in ./name@host)",
                cache_redis::redact_url(spec)
            ));
        }
        return Ok(Spec::Dir(PathBuf::from(spec)));
    };
    if !REDIS_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "--cache {}: unsupported scheme {scheme:?} (expected memory, a directory, \
             redis://, rediss:// or redis+cluster://)",
            cache_redis::redact_url(spec)
        ));
    }
    Ok(Spec::Redis(spec.to_owned()))
}

/// The scheme of a URL-shaped `spec`: RFC 3986's letters, digits, `+ - .` after a letter. A
/// single letter is left to paths, as in `C:\cache`.
fn scheme(spec: &str) -> Option<&str> {
    let (scheme, _) = spec.split_once(':')?;
    let mut chars = scheme.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (shaped && scheme.len() > 1).then_some(scheme)
}

/// Whether `spec` reads as `[//]userinfo@host`: an `@` with no `/` before it, as no
/// directory path that names a parent has.
fn lost_its_scheme(spec: &str) -> bool {
    let authority = spec.strip_prefix("//").unwrap_or(spec);
    authority
        .rfind('@')
        .is_some_and(|at| !authority[..at].contains('/'))
}

fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("market-data"))
}

async fn open_dir(dir: PathBuf) -> Result<Arc<dyn Cache>, String> {
    match cache_file::FileCache::open(&dir).await {
        Ok(cache) => Ok(Arc::new(cache)),
        Err(error) => Err(format!(
            "cache directory {} unusable: {error}",
            dir.display()
        )),
    }
}

async fn open_redis(url: &str) -> Result<Result<Arc<dyn Cache>, String>, OpenError> {
    let usage = |message: String| {
        OpenError::Usage(format!(
            "--cache {}: {message}",
            cache_redis::redact_url(url)
        ))
    };
    let parsed = cache_redis::RedisUrl::parse(url).map_err(|e| usage(e.to_string()))?;
    let shown = parsed.to_string();
    match cache_redis::RedisCache::builder()
        .redis_url(parsed)
        .build()
        .await
    {
        Ok(redis) => Ok(Ok(Arc::new(redis))),
        Err(cache_core::Error::InvalidArgument(message)) => Err(usage(message)),
        Err(error) => Ok(Err(format!("Redis at {shown} unavailable: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_directories_and_redis_urls_are_told_apart() {
        assert_eq!(parse("memory"), Ok(Spec::Memory));
        assert_eq!(
            parse("/var/cache/md"),
            Ok(Spec::Dir("/var/cache/md".into()))
        );
        assert_eq!(parse("cache"), Ok(Spec::Dir("cache".into())));
        assert_eq!(parse("./a:b"), Ok(Spec::Dir("./a:b".into())));
        assert_eq!(parse("/srv/md@2"), Ok(Spec::Dir("/srv/md@2".into())));
        assert_eq!(parse("C:\\cache"), Ok(Spec::Dir("C:\\cache".into())));
        for url in [
            "redis://h:1",
            "REDISS://h:1",
            "redis+cluster://a:1,b:2",
            "redis:/:pw@h:1",
        ] {
            assert_eq!(parse(url), Ok(Spec::Redis(url.to_owned())), "{url}");
        }
    }

    #[test]
    fn an_unknown_scheme_is_refused_without_its_password() {
        for spec in [
            "http://u:hunter2@h:1",
            "reddis://:hunter2@h:6379",
            "valkey:hunter2@h",
        ] {
            let message = parse(spec).unwrap_err();
            assert!(message.contains("unsupported scheme"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }
}
