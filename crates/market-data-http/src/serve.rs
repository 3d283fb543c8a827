//! [`serve`]: a router served over HTTP/1.1 with bounds axum's own `serve` lacks: a time
//! limit on each request's headers, and a graceful end.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;

use crate::ConnectionLimit;

/// How long a client may take to send a request's headers by default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` ends; then stops accepting, closes idle
/// connections and waits for the requests in flight (bound the wait with a timeout of your
/// own; [`Options::with_shutdown`](crate::Options::with_shutdown) ends event streams).
///
/// A connection whose client does not send a request's headers within `header_timeout` is
/// closed, so that slow clients cannot hold every place [`ConnectionLimit`] has.
///
/// ```no_run
/// # async fn run(router: axum::Router) -> std::io::Result<()> {
/// use market_data_http::{ConnectionLimit, DEFAULT_HEADER_TIMEOUT, serve};
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let listener = ConnectionLimit::new(listener, 1024);
/// serve(listener, router, DEFAULT_HEADER_TIMEOUT, async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await
/// # }
/// ```
///
/// # Errors
/// None yet: accepting retries by itself; the result leaves room for errors to come.
pub async fn serve(
    mut listener: ConnectionLimit,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
