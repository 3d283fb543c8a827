//! `market-data watch`: a market's snapshot, then each change of its instrument list, one
//! line each, until SIGINT or SIGTERM.

use std::future::Future;
use std::io::{self, Write};
use std::pin::pin;
use std::time::Duration;

use futures_util::StreamExt;
use market_data::{Dataset, Market, MarketData, MarketEvent};

use crate::Failure;

/// How long a refresh in flight at a signal may go on to be stored: the process exits
/// within about two seconds of the signal, this and the runtime's shutdown grace.
const SETTLE_ON_EXIT: Duration = Duration::from_millis(800);

/// The tracing target of the warning a failed read prints. The library warns of the same
/// failure under `market_data::watch`, which the program's default filter silences (see
/// [`QUIET_LIBRARY`]), so this one must not start with that name.
const TARGET: &str = "market_data";

/// The filter directive that leaves the library's own warning of a failed watch read to
/// the program, which prints one line per failure itself.
pub(crate) const QUIET_LIBRARY: &str = "market_data::watch=error";

/// Prints `market`'s events to `out` until SIGINT or SIGTERM, or until `out` is closed;
/// either way the program then exits 0.
///
/// # Errors
/// [`Failure::NoData`] when the signal handlers cannot be installed or `out` fails other
/// than by being closed.
pub(crate) async fn run(
    data: &MarketData,
    market: &Market,
    out: &mut impl Write,
    json: bool,
) -> Result<(), Failure> {
    // Before the first read, which may wait long on Bybit: a signal meanwhile ends it.
    let mut stop =
        pin!(stop_signal().map_err(|e| Failure::NoData(format!("cannot handle signals: {e}")))?);
    let interval = market_data::default_interval(data);
    let keeper = tokio::spawn(keep_fresh(data.clone(), market.clone(), interval));
    let mut events = Box::pin(data.watch_every(market, interval));
    let outcome = loop {
        tokio::select! {
            biased;
            () = &mut stop => break Ok(()),
            Some(event) = events.next() => {
                if let MarketEvent::Failed { .. } = event {
                    // Not data: a warning, which --quiet leaves out.
                    tracing::warn!(target: TARGET, "{event}");
                    continue;
                }
                match print(out, &event, json) {
                    Ok(()) => {}
                    // Whoever read the lines is gone: nothing is left to do.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => break Ok(()),
                    Err(e) => break Err(Failure::NoData(format!("cannot write output: {e}"))),
                }
            }
        }
    };
    keeper.abort();
    // Stop reading; a refresh already under way is stored if it ends soon, so that the
    // others sharing the cache need not repeat it.
    drop(events);
    if !data.settle(SETTLE_ON_EXIT).await {
        tracing::info!("exiting with a refresh from Bybit unfinished");
    }
    outcome
}

/// One line, flushed: a watch is usually read through a pipe, line by line as it comes.
fn print(out: &mut impl Write, event: &MarketEvent, json: bool) -> io::Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(event)?)?;
    } else {
        // The events' text escapes whatever came from Bybit.
        writeln!(out, "{event}")?;
    }
    out.flush()
}

/// Keeps fresh the datasets derived from the list that the watch's own reads do not. Each
/// refresh of the list stores every dataset derived from it, so only one whose TTL is
/// shorter than the list's can go stale between them; reading it refreshes it (shared with
/// the list's refresh and with the other processes, as every read is).
async fn keep_fresh(data: MarketData, market: Market, interval: Duration) {
    let policy = data.policy();
    let ttl = |dataset: Dataset| policy.dataset(dataset).freshness.ttl();
    let short_lived: Vec<Dataset> = [Dataset::Symbols, Dataset::FundingIntervals]
        .into_iter()
        .filter(|d| d.applies_to(market.category()) && ttl(*d) < ttl(Dataset::Instruments))
        .collect();
    if short_lived.is_empty() {
        return;
    }
    loop {
        tokio::time::sleep(interval).await;
        for dataset in &short_lived {
            // A failure here is the list's failure too, which the watch reports.
            let read = match dataset {
                Dataset::Symbols => data.symbols(&market).await.map(drop),
                _ => data.funding_intervals(&market).await.map(drop),
            };
            if let Err(error) = read {
                tracing::debug!(%dataset, %market, %error, "cannot refresh");
            }
        }
    }
}

/// A future that ends at the first SIGINT or SIGTERM, their handlers installed now.
#[cfg(unix)]
fn stop_signal() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that ends at the first Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> io::Result<impl Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Without a handler the default one ends the process.
            std::future::pending::<()>().await;
        }
    })
}
