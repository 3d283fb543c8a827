//! The command line: what the program accepts.

use std::time::Duration;

use bybit_client::Category;
use clap::{Args, Parser, Subcommand};

/// Cached Bybit market data: symbols, instruments and funding intervals, served from a
/// cache while fresh and fetched from Bybit when not.
#[derive(Debug, Parser)]
#[command(name = "market-data", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    /// Where to cache: `memory`, a directory, `redis://[[user]:password@]host:port/db`,
    /// `rediss://…` (TLS), or `redis+cluster://host1:port1,host2:port2`.
    /// Default: a directory in the user's cache directory.
    ///
    /// A Redis URL may end with `?announce=off`: this program then does not announce its
    /// writes to the other programs sharing the cache, whose in-memory copies see them
    /// within half a second instead of at once. For a Redis user who may not publish (no
    /// channel rights, the default for a new user on Redis 7, or on a cluster no
    /// @scripting); without it such a user's writes succeed all the same, with a warning
    /// (at most one a minute).
    // The value may hold a password: help never shows it.
    #[arg(
        long,
        env = "MARKET_DATA_CACHE",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub cache: Option<String>,

    /// Bybit's REST base URL.
    #[arg(
        long,
        env = "BYBIT_BASE_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL",
        default_value = "https://api.bybit.com"
    )]
    pub bybit_url: String,

    /// How long instruments are fresh (e.g. 90s, 5m). Each stored copy's TTL is lengthened
    /// by up to a tenth at random, so that copies stored together do not expire together.
    #[arg(long, global = true, value_name = "DURATION", default_value = "1m",
          value_parser = positive_duration)]
    pub ttl_instruments: Duration,

    /// How long symbol lists are fresh.
    #[arg(long, global = true, value_name = "DURATION", default_value = "24h",
          value_parser = positive_duration)]
    pub ttl_symbols: Duration,

    /// How long funding intervals are fresh.
    #[arg(long, global = true, value_name = "DURATION", default_value = "1h",
          value_parser = positive_duration)]
    pub ttl_funding: Duration,

    /// How long past its TTL a stale copy may be served when Bybit fails (0s: never).
    #[arg(long, global = true, value_name = "DURATION", default_value = "24h",
          value_parser = duration)]
    pub max_stale: Duration,

    /// With a usable stale copy, serve it after this long while the fetch goes on (0s: at
    /// once).
    #[arg(long, global = true, value_name = "DURATION", default_value = "5s",
          value_parser = duration)]
    pub soft_timeout: Duration,

    /// Abandon a whole fetch from Bybit (every page) after this long.
    #[arg(long, global = true, value_name = "DURATION", default_value = "30s",
          value_parser = positive_duration)]
    pub fetch_deadline: Duration,

    /// Refuse a Bybit answer that lost more than this fraction of the cached instruments
    /// (e.g. 0.5), serving the cached copy instead. An empty answer never replaces a
    /// non-empty list either way.
    #[arg(long, global = true, value_name = "FRACTION", value_parser = fraction)]
    pub max_shrink: Option<f64>,

    /// Refresh a dataset in the background once it is this fraction into its TTL, so that
    /// no later run waits for Bybit (1: only once stale). The run prints first, then waits
    /// for the refresh to be stored.
    #[arg(long, global = true, value_name = "FRACTION", default_value = "0.8",
          value_parser = fraction)]
    pub refresh_ahead: f64,

    /// While one program fetches a market, the others sharing the cache wait for its
    /// answer; its claim lasts this long unless renewed, which bounds the wait when it dies.
    #[arg(long, global = true, value_name = "DURATION", default_value = "5s",
          value_parser = positive_duration)]
    pub lease_ttl: Duration,

    /// Also fetch Bybit's pre-launch contracts (linear and inverse: pre-market, before
    /// trading starts) and merge them into each list, so that a listing shows before it
    /// trades. Costs a second pagination run per fetch; cached apart from the lists without.
    #[arg(long, global = true)]
    pub prelaunch: bool,

    /// Print JSON on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// More logging on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Errors only on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// One symbol per line.
    Symbols(MarketArgs),
    /// A table of instruments, or with --json the instrument objects as Bybit sent them.
    Instruments {
        #[command(flatten)]
        market: MarketArgs,
        /// Only this symbol.
        #[arg(long)]
        symbol: Option<String>,
    },
    /// Symbol and funding interval in minutes (linear and inverse only).
    FundingIntervals(MarketArgs),
    /// How many instruments a market lists, then each change to its list, one line each,
    /// until SIGINT or SIGTERM.
    ///
    /// Keeps the market fresh in the cache meanwhile (one fetch per TTL between all the
    /// programs that share the cache), and prints each change however it was seen: fetched
    /// here, or stored by another program. A change is `listed`, `delisted`, `status` (from
    /// -> to) or `changed` (the fields that differ). With --json each line is one object:
    /// {"event":"listed","category":"linear","symbol":"NEWUSDT"}. A failed read is a warning
    /// on stderr, and the watch goes on. Exits 0 when stopped, or when stdout is closed.
    Watch {
        #[command(flatten)]
        market: MarketArgs,
        /// How often to read the list (e.g. 100ms, 2s). A read is served from memory while
        /// the copy there is current, so a short interval costs little; a change stored by
        /// another program is printed within about this long. Default: a quarter of the
        /// instruments' TTL, between 50ms and 1s; much longer, and the cached list may go
        /// stale between reads.
        #[arg(long, value_name = "DURATION", value_parser = positive_duration)]
        interval: Option<Duration>,
    },
    /// Serve the cached datasets over HTTP, with change events and metrics, until SIGINT or
    /// SIGTERM.
    ///
    /// Routes (all GET): /v1/bybit/{category}/instruments, /symbols and
    /// /funding-intervals (the JSON of the commands' --json; ?baseCoin=B), /events
    /// (Server-Sent Events: a snapshot, then each change, as `watch --json` prints them),
    /// /metrics (Prometheus), /healthz and /readyz. Prints `listening on http://ADDR` on
    /// stdout once it accepts connections. On a signal it stops accepting, closes event
    /// streams, finishes the requests in flight and exits 0 within about two seconds.
    Serve {
        /// The address to listen on (port 0: any free port, printed).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The most connections held open at once; more wait to be accepted.
        #[arg(long, value_name = "N", default_value_t = market_data_http::DEFAULT_MAX_CONNECTIONS)]
        max_connections: usize,
        /// A request not answered within this long gets 504.
        #[arg(long, value_name = "DURATION", default_value = "35s", value_parser = positive_duration)]
        request_timeout: Duration,
        /// A connection whose client takes longer than this to send a request's headers is
        /// closed.
        #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = positive_duration)]
        header_timeout: Duration,
    },
    /// Manage the cache.
    #[command(subcommand)]
    Cache(CacheCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// Remove our entries: of one category, or of every category. Prints how many.
    ///
    /// Option entries are kept per base coin: they are removed only with --base-coin (with
    /// --category option, or without --category, beside every other category's).
    Clear {
        /// Only this category.
        #[arg(long, value_parser = category)]
        category: Option<Category>,
        /// For options: the base coin whose entries to remove.
        #[arg(long)]
        base_coin: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct MarketArgs {
    /// spot, linear, inverse or option.
    #[arg(long, value_parser = category)]
    pub category: Category,
    /// The base coin; required for options (e.g. BTC), optional for the others.
    #[arg(long)]
    pub base_coin: Option<String>,
}

fn category(value: &str) -> Result<Category, String> {
    Category::ALL
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(value))
        .ok_or_else(|| "expected one of spot, linear, inverse, option".to_owned())
}

fn fraction(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err("expected a fraction from 0 to 1, such as 0.5".to_owned()),
    }
}

fn duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value)
        .map_err(|e| format!("expected a number and a unit, such as 500ms, 90s, 5m or 1h ({e})"))
}

fn positive_duration(value: &str) -> Result<Duration, String> {
    match duration(value)? {
        d if d.is_zero() => Err("must be longer than zero".to_owned()),
        d => Ok(d),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use market_data::{Dataset, Policy};

    use super::Cli;

    /// The TTLs help shows as defaults are the library's, so that a run without them
    /// behaves as a `MarketData` built with `Policy::default()`.
    #[test]
    fn default_ttls_are_the_policys() {
        let cli = Cli::try_parse_from(["market-data", "symbols", "--category", "linear"])
            .expect("parses");
        let policy = Policy::default();
        for (dataset, ttl) in [
            (Dataset::Instruments, cli.ttl_instruments),
            (Dataset::Symbols, cli.ttl_symbols),
            (Dataset::FundingIntervals, cli.ttl_funding),
        ] {
            assert_eq!(ttl, policy.dataset(dataset).freshness.ttl(), "{dataset}");
        }
    }

    #[test]
    fn a_bad_duration_says_what_is_expected() {
        let error = Cli::try_parse_from([
            "market-data",
            "--ttl-symbols",
            "soon",
            "symbols",
            "--category",
            "linear",
        ])
        .expect_err("refused");
        assert!(
            error.to_string().contains("such as 500ms, 90s, 5m or 1h"),
            "{error}"
        );
    }
}
