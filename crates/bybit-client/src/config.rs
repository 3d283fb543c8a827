//! Client configuration.

use std::fmt;
use std::time::Duration;

/// Where and how the client talks to Bybit.
///
/// Its `Debug` shows the base URL without its userinfo, so that a password in it stays out of
/// logs.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Base URL without the path, e.g. `https://api.bybit.com` or a local mock server.
    pub base_url: String,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, connection and body included. A request that
    /// times out is retried like any transient failure, so a server that hangs holds one
    /// page for up to `(retry.max_retries + 1) * request_timeout` plus the backoffs.
    pub request_timeout: Duration,
    /// `limit` sent with every page request (Bybit allows 1..=1000).
    pub page_limit: u32,
    /// Most pages one list may take; more is treated as a broken cursor.
    pub max_pages: u32,
    /// Retries of rate-limited and transient failures.
    pub retry: RetryPolicy,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Largest response body accepted, in bytes; a larger one is
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge). Default
    /// [`ClientConfig::DEFAULT_MAX_BODY_SIZE`].
    pub max_body_size: usize,
}

impl ClientConfig {
    /// Bybit mainnet.
    pub const MAINNET: &'static str = "https://api.bybit.com";
    /// Bybit testnet.
    pub const TESTNET: &'static str = "https://api-testnet.bybit.com";
    /// Default [`ClientConfig::max_body_size`]: 32 MiB. A full page of 1000 options is
    /// about 600 KB, so this leaves fifty times room while bounding what a broken or hostile
    /// server can make the client hold.
    pub const DEFAULT_MAX_BODY_SIZE: usize = 32 * 1024 * 1024;

    /// A configuration for any base URL, with the defaults below.
    ///
    /// The timeouts are 3 s to connect and 5 s for a whole request. Bybit answers a full
    /// page (up to about 600 KB) in well under a second; 5 s still lets the largest page
    /// through at 1 Mbit/s, and keeps a hanging server from holding one page for more than
    /// about 22 s with the default retries, rather than the minute that 15 s gave.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(5),
            page_limit: 1000,
            // 761 linear symbols in 2026 take one page at limit=1000; 50 leaves room for
            // growth and small limits while still stopping a cursor that loops.
            max_pages: 50,
            retry: RetryPolicy::default(),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).into(),
            max_body_size: Self::DEFAULT_MAX_BODY_SIZE,
        }
    }

    /// Bybit mainnet.
    pub fn mainnet() -> Self {
        Self::new(Self::MAINNET)
    }

    /// Bybit testnet.
    pub fn testnet() -> Self {
        Self::new(Self::TESTNET)
    }

    /// Sets both timeouts.
    pub fn with_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Sets the `limit` sent with each page request.
    pub fn with_page_limit(mut self, limit: u32) -> Self {
        self.page_limit = limit;
        self
    }

    /// Sets the most pages one list may take.
    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// Sets the largest response body accepted, in bytes. Decoding a page is also refused
    /// when it would need a single allocation larger than this.
    pub fn with_max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &redacted_url(&self.base_url))
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("page_limit", &self.page_limit)
            .field("max_pages", &self.max_pages)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

/// A URL fit to show: its username and password replaced by `***` when it has either.
///
/// Text that does not parse as a URL is not shown at all, since there is no telling which
/// part of it is a password.
pub(crate) fn redacted_url(raw: &str) -> String {
    match reqwest::Url::parse(raw) {
        Ok(url) => redacted(url).to_string(),
        Err(e) => format!("<not a URL: {e}>"),
    }
}

/// `url` with its userinfo replaced by `***`, when it has any.
pub(crate) fn redacted(mut url: reqwest::Url) -> reqwest::Url {
    if !url.username().is_empty() || url.password().is_some() {
        // Both only fail for URLs that cannot have userinfo, which then have none.
        let _ = url.set_password(None);
        let _ = url.set_username("***");
    }
    url
}

/// How rate-limited and transient failures are retried: exponential backoff with jitter,
/// or the wait Bybit's headers ask for, never longer than `max_delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// Backoff before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Longest single wait.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// A policy with these limits.
    pub fn new(max_retries: u32, base_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_retries,
            base_delay,
            max_delay,
        }
    }

    /// No retries.
    pub fn none() -> Self {
        Self::new(0, Duration::ZERO, Duration::ZERO)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(3, Duration::from_millis(250), Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest the default configuration lets a server that never answers hold one
    /// page: every attempt times out, and every backoff is at its longest.
    #[test]
    fn a_hanging_server_holds_a_page_well_under_a_minute_by_default() {
        let config = ClientConfig::mainnet();
        let retry = config.retry;
        let attempts = retry.max_retries + 1;
        let backoffs: Duration = (0..retry.max_retries)
            .map(|n| {
                retry
                    .base_delay
                    .saturating_mul(2u32.saturating_pow(n))
                    .min(retry.max_delay)
            })
            .sum();
        let worst = config.request_timeout * attempts + backoffs;
        assert!(worst <= Duration::from_secs(30), "{worst:?}");
        assert!(config.connect_timeout <= config.request_timeout);
    }

    #[test]
    fn a_redacted_url_keeps_everything_but_the_userinfo() {
        assert_eq!(
            redacted_url("https://u:p%2Fq@h:8/x?y=1"),
            "https://***@h:8/x?y=1"
        );
        assert_eq!(redacted_url("https://:pw@h"), "https://***@h/");
        assert_eq!(redacted_url("https://h/"), "https://h/");
        assert_eq!(
            redacted_url("http://u:pw@h:x"),
            "<not a URL: invalid port number>"
        );
    }
}
