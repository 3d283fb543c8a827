//! `market-data watch`: a market's snapshot, then each change of its instrument list, one
//! line each, until SIGINT or SIGTERM.

use std::io;
use std::pin::pin;
use std::time::Duration;

use bybit_client::Change;
use futures_util::StreamExt;
use market_data::{Dataset, Market, MarketData, MarketEvent};
use tokio::sync::oneshot;

use crate::Failure;
use crate::printer::{Lines, MAX_QUEUED, Printer};
use crate::signal::stop_signal;

/// How long a refresh in flight at a signal may go on to be stored: the process exits
/// within about two seconds of the signal, this and the runtime's shutdown grace.
const SETTLE_ON_EXIT: Duration = Duration::from_millis(800);

/// How often a watch whose lines are being dropped looks whether stdout is read again.
const RESUME_CHECK: Duration = Duration::from_millis(100);

/// The tracing target of this module's logs. The library warns of a failed read under
/// `market_data::watch`, this module's own name too (the program's crate is `market_data`),
/// which the default filter silences (see [`QUIET_LIBRARY`]): these must not start with it.
const TARGET: &str = "market_data";

/// The filter directive that leaves the library's own warning of a failed watch read to
/// the program, which prints one line per failure itself.
pub(crate) const QUIET_LIBRARY: &str = "market_data::watch=error";

/// Prints `market`'s events on stdout until SIGINT or SIGTERM, or until stdout is closed;
/// either way the program then exits 0, within about two seconds. The list is read every
/// `interval`, by default [`market_data::default_interval`].
///
/// A reader that stops reading stdout does not stop the watch: it goes on reading the list,
/// which keeps the cache fresh for the other processes sharing it (waiting for the reader
/// would not). The lines wait in a queue of at most [`MAX_QUEUED`] bytes; beyond, they are
/// dropped, with a warning, until the queue has drained to half; then a snapshot line
/// tells the market's instrument count after every change so far, printed or not, and one
/// line per change follows again (see [`Output`]).
///
/// # Errors
/// [`Failure::NoData`] when the signal handlers or the printer cannot be set up, or stdout
/// fails other than by being closed.
pub(crate) async fn run(
    data: &MarketData,
    market: &Market,
    interval: Option<Duration>,
    json: bool,
) -> Result<(), Failure> {
    let setup = |what: &str, e: io::Error| Failure::NoData(format!("cannot {what}: {e}"));
    // Before the first read, which may wait long on Bybit: a signal meanwhile ends it.
    let mut stop = pin!(stop_signal().map_err(|e| setup("handle signals", e))?);
    let Printer { lines, mut ended } = Printer::start().map_err(|e| setup("start printing", e))?;
    let mut output = Output::new(lines, market, json);
    let mut resume = tokio::time::interval(RESUME_CHECK);
    let default = market_data::default_interval(data);
    let interval = interval.unwrap_or(default);
    // The other datasets are kept fresh for the other commands, on the TTLs' cadence
    // whatever the cadence of the printed changes.
    let keeper = tokio::spawn(keep_fresh(
        data.clone(),
        market.clone(),
        interval.min(default),
    ));
    let mut events = Box::pin(data.watch_every(market, interval));
    let end = loop {
        tokio::select! {
            biased;
            () = &mut stop => break End::Signal,
            printed = &mut ended => break End::Printer(printed),
            Some(event) = events.next() => {
                if let MarketEvent::Failed { .. } = event {
                    // Not data: a warning, which --quiet leaves out.
                    tracing::warn!(target: TARGET, "{event}");
                    continue;
                }
                if let Err(e) = output.print(&event) {
                    break End::Unprintable(e);
                }
            }
            _ = resume.tick(), if output.in_gap() => {
                if let Err(e) = output.resume() {
                    break End::Unprintable(e);
                }
            }
        }
    };
    keeper.abort();
    // Stop reading. A refresh already under way is stored if it ends soon, so that the
    // others sharing the cache need not repeat it; lines already made go out if the reader
    // takes them soon.
    drop(events);
    drop(output);
    let printed = async {
        if !matches!(end, End::Printer(_)) {
            let _ = tokio::time::timeout(SETTLE_ON_EXIT, ended).await;
        }
    };
    let (settled, ()) = tokio::join!(data.settle(SETTLE_ON_EXIT), printed);
    if !settled {
        tracing::info!(target: TARGET, "exiting with a refresh from Bybit unfinished");
    }
    match end {
        // Whoever read the lines is gone (broken pipe): nothing is left to do.
        End::Printer(Ok(Err(e))) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failure::NoData(format!("cannot write output: {e}")))
        }
        End::Unprintable(e) => Err(Failure::NoData(format!("cannot write output: {e}"))),
        _ => Ok(()),
    }
}

/// Why a watch ended.
enum End {
    /// SIGINT or SIGTERM.
    Signal,
    /// The printer thread ended: stdout failed, or the thread died.
    Printer(Result<io::Result<()>, oneshot::error::RecvError>),
    /// An event could not be made into JSON.
    Unprintable(serde_json::Error),
}

/// The watch's side of the printer: each event's line goes to the queue while it has room.
/// When it has none, lines are dropped (a gap) until it has drained to half, then a
/// snapshot line tells the reader the market's state after the gap, from which the lines
/// after it count: the count is kept from the events, printed or not (one listed adds an
/// instrument, one delisted takes one away), so that it is the count of the list the next
/// change is counted from.
struct Output {
    lines: Lines,
    market: Market,
    json: bool,
    /// How many instruments the market lists after the events so far; `None` before the
    /// first snapshot.
    count: Option<usize>,
    /// The lines dropped in the gap, while in one.
    dropped: Option<u64>,
}

impl Output {
    fn new(lines: Lines, market: &Market, json: bool) -> Self {
        Self {
            lines,
            market: market.clone(),
            json,
            count: None,
            dropped: None,
        }
    }

    /// Whether lines are being dropped.
    const fn in_gap(&self) -> bool {
        self.dropped.is_some()
    }

    /// Queues `event`'s line, or drops it in a gap.
    fn print(&mut self, event: &MarketEvent) -> serde_json::Result<()> {
        // The snapshot that ends a gap counts what came before `event`, whose line follows.
        self.resume()?;
        self.track(event);
        let line = line(event, self.json)?;
        if self.dropped.is_none() {
            if self.lines.send(line).is_ok() {
                return Ok(());
            }
            tracing::warn!(
                target: TARGET,
                queued = self.lines.queued(),
                "stdout is not read: lines are dropped until it is, then a snapshot line \
                 gives the count after them"
            );
        }
        *self.dropped.get_or_insert(0) += 1;
        Ok(())
    }

    /// Ends a gap once the queue has drained to half, with a snapshot line.
    fn resume(&mut self) -> serde_json::Result<()> {
        let Some(dropped) = self.dropped else {
            return Ok(());
        };
        if self.lines.queued() > MAX_QUEUED / 2 {
            return Ok(());
        }
        if let Some(count) = self.count {
            let snapshot = MarketEvent::Snapshot {
                market: self.market.clone(),
                count,
            };
            if self.lines.send(line(&snapshot, self.json)?).is_err() {
                return Ok(());
            }
        }
        self.dropped = None;
        tracing::info!(target: TARGET, dropped, "stdout is read again; a snapshot line follows the gap");
        Ok(())
    }

    /// Keeps the count of instruments after `event`.
    fn track(&mut self, event: &MarketEvent) {
        match event {
            MarketEvent::Snapshot { count, .. } => self.count = Some(*count),
            MarketEvent::Change { change, .. } => {
                if let Some(count) = &mut self.count {
                    match change {
                        Change::Listed { .. } => *count += 1,
                        Change::Delisted { .. } => *count = count.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// One line of output, its newline included.
fn line(event: &MarketEvent, json: bool) -> serde_json::Result<String> {
    Ok(if json {
        format!("{}\n", serde_json::to_string(event)?)
    } else {
        // The events' text escapes whatever came from Bybit.
        format!("{event}\n")
    })
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
                tracing::debug!(target: TARGET, %dataset, %market, %error, "cannot refresh");
            }
        }
    }
}
