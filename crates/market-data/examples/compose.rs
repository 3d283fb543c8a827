//! A downstream binary composing the crates: Bybit's linear symbols, cached in Redis for an
//! hour and served stale for a day if Bybit fails.
//!
//! `cargo run -p market-data --example compose -- redis://127.0.0.1:6379/0`
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use std::sync::Arc;
use std::time::Duration;

use bybit_client::{BybitClient, Category, ClientConfig};
use cache_redis::RedisCache;
use market_data::{Dataset, Market, MarketData, Policy};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379/0".into());
    let cache = RedisCache::builder()
        .url(url)
        .key_prefix("my-bot:")
        .build()
        .await?;
    let bybit = BybitClient::new(ClientConfig::mainnet())?;
    let policy = Policy::default()
        .with_ttl(Dataset::Symbols, Duration::from_secs(3600))
        .with_max_stale(Duration::from_secs(24 * 3600));
    let data = MarketData::new(Arc::new(cache), Arc::new(bybit), policy);

    let symbols = data.symbols(&Market::new(Category::Linear)?).await?;
    println!(
        "{} linear symbols ({:?}, {:?} old)",
        symbols.value.len(),
        symbols.source,
        symbols.age
    );
    Ok(())
}
