//! Redis GET/SET throughput of the real compressed instrument list, through each layer:
//! `redis-benchmark` (the server's own figure), raw redis-rs on one `ConnectionManager`,
//! cache-redis's byte-level `Cache`, and the typed layer (zstd and MessagePack included), at
//! concurrency 1 and 64, against a `redis-server` started for the run.
//!
//! `cargo run --release -p benches --bin redis_throughput -- [--seconds S] [--rounds N]`
//! prints one table. The layers take turns in slices of S seconds, N slices each (defaults
//! 0.25 and 20); a rate is the median of its slices, and a ratio the median of the ratios of
//! slices taken one right after the other, so that load elsewhere on a shared machine falls
//! on both sides of a ratio alike.
//! `--profile-typed-gets N` only runs N typed GETs at concurrency 1, for a profiler.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bybit_client::models::LinearInverseInstrument;
use bytes::Bytes;
use cache_core::{Cache, Codec, Compression, TypedCache};
use cache_redis::RedisCache;
use redis::aio::ConnectionManager;
use redis_test_server::RedisServer;

type Instruments = Vec<LinearInverseInstrument>;
const KEY: &str = "bench:instruments";
const TTL: Duration = Duration::from_secs(3600);
const TTL_MS: u64 = 3_600_000;
const CONCURRENCY: [usize; 2] = [1, 64];

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Layer {
    Raw,
    Backend,
    Typed,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Get,
    Set,
}

struct Subjects {
    raw: ConnectionManager,
    backend: RedisCache,
    typed: TypedCache<RedisCache>,
    stored: Bytes,
    list: Instruments,
}

impl Subjects {
    /// One operation; panics on an error or a wrong value, since a figure for failed calls
    /// would mean nothing.
    async fn run(&self, layer: Layer, op: Op) {
        match (layer, op) {
            (Layer::Raw, Op::Get) => {
                let value: Bytes = redis::cmd("GET")
                    .arg(KEY)
                    .query_async(&mut self.raw.clone())
                    .await
                    .expect("raw GET");
                assert_eq!(value.len(), self.stored.len());
            }
            (Layer::Raw, Op::Set) => {
                let mut cmd = redis::cmd("SET");
                cmd.arg(KEY).arg(&self.stored[..]).arg("PX").arg(TTL_MS);
                let () = cmd
                    .query_async(&mut self.raw.clone())
                    .await
                    .expect("raw SET");
            }
            (Layer::Backend, Op::Get) => {
                let value = self.backend.get(KEY).await.expect("GET").expect("present");
                assert_eq!(value.len(), self.stored.len());
            }
            (Layer::Backend, Op::Set) => {
                self.backend
                    .set(KEY, self.stored.clone(), TTL)
                    .await
                    .expect("SET");
            }
            (Layer::Typed, Op::Get) => {
                let list: Instruments = self.typed.get(KEY).await.expect("GET").expect("present");
                assert_eq!(list.len(), self.list.len());
            }
            (Layer::Typed, Op::Set) => self.typed.set(KEY, &self.list, TTL).await.expect("SET"),
        }
    }
}

/// Operations per second of `op` on `layer` from `concurrency` tasks for `length`.
async fn measure(
    s: &Arc<Subjects>,
    layer: Layer,
    op: Op,
    concurrency: usize,
    length: Duration,
) -> f64 {
    let start = Instant::now();
    let deadline = start + length;
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    s.run(layer, op).await;
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("a task panicked");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// `redis-benchmark`'s GET requests per second for a value of `size` bytes.
fn redis_benchmark(port: u16, size: usize, clients: usize, pipeline: usize) -> Result<f64> {
    let requests = (clients * pipeline * 1000).max(100_000);
    let output = Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "set,get",
            "--csv",
        ])
        .args(["-d", &size.to_string(), "-n", &requests.to_string()])
        .args(["-c", &clients.to_string(), "-P", &pipeline.to_string()])
        .output()
        .context("running redis-benchmark (Debian package redis-tools)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    for line in text.lines() {
        let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
        if fields.first() == Some(&"GET") {
            return Ok(fields[1].parse()?);
        }
    }
    bail!("no GET line in redis-benchmark's output: {text}")
}

struct Args {
    seconds: f64,
    rounds: usize,
    profile_typed_gets: Option<u64>,
}

fn args() -> Result<Args> {
    let mut parsed = Args {
        seconds: 0.25,
        rounds: 20,
        profile_typed_gets: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => parsed.seconds = value.parse()?,
            "--rounds" => parsed.rounds = value.parse()?,
            "--profile-typed-gets" => parsed.profile_typed_gets = Some(value.parse()?),
            _ => bail!("unknown flag {flag}; expected --seconds, --rounds or --profile-typed-gets"),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = args()?;
    let server = RedisServer::start()?;
    let list: Instruments = benches::linear_instruments();
    let codec = Codec::msgpack().with_compression(Compression::ZSTD)?;
    let backend = RedisCache::builder()
        .url(server.url())
        .operation_timeout(Duration::from_secs(10))
        .build()
        .await?;
    let typed = TypedCache::new(backend.clone(), codec);
    let stored = typed.encode(&list).await?;
    let raw = ConnectionManager::new(redis::Client::open(server.url())?).await?;
    backend.set(KEY, stored.clone(), TTL).await?;
    let s = Arc::new(Subjects {
        raw,
        backend,
        typed,
        stored,
        list,
    });

    if let Some(n) = args.profile_typed_gets {
        for _ in 0..n {
            s.run(Layer::Typed, Op::Get).await;
        }
        return Ok(());
    }

    let size = s.stored.len();
    let length = Duration::from_secs_f64(args.seconds);
    let reference = [
        redis_benchmark(server.port(), size, 64, 1)?,
        redis_benchmark(server.port(), size, 1, 64)?,
    ];
    let cells: Vec<(Op, usize)> = [Op::Get, Op::Set]
        .into_iter()
        .flat_map(|op| CONCURRENCY.map(|c| (op, c)))
        .collect();
    let mut samples: HashMap<(Layer, Op, usize), Vec<f64>> = HashMap::new();
    for round in 0..args.rounds {
        for &(op, c) in &cells {
            // The layers take turns in short slices, in alternating order, so that load from
            // elsewhere on the machine falls on all of them alike.
            let mut order = [Layer::Raw, Layer::Backend, Layer::Typed];
            if round % 2 == 1 {
                order.reverse();
            }
            for layer in order {
                let rate = measure(&s, layer, op, c, length).await;
                samples.entry((layer, op, c)).or_default().push(rate);
            }
        }
    }
    let rate = |layer, op, c| median(samples[&(layer, op, c)].clone());
    let ratio = |layer, op, c| {
        let raw = &samples[&(Layer::Raw, op, c)];
        median(
            samples[&(layer, op, c)]
                .iter()
                .zip(raw)
                .map(|(x, r)| x / r)
                .collect(),
        )
    };
    print_table(&s, size, reference, args, &rate, &ratio);
    Ok(())
}

fn print_table(
    s: &Subjects,
    size: usize,
    reference: [f64; 2],
    args: Args,
    rate: &dyn Fn(Layer, Op, usize) -> f64,
    paired_ratio: &dyn Fn(Layer, Op, usize) -> f64,
) {
    println!(
        "Redis GET/SET of the 214-instrument linear list: {} instruments, {size} bytes stored \
         (msgpack + zstd-3 in cache-core's envelope); medians of {} interleaved slices of {} s; \
         ratios are medians of back-to-back slice pairs",
        s.list.len(),
        args.rounds,
        args.seconds
    );
    println!();
    println!("| layer | GET c=1 | GET c=64 | SET c=1 | SET c=64 |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| redis-benchmark GET, `-c 64 -P 1` / `-c 1 -P 64` (reference) | | {:.0} / {:.0} | | |",
        reference[0], reference[1]
    );
    let row = |name: &str, layer| {
        let cells: Vec<String> = [Op::Get, Op::Set]
            .iter()
            .flat_map(|&op| CONCURRENCY.map(|c| format!("{:.0}", rate(layer, op, c))))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    row("(2) raw redis-rs, one ConnectionManager, ops/s", Layer::Raw);
    row("(3) cache-redis byte-level get/set, ops/s", Layer::Backend);
    row(
        "(4) typed get/set, Vec<LinearInverseInstrument> (bybit-client), ops/s",
        Layer::Typed,
    );
    let ratio = |name: &str, layer| {
        let cells: Vec<String> = [Op::Get, Op::Set]
            .iter()
            .flat_map(|&op| CONCURRENCY.map(|c| format!("{:.2}", paired_ratio(layer, op, c))))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    ratio("ratio (3) ÷ (2)", Layer::Backend);
    ratio("ratio (4) ÷ (2)", Layer::Typed);
}
