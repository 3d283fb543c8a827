//! The hit path of the 214-instrument linear lists (the recorded 2023 one, then the same
//! list in today's shape) through `MarketData` over Redis, beside the Python reference's
//! compressed `get` of the same list from the same `redis-server`, in one run per list.
//!
//! Ours, each over a `RedisCache` connected before the timing starts:
//! - cold: a new `MarketData` (so a new, empty local cache) reads the list once: `GET`,
//!   the checksum, zstd, the decode of the positional MessagePack; the median per read, read
//!   from a spawned task and from the thread that runs `block_on` (not a worker: each round
//!   trip to Redis wakes a worker and then that thread);
//! - warm, notified: one `MarketData` (default policy) reads it again and again, its local
//!   cache following Redis's notifications, at 1 and at 64 reads in flight;
//! - warm, validated: the same over a Redis cache that offers no notifications, so that
//!   every hit reads the 28-byte stamp (`GETRANGE`) before serving the held value;
//! - no local cache (`Policy::with_local_capacity(0)`): every read a full `GET` and decode.
//!
//! The reference is `benches/reference/bench_get.py --slices` (redis-py's asyncio client,
//! `GET`, zlib, msgpack to dicts), whose `get` is timed at 1 and 64 in flight. Every cell
//! runs in slices of S seconds, N slices each, taking turns in alternating order; a figure
//! is the median of its slices, and a ratio the median of the ratios within each round, so
//! that load elsewhere on a shared machine falls on both sides of a ratio alike. With 64 in
//! flight, each reader yields to the runtime after each read, so that all 64 take turns
//! (a read served from memory never waits, and would otherwise run its whole slice alone).
//!
//! Unless told otherwise, the client (this process and the reference) runs on CPU 0 and
//! `redis-server` on CPU 1, as the floors were set: `--pin CLIENT,SERVER` picks others,
//! `--pin none` leaves the scheduler free.
//!
//! `cargo run --release -p benches --bin hit_path -- [--seconds S] [--rounds N]
//! [--runtime multi|current] [--pin 0,1|none] [--list linear_214|linear_today_214]`
//! (defaults 0.25, 20, multi, 0,1 and both lists, one after the other; on a
//! current-thread runtime the thread of `block_on` drives Redis itself, so both cold cells
//! run on one thread; `--only cold|notified|validated|unheld|reference` runs those cells
//! alone and prints their slices, for a profiler). Without Python or its packages, the
//! reference's columns are left empty and a line says how to install them.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use benches::pin::{self, Pinning};
use benches::{List, python};
use bybit_client::testing::MockBybit;
use bybit_client::testing::fixtures::values;
use bybit_client::{BybitClient, Category, ClientConfig};
use bytes::Bytes;
use cache_core::{Cache, Entry, Lease};
use cache_redis::RedisCache;
use market_data::{Dataset, Market, MarketData, MarketStats, Policy, Source};
use redis_test_server::RedisServer;

/// Long enough that nothing expires, or is refreshed ahead, during the run.
const TTL: Duration = Duration::from_secs(24 * 3600);
const INSTRUMENTS: usize = 214;
/// Warm reads between two looks at the clock.
const CLOCK_EVERY: u64 = 32;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Cell {
    /// A new `MarketData`'s first read, from a spawned task (`true`) or from the thread
    /// that runs `block_on` (`false`).
    Cold(bool),
    Notified(usize),
    Validated(usize),
    Unheld(usize),
    Reference(usize),
}

const CELLS: [Cell; 10] = [
    Cell::Cold(true),
    Cell::Cold(false),
    Cell::Notified(1),
    Cell::Notified(64),
    Cell::Validated(1),
    Cell::Validated(64),
    Cell::Unheld(1),
    Cell::Unheld(64),
    Cell::Reference(1),
    Cell::Reference(64),
];

/// One slice of one cell: the median time of one read (when each was timed) and the reads
/// per second.
#[derive(Clone, Copy, Debug)]
struct Slice {
    median_us: Option<f64>,
    per_second: f64,
}

/// A Redis cache that offers no notifications: a local cache in front of it validates every
/// hit by reading the stamp.
struct WithoutNotices(RedisCache);

#[async_trait]
impl Cache for WithoutNotices {
    async fn get(&self, key: &str) -> cache_core::Result<Option<Bytes>> {
        self.0.get(key).await
    }
    async fn get_prefix(&self, key: &str, len: usize) -> cache_core::Result<Option<Bytes>> {
        self.0.get_prefix(key, len).await
    }
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> cache_core::Result<()> {
        self.0.set(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> cache_core::Result<bool> {
        self.0.delete(key).await
    }
    async fn ttl(&self, key: &str) -> cache_core::Result<Option<Duration>> {
        self.0.ttl(key).await
    }
    async fn get_many(&self, keys: &[String]) -> cache_core::Result<Vec<Option<Bytes>>> {
        self.0.get_many(keys).await
    }
    async fn set_many(&self, entries: Vec<Entry>) -> cache_core::Result<()> {
        self.0.set_many(entries).await
    }
    fn max_ttl(&self) -> Duration {
        self.0.max_ttl()
    }
    fn lease(&self) -> Option<&dyn Lease> {
        self.0.lease()
    }
}

struct Subjects {
    redis: Arc<dyn Cache>,
    client: Arc<BybitClient>,
    policy: Policy,
    market: Market,
    notified: MarketData,
    validated: MarketData,
    unheld: MarketData,
}

/// Checks what a read served: a figure for failed or wrong reads would mean nothing.
fn check(lookup: &market_data::Lookup<bybit_client::InstrumentList>) {
    assert_eq!(lookup.source, Source::Cache);
    assert_eq!(lookup.value.len(), INSTRUMENTS);
}

/// Reads by new `MarketData`s, one each, for `length`; each read timed alone.
async fn cold(
    redis: Arc<dyn Cache>,
    client: Arc<BybitClient>,
    policy: Policy,
    market: Market,
    length: Duration,
) -> Slice {
    let mut took = Vec::new();
    let start = Instant::now();
    while start.elapsed() < length {
        let data = MarketData::new(redis.clone(), client.clone(), policy.clone());
        let at = Instant::now();
        let lookup = data.instruments(&market).await.expect("a cached read");
        took.push(at.elapsed());
        check(&lookup);
        assert_eq!(data.stats().upstream_fetches, 0, "read from the cache");
    }
    took.sort();
    Slice {
        median_us: Some(took[took.len() / 2].as_secs_f64() * 1e6),
        per_second: took.len() as f64 / start.elapsed().as_secs_f64(),
    }
}

/// Reads per second through `data` from `in_flight` tasks for `length`.
async fn warm(data: &MarketData, market: &Market, in_flight: usize, length: Duration) -> Slice {
    let start = Instant::now();
    let deadline = start + length;
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let (data, market) = (data.clone(), market.clone());
            tokio::spawn(async move {
                let mut reads = 0u64;
                // The clock is read every so many reads: a read served from memory takes
                // about as long as reading it.
                while !reads.is_multiple_of(CLOCK_EVERY) || Instant::now() < deadline {
                    check(&data.instruments(&market).await.expect("a cached read"));
                    reads += 1;
                    if in_flight > 1 {
                        tokio::task::yield_now().await;
                    }
                }
                reads
            })
        })
        .collect();
    let mut reads = 0;
    for task in tasks {
        reads += task.await.expect("a reader panicked");
    }
    Slice {
        median_us: None,
        per_second: reads as f64 / start.elapsed().as_secs_f64(),
    }
}

/// The Python reference in `--slices` mode, timing slices of `get`s on request.
struct Reference {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    about: serde_json::Value,
}

impl Reference {
    /// Starts it against `url`; `Ok(None)`, with the reason printed, when Python or its
    /// packages are missing.
    fn start(url: &str, list: List) -> Result<Option<Self>> {
        let python = python::interpreter();
        if let Err(why) = python::check(&python) {
            println!("{}\n", python::skipped(&python, &why));
            return Ok(None);
        }
        let mut child = Command::new(&python)
            .arg(python::reference_dir().join("bench_get.py"))
            .args(["--url", url, "--slices", "--list", list.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the Python reference")?;
        let stdin = child.stdin.take().context("the reference's stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("the reference's stdout")?);
        let mut reference = Self {
            child,
            stdin,
            stdout,
            about: serde_json::Value::Null,
        };
        reference.about = reference.read_line()?;
        Ok(Some(reference))
    }

    fn slice(&mut self, in_flight: usize, length: Duration) -> Result<Slice> {
        writeln!(self.stdin, "{in_flight} {}", length.as_secs_f64())?;
        self.stdin.flush()?;
        let answer = self.read_line()?;
        let number = |name: &str| {
            answer[name]
                .as_f64()
                .with_context(|| format!("no {name} in the reference's answer {answer}"))
        };
        Ok(Slice {
            median_us: Some(number("median_us")?),
            per_second: number("per_second")?,
        })
    }

    fn read_line(&mut self) -> Result<serde_json::Value> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!(
                "the Python reference exited early ({:?})",
                self.child.wait()
            );
        }
        serde_json::from_str(&line).with_context(|| format!("the reference said {line:?}"))
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        // Our own child, by its handle; it has nothing left to write.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Args {
    seconds: f64,
    rounds: usize,
    /// Only the cells of this kind, for a profiler.
    only: Option<String>,
    /// A current-thread runtime instead of the multi-threaded one.
    current_thread: bool,
    /// Where the client and `redis-server` run, or why nothing is pinned.
    pin: Result<Pinning, String>,
    /// The lists to read, each in a run of its own.
    lists: Vec<List>,
}

fn args() -> Result<Args> {
    let mut parsed = Args {
        seconds: 0.25,
        rounds: 20,
        only: None,
        current_thread: false,
        pin: Pinning::default_for_this_machine(),
        lists: List::ALL.to_vec(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => parsed.seconds = value.parse()?,
            "--rounds" => parsed.rounds = value.parse()?,
            "--only" => parsed.only = Some(value),
            "--list" => {
                parsed.lists = vec![
                    *List::ALL
                        .iter()
                        .find(|list| list.name() == value)
                        .with_context(|| {
                            format!("--list is linear_214 or linear_today_214, not {value}")
                        })?,
                ];
            }
            "--pin" => parsed.pin = Pinning::parse(&value)?.ok_or_else(|| "--pin none".into()),
            "--runtime" => {
                parsed.current_thread = match value.as_str() {
                    "current" => true,
                    "multi" => false,
                    _ => bail!("--runtime is current or multi, not {value}"),
                }
            }
            _ => bail!(
                "unknown flag {flag}; expected --seconds, --rounds, --only, --runtime, --pin or --list"
            ),
        }
    }
    if !(parsed.seconds > 0.0 && parsed.seconds.is_finite() && parsed.rounds > 0) {
        bail!("--seconds must be positive and --rounds at least 1");
    }
    Ok(parsed)
}

/// Stores the list through a `MarketData` (fetched from a local mock Bybit serving the
/// recording), and makes the readers.
async fn subjects(server: &RedisServer, bybit: &MockBybit) -> Result<Subjects> {
    let redis = RedisCache::builder()
        .url(server.url())
        .operation_timeout(Duration::from_secs(10))
        .build()
        .await?;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url()))?);
    let policy = Policy::default().with_ttl(Dataset::Instruments, TTL);
    let market = Market::new(Category::Linear)?;
    let shared: Arc<dyn Cache> = Arc::new(redis.clone());
    let writer = MarketData::new(shared.clone(), client.clone(), policy.clone());
    let stored = writer.instruments(&market).await?;
    if (stored.source, stored.value.len()) != (Source::Upstream, INSTRUMENTS) {
        bail!("expected the recorded list from the mock Bybit, got {stored:?}");
    }
    let without_notices: Arc<dyn Cache> = Arc::new(WithoutNotices(redis));
    let s = Subjects {
        notified: MarketData::new(shared.clone(), client.clone(), policy.clone()),
        validated: MarketData::new(without_notices, client.clone(), policy.clone()),
        unheld: MarketData::new(
            shared.clone(),
            client.clone(),
            policy.clone().with_local_capacity(0),
        ),
        redis: shared,
        client,
        policy,
        market,
    };
    // Read in full, validated once, then served on notices once the subscription is up.
    for _ in 0..400 {
        check(&s.notified.instruments(&s.market).await?);
        if s.notified.stats().instruments.notified_hits > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if s.notified.stats().instruments.notified_hits == 0 {
        bail!("the notified reader never served a hit on notices alone");
    }
    check(&s.validated.instruments(&s.market).await?);
    check(&s.unheld.instruments(&s.market).await?);
    Ok(s)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() -> Result<()> {
    let args = args()?;
    // Before the runtime starts its threads, which inherit it, as does the reference.
    if let Ok(pin) = &args.pin {
        pin.pin_this_process()?;
    }
    let runtime = if args.current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()?;
    for list in args.lists.clone() {
        run(&args, &runtime, list)?;
    }
    Ok(())
}

/// The table of one list, from a `redis-server`, a mock Bybit and a reference of its own.
fn run(args: &Args, runtime: &tokio::runtime::Runtime, list: List) -> Result<()> {
    let server = RedisServer::start().context("starting redis-server")?;
    if let Ok(pin) = &args.pin {
        pin.pin_server(pin::redis_pid(&server.cli(&["info", "server"])?)?)?;
    }
    let bybit = runtime.block_on(
        MockBybit::builder()
            .instruments(Category::Linear, values(list.fixture()))
            .start(),
    );
    let s = runtime.block_on(subjects(&server, &bybit))?;
    let mut reference = Reference::start(&server.url(), list)?;
    let length = Duration::from_secs_f64(args.seconds);

    let mut slices: HashMap<Cell, Vec<Slice>> = HashMap::new();
    for round in 0..args.rounds {
        let mut order = CELLS;
        if round % 2 == 1 {
            order.reverse();
        }
        for cell in order {
            if let Some(only) = &args.only
                && !format!("{cell:?}")
                    .to_lowercase()
                    .starts_with(only.as_str())
            {
                continue;
            }
            let slice = match cell {
                Cell::Reference(c) => match reference.as_mut() {
                    Some(reference) => reference.slice(c, length)?,
                    None => continue,
                },
                Cell::Cold(in_task) => {
                    let reads = cold(
                        s.redis.clone(),
                        s.client.clone(),
                        s.policy.clone(),
                        s.market.clone(),
                        length,
                    );
                    if in_task {
                        runtime.block_on(async { tokio::spawn(reads).await.expect("no panic") })
                    } else {
                        runtime.block_on(reads)
                    }
                }
                Cell::Notified(c) => runtime.block_on(warm(&s.notified, &s.market, c, length)),
                Cell::Validated(c) => runtime.block_on(warm(&s.validated, &s.market, c, length)),
                Cell::Unheld(c) => runtime.block_on(warm(&s.unheld, &s.market, c, length)),
            };
            slices.entry(cell).or_default().push(slice);
        }
    }
    if args.only.is_some() {
        println!("{slices:?}");
        return Ok(());
    }
    print_table(&s, reference.as_ref(), &slices, args, list);
    Ok(())
}

/// A kind of read in the table: its name, its cell at a number in flight, and the floors at
/// 1 and 64 in flight.
type Row = (&'static str, fn(usize) -> Cell, [&'static str; 2]);

fn print_table(
    s: &Subjects,
    reference: Option<&Reference>,
    slices: &HashMap<Cell, Vec<Slice>>,
    args: &Args,
    list: List,
) {
    let median_us = |cell| median(slices[&cell].iter().filter_map(|x| x.median_us).collect());
    let rate = |cell| median(slices[&cell].iter().map(|x| x.per_second).collect());
    // Within each round: the reference's time over ours, or our rate over the reference's.
    let paired = |cell, versus, by_time: bool| -> Option<f64> {
        let theirs = slices.get(&versus)?;
        let ratios = slices[&cell].iter().zip(theirs).map(|(ours, theirs)| {
            if by_time {
                theirs.median_us.unwrap_or(f64::NAN) / ours.median_us.unwrap_or(f64::NAN)
            } else {
                ours.per_second / theirs.per_second
            }
        });
        Some(median(ratios.collect()))
    };
    println!(
        "Reading the cached 214-instrument linear list {} ({}) through MarketData over Redis, \
         beside the Python reference's get of the same list from the same redis-server; \
         medians of {} interleaved slices of {} s, ratios the medians of each round's ratio; \
         {} runtime; {}",
        list.name(),
        list.about(),
        args.rounds,
        args.seconds,
        if args.current_thread {
            "tokio current-thread"
        } else {
            "tokio multi-thread"
        },
        match &args.pin {
            Ok(pin) => format!(
                "client (ours and the reference) on CPU {}, redis-server on CPU {}",
                pin.client, pin.server
            ),
            Err(why) => format!("nothing pinned ({why})"),
        }
    );
    if let Some(reference) = reference {
        let about = &reference.about;
        println!(
            "Reference: msgpack {} + zlib-6 ({} bytes stored), redis-py {}, Python {}",
            about["msgpack"].as_str().unwrap_or("?"),
            about["stored_bytes"],
            about["redis"].as_str().unwrap_or("?"),
            about["python"].as_str().unwrap_or("?"),
        );
    }
    println!();
    println!("| read | ours | Python reference | ratio | floor |");
    println!("|---|---:|---:|---:|---:|");
    let theirs = |cell, by_time: bool| -> String {
        if !slices.contains_key(&cell) {
            return "skipped".to_owned();
        }
        if by_time {
            format!("{:.0} µs", median_us(cell))
        } else {
            format!("{:.0}/s", rate(cell))
        }
    };
    let ratio = |x: Option<f64>| x.map_or("–".to_owned(), |x| format!("{x:.1}×"));
    // The floor is for a read made in a task, as a service makes them; see the note below
    // the table for the thread of `block_on`.
    for (in_task, from, floor) in [
        (true, "in a task", "4×"),
        (false, "on block_on's thread", "(4×)"),
    ] {
        let cell = Cell::Cold(in_task);
        println!(
            "| cold: a new MarketData's first read (GET, decode), {from}, median per read | {:.0} µs | {} (get, 1 in flight) | {} | {floor} |",
            median_us(cell),
            theirs(Cell::Reference(1), true),
            ratio(paired(cell, Cell::Reference(1), true)),
        );
    }
    let rows: [Row; 3] = [
        (
            "warm, notified local hit (default policy)",
            Cell::Notified,
            ["1000×", "300×"],
        ),
        (
            "warm, validated hit (no notifications: GETRANGE of the stamp)",
            Cell::Validated,
            ["", ""],
        ),
        (
            "no local cache (every read a GET and decode)",
            Cell::Unheld,
            ["", ""],
        ),
    ];
    for (name, cell, floors) in rows {
        for (c, floor) in [1, 64].into_iter().zip(floors) {
            println!(
                "| {name}, {c} in flight, reads/s | {:.0}/s | {} | {} | {floor} |",
                rate(cell(c)),
                theirs(Cell::Reference(c), false),
                ratio(paired(cell(c), Cell::Reference(c), false)),
            );
        }
    }
    println!();
    if !args.current_thread {
        println!(
            "(4×): a future run by block_on on a multi-thread runtime is woken by a worker \
             after each reply from Redis, since only workers drive I/O: one thread wake-up \
             per round trip more than a read in a task, the same for any async client on tokio. \
             The floor is for reads made in a task.\n"
        );
    }
    let stats = |data: &MarketData| -> MarketStats { data.stats() };
    let (notified, validated) = (stats(&s.notified), stats(&s.validated));
    println!(
        "Notified reader: {} reads, {} served on notices alone, {} validations, {} upstream \
         fetches. Validated reader: {} reads, {} validations, {} upstream fetches. Cold \
         reads: {:.0}/s of wall time, constructing each MarketData included.",
        notified.instruments.hits,
        notified.instruments.notified_hits,
        notified.instruments.validations,
        notified.upstream_fetches,
        validated.instruments.hits,
        validated.instruments.validations,
        validated.upstream_fetches,
        rate(Cell::Cold(true)),
    );
}
