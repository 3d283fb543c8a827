//! `market-data serve`: the cached datasets, their change events and metrics over HTTP,
//! until SIGINT or SIGTERM.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use market_data::MarketData;
use market_data_http::{ConnectionLimit, Options};
use tokio_util::sync::CancellationToken;

use crate::Failure;
use crate::output;
use crate::signal::stop_signal;

/// How long the requests in flight at a signal may go on, and a refresh they started be
/// stored: the process exits within about two seconds of the signal, this and the runtime's
/// shutdown grace.
const DRAIN: Duration = Duration::from_millis(800);

/// What `serve` was asked for.
pub(crate) struct Serve {
    pub(crate) listen: SocketAddr,
    pub(crate) max_connections: usize,
    pub(crate) request_timeout: Duration,
    pub(crate) header_timeout: Duration,
    pub(crate) json: bool,
}

/// Serves `data` on `serve.listen` until SIGINT or SIGTERM; then stops accepting, ends the
/// event streams, lets the requests in flight finish for at most [`DRAIN`], and returns.
///
/// # Errors
/// [`Failure::NoData`] when the address cannot be listened on, the signal handlers cannot be
/// set up, or the server stops by itself.
pub(crate) async fn run(data: &MarketData, serve: &Serve) -> Result<(), Failure> {
    let mut stop = pin!(stop_signal().map_err(|e| no_data("handle signals", &e))?);
    let listener = tokio::net::TcpListener::bind(serve.listen)
        .await
        .map_err(|e| no_data(&format!("listen on {}", serve.listen), &e))?;
    let address = listener
        .local_addr()
        .map_err(|e| no_data("read the address listened on", &e))?;
    let shutdown = CancellationToken::new();
    let options = Options::default()
        .with_request_timeout(serve.request_timeout)
        .with_shutdown(shutdown.clone());
    let app = market_data_http::router(Arc::new(data.clone()), options);
    let listener = ConnectionLimit::new(listener, serve.max_connections);
    let server = market_data_http::serve(
        listener,
        app,
        serve.header_timeout,
        shutdown.clone().cancelled_owned(),
    );
    let mut server = tokio::spawn(server);
    let mut out = io::stdout().lock();
    output::listening(&mut out, address, serve.json)
        .and_then(|()| out.flush())
        .map_err(|e| no_data("write output", &e))?;
    drop(out);
    tracing::info!(%address, "serving");
    tokio::select! {
        () = &mut stop => {}
        ended = &mut server => {
            return Err(Failure::NoData(format!("the server stopped: {ended:?}")));
        }
    }
    tracing::info!("stopping: finishing the requests in flight");
    shutdown.cancel();
    let (drained, settled) =
        tokio::join!(tokio::time::timeout(DRAIN, &mut server), data.settle(DRAIN));
    if drained.is_err() {
        server.abort();
        tracing::info!("exiting with requests still in flight");
    }
    if !settled {
        tracing::info!("exiting with a refresh from Bybit unfinished");
    }
    Ok(())
}

fn no_data(what: &str, error: &io::Error) -> Failure {
    Failure::NoData(format!("cannot {what}: {error}"))
}
