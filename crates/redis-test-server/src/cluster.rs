//! A Redis Cluster of masters, made with `redis-cli --cluster create`.

use std::io;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::server::run_cli;
use crate::{RedisServer, redis_cli_bin};

/// How long the nodes may take to agree that every slot is served.
const READY_LIMIT: Duration = Duration::from_secs(30);

/// A running Redis Cluster of masters without replicas, all on `127.0.0.1`; every node is
/// killed when this is dropped.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts `masters` nodes (at least three, as Redis Cluster requires), assigns the
    /// 16384 slots among them and waits until every node reports `cluster_state:ok`.
    ///
    /// # Errors
    /// When fewer than three masters are asked for, a node does not start, `redis-cli
    /// --cluster create` fails, or the cluster is not ready in time.
    pub fn start(masters: usize) -> io::Result<Self> {
        if masters < 3 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a Redis Cluster needs at least 3 masters, not {masters}"),
            ));
        }
        let nodes = (0..masters)
            .map(|_| RedisServer::builder().cluster_node().start())
            .collect::<io::Result<Vec<_>>>()?;
        let cluster = Self { nodes };
        let mut create = Command::new(redis_cli_bin());
        create.arg("--cluster").arg("create");
        create.args(cluster.addrs());
        create.args(["--cluster-replicas", "0", "--cluster-yes"]);
        run_cli(&mut create)?;
        cluster.wait_until_ready()?;
        Ok(cluster)
    }

    /// The nodes, in the order they were started.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Mutable access to the nodes, to stop or restart one.
    pub fn nodes_mut(&mut self) -> &mut [RedisServer] {
        &mut self.nodes
    }

    /// `127.0.0.1:port` of every node.
    pub fn addrs(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port()))
            .collect()
    }

    /// `redis://127.0.0.1:port/0` of every node: the seed nodes a cluster client takes.
    pub fn node_urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    fn wait_until_ready(&self) -> io::Result<()> {
        let deadline = Instant::now() + READY_LIMIT;
        let mut pending = Vec::new();
        loop {
            pending.clear();
            for node in &self.nodes {
                let info = node.cli(&["cluster", "info"]).unwrap_or_default();
                let ok = info.contains("cluster_state:ok")
                    && info.contains("cluster_slots_ok:16384")
                    && info.contains(&format!("cluster_known_nodes:{}", self.nodes.len()));
                if !ok {
                    pending.push((node.port(), info));
                }
            }
            if pending.is_empty() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let (port, info) = &pending[0];
                return Err(io::Error::other(format!(
                    "cluster not ready within {READY_LIMIT:?}; node {port} says:\n{info}"
                )));
            }
            sleep(Duration::from_millis(100));
        }
    }
}
