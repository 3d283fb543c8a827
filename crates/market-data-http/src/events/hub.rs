//! [`Hubs`]: one watch per market, whatever the number of its clients, with its latest
//! events kept for clients that reconnect.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bybit_client::Change;
use futures_util::StreamExt;
use market_data::{Market, MarketData, MarketEvent};
use tokio::sync::broadcast;

use crate::events::ring::{Ring, Sent};
use crate::options::Options;

/// How often a hub with no client looks whether it has been idle past the retention.
const IDLE_CHECK: Duration = Duration::from_secs(60);

/// What a client is sent first, then the events that follow.
pub(crate) struct Subscription {
    pub(crate) first: Vec<Arc<Sent>>,
    pub(crate) next: broadcast::Receiver<Arc<Sent>>,
    /// Names this hub's events: ids of another hub (one started before, or on another
    /// sidecar) are not ours.
    pub(crate) instance: Arc<str>,
}

/// A market's watch and what it saw.
pub(crate) struct Hub {
    instance: Arc<str>,
    state: Mutex<State>,
    sender: broadcast::Sender<Arc<Sent>>,
}

struct State {
    ring: Ring,
    /// The number of the latest change; 0 before the first.
    last: u64,
    /// How many instruments the market lists after the latest change; `None` before the
    /// watch's first list.
    count: Option<usize>,
    idle_since: Option<Instant>,
}

impl Hub {
    /// Subscribes a client that last saw `last_event_id`: the events after it while they
    /// are kept, else a snapshot of the market now (once the watch has one).
    pub(crate) fn subscribe(&self, market: &Market, last_event_id: Option<&str>) -> Subscription {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle_since = None;
        let next = self.sender.subscribe();
        let resumed = last_event_id
            .and_then(|id| {
                id.strip_prefix(&*self.instance)?
                    .strip_prefix('-')?
                    .parse()
                    .ok()
            })
            .and_then(|seq| state.ring.after(seq, state.last));
        let first = match (resumed, state.count) {
            (Some(events), _) => events,
            (None, Some(count)) => vec![snapshot(market, count, state.last)],
            // The first snapshot is on its way to every subscriber.
            (None, None) => Vec::new(),
        };
        Subscription {
            first,
            next,
            instance: self.instance.clone(),
        }
    }

    /// Records and sends one event of the watch.
    fn publish(&self, event: &MarketEvent) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let sent = match event {
            MarketEvent::Snapshot { market, count } => {
                if state.count.is_some() {
                    return;
                }
                state.count = Some(*count);
                snapshot(market, *count, state.last)
            }
            MarketEvent::Change { change, .. } => {
                if let Some(count) = &mut state.count {
                    match change {
                        Change::Listed { .. } => *count += 1,
                        Change::Delisted { .. } => *count = count.saturating_sub(1),
                        _ => {}
                    }
                }
                state.last += 1;
                let Ok(data) = serde_json::to_string(event) else {
                    return;
                };
                let sent = Arc::new(Sent::new(state.last, change.kind(), data));
                state.ring.push(sent.clone());
                sent
            }
            MarketEvent::Failed { market, error } => {
                tracing::debug!(%market, %error, "events: a read of the list failed");
                return;
            }
            _ => return,
        };
        // Sent under the lock, so that a client subscribing meanwhile gets each event once:
        // in what it is sent first, or from the channel.
        let _ = self.sender.send(sent);
    }

    /// Whether the hub has had no client for longer than `idle`.
    fn idle_for(&self, idle: Duration) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.ring.trim();
        if self.sender.receiver_count() > 0 {
            state.idle_since = None;
            return false;
        }
        state.idle_since.get_or_insert_with(Instant::now).elapsed() >= idle
    }
}

/// The snapshot a client starts with: its id is that of the latest change it accounts for.
fn snapshot(market: &Market, count: usize, last: u64) -> Arc<Sent> {
    let event = MarketEvent::Snapshot {
        market: market.clone(),
        count,
    };
    let data = serde_json::to_string(&event).unwrap_or_default();
    Arc::new(Sent::new(last, "snapshot", data))
}

/// Every market's hub.
pub(crate) struct Hubs {
    hubs: Mutex<HashMap<Market, Arc<Hub>>>,
    options: Options,
}

/// Every market watched already, and none may be added.
#[derive(Debug)]
pub(crate) struct TooMany(pub(crate) usize);

impl Hubs {
    pub(crate) fn new(options: Options) -> Arc<Self> {
        Arc::new(Self {
            hubs: Mutex::new(HashMap::new()),
            options,
        })
    }

    /// The hub of `market`, started now (its watch in a task of its own) if it has none.
    pub(crate) fn of(
        self: &Arc<Self>,
        data: &MarketData,
        market: &Market,
    ) -> Result<Arc<Hub>, TooMany> {
        let mut hubs = self.hubs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(hub) = hubs.get(market) {
            return Ok(hub.clone());
        }
        let max = self.options.max_event_markets();
        if hubs.len() >= max {
            return Err(TooMany(max));
        }
        let capacity = self.options.events_kept().clamp(1024, 1 << 16);
        let hub = Arc::new(Hub {
            instance: instance_name().into(),
            state: Mutex::new(State {
                ring: Ring::new(self.options.event_retention(), self.options.events_kept()),
                last: 0,
                count: None,
                idle_since: None,
            }),
            sender: broadcast::channel(capacity).0,
        });
        hubs.insert(market.clone(), hub.clone());
        tokio::spawn(watch(
            Arc::downgrade(self),
            data.clone(),
            market.clone(),
            hub.clone(),
        ));
        Ok(hub)
    }

    fn forget(&self, market: &Market, hub: &Arc<Hub>) {
        let mut hubs = self.hubs.lock().unwrap_or_else(|e| e.into_inner());
        if hubs.get(market).is_some_and(|h| Arc::ptr_eq(h, hub)) {
            hubs.remove(market);
        }
    }
}

/// Runs `market`'s watch into `hub` until the router is shut down or dropped, or the hub
/// has had no client for the event retention (what it kept is past it by then).
async fn watch(hubs: Weak<Hubs>, data: MarketData, market: Market, hub: Arc<Hub>) {
    let Some(options) = hubs.upgrade().map(|h| h.options.clone()) else {
        return;
    };
    let mut events = Box::pin(data.watch(&market));
    let mut check = tokio::time::interval(IDLE_CHECK.min(options.event_retention()));
    loop {
        tokio::select! {
            () = options.shutdown().cancelled() => break,
            Some(event) = events.next() => hub.publish(&event),
            _ = check.tick() => {
                if hub.idle_for(options.event_retention()) {
                    break;
                }
                if hubs.strong_count() == 0 {
                    break;
                }
            }
        }
    }
    tracing::debug!(%market, "events: watch ended");
    if let Some(hubs) = hubs.upgrade() {
        hubs.forget(&market, &hub);
    }
}

/// A name for a hub's events unlike any other hub's: its start time and a few random bits.
fn instance_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanos());
    format!("{:x}{:04x}", now.as_millis(), hasher.finish() & 0xffff)
}
