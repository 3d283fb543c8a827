//! Steady reads through `MarketData` while the instrument list expires and is refetched: the
//! scenario of the replicas issue, with and without refresh ahead, side by side in one run.
//!
//! Instruments fresh for 2 s, a Bybit stand-in on loopback taking 300 ms a page, one read
//! every 20 ms for 9 s (a few seconds with `--seconds`), over the memory cache and over a
//! `redis-server` started for the run.
//!
//! `cargo run --release -p benches --bin steady_reads -- [--seconds S]`
#![allow(clippy::print_stdout, reason = "a report prints its table")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bybit_client::testing::{Fault, MockBybit};
use bybit_client::{BybitClient, Category, ClientConfig};
use cache_core::{Cache, MemoryCache};
use cache_redis::RedisCache;
use market_data::{Dataset, Market, MarketData, Policy, Source};
use redis_test_server::RedisServer;

const TTL: Duration = Duration::from_secs(2);
const PER_PAGE: Duration = Duration::from_millis(300);
const EVERY: Duration = Duration::from_millis(20);

struct Outcome {
    reads: usize,
    worst: Duration,
    p99: Duration,
    median: Duration,
    oldest: Duration,
    waited: usize,
    fetches: u64,
}

async fn steady(cache: Arc<dyn Cache>, policy: Policy, run_for: Duration) -> Result<Outcome> {
    let bybit = MockBybit::builder()
        .fault(Fault::hang(0, PER_PAGE).always())
        .fault(Fault::hang(1, PER_PAGE).always())
        .start()
        .await;
    let client = Arc::new(BybitClient::new(ClientConfig::new(bybit.base_url()))?);
    let data = MarketData::new(cache, client, policy);
    let linear = Market::new(Category::Linear)?;
    // The cold read waits for Bybit by necessity; the steady reads are what is measured.
    data.instruments(&linear).await?;
    let (started, mut took, mut oldest, mut waited) =
        (Instant::now(), Vec::new(), Duration::ZERO, 0);
    while started.elapsed() < run_for {
        let at = Instant::now();
        let lookup = data.instruments(&linear).await?;
        took.push(at.elapsed());
        oldest = oldest.max(lookup.age);
        waited += usize::from(lookup.source == Source::Upstream);
        tokio::time::sleep(EVERY).await;
    }
    took.sort();
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    Ok(Outcome {
        reads: took.len(),
        worst: at(1.0),
        p99: at(0.99),
        median: at(0.5),
        oldest,
        waited,
        fetches: data.stats().upstream_fetches - 1,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() -> Result<()> {
    let mut run_for = Duration::from_secs(9);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().context("--seconds needs a value")?;
                run_for = Duration::try_from_secs_f64(value.parse()?)?;
            }
            other => bail!("unexpected argument {other:?}; usage: steady_reads [--seconds S]"),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let redis = RedisServer::start().context("starting redis-server")?;
    let ahead = Policy::default().with_ttl(Dataset::Instruments, TTL);
    let waiting = ahead
        .clone()
        .with_refresh_ahead(1.0)?
        .with_stale_while_revalidate(Duration::ZERO);
    println!(
        "Steady reads of the linear instruments: fresh for {TTL:?}, Bybit {PER_PAGE:?} a page, \
         a read every {EVERY:?} for {run_for:?}"
    );
    println!();
    println!(
        "| cache | policy | reads | median | p99 | worst | oldest served | waited for Bybit | refetches |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (run, (backend, policy_name, policy)) in [
        ("memory", "refresh ahead (default)", &ahead),
        ("memory", "refresh at expiry", &waiting),
        ("redis", "refresh ahead (default)", &ahead),
        ("redis", "refresh at expiry", &waiting),
    ]
    .into_iter()
    .enumerate()
    {
        let outcome = runtime.block_on(async {
            let cache: Arc<dyn Cache> = match backend {
                "memory" => Arc::new(MemoryCache::new(64 << 20)),
                // A prefix per run: each starts on an empty cache.
                _ => Arc::new(
                    RedisCache::builder()
                        .url(redis.url())
                        .key_prefix(format!("run{run}:"))
                        .build()
                        .await?,
                ),
            };
            steady(cache, policy.clone(), run_for).await
        })?;
        println!(
            "| {backend} | {policy_name} | {} | {} | {} | {} | {} | {} | {} |",
            outcome.reads,
            ms(outcome.median),
            ms(outcome.p99),
            ms(outcome.worst),
            ms(outcome.oldest),
            outcome.waited,
            outcome.fetches,
        );
    }
    Ok(())
}
