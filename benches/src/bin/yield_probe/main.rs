//! Whether our work ever holds a runtime thread for long: a probe task that does nothing but
//! yield, beside 8 tasks each storing and reading the largest list (the 214 instruments in
//! today's shape, as the `InstrumentList` market-data stores) through `TypedCache::set`
//! (borrowed) and `get`, on a multi-thread runtime laid out two ways: tokio's default (a
//! worker per CPU, nothing pinned), and `apart` (one worker on a CPU of its own, `redis-server`
//! on another; see `layout.rs`).
//!
//! The probe records the time between two of its polls. A task that runs long between two
//! `.await`s holds up every task queued behind it on its worker, the probe among them; so the
//! gaps' tail is the longest stretch of work done inline on a runtime thread, plus what the
//! operating system takes from the runtime's threads for others (the blocking pool's among
//! them). The floors: 1 ms at p99, 5 ms at most, in every run.
//!
//! `cargo run --release -p benches --bin yield_probe -- [--seconds S] [--runs N]
//! [--backend memory|redis|both] [--layout shared|apart|both] [--writers N]` (defaults 3, 3,
//! both, both and 8; `redis` starts a `redis-server` of its own; `--writers 0` shows what the
//! rest of the machine alone does to the probe). `--features mimalloc` runs it with mimalloc as
//! the global allocator instead of the system's.
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use benches::{List, pin};
use bybit_client::InstrumentList;
use cache_core::{Cache, Codec, Compression, MemoryCache, TypedCache};
use cache_redis::RedisCache;
use redis_test_server::RedisServer;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
const ALLOCATOR_NAME: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "the system's allocator"
};

mod gaps;
mod layout;
use gaps::{Gaps, Polls, Switches, Timed};
use layout::{Cpus, Layout};

const WRITERS: usize = 8;
const TTL: Duration = Duration::from_secs(3600);
/// Left to the writers before the probe starts, so that it sees them at full pace.
const WARM_UP: Duration = Duration::from_millis(200);
const P99_FLOOR: Duration = Duration::from_millis(1);
const MAX_FLOOR: Duration = Duration::from_millis(5);

/// One run's poll gaps, and how many `set` + `get` pairs the writers completed per second.
struct Run {
    p99: Duration,
    max: Duration,
    /// Gaps longer than the p99 floor: how often the probe waited that long, where the
    /// percentiles of millions of polls hide it.
    over_p99_floor: u64,
    pairs_per_second: f64,
    /// The polls of the writers' `set` and `get` calls: the longest stretches of our work on
    /// a runtime thread, in time and in CPU time.
    set_polls: Polls,
    get_polls: Polls,
    /// What the host ran instead of this machine's CPUs during the probe, where it says.
    stolen: Option<Duration>,
    /// How often the runtime's threads blocked or were preempted during the probe.
    switches: Option<Switches>,
}

/// The name of the measured runtime's threads, to find them among the process's.
const RUNTIME_THREADS: &str = "yield-probe-rt";

async fn probe(length: Duration) -> Gaps {
    let mut gaps = Gaps::new();
    let start = Instant::now();
    let mut last = start;
    while last - start < length {
        tokio::task::yield_now().await;
        let now = Instant::now();
        gaps.record(now - last);
        last = now;
    }
    gaps
}

/// What one writer did: pairs completed, and the polls of its `set` and `get` calls.
#[derive(Default)]
struct Written {
    pairs: u64,
    set: Polls,
    get: Polls,
}

impl Written {
    fn merge(self, other: Self) -> Self {
        Self {
            pairs: self.pairs + other.pairs,
            set: self.set.merge(other.set),
            get: self.get.merge(other.get),
        }
    }
}

/// Stores and reads back the list until `stop`, timing the polls of each `set` and `get`
/// (our work) apart from the rest of the loop (dropping the list read, a user's own cost).
async fn writer<C: Cache>(
    cache: TypedCache<C>,
    key: String,
    list: Arc<InstrumentList>,
    stop: Arc<AtomicBool>,
    counting: Arc<AtomicBool>,
) -> Written {
    let mut written = Written::default();
    while !stop.load(Ordering::Relaxed) {
        let set = Timed::new(cache.set(&key, &*list, TTL), counting.clone());
        let (stored, set) = set.await;
        stored.expect("stored");
        let get = Timed::new(cache.get::<InstrumentList>(&key), counting.clone());
        let (back, get) = get.await;
        let back = back.expect("read").expect("present");
        assert_eq!(
            back.len(),
            list.len(),
            "a figure for wrong reads would mean nothing"
        );
        written = written.merge(Written { pairs: 1, set, get });
    }
    written
}

/// Where one measurement runs: the threads' layout, and `redis-server`'s process to place.
#[derive(Clone, Copy)]
struct Placement<'a> {
    layout: Layout,
    cpus: &'a Cpus,
    server: Option<u32>,
}

fn measure<C>(
    cache: &TypedCache<C>,
    list: &Arc<InstrumentList>,
    writers: usize,
    length: Duration,
    at: Placement<'_>,
) -> Result<Run>
where
    C: Cache + Clone + 'static,
{
    if let Some(server) = at.server {
        pin::pin_to_list(server, &at.cpus.server_list(at.layout))?;
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.thread_name(RUNTIME_THREADS);
    if let Some(workers) = at.layout.workers() {
        runtime.worker_threads(workers);
    }
    let runtime = runtime.enable_all().build()?;
    let layout = at.layout;
    let stop = Arc::new(AtomicBool::new(false));
    let counting = Arc::new(AtomicBool::new(false));
    let (gaps, written, stolen, switches, elapsed) = runtime.block_on(async {
        // With one worker, a spawned task runs on it.
        tokio::spawn(async move { layout::place_worker(layout) }).await??;
        let start = Instant::now();
        let writers: Vec<_> = (0..writers)
            .map(|i| {
                tokio::spawn(writer(
                    cache.clone(),
                    format!("yield-probe:{i}"),
                    list.clone(),
                    stop.clone(),
                    counting.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(WARM_UP).await;
        at.cpus.free_codec_threads()?;
        let stolen_before = gaps::stolen();
        let switches_before = gaps::switches(RUNTIME_THREADS);
        counting.store(true, Ordering::Relaxed);
        let gaps = tokio::spawn(probe(length)).await;
        counting.store(false, Ordering::Relaxed);
        let switches = gaps::switches(RUNTIME_THREADS)
            .zip(switches_before)
            .map(|(after, before)| after - before);
        let stolen = gaps::stolen()
            .zip(stolen_before)
            .map(|(after, before)| after - before);
        stop.store(true, Ordering::Relaxed);
        let mut written = Written::default();
        for writer in writers {
            written = written.merge(writer.await.context("a writer panicked")?);
        }
        let gaps = gaps.context("the probe panicked")?;
        anyhow::Ok((gaps, written, stolen, switches, start.elapsed()))
    })?;
    Ok(Run {
        p99: gaps.quantile(0.99),
        max: gaps.max,
        over_p99_floor: gaps.over(P99_FLOOR),
        pairs_per_second: written.pairs as f64 / elapsed.as_secs_f64(),
        set_polls: written.set,
        get_polls: written.get,
        stolen,
        switches,
    })
}

struct Args {
    seconds: f64,
    runs: usize,
    /// Tasks doing `set` + `get`; none shows what the machine alone does to the probe.
    writers: usize,
    memory: bool,
    redis: bool,
    layouts: Vec<Layout>,
}

fn args(cpus: &Cpus) -> Result<Args> {
    let mut parsed = Args {
        seconds: 3.0,
        runs: 3,
        writers: WRITERS,
        memory: true,
        redis: true,
        layouts: Layout::parse("both", cpus)?,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => parsed.seconds = value.parse()?,
            "--runs" => parsed.runs = value.parse()?,
            "--writers" => parsed.writers = value.parse()?,
            "--layout" => parsed.layouts = Layout::parse(&value, cpus)?,
            "--backend" => {
                (parsed.memory, parsed.redis) = match value.as_str() {
                    "memory" => (true, false),
                    "redis" => (false, true),
                    "both" => (true, true),
                    _ => bail!("--backend is memory, redis or both, not {value}"),
                }
            }
            _ => bail!(
                "unknown flag {flag}; expected --seconds, --runs, --writers, --backend or --layout"
            ),
        }
    }
    if !(parsed.seconds > 0.0 && parsed.seconds.is_finite() && parsed.runs > 0) {
        bail!("--seconds must be positive and --runs at least 1");
    }
    Ok(parsed)
}

/// A poll's CPU time at the median and the 99th percentile, and at most, in microseconds.
fn spread(polls: &Polls) -> String {
    let us = |d: Option<Duration>| d.map_or_else(|| "-".to_owned(), |d| d.as_micros().to_string());
    format!(
        "{} / {} / {} µs",
        us(polls.cpu_quantile(0.5)),
        us(polls.cpu_quantile(0.99)),
        polls.most_cpu.as_micros()
    )
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<()> {
    let cpus = Cpus::at_start()?;
    let args = args(&cpus)?;
    let length = Duration::from_secs_f64(args.seconds);
    let list = Arc::new(InstrumentList::Linear(List::Today.instruments()));
    let codec = Codec::msgpack().with_compression(Compression::ZSTD)?;
    let stored = codec.encode(&*list)?;
    let decoded_len = u32::from_le_bytes(stored[16..20].try_into()?);

    let memory = TypedCache::new(MemoryCache::new(256 << 20), codec);
    let server = match args.redis {
        true => Some(RedisServer::start().context("starting redis-server")?),
        false => None,
    };
    let redis = match &server {
        Some(server) => Some(TypedCache::new(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(RedisCache::from_url(&server.url()))?,
            codec,
        )),
        None => None,
    };
    let server_pid = match &server {
        Some(server) => Some(pin::redis_pid(&server.cli(&["info", "server"])?)?),
        None => None,
    };
    // Each run measures the probe alone first: on a shared machine, other processes take
    // the runtime's threads off their cores too, and a gap they cause is none of ours.
    let mut rows: Vec<(usize, Layout, &str, Run)> = Vec::new();
    for run in 1..=args.runs {
        for &layout in &args.layouts {
            let at = Placement {
                layout,
                cpus: &cpus,
                server: server_pid,
            };
            let alone = measure(&memory, &list, 0, length, at)?;
            rows.push((run, layout, "none (the probe alone)", alone));
            if args.memory {
                let run_memory = measure(&memory, &list, args.writers, length, at)?;
                rows.push((run, layout, "memory", run_memory));
            }
            if let Some(redis) = &redis {
                let run_redis = measure(redis, &list, args.writers, length, at)?;
                rows.push((run, layout, "redis", run_redis));
            }
        }
    }

    println!(
        "A task yielding in a loop beside {} tasks each doing TypedCache::set (borrowed) \
         + get of {} ({} as InstrumentList, msgpack+zstd-3: {decoded_len} bytes serialized, {} \
         stored; blocking threshold {} bytes), on a multi-thread runtime, {} s per run, {ALLOCATOR_NAME} \
         allocating; layouts: {}:\n",
        args.writers,
        List::Today.name(),
        List::Today.about(),
        stored.len(),
        codec.blocking_threshold(),
        args.seconds,
        args.layouts
            .iter()
            .map(|layout| layout.describe(&cpus))
            .collect::<Vec<_>>()
            .join("; "),
    );
    println!(
        "| run | layout | set+get over | p99 gap (floor {}) | max gap (floor {}) | gaps over {} | pairs/s \
         | CPU of a poll, p50 / p99 / most: set | same: get | polls over {} of CPU: set / get \
         | longest poll (its CPU) | runtime threads blocked / preempted | host steal | pass |",
        ms(P99_FLOOR),
        ms(MAX_FLOOR),
        ms(P99_FLOOR),
        ms(Polls::LONG),
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (n, layout, backend, run) in &rows {
        let pass = run.p99 <= P99_FLOOR && run.max <= MAX_FLOOR;
        let (set, get) = (run.set_polls, run.get_polls);
        let longest = set.merge(get);
        println!(
            "| {n} | {} | {backend} | {} | {} | {} | {:.0} | {} | {} | {} / {} | {} ({}) | {} | {} | {} |",
            layout.name(),
            ms(run.p99),
            ms(run.max),
            run.over_p99_floor,
            run.pairs_per_second,
            spread(&set),
            spread(&get),
            set.long_on_cpu,
            get.long_on_cpu,
            ms(longest.longest),
            ms(longest.longest_on_cpu),
            run.switches.map_or_else(
                || "-".to_owned(),
                |s| format!("{} / {}", s.blocked, s.preempted)
            ),
            run.stolen
                .map_or_else(|| "-".to_owned(), |d| format!("{} ms", d.as_millis())),
            if pass { "pass" } else { "FAIL" },
        );
    }
    Ok(())
}
