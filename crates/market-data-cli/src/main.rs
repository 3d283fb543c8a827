//! `market-data`: cached Bybit market data on the command line.
//!
//! stdout carries data only; logs and warnings go to stderr. Exit status: 0 with data (also
//! when a stale copy was served, and for `watch` when stopped by SIGINT or SIGTERM), 1 when
//! no data could be had or the cache could not be changed, 2 for bad usage or configuration.
#![allow(
    clippy::print_stderr,
    reason = "a command-line program reports on stderr"
)]

mod backend;
mod cli;
mod output;
mod printer;
mod progress;
mod serve;
mod signal;
mod watch;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bybit_client::{BybitClient, Category, ClientConfig};
use clap::Parser;
use market_data::{Dataset, Error, FetchTimeouts, Lookup, Market, MarketData, Policy, Source};
use tracing_subscriber::EnvFilter;

use crate::backend::{Need, OpenError};
use crate::cli::{CacheCommand, Cli, Command};

/// How long background work (a cache sweep) may hold the process once the answer is out.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Why the program stops without data.
enum Failure {
    /// Bad usage or configuration: exit 2.
    Usage(String),
    /// No data could be had, or the cache could not be changed: exit 1.
    NoData(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version on stdout and exits 0 for them, usage errors 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return report(&Failure::NoData(format!("cannot start: {error}"))),
    };
    let outcome = runtime.block_on(run(cli));
    // Dropping a runtime waits for every blocking task, however stuck (a cache file on a hung
    // disk): the answer is out, so the process does not wait long for them.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

fn report(failure: &Failure) -> ExitCode {
    let (message, code) = match failure {
        Failure::Usage(message) => (message, 2),
        Failure::NoData(message) => (message, 1),
    };
    // Messages carry text from Bybit and from the cache: it must not steer the terminal.
    eprintln!("market-data: {}", bybit_client::Escaped(message));
    ExitCode::from(code)
}

fn init_logging(cli: &Cli) {
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    // redis-rs logs through `log` with connection details of its own making, which no
    // redaction of ours reaches; RUST_LOG can still ask for them.
    let default = format!("{default},redis=off,{}", watch::QUIET_LIBRARY);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .init();
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let need = match cli.command {
        Command::Cache(_) => Need::Write,
        _ => Need::Read,
    };
    let cache = backend::open(cli.cache.as_deref(), need)
        .await
        .map_err(|error| match error {
            OpenError::Usage(message) => Failure::Usage(message),
            OpenError::Unreachable(message) => Failure::NoData(message),
        })?;
    let client = BybitClient::new(ClientConfig::new(cli.bybit_url.clone())).map_err(|e| {
        let shown = cache_redis::redact_url(&cli.bybit_url);
        Failure::Usage(format!("--bybit-url {shown}: {e}"))
    })?;
    let source = progress::WithProgress {
        inner: client,
        enabled: !cli.quiet,
    };
    let data = MarketData::new(cache, Arc::new(source), policy(&cli)?);
    let mut out = io::stdout().lock();
    let written = match &cli.command {
        Command::Symbols(args) => {
            let market = market(args.category, args.base_coin.clone())?;
            let lookup = data.symbols(&market).await.map_err(no_data)?;
            note(&lookup, Dataset::Symbols, &market);
            output::symbols(&mut out, &lookup.value, cli.json)
        }
        Command::FundingIntervals(args) => {
            let market = market(args.category, args.base_coin.clone())?;
            let lookup = data.funding_intervals(&market).await.map_err(no_data)?;
            note(&lookup, Dataset::FundingIntervals, &market);
            output::funding(&mut out, &lookup.value, cli.json)
        }
        Command::Instruments {
            market: args,
            symbol,
        } => {
            let market = market(args.category, args.base_coin.clone())?;
            let lookup = data.instruments(&market).await.map_err(no_data)?;
            note(&lookup, Dataset::Instruments, &market);
            let selected = output::select(&lookup.value, symbol.as_deref());
            if selected.is_empty() {
                let symbol = symbol.as_deref().unwrap_or_default();
                return Err(Failure::NoData(format!(
                    "no {market} instrument named {symbol:?}"
                )));
            }
            output::instruments(&mut out, &selected, cli.json)
        }
        Command::Serve {
            listen,
            max_connections,
            request_timeout,
            header_timeout,
        } => {
            drop(out);
            let serve = serve::Serve {
                listen: *listen,
                max_connections: *max_connections,
                request_timeout: *request_timeout,
                header_timeout: *header_timeout,
                json: cli.json,
            };
            return serve::run(&data, &serve).await;
        }
        Command::Cache(CacheCommand::Clear {
            category,
            base_coin,
        }) => {
            let (removed, markets) = clear(&data, *category, base_coin.clone()).await?;
            output::cleared(&mut out, removed, &markets, cli.json)
        }
        Command::Watch {
            market: args,
            interval,
        } => {
            let market = market(args.category, args.base_coin.clone())?;
            // Its lines go out from a thread of their own, which takes stdout; and it
            // settles its own refreshes, within the time a stopped watch may take.
            drop(out);
            return watch::run(&data, &market, *interval, cli.json).await;
        }
    };
    let outcome = written
        .and_then(|()| out.flush())
        .or_else(|e| {
            if e.kind() == io::ErrorKind::BrokenPipe {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| Failure::NoData(format!("cannot write output: {e}")));
    // A copy served while its refresh runs (refreshed ahead, stale within the window, or
    // after the soft timeout): the answer is out, and the refresh is stored for the next run
    // rather than dropped at exit; but a hanging Bybit does not hold the terminal past the
    // soft timeout once more.
    if !data.settle(cli.soft_timeout).await {
        tracing::warn!("a refresh from Bybit did not finish; the cache keeps its stale copy");
    }
    outcome
}

fn policy(cli: &Cli) -> Result<Policy, Failure> {
    let mut policy = Policy::default()
        .with_max_stale(cli.max_stale)
        .with_timeouts(FetchTimeouts::new(cli.soft_timeout, cli.fetch_deadline))
        .with_prelaunch(cli.prelaunch);
    policy = policy
        .with_refresh_ahead(cli.refresh_ahead)
        .map_err(|e| Failure::Usage(format!("--refresh-ahead: {e}")))?
        .with_lease_ttl(cli.lease_ttl)
        .map_err(|e| Failure::Usage(format!("--lease-ttl: {e}")))?;
    if let Some(fraction) = cli.max_shrink {
        policy = policy
            .with_max_shrink(fraction)
            .map_err(|e| Failure::Usage(format!("--max-shrink: {e}")))?;
    }
    for (dataset, ttl) in [
        (Dataset::Instruments, cli.ttl_instruments),
        (Dataset::Symbols, cli.ttl_symbols),
        (Dataset::FundingIntervals, cli.ttl_funding),
    ] {
        policy = policy.with_ttl(dataset, ttl);
    }
    Ok(policy)
}

fn market(category: Category, base_coin: Option<String>) -> Result<Market, Failure> {
    Market::with_base_coin(category, base_coin).map_err(|e| Failure::Usage(e.to_string()))
}

fn no_data(error: Error) -> Failure {
    match error {
        Error::Unsupported { .. } | Error::InvalidArgument(_) => Failure::Usage(error.to_string()),
        other => Failure::NoData(other.to_string()),
    }
}

/// Says on stderr where the data came from: always when Bybit failed or was slow, with -v
/// otherwise (a stale copy served while it is refreshed, by design, included).
fn note<T>(lookup: &Lookup<T>, dataset: Dataset, market: &Market) {
    match lookup.source {
        Source::Stale => tracing::warn!(
            %dataset, %market, age = %humantime::format_duration(round(lookup.age)),
            "Bybit failed or was slow; served a stale copy"
        ),
        source => tracing::info!(
            %dataset, %market, ?source, age = %humantime::format_duration(round(lookup.age)),
            "served"
        ),
    }
}

/// The age to the millisecond, as the envelope records it.
fn round(age: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(age.as_millis()).unwrap_or(u64::MAX))
}

/// Removes the entries of the markets named, or of every category (options only with a
/// base coin); returns how many entries went, and the markets cleared.
async fn clear(
    data: &MarketData,
    category: Option<Category>,
    base_coin: Option<String>,
) -> Result<(usize, Vec<Market>), Failure> {
    let markets: Vec<Market> = match category {
        Some(category) => vec![market(category, base_coin)?],
        None => {
            let mut all: Vec<Market> = [Category::Spot, Category::Linear, Category::Inverse]
                .into_iter()
                .filter_map(|c| Market::new(c).ok())
                .collect();
            if let Some(coin) = base_coin {
                all.push(Market::option(coin).map_err(|e| Failure::Usage(e.to_string()))?);
            }
            all
        }
    };
    let mut removed = 0;
    for market in &markets {
        removed += data
            .clear(market)
            .await
            .map_err(|e| Failure::NoData(format!("cannot clear {market}: {e}")))?;
    }
    tracing::info!(removed, "cache cleared");
    Ok((removed, markets))
}
