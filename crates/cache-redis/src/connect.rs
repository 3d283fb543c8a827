//! Opening the one shared connection: a `ConnectionManager`, or a cluster connection.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{
    Client, Cmd, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, Pipeline, RedisConnectionInfo,
    RedisFuture, RedisResult, Value,
};

use crate::RedisUrl;

/// The connection every operation clones: both kinds multiplex concurrent commands over
/// their sockets and reconnect by themselves.
#[derive(Clone)]
pub(crate) enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// The timeouts the connections are made with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    pub(crate) operation: Duration,
}

/// Opens a `ConnectionManager` on `client`.
///
/// It makes one connection attempt per call rather than retrying with backoff, so that a
/// call fails fast with "connection refused" while the server is down instead of spending its
/// whole timeout in the manager's backoff; the next call starts a new attempt. Responses have
/// no driver timeout: the backend bounds each whole call itself.
pub(crate) async fn single(client: Client, timeouts: Timeouts) -> RedisResult<Conn> {
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(Some(timeouts.connect))
        .set_response_timeout(None);
    Ok(Conn::Single(
        ConnectionManager::new_with_config(client, config).await?,
    ))
}

/// Opens a cluster connection on `client`.
pub(crate) async fn cluster(client: ClusterClient) -> RedisResult<Conn> {
    Ok(Conn::Cluster(client.get_async_connection().await?))
}

/// The connection info of each node of `url`.
pub(crate) fn node_infos(url: &RedisUrl) -> RedisResult<Vec<ConnectionInfo>> {
    url.nodes()
        .iter()
        .map(|(host, port)| {
            let addr = if url.is_tls() {
                tls_addr(host, *port)
            } else {
                ConnectionAddr::Tcp(host.clone(), *port)
            };
            let mut redis = RedisConnectionInfo::default().set_db(url.db());
            if let Some(username) = url.username() {
                redis = redis.set_username(username);
            }
            if let Some(password) = url.password() {
                redis = redis.set_password(password);
            }
            Ok(addr.into_connection_info()?.set_redis_settings(redis))
        })
        .collect()
}

#[cfg(feature = "tls")]
fn tls_addr(host: &str, port: u16) -> ConnectionAddr {
    ConnectionAddr::TcpTls {
        host: host.to_owned(),
        port,
        insecure: false,
        tls_params: None,
    }
}

#[cfg(not(feature = "tls"))]
fn tls_addr(host: &str, port: u16) -> ConnectionAddr {
    // RedisUrl::parse refuses rediss:// without the feature, so this is never reached.
    ConnectionAddr::Tcp(host.to_owned(), port)
}

/// A standalone client for `url`, trusting `root_cert` (PEM) when given.
pub(crate) fn client(url: &RedisUrl, root_cert: Option<&[u8]>) -> RedisResult<Client> {
    let info = node_infos(url)?.remove(0);
    #[cfg(feature = "tls")]
    if let Some(pem) = root_cert {
        install_crypto_provider();
        return Client::build_with_tls(info, certificates(pem));
    }
    #[cfg(feature = "tls")]
    if url.is_tls() {
        install_crypto_provider();
    }
    let _ = root_cert;
    Client::open(info)
}

/// A standalone client for each node of `url` (one for a single server), trusting
/// `root_cert` (PEM) when given: where a pub/sub connection can be opened.
pub(crate) fn node_clients(url: &RedisUrl, root_cert: Option<&[u8]>) -> RedisResult<Vec<Client>> {
    node_infos(url)?
        .into_iter()
        .map(|info| {
            #[cfg(feature = "tls")]
            if url.is_tls() {
                install_crypto_provider();
                if let Some(pem) = root_cert {
                    return Client::build_with_tls(info, certificates(pem));
                }
            }
            let _ = root_cert;
            Client::open(info)
        })
        .collect()
}

/// A cluster client for the seed nodes of `url`.
pub(crate) fn cluster_client(
    url: &RedisUrl,
    root_cert: Option<&[u8]>,
    timeouts: Timeouts,
) -> RedisResult<ClusterClient> {
    let mut builder = ClusterClientBuilder::new(node_infos(url)?)
        .connection_timeout(timeouts.connect)
        .response_timeout(timeouts.operation);
    if let Some(username) = url.username() {
        builder = builder.username(username);
    }
    if let Some(password) = url.password() {
        builder = builder.password(password);
    }
    #[cfg(feature = "tls")]
    if url.is_tls() {
        install_crypto_provider();
        builder = builder.tls(redis::TlsMode::Secure);
        if let Some(pem) = root_cert {
            builder = builder.certs(certificates(pem));
        }
    }
    let _ = root_cert;
    builder.build()
}

#[cfg(feature = "tls")]
fn certificates(pem: &[u8]) -> redis::TlsCertificates {
    redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem.to_vec()),
    }
}

/// rustls needs a process-wide crypto provider; this crate brings ring. When the program
/// installed another one first, that one is kept.
#[cfg(feature = "tls")]
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
