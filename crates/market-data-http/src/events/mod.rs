//! `GET /v1/bybit/{category}/events`: a market's changes as Server-Sent Events.
//!
//! A client is sent a `snapshot` event, then one event per change (`listed`, `delisted`,
//! `status`, `changed`), each `data:` the line `market-data watch --json` prints for it and
//! each with an `id:`. A client that reconnects with `Last-Event-ID` continues after that
//! event while the events that followed it are kept; otherwise it starts with a snapshot.

mod hub;
mod ring;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, stream};
use tokio::sync::broadcast::error::RecvError;

pub(crate) use hub::Hubs;

use crate::error::ApiError;
use crate::events::ring::Sent;
use crate::params::{self, MarketQuery};
use crate::state::AppState;

/// How long a client waits before reconnecting (SSE's `retry:`).
const RETRY: Duration = Duration::from_secs(1);

pub(crate) async fn stream_events(
    State(state): State<Arc<AppState>>,
    path: Path<String>,
    query: Result<Query<MarketQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let market = params::market(path, query)?;
    let hub = state.hubs.of(&state.data, &market).map_err(|full| {
        ApiError::unavailable(
            format!("events of {} markets are served already", full.0),
            Duration::from_secs(60),
        )
    })?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok());
    let subscription = hub.subscribe(&market, last_event_id);
    let instance = subscription.instance;
    let first = stream::iter(subscription.first);
    // A client too slow for the channel has lost events: its stream ends, and it reconnects
    // with the id of the last one it got, which the ring still holds.
    let next = stream::unfold(subscription.next, |mut next| async move {
        match next.recv().await {
            Ok(sent) => Some((sent, next)),
            Err(RecvError::Lagged(_) | RecvError::Closed) => None,
        }
    });
    let shutdown = state.options.shutdown().clone().cancelled_owned();
    let events = first
        .chain(next)
        .map(move |sent| Ok::<_, Infallible>(event(&instance, &sent)))
        .take_until(shutdown);
    let retry = stream::once(async { Ok(Event::default().retry(RETRY)) });
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(retry.chain(events));
    let keep_alive = KeepAlive::new().interval(state.options.keep_alive());
    Ok(Sse::new(events).keep_alive(keep_alive).into_response())
}

fn event(instance: &str, sent: &Sent) -> Event {
    Event::default()
        .event(sent.kind)
        .id(format!("{instance}-{}", sent.seq))
        .data(&sent.data)
}
