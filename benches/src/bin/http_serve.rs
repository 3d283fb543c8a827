//! `GET /v1/bybit/linear/instruments` (the real 214-instrument list, 200, identity encoding)
//! at 64 connections, against three servers measured by the same Rust client in one run:
//!
//! - ours: `market_data_http::router` over `MarketData` on a `redis-server` of its own (the
//!   list held in memory, following Redis's notifications, as a running sidecar has it);
//! - bare axum: one handler returning the same bytes, the limit of HTTP itself here;
//! - Python: an aiohttp service over the reference cache (`benches/reference/`, msgpack +
//!   zlib with redis-py) doing `get` then `json_response`, as a first user would write it.
//!
//! Each server runs in a process of its own (the Rust ones are this program, started with
//! `--serve ours|bare`, on a runtime of two workers); the client takes turns between them,
//! slice by slice, so that load elsewhere on a shared machine falls on all alike. A figure is
//! the median of its slices. Without Python, aiohttp, msgpack or redis-py, the Python row is
//! left out and a line says how to install them.
//!
//! `cargo run --release -p benches --bin http_serve -- [--seconds S] [--rounds N]` (defaults
//! 2 and 5).
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use benches::{load, python};
use bybit_client::testing::MockBybit;
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_redis::RedisCache;
use market_data::{Dataset, Market, MarketData, Policy};
use redis_test_server::RedisServer;

const PATH: &str = "/v1/bybit/linear/instruments";
const CONNECTIONS: usize = 64;
/// Long enough that nothing expires, or is refreshed ahead, during the run.
const TTL: Duration = Duration::from_secs(24 * 3600);

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve(&args[1..]);
    }
    let seconds = flag(&args, "--seconds").unwrap_or(2.0);
    let rounds = flag(&args, "--rounds").map_or(5, |r| r as usize).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(compare(Duration::from_secs_f64(seconds), rounds))
}

fn flag(args: &[String], name: &str) -> Option<f64> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command`, whose first line on stdout is its base URL.
fn start(mut command: Command, name: &str) -> Result<Server> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let mut line = String::new();
    let stdout = child.stdout.take().context("stdout")?;
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line.trim().to_owned();
    if !base.starts_with("http://") {
        let _ = child.kill();
        bail!("{name} printed {line:?}");
    }
    Ok(Server { child, base })
}

fn this_program(args: &[&str]) -> Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("--serve").args(args);
    Ok(command)
}

async fn compare(slice: Duration, rounds: usize) -> Result<()> {
    let redis = RedisServer::start()?;
    let bybit = MockBybit::start().await;
    let ours = start(
        this_program(&["ours", &redis.url(), &bybit.base_url()])?,
        "our router",
    )?;
    // The bytes ours serves, which the others serve too.
    let body = load::get(&ours.base, PATH).await?;
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), &body)?;
    let path = file.path().to_str().context("a UTF-8 temporary path")?;
    let bare = start(this_program(&["bare", path])?, "bare axum")?;

    let interpreter = python::interpreter();
    let python = match python::check_aiohttp(&interpreter) {
        Ok(()) => {
            let mut command = Command::new(&interpreter);
            command
                .arg(python::reference_dir().join("http_service.py"))
                .args([&redis.url(), path]);
            Some(start(command, "the aiohttp service")?)
        }
        Err(why) => {
            println!("{}", python::skipped(&interpreter, &why));
            None
        }
    };
    let python_len = match &python {
        Some(server) => {
            let answer = load::get(&server.base, PATH).await?;
            let list: Vec<serde_json::Value> = serde_json::from_slice(&answer)?;
            if list.len() != 214 {
                bail!("the aiohttp service serves {} instruments", list.len());
            }
            answer.len()
        }
        None => 0,
    };

    let mut targets: Vec<(&str, &str, usize)> = vec![
        ("ours", &ours.base, body.len()),
        ("bare axum", &bare.base, body.len()),
    ];
    if let Some(server) = &python {
        targets.push(("Python aiohttp", &server.base, python_len));
    }
    // Warm every server and every connection once.
    for (_, base, len) in &targets {
        load::run(base, PATH, CONNECTIONS, Duration::from_millis(300), *len).await?;
    }
    let mut slices = vec![Vec::new(); targets.len()];
    for round in 0..rounds {
        // Alternating order, so that no server always follows the same one.
        let order: Vec<usize> = if round % 2 == 0 {
            (0..targets.len()).collect()
        } else {
            (0..targets.len()).rev().collect()
        };
        for i in order {
            let (_, base, len) = targets[i];
            let made = load::run(base, PATH, CONNECTIONS, slice, len).await?;
            slices[i].push(made.per_second());
        }
    }
    let medians: Vec<f64> = slices.iter().map(|s| median(s)).collect();
    println!();
    println!(
        "GET {PATH} (214 instruments, {} bytes from ours, identity), {CONNECTIONS} connections, \
         median of {rounds} slices of {:.1} s:",
        body.len(),
        slice.as_secs_f64()
    );
    println!();
    println!("| server | requests/s | ours ÷ this | floor |");
    println!("|---|---:|---:|---:|");
    for (i, (name, _, _)) in targets.iter().enumerate() {
        let (ratio, floor) = match i {
            0 => ("1.00".to_owned(), ""),
            1 => (format!("{:.2}", medians[0] / medians[i]), "≥ 0.5"),
            _ => (format!("{:.1}", medians[0] / medians[i]), "≥ 20"),
        };
        println!("| {name} | {:.0} | {ratio} | {floor} |", medians[i]);
    }
    drop(redis);
    Ok(())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// `--serve ours REDIS_URL BYBIT_URL` or `--serve bare BODY_FILE`: a server on a free
/// loopback port, its URL printed, until killed.
fn serve(args: &[String]) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        match args {
            // As `market-data serve` serves it.
            [kind, redis, bybit] if kind == "ours" => {
                let app = ours(redis, bybit).await?;
                println!("http://{address}");
                let listener = market_data_http::ConnectionLimit::new(listener, 1024);
                let header_timeout = market_data_http::DEFAULT_HEADER_TIMEOUT;
                market_data_http::serve(listener, app, header_timeout, std::future::pending())
                    .await?;
            }
            // As axum's own example serves a router, with TCP_NODELAY as ours has it.
            [kind, body] if kind == "bare" => {
                let app = bare(std::fs::read(body)?.into());
                println!("http://{address}");
                let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(listener, app).await?;
            }
            _ => bail!("--serve ours REDIS_URL BYBIT_URL | --serve bare BODY_FILE"),
        }
        Ok(())
    })
}

async fn ours(redis: &str, bybit: &str) -> Result<axum::Router> {
    let cache = RedisCache::builder().url(redis).build().await?;
    let client = BybitClient::new(ClientConfig::new(bybit.to_owned()))?;
    let policy = Policy::default().with_ttl(Dataset::Instruments, TTL);
    let data = MarketData::new(Arc::new(cache), Arc::new(client), policy);
    data.instruments(&Market::new(Category::Linear)?).await?;
    Ok(market_data_http::router(
        Arc::new(data),
        market_data_http::Options::default(),
    ))
}

/// The same bytes from one handler, nothing else.
fn bare(body: bytes::Bytes) -> axum::Router {
    use axum::http::header::CONTENT_TYPE;
    let handler = move || {
        let body = body.clone();
        async move { ([(CONTENT_TYPE, "application/json")], body) }
    };
    axum::Router::new().route(PATH, axum::routing::get(handler))
}
