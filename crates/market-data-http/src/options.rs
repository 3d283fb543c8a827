//! [`Options`]: how a [`router`](crate::router) serves.

use std::time::Duration;

use bybit_client::Category;
use market_data::Market;
use tokio_util::sync::CancellationToken;

/// How long a request may take by default before it is answered `504`: the program's fetch
/// deadline (30 s), and a little more.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(35);
/// How many requests are handled at once by default; the others wait their turn.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// How often an event stream carries a comment when it has no event to send.
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How long a market's events are kept for clients that reconnect.
pub const DEFAULT_EVENT_RETENTION: Duration = Duration::from_secs(3600);
/// How many of a market's latest events are kept whatever their age.
pub const DEFAULT_EVENTS_KEPT: usize = 1000;
/// How many markets may have event streams at once.
pub const DEFAULT_MAX_EVENT_MARKETS: usize = 64;

/// How a [`router`](crate::router) serves: timeouts, bounds, events, and the signal that
/// closes its event streams.
///
/// ```
/// use std::time::Duration;
/// use market_data_http::Options;
/// use tokio_util::sync::CancellationToken;
///
/// let shutdown = CancellationToken::new();
/// let options = Options::default()
///     .with_request_timeout(Duration::from_secs(10))
///     .with_shutdown(shutdown.clone());
/// assert_eq!(options.request_timeout(), Duration::from_secs(10));
/// // Later: every event stream ends, so that a graceful shutdown does not wait for them.
/// shutdown.cancel();
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    request_timeout: Duration,
    max_in_flight: usize,
    keep_alive: Duration,
    event_retention: Duration,
    events_kept: usize,
    max_event_markets: usize,
    ready_market: Market,
    shutdown: CancellationToken,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            keep_alive: DEFAULT_KEEP_ALIVE,
            event_retention: DEFAULT_EVENT_RETENTION,
            events_kept: DEFAULT_EVENTS_KEPT,
            max_event_markets: DEFAULT_MAX_EVENT_MARKETS,
            // Linear needs no base coin: this cannot fail.
            ready_market: Market::new(Category::Linear).unwrap_or_else(|_| unreachable!()),
            shutdown: CancellationToken::new(),
        }
    }
}

impl Options {
    /// A request not answered within `timeout` is answered `504` (default
    /// [`DEFAULT_REQUEST_TIMEOUT`]). An event stream counts until its headers are sent.
    #[must_use]
    pub const fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// At most `max` requests are handled at once; the others wait their turn, within their
    /// timeout (default [`DEFAULT_MAX_IN_FLIGHT`]).
    #[must_use]
    pub fn with_max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max.max(1);
        self
    }

    /// An event stream with nothing to send carries a comment this often (default
    /// [`DEFAULT_KEEP_ALIVE`]), so that proxies and clients keep it open.
    #[must_use]
    pub const fn with_keep_alive(mut self, every: Duration) -> Self {
        self.keep_alive = every;
        self
    }

    /// A market's events are kept for `age`, and its latest `count` events whatever their
    /// age (defaults [`DEFAULT_EVENT_RETENTION`] and [`DEFAULT_EVENTS_KEPT`]): a client
    /// reconnecting with `Last-Event-ID` naming a kept event continues after it.
    #[must_use]
    pub const fn with_event_retention(mut self, age: Duration, count: usize) -> Self {
        self.event_retention = age;
        self.events_kept = count;
        self
    }

    /// At most `max` markets have event streams at once (default
    /// [`DEFAULT_MAX_EVENT_MARKETS`]); a stream of another is answered `503`. A market whose
    /// last client left is forgotten after the event retention.
    #[must_use]
    pub fn with_max_event_markets(mut self, max: usize) -> Self {
        self.max_event_markets = max.max(1);
        self
    }

    /// `/readyz` reads this market's symbols (default: linear).
    #[must_use]
    pub fn with_ready_market(mut self, market: Market) -> Self {
        self.ready_market = market;
        self
    }

    /// Cancelling `token` ends every event stream, so that a graceful shutdown finishes the
    /// requests in flight without waiting on them.
    #[must_use]
    pub fn with_shutdown(mut self, token: CancellationToken) -> Self {
        self.shutdown = token;
        self
    }

    /// See [`Options::with_request_timeout`].
    pub const fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// See [`Options::with_max_in_flight`].
    pub const fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// See [`Options::with_keep_alive`].
    pub const fn keep_alive(&self) -> Duration {
        self.keep_alive
    }

    /// See [`Options::with_event_retention`]: the age.
    pub const fn event_retention(&self) -> Duration {
        self.event_retention
    }

    /// See [`Options::with_event_retention`]: the count.
    pub const fn events_kept(&self) -> usize {
        self.events_kept
    }

    /// See [`Options::with_max_event_markets`].
    pub const fn max_event_markets(&self) -> usize {
        self.max_event_markets
    }

    /// See [`Options::with_ready_market`].
    pub const fn ready_market(&self) -> &Market {
        &self.ready_market
    }

    /// See [`Options::with_shutdown`].
    pub const fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }
}
